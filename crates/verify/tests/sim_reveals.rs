//! The simulator keeps each sealed field's reveal with the entry that carries its commitment, for
//! every fault (an over-collected reading once passed its reveal on to the next entry).

use verify::keys::peek_note;
use verify::sim::{self, Deployment, Fault, HOUR_MS, SimConfig};
use verify::statement::Commitment;

/// The commitments of the statement inside `entry`, read leniently (an over-collected reading has a
/// field outside the schema, so it is read as JSON, not as a `Statement`).
fn commitments(entry: &[u8]) -> Vec<(String, Commitment)> {
    let (text, _) = peek_note(entry).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&text).unwrap();
    let mut out = Vec::new();
    if let Some(c) = v["body"]["radar"]["pointing"].as_str() {
        out.push(("pointing".to_string(), Commitment(c.to_string())));
    }
    if let Some(c) = v["body"]["silo"]["serial"].as_str() {
        out.push(("serial".to_string(), Commitment(c.to_string())));
    }
    out
}

#[test]
fn every_reveal_opens_a_commitment_of_its_own_entry() {
    let mut cfg = SimConfig::europe_2008_day(1_767_225_600_000);
    cfg.duration_ms = 3 * HOUR_MS;
    cfg.faults = Fault::ALL.iter().map(|&(_, f)| (HOUR_MS, f)).collect();
    let dep = Deployment::new(&cfg).unwrap();
    let events = sim::simulate(&dep, &cfg).unwrap();
    let mut opened = 0;
    for (i, ev) in events.iter().enumerate() {
        let cs = commitments(&ev.entry);
        for r in &ev.reveals {
            let c = cs.iter().find(|(f, _)| *f == r.field).unwrap_or_else(|| {
                panic!(
                    "event {i} ({:?}): a {} reveal without its commitment",
                    ev.fault, r.field
                )
            });
            c.1.check(r)
                .unwrap_or_else(|e| panic!("event {i} ({:?}): {e}", ev.fault));
            opened += 1;
        }
        if ev.fault != Some(Fault::Replay) && ev.fault != Some(Fault::ForgedSignature) {
            assert_eq!(
                ev.reveals.len(),
                cs.len(),
                "event {i} ({:?}): a commitment without its reveal",
                ev.fault
            );
        }
    }
    assert!(opened > 100, "{opened}");
    assert!(
        events
            .iter()
            .any(|e| e.fault == Some(Fault::OverCollection) && !e.reveals.is_empty())
    );
}
