//! Each party of the threat model tries its best lie; the regime either refuses it or turns it
//! into evidence that verifies offline. The parties: a **sensor** (reports what it may not),
//! a **party** (the host notifying after the fact, the inspecting side accusing falsely), the
//! **log operator** (rolls back, forks, equivocates, fakes cosignatures) and a **witness**
//! (cosigns with a false time, or is not one the verifier trusts). The log operator's rollback,
//! fork, split view and unavailability are in `tests/monitor.rs`.

mod common;

use std::sync::Arc;

use common::{Log, START, run};
use verify::engine::{Engine, Finding, FindingKind};
use verify::evidence::{self, Clock, Judgement};
use verify::roster::{Registry, check_clock};
use verify::sim::{Fault, HOUR_MS};
use verify::statement::{Body, DoorState, Readiness, STATEMENT_SCHEMA, SiloReading, Statement};
use verify::{Error, Key};

const MIN: i64 = 60_000;

fn silo_reading(sensor: &str, silo: u32, seq: u64, time_ms: i64) -> Statement {
    Statement {
        schema: STATEMENT_SCHEMA.into(),
        sensor: sensor.into(),
        site: "redzikowo".into(),
        seq,
        time_ms,
        clock_ok: true,
        body: Body::Silo(SiloReading {
            silo,
            door: DoorState::Closed,
            interceptor_present: true,
            readiness: Readiness::Inactive,
            seal_intact: true,
            tamper: false,
            serial: None,
        }),
    }
}

mod sensor {
    use super::*;

    #[test]
    fn a_reading_about_a_silo_the_site_does_not_have_is_refused() {
        let r = run(1, &[]);
        let mut reg = Registry::new(r.dep.anchors()).unwrap();
        reg.admit(&r.dep.roster_entry).unwrap();
        let sensor = "redzikowo-silo-01";
        let key = &r.dep.keys[sensor];
        for silo in [99, 2, 11] {
            let e = silo_reading(sensor, silo, 1, START).sign(key).unwrap();
            let err = reg.check(&e).unwrap_err();
            assert!(matches!(err, Error::Schema(_)), "silo {silo}: {err}");
            assert!(err.to_string().contains("registered for silo 1"), "{err}");
        }
        reg.check(&silo_reading(sensor, 1, 1, START).sign(key).unwrap())
            .unwrap();
    }

    #[test]
    fn a_reading_dated_far_ahead_is_refused_at_admission() {
        let r = run(1, &[]);
        let mut reg = Registry::new(r.dep.anchors()).unwrap();
        reg.admit(&r.dep.roster_entry).unwrap();
        let sensor = "redzikowo-silo-01";
        // 2100-01-01.
        let e = silo_reading(sensor, 1, 1, 4_102_444_800_000)
            .sign(&r.dep.keys[sensor])
            .unwrap();
        let a = reg.check(&e).unwrap();
        let err = check_clock(&a, START, 5 * MIN).unwrap_err();
        assert!(matches!(err, Error::Clock(_)), "{err}");
        assert_eq!(err.reason(), "clock");
        // Within the skew it passes; so does a reading from the past (late delivery).
        let near = silo_reading(sensor, 1, 1, START + 4 * MIN)
            .sign(&r.dep.keys[sensor])
            .unwrap();
        check_clock(&reg.check(&near).unwrap(), START, 5 * MIN).unwrap();
        let old = silo_reading(sensor, 1, 1, START - 24 * HOUR_MS)
            .sign(&r.dep.keys[sensor])
            .unwrap();
        check_clock(&reg.check(&old).unwrap(), START, 5 * MIN).unwrap();
    }

    #[test]
    fn a_logged_reading_dated_at_the_end_of_time_accuses_only_its_sensor() {
        // A careless log admitted a reading dated i64::MAX ms. Judging the checkpoint by the
        // log's clock (the newest statement) must neither overflow nor call every other
        // reading "dated after the cosignature"; by the witness's clock only that reading is.
        let r = run(1, &[]);
        let sensor = "redzikowo-silo-01";
        let far = silo_reading(sensor, 1, 1_000_000, i64::MAX)
            .sign(&r.dep.keys[sensor])
            .unwrap();
        for by_log in [true, false] {
            let mut engine = Engine::new(Registry::new(r.dep.anchors()).unwrap(), Arc::clone(&r.rules));
            for (i, e) in (0u64..).zip(&r.log.entries) {
                engine.entry(i, e);
            }
            let far_index = r.log.size();
            engine.entry(far_index, &far);
            let now = if by_log {
                engine.latest_time_ms()
            } else {
                START + 2 * HOUR_MS
            };
            let ahead: Vec<u64> = engine
                .checkpoint(far_index + 1, now)
                .into_iter()
                .filter(|f| f.kind == FindingKind::ClockAhead)
                .map(|f| f.index)
                .collect();
            let want = if by_log { vec![] } else { vec![far_index] };
            assert_eq!(ahead, want, "judged by the log's clock: {by_log}");
        }
    }

    #[test]
    fn a_sensor_cannot_speak_for_another() {
        let r = run(1, &[]);
        let mut reg = Registry::new(r.dep.anchors()).unwrap();
        reg.admit(&r.dep.roster_entry).unwrap();
        let st = silo_reading("redzikowo-silo-02", 2, 1, START);
        // The library will not sign it…
        assert!(st.sign(&r.dep.keys["redzikowo-silo-01"]).is_err());
        // …and a note signed by hand is refused.
        let mut text = st.canonical().unwrap();
        text.push(b'\n');
        let e = r.dep.keys["redzikowo-silo-01"].sign_note(&text).unwrap();
        assert!(matches!(reg.check(&e), Err(Error::BadSignature(_))));
    }
}

mod party {
    use super::*;

    /// The monitor's finding of `kind`, with its evidence.
    fn finding(r: &common::Run, kind: &FindingKind) -> (usize, evidence::Evidence) {
        let n = r
            .findings
            .iter()
            .position(|(f, _, _)| &f.kind == kind)
            .unwrap_or_else(|| panic!("no {kind:?}: {:?}", r.kinds()));
        (n, r.evidence(n))
    }

    #[test]
    fn an_inspecting_party_cannot_accuse_a_compliant_reading_by_leaving_the_notice_out() {
        // A tamper flag at 02:30, inside the notified maintenance window (02–03 UTC): compliant.
        let r = run(4, &[(2 * HOUR_MS + 30 * MIN, Fault::TamperOutsideMaintenance)]);
        let tamper = FindingKind::Rule("tamper-maintenance".into());
        assert!(!r.kinds().contains(&tamper.name()), "{:?}", r.kinds());
        let (idx, _) = r.faulty[0];
        // The accuser replays the log without the maintenance notice and gets a "violation"…
        let notice = (0..idx)
            .find(|&i| {
                let (t, _) = verify::keys::peek_note(&r.log.entries[i as usize]).unwrap();
                Statement::from_text(&t).is_ok_and(|s| {
                    matches!(&s.body, Body::Notice(n) if n.notice == verify::statement::NoticeKind::Maintenance)
                })
            })
            .expect("the maintenance notice");
        let mut engine = Engine::new(Registry::new(r.dep.anchors()).unwrap(), Arc::clone(&r.rules));
        let mut accusation: Option<Finding> = None;
        for i in (0..=idx).filter(|&i| i != notice) {
            for f in engine.entry(i, &r.log.entries[i as usize]) {
                if f.kind == tamper && f.index == idx {
                    accusation = Some(f);
                }
            }
        }
        let accusation = accusation.expect("without the notice the tamper is a violation");
        let note = r.log.checkpoint(2_000_000_000);
        let size = r.log.size();
        let at = Judgement {
            note: &note,
            size,
            previous: None,
            clock: Clock::Witness,
        };
        let honest = evidence::build(
            &accusation,
            &r.rules,
            &at,
            |i| Ok(r.log.entries[i as usize].clone()),
            |i| Ok(r.log.proof(i, size)),
        )
        .unwrap();
        let trust = r.trust();
        // …but a bundle must hold every entry up to the accused one: with the notice in, the
        // finding is not recomputed; without it, the range is not complete.
        let e = evidence::verify(&honest, &trust).unwrap_err();
        assert!(e.to_string().contains("does not give"), "{e}");
        let mut omitted = honest.clone();
        omitted.entries.retain(|p| p.index != notice);
        let e = evidence::verify(&omitted, &trust).unwrap_err();
        assert!(
            e.to_string().contains("missing") || e.to_string().contains("holds"),
            "{e}"
        );
        let mut shorter = omitted.clone();
        shorter.complete.from = notice + 1;
        shorter.entries.retain(|p| p.index > notice);
        let e = evidence::verify(&shorter, &trust).unwrap_err();
        assert!(e.to_string().contains("needs 0.."), "{e}");
    }

    #[test]
    fn a_verified_bundle_says_nothing_the_recomputation_does_not() {
        let r = run(10, &[(9 * HOUR_MS + 7 * MIN, Fault::RadarOutsideSector)]);
        let (_, good) = finding(&r, &FindingKind::Rule("radar-sector".into()));
        let trust = r.trust();
        evidence::verify(&good, &trust).unwrap();
        let mut bad = good.clone();
        bad.finding.summary = "radar fired an interceptor at Moscow".into();
        assert!(evidence::verify(&bad, &trust).is_err(), "summary");
        let mut bad = good.clone();
        bad.finding.sensor = Some("redzikowo-silo-01".into());
        assert!(evidence::verify(&bad, &trust).is_err(), "sensor");
        let mut bad = good.clone();
        bad.finding.context.clear();
        assert!(evidence::verify(&bad, &trust).is_err(), "empty context");
        // A field outside the format does not parse.
        let mut v = serde_json::to_value(&good).unwrap();
        v["finding"]["severity"] = "critical".into();
        assert!(serde_json::from_value::<evidence::Evidence>(v).is_err());
        // A clock on a finding that is not judged at a checkpoint.
        let mut bad = good.clone();
        bad.clock = Clock::Log;
        assert!(
            evidence::verify(&bad, &trust).is_err(),
            "clock on a statement finding"
        );
        // A non-rule finding carrying a rule text.
        let r2 = run(3, &[(HOUR_MS + 7 * MIN, Fault::Gap)]);
        let (_, gap) = finding(&r2, &FindingKind::Gap);
        evidence::verify(&gap, &r2.trust()).unwrap();
        let mut bad = gap.clone();
        bad.rule = good.rule.clone();
        assert!(evidence::verify(&bad, &r2.trust()).is_err(), "rule text on a gap");
    }

    #[test]
    fn the_host_cannot_excuse_a_violation_with_a_notice_logged_afterwards() {
        let mut r = run(4, &[(HOUR_MS + 7 * MIN, Fault::TamperOutsideMaintenance)]);
        let tamper = FindingKind::Rule("tamper-maintenance".into());
        let (n, _) = finding(&r, &tamper);
        let accused = r.findings[n].0.index;
        // The host logs a maintenance window covering the tamper, after the fact.
        let backdated = Statement {
            schema: STATEMENT_SCHEMA.into(),
            sensor: "host-operator".into(),
            site: "redzikowo".into(),
            seq: 1_000,
            time_ms: START + 4 * HOUR_MS,
            clock_ok: true,
            body: Body::Notice(verify::statement::Notice {
                notice: verify::statement::NoticeKind::Maintenance,
                from_ms: START,
                to_ms: START + 2 * HOUR_MS,
                subject: "silos".into(),
            }),
        };
        r.log
            .append(backdated.sign(&r.dep.keys["host-operator"]).unwrap());
        let note = r.log.checkpoint(2_000_000_000);
        r.findings[n].1 = note;
        r.findings[n].2 = None;
        let ev = r.evidence(n);
        let v = evidence::verify(&ev, &r.trust()).unwrap();
        assert_eq!(v.finding.index, accused);
    }

    #[test]
    fn wrong_trust_anchors_are_named_as_such() {
        let r = run(10, &[(9 * HOUR_MS + 7 * MIN, Fault::RadarOutsideSector)]);
        let (_, good) = finding(&r, &FindingKind::Rule("radar-sector".into()));
        let mut trust = r.trust();
        trust.anchors = vec![Key::generate("someone-else").unwrap().vkey().to_owned()];
        let e = evidence::verify(&good, &trust).unwrap_err().to_string();
        assert!(e.contains("not signed by the trust file's anchors"), "{e}");
    }
}

mod log_operator {
    use super::*;

    #[test]
    fn a_cosignature_the_operator_made_itself_does_not_count() {
        let r = run(10, &[(9 * HOUR_MS + 7 * MIN, Fault::RadarOutsideSector)]);
        let n = r
            .findings
            .iter()
            .position(|(f, _, _)| f.kind == FindingKind::Rule("radar-sector".into()))
            .unwrap();
        let mut ev = r.evidence(n);
        // Replace the witness's cosignature by one from a key of the operator's own, named
        // like the witness.
        let (fake, _) = witness::CosignatureSigner::generate("witness.example/w1").unwrap();
        let cut = ev.checkpoint.find("\n\n").unwrap() + 1;
        let text = &ev.checkpoint[..cut];
        let log_line = ev.checkpoint[cut + 1..]
            .lines()
            .find(|l| l.starts_with("— log.example"))
            .unwrap()
            .to_owned();
        let sig = String::from_utf8(fake.cosign(text.as_bytes(), 2_000_000_000).unwrap().to_bytes()).unwrap();
        ev.checkpoint = format!("{text}\n{log_line}\n{}", sig.trim_end_matches('\n'));
        ev.checkpoint.push('\n');
        let e = evidence::verify(&ev, &r.trust()).unwrap_err().to_string();
        assert!(e.contains("witness cosignature"), "{e}");
    }

    #[test]
    fn a_careless_log_that_logs_anything_is_caught_by_the_monitor() {
        // Forged, replayed and over-collected entries logged anyway: each is a finding whose
        // evidence verifies (the threats tests check each kind; here all in one log).
        let r = run(
            3,
            &[
                (HOUR_MS + 7 * MIN, Fault::ForgedSignature),
                (HOUR_MS + 17 * MIN, Fault::Replay),
                (HOUR_MS + 27 * MIN, Fault::OverCollection),
            ],
        );
        let trust = r.trust();
        for kind in ["forged", "replay", "over_collection"] {
            let n = r
                .findings
                .iter()
                .position(|(f, _, _)| f.kind.name() == kind)
                .unwrap_or_else(|| panic!("no {kind}: {:?}", r.kinds()));
            evidence::verify(&r.evidence(n), &trust).unwrap();
        }
    }
}

mod witness_lies {
    use super::*;

    /// `log`'s checkpoint cosigned by each of `witnesses` at its time.
    fn cosigned(log: &Log, witnesses: &[(&witness::CosignatureSigner, u64)]) -> Vec<u8> {
        let size = log.size();
        let note = log
            .signer
            .sign_checkpoint(size, log.tree.root(size).unwrap())
            .unwrap();
        let text_len = note.windows(2).position(|w| w == b"\n\n").unwrap() + 1;
        let lines: Vec<String> = witnesses
            .iter()
            .map(|(w, t)| String::from_utf8(w.cosign(&note[..text_len], *t).unwrap().to_bytes()).unwrap())
            .collect();
        witness::attach_cosignatures(&note, &lines).unwrap()
    }

    #[test]
    fn one_witness_listed_twice_is_not_a_quorum_of_two() {
        let r = run(1, &[]);
        let note = cosigned(&r.log, &[(&r.log.witness, START as u64 / 1000 + 3600)]);
        let mut trust = r.trust();
        let k = trust.witness_keys[0].clone();
        trust.witness_keys = vec![k.clone(), k];
        let e = evidence::verify_cosigned(&note, &trust.log_key, &trust.witness_keys, 2).unwrap_err();
        assert!(e.to_string().contains("1 valid witness cosignature"), "{e}");
    }

    #[test]
    fn a_witness_backdating_its_cosignature_cannot_make_a_sensor_look_ahead_under_a_quorum() {
        let r = run(2, &[]);
        let (w2, _) = witness::CosignatureSigner::generate("witness.example/w2").unwrap();
        let last_s = (START + 2 * HOUR_MS) as u64 / 1000;
        // w2 lies: it dates its cosignature a day early, so every reading looks ahead of it.
        let note = cosigned(&r.log, &[(&r.log.witness, last_s + 5), (&w2, last_s - 86_400)]);
        let mut trust = r.trust();
        trust.witness_keys.push(w2.verifier_key());
        trust.min_cosignatures = 2;
        let cp = evidence::verify_cosigned(&note, &trust.log_key, &trust.witness_keys, 2).unwrap();
        assert_eq!(cp.cosigned_s, last_s + 5, "the newest cosignature is the time");
        // A clock-ahead accusation built on the liar's time does not verify.
        let mut engine = Engine::new(Registry::new(r.dep.anchors()).unwrap(), Arc::clone(&r.rules));
        for (i, e) in r.log.entries.iter().enumerate() {
            engine.entry(i as u64, e);
        }
        let lie = engine.checkpoint(r.log.size(), (last_s as i64 - 86_400) * 1000);
        let f = lie
            .iter()
            .find(|f| f.kind == FindingKind::ClockAhead)
            .expect("by the liar's clock a reading is ahead");
        let at = Judgement {
            note: &note,
            size: r.log.size(),
            previous: None,
            clock: Clock::Witness,
        };
        let ev = evidence::build(
            f,
            &r.rules,
            &at,
            |i| Ok(r.log.entries[i as usize].clone()),
            |i| Ok(r.log.proof(i, r.log.size())),
        )
        .unwrap();
        assert!(evidence::verify(&ev, &trust).is_err());
    }

    /// The engine after every entry of `r`'s log.
    fn replayed(r: &common::Run) -> Engine {
        let mut engine = Engine::new(Registry::new(r.dep.anchors()).unwrap(), Arc::clone(&r.rules));
        for (i, e) in r.log.entries.iter().enumerate() {
            engine.entry(i as u64, e);
        }
        engine
    }

    #[test]
    fn a_witness_dating_its_cosignature_ahead_cannot_make_the_sensors_look_silent_under_a_quorum() {
        let r = run(2, &[]);
        let (w2, _) = witness::CosignatureSigner::generate("witness.example/w2").unwrap();
        // The honest witness cosigns 5 s after the newest reading.
        let last_s = u64::try_from(replayed(&r).latest_time_ms() / 1000).unwrap();
        // w2 lies: it dates its cosignature a day ahead, so every sensor's latest reading looks a
        // day old and every rule judged "by now" would fail.
        let note = cosigned(&r.log, &[(&r.log.witness, last_s + 5), (&w2, last_s + 86_400)]);
        let mut trust = r.trust();
        trust.witness_keys.push(w2.verifier_key());
        trust.min_cosignatures = 2;
        let cp = evidence::verify_cosigned(&note, &trust.log_key, &trust.witness_keys, 2).unwrap();
        assert_eq!(
            cp.cosigned_s,
            last_s + 86_400,
            "the newest cosignature is the liar's"
        );
        // A quorum of two out of two: both witnesses say they had seen it by the newer time, and
        // both that they saw it at or after the older one.
        assert_eq!(
            (cp.judged.early_s, cp.judged.late_s),
            (last_s + 86_400, last_s + 5)
        );
        // Judged as the monitor judges it: nothing is wrong.
        let honest = replayed(&r).checkpoint_between(
            r.log.size(),
            cp.judged.early_s as i64 * 1000,
            cp.judged.late_s as i64 * 1000,
        );
        assert_eq!(honest, Vec::<Finding>::new());
        // A monitor that took the liar's time would accuse the sensors of silence; that
        // accusation does not verify.
        let lie = replayed(&r).checkpoint(r.log.size(), (last_s as i64 + 86_400) * 1000);
        let f = lie
            .iter()
            .find(|f| f.kind == FindingKind::Rule("telemetry-latency".into()))
            .expect("by the liar's clock every sensor is a day late");
        let at = Judgement {
            note: &note,
            size: r.log.size(),
            previous: None,
            clock: Clock::Witness,
        };
        let ev = evidence::build(
            f,
            &r.rules,
            &at,
            |i| Ok(r.log.entries[i as usize].clone()),
            |i| Ok(r.log.proof(i, r.log.size())),
        )
        .unwrap();
        let e = evidence::verify(&ev, &trust).unwrap_err();
        assert!(e.to_string().contains("telemetry-latency"), "{e}");
        // A verifier that trusts each witness alone (a quorum of one) takes the newest time as
        // its own assumption allows: the accusation then verifies, and says so under that trust.
        trust.min_cosignatures = 1;
        evidence::verify(&ev, &trust).unwrap();
    }

    #[test]
    fn a_cosignature_by_a_witness_the_verifier_does_not_trust_does_not_count() {
        let r = run(1, &[]);
        let (stranger, _) = witness::CosignatureSigner::generate("witness.example/w9").unwrap();
        let note = cosigned(&r.log, &[(&stranger, 2_000_000_000)]);
        let trust = r.trust();
        assert!(evidence::verify_cosigned(&note, &trust.log_key, &trust.witness_keys, 1).is_err());
    }

    #[test]
    fn a_witness_cosigning_a_split_view_gives_evidence_against_the_log() {
        let r = run(1, &[]);
        let mut other = r.log.entries.clone();
        let last = other.len() - 1;
        other[last] = b"other view".to_vec();
        let fork = r.log.with_entries(&other);
        // The same witness cosigned both (it was shown only one each time, or lies).
        let a = r.log.checkpoint(1_000);
        let b = fork.checkpoint(1_001);
        let ev = verify::logwatch::LogEvidence {
            schema: verify::logwatch::LOG_EVIDENCE_SCHEMA.into(),
            kind: verify::logwatch::Misbehaviour::SplitView,
            checkpoints: [String::from_utf8(a).unwrap(), String::from_utf8(b).unwrap()],
            entries: None,
            lost: None,
        };
        verify::logwatch::verify_log_evidence(&ev, r.log.signer.verifier_key()).unwrap();
    }
}
