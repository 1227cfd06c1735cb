//! The engine's incremental rule variables (`Engine::new`: kept from one statement to the next,
//! built from typed statements) give the verdicts of the straightforward engine
//! (`Engine::straightforward`: every variable rebuilt from JSON for each statement), finding for
//! finding, on generated logs: a simulated day with random faults (rule violations, gaps,
//! replays, forged signatures, clock jumps, over-collection), then entries dropped (gaps),
//! repeated (replays) and swapped (clocks going backwards), and key revocations at random
//! places; checkpoints at random places in between.

use std::sync::Arc;

use proptest::prelude::*;
use verify::engine::Engine;
use verify::roster::{ROSTER_SCHEMA, Registry, Roster, entry_hash};
use verify::rules::{self, RuleSet};
use verify::sim::{self, Deployment, Fault, HOUR_MS, SimConfig};
use verify::{Key, Statement};

/// 2026-01-01T00:00:00Z.
const START: i64 = 1_767_225_600_000;

/// What to do to the simulated log.
#[derive(Debug, Clone)]
enum Edit {
    /// Drop the entry at this fraction of the log (a gap for its sensor).
    Drop(f64),
    /// Log the entry at this fraction again (a replay).
    Repeat(f64),
    /// Swap it with the next one.
    Swap(f64),
    /// Revoke the key of the statement at this fraction, just before it.
    Revoke(f64),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (0.0..1.0f64).prop_map(Edit::Drop),
        (0.0..1.0f64).prop_map(Edit::Repeat),
        (0.0..1.0f64).prop_map(Edit::Swap),
        (0.0..1.0f64).prop_map(Edit::Revoke),
    ]
}

fn fault() -> impl Strategy<Value = (i64, Fault)> {
    (0..24 * 60i64, 0..Fault::ALL.len()).prop_map(|(min, k)| (min * 60_000, Fault::ALL[k].1))
}

/// The position of `fraction` in a log of `len` entries, past the first roster.
fn at(fraction: f64, len: usize) -> usize {
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let i = (fraction * (len - 1) as f64) as usize;
    1 + i.min(len.saturating_sub(2))
}

/// The sensor of a statement entry, if it is one.
fn sensor_of(entry: &[u8]) -> Option<String> {
    let (text, _) = verify::keys::peek_note(entry).ok()?;
    Statement::from_text(&text).ok().map(|s| s.sensor)
}

/// The log: roster version 1, the simulated statements, then the edits.
fn log(cfg: &SimConfig, edits: &[Edit]) -> Vec<Vec<u8>> {
    let dep = Deployment::new(cfg).unwrap();
    let mut entries = vec![dep.roster_entry.clone()];
    entries.extend(sim::simulate(&dep, cfg).unwrap().into_iter().map(|e| e.entry));
    let mut reg = Registry::new(dep.anchors()).unwrap();
    reg.admit(&dep.roster_entry).unwrap();
    let mut last_roster = dep.roster_entry.clone();
    for e in edits {
        let n = entries.len();
        match *e {
            Edit::Drop(f) => {
                entries.remove(at(f, n));
            }
            Edit::Repeat(f) => {
                let i = at(f, n);
                let again = entries[i].clone();
                entries.insert((i + 3).min(n), again);
            }
            Edit::Swap(f) => {
                let i = at(f, n).min(n - 2);
                entries.swap(i, i + 1);
            }
            Edit::Revoke(f) => {
                let i = at(f, n);
                let Some(sensor) = sensor_of(&entries[i]) else {
                    continue;
                };
                let cur = reg.roster().unwrap().clone();
                let mut keys = cur.keys.clone();
                for k in keys.iter_mut().filter(|k| k.name == sensor) {
                    k.revoked = true;
                }
                let r = Roster {
                    schema: ROSTER_SCHEMA.into(),
                    version: cur.version + 1,
                    previous: entry_hash(&last_roster),
                    issued_ms: cur.issued_ms + 1,
                    authorities: cur.authorities.clone(),
                    keys,
                };
                let auth: Vec<&Key> = dep.authorities.iter().collect();
                let entry = r.sign(&auth).unwrap();
                reg.admit(&entry).unwrap();
                last_roster = entry.clone();
                entries.insert(i, entry);
            }
        }
    }
    entries
}

/// Both engines over `entries`, with a checkpoint cosigned `lag_ms` after the newest statement
/// at each index in `checkpoints`: their findings, in order, must be equal.
fn compare(cfg: &SimConfig, entries: &[Vec<u8>], rules: &Arc<RuleSet>, checkpoints: &[usize], lag_ms: i64) {
    let dep = Deployment::new(cfg).unwrap();
    let mut incremental = Engine::new(Registry::new(dep.anchors()).unwrap(), Arc::clone(rules));
    let mut straightforward =
        Engine::straightforward(Registry::new(dep.anchors()).unwrap(), Arc::clone(rules));
    let mut found = 0;
    for (i, e) in (0u64..).zip(entries) {
        let a = incremental.entry(i, e);
        let b = straightforward.entry(i, e);
        assert_eq!(a, b, "entry {i}");
        found += a.len();
        if checkpoints.contains(&usize::try_from(i).unwrap()) {
            let now = straightforward.latest_time_ms() + lag_ms;
            let a = incremental.checkpoint(i + 1, now);
            let b = straightforward.checkpoint(i + 1, now);
            assert_eq!(a, b, "checkpoint after entry {i}");
            found += a.len();
        }
    }
    // The comparison is not idle: the generated logs give findings to compare.
    assert!(
        found > 0 || entries.len() < 10,
        "no findings in {} entries",
        entries.len()
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn incremental_rule_variables_give_the_straightforward_verdicts(
        faults in proptest::collection::vec(fault(), 0..8),
        edits in proptest::collection::vec(edit(), 0..10),
        period_min in prop_oneof![Just(5i64), Just(15), Just(30)],
        checkpoints in proptest::collection::vec(0.0..1.0f64, 1..5),
        lag_min in prop_oneof![Just(-120i64), Just(1), Just(30)],
    ) {
        let mut cfg = SimConfig::europe_2008_day(START);
        cfg.period_ms = period_min * 60_000;
        cfg.duration_ms = 24 * HOUR_MS;
        cfg.faults = faults;
        let entries = log(&cfg, &edits);
        let rules = Arc::new(rules::builtin_or_path("europe-2008").unwrap());
        let cps: Vec<usize> = checkpoints.iter().map(|f| at(*f, entries.len())).collect();
        compare(&cfg, &entries, &rules, &cps, lag_min * 60_000);
    }
}

#[test]
fn every_fault_and_edit_at_once_gives_the_same_findings() {
    // A fixed, dense case: every fault twice and every kind of edit, so that each kind of
    // finding (and each rule variable) is compared at least once whatever proptest draws.
    let mut cfg = SimConfig::europe_2008_day(START);
    cfg.faults = Fault::ALL
        .iter()
        .enumerate()
        .flat_map(|(k, (_, f))| {
            let k = i64::try_from(k).unwrap();
            [((2 + k) * HOUR_MS, *f), ((13 + k) * HOUR_MS + 17 * 60_000, *f)]
        })
        .collect();
    let edits = [
        Edit::Drop(0.2),
        Edit::Repeat(0.3),
        Edit::Swap(0.4),
        Edit::Revoke(0.5),
        Edit::Drop(0.6),
        Edit::Revoke(0.7),
        Edit::Swap(0.8),
    ];
    let entries = log(&cfg, &edits);
    let rules = Arc::new(rules::builtin_or_path("europe-2008").unwrap());
    let n = entries.len();
    let cps: Vec<usize> = (1..8).map(|k| k * n / 8).chain([n - 1]).collect();
    let dep = Deployment::new(&cfg).unwrap();
    let mut engine = Engine::new(Registry::new(dep.anchors()).unwrap(), Arc::clone(&rules));
    let mut kinds = std::collections::BTreeSet::new();
    for (i, e) in (0u64..).zip(&entries) {
        kinds.extend(engine.entry(i, e).into_iter().map(|f| f.kind.name()));
    }
    // Rule violations, gaps, replays, forgeries (and revoked keys), clocks, over-collection.
    for k in ["gap", "replay", "forged", "clock_backwards", "over_collection"] {
        assert!(kinds.contains(k), "no {k} finding: {kinds:?}");
    }
    assert!(
        kinds.iter().filter(|k| k.starts_with("rule:")).count() >= 3,
        "{kinds:?}"
    );
    compare(&cfg, &entries, &rules, &cps, 60_000);
}
