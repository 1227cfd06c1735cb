//! What the browser tests share: where the Playwright checks (`tests/browser`) and Chromium are,
//! whether they can run, and the dashboard started as a child process that is killed when dropped.
//!
//! The checks need `/usr/bin/chromium` (or `$CHROMIUM`), Node.js and `tests/browser/node_modules`,
//! all installed by `scripts/install-test-deps.sh`. Under `CI=true` a missing one fails the test;
//! elsewhere the test says loudly what is missing and skips.

#![allow(dead_code)] // each test binary uses its own part of this module

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The folder of the browser checks (`tests/browser` at the workspace root).
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/browser")
}

/// The Chromium binary: `$CHROMIUM`, else Debian's `/usr/bin/chromium`.
pub fn chromium() -> PathBuf {
    std::env::var_os("CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from)
}

/// What is missing to run the browser checks, if anything.
pub fn missing_tools() -> Vec<String> {
    let mut missing = Vec::new();
    if !chromium().is_file() {
        missing.push(format!("{} (Debian chromium)", chromium().display()));
    }
    let node = Command::new("node").arg("--version").output();
    if !node.is_ok_and(|o| o.status.success()) {
        missing.push("node (Node.js 20 or later)".into());
    }
    if !dir().join("node_modules/playwright-core/package.json").is_file() {
        missing.push(format!(
            "{}/node_modules/playwright-core (npm ci)",
            dir().display()
        ));
    }
    missing
}

/// Whether `test` (named in the message) can run; panics under `CI=true` when it cannot.
pub fn ready(test: &str) -> bool {
    let missing = missing_tools();
    if missing.is_empty() {
        return true;
    }
    let message = format!(
        "{test} needs {}: run `bash scripts/install-test-deps.sh`",
        missing.join(", ")
    );
    assert!(std::env::var("CI").as_deref() != Ok("true"), "{message}");
    eprintln!("\n!!!!!!!! SKIPPED: {message} !!!!!!!!\n");
    false
}

/// A child process (a dashboard, a log), killed when dropped.
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        if let Err(e) = self.0.kill() {
            eprintln!("stopping a test process: {e}");
        }
        if let Err(e) = self.0.wait() {
            eprintln!("waiting for a test process: {e}");
        }
    }
}

/// Starts `shieldwatch dashboard SCENARIO --listen 127.0.0.1:0` and reads the URL from its first
/// line (`dashboard: http://127.0.0.1:PORT/`).
pub fn start_dashboard(scenario: &Path) -> (Killed, String) {
    start_dashboard_with(scenario, &[])
}

/// [`start_dashboard`] with environment variables `env` set for the server (e.g. `RAYON_NUM_THREADS`).
pub fn start_dashboard_with(scenario: &Path, env: &[(&str, &str)]) -> (Killed, String) {
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("shieldwatch"))
        .args(["dashboard", scenario.to_str().unwrap(), "--listen", "127.0.0.1:0"])
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let server = Killed(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let url = line
        .trim()
        .strip_prefix("dashboard: ")
        .unwrap_or_else(|| panic!("the first line names the URL: {line:?}"))
        .to_string();
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with('/'),
        "{url}"
    );
    (server, url)
}
