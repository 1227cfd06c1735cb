//! Independent check of evidence bundles: a small Go program (`tests/goevidence/main.go`) built
//! offline with Debian's `golang-go` and `golang-golang-x-mod-dev` verifies, with
//! `golang.org/x/mod/sumdb/{note,tlog}`, the checkpoint's log signature, every bundled entry's
//! inclusion proof and every statement's and roster's signature — and rejects a doctored bundle.
//! Without Go the test is skipped with a message, except under CI (`CI=true`), where it fails.

mod common;

use std::path::Path;
use std::process::Command;

use verify::sim::{Fault, HOUR_MS};

#[test]
fn go_x_mod_checks_our_evidence() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/goevidence/main.go");
    let Some(bin) = testsvc::go_program(&src, dir) else {
        return;
    };

    let r = common::run(10, &[(9 * HOUR_MS + 7 * 60_000, Fault::RadarOutsideSector)]);
    let n = r
        .findings
        .iter()
        .position(|(f, _, _)| f.kind.name() == "rule:radar-sector")
        .expect("radar-sector finding");
    let ev = r.evidence(n);
    let path = dir.join("evidence.json");
    std::fs::write(&path, serde_json::to_vec(&ev).unwrap()).unwrap();
    let mut keys: Vec<String> = r.dep.roster.keys.iter().map(|k| k.vkey.clone()).collect();
    keys.extend(r.dep.anchors());
    let check = |p: &Path| {
        let out = Command::new(&bin)
            .arg("-bundle")
            .arg(p)
            .arg("-log")
            .arg(r.log.signer.verifier_key())
            .args(&keys)
            .output()
            .unwrap();
        (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    };
    let (ok, text) = check(&path);
    assert!(ok, "{text}");
    assert!(text.contains("OK: checkpoint"), "{text}");

    // A doctored statement fails Go's inclusion check.
    let mut bad = ev.clone();
    let last = bad.entries.last_mut().unwrap();
    use base64::Engine as _;
    let mut bytes = base64::prelude::BASE64_STANDARD.decode(&last.entry).unwrap();
    bytes[30] ^= 1;
    last.entry = base64::prelude::BASE64_STANDARD.encode(bytes);
    let bad_path = dir.join("bad.json");
    std::fs::write(&bad_path, serde_json::to_vec(&bad).unwrap()).unwrap();
    let (ok, text) = check(&bad_path);
    assert!(!ok, "doctored bundle accepted by Go: {text}");

    // A bundle that leaves an entry of its complete range out (a notice, say) fails too.
    let mut gap = ev.clone();
    gap.entries.remove(gap.entries.len() / 2);
    let gap_path = dir.join("gap.json");
    std::fs::write(&gap_path, serde_json::to_vec(&gap).unwrap()).unwrap();
    let (ok, text) = check(&gap_path);
    assert!(
        !ok && text.contains("missing"),
        "incomplete bundle accepted by Go: {text}"
    );
    tmp.close().unwrap();
}
