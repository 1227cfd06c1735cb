//! `shieldwatch monitor` against a log that goes wrong, through real processes: a log that is not
//! there (in following mode the monitor keeps polling, backing off, and raises one `unavailable`
//! alert once the outage has lasted `--unavailable-after-s`, instead of quitting on the first
//! refused connection; with `--once` it exits 1 naming the problem), and a log server restarted
//! from an older copy of its data directory (a `rollback` alert naming the lost entries, whose
//! evidence `verify evidence` accepts). The monitor's checks themselves are tested in-process in
//! `crates/verify/tests/monitor.rs`.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

mod scratch;

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("shieldwatch")
}

#[path = "support/listen.rs"]
mod listen;

/// A port that refuses connections for as long as the returned socket lives: bound (so no other
/// process can take it) but never listening.
fn closed_port() -> (socket2::Socket, u16) {
    let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    s.bind(&std::net::SocketAddr::from(([127, 0, 0, 1], 0)).into())
        .unwrap();
    let port = s.local_addr().unwrap().as_socket().unwrap().port();
    (s, port)
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

fn tmpdir(name: &str) -> scratch::Scratch {
    scratch::dir(&format!("cli-monitor-{name}"))
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
    let (_held, port) = closed_port();
    let url = format!("http://127.0.0.1:{port}");
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
    let (_held, port) = closed_port();
    let url = format!("http://127.0.0.1:{port}");
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

fn run(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(bin()).current_dir(dir).args(args).output().unwrap()
}

/// Serves the log in `dir/log` on `listen` (`127.0.0.1:0` for a port the system picks); returns
/// the server and the URL it announces.
fn serve(dir: &Path, listen: &str) -> (Proc, String) {
    let mut p = Proc(
        Command::new(bin())
            .current_dir(dir)
            .args([
                "serve",
                "--data-dir",
                "log",
                "--listen",
                listen,
                "--batch-interval-ms",
                "20",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let url = listen::listening_url(&mut p.0);
    (p, url)
}

fn add(dir: &Path, url: &str, n: usize) {
    let f = dir.join(format!("entry-{n}.bin"));
    std::fs::write(&f, format!("entry {n}")).unwrap();
    let o = run(dir, &["log", "add", "--url", url, f.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// Copies a directory tree (the log's data directory).
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

#[test]
fn a_log_restored_from_an_older_copy_is_alerted_as_a_rollback_naming_the_lost_entries() {
    let dir = tmpdir("rollback");
    let o = run(
        &dir,
        &["log", "init", "--origin", "log.test/rollback", "--dir", "log"],
    );
    assert!(o.status.success());
    let log_key = String::from_utf8_lossy(&o.stdout).trim().to_owned();
    let anchor = verify::Key::generate("authority").unwrap();
    std::fs::write(
        dir.join("trust.toml"),
        format!(
            "log_key = \"{log_key}\"\nwitness_keys = []\nmin_cosignatures = 0\nanchors = [\"{}\"]\nrules = \"europe-2008\"\n",
            anchor.vkey()
        ),
    )
    .unwrap();
    // Three entries, a backup of the data directory, three more. Restarts take the address the
    // first run held (the monitor's URL).
    let (server, url) = serve(&dir, "127.0.0.1:0");
    let addr = listen::authority(&url).to_owned();
    for n in 0..3 {
        add(&dir, &url, n);
    }
    drop(server);
    copy_dir(&dir.join("log"), &dir.join("log-backup"));
    let (server, _) = serve(&dir, &addr);
    for n in 3..6 {
        add(&dir, &url, n);
    }
    // The monitor follows all six (they are not statements: each is a `forged` alert).
    let mut monitor = Proc(
        Command::new(bin())
            .current_dir(&dir)
            .args([
                "monitor",
                "--url",
                &url,
                "--trust",
                "trust.toml",
                "--out",
                "alerts",
            ])
            .args(["--interval-s", "1", "--max-backoff-s", "1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = monitor.0.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel::<serde_json::Value>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let Ok(v) = serde_json::from_str(&line) else { break };
            if tx.send(v).is_err() {
                break;
            }
        }
    });
    for _ in 0..6 {
        let v = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the monitor follows");
        assert_eq!(v["alert"], "forged", "{v}");
    }
    // The operator restores the backup and restarts the server.
    drop(server);
    std::fs::remove_dir_all(dir.join("log")).unwrap();
    std::fs::rename(dir.join("log-backup"), dir.join("log")).unwrap();
    let (_server, _) = serve(&dir, &addr);
    let v = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("no alert for the rollback");
    assert_eq!(v["alert"], "rollback", "{v}");
    assert_eq!(v["lost"], serde_json::json!({"from": 3, "to": 6}), "{v}");
    let file = dir.join("alerts").join(v["evidence"].as_str().unwrap());
    let o = run(
        &dir,
        &[
            "verify",
            "evidence",
            file.to_str().unwrap(),
            "--trust",
            "trust.toml",
        ],
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success() && out.starts_with("VERIFIED rollback"),
        "{out}"
    );
    assert!(out.contains("entries 3..6"), "{out}");
    assert!(monitor.0.try_wait().unwrap().is_none(), "the monitor quit");
}
