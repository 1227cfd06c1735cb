//! What an acknowledgement promises with witnesses: `log add` answers only once a published,
//! cosigned checkpoint covers the entry, so `log verify --index N` right after it succeeds every
//! time; with the witness stopped, `log add` answers 503 (the entry stays logged) and resubmitting
//! after the witness is back returns the same index, verifiable at once. At debug level, neither
//! the server's nor the witness's log holds a key or an entry.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

mod scratch;

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_shieldwatch"))
}

fn tmpdir(name: &str) -> scratch::Scratch {
    scratch::dir(&format!("cli-ack-{name}"))
}

#[path = "support/listen.rs"]
mod listen;

/// A child process killed when dropped.
struct Proc(Child);
impl Drop for Proc {
    fn drop(&mut self) {
        if let Err(e) = self.0.kill() {
            eprintln!("kill: {e}");
        }
        if let Err(e) = self.0.wait() {
            eprintln!("wait: {e}");
        }
    }
}

fn run(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(bin()).current_dir(dir).args(args).output().unwrap()
}

/// Spawns a server (`serve` or `witness serve`) and returns it with the URL it announces once
/// bound.
fn spawn(dir: &Path, args: &[&str], log: &str) -> (Proc, String) {
    let f = std::fs::File::create(dir.join(log)).unwrap();
    let mut p = Proc(
        Command::new(bin())
            .current_dir(dir)
            .args(args)
            // The most verbose level a deployment would run: still no secret and no entry.
            .env("RUST_LOG", "debug")
            .stdout(Stdio::piped())
            .stderr(f)
            .spawn()
            .unwrap(),
    );
    let url = listen::listening_url(&mut p.0);
    (p, url)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn with_a_witness_an_acknowledged_entry_verifies_at_once() {
    let dir = tmpdir("witness");
    let o = run(&dir, &["log", "init", "--origin", "ack.test/log", "--dir", "log"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let log_key = text(&o.stdout).trim().to_owned();
    let o = run(
        &dir,
        &["witness", "init", "--name", "ack.test/w", "--key", "w.key"],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    std::fs::write(
        dir.join("witness.toml"),
        format!(
            "key_file = \"w.key\"\nlisten = \"127.0.0.1:0\"\n[[log]]\norigin = \"ack.test/log\"\nkey = \"{log_key}\"\n"
        ),
    )
    .unwrap();
    let (witness, witness_url) = spawn(
        &dir,
        &["witness", "serve", "--config", "witness.toml"],
        "witness.log",
    );
    let (_server, url) = spawn(
        &dir,
        &[
            "serve",
            "--data-dir",
            "log",
            "--listen",
            "127.0.0.1:0",
            "--batch-interval-ms",
            "20",
            "--witness",
            &witness_url,
            "--publish-wait-ms",
            "2000",
        ],
        "serve.log",
    );
    for i in 0..10 {
        let entry = dir.join(format!("e{i}"));
        std::fs::write(&entry, format!("entry {i}")).unwrap();
        let o = run(&dir, &["log", "add", "--url", &url, entry.to_str().unwrap()]);
        assert!(
            o.status.success(),
            "add {i}: {} {}",
            text(&o.stdout),
            text(&o.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let index = v["index"].as_u64().unwrap();
        let o = run(
            &dir,
            &[
                "log",
                "verify",
                "--url",
                &url,
                "--key",
                "@log/verifier.key",
                "--index",
                &index.to_string(),
            ],
        );
        assert!(
            o.status.success(),
            "verify {index} right after add: {} {}",
            text(&o.stdout),
            text(&o.stderr)
        );
    }
    // The witness goes away: an entry is logged but not acknowledged (503 naming its index).
    drop(witness);
    std::fs::write(dir.join("late"), "late entry").unwrap();
    let o = run(&dir, &["log", "add", "--url", &url, "late"]);
    assert!(!o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["status"], 503, "{v}");
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("entry 10 is durably logged"),
        "{v}"
    );
    // The witness is back, on the address the server knows (the port its first run held): the
    // same submission gets the same index, verifiable at once.
    let (_witness, again) = spawn(
        &dir,
        &[
            "witness",
            "serve",
            "--config",
            "witness.toml",
            "--listen",
            listen::authority(&witness_url),
        ],
        "witness2.log",
    );
    assert_eq!(again, witness_url);
    let o = run(&dir, &["log", "add", "--url", &url, "late"]);
    assert!(o.status.success(), "{} {}", text(&o.stdout), text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["index"], 10);
    let o = run(
        &dir,
        &[
            "log",
            "verify",
            "--url",
            &url,
            "--key",
            "@log/verifier.key",
            "--index",
            "10",
        ],
    );
    assert!(o.status.success(), "{} {}", text(&o.stdout), text(&o.stderr));
    // Nothing secret and no entry reached the logs, even at debug level.
    let skey = std::fs::read_to_string(dir.join("log/signing.key")).unwrap();
    let wkey = std::fs::read_to_string(dir.join("w.key")).unwrap();
    for log in ["serve.log", "witness.log", "witness2.log"] {
        let text = std::fs::read_to_string(dir.join(log)).unwrap();
        assert!(!text.is_empty(), "{log} is empty");
        assert!(
            !text.contains(skey.trim()) && !text.contains(wkey.trim()),
            "{log} holds a key"
        );
        assert!(!text.contains("PRIVATE+KEY"), "{log} holds a key");
        assert!(
            !text.contains("entry 3") && !text.contains("late entry"),
            "{log} holds an entry:\n{text}"
        );
    }
}
