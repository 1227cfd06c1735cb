//! Statement signatures checked ahead in parallel batches (`verify::sigcheck`) give exactly the
//! verdicts of the ordinary one-at-a-time check: a single bad signature deep inside a large
//! batch is found and named as the registry names it, a result computed for another roster is
//! ignored, and the monitor's findings over a log with a bad signature and a roster revocation
//! half-way equal those of the engine run one entry at a time.

mod common;

use base64::prelude::{BASE64_STANDARD, Engine as _};
use common::{Log, MemSource, START};
use verify::engine::{Engine, Finding, FindingKind};
use verify::evidence::{Clock, Trust};
use verify::monitor::{Alert, Monitor, MonitorConfig};
use verify::roster::{ROSTER_SCHEMA, Registry, Roster, entry_hash};
use verify::sigcheck::{RosterKeys, check_signatures};
use verify::sim::{self, Deployment};
use verify::{Error, Key};

/// The entry with one bit of its last signature flipped (the note still parses).
fn corrupt_signature(entry: &[u8]) -> Vec<u8> {
    let text = std::str::from_utf8(entry).unwrap();
    let body = text.strip_suffix('\n').unwrap();
    let (head, last) = body.rsplit_once('\n').unwrap();
    let (prefix, b64) = last.rsplit_once(' ').unwrap();
    let mut sig = BASE64_STANDARD.decode(b64).unwrap();
    sig[4 + 10] ^= 0x01;
    format!("{head}\n{prefix} {}\n", BASE64_STANDARD.encode(sig)).into_bytes()
}

/// Roster version 1 and an hour of simulated statements, a reading every `period_ms` per sensor
/// (5 s: some 8 700 entries, many batches; 12 s: some 3 600, several replay chunks).
fn logged(period_ms: i64) -> (Deployment, Vec<Vec<u8>>) {
    let mut cfg = common::config(1, &[]);
    cfg.period_ms = period_ms;
    let dep = Deployment::new(&cfg).unwrap();
    let mut entries = vec![dep.roster_entry.clone()];
    entries.extend(sim::simulate(&dep, &cfg).unwrap().into_iter().map(|e| e.entry));
    (dep, entries)
}

/// The sensor (signer) of a statement entry.
fn sensor_of(entry: &[u8]) -> String {
    let (text, _) = verify::keys::peek_note(entry).unwrap();
    verify::Statement::from_text(&text).unwrap().sensor
}

#[test]
fn a_single_bad_signature_inside_a_large_batch_is_found_and_named() {
    let (dep, mut entries) = logged(5_000);
    assert!(entries.len() > 5_000, "{} entries", entries.len());
    let bad = entries.len() / 2 + 17;
    entries[bad] = corrupt_signature(&entries[bad]);
    let mut reg = Registry::new(dep.anchors()).unwrap();
    reg.admit(&entries[0]).unwrap();
    let keys = RosterKeys::of(&reg).unwrap();
    let checked = check_signatures(&keys, &entries[1..]);
    assert_eq!(checked.len(), entries.len() - 1);
    let failed: Vec<usize> = (1..entries.len()).filter(|&i| checked[i - 1].is_none()).collect();
    assert_eq!(
        failed,
        vec![bad],
        "exactly the corrupted entry has no batch result"
    );
    // The registry then checks it the ordinary way and names the key, as without batches.
    let e = reg.check_signed(&entries[bad], None).unwrap_err();
    let sensor = sensor_of(&entries[bad]);
    assert!(
        matches!(&e, Error::BadSignature(m) if m.contains(&format!("invalid signature for key {sensor}+"))),
        "{e}"
    );
    assert_eq!(e.to_string(), reg.check(&entries[bad]).unwrap_err().to_string());
    // Every other entry: the batch result gives the registry's own verdict.
    for i in [1, 2, bad - 1, bad + 1, entries.len() - 1] {
        assert_eq!(
            reg.check_signed(&entries[i], checked[i - 1].as_ref()).unwrap(),
            reg.check(&entries[i]).unwrap()
        );
    }
}

#[test]
fn a_batch_result_for_another_roster_is_ignored() {
    let (dep, entries) = logged(20_000);
    let mut reg = Registry::new(dep.anchors()).unwrap();
    reg.admit(&entries[0]).unwrap();
    let keys = RosterKeys::of(&reg).unwrap();
    let i = 40;
    let signed = check_signatures(&keys, &entries[i..=i]).remove(0).unwrap();
    // Version 2 revokes the statement's signer: the result computed under version 1 must not
    // let it through.
    let sensor = sensor_of(&entries[i]);
    let v2 = revoke(&dep, &reg, &entries[0], &sensor);
    reg.admit(&v2).unwrap();
    let e = reg.check_signed(&entries[i], Some(&signed)).unwrap_err();
    assert!(matches!(e, Error::RevokedKey(_)), "{e}");
}

/// Roster version `current + 1` revoking `sensor`.
fn revoke(dep: &Deployment, reg: &Registry, prev_entry: &[u8], sensor: &str) -> Vec<u8> {
    let cur = reg.roster().unwrap();
    let mut keys = cur.keys.clone();
    for k in keys.iter_mut().filter(|k| k.name == sensor) {
        k.revoked = true;
    }
    let r = Roster {
        schema: ROSTER_SCHEMA.into(),
        version: cur.version + 1,
        previous: entry_hash(prev_entry),
        issued_ms: cur.issued_ms + 1,
        authorities: cur.authorities.clone(),
        keys,
    };
    let auth: Vec<&Key> = dep.authorities.iter().collect();
    r.sign(&auth).unwrap()
}

#[test]
fn the_monitor_finds_what_the_engine_finds_one_entry_at_a_time() {
    let (dep, mut entries) = logged(12_000);
    assert!(entries.len() > 2 * 1024, "{} entries", entries.len());
    let bad = entries.len() / 3 + 5;
    entries[bad] = corrupt_signature(&entries[bad]);
    // A roster revocation half-way, inside a replay chunk, with statements of the revoked
    // sensor after it.
    let mut reg = Registry::new(dep.anchors()).unwrap();
    reg.admit(&entries[0]).unwrap();
    let at = entries.len() / 2 + 3;
    let sensor = sensor_of(&entries[at + 1]);
    let v2 = revoke(&dep, &reg, &entries[0], &sensor);
    entries.insert(at, v2);

    let log = Log::new();
    let log = log.with_entries(&entries);
    let cosign_s = u64::try_from(START / 1000).unwrap() + 2 * 3600;
    let trust = Trust {
        log_key: log.signer.verifier_key().to_owned(),
        witness_keys: vec![log.witness.verifier_key()],
        min_cosignatures: 1,
        anchors: dep.anchors(),
        rules: std::sync::Arc::new(verify::rules::builtin_or_path("europe-2008").unwrap()),
    };
    let rules = std::sync::Arc::clone(&trust.rules);
    let config = MonitorConfig {
        clock: Clock::Witness,
        unavailable_after_ms: 600_000,
    };
    let mut m = Monitor::new(trust, config).unwrap();
    let mut src = MemSource::new(log, cosign_s);
    let p = m.poll(&mut src, 0).unwrap();
    assert!(p.available, "{:?}", p.error);
    let from_monitor: Vec<Finding> = p
        .alerts
        .into_iter()
        .map(|a| match a {
            Alert::Finding(ev) => ev.finding,
            other => panic!("unexpected alert {}", other.name()),
        })
        .collect();

    let mut engine = Engine::new(Registry::new(dep.anchors()).unwrap(), rules);
    let mut from_engine = Vec::new();
    for (i, e) in (0u64..).zip(&entries) {
        from_engine.extend(engine.entry(i, e));
    }
    from_engine.extend(engine.checkpoint(entries.len() as u64, i64::try_from(cosign_s).unwrap() * 1000));

    assert_eq!(from_monitor, from_engine);
    let bad_index = u64::try_from(bad).unwrap();
    assert!(
        from_monitor.iter().any(|f| f.kind == FindingKind::Forged
            && f.index == bad_index
            && f.summary.contains("invalid signature")),
        "the bad signature at {bad} is named: {from_monitor:#?}"
    );
    assert!(
        from_monitor.iter().any(|f| f.kind == FindingKind::Forged
            && f.index > u64::try_from(at).unwrap()
            && f.summary.contains("revoked")),
        "statements of the revoked sensor after the new roster are refused"
    );
}
