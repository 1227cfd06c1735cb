//! Key roster and admission: rotation, revocation, role and site binding, chain rules, and
//! rejection reasons for bad statements — nothing that fails is admitted.

mod common;

use verify::roster::{KeyRecord, ROSTER_SCHEMA, Registry, Role, Roster, entry_hash};
use verify::sim::{Deployment, radar_sensor, silo_sensor};
use verify::statement::{
    Body, Commitment, Notice, NoticeKind, RadarMode, RadarReading, STATEMENT_SCHEMA, Statement,
};
use verify::{Error, Key};

fn setup() -> (Deployment, Registry) {
    let dep = Deployment::new(&common::config(1, &[])).unwrap();
    let mut reg = Registry::new(dep.anchors()).unwrap();
    reg.admit(&dep.roster_entry).unwrap();
    (dep, reg)
}

fn radar(sensor: &str, site: &str, seq: u64) -> Statement {
    Statement {
        schema: STATEMENT_SCHEMA.into(),
        sensor: sensor.into(),
        site: site.into(),
        seq,
        time_ms: common::START + seq as i64,
        clock_ok: true,
        body: Body::Radar(RadarReading {
            transmitting: false,
            mode: RadarMode::Standby,
            sector_bin: 0,
            power_class: 0,
            pointing: Commitment::new("pointing", "0", &[1; 32]),
        }),
    }
}

#[test]
fn registered_key_is_admitted_in_sequence() {
    let (dep, mut reg) = setup();
    let name = radar_sensor("brdy");
    let k = &dep.keys[&name];
    reg.admit(&radar(&name, "brdy", 1).sign(k).unwrap()).unwrap();
    reg.admit(&radar(&name, "brdy", 2).sign(k).unwrap()).unwrap();
    let e = reg.check(&radar(&name, "brdy", 2).sign(k).unwrap()).unwrap_err();
    assert!(matches!(e, Error::Replay(_)), "{e}");
}

#[test]
fn wrong_role_site_or_unknown_sensor_is_refused() {
    let (dep, reg) = setup();
    let silo = silo_sensor("redzikowo", 1);
    // A silo key signing radar telemetry.
    let e = reg
        .check(&radar(&silo, "redzikowo", 1).sign(&dep.keys[&silo]).unwrap())
        .unwrap_err();
    assert!(matches!(e, Error::NotAuthorised(_)), "{e}");
    // The radar key signing for another site.
    let name = radar_sensor("brdy");
    let e = reg
        .check(&radar(&name, "redzikowo", 1).sign(&dep.keys[&name]).unwrap())
        .unwrap_err();
    assert!(matches!(e, Error::NotAuthorised(_)), "{e}");
    // A sensor nobody registered.
    let stranger = Key::generate("stranger-radar").unwrap();
    let e = reg
        .check(&radar("stranger-radar", "brdy", 1).sign(&stranger).unwrap())
        .unwrap_err();
    assert!(matches!(e, Error::UnknownKey(_)), "{e}");
    // Not a note at all.
    assert!(matches!(reg.check(b"hello"), Err(Error::Malformed(_))));
}

fn next_version(
    dep: &Deployment,
    reg: &Registry,
    prev_entry: &[u8],
    edit: impl FnOnce(&mut Vec<KeyRecord>),
) -> Vec<u8> {
    let cur = reg.roster().unwrap();
    let mut keys = cur.keys.clone();
    edit(&mut keys);
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
fn rotation_and_revocation() {
    let (dep, mut reg) = setup();
    let name = radar_sensor("brdy");
    let old = dep.keys[&name].clone();
    let new = Key::generate(&name).unwrap();
    reg.admit(&radar(&name, "brdy", 1).sign(&old).unwrap()).unwrap();
    // Rotate: the old key revoked, the new one registered.
    let v2 = next_version(&dep, &reg, &dep.roster_entry, |keys| {
        for k in keys.iter_mut().filter(|k| k.name == name) {
            k.revoked = true;
        }
        keys.push(KeyRecord {
            silo: None,
            name: name.clone(),
            vkey: new.vkey().into(),
            role: Role::RadarSensor,
            site: "brdy".into(),
            party: "host".into(),
            revoked: false,
        });
    });
    reg.admit(&v2).unwrap();
    assert_eq!(reg.roster().unwrap().version, 2);
    let e = reg
        .check(&radar(&name, "brdy", 2).sign(&old).unwrap())
        .unwrap_err();
    assert!(matches!(e, Error::BadSignature(_)), "old key after rotation: {e}");
    reg.admit(&radar(&name, "brdy", 2).sign(&new).unwrap()).unwrap();
    // Revoke the new key too: now the sensor is revoked outright.
    let v3 = next_version(&dep, &reg, &v2, |keys| {
        for k in keys.iter_mut().filter(|k| k.name == name) {
            k.revoked = true;
        }
    });
    reg.admit(&v3).unwrap();
    let e = reg
        .check(&radar(&name, "brdy", 3).sign(&new).unwrap())
        .unwrap_err();
    assert!(matches!(e, Error::RevokedKey(_)), "{e}");
}

#[test]
fn roster_chain_is_enforced() {
    let (dep, reg) = setup();
    // Wrong previous hash.
    let bad_prev = next_version(&dep, &reg, b"not the roster", |_| {});
    assert!(matches!(reg.check(&bad_prev), Err(Error::Roster(_))));
    // Signed by one party only.
    let cur = reg.roster().unwrap();
    let r = Roster {
        version: 2,
        previous: entry_hash(&dep.roster_entry),
        ..cur.clone()
    };
    let one = r.sign(&[&dep.authorities[0]]).unwrap();
    let e = reg.check(&one).unwrap_err();
    assert!(matches!(e, Error::Roster(_)), "{e}");
    // A first roster not signed by the trust anchors.
    let mut fresh = Registry::new(dep.anchors()).unwrap();
    let rogue = Key::generate("host-authority").unwrap();
    let r1 = Roster {
        version: 1,
        previous: String::new(),
        ..cur.clone()
    };
    assert!(fresh.admit(&r1.sign(&[&rogue]).unwrap()).is_err());
    assert!(fresh.roster().is_none());
}

#[test]
fn trigger_counts_only_when_both_parties_sign() {
    let (dep, mut reg) = setup();
    let trigger = Statement {
        schema: STATEMENT_SCHEMA.into(),
        sensor: "host-operator".into(),
        site: "redzikowo".into(),
        seq: 1,
        time_ms: common::START,
        clock_ok: true,
        body: Body::Notice(Notice {
            notice: NoticeKind::Trigger,
            from_ms: common::START,
            to_ms: common::START + 1,
            subject: "activation".into(),
        }),
    };
    let one = trigger.sign(&dep.keys["host-operator"]).unwrap();
    let a = reg.check(&one).unwrap();
    assert!(!verify::roster::is_cosigned_trigger(&a));
    let mut text = trigger.canonical().unwrap();
    text.push(b'\n');
    let both = verify::keys::sign_note(
        &text,
        &[&dep.keys["host-operator"], &dep.keys["inspecting-operator"]],
    )
    .unwrap();
    let a = reg.admit(&both).unwrap();
    assert!(verify::roster::is_cosigned_trigger(&a));
}
