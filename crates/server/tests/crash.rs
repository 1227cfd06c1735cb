//! Crash test: submit under load, `kill -9` the server at seeded random moments (24 times),
//! restart, and check that every acknowledged entry is in the log at its index, that every
//! checkpoint ever served is consistent with the final one, and that the public directory holds
//! no half-written or uncommitted object: every file is a complete tile or bundle of the final
//! tree, byte for byte what the entries hash to.
//!
//! The server runs in a child process: this test binary re-executes itself to run the ignored
//! test `crash_child_server`, which serves the log until killed. Loopback only; about 10 s.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use server::ServerConfig;
use server::client::Client;
use tlog::{LocalStorage, LogSigner, LogWriter, Storage};

const CHILD_DIR_ENV: &str = "SHIELDWATCH_CRASH_CHILD_DIR";
const ROUNDS: u64 = 24;
const SEED: u64 = 0x5eed_2026;

/// splitmix64: a tiny seeded generator, enough to pick kill times.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo)
    }
}

/// The server process of the crash test. Not a test by itself: skipped unless the parent test
/// sets `SHIELDWATCH_CRASH_CHILD_DIR`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "child process of kill_9_at_random_moments_loses_nothing"]
async fn crash_child_server() {
    let Ok(dir) = std::env::var(CHILD_DIR_ENV) else {
        return;
    };
    let dir = PathBuf::from(dir);
    let interval: u64 = std::env::var("BATCH_MS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let signer = server::load_signer(&dir.join("signing.key")).unwrap();
    let writer = server::open_local_log(&dir, signer).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let tmp = dir.join("port.tmp");
    std::fs::write(&tmp, port.to_string()).unwrap();
    std::fs::rename(&tmp, dir.join("port")).unwrap();
    let config = ServerConfig {
        batch_interval_ms: interval,
        batch_max_entries: 200,
        ..ServerConfig::default()
    };
    server::run(listener, writer, config, std::future::pending())
        .await
        .unwrap();
}

fn spawn_child(dir: &Path, batch_ms: u64) -> (Child, String) {
    let _ = std::fs::remove_file(dir.join("port"));
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "crash_child_server",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DIR_ENV, dir)
        .env("BATCH_MS", batch_ms.to_string())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..500 {
        if let Ok(p) = std::fs::read_to_string(dir.join("port")) {
            return (child, format!("http://127.0.0.1:{p}"));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("child server did not start");
}

#[derive(Default)]
struct Observed {
    /// Acknowledged entry → index.
    acked: HashMap<Vec<u8>, u64>,
    /// Every distinct checkpoint served.
    checkpoints: Vec<Vec<u8>>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_at_random_moments_loses_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_owned();
    let storage = LocalStorage::open(&dir).unwrap();
    let (signer, skey) = LogSigner::generate("crash.test/log").unwrap();
    tlog::create_log(&storage, &signer).unwrap();
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
            .unwrap();
        f.write_all(skey.as_bytes()).unwrap();
    }
    let vkey = signer.verifier_key().to_owned();

    let mut rng = Rng(SEED);
    let obs = Arc::new(Mutex::new(Observed::default()));
    let mut max_acked_size = 0u64;
    for round in 0..ROUNDS {
        let (mut child, url) = spawn_child(&dir, rng.range(5, 60));
        let client = Client::new(&url).unwrap();
        // Recovery must have kept everything acknowledged so far.
        let (cp, note) = client.verified_checkpoint(&vkey).await.unwrap();
        assert!(
            cp.size >= max_acked_size,
            "round {round}: size {} < acknowledged {max_acked_size}",
            cp.size
        );
        obs.lock().unwrap().checkpoints.push(note);

        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut tasks = vec![];
        for c in 0..32u64 {
            let (client, obs, stop) = (client.clone(), obs.clone(), stop.clone());
            tasks.push(tokio::spawn(async move {
                let mut k = 0u64;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    // Every fifth submission repeats one already acknowledged: same index expected.
                    let old = if k % 5 == 4 {
                        obs.lock()
                            .unwrap()
                            .acked
                            .iter()
                            .next()
                            .map(|(e, i)| (e.clone(), *i))
                    } else {
                        None
                    };
                    let entry = old.as_ref().map_or_else(
                        || format!("round {round} client {c} entry {k}").into_bytes(),
                        |(e, _)| e.clone(),
                    );
                    k += 1;
                    match client.add(entry.clone()).await {
                        Ok(index) => {
                            let mut o = obs.lock().unwrap();
                            if let Some(prev) = o.acked.insert(entry, index) {
                                assert_eq!(prev, index, "a duplicate got a new index");
                            }
                        }
                        Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
                    }
                }
            }));
        }
        {
            let (client, obs, stop) = (client.clone(), obs.clone(), stop.clone());
            tasks.push(tokio::spawn(async move {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    if let Ok(note) = client.checkpoint().await {
                        let mut o = obs.lock().unwrap();
                        if o.checkpoints.last() != Some(&note) {
                            o.checkpoints.push(note);
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(15)).await;
                }
            }));
        }
        tokio::time::sleep(Duration::from_millis(rng.range(30, 400))).await;
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for t in tasks {
            t.await.unwrap();
        }
        max_acked_size = obs
            .lock()
            .unwrap()
            .acked
            .values()
            .map(|i| i + 1)
            .max()
            .unwrap_or(0);
    }

    // Final recovery, then check everything with the library directly.
    let storage: Arc<dyn Storage> = Arc::new(LocalStorage::open(&dir).unwrap());
    let w = LogWriter::open(storage, signer).unwrap();
    let reader = w.reader();
    let fin = tlog::verify_checkpoint(&w.state().checkpoint, &vkey).unwrap();
    let o = obs.lock().unwrap();
    assert!(
        o.acked.len() > 200,
        "too little load: {} entries acknowledged",
        o.acked.len()
    );
    for (entry, &index) in &o.acked {
        assert!(
            index < fin.size,
            "acknowledged index {index} lost (final size {})",
            fin.size
        );
        assert_eq!(&reader.entry(index).unwrap(), entry, "entry at {index} differs");
    }
    check_public_dir(&dir.join(tlog::storage::PUBLIC_DIR), &reader, fin.size, fin.root);
    let mut sizes = vec![];
    for note in &o.checkpoints {
        let cp = tlog::verify_checkpoint(note, &vkey).unwrap();
        sizes.push(cp.size);
        if cp.size == 0 {
            continue;
        }
        let p = reader.prove_consistency(cp.size, Some(fin.size)).unwrap();
        tlog::merkle::verify_consistency(&p.proof, cp.size, cp.root, fin.size, fin.root).unwrap_or_else(
            |e| {
                panic!(
                    "served checkpoint of size {} inconsistent with final: {e}",
                    cp.size
                )
            },
        );
    }
    eprintln!(
        "{ROUNDS} kills; {} entries acknowledged; final size {}; {} distinct checkpoints checked",
        o.acked.len(),
        fin.size,
        sizes.len()
    );
    tmp.close().unwrap();
}

/// Every file under `public` is the checkpoint or a tile or bundle of the final tree with exactly
/// the right contents (recomputed from the entries): no temporary file, no object of a batch that
/// never committed, no truncated tile.
fn check_public_dir(public: &Path, reader: &tlog::LogReader, size: u64, root: tlog::Hash) {
    use tlog::tiles::{TILE_WIDTH, TileKind, TilePath, decode_bundle};
    use tlog_tiles::HashReader as _;
    let mut tree = tlog::MemoryTree::new();
    let mut entries = vec![];
    for i in 0..size {
        let e = reader.entry(i).unwrap();
        tree.push(&e).unwrap();
        entries.push(e);
    }
    assert_eq!(tree.root(size).unwrap(), root, "entries hash to the final root");
    let mut files = vec![];
    let mut stack = vec![public.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    let mut tiles = 0;
    for f in &files {
        let rel = f.strip_prefix(public).unwrap().to_str().unwrap().to_owned();
        if rel == tlog::CHECKPOINT_PATH {
            continue;
        }
        let tile = TilePath::parse(&rel).unwrap_or_else(|e| panic!("stray file {rel}: {e}"));
        assert!(tile.within_tree(size), "{rel} is beyond the final tree of {size}");
        let data = std::fs::read(f).unwrap();
        let first = tile.index() * u64::from(TILE_WIDTH);
        let expected: Vec<u8> = match tile.kind() {
            TileKind::Entries => {
                let got = decode_bundle(&data).unwrap_or_else(|e| panic!("{rel}: {e}"));
                let want: Vec<Vec<u8>> =
                    entries[first as usize..(first + u64::from(tile.width())) as usize].to_vec();
                assert_eq!(got, want, "{rel} holds other entries");
                data.clone()
            }
            TileKind::Hash { level } => {
                let idx: Vec<u64> = (first..first + u64::from(tile.width()))
                    .map(|k| tlog::merkle::stored_hash_index(level * 8, k))
                    .collect();
                tree.read_hashes(&idx).unwrap().iter().flat_map(|h| h.0).collect()
            }
        };
        assert_eq!(data, expected, "{rel} is not what the entries hash to");
        tiles += 1;
    }
    eprintln!("{tiles} tiles and bundles checked byte for byte, no stray files");
}
