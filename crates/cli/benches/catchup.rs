//! A monitor catching up a log of `CATCHUP_ENTRIES` entries (default 1 000 000) straight from
//! the bucket: what `shieldwatch monitor --once --url http://S3/BUCKET` does for a new monitor.
//!
//! The bucket (moto's S3 server on loopback, `testsvc::s3_bucket`, public-read) is filled by a
//! fast path: the entries are real signed statements of the europe-2008 deployment from the
//! simulator (`verify::sim`, sensor period `CATCHUP_PERIOD_MS`, default 1 000 ms, so that a
//! million of them span hours, not years), hashed into an RFC 6962 tree (`tlog::MemoryTree`),
//! framed into entry bundles at the paths the sequencer writes (`tlog::TilePath`,
//! `tlog::tiles::encode_bundle`) and a checkpoint signed by the log key, PUT concurrently with
//! `object_store`. Hash tiles are not written: a monitor's catch-up from size 0 reads only the
//! checkpoint and the entry bundles (`verify::monitor`).
//!
//! The timed part is the `shieldwatch` binary of this build (or the ones `CATCHUP_BIN` names,
//! separated by `:`, e.g. the release build's `target/release/shieldwatch` and a peer built from
//! another commit, each timed in turn on the same bucket, `CATCHUP_RUNS` rounds) as a child
//! process, wall time and CPU time (user + system) and peak memory from `/usr/bin/time -v`.
//!
//! The same objects are also served from memory by a small HTTP server in this process
//! (`axum`, one worker thread): a stand-in for a CDN edge or a real S3 endpoint, which cost the
//! monitor's machine nothing. moto, an emulator written in Python, spends about 4 ms of CPU per
//! GET on the same cores as the monitor, so its share is measured (its process's CPU time over
//! the run) and reported beside the monitor's. `CATCHUP_SOURCES` (default `bucket,mirror`) picks
//! which are timed.
//!
//! Run: `cargo bench -p shieldwatch --bench catchup` (or the `test` profile's binary from
//! `cargo test -p shieldwatch --bench catchup --no-run`, run with `--bench`). Not part of the
//! test suite: without `--bench` it does nothing.

use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt as _, PutPayload};
use tlog::tiles::{TILE_WIDTH, encode_bundle};
use tlog::{LogSigner, MemoryTree, TileKind, TilePath};
use verify::sim::{self, Deployment, HOUR_MS, SimConfig};

/// 2026-01-01T00:00:00Z.
const START: i64 = 1_767_225_600_000;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).map_or(default, |v| {
        v.parse()
            .unwrap_or_else(|e| panic!("{name}={v:?} is not a whole number: {e}"))
    })
}

/// `n` log entries: roster version 1, then the simulator's statements in order.
fn entries(n: u64, period_ms: i64) -> (Deployment, Vec<Vec<u8>>) {
    let mut cfg = SimConfig::europe_2008_day(START);
    cfg.period_ms = period_ms;
    // Size the run from the statement rate of one simulated hour.
    cfg.duration_ms = HOUR_MS;
    let dep = Deployment::new(&cfg).expect("deployment");
    let per_hour = sim::simulate(&dep, &cfg).expect("simulate").len().max(1) as u64;
    let hours = n.div_ceil(per_hour) + 1;
    cfg.duration_ms = i64::try_from(hours).expect("hours") * HOUR_MS;
    let events = sim::simulate(&dep, &cfg).expect("simulate");
    let want = usize::try_from(n).expect("n");
    assert!(
        events.len() + 1 >= want,
        "the simulation gave {} statements, {want} wanted",
        events.len()
    );
    let mut out = Vec::with_capacity(want);
    out.push(dep.roster_entry.clone());
    out.extend(events.into_iter().take(want - 1).map(|e| e.entry));
    (dep, out)
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let n = env_u64("CATCHUP_ENTRIES", 1_000_000);
    let period_ms = i64::try_from(env_u64("CATCHUP_PERIOD_MS", 1_000)).expect("period");
    let sources = std::env::var("CATCHUP_SOURCES").unwrap_or_else(|_| "bucket,mirror".into());
    let bucket = if sources.split(',').any(|s| s == "bucket") {
        let Some(bucket) = testsvc::s3_bucket() else {
            eprintln!("catchup: no S3 server (moto) available; install the test dependencies");
            std::process::exit(1);
        };
        Some(bucket)
    } else {
        None
    };

    let t = Instant::now();
    let (dep, entries) = entries(n, period_ms);
    let bytes: usize = entries.iter().map(Vec::len).sum();
    eprintln!(
        "catchup: {} entries ({:.1} MB) simulated in {:.1} s",
        entries.len(),
        bytes as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );

    let t = Instant::now();
    let mut tree = MemoryTree::new();
    for e in &entries {
        tree.push(e).expect("push");
    }
    let (signer, _) = LogSigner::generate("log.bench/catchup").expect("log key");
    let log_key = signer.verifier_key().to_owned();
    let checkpoint = signer
        .sign_checkpoint(n, tree.root(n).expect("root"))
        .expect("checkpoint");
    let w = u64::from(TILE_WIDTH);
    let mut objects: Vec<(String, Vec<u8>)> = (0..n.div_ceil(w))
        .map(|k| {
            let path = TilePath::for_tree(TileKind::Entries, k, n).expect("bundle path");
            let from = usize::try_from(k * w).expect("index");
            let to = usize::try_from((k * w + w).min(n)).expect("index");
            let bundle = encode_bundle(entries[from..to].iter().map(Vec::as_slice)).expect("bundle");
            (path.to_path(), bundle)
        })
        .collect();
    objects.push((tlog::CHECKPOINT_PATH.to_owned(), checkpoint));
    drop(entries);
    let count = objects.len();
    let mirror: std::collections::HashMap<String, axum::body::Bytes> = objects
        .iter()
        .map(|(path, body)| (format!("/mirror/{path}"), axum::body::Bytes::from(body.clone())))
        .collect();
    if let Some(bucket) = &bucket {
        upload(bucket, objects, count, t);
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let trust = dir.path().join("trust.toml");
    let anchors: Vec<String> = dep.anchors().iter().map(|a| format!("\"{a}\"")).collect();
    std::fs::write(
        &trust,
        format!(
            "log_key = \"{log_key}\"\nwitness_keys = []\nmin_cosignatures = 0\nanchors = [{}]\nrules = \"europe-2008\"\n",
            anchors.join(", ")
        ),
    )
    .expect("trust file");
    let mut urls = Vec::new();
    for source in sources.split(',') {
        match source {
            "bucket" => {
                if let Some(bucket) = &bucket {
                    urls.push((
                        format!("{}/{}", bucket.endpoint, bucket.name),
                        moto_pid(&bucket.endpoint),
                    ));
                }
            }
            "mirror" => urls.push((format!("{}/mirror", serve_mirror(mirror.clone())), None)),
            other => panic!("CATCHUP_SOURCES: {other:?} is neither bucket nor mirror"),
        }
    }
    drop(mirror);
    // CATCHUP_BIN: one binary, or several separated by ':' (e.g. this change's and a peer's),
    // each timed in turn on the same bucket, CATCHUP_RUNS rounds (default 1).
    let bins: Vec<String> = std::env::var("CATCHUP_BIN").map_or_else(
        |_| vec![env!("CARGO_BIN_EXE_shieldwatch").to_owned()],
        |v| v.split(':').map(str::to_owned).collect(),
    );
    let runs = env_u64("CATCHUP_RUNS", 1);
    for round in 1..=runs {
        for (url, server_pid) in &urls {
            for (k, bin) in bins.iter().enumerate() {
                let out = dir.path().join(format!("alerts-{round}-{k}"));
                let server_before = server_pid.map(cpu_seconds);
                let own_before = cpu_seconds(std::process::id());
                time_monitor(bin, url, &trust, &out, n);
                let server = server_pid.map_or_else(
                    || {
                        format!(
                            "this bench's HTTP server (and nothing else) used {:.2} s of CPU",
                            cpu_seconds(std::process::id()) - own_before
                        )
                    },
                    |pid| {
                        format!(
                            "moto (pid {pid}) used {:.2} s of CPU",
                            cpu_seconds(pid) - server_before.unwrap_or(0.0)
                        )
                    },
                );
                println!("catchup:   meanwhile {server}");
            }
        }
    }
}

/// PUTs `objects` (path, body) into `bucket` with `object_store`, 16 at a time.
fn upload(bucket: &testsvc::Bucket, objects: Vec<(String, Vec<u8>)>, count: usize, t: Instant) {
    let store: Arc<dyn ObjectStore> = Arc::new(
        AmazonS3Builder::new()
            .with_bucket_name(&bucket.name)
            .with_endpoint(&bucket.endpoint)
            .with_region("us-east-1")
            .with_allow_http(true)
            .with_access_key_id("testing")
            .with_secret_access_key("testing")
            .build()
            .expect("S3 store"),
    );
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let mut tasks = tokio::task::JoinSet::new();
        let lanes = 16;
        let mut lists: Vec<Vec<(String, Vec<u8>)>> = (0..lanes).map(|_| Vec::new()).collect();
        for (i, o) in objects.into_iter().enumerate() {
            lists[i % lanes].push(o);
        }
        for list in lists {
            let store = Arc::clone(&store);
            tasks.spawn(async move {
                for (path, body) in list {
                    store
                        .put(&ObjectPath::from(path.as_str()), PutPayload::from(body))
                        .await
                        .unwrap_or_else(|e| panic!("PUT {path}: {e}"));
                }
            });
        }
        while let Some(r) = tasks.join_next().await {
            r.expect("upload task");
        }
    });
    eprintln!(
        "catchup: {count} objects (entry bundles and the checkpoint) written to {}/{} in {:.1} s",
        bucket.endpoint,
        bucket.name,
        t.elapsed().as_secs_f64()
    );
}

/// The pid of the moto server listening at `endpoint` (`http://127.0.0.1:PORT`), found by its
/// command line.
fn moto_pid(endpoint: &str) -> Option<u32> {
    let port = endpoint.rsplit(':').next()?;
    for dir in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(pid) = dir.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(cmd) = std::fs::read(dir.path().join("cmdline")) else {
            continue;
        };
        let args: Vec<&[u8]> = cmd.split(|&b| b == 0).collect();
        let moto = args.iter().any(|a| a.ends_with(b"moto_server"));
        let on_port = args.windows(2).any(|w| w[0] == b"-p" && w[1] == port.as_bytes());
        if moto && on_port {
            return Some(pid);
        }
    }
    None
}

/// User + system CPU time of process `pid` so far, seconds (0 if it cannot be read).
fn cpu_seconds(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // Fields after the command name in parentheses; utime and stime are the 14th and 15th.
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return 0.0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i).and_then(|f| f.parse::<f64>().ok()))
        .sum();
    ticks / clock_ticks()
}

/// The kernel's clock ticks per second (`getconf CLK_TCK`).
fn clock_ticks() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        let out = Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .expect("getconf CLK_TCK");
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("CLK_TCK is a number")
    })
}

/// Serves `objects` (URL path → body) over HTTP/1.1 on a loopback port from memory, with one
/// worker thread, until the process ends; returns its base URL.
fn serve_mirror(objects: std::collections::HashMap<String, axum::body::Bytes>) -> String {
    let objects = Arc::new(objects);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the mirror");
    listener.set_nonblocking(true).expect("non-blocking listener");
    let addr = listener.local_addr().expect("mirror address");
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("mirror runtime");
        rt.block_on(async move {
            let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
                let objects = Arc::clone(&objects);
                async move {
                    match objects.get(uri.path()) {
                        Some(body) => (axum::http::StatusCode::OK, body.clone()),
                        None => (axum::http::StatusCode::NOT_FOUND, axum::body::Bytes::new()),
                    }
                }
            });
            let listener = tokio::net::TcpListener::from_std(listener).expect("mirror listener");
            axum::serve(listener, app).await.expect("mirror server");
        });
    });
    format!("http://{addr}")
}

/// Runs `bin monitor --once` from 0 to `n` entries at `url` under `/usr/bin/time -v` and prints
/// its wall, CPU and peak memory, the alert lines and the load average before and after.
fn time_monitor(bin: &str, url: &str, trust: &std::path::Path, alerts_out: &std::path::Path, n: u64) {
    let load = std::fs::read_to_string("/proc/loadavg").expect("/proc/loadavg");
    eprintln!("catchup: timing {bin}");
    let t = Instant::now();
    let out = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(bin)
        .args(["monitor", "--once", "--clock", "log", "--url", url, "--trust"])
        .arg(trust)
        .arg("--out")
        .arg(alerts_out)
        .output()
        .expect("running shieldwatch monitor");
    let wall = t.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let alerts = out.stdout.iter().filter(|&&b| b == b'\n').count();
    // The monitor's own messages, then /usr/bin/time's figures of interest.
    let (own, timed) = stderr
        .split_once("\tCommand being timed:")
        .unwrap_or((stderr.as_ref(), ""));
    eprint!("{own}");
    for line in timed.lines().filter(|l| {
        [
            "Elapsed (wall clock)",
            "User time",
            "System time",
            "Percent of CPU",
            "Maximum resident",
        ]
        .iter()
        .any(|k| l.contains(k))
    }) {
        println!("catchup:   {}", line.trim());
    }
    let after = std::fs::read_to_string("/proc/loadavg").expect("/proc/loadavg");
    println!(
        "catchup: {bin} monitor --once from 0 to {n} entries at {url}: wall {wall:.2} s, \
         exit {}, {alerts} alert line(s); load average before: {}, after: {}",
        out.status,
        load.trim(),
        after.trim()
    );
}
