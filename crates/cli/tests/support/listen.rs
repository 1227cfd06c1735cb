//! Starting `shieldwatch serve` and `witness serve` on a port the system picks: the child binds
//! `127.0.0.1:0` and prints `listening on <url>` on stdout once bound (README "The transparency
//! log"); the test reads that line, so no port is ever chosen by binding and dropping a socket
//! (another process could take it in between).

use std::io::BufRead as _;
use std::process::{Child, ChildStdout};
use std::sync::mpsc;
use std::time::Duration;

/// Reads the child's stdout until its `listening on <url>` line and returns the URL; the rest of
/// stdout keeps being read (and dropped) by a thread, so the child never blocks on a full pipe.
/// Fails the test if the line does not come within 60 s or stdout closes first.
pub fn listening_url(child: &mut Child) -> String {
    let out: ChildStdout = child.stdout.take().expect("stdout piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = std::io::BufReader::new(out).lines();
        let mut sent = false;
        for line in lines.by_ref() {
            let Ok(line) = line else { break };
            if !sent && let Some(url) = line.strip_prefix("listening on ") {
                sent = tx.send(url.to_owned()).is_ok();
            }
        }
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(url) => url,
        Err(e) => panic!("no `listening on` line from the child: {e}"),
    }
}

/// The `host:port` of a URL printed by [`listening_url`].
#[allow(dead_code)]
pub fn authority(url: &str) -> &str {
    url.split_once("://").map_or(url, |(_, rest)| rest)
}
