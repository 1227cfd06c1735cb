//! One test per threat the regime must catch (DESIGN.md §6): forged reading, replayed reading,
//! withheld data, clock tampering, over-collection, rewritten history, split view and false
//! accusation — plus a clean day with no findings, and three injected violations giving exactly
//! three alerts whose evidence verifies offline. Each test fails if its attack goes undetected.

mod common;

use base64::prelude::{BASE64_STANDARD, Engine as _};
use common::{MemSource, run};
use verify::Error;
use verify::engine::FindingKind;
use verify::evidence;
use verify::evidence::Clock;
use verify::logwatch::{LogEvidence, Misbehaviour, verify_log_evidence};
use verify::monitor::{Alert, Monitor, MonitorConfig};
use verify::roster::Registry;
use verify::sim::{Fault, HOUR_MS};

const MIN: i64 = 60_000;

#[test]
fn a_clean_day_gives_no_findings() {
    let r = run(24, &[]);
    assert!(r.findings.is_empty(), "false alerts: {:#?}", r.findings);
    assert!(r.log.size() > 3000, "a day of telemetry: {}", r.log.size());
}

/// The finding of `kind` at the faulty entry, with its evidence verified offline.
fn detected(r: &common::Run, kind: &FindingKind, fault: Fault) -> evidence::Verified {
    let (idx, _) = *r
        .faulty
        .iter()
        .find(|(_, f)| *f == fault)
        .expect("fault injected");
    let n = r
        .findings
        .iter()
        .position(|(f, _, _)| &f.kind == kind && f.index == idx)
        .unwrap_or_else(|| panic!("{kind:?} at entry {idx} not detected; findings: {:?}", r.kinds()));
    let ev = r.evidence(n);
    evidence::verify(&ev, &r.trust()).unwrap_or_else(|e| panic!("evidence of {kind:?} does not verify: {e}"))
}

#[test]
fn forged_reading_is_detected_and_refused() {
    let r = run(3, &[(HOUR_MS + 7 * MIN, Fault::ForgedSignature)]);
    detected(&r, &FindingKind::Forged, Fault::ForgedSignature);
    // The server's admission refuses it outright.
    let (idx, _) = r.faulty[0];
    let mut reg = Registry::new(r.dep.anchors()).unwrap();
    reg.admit(&r.dep.roster_entry).unwrap();
    let e = reg.check(&r.log.entries[idx as usize]).unwrap_err();
    assert!(matches!(e, Error::BadSignature(_)), "{e}");
}

#[test]
fn replayed_reading_is_detected_and_refused() {
    let r = run(3, &[(HOUR_MS + 7 * MIN, Fault::Replay)]);
    detected(&r, &FindingKind::Replay, Fault::Replay);
    let mut reg = Registry::new(r.dep.anchors()).unwrap();
    let (idx, _) = r.faulty[0];
    let mut refused = None;
    for (i, e) in r.log.entries.iter().enumerate() {
        match reg.admit(e) {
            Ok(_) => {}
            Err(err) => {
                assert_eq!(i as u64, idx);
                refused = Some(err);
            }
        }
    }
    assert!(matches!(refused, Some(Error::Replay(_))), "{refused:?}");
}

#[test]
fn withheld_data_is_detected() {
    let r = run(3, &[(HOUR_MS + 7 * MIN, Fault::Gap)]);
    let v = detected(&r, &FindingKind::Gap, Fault::Gap);
    // Every entry up to the gap is in the bundle: no reading of the sensor was left out.
    assert_eq!((v.complete.from, v.complete.to), (0, v.finding.index + 1));
    // Availability also drops below 99.5 % for that silo.
    assert!(
        r.kinds().contains(&"rule:telemetry-availability".to_owned()),
        "{:?}",
        r.kinds()
    );
}

#[test]
fn clock_tampering_is_detected() {
    let r = run(3, &[(HOUR_MS + 7 * MIN, Fault::ClockJump)]);
    detected(&r, &FindingKind::ClockBackwards, Fault::ClockJump);
}

#[test]
fn over_collection_is_detected_and_refused() {
    let r = run(3, &[(HOUR_MS + 7 * MIN, Fault::OverCollection)]);
    detected(&r, &FindingKind::OverCollection, Fault::OverCollection);
    let (idx, _) = r.faulty[0];
    let mut reg = Registry::new(r.dep.anchors()).unwrap();
    reg.admit(&r.dep.roster_entry).unwrap();
    assert!(matches!(
        reg.check(&r.log.entries[idx as usize]),
        Err(Error::Schema(_))
    ));
}

/// A monitor that has followed `r`'s log; the source serving it.
fn following(r: &common::Run) -> (Monitor, MemSource) {
    let mut m = Monitor::new(
        r.trust(),
        MonitorConfig {
            clock: Clock::Log,
            ..MonitorConfig::default()
        },
    )
    .unwrap();
    let mut src = MemSource::new(r.log.with_entries(&r.log.entries), 2_000_000_000);
    let p = m.poll(&mut src, 0).unwrap();
    assert!(p.available && p.alerts.is_empty(), "{:?}", p.error);
    (m, src)
}

/// The one log-misbehaviour alert of a poll.
fn log_alert(m: &mut Monitor, src: &mut MemSource) -> LogEvidence {
    let p = m.poll(src, 1).unwrap();
    match p.alerts.as_slice() {
        [Alert::Log(ev)] => (**ev).clone(),
        other => panic!("{:?}", other.iter().map(Alert::name).collect::<Vec<_>>()),
    }
}

#[test]
fn rewritten_history_is_detected_with_self_contained_evidence() {
    let r = run(1, &[]);
    let (mut m, mut src) = following(&r);
    // The operator rebuilds the log with entry 5 replaced (same key, so the note verifies) and
    // appends more.
    let mut forged = r.log.entries.clone();
    forged[5] = b"rewritten".to_vec();
    forged.push(b"more".to_vec());
    src.log = r.log.with_entries(&forged);
    let ev = log_alert(&mut m, &mut src);
    assert_eq!(ev.kind, Misbehaviour::RewrittenHistory);
    assert_eq!(ev.entries.as_ref().unwrap()[0].index, 5);
    verify_log_evidence(&ev, r.log.signer.verifier_key()).unwrap();
    // Evidence with two identical entries proves nothing.
    let mut weak = ev.clone();
    if let Some([a, b]) = weak.entries.as_mut() {
        *b = a.clone();
        b.proof = a.proof.clone();
    }
    assert!(verify_log_evidence(&weak, r.log.signer.verifier_key()).is_err());
}

#[test]
fn split_view_is_detected_with_self_contained_evidence() {
    let r = run(1, &[]);
    let (mut m, mut src) = following(&r);
    // Another view of the same size: the last entry differs.
    let mut other = r.log.entries.clone();
    let n = other.len();
    other[n - 1] = b"other view".to_vec();
    src.log = r.log.with_entries(&other);
    let ev = log_alert(&mut m, &mut src);
    assert_eq!(ev.kind, Misbehaviour::SplitView);
    verify_log_evidence(&ev, r.log.signer.verifier_key()).unwrap();
    // The same checkpoint twice is not a split view.
    let mut same = ev.clone();
    same.checkpoints[1] = same.checkpoints[0].clone();
    assert!(verify_log_evidence(&same, r.log.signer.verifier_key()).is_err());
}

#[test]
fn false_accusations_are_rejected() {
    // 09:07 UTC, inside the notified radiation window.
    let r = run(10, &[(9 * HOUR_MS + 7 * MIN, Fault::RadarOutsideSector)]);
    let v = detected(
        &r,
        &FindingKind::Rule("radar-sector".into()),
        Fault::RadarOutsideSector,
    );
    assert_eq!(v.unproven, None);
    let n = r
        .findings
        .iter()
        .position(|(f, _, _)| f.kind == FindingKind::Rule("radar-sector".into()))
        .unwrap();
    let good = r.evidence(n);
    let trust = r.trust();

    // 1. Accusing a compliant reading (the radar's previous, in-sector one).
    let mut bad = good.clone();
    let prev = bad.finding.context.iter().copied().max().unwrap();
    bad.finding.index = prev;
    assert!(
        evidence::verify(&bad, &trust).is_err(),
        "compliant reading accused"
    );

    // 2. A doctored statement: flip one byte of the accused entry.
    let mut bad = good.clone();
    let last = bad.entries.last_mut().unwrap();
    let mut bytes = BASE64_STANDARD.decode(&last.entry).unwrap();
    bytes[20] ^= 1;
    last.entry = BASE64_STANDARD.encode(bytes);
    assert!(evidence::verify(&bad, &trust).is_err(), "doctored entry accepted");

    // 3. A rule the parties never agreed.
    let mut bad = good.clone();
    if let Some(rule) = bad.rule.as_mut() {
        rule.require = "false".into();
    }
    assert!(evidence::verify(&bad, &trust).is_err(), "made-up rule accepted");

    // 4. Without the roster, the statement's key cannot be shown to be registered.
    let mut bad = good.clone();
    bad.entries.remove(0);
    assert!(
        evidence::verify(&bad, &trust).is_err(),
        "unauthorised key accepted"
    );

    // 5. A checkpoint no witness cosigned.
    let mut bad = good.clone();
    let cut = bad.checkpoint.find("\n\n").unwrap() + 2;
    let log_line = bad.checkpoint[cut..].lines().next().unwrap().to_owned();
    bad.checkpoint = format!("{}{log_line}\n", &bad.checkpoint[..cut]);
    assert!(
        evidence::verify(&bad, &trust).is_err(),
        "uncosigned checkpoint accepted"
    );

    // 6. A different finding kind on the right entry.
    let mut bad = good.clone();
    bad.finding.kind = FindingKind::Rule("radar-windows".into());
    bad.rule = r.rules.get("radar-windows").map(|x| x.text.clone());
    assert!(evidence::verify(&bad, &trust).is_err(), "wrong rule accepted");

    // And the genuine one still verifies.
    evidence::verify(&good, &trust).unwrap();
}

#[test]
fn three_injected_violations_give_exactly_three_verified_alerts() {
    let r = run(
        24,
        &[
            (9 * HOUR_MS + 2 * MIN, Fault::RadarOutsideSector),
            (13 * HOUR_MS + 2 * MIN, Fault::TamperOutsideMaintenance),
            (17 * HOUR_MS + 2 * MIN, Fault::ExtraInterceptor),
        ],
    );
    let mut kinds = r.kinds();
    kinds.sort();
    assert_eq!(
        kinds,
        vec![
            "rule:max-interceptors",
            "rule:radar-sector",
            "rule:tamper-maintenance"
        ],
        "{:#?}",
        r.findings
    );
    for n in 0..r.findings.len() {
        evidence::verify(&r.evidence(n), &r.trust()).unwrap();
    }
}
