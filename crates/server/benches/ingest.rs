//! Sustained ingest over HTTP on loopback with durable acknowledgement.
//!
//! `clients` concurrent submitters (one HTTP/1.1 keep-alive connection each, one entry per
//! request, the next request only after the previous answer) POST signed 1 KiB entries (960 bytes
//! of statement + a 64-byte Ed25519 signature over it) to a server in a child process (this
//! binary re-executed, so client and server CPU time are measured apart and each side has its own
//! file-descriptor limit); each request is answered only after its batch is fsynced and
//! committed. Connections are opened before the
//! clock starts (a few hundred at a time, so the accept queue never overflows into SYN
//! retransmissions). Reports entries per second, acknowledgement latency percentiles, batch
//! sizes and CPU time per entry, and checks that the tree holds exactly the acknowledged entries.
//!
//! The run is bounded twice: it stops after `INGEST_ENTRIES` entries or `INGEST_SECONDS` seconds,
//! whichever comes first, and a watchdog aborts the process if it is still running a minute after
//! that (so it can never run away).
//!
//! `cargo bench -p server --bench ingest` runs the measurement with the server's default batching
//! (500 ms). Environment overrides: `INGEST_ENTRIES` (default 1 000 000), `INGEST_SECONDS` (20),
//! `INGEST_CLIENTS` (8 192; one file descriptor each, on each side), `INGEST_BATCH_MS` (500),
//! `INGEST_BATCH` (1: entries per request; 1 posts each entry to `/add`, more post that many
//! entries at a time to `/add-batch`, and each entry's acknowledgement latency is then its
//! request's).
//! Under `cargo test` (no `--bench` argument) it runs a 2 000-entry smoke pass.
//! `INGEST_STORAGE=cloud` puts the log on the scale-out storage instead of the embedded one:
//! PostgreSQL and moto's S3 server on loopback, started by `testsvc` (scripts/test-postgres.sh
//! with fsync on, scripts/test-s3.sh).
//!
//! Little's law sets the client count: with one request in flight per client, throughput is
//! `clients / mean latency`, and the latency is at least half a batch interval plus a batch
//! write; 20 000 entries/s at a 500 ms interval needs several thousand concurrent submitters.

use std::io::{BufRead as _, Read as _};
use std::path::Path;
use std::process::{Command, Stdio};
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

/// User + system CPU time of a process (`self` or a pid), from `/proc/<pid>/stat` (Linux), in
/// seconds.
fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0) // USER_HZ is 100 on Linux.
}

/// `n` distinct signed 1 KiB statements, signed on every core before the clock starts.
fn signed_entries(n: usize) -> Vec<Vec<u8>> {
    let key = SigningKey::from_bytes(&[42u8; 32]);
    let threads = std::thread::available_parallelism().map_or(2, |p| p.get());
    let chunk = n.div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .step_by(chunk)
            .map(|start| {
                let key = key.clone();
                s.spawn(move || {
                    (start..(start + chunk).min(n))
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
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("signing thread"))
            .collect()
    })
}

fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(f64::NAN)
}

/// The server side: serves the log in `dir` with `batch_ms` batching, prints its port, and
/// shuts down gracefully when its standard input closes.
/// The child's scale-out settings, from the parent: database URL, bucket, S3 endpoint.
fn cloud_settings() -> Option<(String, String, String)> {
    Some((
        std::env::var("INGEST_DATABASE_URL").ok()?,
        std::env::var("INGEST_BUCKET").ok()?,
        std::env::var("INGEST_S3_ENDPOINT").ok()?,
    ))
}

/// `object_store` settings for moto at `endpoint`.
fn s3_options(endpoint: &str) -> Vec<(String, String)> {
    testsvc::Bucket {
        endpoint: endpoint.to_owned(),
        name: String::new(),
    }
    .options()
}

fn serve(dir: &Path, batch_ms: u64) {
    let signer = server::load_signer(&dir.join("signing.key")).expect("key");
    let mut cloud = ServerConfig::default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let log: server::ServedLog = match cloud_settings() {
            Some((db, bucket, endpoint)) => {
                cloud.database_url = Some(server::cloud::DatabaseUrl(db));
                cloud.object_store_url = Some(format!("s3://{bucket}"));
                let c = cloud.clone();
                tokio::task::block_in_place(|| {
                    server::cloud::open_cloud_log_with(
                        &c,
                        signer,
                        &format!("http://{addr}"),
                        s3_options(&endpoint),
                    )
                })
                .expect("open the scale-out log")
                .into()
            }
            None => server::open_local_log(dir, signer).expect("open log").into(),
        };
        println!("port {}", addr.port());
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            // The parent closing our stdin (EOF) means stop; so does a failed read, said on stderr.
            if let Err(e) = std::io::stdin().read_to_end(&mut Vec::new()) {
                eprintln!("ingest bench server: reading stdin failed ({e}); stopping");
            }
            // The server task is gone already when the send fails: nothing left to stop.
            if stop_tx.send(()).is_err() {
                eprintln!("ingest bench server: already stopped");
            }
        });
        // Every bench client shares the loopback address: the per-address rate limit (which would
        // answer 429 within a second) is off, so the figure is the log's ingest capacity.
        let config = ServerConfig {
            batch_interval_ms: batch_ms,
            rate_per_address: 0,
            ..cloud
        };
        server::run_with(listener, log, config, server::Extensions::default(), async move {
            if stop_rx.await.is_err() {
                eprintln!("ingest bench server: the stop signal's sender went away; stopping");
            }
        })
        .await
        .expect("server");
    });
}

fn main() {
    if let Ok(dir) = std::env::var("INGEST_SERVER_DIR") {
        serve(Path::new(&dir), env_or("INGEST_BATCH_MS", 500) as u64);
        return;
    }
    let full = std::env::args().any(|a| a == "--bench");
    let (total, clients, seconds, batch_ms, per_request) = if full {
        (
            env_or("INGEST_ENTRIES", 1_000_000),
            env_or("INGEST_CLIENTS", 8_192),
            env_or("INGEST_SECONDS", 20),
            env_or("INGEST_BATCH_MS", 500),
            env_or("INGEST_BATCH", 1).max(1),
        )
    } else {
        (2_000, 64, 20, 50, env_or("INGEST_BATCH", 1).max(1))
    };
    let cap = Duration::from_secs(seconds as u64);
    // Watchdog: whatever happens (a hung connection, a stopped sequencer answering 503 forever),
    // the process ends a minute after the time cap plus set-up.
    std::thread::spawn(move || {
        std::thread::sleep(cap + Duration::from_secs(120));
        eprintln!("ingest bench: watchdog fired, aborting");
        std::process::exit(2);
    });

    // Entries for the whole cap at up to 30 000 entries/s (60 000 with batched requests), at
    // most `total`.
    let rate = if per_request > 1 { 60_000 } else { 30_000 };
    let n = total.min(rate * seconds.max(1));
    let t = Instant::now();
    let entries = Arc::new(signed_entries(n));
    eprintln!(
        "ingest bench: signed {n} entries in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let dir = std::env::temp_dir().join(format!("server-ingest-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    // The scale-out storage, when asked for: a database and a bucket on loopback servers that
    // live as long as this process.
    let cloud = (std::env::var("INGEST_STORAGE").as_deref() == Ok("cloud")).then(|| {
        let db = testsvc::postgres_database().expect("INGEST_STORAGE=cloud needs PostgreSQL");
        let bucket = testsvc::s3_bucket().expect("INGEST_STORAGE=cloud needs moto");
        (db, bucket)
    });
    let open = || -> Arc<dyn Storage> {
        match &cloud {
            Some((db, bucket)) => Arc::new(
                tlog_cloud::CloudStorage::open(&tlog_cloud::CloudConfig {
                    database_url: db.clone(),
                    object_store_url: bucket.url(),
                    s3_options: bucket.options(),
                    max_connections: 2,
                })
                .expect("scale-out storage"),
            ),
            None => Arc::new(LocalStorage::open(&dir).expect("storage")),
        }
    };
    std::fs::create_dir_all(&dir).expect("bench directory");
    let storage = open();
    let (signer, skey) = LogSigner::generate("bench.test/log").expect("key");
    tlog::create_log(storage.as_ref(), &signer).expect("create log");
    drop(storage);
    {
        use std::io::Write as _;
        use std::os::unix::fs::OpenOptionsExt as _;
        // The server refuses a key file that group or others may read.
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(dir.join("signing.key"))
            .expect("key file");
        f.write_all(skey.as_bytes()).expect("key file");
    }
    let mut command = Command::new(std::env::current_exe().expect("own path"));
    if let Some((db, bucket)) = &cloud {
        command
            .env("INGEST_DATABASE_URL", db)
            .env("INGEST_BUCKET", &bucket.name)
            .env("INGEST_S3_ENDPOINT", &bucket.endpoint);
    }
    let mut child = command
        .env("INGEST_SERVER_DIR", &dir)
        .env("INGEST_BATCH_MS", batch_ms.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("server process");
    let server_pid = child.id().to_string();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("server port");
    let port: u16 = line
        .trim()
        .strip_prefix("port ")
        .and_then(|p| p.parse().ok())
        .expect("server port line");
    let stdin = child.stdin.take();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let storage = if cloud.is_some() {
        "PostgreSQL + S3"
    } else {
        "embedded"
    };
    let acked = rt.block_on(async move {
        let base = format!("http://127.0.0.1:{port}");
        let url = if per_request > 1 {
            format!("{base}/add-batch")
        } else {
            format!("{base}/add")
        };
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(clients)
            .http1_only()
            .build()
            .expect("client");
        let next = Arc::new(AtomicUsize::new(0));
        let ready = Arc::new(AtomicUsize::new(0));
        let connecting = Arc::new(tokio::sync::Semaphore::new(256));
        let (go_tx, go_rx) = tokio::sync::watch::channel(None::<Instant>);
        let mut tasks = vec![];
        for _ in 0..clients {
            let (http, url, base, next, entries) = (
                http.clone(),
                url.clone(),
                base.clone(),
                next.clone(),
                entries.clone(),
            );
            let (ready, connecting, mut go_rx) = (ready.clone(), connecting.clone(), go_rx.clone());
            tasks.push(tokio::spawn(async move {
                // Open this client's connection before the clock starts.
                {
                    let _permit = connecting.acquire().await.expect("semaphore");
                    let r = http.get(format!("{base}/healthz")).send().await.expect("connect");
                    let _ = r.bytes().await;
                }
                ready.fetch_add(1, Ordering::Relaxed);
                let started = go_rx
                    .wait_for(Option::is_some)
                    .await
                    .expect("start signal")
                    .expect("start time");
                let mut lat = vec![];
                loop {
                    let i = next.fetch_add(per_request, Ordering::Relaxed);
                    if i >= entries.len() || started.elapsed() >= cap {
                        return lat;
                    }
                    let batch = &entries[i..(i + per_request).min(entries.len())];
                    let body = if per_request > 1 {
                        tlog::tiles::encode_bundle(batch.iter().map(Vec::as_slice)).expect("framing")
                    } else {
                        batch[0].clone()
                    };
                    let t = Instant::now();
                    loop {
                        let r = http
                            .post(&url)
                            .header("content-type", "application/octet-stream")
                            .body(body.clone())
                            .send()
                            .await
                            .expect("POST");
                        let status = r.status();
                        r.bytes().await.expect("response body");
                        if status.is_success() {
                            break;
                        }
                        assert_eq!(status.as_u16(), 503, "unexpected status");
                        assert!(started.elapsed() < cap, "still refused (503) at the time cap");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    let took = t.elapsed();
                    lat.extend(std::iter::repeat_n(took, batch.len()));
                }
            }));
        }
        while ready.load(Ordering::Relaxed) < clients {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let cpu0 = cpu_seconds("self").zip(cpu_seconds(&server_pid));
        let m0 = http
            .get(format!("{base}/metrics"))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("metrics");
        let started = Instant::now();
        go_tx.send_replace(Some(started));
        let mut lat: Vec<Duration> = vec![];
        for t in tasks {
            lat.extend(t.await.expect("client task"));
        }
        let elapsed = started.elapsed();
        let cpu = cpu_seconds("self")
            .zip(cpu_seconds(&server_pid))
            .zip(cpu0)
            .map(|((c, s), (c0, s0))| (c - c0, s - s0));
        let m1 = http
            .get(format!("{base}/metrics"))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("metrics");
        lat.sort_unstable();
        let done = lat.len();
        assert!(done > 0, "no entry acknowledged");
        let pct = |p: f64| lat[((done as f64 * p) as usize).min(done - 1)].as_secs_f64() * 1e3;
        let d = |name: &str| metric(&m1, name) - metric(&m0, name);
        let batches = d("shieldwatch_log_batches_total");
        let seq_s = d("shieldwatch_log_sequencing_seconds_total");
        println!(
            "ingest ({storage}): {done} signed 1 KiB entries, {clients} clients, {per_request} per request, \
             batch interval {batch_ms} ms, \
             {:.2} s: {:.0} entries/s; ack latency p50 {:.0} ms, p90 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
            elapsed.as_secs_f64(),
            done as f64 / elapsed.as_secs_f64(),
            pct(0.50),
            pct(0.90),
            pct(0.99),
            pct(1.0),
        );
        println!(
            "ingest: {batches} batches, mean {:.0} entries and {:.0} ms of writing each; \
             CPU per entry: {}",
            done as f64 / batches,
            seq_s / batches * 1e3,
            cpu.map_or("n/a".into(), |(c, s)| format!(
                "server {:.0} µs, client {:.0} µs ({:.2} + {:.2} cores busy)",
                s / done as f64 * 1e6,
                c / done as f64 * 1e6,
                s / elapsed.as_secs_f64(),
                c / elapsed.as_secs_f64(),
            )),
        );
        done
    });
    // Closing its standard input stops the server gracefully.
    drop(stdin);
    let status = child.wait().expect("server exit");
    assert!(status.success(), "server: {status}");
    let storage = open();
    assert_eq!(
        storage.load_state().expect("state").size,
        acked as u64,
        "the tree holds exactly the acknowledged entries"
    );
    drop(storage);
    let _ = std::fs::remove_dir_all(&dir);
}
