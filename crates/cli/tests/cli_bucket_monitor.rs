//! `shieldwatch monitor` following a log served only from its bucket (moto's S3 server on
//! loopback, public-read): there is no log server, so no proof endpoint, and the monitor computes
//! its consistency and inclusion proofs from the hash tiles (`tlog::tileproof`). It follows the
//! log across several checkpoints (tile boundaries crossed), and when the bucket's checkpoint is
//! replaced by one the log key signed over a different tree (its tiles and bundles written over
//! the bucket's), it raises `rewritten_history` with evidence that `shieldwatch verify evidence`
//! accepts.
//!
//! The bucket is filled as the sequencer fills it: the hash tiles of each tree
//! (`tlog_tiles::Tile::new_tiles`), the entry bundles, then the signed checkpoint.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt as _, PutPayload};
use tlog::tiles::{TILE_HEIGHT, TILE_WIDTH, encode_bundle};
use tlog::{LogSigner, MemoryTree, TileKind, TilePath};

mod scratch;

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("shieldwatch")
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

/// The bucket, written as the sequencer writes it.
struct Bucket {
    store: Arc<dyn ObjectStore>,
    rt: tokio::runtime::Runtime,
    signer: LogSigner,
}

impl Bucket {
    fn put(&self, path: &str, body: Vec<u8>) {
        let store = Arc::clone(&self.store);
        self.rt
            .block_on(async move { store.put(&ObjectPath::from(path), PutPayload::from(body)).await })
            .unwrap_or_else(|e| panic!("PUT {path}: {e}"));
    }

    /// Every hash tile and entry bundle of the tree of `entries`, then its checkpoint.
    fn publish(&self, entries: &[Vec<u8>]) -> MemoryTree {
        let mut tree = MemoryTree::new();
        for e in entries {
            tree.push(e).unwrap();
        }
        let n = entries.len() as u64;
        for tile in tlog_tiles::Tile::new_tiles(TILE_HEIGHT, 0, n) {
            let path = TilePath::from_go_tile(&tile).unwrap();
            self.put(&path.to_path(), tile.read_data(&tree).unwrap());
        }
        let w = u64::from(TILE_WIDTH);
        for k in 0..n.div_ceil(w) {
            let path = TilePath::for_tree(TileKind::Entries, k, n).unwrap();
            let from = usize::try_from(k * w).unwrap();
            let to = usize::try_from((k * w + w).min(n)).unwrap();
            let bundle = encode_bundle(entries[from..to].iter().map(Vec::as_slice)).unwrap();
            self.put(&path.to_path(), bundle);
        }
        let note = self.signer.sign_checkpoint(n, tree.root(n).unwrap()).unwrap();
        self.put(tlog::CHECKPOINT_PATH, note);
        tree
    }
}

fn run(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(bin()).current_dir(dir).args(args).output().unwrap()
}

#[test]
fn a_monitor_follows_a_bucket_only_log_with_proofs_from_tiles_and_proves_a_fork() {
    let Some(b) = testsvc::s3_bucket() else {
        return;
    };
    let dir = scratch::dir("cli-bucket-monitor");
    let (signer, _) = LogSigner::generate("log.test/bucket").unwrap();
    let anchor = verify::Key::generate("authority").unwrap();
    std::fs::write(
        dir.join("trust.toml"),
        format!(
            "log_key = \"{}\"\nwitness_keys = []\nmin_cosignatures = 0\nanchors = [\"{}\"]\nrules = \"europe-2008\"\n",
            signer.verifier_key(),
            anchor.vkey()
        ),
    )
    .unwrap();
    let mut builder = AmazonS3Builder::new().with_bucket_name(&b.name);
    for (k, v) in b.options() {
        builder = builder.with_config(k.parse().unwrap(), v);
    }
    let bucket = Bucket {
        store: Arc::new(builder.build().unwrap()),
        rt: tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap(),
        signer,
    };
    // Entries that are not statements: each one is a `forged` alert, so the alerts show how far
    // the monitor has followed.
    let entries: Vec<Vec<u8>> = (0..300).map(|i| format!("entry {i}\n").into_bytes()).collect();
    bucket.publish(&entries[..5]);

    let url = format!("{}/{}", b.endpoint, b.name);
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
            .stderr(Stdio::inherit())
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
    let expect_entries = |from: usize, to: usize| {
        for i in from..to {
            let v = rx
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|e| panic!("the monitor follows to entry {i}: {e}"));
            assert_eq!(v["alert"], "forged", "{v}");
            assert_eq!(v["index"].as_u64(), Some(i as u64), "{v}");
        }
    };
    expect_entries(0, 5);
    // Three more checkpoints, across the first tile boundary (256): each is followed through a
    // consistency proof computed from the bucket's tiles.
    for (from, to) in [(5, 200), (200, 258), (258, 300)] {
        bucket.publish(&entries[..to]);
        expect_entries(from, to);
    }

    // A fork: a tree of 310 entries whose entry 100 differs, signed by the log key, its tiles
    // and bundles written over the bucket's.
    let mut forked = entries.clone();
    forked[100] = b"entry 100, rewritten\n".to_vec();
    forked.extend((300..310).map(|i| format!("entry {i}\n").into_bytes()));
    bucket.publish(&forked);
    let v = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("an alert for the forked checkpoint");
    assert_eq!(v["alert"], "rewritten_history", "{v}");
    let file = dir.join("alerts").join(v["evidence"].as_str().unwrap());
    let ev: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(ev["entries"][0]["index"], 100, "{ev}");
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
        o.status.success() && out.starts_with("VERIFIED rewritten_history"),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(monitor.0.try_wait().unwrap().is_none(), "the monitor quit");
}
