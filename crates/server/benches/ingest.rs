//! Sustained ingest over HTTP on loopback with durable acknowledgement.
//!
//! Many concurrent clients (HTTP/1.1 keep-alive, one entry per request) POST signed 1 KiB entries
//! (960 bytes of statement + a 64-byte Ed25519 signature over it) to a server with the default
//! batching (500 ms / 16 384 entries); each request returns only after its batch is fsynced and
//! committed. Reports entries per second and acknowledgement latency percentiles, and checks the
//! final tree size.
//!
//! `cargo bench -p server --bench ingest` runs the full measurement (200 000 entries, 512
//! clients; override with INGEST_ENTRIES and INGEST_CLIENTS). Under `cargo test` (no `--bench`
//! argument) it runs a 2 000-entry smoke pass.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ed25519_dalek::{Signer as _, SigningKey};
use server::ServerConfig;
use tlog::{LocalStorage, LogSigner, Storage};

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let total = if full {
        env_or("INGEST_ENTRIES", 200_000)
    } else {
        2_000
    };
    let clients = if full { env_or("INGEST_CLIENTS", 512) } else { 32 };

    // Signed 1 KiB entries, made before timing starts.
    let key = SigningKey::from_bytes(&[42u8; 32]);
    let entries: Arc<Vec<Vec<u8>>> = Arc::new(
        (0..total)
            .map(|i| {
                let mut stmt = format!(
                    "{{\"sensor\":\"radar-{}\",\"seq\":{i},\"state\":\"off\"}}",
                    i % 97
                )
                .into_bytes();
                stmt.resize(960, b' ');
                let sig = key.sign(&stmt);
                stmt.extend_from_slice(&sig.to_bytes());
                stmt
            })
            .collect(),
    );

    let dir = std::env::temp_dir().join(format!("server-ingest-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let storage: Arc<dyn Storage> = Arc::new(LocalStorage::open(&dir).unwrap());
    let (signer, _) = LogSigner::generate("bench.test/log").unwrap();
    tlog::create_log(storage.as_ref(), &signer).unwrap();
    let writer = tlog::LogWriter::open(storage.clone(), signer).unwrap();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/add", listener.local_addr().unwrap());
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let config = ServerConfig::default();
        let server = tokio::spawn(server::run(listener, writer, config, async move {
            let _ = stop_rx.await;
        }));

        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(clients)
            .build()
            .unwrap();
        let next = Arc::new(AtomicUsize::new(0));
        let started = Instant::now();
        let mut tasks = vec![];
        for _ in 0..clients {
            let (http, url, next, entries) = (http.clone(), url.clone(), next.clone(), entries.clone());
            tasks.push(tokio::spawn(async move {
                let mut lat = vec![];
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= entries.len() {
                        return lat;
                    }
                    let t = Instant::now();
                    loop {
                        let r = http
                            .post(&url)
                            .header("content-type", "application/octet-stream")
                            .body(entries[i].clone())
                            .send()
                            .await
                            .unwrap();
                        let status = r.status();
                        let _ = r.bytes().await;
                        if status.is_success() {
                            break;
                        }
                        assert_eq!(status.as_u16(), 503, "unexpected status");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    lat.push(t.elapsed());
                }
            }));
        }
        let mut lat: Vec<Duration> = vec![];
        for t in tasks {
            lat.extend(t.await.unwrap());
        }
        let elapsed = started.elapsed();
        lat.sort_unstable();
        let pct = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)];
        println!(
            "ingest: {total} signed 1 KiB entries, {clients} clients, {:.2} s: {:.0} entries/s; \
             ack latency p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
            elapsed.as_secs_f64(),
            total as f64 / elapsed.as_secs_f64(),
            pct(0.50).as_secs_f64() * 1e3,
            pct(0.99).as_secs_f64() * 1e3,
            lat[lat.len() - 1].as_secs_f64() * 1e3,
        );
        let _ = stop_tx.send(());
        server.await.unwrap().unwrap();
    });
    assert_eq!(
        storage.load_state().unwrap().size,
        total as u64,
        "every entry is in the log"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
