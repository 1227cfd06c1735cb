//! `shieldwatch monitor` against a log that is not there: in following mode it keeps polling
//! (backing off) and raises one `unavailable` alert once the outage has lasted
//! `--unavailable-after-s`, instead of quitting on the first refused connection; with `--once` it
//! exits 1 naming the problem. (The monitor's checks themselves are tested in-process in
//! `crates/verify/tests/monitor.rs`.)

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("shieldwatch")
}

/// A port nothing listens on (bound, then released).
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A trust file with fresh keys (no witness required).
fn trust(dir: &Path) -> PathBuf {
    let log = verify::Key::generate("log.test/log").unwrap();
    let anchor = verify::Key::generate("authority").unwrap();
    let p = dir.join("trust.toml");
    std::fs::write(
        &p,
        format!(
            "log_key = \"{}\"\nwitness_keys = []\nmin_cosignatures = 0\nanchors = [\"{}\"]\nrules = \"europe-2008\"\n",
            log.vkey(),
            anchor.vkey()
        ),
    )
    .unwrap();
    p
}

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("cli-monitor-{name}-{}", std::process::id()));
    if d.exists() {
        std::fs::remove_dir_all(&d).unwrap();
    }
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A child process killed when dropped.
struct Proc(Child);
impl Drop for Proc {
    fn drop(&mut self) {
        if let Err(e) = self.0.kill() {
            eprintln!("stopping the monitor: {e}");
        }
        if let Err(e) = self.0.wait() {
            eprintln!("waiting for the monitor: {e}");
        }
    }
}

#[test]
fn a_monitor_keeps_following_an_absent_log_and_alerts_once_it_is_down_long_enough() {
    let dir = tmpdir("follow");
    let trust = trust(&dir);
    let url = format!("http://127.0.0.1:{}", closed_port());
    let mut child = Proc(
        Command::new(bin())
            .current_dir(&dir)
            .args(["monitor", "--url", &url, "--trust"])
            .arg(&trust)
            .args([
                "--out",
                "alerts",
                "--interval-s",
                "1",
                "--max-backoff-s",
                "2",
                "--unavailable-after-s",
                "2",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let line = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("no alert while the log was down");
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["alert"], "unavailable", "{line}");
    assert!(v["for_s"].as_u64().unwrap() >= 2, "{line}");
    assert!(v["error"].as_str().unwrap().contains("GET /checkpoint"), "{line}");
    // Still following: it did not exit on the refused connections, and alerts once per outage.
    std::thread::sleep(Duration::from_secs(3));
    assert!(child.0.try_wait().unwrap().is_none(), "the monitor quit");
    assert!(rx.try_recv().is_err(), "a second alert for the same outage");
}

#[test]
fn a_single_poll_of_an_absent_log_fails_naming_it() {
    let dir = tmpdir("once");
    let trust = trust(&dir);
    let url = format!("http://127.0.0.1:{}", closed_port());
    let o = Command::new(bin())
        .current_dir(&dir)
        .args(["monitor", "--once", "--url", &url, "--trust"])
        .arg(&trust)
        .args(["--out", "alerts"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("no usable checkpoint") && err.contains("GET /checkpoint"),
        "{err}"
    );
}
