//! `tlog::fsck::check`: an intact log passes; one flipped byte or a truncation in any file the
//! log serves — an old full tile, an old bundle, an older partial tile, a level-1 tile, the static
//! checkpoint — is found and the file is named.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tlog::fsck::{Damage, FsckReport, check};
use tlog::{LocalStorage, LogSigner, LogWriter, Storage, create_log};

/// A temporary directory, removed when dropped.
fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// A log of 66 100 entries appended in batches, so that it has full tiles at levels 0 and 1, a
/// full level-1 tile and a partial level-2 tile, and older partial tiles and bundles beside the
/// current ones. Returns the verifier key.
fn build(dir: &Path) -> String {
    let storage: Arc<dyn Storage> = Arc::new(LocalStorage::open(dir).unwrap());
    let (signer, _) = LogSigner::generate("fsck.test/log").unwrap();
    create_log(storage.as_ref(), &signer).unwrap();
    let key = signer.verifier_key().to_owned();
    let mut w = LogWriter::open(storage, signer).unwrap();
    let mut next = 0u64;
    for batch in [5u64, 100, 300, 65_000, 695] {
        let entries: Vec<Vec<u8>> = (next..next + batch)
            .map(|i| format!("entry {i}").into_bytes())
            .collect();
        w.append(&entries).unwrap();
        next += batch;
    }
    key
}

/// A copy of one built log (building takes seconds; copying milliseconds), with its key.
///
/// The template outlives every test (a static is never dropped), so it is built in cargo's
/// per-target scratch directory (`CARGO_TARGET_TMPDIR`, under `target/`), replaced on each run,
/// rather than under the system's temporary directory.
fn built_copy() -> (tempfile::TempDir, String) {
    static TEMPLATE: std::sync::OnceLock<(PathBuf, String)> = std::sync::OnceLock::new();
    let (template, key) = TEMPLATE.get_or_init(|| {
        let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("tlog-fsck-template");
        if d.exists() {
            std::fs::remove_dir_all(&d).unwrap();
        }
        std::fs::create_dir_all(&d).unwrap();
        let key = build(&d);
        (d, key)
    });
    let d = tempdir();
    copy_dir(template, d.path());
    (d, key.clone())
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

fn run(dir: &Path, key: &str) -> Result<FsckReport, Damage> {
    let storage = LocalStorage::open(dir).unwrap();
    check(&storage, storage.public_dir(), key).unwrap()
}

fn flip(path: &Path, at: usize) {
    let mut b = std::fs::read(path).unwrap();
    let i = at.min(b.len() - 1);
    b[i] ^= 0x01;
    std::fs::write(path, b).unwrap();
}

#[test]
fn intact_log_passes_and_counts_what_it_checked() {
    let (d, key) = built_copy();
    let r = run(d.path(), &key).expect("intact");
    assert_eq!(r.size, 66_100);
    assert_eq!(r.bundles, 66_100u64.div_ceil(256));
    // Level 0: 259 tiles (258 full + 1 partial); level 1: 1 full + 1 partial; level 2: none
    // (66 100 >> 16 = 1 hash: a partial level-2 tile of width 1).
    assert_eq!(r.tiles, 259 + 2 + 1);
    assert!(r.older_partials >= 4, "{r:?}");
    assert_eq!(r.uncommitted, 0);
    assert!(!r.stale_checkpoint_copy);
}

/// One damage per case: (file to damage, how), the file fsck must name.
#[test]
fn each_damaged_file_is_named() {
    type Hurt = fn(&Path);
    let cases: [(&str, Hurt); 8] = [
        ("tile/0/000", |p| flip(p, 100)),
        ("tile/entries/000", |p| flip(p, 40)),
        ("tile/entries/001", |p| {
            let b = std::fs::read(p).unwrap();
            std::fs::write(p, &b[..b.len() / 2]).unwrap();
        }),
        ("tile/0/000.p/5", |p| flip(p, 0)),
        ("tile/entries/000.p/5", |p| flip(p, 9)),
        ("tile/1/000", |p| flip(p, 32 * 200)),
        ("tile/2/000.p/1", |p| flip(p, 31)),
        ("checkpoint", |p| flip(p, 30)),
    ];
    for (file, hurt) in cases {
        let (d, key) = built_copy();
        let path = d.path().join("public").join(file);
        assert!(path.is_file(), "{file} exists in the built log");
        hurt(&path);
        let damage = run(d.path(), &key).expect_err(file);
        assert_eq!(damage.file, file, "{damage}");
    }
}

#[test]
fn a_missing_tile_and_a_foreign_key_are_reported() {
    let (d, key) = built_copy();
    std::fs::remove_file(d.path().join("public/tile/0/001")).unwrap();
    let damage = run(d.path(), &key).expect_err("missing");
    assert_eq!(damage.file, "tile/0/001");
    assert!(damage.problem.contains("missing"), "{damage}");
    // A checkpoint signed by another key is damage of the committed state.
    let (d, _) = built_copy();
    let (other, _) = LogSigner::generate("fsck.test/log").unwrap();
    let damage = run(d.path(), other.verifier_key()).expect_err("foreign key");
    assert_eq!(damage.file, tlog::storage::STATE_FILE, "{damage}");
}

#[test]
fn an_older_static_checkpoint_consistent_with_the_tree_is_stale_not_damaged() {
    let d = tempdir();
    let storage: Arc<dyn Storage> = Arc::new(LocalStorage::open(d.path()).unwrap());
    let (signer, _) = LogSigner::generate("fsck.test/log").unwrap();
    create_log(storage.as_ref(), &signer).unwrap();
    let key = signer.verifier_key().to_owned();
    let mut w = LogWriter::open(storage.clone(), signer).unwrap();
    w.append(&[b"a".to_vec(), b"b".to_vec()]).unwrap();
    let old = std::fs::read(d.path().join("public/checkpoint")).unwrap();
    w.append(&[b"c".to_vec()]).unwrap();
    drop(w);
    drop(storage);
    // As after a crash between the commit and the copy.
    std::fs::write(d.path().join("public/checkpoint"), &old).unwrap();
    let r = run(d.path(), &key).expect("stale is not damage");
    assert!(r.stale_checkpoint_copy);
}
