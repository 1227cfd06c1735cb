//! Independent verification: a small Go program (`tests/goverify/main.go`) built with Debian's
//! `golang-go` and `golang-golang-x-mod-dev` checks our checkpoint signature, tiles, entry
//! bundles, inclusion and consistency with `golang.org/x/mod/sumdb/{note,tlog}`.
//!
//! The build is offline (GOPATH mode over `/usr/share/gocode`, `GOPROXY=off`). Without a Go
//! toolchain the test is skipped with a message, except under CI (`CI=true`), where it fails:
//! `scripts/install-test-deps.sh` installs the packages.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use tlog::{LocalStorage, LogSigner, LogWriter, Storage, create_log};

fn run(bin: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(bin).args(args).output().expect("running goverify");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn go_x_mod_verifies_our_log() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/goverify/main.go");
    let Some(bin) = testsvc::go_program(&src, dir) else {
        return;
    };

    let storage: Arc<dyn Storage> = Arc::new(LocalStorage::open(dir.join("log")).unwrap());
    let (signer, _) = LogSigner::generate("goverify.test/log").unwrap();
    create_log(storage.as_ref(), &signer).unwrap();
    let mut w = LogWriter::open(storage.clone(), signer.clone()).unwrap();
    // Uneven batches so the tree has full and partial tiles at levels 0, 1 and 2, and entries of
    // varied lengths (up to the 65 535-byte maximum) in the bundles.
    let mut next = 0u64;
    let mut old_checkpoints = vec![];
    for batch in [1u64, 1, 254, 1000, 64_280, 4_000, 123] {
        let entries: Vec<Vec<u8>> = (next..next + batch)
            .map(|i| {
                let mut e = format!("shieldwatch entry {i}:").into_bytes();
                e.resize(e.len() + (i as usize * 7919) % 300, b'.');
                if i == 5 {
                    e.resize(65_535, b'!');
                }
                e
            })
            .collect();
        w.append(&entries).unwrap();
        next += batch;
        let p = dir.join(format!("checkpoint.{next}"));
        std::fs::write(&p, &w.state().checkpoint).unwrap();
        old_checkpoints.push(p);
    }
    let public = dir.join("log/public");
    let vkey = signer.verifier_key().to_owned();
    let public_s = public.to_str().unwrap();
    for (i, old) in old_checkpoints.iter().enumerate() {
        let mut args = vec![
            "-dir",
            public_s,
            "-vkey",
            &vkey,
            "-old",
            old.to_str().unwrap(),
            "-samples",
            "60",
        ];
        args.extend(["-expect-prefix", "shieldwatch entry"]);
        if i == 0 {
            args.push("-all");
        }
        let (ok, text) = run(&bin, &args);
        assert!(ok, "{text}");
        assert!(i != 0 || text.contains("all 69659 leaf hashes match"), "{text}");
        assert!(
            text.contains("inclusion proofs OK") && text.contains("consistency"),
            "{text}"
        );
    }

    // The verifier must actually reject: another key, a tampered tile, a tampered entry.
    let (other, _) = LogSigner::generate("goverify.test/log").unwrap();
    let (ok, text) = run(&bin, &["-dir", public_s, "-vkey", other.verifier_key()]);
    assert!(!ok && text.contains("signature"), "{text}");

    let tile = public.join("tile/0/001");
    let orig = std::fs::read(&tile).unwrap();
    let mut bad = orig.clone();
    bad[100] ^= 1;
    std::fs::write(&tile, &bad).unwrap();
    let (ok, text) = run(&bin, &["-dir", public_s, "-vkey", &vkey, "-samples", "0", "-all"]);
    std::fs::write(&tile, &orig).unwrap();
    assert!(!ok, "tampered tile accepted: {text}");

    let bundle = public.join("tile/entries/000");
    let orig = std::fs::read(&bundle).unwrap();
    let mut bad = orig.clone();
    bad[3] ^= 1;
    std::fs::write(&bundle, &bad).unwrap();
    let (ok, text) = run(&bin, &["-dir", public_s, "-vkey", &vkey, "-samples", "0"]);
    std::fs::write(&bundle, &orig).unwrap();
    assert!(
        !ok && text.contains("inclusion of entry 0"),
        "tampered entry accepted: {text}"
    );

    tmp.close().unwrap();
}
