//! Durable sequencing without HTTP: [`tlog::LogWriter::append`] of 1 KiB entries in batches, on
//! the embedded storage (files + redb, every fsync real), so the ingest benchmark's HTTP cost can
//! be told apart from the log's own.
//!
//! `cargo bench -p tlog --bench append` appends `APPEND_BATCHES` (default 40) batches of
//! `APPEND_BATCH` (default 4 096) entries to a fresh log and reports entries per second and the
//! batch write time (median, max). Under `cargo test` it runs 3 small batches.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tlog::{LocalStorage, LogSigner, Storage};

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (batches, batch) = if full {
        (env_or("APPEND_BATCHES", 40), env_or("APPEND_BATCH", 4096))
    } else {
        (3, 100)
    };
    let dir = std::env::temp_dir().join(format!("tlog-append-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let storage: Arc<dyn Storage> = Arc::new(LocalStorage::open(&dir).expect("storage"));
    let (signer, _) = LogSigner::generate("bench.test/log").expect("key");
    tlog::create_log(storage.as_ref(), &signer).expect("create log");
    let mut w = tlog::LogWriter::open(storage, signer).expect("open");
    let mut times = vec![];
    let mut k = 0u64;
    for _ in 0..batches {
        let entries: Vec<Vec<u8>> = (0..batch)
            .map(|_| {
                k += 1;
                let mut e = format!("{{\"statement\":{k}}}").into_bytes();
                e.resize(1024, b' ');
                e
            })
            .collect();
        let t = Instant::now();
        w.append(&entries).expect("append");
        times.push(t.elapsed());
    }
    let total: Duration = times.iter().sum();
    times.sort_unstable();
    println!(
        "append: {batches} batches of {batch} 1 KiB entries (tree size {}): {:.0} entries/s; \
         batch write median {:.0} ms, max {:.0} ms",
        w.state().size,
        (batches * batch) as f64 / total.as_secs_f64(),
        times[times.len() / 2].as_secs_f64() * 1e3,
        times[times.len() - 1].as_secs_f64() * 1e3,
    );
    assert_eq!(w.state().size, (batches * batch) as u64);
    let _ = std::fs::remove_dir_all(&dir);
}
