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
    let Some(bucket) = testsvc::s3_bucket() else {
        eprintln!("catchup: no S3 server (moto) available; install the test dependencies");
        std::process::exit(1);
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
    let url = format!("{}/{}", bucket.endpoint, bucket.name);
    // CATCHUP_BIN: one binary, or several separated by ':' (e.g. this change's and a peer's),
    // each timed in turn on the same bucket, CATCHUP_RUNS rounds (default 1).
    let bins: Vec<String> = std::env::var("CATCHUP_BIN").map_or_else(
        |_| vec![env!("CARGO_BIN_EXE_shieldwatch").to_owned()],
        |v| v.split(':').map(str::to_owned).collect(),
    );
    let runs = env_u64("CATCHUP_RUNS", 1);
    for round in 1..=runs {
        for (k, bin) in bins.iter().enumerate() {
            let out = dir.path().join(format!("alerts-{round}-{k}"));
            time_monitor(bin, &url, &trust, &out, n);
        }
    }
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
