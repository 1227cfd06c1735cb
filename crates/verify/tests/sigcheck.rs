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
use verify::roster::{Admitted, ROSTER_SCHEMA, Registry, Roster, entry_hash};
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

// The batch's rules against single verification's (see `verify::sigcheck`'s documentation):
// `ed25519-zebra`'s batch equation is ZIP-215's (cofactored), single verification is
// `ed25519-dalek`'s `verify` (cofactorless, `R`'s bytes compared). The signatures below are made
// with `curve25519-dalek` and `ed25519-dalek` only.

use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT, EIGHT_TORSION};
use curve25519_dalek::edwards::CompressedEdwardsY;
use curve25519_dalek::scalar::Scalar;
use ed25519_dalek::VerifyingKey;
use ed25519_dalek::hazmat::{ExpandedSecretKey, raw_sign};
use sha2::{Digest, Sha512};

/// The entry's note text (with its final newline), and its last signature line's name, key id
/// and signature.
fn note_parts(entry: &[u8]) -> (Vec<u8>, String, [u8; 4], [u8; 64]) {
    let text = std::str::from_utf8(entry).unwrap();
    let body = text.strip_suffix('\n').unwrap();
    let (head, last) = body.rsplit_once('\n').unwrap();
    let (prefix, b64) = last.rsplit_once(' ').unwrap();
    let name = prefix.strip_prefix("— ").unwrap().to_owned();
    let raw = BASE64_STANDARD.decode(b64).unwrap();
    let head = head.strip_suffix('\n').unwrap();
    let mut note_text = head.as_bytes().to_vec();
    note_text.push(b'\n');
    (
        note_text,
        name,
        raw[..4].try_into().unwrap(),
        raw[4..].try_into().unwrap(),
    )
}

/// A note of `text` with one signature line.
fn note(text: &[u8], name: &str, id: [u8; 4], sig: &[u8; 64]) -> Vec<u8> {
    let mut b = text.to_vec();
    b.extend_from_slice(
        format!("\n— {name} {}\n", BASE64_STANDARD.encode([&id[..], sig].concat())).as_bytes(),
    );
    b
}

/// The entry with its signature replaced by `sig`.
fn resigned(entry: &[u8], sig: &[u8; 64]) -> Vec<u8> {
    let (text, name, id, _) = note_parts(entry);
    note(&text, &name, id, sig)
}

/// The 32-byte seed of a simulated key (from its `PRIVATE+KEY+name+id+base64` encoding).
fn seed_of(dep: &Deployment, name: &str) -> [u8; 32] {
    let skey = dep.keys[name].skey();
    // PRIVATE+KEY+<name>+<id>+<base64>: the base64 may hold '+' too.
    let b64 = skey.splitn(5, '+').nth(4).unwrap();
    BASE64_STANDARD.decode(b64).unwrap()[1..].try_into().unwrap()
}

/// The raw public key of a simulated key.
fn public_of(dep: &Deployment, name: &str) -> [u8; 32] {
    ed25519_dalek::SigningKey::from_bytes(&seed_of(dep, name))
        .verifying_key()
        .to_bytes()
}

/// An encoded verifier key for `name` and the raw key `raw`.
fn vkey(name: &str, raw: &[u8; 32]) -> (String, [u8; 4]) {
    let key = [&[1u8][..], raw].concat();
    let id = signed_note::key_id(name, &key);
    (
        format!("{name}+{id:08x}+{}", BASE64_STANDARD.encode(&key)),
        id.to_be_bytes(),
    )
}

/// Roster version `current + 1` where `sensor`'s key is `new_vkey`.
fn rekey(dep: &Deployment, reg: &Registry, prev_entry: &[u8], sensor: &str, new_vkey: &str) -> Vec<u8> {
    let cur = reg.roster().unwrap();
    let mut keys = cur.keys.clone();
    for k in keys.iter_mut().filter(|k| k.name == sensor) {
        new_vkey.clone_into(&mut k.vkey);
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

/// The registry and batch keys of roster version 1 for an hour of statements.
fn registry_and_keys(dep: &Deployment, entries: &[Vec<u8>]) -> (Registry, RosterKeys) {
    let mut reg = Registry::new(dep.anchors()).unwrap();
    reg.admit(&entries[0]).unwrap();
    let keys = RosterKeys::of(&reg).unwrap();
    (reg, keys)
}

#[test]
fn a_signature_whose_r_has_a_small_order_component_passes_the_batch_and_fails_alone() {
    let (dep, entries) = logged(20_000);
    let (reg, keys) = registry_and_keys(&dep, &entries);
    let i = entries.len() / 2;
    let sensor = sensor_of(&entries[i]);
    // R = r·B + T for T of order 8, and s = r + k·a (k hashes this R): a signature only the
    // signer can make, valid under the cofactored equation, not under the cofactorless one.
    // (R + T with s unchanged is not enough: k hashes R's bytes.)
    let (text, _, _, _) = note_parts(&entries[i]);
    let a = ExpandedSecretKey::from(&seed_of(&dep, &sensor)).scalar;
    let public = public_of(&dep, &sensor);
    let r = Scalar::from_hash(
        Sha512::new()
            .chain_update(b"a nonce for the test")
            .chain_update(&text),
    );
    let big_r = (ED25519_BASEPOINT_POINT * r + EIGHT_TORSION[1])
        .compress()
        .to_bytes();
    let k = Scalar::from_hash(
        Sha512::new()
            .chain_update(big_r)
            .chain_update(public)
            .chain_update(&text),
    );
    let mut sig = [0u8; 64];
    sig[..32].copy_from_slice(&big_r);
    sig[32..].copy_from_slice(&(r + k * a).to_bytes());
    let malleated = resigned(&entries[i], &sig);
    // Single verification refuses it.
    let alone = reg.check(&malleated).unwrap_err();
    assert!(
        matches!(&alone, Error::BadSignature(m) if m.contains("invalid signature")),
        "{alone}"
    );
    // The batch (ZIP-215, cofactored) accepts it: the monitor counts the statement as its
    // signer's. Pinned here and said in `verify::sigcheck`'s documentation.
    let mut batch = entries[1..].to_vec();
    batch[i - 1] = malleated.clone();
    let checked = check_signatures(&keys, &batch);
    assert!(checked.iter().all(Option::is_some));
    let signed = checked[i - 1].as_ref().unwrap();
    assert_eq!(
        signed.names_for(keys.roster()).unwrap(),
        std::slice::from_ref(&sensor)
    );
    assert!(matches!(
        reg.check_signed(&malleated, Some(signed)).unwrap(),
        Admitted::Statement { statement, .. } if statement.sensor == sensor
    ));
    // In a batch that fails for another signature it is checked alone, and refused.
    let j = i + 7;
    batch[j - 1] = corrupt_signature(&batch[j - 1]);
    let checked = check_signatures(&keys, &batch);
    let failed: Vec<usize> = (1..entries.len()).filter(|&k| checked[k - 1].is_none()).collect();
    assert_eq!(failed, vec![i, j]);
}

#[test]
fn non_canonical_r_and_s_are_refused_as_single_verification_refuses_them() {
    let (dep, entries) = logged(20_000);
    let (reg, keys) = registry_and_keys(&dep, &entries);
    let i = entries.len() / 3;
    let sensor = sensor_of(&entries[i]);
    let (text, _, _, sig) = note_parts(&entries[i]);
    let a = ExpandedSecretKey::from(&seed_of(&dep, &sensor)).scalar;
    let public = public_of(&dep, &sensor);
    // R: the identity encoded non-canonically (y = 1 with the sign bit set where x = 0; y = p + 1),
    // s = k·a, so that ZIP-215's cofactored equation holds: its batch alone would accept it.
    let mut sign_bit = [0u8; 32];
    sign_bit[0] = 1;
    sign_bit[31] = 0x80;
    let mut p_plus_1 = [0xffu8; 32];
    p_plus_1[0] = 0xee;
    p_plus_1[31] = 0x7f;
    let mut cases = Vec::new();
    for r in [sign_bit, p_plus_1] {
        let k = Scalar::from_hash(
            Sha512::new()
                .chain_update(r)
                .chain_update(public)
                .chain_update(&text),
        );
        let mut s = [0u8; 64];
        s[..32].copy_from_slice(&r);
        s[32..].copy_from_slice(&(k * a).to_bytes());
        cases.push(s);
    }
    // s + ℓ: the same signature with s not reduced.
    let ell = {
        let mut l = [0u8; 32];
        l[..16].copy_from_slice(&0x14de_f9de_a2f7_9cd6_5812_631a_5cf5_d3ed_u128.to_le_bytes());
        l[31] = 0x10;
        l
    };
    assert_eq!(Scalar::from_bytes_mod_order(ell), Scalar::ZERO);
    let mut s_plus_l = sig;
    let mut carry = 0u16;
    for (b, l) in s_plus_l[32..].iter_mut().zip(ell) {
        let sum = u16::from(*b) + u16::from(l) + carry;
        *b = u8::try_from(sum & 0xff).unwrap();
        carry = sum >> 8;
    }
    assert_eq!(carry, 0);
    cases.push(s_plus_l);
    for bad in cases {
        let e = resigned(&entries[i], &bad);
        let alone = reg.check(&e).unwrap_err();
        assert!(matches!(&alone, Error::BadSignature(_)), "{alone}");
        assert!(check_signatures(&keys, std::slice::from_ref(&e))[0].is_none());
        // With the others of a batch: only it goes the ordinary way, which refuses it.
        let mut batch = entries[1..].to_vec();
        batch[i - 1] = e.clone();
        let checked = check_signatures(&keys, &batch);
        let failed: Vec<usize> = (1..entries.len()).filter(|&k| checked[k - 1].is_none()).collect();
        assert_eq!(failed, vec![i]);
        assert_eq!(
            reg.check_signed(&e, None).unwrap_err().to_string(),
            alone.to_string()
        );
    }
}

#[test]
fn keys_with_a_torsion_component_or_of_small_order_are_never_batched() {
    let (dep, entries) = logged(20_000);
    let (reg, _) = registry_and_keys(&dep, &entries);
    let i = entries.len() / 4;
    let sensor = sensor_of(&entries[i]);
    let other = (1..entries.len())
        .find(|&k| sensor_of(&entries[k]) != sensor)
        .unwrap();
    let (text, _, _, _) = note_parts(&entries[i]);
    let seed = seed_of(&dep, &sensor);
    let a_point = CompressedEdwardsY(public_of(&dep, &sensor)).decompress().unwrap();

    // A + T, T of order 8, and a statement signed by the sensor's secret under that key: the
    // cofactored equation holds, single verification fails unless k is a multiple of 8.
    let torsion_key = (a_point + EIGHT_TORSION[1]).compress().to_bytes();
    // The identity, encoded non-canonically (sign bit set where x = 0), and a "signature" by it
    // that single verification accepts (R = s·B; any s): a key of small order signs anything.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    identity[31] = 0x80;
    for raw in [torsion_key, identity] {
        let (vk, id) = vkey(&sensor, &raw);
        let mut reg = reg.clone();
        let v2 = rekey(&dep, &reg, &entries[0], &sensor, &vk);
        reg.admit(&v2).unwrap();
        let keys = RosterKeys::of(&reg).unwrap();
        let sig = if raw == identity {
            let s = Scalar::from(7u8);
            let mut sig = [0u8; 64];
            sig[..32].copy_from_slice((ED25519_BASEPOINT_POINT * s).compress().as_bytes());
            sig[32..].copy_from_slice(&s.to_bytes());
            sig
        } else {
            let key = VerifyingKey::from_bytes(&raw).unwrap();
            raw_sign::<Sha512>(&ExpandedSecretKey::from(&seed), &text, &key).to_bytes()
        };
        let e = note(&text, &sensor, id, &sig);
        let alone = reg.check(&e);
        if raw == identity {
            assert!(matches!(alone.as_ref().unwrap(), Admitted::Statement { .. }));
        } else {
            let err = alone.as_ref().unwrap_err();
            assert!(matches!(err, Error::BadSignature(_)), "{err}");
        }
        // Not batched: checked the ordinary way, whose verdict (above) the monitor then gives.
        let checked = check_signatures(&keys, &[e.clone(), entries[other].clone()]);
        assert!(checked[0].is_none(), "{sensor}'s key {raw:?} was batched");
        assert!(checked[1].is_some(), "other keys still are");
        assert_eq!(
            reg.check_signed(&e, None).map_err(|e| e.to_string()),
            alone.map_err(|e| e.to_string())
        );
    }
}

/// With every fault of the simulator injected (a replay, a gap, a forged signature, a field
/// outside the schema, a clock jump, rule violations), the engine given the signatures checked
/// ahead (statements checked borrowed, parties counted) finds exactly what it finds checking
/// each entry itself, and so does the straightforward engine; a roster revocation half-way
/// (with statements of the revoked sensor after it) and an entry signed twice by its sensor's
/// key are among the entries.
#[test]
fn the_engine_finds_the_same_with_signatures_checked_ahead_under_every_fault() {
    let faults: Vec<(i64, sim::Fault)> = sim::Fault::ALL
        .iter()
        .enumerate()
        .map(|(k, (_, f))| (i64::try_from(k + 1).unwrap() * 5 * 60_000, *f))
        .collect();
    let mut cfg = common::config(1, &faults);
    cfg.period_ms = 20_000;
    let dep = Deployment::new(&cfg).unwrap();
    let mut entries = vec![dep.roster_entry.clone()];
    entries.extend(sim::simulate(&dep, &cfg).unwrap().into_iter().map(|e| e.entry));
    // An entry whose sensor signed twice (only the first signature counts).
    let twice = entries.len() / 4;
    let last_line = {
        let e = &entries[twice];
        let body = &e[..e.len() - 1];
        let at = body.iter().rposition(|&b| b == b'\n').unwrap();
        e[at + 1..].to_vec()
    };
    entries[twice].extend_from_slice(&last_line);
    let mut reg = Registry::new(dep.anchors()).unwrap();
    reg.admit(&entries[0]).unwrap();
    let at = entries.len() / 2 + 3;
    let sensor = sensor_of(&entries[at + 1]);
    let v2 = revoke(&dep, &reg, &entries[0], &sensor);
    entries.insert(at, v2);
    // Activation triggers: one signed by the host operator alone, then one cosigned by both
    // parties, each followed by a silo reporting its interceptor active (a violation of
    // `inactive-until-trigger` only before the cosigned trigger: the parties must be counted), the
    // silo inactive in between (so that the rule's episode is closed again).
    entries.extend(triggers(&dep, &entries, &sensor));

    let rules = std::sync::Arc::new(verify::rules::builtin_or_path("europe-2008").unwrap());
    // Checked ahead 64 entries at a time for the roster in force before them (results for
    // entries after a roster change inside a chunk are for the old roster, and ignored).
    let run = |engine: &mut Engine, ahead: bool| {
        let mut found = Vec::new();
        let mut i = 0u64;
        for chunk in entries.chunks(64) {
            let signed: Vec<Option<verify::sigcheck::Signed>> = match RosterKeys::of(engine.registry()) {
                Some(k) if ahead => check_signatures(&k.with_rules(engine.rules()), chunk),
                _ => vec![None; chunk.len()],
            };
            for (e, s) in chunk.iter().zip(&signed) {
                found.extend(engine.entry_signed(i, e, s.as_ref()));
                i += 1;
            }
        }
        found.extend(engine.checkpoint(entries.len() as u64, START + 2 * 3_600_000));
        found
    };
    let alone = run(
        &mut Engine::new(
            Registry::new(dep.anchors()).unwrap(),
            std::sync::Arc::clone(&rules),
        ),
        false,
    );
    let ahead = run(
        &mut Engine::new(
            Registry::new(dep.anchors()).unwrap(),
            std::sync::Arc::clone(&rules),
        ),
        true,
    );
    let straightforward = run(
        &mut Engine::straightforward(
            Registry::new(dep.anchors()).unwrap(),
            std::sync::Arc::clone(&rules),
        ),
        true,
    );
    assert_eq!(ahead, alone);
    assert_eq!(straightforward, alone);
    for kind in [
        FindingKind::Replay,
        FindingKind::Gap,
        FindingKind::Forged,
        FindingKind::OverCollection,
        FindingKind::ClockBackwards,
    ] {
        assert!(alone.iter().any(|f| f.kind == kind), "no {kind:?} in {alone:#?}");
    }
    assert!(alone.iter().any(|f| matches!(f.kind, FindingKind::Rule(_))));
    let trigger_rule = |f: &&Finding| f.kind == FindingKind::Rule("inactive-until-trigger".into());
    let last = u64::try_from(entries.len()).unwrap();
    assert_eq!(
        alone
            .iter()
            .filter(trigger_rule)
            .filter(|f| f.index >= last - 5)
            .map(|f| f.index)
            .collect::<Vec<_>>(),
        vec![last - 4],
        "only the active silo before the cosigned trigger violates the rule: {alone:#?}"
    );
    assert!(
        alone
            .iter()
            .any(|f| f.kind == FindingKind::Forged && f.summary.contains("revoked")),
        "statements of the revoked sensor after the new roster are refused"
    );
}

/// A trigger by the host operator alone, an active silo, the silo inactive again, a trigger
/// cosigned by both parties' operators, the silo active: five statements after `entries`, by keys
/// `revoked` is not.
fn triggers(dep: &Deployment, entries: &[Vec<u8>], revoked: &str) -> Vec<Vec<u8>> {
    use verify::statement::{Body, Notice, NoticeKind, Readiness};
    let statements: Vec<verify::Statement> = entries
        .iter()
        .filter_map(|e| {
            let (text, _) = verify::keys::peek_note(e).ok()?;
            verify::Statement::from_text(&text).ok()
        })
        .collect();
    let last_of = |name: &str| {
        statements
            .iter()
            .filter(|s| s.sensor == name)
            .max_by_key(|s| s.seq)
            .cloned()
            .unwrap()
    };
    let mut silo = statements
        .iter()
        .rev()
        .find(|s| matches!(s.body, Body::Silo(_)) && s.sensor != revoked)
        .map(|s| last_of(&s.sensor))
        .unwrap();
    let mut host = last_of("host-operator");
    let t = statements.iter().map(|s| s.time_ms).max().unwrap();
    let mut out = Vec::new();
    for (k, cosigned) in [false, true].into_iter().enumerate() {
        let k = i64::try_from(k).unwrap();
        host.seq += 1;
        host.time_ms = t + 1000 + 4000 * k;
        host.body = Body::Notice(Notice {
            notice: NoticeKind::Trigger,
            from_ms: host.time_ms,
            to_ms: host.time_ms + 1,
            subject: "activation".into(),
        });
        let mut text = host.canonical().unwrap();
        text.push(b'\n');
        let mut signers = vec![&dep.keys["host-operator"]];
        if cosigned {
            signers.push(&dep.keys["inspecting-operator"]);
        }
        out.push(verify::keys::sign_note(&text, &signers).unwrap());
        silo.seq += 1;
        silo.time_ms = host.time_ms + 2000;
        if let Body::Silo(r) = &mut silo.body {
            r.interceptor_present = true;
            r.readiness = Readiness::Active;
        }
        out.push(silo.sign(&dep.keys[&silo.sensor]).unwrap());
        if !cosigned {
            // Inactive again: the rule holds, and its episode closes.
            silo.seq += 1;
            silo.time_ms += 1000;
            if let Body::Silo(r) = &mut silo.body {
                r.readiness = Readiness::Inactive;
            }
            out.push(silo.sign(&dep.keys[&silo.sensor]).unwrap());
        }
    }
    out
}
