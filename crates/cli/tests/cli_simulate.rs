//! `shieldwatch simulate`: every file of its folder read back by the reader its users have — the trust
//! anchors by a TOML parser and `verify`'s registry, the roster note and every entry of
//! `entries.jsonl` admitted (or refused, for the injected faults) by that registry, the keys loaded as
//! signing keys (mode 0600, each registered in the roster), and every line of `reveals.jsonl` opening
//! a commitment of the entry it names.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use base64::prelude::{BASE64_STANDARD, Engine as _};
use verify::Error;
use verify::roster::{Admitted, Registry};
use verify::statement::{Body, Commitment, Reveal, Statement};

mod scratch;

/// One line of `entries.jsonl`, exactly these fields.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryLine {
    n: usize,
    time_ms: i64,
    fault: Option<String>,
    entry: String,
}

/// One line of `reveals.jsonl`, exactly these fields.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RevealLine {
    n: usize,
    reveal: Reveal,
}

/// `anchors.toml`, exactly this field.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Anchors {
    anchors: Vec<String>,
}

fn lines<T: serde::de::DeserializeOwned>(path: &Path) -> Vec<T> {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.ends_with('\n'), "{}: the last line ends", path.display());
    text.lines()
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("{}:{}: {e}: {l}", path.display(), i + 1))
        })
        .collect()
}

/// The commitment a reveal of `field` must open in `st`.
fn commitment<'a>(st: &'a Statement, field: &str) -> Option<&'a Commitment> {
    match (&st.body, field) {
        (Body::Radar(r), "pointing") => Some(&r.pointing),
        (Body::Silo(s), "serial") => s.serial.as_ref(),
        _ => None,
    }
}

#[test]
fn every_file_simulate_writes_is_read_back() {
    let dir = scratch::dir("cli-simulate");
    let out = dir.join("sim");
    let start_s = 1_767_225_600_i64;
    let status = std::process::Command::new(assert_cmd::cargo::cargo_bin("shieldwatch"))
        .args([
            "simulate",
            "europe-2008",
            "--hours",
            "3",
            "--start",
            &start_s.to_string(),
        ])
        .args([
            "--fault=replay@00:30",
            "--fault=forged-signature@01:00",
            "--fault=over-collection@01:30",
            "--fault=radar-outside-sector@02:00",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );

    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            ".shieldwatch-output",
            "anchors.toml",
            "entries.jsonl",
            "keys",
            "reveals.jsonl",
            "roster.note"
        ]
    );

    // The anchors, by a TOML parser; the roster, admitted by a registry trusting them.
    let anchors: Anchors =
        toml::from_str(&std::fs::read_to_string(out.join("anchors.toml")).unwrap()).unwrap();
    assert!(!anchors.anchors.is_empty());
    let mut registry = Registry::new(anchors.anchors.clone()).unwrap();
    let roster_note = std::fs::read(out.join("roster.note")).unwrap();
    let Admitted::Roster(roster) = registry.admit(&roster_note).unwrap() else {
        panic!("roster.note is not a roster")
    };
    assert_eq!(roster.version, 1);

    // The keys: mode 0600, signing keys named as their files, each registered with its verifier key.
    let mut keys = 0;
    for e in std::fs::read_dir(out.join("keys")).unwrap() {
        let p = e.unwrap().path();
        let mode = p.metadata().unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", p.display());
        let key = verify::keys::Key::from_signing_key(&std::fs::read_to_string(&p).unwrap()).unwrap();
        assert_eq!(p.file_stem().unwrap().to_str().unwrap(), key.name());
        let vkey = key.vkey();
        assert!(
            roster.keys.iter().any(|r| r.name == key.name() && r.vkey == vkey)
                || anchors.anchors.iter().any(|a| a == vkey),
            "{}: neither in the roster nor an anchor",
            key.name()
        );
        keys += 1;
    }
    assert!(
        keys >= roster.keys.len(),
        "{keys} keys for {} roster records",
        roster.keys.len()
    );

    // Every entry: its line's fields, admitted by the registry unless it injects a refused fault.
    let entries: Vec<EntryLine> = lines(&out.join("entries.jsonl"));
    assert!(entries.len() > 100, "{}", entries.len());
    let mut statements = BTreeMap::new();
    let mut refused = BTreeMap::new();
    let mut last_time = i64::MIN;
    for (i, line) in entries.iter().enumerate() {
        assert_eq!(line.n, i);
        assert!(
            line.time_ms >= start_s * 1000
                && line.time_ms < (start_s + 3 * 3600) * 1000
                && line.time_ms >= last_time,
            "line {i}: time {}",
            line.time_ms
        );
        last_time = line.time_ms;
        let bytes = BASE64_STANDARD.decode(&line.entry).unwrap();
        match registry.admit(&bytes) {
            Ok(Admitted::Statement { statement, .. }) => {
                assert_eq!(statement.time_ms, line.time_ms, "line {i}");
                assert!(
                    !matches!(
                        line.fault.as_deref(),
                        Some("replay" | "forged-signature" | "over-collection")
                    ),
                    "line {i}: fault {:?} admitted",
                    line.fault
                );
                statements.insert(i, statement);
            }
            Ok(Admitted::Roster(_)) => panic!("line {i}: a second roster"),
            Err(e) => {
                let fault = line
                    .fault
                    .clone()
                    .unwrap_or_else(|| panic!("line {i} refused: {e}"));
                let expected = match fault.as_str() {
                    "replay" => matches!(e, Error::Replay(_)),
                    "forged-signature" => matches!(e, Error::BadSignature(_) | Error::UnknownKey(_)),
                    "over-collection" => matches!(e, Error::Schema(_)),
                    _ => false,
                };
                assert!(expected, "line {i}: fault {fault} refused as {e}");
                refused.insert(fault, e.to_string());
            }
        }
    }
    assert_eq!(
        refused.keys().map(String::as_str).collect::<Vec<_>>(),
        ["forged-signature", "over-collection", "replay"],
        "{refused:?}"
    );
    assert!(
        entries
            .iter()
            .any(|l| l.fault.as_deref() == Some("radar-outside-sector"))
    );

    // Every reveal opens a commitment of the entry it names, and every commitment has its reveal.
    let reveals: Vec<RevealLine> = lines(&out.join("reveals.jsonl"));
    assert!(!reveals.is_empty());
    let mut opened = 0;
    for (k, r) in reveals.iter().enumerate() {
        let Some(st) = statements.get(&r.n) else {
            // A reveal of a refused entry (the forged one) has nothing logged to open.
            assert!(
                entries[r.n].fault.is_some(),
                "reveal {k}: entry {} is missing",
                r.n
            );
            continue;
        };
        let c = commitment(st, &r.reveal.field)
            .unwrap_or_else(|| panic!("reveal {k}: entry {} has no {} commitment", r.n, r.reveal.field));
        c.check(&r.reveal).unwrap_or_else(|e| panic!("reveal {k}: {e}"));
        opened += 1;
    }
    let sealed = statements
        .values()
        .filter(|st| commitment(st, "pointing").is_some() || commitment(st, "serial").is_some())
        .count();
    assert_eq!(
        opened, sealed,
        "every sealed field of a logged entry has its reveal"
    );
}
