//! Property tests over arbitrary bytes and structure-aware mutations for every parser of the
//! verification regime that reads outside input: statements (from sensors), rosters and any
//! entry (from the log, through `Registry::check`), signed notes, rules TOML, evidence bundles and
//! log-misbehaviour evidence (from accusers). None may panic; garbage is refused.

mod common;

use std::sync::OnceLock;

use proptest::prelude::*;
use verify::evidence::{self, Evidence};
use verify::keys::{open_note, peek_note};
use verify::logwatch::{LogEvidence, verify_log_evidence};
use verify::rules::{EUROPE_2008, RuleSet};
use verify::{Registry, Statement};

/// A three-hour simulated day with one replayed reading, the finding's evidence as JSON, and the
/// run.
fn sample() -> &'static (common::Run, String) {
    static S: OnceLock<(common::Run, String)> = OnceLock::new();
    S.get_or_init(|| {
        let run = common::run(
            3,
            &[(verify::sim::HOUR_MS + 7 * 60_000, verify::sim::Fault::Replay)],
        );
        assert!(!run.findings.is_empty(), "the replay gives a finding");
        let ev = run.evidence(0);
        let json = serde_json::to_string(&ev).expect("serialises");
        (run, json)
    })
}

/// `text` with the byte at `at` changed by `xor` (never a no-op).
fn mutate(text: &[u8], at: prop::sample::Index, xor: u8) -> Vec<u8> {
    let mut b = text.to_vec();
    let i = at.index(b.len());
    b[i] ^= xor.max(1);
    b
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 250, ..ProptestConfig::default() })]

    #[test]
    fn statements_notes_and_entries_never_panic(b in proptest::collection::vec(any::<u8>(), 0..800)) {
        Statement::from_text(&b).ok();
        peek_note(&b).ok();
        let run = &sample().0;
        let anchors = run.dep.anchors();
        let keys: Vec<&str> = anchors.iter().map(String::as_str).collect();
        prop_assert!(open_note(&b, &keys).is_err());
        let registry = Registry::new(anchors.clone()).expect("registry");
        prop_assert!(registry.check(&b).is_err());
    }

    #[test]
    fn a_changed_roster_or_statement_entry_is_refused(n in 0usize..50, at in any::<prop::sample::Index>(), xor in any::<u8>()) {
        let run = &sample().0;
        // The roster entry, then a statement entry, each with one byte changed: refused by a
        // registry that knows the roster (for statements) or by the anchors (for the roster).
        let mut registry = Registry::new(run.dep.anchors()).expect("registry");
        let roster = &run.log.entries[0];
        prop_assert!(registry.check(&mutate(roster, at, xor)).is_err());
        registry.admit(roster).expect("the roster");
        let statement = &run.log.entries[1 + n % (run.log.entries.len() - 1)];
        let bad = mutate(statement, at, xor);
        prop_assert!(registry.check(&bad).is_err(), "changed entry admitted");
    }

    #[test]
    fn rules_toml_never_panics(s in any::<String>(), at in any::<prop::sample::Index>(), xor in any::<u8>()) {
        RuleSet::from_toml("fuzz", &s).ok();
        let changed = mutate(EUROPE_2008.as_bytes(), at, xor);
        if let Ok(t) = std::str::from_utf8(&changed) {
            RuleSet::from_toml("fuzz", t).ok();
        }
    }

    #[test]
    fn evidence_json_never_panics_and_garbage_is_refused(b in proptest::collection::vec(any::<u8>(), 0..800)) {
        if let Ok(ev) = serde_json::from_slice::<Evidence>(&b) {
            prop_assert!(evidence::verify(&ev, &sample().0.trust()).is_err());
        }
        if let Ok(ev) = serde_json::from_slice::<LogEvidence>(&b) {
            prop_assert!(verify_log_evidence(&ev, sample().0.log.signer.verifier_key()).is_err());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 150, ..ProptestConfig::default() })]

    #[test]
    fn mutated_evidence_never_panics(at in any::<prop::sample::Index>(), xor in any::<u8>()) {
        let (run, json) = sample();
        let trust = run.trust();
        let ev: Evidence = serde_json::from_str(json).expect("parses");
        evidence::verify(&ev, &trust).expect("the sample verifies");
        let changed = mutate(json.as_bytes(), at, xor);
        if let Ok(ev) = serde_json::from_slice::<Evidence>(&changed) {
            evidence::verify(&ev, &trust).ok();
        }
    }
}
