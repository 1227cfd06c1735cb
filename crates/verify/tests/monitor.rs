//! The monitor in-process (`verify::monitor`), following a log served from memory: every alert
//! kind it raises gives evidence that `evidence::verify` (or `verify_log_evidence`) accepts, and
//! a tampered copy of each is refused; a log that rolls back, forks, serves entries that do not
//! hash to its root, or goes away is alerted on, and the monitor keeps following.

mod common;

use std::collections::BTreeSet;

use common::{Log, MemSource, START};
use tlog::tiles::TILE_WIDTH;
use verify::engine::FindingKind;
use verify::evidence::{self, Clock, Evidence, Trust};
use verify::logwatch::{LogEvidence, Misbehaviour, verify_log_evidence};
use verify::monitor::{Alert, Backoff, FETCH_AHEAD, Monitor, MonitorConfig, SourceErrorKind};
use verify::sim::{self, Deployment, Fault, HOUR_MS};
use verify::statement::Statement;

const MIN: i64 = 60_000;

/// A simulated deployment logged in full, with the sizes at which the log publishes a
/// checkpoint (every `cadence_ms` of simulated time) and each one's cosignature time.
struct Day {
    dep: Deployment,
    full: Log,
    stages: Vec<(usize, u64)>,
}

fn day(hours: i64, faults: &[(i64, Fault)], cadence_ms: i64) -> Day {
    day_from(START, hours, faults, cadence_ms)
}

/// As [`day`], starting at `start_ms` (fault times are counted from it).
fn day_from(start_ms: i64, hours: i64, faults: &[(i64, Fault)], cadence_ms: i64) -> Day {
    let mut cfg = common::config(hours, faults);
    cfg.start_ms = start_ms;
    let dep = Deployment::new(&cfg).unwrap();
    let mut full = Log::new();
    full.append(dep.roster_entry.clone());
    let mut stages = Vec::new();
    let mut next = start_ms + cadence_ms;
    let mut last_t = start_ms;
    for ev in sim::simulate(&dep, &cfg).unwrap() {
        if ev.time_ms > next {
            stages.push((full.entries.len(), (next / 1000 + 5) as u64));
            next += cadence_ms;
        }
        last_t = ev.time_ms;
        full.append(ev.entry);
    }
    stages.push((full.entries.len(), (last_t / 1000 + 5) as u64));
    Day { dep, full, stages }
}

/// The cosignature time of the day's last checkpoint, Unix s.
fn end_s(d: &Day) -> u64 {
    d.stages.last().unwrap().1
}

fn trust(d: &Day) -> Trust {
    Trust {
        log_key: d.full.signer.verifier_key().to_owned(),
        witness_keys: vec![d.full.witness.verifier_key()],
        min_cosignatures: 1,
        anchors: d.dep.anchors(),
        rules: std::sync::Arc::new(verify::rules::builtin_or_path("europe-2008").unwrap()),
    }
}

fn config(clock: Clock) -> MonitorConfig {
    MonitorConfig {
        clock,
        unavailable_after_ms: 10 * MIN,
    }
}

/// Follows `d` stage by stage; returns every alert.
fn follow(d: &Day, m: &mut Monitor) -> Vec<Alert> {
    let mut src = MemSource::new(d.full.with_entries(&[]), 0);
    let mut alerts = Vec::new();
    for &(k, cosign_s) in &d.stages {
        src.log = d.full.with_entries(&d.full.entries[..k]);
        src.cosign_s = cosign_s;
        let p = m.poll(&mut src, cosign_s as i64 * 1000).unwrap();
        assert!(p.available, "{:?}", p.error);
        alerts.extend(p.alerts);
    }
    alerts
}

/// The last statement of `sensor` in `log`.
fn last_statement(log: &Log, sensor: &str) -> Statement {
    log.entries
        .iter()
        .rev()
        .filter_map(|e| {
            let (t, _) = verify::keys::peek_note(e).ok()?;
            Statement::from_text(&t).ok()
        })
        .find(|s| s.sensor == sensor)
        .unwrap()
}

/// Tampered copies of a finding's evidence: each must be refused.
fn tamperings(ev: &Evidence) -> Vec<(&'static str, Evidence)> {
    let mut out = Vec::new();
    let mut t = ev.clone();
    t.finding.summary = "radar fired an interceptor at Moscow".into();
    out.push(("summary", t));
    let mut t = ev.clone();
    t.finding.sensor = Some("brdy-radar-2".into());
    out.push(("sensor", t));
    let mut t = ev.clone();
    t.finding.context = if ev.finding.context.is_empty() {
        vec![0]
    } else {
        Vec::new()
    };
    out.push(("context", t));
    if ev.entries.len() > 2 {
        let mut t = ev.clone();
        t.entries.remove(1);
        out.push(("an entry of the complete range left out", t));
        let mut t = ev.clone();
        t.complete.from = 1;
        t.entries.remove(0);
        out.push(("a shorter complete range", t));
    }
    out
}

fn check_finding_alerts(alerts: &[Alert], trust: &Trust) -> BTreeSet<String> {
    let mut kinds = BTreeSet::new();
    for a in alerts {
        let Alert::Finding(ev) = a else { continue };
        let v = evidence::verify(ev, trust)
            .unwrap_or_else(|e| panic!("the monitor's {} evidence does not verify: {e}", a.name()));
        assert_eq!(v.finding, ev.finding);
        assert_eq!(v.complete, ev.complete);
        // The bundle is what `verify evidence` reads: through JSON and back.
        let text = serde_json::to_string(ev.as_ref()).unwrap();
        let back: Evidence = serde_json::from_str(&text).unwrap();
        evidence::verify(&back, trust).unwrap();
        for (what, t) in tamperings(ev) {
            assert!(
                evidence::verify(&t, trust).is_err(),
                "{}: a copy with a tampered {what} verifies",
                a.name()
            );
        }
        kinds.insert(a.name());
    }
    kinds
}

#[test]
fn every_finding_the_monitor_raises_verifies_offline_and_a_tampered_copy_does_not() {
    let faults = [
        (HOUR_MS + 7 * MIN, Fault::RadarOutsideSector),
        (17 * MIN, Fault::RadarOutsideWindow),
        (HOUR_MS + 27 * MIN, Fault::ExtraInterceptor),
        (HOUR_MS + 37 * MIN, Fault::TamperOutsideMaintenance),
        (HOUR_MS + 47 * MIN, Fault::Gap),
        (2 * HOUR_MS + 7 * MIN, Fault::Replay),
        (2 * HOUR_MS + 17 * MIN, Fault::ForgedSignature),
        (2 * HOUR_MS + 27 * MIN, Fault::ClockJump),
        (2 * HOUR_MS + 37 * MIN, Fault::OverCollection),
    ];
    // From 05:00 UTC: the radar radiates (inside its notified window) from 06:00.
    let mut d = day_from(START + 5 * HOUR_MS, 3, &faults, HOUR_MS);
    // One more reading, dated two hours ahead with its clock-integrity flag down.
    let mut st = last_statement(&d.full, "redzikowo-silo-06");
    st.seq += 1;
    st.time_ms += 2 * HOUR_MS;
    st.clock_ok = false;
    let e = st.sign(&d.dep.keys["redzikowo-silo-06"]).unwrap();
    d.full.append(e);
    let last = d.stages.last().unwrap().1;
    d.stages.push((d.full.entries.len(), last + 60));

    let trust = trust(&d);
    let mut m = Monitor::new(trust_copy(&trust), config(Clock::Witness)).unwrap();
    let alerts = follow(&d, &mut m);
    let kinds = check_finding_alerts(&alerts, &trust);
    for want in [
        "rule:radar-sector",
        "rule:radar-windows",
        "rule:max-interceptors",
        "rule:tamper-maintenance",
        "rule:telemetry-availability",
        "rule:witness-cosign",
        "gap",
        "replay",
        "forged",
        "clock_backwards",
        "over_collection",
        "clock_ahead",
        "clock_integrity",
    ] {
        assert!(kinds.contains(want), "no {want} alert among {kinds:?}");
    }
    // The witness-cosign finding says what the log cannot prove.
    let cosign = alerts
        .iter()
        .find_map(|a| match a {
            Alert::Finding(ev) if ev.finding.kind == FindingKind::Rule("witness-cosign".into()) => Some(ev),
            _ => None,
        })
        .unwrap();
    assert!(cosign.previous_checkpoint.is_some());
    assert!(evidence::verify(cosign, &trust).unwrap().unproven.is_some());
    let mut t = (**cosign).clone();
    t.previous_checkpoint = None;
    assert!(
        evidence::verify(&t, &trust).is_err(),
        "dropping the previous checkpoint"
    );
}

#[test]
fn judged_by_the_logs_clock_checkpoint_findings_verify_too() {
    // What `monitor --clock log` does over a compressed simulation (the README's walkthrough):
    // withheld readings make telemetry availability fail at the checkpoint.
    let d = day(3, &[(HOUR_MS + 7 * MIN, Fault::Gap)], 20 * MIN);
    let trust = trust(&d);
    let mut m = Monitor::new(trust_copy(&trust), config(Clock::Log)).unwrap();
    let alerts = follow(&d, &mut m);
    let kinds = check_finding_alerts(&alerts, &trust);
    assert!(kinds.contains("rule:telemetry-availability"), "{kinds:?}");
    assert!(kinds.contains("gap"), "{kinds:?}");
}

fn trust_copy(t: &Trust) -> Trust {
    Trust {
        log_key: t.log_key.clone(),
        witness_keys: t.witness_keys.clone(),
        min_cosignatures: t.min_cosignatures,
        anchors: t.anchors.clone(),
        rules: std::sync::Arc::clone(&t.rules),
    }
}

fn log_evidence(alerts: &[Alert]) -> Vec<LogEvidence> {
    alerts
        .iter()
        .filter_map(|a| match a {
            Alert::Log(ev) => Some((**ev).clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_rolled_back_log_is_alerted_with_the_lost_entries_and_its_fork_proven() {
    let d = day(1, &[], HOUR_MS);
    let trust = trust(&d);
    let key = trust.log_key.clone();
    let mut m = Monitor::new(trust_copy(&trust), config(Clock::Witness)).unwrap();
    let n = d.full.entries.len();
    let mut src = MemSource::new(d.full.with_entries(&d.full.entries), end_s(&d));
    let p = m.poll(&mut src, 0).unwrap();
    assert!(
        p.available && p.alerts.is_empty(),
        "{:?}",
        p.alerts.iter().map(Alert::name).collect::<Vec<_>>()
    );

    // The operator restores an older copy: the log signs the smaller tree (no witness will
    // cosign it).
    let k = n - 20;
    src.log = d.full.with_entries(&d.full.entries[..k]);
    src.uncosigned = true;
    let p = m.poll(&mut src, 1_000).unwrap();
    let evs = log_evidence(&p.alerts);
    assert_eq!(
        evs.len(),
        1,
        "{:?}",
        p.alerts.iter().map(Alert::name).collect::<Vec<_>>()
    );
    let rb = &evs[0];
    assert_eq!(rb.kind, Misbehaviour::Rollback);
    assert_eq!(rb.lost.map(|r| (r.from, r.to)), Some((k as u64, n as u64)));
    verify_log_evidence(rb, &key).unwrap();
    let mut t = rb.clone();
    t.lost = Some(evidence::Range { from: 0, to: 1 });
    assert!(verify_log_evidence(&t, &key).is_err(), "a made-up lost range");
    let mut t = rb.clone();
    t.checkpoints.swap(0, 1);
    assert!(verify_log_evidence(&t, &key).is_err(), "the order reversed");
    // Seen again, it is not reported again.
    assert!(m.poll(&mut src, 2_000).unwrap().alerts.is_empty());

    // It then carries on with other entries past the old size: a fork, proven by one index
    // holding two entries.
    let mut forked: Vec<Vec<u8>> = d.full.entries[..k].to_vec();
    for i in 0..30 {
        forked.push(format!("another history {i}").into_bytes());
    }
    src.log = d.full.with_entries(&forked);
    src.uncosigned = false;
    let p = m.poll(&mut src, 3_000).unwrap();
    let evs = log_evidence(&p.alerts);
    assert_eq!(
        evs.len(),
        1,
        "{:?}",
        p.alerts.iter().map(Alert::name).collect::<Vec<_>>()
    );
    assert_eq!(evs[0].kind, Misbehaviour::RewrittenHistory);
    verify_log_evidence(&evs[0], &key).unwrap();
    assert_eq!(evs[0].entries.as_ref().unwrap()[0].index, k as u64);
    let mut t = evs[0].clone();
    if let Some([a, b]) = t.entries.as_mut() {
        b.entry = a.entry.clone();
    }
    assert!(verify_log_evidence(&t, &key).is_err(), "two equal entries");
    // The monitor stays on the history it verified.
    assert_eq!(m.latest().unwrap().size, n as u64);
}

#[test]
fn a_smaller_tree_that_is_not_a_prefix_is_a_fork() {
    let d = day(1, &[], HOUR_MS);
    let trust = trust(&d);
    let key = trust.log_key.clone();
    let mut m = Monitor::new(trust, config(Clock::Witness)).unwrap();
    let mut src = MemSource::new(d.full.with_entries(&d.full.entries), end_s(&d));
    m.poll(&mut src, 0).unwrap();
    let mut other = d.full.entries[..50].to_vec();
    other[10] = b"rewritten".to_vec();
    src.log = d.full.with_entries(&other);
    let evs = log_evidence(&m.poll(&mut src, 1).unwrap().alerts);
    assert_eq!(evs.len(), 1);
    assert_eq!(evs[0].kind, Misbehaviour::RewrittenHistory);
    verify_log_evidence(&evs[0], &key).unwrap();
}

#[test]
fn a_split_view_is_proven_by_the_two_checkpoints() {
    let d = day(1, &[], HOUR_MS);
    let trust = trust(&d);
    let key = trust.log_key.clone();
    let mut m = Monitor::new(trust, config(Clock::Witness)).unwrap();
    let mut src = MemSource::new(d.full.with_entries(&d.full.entries), end_s(&d));
    m.poll(&mut src, 0).unwrap();
    let mut other = d.full.entries.clone();
    let last = other.len() - 1;
    other[last] = b"other view".to_vec();
    let view = d.full.with_entries(&other);
    // Served by the log itself…
    let mut forked = MemSource::new(d.full.with_entries(&other), end_s(&d) + 1);
    let evs = log_evidence(&m.poll(&mut forked, 1).unwrap().alerts);
    assert_eq!(evs.len(), 1);
    assert_eq!(evs[0].kind, Misbehaviour::SplitView);
    verify_log_evidence(&evs[0], &key).unwrap();
    // …or shown to a peer.
    let mut m2 = Monitor::new(trust_copy_from(&d), config(Clock::Witness)).unwrap();
    m2.poll(&mut src, 0).unwrap();
    let alerts = m2.compare_peer(&mut src, &view.uncosigned_checkpoint()).unwrap();
    let evs = log_evidence(&alerts);
    assert_eq!(evs.len(), 1);
    verify_log_evidence(&evs[0], &key).unwrap();
    let mut t = evs[0].clone();
    t.checkpoints[1] = t.checkpoints[0].clone();
    assert!(verify_log_evidence(&t, &key).is_err(), "one checkpoint twice");
}

fn trust_copy_from(d: &Day) -> Trust {
    trust(d)
}

#[test]
fn entries_that_do_not_hash_to_the_signed_root_are_not_followed() {
    let d = day(1, &[], HOUR_MS);
    let mut m = Monitor::new(trust(&d), config(Clock::Witness)).unwrap();
    let mut src = MemSource::new(d.full.with_entries(&d.full.entries), end_s(&d));
    src.swap_entry = Some((7, b"not what was signed".to_vec()));
    let p = m.poll(&mut src, 0).unwrap();
    assert!(!p.available);
    assert_eq!(p.error.unwrap().kind, SourceErrorKind::Malformed);
    assert!(m.latest().is_none());
    assert_eq!(m.entries_checked(), 0);
    src.swap_entry = None;
    let p = m.poll(&mut src, 1).unwrap();
    assert!(p.available);
    assert_eq!(m.entries_checked(), d.full.size());
}

/// The first catch-up runs the engine while the entries are still being fetched, before their
/// root is checked: entries that turn out not to be the signed ones must leave nothing behind
/// in it, so that the next, honest, poll reports exactly what a fresh monitor reports.
#[test]
fn a_first_catch_up_on_entries_not_signed_leaves_no_trace_in_the_findings() {
    let d = day(2, &[(30 * MIN, Fault::ExtraInterceptor)], HOUR_MS);
    let honest = MemSource::new(d.full.with_entries(&d.full.entries), end_s(&d));
    let mut fresh = Monitor::new(trust(&d), config(Clock::Witness)).unwrap();
    let expected = fresh
        .poll(
            &mut MemSource::new(d.full.with_entries(&d.full.entries), end_s(&d)),
            0,
        )
        .unwrap();
    assert!(expected.available && !expected.alerts.is_empty(), "{expected:?}");

    let mut m = Monitor::new(trust(&d), config(Clock::Witness)).unwrap();
    // Entry 9 served twice (at 9 and 10): a replay, then readings out of order, for the engine.
    let mut lying = MemSource::new(d.full.with_entries(&d.full.entries), end_s(&d));
    lying.swap_entry = Some((10, d.full.entries[9].clone()));
    let p = m.poll(&mut lying, 0).unwrap();
    assert!(!p.available && p.alerts.is_empty(), "{p:?}");
    assert_eq!(m.entries_checked(), 0);
    let mut src = honest;
    let p = m.poll(&mut src, 1).unwrap();
    assert!(p.available, "{:?}", p.error);
    assert_eq!(p.alerts, expected.alerts);
}

/// An hour of readings every 2 s from every sensor (some 21 000 entries), with `faults`: a first
/// catch-up of it spans several fetch groups of [`FETCH_AHEAD`] bundles and many replay chunks,
/// so the engine has run through the first groups before the last is fetched and the root is
/// checked.
fn long_day(faults: &[(i64, Fault)]) -> Day {
    let mut cfg = common::config(1, faults);
    cfg.period_ms = 2_000;
    let dep = Deployment::new(&cfg).unwrap();
    let mut full = Log::new();
    full.append(dep.roster_entry.clone());
    let mut last_t = START;
    for ev in sim::simulate(&dep, &cfg).unwrap() {
        last_t = ev.time_ms;
        full.append(ev.entry);
    }
    let groups = full.size().div_ceil(FETCH_AHEAD * u64::from(TILE_WIDTH));
    assert!(groups >= 3, "{} entries: {groups} fetch groups", full.size());
    let size = full.entries.len();
    Day {
        dep,
        full,
        stages: vec![(size, (last_t / 1000 + 5) as u64)],
    }
}

/// The alerts of a fresh monitor catching up the whole of `d` at once, honestly served.
fn caught_up_honestly(d: &Day) -> Vec<Alert> {
    let mut m = Monitor::new(trust(d), config(Clock::Witness)).unwrap();
    let p = m
        .poll(
            &mut MemSource::new(d.full.with_entries(&d.full.entries), end_s(d)),
            0,
        )
        .unwrap();
    assert!(p.available, "{:?}", p.error);
    assert_eq!(m.entries_checked(), d.full.size());
    p.alerts
}

/// A fault early in the hour, in the first fetch group, whose alert a wrongly finished
/// catch-up would report.
const EARLY: [(i64, Fault); 1] = [(5 * MIN, Fault::ExtraInterceptor)];

/// The index of an entry in the last fetch group of `d`, well after the first.
fn late_index(d: &Day) -> u64 {
    let group = FETCH_AHEAD * u64::from(TILE_WIDTH);
    (d.full.size() - 1) / group * group + 100
}

/// Asserts that a poll was refused as `kind` and left the monitor as it was before its first
/// poll: nothing reported, nothing checked, no checkpoint taken as verified.
fn refused(p: &verify::monitor::Polled, m: &Monitor, kind: SourceErrorKind) {
    assert!(!p.available, "{p:?}");
    assert_eq!(p.error.as_ref().map(|e| e.kind), Some(kind), "{p:?}");
    assert!(p.alerts.is_empty(), "{:?}", p.alerts);
    assert!(m.latest().is_none());
    assert_eq!(m.entries_checked(), 0);
}

/// A log operator serving, late in a long first catch-up, a bundle whose entries are not the
/// ones the signed root commits to: the catch-up is refused as malformed, nothing it read is
/// reported or kept, and the next, honest, poll reports what a fresh monitor reports.
#[test]
fn a_late_bundle_that_does_not_match_the_tree_fails_the_first_catch_up() {
    let d = long_day(&EARLY);
    let expected = caught_up_honestly(&d);
    assert!(!expected.is_empty());
    let mut m = Monitor::new(trust(&d), config(Clock::Witness)).unwrap();
    let mut src = MemSource::new(d.full.with_entries(&d.full.entries), end_s(&d));
    src.swap_entry = Some((late_index(&d), b"not what was signed".to_vec()));
    let p = m.poll(&mut src, 0).unwrap();
    refused(&p, &m, SourceErrorKind::Malformed);
    src.swap_entry = None;
    let p = m.poll(&mut src, 1).unwrap();
    assert!(p.available, "{:?}", p.error);
    assert_eq!(m.entries_checked(), d.full.size());
    assert_eq!(p.alerts, expected);
}

/// The engine runs ahead of the root check: when the bundle that breaks the root holds entries
/// the engine finds faults in (a statement served again in place of the next one), neither
/// those findings nor the honest stretch's before them are reported, and the engine that saw
/// them is not the one that judges the honest log next.
#[test]
fn findings_of_a_stretch_whose_root_does_not_match_are_dropped() {
    let d = long_day(&EARLY);
    let expected = caught_up_honestly(&d);
    let at = late_index(&d);
    let mut lying_entries = d.full.entries.clone();
    lying_entries[at as usize] = lying_entries[at as usize - 1].clone();
    // The lying stretch has findings of its own: a log that had signed it would be alerted on.
    let mut lying_day = long_day(&EARLY);
    lying_day.full = d.full.with_entries(&lying_entries);
    let lies = caught_up_honestly(&lying_day);
    assert!(
        lies.len() > expected.len(),
        "{} vs {}",
        lies.len(),
        expected.len()
    );

    let mut m = Monitor::new(trust(&d), config(Clock::Witness)).unwrap();
    let mut src = MemSource::new(d.full.with_entries(&d.full.entries), end_s(&d));
    src.swap_entry = Some((at, lying_entries[at as usize].clone()));
    let p = m.poll(&mut src, 0).unwrap();
    refused(&p, &m, SourceErrorKind::Malformed);
    src.swap_entry = None;
    let p = m.poll(&mut src, 1).unwrap();
    assert!(p.available, "{:?}", p.error);
    assert_eq!(p.alerts, expected);
}

/// A bundle that cannot be read in the middle of a long first catch-up (after the engine has
/// seen the groups before it): the poll fails with the fetch's own error, never as caught up,
/// and the next poll catches up from nothing.
#[test]
fn a_fetch_error_mid_way_through_the_first_catch_up_is_an_error() {
    let d = long_day(&EARLY);
    let expected = caught_up_honestly(&d);
    let mut m = Monitor::new(trust(&d), config(Clock::Witness)).unwrap();
    let mut src = MemSource::new(d.full.with_entries(&d.full.entries), end_s(&d));
    let bundle = late_index(&d) / u64::from(TILE_WIDTH);
    src.fail_bundle = Some((bundle, SourceErrorKind::Status(503)));
    let p = m.poll(&mut src, 0).unwrap();
    refused(&p, &m, SourceErrorKind::Status(503));
    src.fail_bundle = None;
    let p = m.poll(&mut src, 1).unwrap();
    assert!(p.available, "{:?}", p.error);
    assert_eq!(m.entries_checked(), d.full.size());
    assert_eq!(p.alerts, expected);
}

#[test]
fn a_log_that_goes_away_is_alerted_once_past_the_configured_time_and_followed_when_back() {
    let d = day(2, &[], HOUR_MS);
    let half = d.full.entries.len() / 2;
    let mut m = Monitor::new(trust(&d), config(Clock::Witness)).unwrap();
    let mut src = MemSource::new(d.full.with_entries(&d.full.entries[..half]), end_s(&d));
    assert!(m.poll(&mut src, 0).unwrap().available);

    for kind in [SourceErrorKind::Unreachable, SourceErrorKind::Status(503)] {
        src.down = Some(kind);
        let t0 = 1_000_000;
        let p = m.poll(&mut src, t0).unwrap();
        assert!(!p.available && p.alerts.is_empty(), "{p:?}");
        let p = m.poll(&mut src, t0 + 10 * MIN - 1).unwrap();
        assert!(p.alerts.is_empty(), "alerted before the configured time: {p:?}");
        let p = m.poll(&mut src, t0 + 10 * MIN).unwrap();
        match p.alerts.as_slice() {
            [
                Alert::Unavailable {
                    since_ms,
                    for_ms,
                    error,
                },
            ] => {
                assert_eq!((*since_ms, *for_ms), (t0, 10 * MIN));
                assert_eq!(error.kind, kind);
            }
            other => panic!("{other:?}"),
        }
        // One alert per outage.
        assert!(m.poll(&mut src, t0 + 60 * MIN).unwrap().alerts.is_empty());
        src.down = None;
        assert!(m.poll(&mut src, t0 + 61 * MIN).unwrap().available);
    }
    // A checkpoint no witness cosigned is not followed, and counts as unavailability.
    src.log = d.full.with_entries(&d.full.entries);
    src.uncosigned = true;
    let p = m.poll(&mut src, 5_000_000).unwrap();
    assert!(!p.available);
    assert_eq!(m.entries_checked(), half as u64);
    let p = m.poll(&mut src, 5_000_000 + 10 * MIN).unwrap();
    assert!(
        matches!(p.alerts.as_slice(), [Alert::Unavailable { .. }]),
        "{p:?}"
    );
    // Back: the monitor catches up on everything.
    src.uncosigned = false;
    assert!(m.poll(&mut src, 6_000_000).unwrap().available);
    assert_eq!(m.entries_checked(), d.full.size());
}

#[test]
fn backoff_doubles_to_its_cap_and_resets() {
    let mut b = Backoff::new(5_000, 60_000);
    let d: Vec<u64> = (0..6).map(|_| b.next_delay_ms()).collect();
    assert_eq!(d, vec![5_000, 10_000, 20_000, 40_000, 60_000, 60_000]);
    b.reset();
    assert_eq!(b.next_delay_ms(), 5_000);
}

/// Roster `prev` (logged as `prev_entry`) with `edit` applied to its keys, as its next version
/// signed by the deployment's authorities.
fn next_roster(
    dep: &Deployment,
    prev: &verify::roster::Roster,
    prev_entry: &[u8],
    edit: impl FnOnce(&mut Vec<verify::roster::KeyRecord>),
) -> (verify::roster::Roster, Vec<u8>) {
    let mut keys = prev.keys.clone();
    edit(&mut keys);
    let r = verify::roster::Roster {
        version: prev.version + 1,
        previous: verify::roster::entry_hash(prev_entry),
        issued_ms: prev.issued_ms + 1,
        keys,
        ..prev.clone()
    };
    let auth: Vec<&verify::Key> = dep.authorities.iter().collect();
    let entry = r.sign(&auth).unwrap();
    (r, entry)
}

/// A first catch-up runs the engine on its own thread with signatures checked ahead for the
/// roster the producer expects. Across what changes that expectation — statements logged before
/// any roster, a roster version that revokes a sensor's key in the middle of a replay chunk of
/// a later fetch group, and one that registers a new key in a third group — its findings are
/// those of the engine fed the entries one at a time, as are a monitor's that follows the log
/// in stages (whose later polls take the other catch-up path).
#[test]
fn a_first_catch_up_across_roster_changes_finds_what_the_engine_finds_entry_by_entry() {
    let mut cfg = common::config(1, &[]);
    cfg.period_ms = 1_000;
    let dep = Deployment::new(&cfg).unwrap();
    let simulated = sim::simulate(&dep, &cfg).unwrap();
    let end_s = u64::try_from(simulated.last().unwrap().time_ms / 1000 + 5).unwrap();
    let events: Vec<Vec<u8>> = simulated.into_iter().map(|e| e.entry).collect();
    let group = usize::try_from(FETCH_AHEAD * u64::from(TILE_WIDTH)).unwrap();
    assert!(events.len() > 3 * group, "{} statements", events.len());
    let silo3 = sim::silo_sensor(&cfg.silo_site, 3);

    let mut entries: Vec<Vec<u8>> = Vec::new();
    // Two readings logged before the roster: no key is known yet.
    entries.extend(events[..2].iter().cloned());
    entries.push(dep.roster_entry.clone());
    let revoke_at = group + 1_000 + 333;
    let add_at = 2 * group + 77;
    let mut roster = dep.roster.clone();
    let mut roster_entry = dep.roster_entry.clone();
    let mut refused_silo3 = 0;
    for (i, e) in events.iter().enumerate().skip(2) {
        if entries.len() == revoke_at {
            let (r, entry) = next_roster(&dep, &roster, &roster_entry, |keys| {
                for k in keys.iter_mut().filter(|k| k.name == silo3) {
                    k.revoked = true;
                }
            });
            (roster, roster_entry) = (r, entry.clone());
            entries.push(entry);
        }
        if entries.len() == add_at {
            // The sensor's replacement key (its readings here stay signed by the old one).
            let new = verify::Key::generate(&silo3).unwrap();
            let (r, entry) = next_roster(&dep, &roster, &roster_entry, |keys| {
                let mut record = keys.iter().find(|k| k.name == silo3).unwrap().clone();
                record.vkey = new.vkey().into();
                record.revoked = false;
                keys.push(record);
            });
            (roster, roster_entry) = (r, entry.clone());
            entries.push(entry);
        }
        // After the revocation, only a few of the sensor's readings are logged (each refused
        // reading is a finding with its own evidence).
        let by_silo3 = e.windows(silo3.len()).any(|w| w == silo3.as_bytes());
        if entries.len() > revoke_at && by_silo3 {
            refused_silo3 += 1;
            if refused_silo3 > 20 {
                continue;
            }
        }
        entries.push(e.clone());
        if i > 3 * group {
            break;
        }
    }
    let mut full = Log::new();
    for e in &entries {
        full.append(e.clone());
    }
    let size = full.size();

    // The engine, one entry at a time, then the checkpoint at the cosignature time.
    let rules = trust_copy_from_log(&dep, &full).rules;
    let mut engine = verify::engine::Engine::new(
        verify::roster::Registry::new(dep.anchors()).unwrap(),
        std::sync::Arc::clone(&rules),
    );
    let mut expected = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        expected.extend(engine.entry(i as u64, e));
    }
    expected.extend(engine.checkpoint(size, end_s as i64 * 1000));
    let kinds: BTreeSet<String> = expected.iter().map(|f| f.kind.name()).collect();
    // The test means something: readings before the roster and the revoked key's are refused.
    let before_roster = expected.iter().filter(|f| f.index < 2).count();
    let revoked = expected
        .iter()
        .filter(|f| {
            f.index > revoke_at as u64 && f.kind == FindingKind::Forged && f.summary.contains("revoked")
        })
        .count();
    assert_eq!(before_roster, 2, "{kinds:?}");
    assert_eq!(
        revoked, 20,
        "{revoked} readings of {silo3} refused after its key was revoked"
    );

    let findings = |alerts: Vec<Alert>| -> Vec<verify::engine::Finding> {
        alerts
            .into_iter()
            .map(|a| match a {
                Alert::Finding(ev) => ev.finding,
                other => panic!("not a finding: {other:?}"),
            })
            .collect()
    };
    let mut once = Monitor::new(trust_copy_from_log(&dep, &full), config(Clock::Witness)).unwrap();
    let p = once
        .poll(&mut MemSource::new(full.with_entries(&full.entries), end_s), 0)
        .unwrap();
    assert!(p.available, "{:?}", p.error);
    assert_eq!(once.entries_checked(), size);
    assert_eq!(findings(p.alerts), expected);

    // In stages: the first poll sees one entry, the later ones the rest in three steps. The
    // checkpoint findings (gaps, rules judged at a checkpoint) depend on when checkpoints are
    // taken; the findings on entries do not.
    let on_entries = |fs: &[verify::engine::Finding]| -> Vec<(String, u64)> {
        fs.iter()
            .filter(|f| {
                matches!(
                    f.kind,
                    FindingKind::Forged
                        | FindingKind::OverCollection
                        | FindingKind::Replay
                        | FindingKind::ClockBackwards
                        | FindingKind::ClockIntegrity
                )
            })
            .map(|f| (f.kind.name(), f.index))
            .collect()
    };
    let mut staged = Monitor::new(trust_copy_from_log(&dep, &full), config(Clock::Witness)).unwrap();
    let mut all = Vec::new();
    for (k, cut) in [1, revoke_at + 10, add_at + 500, entries.len()]
        .into_iter()
        .enumerate()
    {
        let mut src = MemSource::new(full.with_entries(&full.entries[..cut]), end_s);
        let p = staged.poll(&mut src, k as i64).unwrap();
        assert!(p.available, "{:?}", p.error);
        all.extend(findings(p.alerts));
    }
    assert_eq!(staged.entries_checked(), size);
    assert_eq!(on_entries(&all), on_entries(&expected));
}

/// The trust of a test log `full` of deployment `dep`.
fn trust_copy_from_log(dep: &Deployment, full: &Log) -> Trust {
    Trust {
        log_key: full.signer.verifier_key().to_owned(),
        witness_keys: vec![full.witness.verifier_key()],
        min_cosignatures: 1,
        anchors: dep.anchors(),
        rules: std::sync::Arc::new(verify::rules::builtin_or_path("europe-2008").unwrap()),
    }
}
