//! `shieldwatch log fsck DIR` and `serve --verify-on-start` on a log with one flipped byte in an
//! old hash tile: both name the file and fail; the intact log passes both.

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

mod scratch;

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_shieldwatch"))
}

/// A log of 600 entries in `dir` with its 0600 signing key and `verifier.key`, as `log init` and
/// a server would leave it.
fn build(dir: &Path) {
    let storage: Arc<dyn tlog::Storage> = Arc::new(tlog::LocalStorage::open(dir).unwrap());
    let (signer, skey) = tlog::LogSigner::generate("fsck.test/log").unwrap();
    tlog::create_log(storage.as_ref(), &signer).unwrap();
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(dir.join("signing.key"))
        .unwrap();
    f.write_all(skey.as_bytes()).unwrap();
    std::fs::write(dir.join("verifier.key"), format!("{}\n", signer.verifier_key())).unwrap();
    let mut w = tlog::LogWriter::open(storage, signer).unwrap();
    for batch in 0..3u64 {
        let entries: Vec<Vec<u8>> = (0..200)
            .map(|i| format!("entry {batch} {i}").into_bytes())
            .collect();
        w.append(&entries).unwrap();
    }
}

fn fsck(dir: &Path) -> (bool, serde_json::Value, String) {
    let o = Command::new(bin())
        .args(["log", "fsck"])
        .arg(dir)
        .output()
        .unwrap();
    let v = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {:?}", o));
    (
        o.status.success(),
        v,
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Runs `serve --verify-on-start` and returns (exited by itself with failure, stderr). A server
/// that passes the check keeps running: it is stopped once it answers, and counts as passed.
fn serve_verify(dir: &Path) -> (bool, String) {
    let mut child = Command::new(bin())
        .args([
            "serve",
            "--verify-on-start",
            "--listen",
            "127.0.0.1:0",
            "--log-json",
        ])
        .arg("--data-dir")
        .arg(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let lines = std::io::BufRead::lines(std::io::BufReader::new(stderr));
    let mut text = String::new();
    for l in lines {
        let l = l.unwrap();
        text.push_str(&l);
        text.push('\n');
        if l.contains("serving the transparency log") {
            child.kill().unwrap();
            child.wait().unwrap();
            return (false, text);
        }
    }
    let status = child.wait().unwrap();
    (!status.success(), text)
}

#[test]
fn a_flipped_byte_in_an_old_tile_is_named_by_fsck_and_stops_serve() {
    let scratch = scratch::dir("cli-fsck");
    let dir = scratch.join("log");
    build(&dir);
    let (ok, v, err) = fsck(&dir);
    assert!(ok, "{v} {err}");
    assert_eq!(v["size"], 600);
    assert_eq!(v["ok"], true);
    let (failed, text) = serve_verify(&dir);
    assert!(!failed, "the intact log must be served: {text}");
    assert!(text.contains("the log at rest matches its signed root"), "{text}");

    let tile = dir.join("public/tile/0/000");
    let mut b = std::fs::read(&tile).unwrap();
    b[77] ^= 0x20;
    std::fs::write(&tile, b).unwrap();
    let (ok, v, err) = fsck(&dir);
    assert!(!ok);
    assert_eq!(v["ok"], false);
    assert_eq!(v["file"], "tile/0/000", "{v}");
    assert!(err.contains("tile/0/000"), "{err}");
    let (failed, text) = serve_verify(&dir);
    assert!(failed, "a damaged log must not be served: {text}");
    assert!(text.contains("tile/0/000"), "{text}");
}
