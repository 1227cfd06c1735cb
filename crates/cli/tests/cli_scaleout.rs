//! `shieldwatch serve` on the scale-out log (PostgreSQL + S3), through the real binary, on the
//! throw-away servers of `testsvc`: configuration by flags and by TOML keys, the start-up checks
//! (another key or origin refused, a database or bucket that is down refused by name), `/healthz`
//! and `/metrics` during an outage of either, and three instances under concurrent load whose
//! sequencing instance is killed with SIGKILL again and again (no fork, no acknowledged entry
//! lost, Go's `golang.org/x/mod/sumdb/tlog` verifies the tiles read back from the bucket).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use server::client::Client;
use tlog::{Storage as _, VerifiedCheckpoint};

#[path = "support/listen.rs"]
mod listen;

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("shieldwatch")
}

/// A child process, killed (SIGKILL) and reaped when dropped.
struct Proc(Child);
impl Drop for Proc {
    fn drop(&mut self) {
        if let Err(e) = self.0.kill() {
            eprintln!("stopping an instance: {e}");
        }
        if let Err(e) = self.0.wait() {
            eprintln!("waiting for an instance: {e}");
        }
    }
}

/// A database and a bucket for one test, and a key made by `shieldwatch log init`.
struct Setup {
    dir: tempfile::TempDir,
    database: String,
    bucket: testsvc::Bucket,
    vkey: String,
}

impl Setup {
    fn new(origin: &str) -> Option<Self> {
        let database = testsvc::postgres_database()?;
        let bucket = testsvc::s3_bucket()?;
        let dir = tempfile::tempdir().unwrap();
        let vkey = make_key(dir.path(), origin, "keys");
        Some(Self {
            dir,
            database,
            bucket,
            vkey,
        })
    }

    fn key(&self, name: &str) -> PathBuf {
        self.dir.path().join(name).join("signing.key")
    }

    /// `serve` on the scale-out log with the given extra arguments; S3 settings from the
    /// standard environment variables, as a deployment gives them.
    fn command(&self, endpoint: &str, extra: &[&str]) -> Command {
        let mut c = Command::new(bin());
        c.current_dir(self.dir.path())
            .arg("serve")
            .args(extra)
            .env("AWS_ENDPOINT_URL", endpoint)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ALLOW_HTTP", "true")
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null());
        c
    }

    /// Starts an instance with `--database-url`, `--object-store-url` and `extra`; returns it
    /// and its URL.
    fn start(&self, database: &str, endpoint: &str, extra: &[&str]) -> (Proc, String) {
        let bucket = self.bucket.url();
        let mut args = vec![
            "--database-url",
            database,
            "--object-store-url",
            &bucket,
            "--listen",
            "127.0.0.1:0",
        ];
        args.extend_from_slice(extra);
        let mut p = Proc(
            self.command(endpoint, &args)
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .unwrap(),
        );
        let url = listen::listening_url(&mut p.0);
        (p, url)
    }

    /// A reader of the bucket itself, with no server in between (the tiles are the API).
    fn bucket_reader(&self) -> Client {
        Client::new(&format!("{}/{}", self.bucket.endpoint, self.bucket.name)).unwrap()
    }
}

/// `shieldwatch log init` in `dir/name`: a signing key; returns the verifier key.
fn make_key(dir: &Path, origin: &str, name: &str) -> String {
    let o = Command::new(bin())
        .current_dir(dir)
        .args(["log", "init", "--origin", origin, "--dir", name])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).trim().to_owned()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

async fn get(url: &str) -> (u16, String) {
    let r = reqwest::get(url).await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// Polls `f` every 200 ms until it holds, for at most `secs` seconds.
async fn eventually<F, Fut>(secs: u64, what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        match f().await {
            Ok(()) => return,
            Err(e) if Instant::now() > deadline => panic!("{what}: still not so after {secs} s: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

#[test]
fn serve_takes_its_storage_from_flags_or_toml_and_refuses_another_key_or_origin() {
    let Some(s) = Setup::new("scaleout.test/log") else {
        return;
    };
    let key = s.key("keys");
    let key = key.to_str().unwrap();
    let (_a, url_a) = s.start(
        &s.database,
        &s.bucket.endpoint,
        &["--key-file", key, "--batch-interval-ms", "20"],
    );
    // The second instance gets its storage from TOML keys.
    let toml = format!(
        "database_url = \"{}\"\nobject_store_url = \"{}\"\nkey_file = \"{key}\"\nbatch_interval_ms = 20\n",
        s.database,
        s.bucket.url()
    );
    std::fs::write(s.dir.path().join("serve.toml"), toml).unwrap();
    let mut b = Proc(
        s.command(
            &s.bucket.endpoint,
            &["--config", "serve.toml", "--listen", "127.0.0.1:0"],
        )
        .stdout(Stdio::piped())
        .spawn()
        .unwrap(),
    );
    let url_b = listen::listening_url(&mut b.0);
    let rt = runtime();
    rt.block_on(async {
        let entries: Vec<Vec<u8>> = (0..40)
            .map(|i| format!("flag or toml {i}").into_bytes())
            .collect();
        let a = Client::new(&url_a).unwrap();
        let b = Client::new(&url_b).unwrap();
        let mut indexes = a.add_batch(&entries[..20]).await.unwrap();
        indexes.extend(b.add_batch(&entries[20..]).await.unwrap());
        let mut sorted = indexes.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..40).collect::<Vec<u64>>(), "one log, no index twice");
        // Either instance answers for any entry: one history.
        assert_eq!(b.lookup(&entries[3]).await.unwrap(), indexes[3]);
        let (cp_b, _) = b.verified_checkpoint(&s.vkey).await.unwrap();
        assert_eq!(cp_b.size, 40);
        let (cp_bucket, _) = s.bucket_reader().verified_checkpoint(&s.vkey).await.unwrap();
        assert_eq!((cp_bucket.size, cp_bucket.root), (cp_b.size, cp_b.root));
        for (i, e) in indexes.iter().zip(&entries) {
            assert_eq!(&s.bucket_reader().entry(*i, 40).await.unwrap(), e);
        }
        // The bucket serves tiles with the cache headers a CDN needs.
        let r = reqwest::get(format!("{}/{}/tile/0/000.p/40", s.bucket.endpoint, s.bucket.name))
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(
            r.headers().get("cache-control").unwrap(),
            tlog_cloud::IMMUTABLE_CACHE_CONTROL
        );
        for u in [&url_a, &url_b] {
            let (code, text) = get(&format!("{u}/healthz")).await;
            assert_eq!(code, 200, "{text}");
            let (_, m) = get(&format!("{u}/metrics")).await;
            assert!(
                m.contains("shieldwatch_storage_up{component=\"database\"} 1"),
                "{m}"
            );
            assert!(
                m.contains("shieldwatch_storage_up{component=\"bucket\"} 1"),
                "{m}"
            );
            assert!(m.contains("shieldwatch_cluster_sequencing "), "{m}");
        }
    });

    // Another key of the same origin, and a key of another origin, are refused at start.
    make_key(s.dir.path(), "scaleout.test/log", "other-key");
    make_key(s.dir.path(), "elsewhere.test/log", "other-origin");
    for (name, needle) in [
        ("other-key", "not signed by this key"),
        ("other-origin", "has origin \"scaleout.test/log\""),
    ] {
        let k = s.key(name);
        let o = s
            .command(
                &s.bucket.endpoint,
                &[
                    "--database-url",
                    &s.database,
                    "--object-store-url",
                    &s.bucket.url(),
                    "--listen",
                    "127.0.0.1:0",
                    "--key-file",
                    k.to_str().unwrap(),
                ],
            )
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{name} was accepted");
        assert!(err.contains(needle), "{name}: {err}");
    }
}

#[test]
fn a_database_or_bucket_down_is_refused_at_start_and_reported_while_running() {
    let Some(s) = Setup::new("outage.test/log") else {
        return;
    };
    let key = s.key("keys");
    let key = key.to_str().unwrap();
    let db_proxy = testsvc::Proxy::start(testsvc::host_port(&s.database));
    let s3_proxy = testsvc::Proxy::start(testsvc::host_port(&s.bucket.endpoint));
    let database = s
        .database
        .replacen(testsvc::host_port(&s.database), &db_proxy.addr.to_string(), 1);
    let endpoint = format!("http://{}", s3_proxy.addr);
    let start_fails = |needle: &str| {
        let o = s
            .command(
                &endpoint,
                &[
                    "--database-url",
                    &database,
                    "--object-store-url",
                    &s.bucket.url(),
                    "--listen",
                    "127.0.0.1:0",
                    "--key-file",
                    key,
                ],
            )
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(err.contains(needle), "expected {needle:?} in: {err}");
    };
    // Down at start: a clear error naming which, and exit status 1.
    db_proxy.cut();
    start_fails(&format!("PostgreSQL {}", db_proxy.addr));
    db_proxy.restore();
    s3_proxy.cut();
    start_fails(&format!("object store {}", s.bucket.url()));
    s3_proxy.restore();

    // Down while running: /healthz 503 naming it, /metrics says which; back up: 200 again.
    let (_a, url) = s.start(
        &database,
        &endpoint,
        &["--key-file", key, "--batch-interval-ms", "20"],
    );
    let rt = runtime();
    rt.block_on(async {
        let c = Client::new(&url).unwrap();
        assert_eq!(c.add(b"before the outage".to_vec()).await.unwrap(), 0);
        for (proxy, component, needle) in [
            (&db_proxy, "database", format!("PostgreSQL {}", db_proxy.addr)),
            (&s3_proxy, "bucket", format!("object store {}", s.bucket.url())),
        ] {
            proxy.cut();
            eventually(20, &format!("{component} outage reported"), || {
                let (url, needle) = (url.clone(), needle.clone());
                async move {
                    let (code, body) = get(&format!("{url}/healthz")).await;
                    let (_, m) = get(&format!("{url}/metrics")).await;
                    let down = format!("shieldwatch_storage_up{{component=\"{component}\"}} 0");
                    if code == 503 && body.contains(&needle) && m.contains(&down) {
                        Ok(())
                    } else {
                        Err(format!("{code} {body}"))
                    }
                }
            })
            .await;
            proxy.restore();
            eventually(20, &format!("{component} back"), || {
                let url = url.clone();
                async move {
                    let (code, body) = get(&format!("{url}/healthz")).await;
                    if code == 200 {
                        Ok(())
                    } else {
                        Err(format!("{code} {body}"))
                    }
                }
            })
            .await;
        }
        // And the log goes on.
        assert_eq!(c.add(b"after the outage".to_vec()).await.unwrap(), 1);
    });
}

/// The instances of the kill test: their processes and URLs, by slot.
struct Cluster {
    procs: Vec<Option<Proc>>,
    urls: Arc<Mutex<Vec<String>>>,
}

/// Every checkpoint a watcher saw, and the consistency checks made between them.
#[derive(Default)]
struct Seen {
    /// Distinct (size, root) checkpoints, in the order first seen, with their signed notes.
    checkpoints: Vec<(VerifiedCheckpoint, Vec<u8>)>,
    consistency_checks: u64,
}

/// Fetches every tile and entry bundle of the tree of `size` entries from the bucket into
/// `dir` (the layout `goverify` reads), with the checkpoint.
async fn download(reader: &Client, size: u64, checkpoint: &[u8], dir: &Path) {
    for t in tlog::new_object_paths(0, size) {
        let data = reader.tile(&t).await.unwrap();
        let p = dir.join(t.to_path());
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, data).unwrap();
    }
    std::fs::write(dir.join("checkpoint"), checkpoint).unwrap();
}

/// Builds the Go checker of the tlog crate's tests (golang.org/x/mod/sumdb/tlog), or `None`
/// (with a note) when Go is missing outside CI.
fn goverify(out: &Path) -> Option<PathBuf> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tlog/tests/goverify/main.go");
    testsvc::go_program(&src, out)
}

/// The kill test with `kills` SIGKILLs of the sequencing instance.
fn kill_the_sequencer(kills: usize) {
    let Some(s) = Setup::new("kill.test/log") else {
        return;
    };
    let key = s.key("keys");
    let key = key.to_str().unwrap().to_owned();
    let args: Vec<String> = [
        "--key-file",
        &key,
        "--batch-interval-ms",
        "25",
        "--lease-ttl-ms",
        "1000",
        "--rate-per-address",
        "0",
    ]
    .iter()
    .map(|a| (*a).to_owned())
    .collect();
    let start = |s: &Setup| {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        s.start(&s.database, &s.bucket.endpoint, &a)
    };
    let mut cluster = Cluster {
        procs: vec![],
        urls: Arc::new(Mutex::new(vec![])),
    };
    for _ in 0..3 {
        let (p, u) = start(&s);
        cluster.procs.push(Some(p));
        cluster.urls.lock().unwrap().push(u);
    }
    let storage = tlog_cloud::CloudStorage::open(&tlog_cloud::CloudConfig {
        database_url: s.database.clone(),
        object_store_url: s.bucket.url(),
        s3_options: s.bucket.options(),
        max_connections: 2,
    })
    .unwrap();
    let rt = runtime();
    let stop = Arc::new(AtomicBool::new(false));
    let acked: Arc<Mutex<HashMap<Vec<u8>, u64>>> = Arc::default();
    let seen: Arc<Mutex<Seen>> = Arc::default();
    let mut tasks = vec![];
    // Load: four clients, each submitting to the instances in turn, one entry or a batch.
    for client in 0..4u64 {
        let (urls, stop, acked) = (cluster.urls.clone(), stop.clone(), acked.clone());
        tasks.push(rt.spawn(async move {
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let url = {
                    let u = urls.lock().unwrap();
                    u[((client + n) % u.len() as u64) as usize].clone()
                };
                let c = Client::new(&url).unwrap();
                let entries: Vec<Vec<u8>> = (0..1 + (n % 3) * 4)
                    .map(|i| format!("client {client} submission {n} entry {i}").into_bytes())
                    .collect();
                n += 1;
                let result = if entries.len() == 1 {
                    c.add(entries[0].clone()).await.map(|i| vec![i])
                } else {
                    c.add_batch(&entries).await
                };
                match result {
                    Ok(indexes) => {
                        let mut a = acked.lock().unwrap();
                        for (e, i) in entries.into_iter().zip(indexes) {
                            assert!(a.insert(e, i).is_none(), "an entry acknowledged twice");
                        }
                    }
                    // Not acknowledged (its instance was killed, or its sequencer): the
                    // submitter may retry; nothing is promised for it.
                    Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                }
            }
        }));
    }
    // Watcher: every checkpoint of the bucket and of every instance, each checked consistent
    // with the largest seen before (a consistency proof from an instance, checked against the
    // signed roots), and equal roots for equal sizes.
    {
        let (urls, stop, seen) = (cluster.urls.clone(), stop.clone(), seen.clone());
        let (vkey, bucket) = (s.vkey.clone(), s.bucket_reader());
        tasks.push(rt.spawn(async move {
            let mut largest: Option<VerifiedCheckpoint> = None;
            while !stop.load(Ordering::Relaxed) {
                let list = urls.lock().unwrap().clone();
                let mut clients = vec![bucket.clone()];
                clients.extend(list.iter().map(|u| Client::new(u).unwrap()));
                for c in &clients {
                    let Ok((cp, note)) = c.verified_checkpoint(&vkey).await else {
                        continue; // A killed instance.
                    };
                    let mut seen_now = seen.lock().unwrap().checkpoints.clone();
                    if seen_now
                        .iter()
                        .any(|(x, _)| x.size == cp.size && x.root == cp.root)
                    {
                        continue;
                    }
                    for (x, _) in &seen_now {
                        assert!(x.size != cp.size, "FORK: two roots for size {}", cp.size);
                    }
                    if let Some(l) = &largest {
                        let (old, new) = if l.size <= cp.size { (l, &cp) } else { (&cp, l) };
                        // Any live instance proves it; retry the others if one is killed.
                        let mut proved = false;
                        for p in list.iter().map(|u| Client::new(u).unwrap()) {
                            match p.verify_consistency(old, new).await {
                                Ok(()) => {
                                    proved = true;
                                    break;
                                }
                                Err(server::ServerError::Log(e)) => {
                                    panic!("FORK: {} -> {}: {e}", old.size, new.size)
                                }
                                Err(_) => continue,
                            }
                        }
                        if proved {
                            seen.lock().unwrap().consistency_checks += 1;
                        }
                    }
                    if largest.as_ref().is_none_or(|l| cp.size > l.size) {
                        largest = Some(cp.clone());
                    }
                    seen_now.push((cp, note));
                    seen.lock().unwrap().checkpoints = seen_now;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }));
    }
    // The killer: find the sequencer from the lease, SIGKILL it, restart it, wait for the log to
    // move on under another sequencer.
    let started = Instant::now();
    let mut killed_tokens = vec![];
    for k in 0..kills {
        std::thread::sleep(Duration::from_millis(600));
        let lease = storage.lease().unwrap();
        let size_before = storage.load_state().unwrap().size;
        let slot = cluster.urls.lock().unwrap().iter().position(|u| *u == lease.url);
        let Some(slot) = slot.filter(|_| lease.live) else {
            panic!("kill {k}: no live sequencer among the instances: {lease:?}");
        };
        killed_tokens.push(lease.token);
        cluster.procs[slot] = None; // SIGKILL and reap.
        let (p, u) = start(&s);
        cluster.procs[slot] = Some(p);
        cluster.urls.lock().unwrap()[slot] = u;
        // Progress under a new lease term.
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let l = storage.lease().unwrap();
            let size = storage.load_state().unwrap().size;
            if l.token > lease.token && size > size_before {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "kill {k}: the log did not move on: {l:?}, size {size}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    rt.block_on(async {
        for t in tasks {
            t.await.unwrap();
        }
    });
    // Let the last batches in flight commit, then read the log back from the bucket.
    std::thread::sleep(Duration::from_millis(500));
    let acked = acked.lock().unwrap().clone();
    let seen = std::mem::take(&mut *seen.lock().unwrap());
    let reader = s.bucket_reader();
    let tmp = tempfile::tempdir().unwrap();
    let (final_cp, note) = rt.block_on(async {
        let (cp, note) = reader.verified_checkpoint(&s.vkey).await.unwrap();
        // No acknowledged entry lost: each is in the bucket at its index.
        for (e, &i) in &acked {
            assert!(
                i < cp.size,
                "acknowledged index {i} beyond the tree size {}",
                cp.size
            );
            assert_eq!(&reader.entry(i, cp.size).await.unwrap(), e, "entry {i}");
        }
        download(&reader, cp.size, &note, tmp.path()).await;
        (cp, note)
    });
    assert!(
        acked.len() > 100,
        "too little load: {} entries acknowledged",
        acked.len()
    );
    assert!(
        seen.consistency_checks > kills as u64,
        "{} consistency checks",
        seen.consistency_checks
    );
    // Every checkpoint seen is a prefix of the final tree: Go's x/mod checks it from the tiles.
    if let Some(go) = goverify(tmp.path()) {
        let public = tmp.path().to_str().unwrap();
        for (i, (cp, note)) in seen.checkpoints.iter().filter(|(c, _)| c.size > 0).enumerate() {
            let old = tmp.path().join(format!("old-{i}"));
            std::fs::write(&old, note).unwrap();
            let mut a = vec!["-dir", public, "-vkey", &s.vkey, "-old", old.to_str().unwrap()];
            a.extend(["-samples", "20", "-expect-prefix", "client "]);
            if i == 0 {
                a.push("-all");
            }
            let o = Command::new(&go).args(&a).output().unwrap();
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            );
            assert!(
                o.status.success(),
                "goverify against checkpoint {}: {text}",
                cp.size
            );
        }
    }
    eprintln!(
        "kill test: {kills} SIGKILLs of the sequencer in {:.1} s (lease terms {killed_tokens:?}); \
         {} entries acknowledged, final tree size {}, {} checkpoints seen, {} consistency proofs checked",
        elapsed.as_secs_f64(),
        acked.len(),
        final_cp.size,
        seen.checkpoints.len(),
        seen.consistency_checks
    );
    drop(note);
}

#[test]
fn three_instances_survive_twenty_sigkills_of_the_sequencer() {
    kill_the_sequencer(20);
}
