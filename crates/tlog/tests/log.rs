//! End-to-end tests of the library: append through the writer and the sequencer into each
//! storage backend (`embedded::*`: `LocalStorage`; `cloud::*`: PostgreSQL + S3, see
//! tests/backends), then check tiles, bundles, proofs, dedup and crash recovery.

mod backends;

use std::sync::Arc;

use backends::{Backend, Fixture};

use tlog::merkle::{self, record_hash};
use tlog::tiles::{TileKind, TilePath, decode_bundle};
use tlog::{
    LogSigner, LogWriter, MemoryTree, Sequencer, SequencerConfig, Storage, create_log, verify_checkpoint,
};

per_backend!(
    sync: [
        append_in_batches_matches_reference_tree,
        entries_reads_ranges_across_bundles,
        duplicates_get_the_same_index,
        reopen_recovers_and_removes_uncommitted_objects,
    ],
    async: [sequencer_batches_and_acknowledges, queue_full_is_reported]
);

/// A new log on `backend`: the fixture (keep it alive), its storage and its signer.
fn new_log(backend: Backend) -> Option<(Fixture, Arc<dyn Storage>, LogSigner)> {
    let f = backend.open()?;
    let storage = f.storage.clone();
    let (signer, _) = LogSigner::generate("test.example/log").unwrap();
    create_log(storage.as_ref(), &signer).unwrap();
    Some((f, storage, signer))
}

fn entry(i: u64) -> Vec<u8> {
    format!("entry number {i}").into_bytes()
}

fn append_in_batches_matches_reference_tree(backend: Backend) {
    let Some((_f, storage, signer)) = new_log(backend) else {
        return;
    };
    let mut w = LogWriter::open(storage.clone(), signer.clone()).unwrap();
    let mut reference = MemoryTree::new();
    let mut next = 0u64;
    // Batch sizes chosen to cross tile boundaries at levels 0 and 1 (256 and 65 536).
    for batch in [1usize, 2, 253, 1, 300, 1000, 64_000, 300, 17] {
        let entries: Vec<Vec<u8>> = (next..next + batch as u64).map(entry).collect();
        let idx = w.append(&entries).unwrap();
        assert_eq!(idx, (next..next + batch as u64).collect::<Vec<_>>());
        for e in &entries {
            reference.push(e).unwrap();
        }
        next += batch as u64;
        let st = w.state();
        assert_eq!(st.size, next);
        assert_eq!(st.root, reference.root(next).unwrap());
        let cp = verify_checkpoint(&st.checkpoint, signer.verifier_key()).unwrap();
        assert_eq!((cp.size, cp.root), (next, st.root));
    }
    let reader = w.reader();
    // Entries come back from their bundles.
    for i in [0, 255, 256, 65_535, 65_536, next - 1] {
        assert_eq!(reader.entry(i).unwrap(), entry(i));
    }
    assert!(reader.entry(next).is_err());
    // Full and partial tiles exist as the tree says.
    let full = TilePath::new(TileKind::Hash { level: 1 }, 0, 256).unwrap();
    assert_eq!(reader.tile(&full).unwrap().unwrap().len(), 256 * 32);
    let last_bundle = TilePath::for_tree(TileKind::Entries, (next - 1) / 256, next).unwrap();
    assert_eq!(
        decode_bundle(&reader.tile(&last_bundle).unwrap().unwrap())
            .unwrap()
            .len(),
        last_bundle.width() as usize
    );
    // A tile beyond the tree is not served.
    let beyond = TilePath::new(TileKind::Hash { level: 0 }, next / 256 + 1, 1).unwrap();
    assert!(reader.tile(&beyond).unwrap().is_none());
    // Proofs from tiles verify, against current and older sizes.
    for (index, size) in [
        (0, next),
        (next - 1, next),
        (65_800, 65_801),
        (3, 4),
        (65_535, 65_536),
    ] {
        let p = reader.prove_inclusion(index, Some(size)).unwrap();
        assert_eq!(p.root, reference.root(size).unwrap());
        merkle::verify_inclusion(&p.proof, size, p.root, index, record_hash(&entry(index))).unwrap();
    }
    for (old, new) in [
        (1, next),
        (256, 65_537),
        (300, 301),
        (next, next),
        (12_345, 54_321),
    ] {
        let p = reader.prove_consistency(old, Some(new)).unwrap();
        merkle::verify_consistency(&p.proof, old, p.old_root, new, p.new_root).unwrap();
    }
    assert!(reader.prove_inclusion(next, None).is_err());
    assert!(reader.prove_inclusion(0, Some(next + 1)).is_err());
    assert!(reader.prove_consistency(0, None).is_err());
    assert!(reader.prove_consistency(5, Some(next + 1)).is_err());
}

fn entries_reads_ranges_across_bundles(backend: Backend) {
    let Some((_f, storage, signer)) = new_log(backend) else {
        return;
    };
    let mut w = LogWriter::open(storage, signer).unwrap();
    let all: Vec<Vec<u8>> = (0..600).map(entry).collect();
    w.append(&all).unwrap();
    let r = w.reader();
    assert_eq!(r.entries(0, 600).unwrap(), all);
    assert_eq!(r.entries(250, 520).unwrap(), all[250..520].to_vec());
    assert_eq!(r.entries(512, 512).unwrap(), Vec::<Vec<u8>>::new());
    assert!(r.entries(0, 601).is_err());
    assert!(r.entries(10, 5).is_err());
}

fn duplicates_get_the_same_index(backend: Backend) {
    let Some((_f, storage, signer)) = new_log(backend) else {
        return;
    };
    let mut w = LogWriter::open(storage, signer).unwrap();
    let a = w.append(&[entry(1), entry(2), entry(1)]).unwrap();
    assert_eq!(a, vec![0, 1, 0]);
    let b = w.append(&[entry(2), entry(3)]).unwrap();
    assert_eq!(b, vec![1, 2]);
    assert_eq!(w.state().size, 3);
    // A batch of only duplicates writes nothing.
    assert_eq!(w.append(&[entry(3)]).unwrap(), vec![2]);
    assert_eq!(w.state().size, 3);
    assert!(w.append(&[vec![]]).is_err());
    assert!(w.append(&[vec![0; 65_536]]).is_err());
    assert_eq!(w.state().size, 3);
}

fn reopen_recovers_and_removes_uncommitted_objects(backend: Backend) {
    let Some((_f, storage, signer)) = new_log(backend) else {
        return;
    };
    let mut w = LogWriter::open(storage.clone(), signer.clone()).unwrap();
    w.append(&(0..10).map(entry).collect::<Vec<_>>()).unwrap();
    let root10 = w.state().root;
    drop(w);
    // Simulate a crash after the intent and some objects of a batch to size 20.
    storage.set_pending(10, 20).unwrap();
    storage
        .put_objects(&[tlog::Object {
            path: "tile/0/000.p/20".into(),
            data: vec![0; 640],
        }])
        .unwrap();
    let mut w = LogWriter::open(storage.clone(), signer.clone()).unwrap();
    assert_eq!(
        (w.state().size, w.state().root, w.state().pending_size),
        (10, root10, 0)
    );
    assert!(storage.get_object("tile/0/000.p/20").unwrap().is_none());
    assert!(storage.get_object("tile/0/000.p/10").unwrap().is_some());
    // A corrupted tile of the committed tree is detected.
    w.append(&[entry(99)]).unwrap();
    drop(w);
    // (Tiles are immutable, so the damage is a delete and a write, as the scale-out backend
    // refuses to overwrite a tile.)
    storage.delete_objects(&["tile/0/000.p/11".into()]).unwrap();
    storage
        .put_objects(&[tlog::Object {
            path: "tile/0/000.p/11".into(),
            data: vec![1; 352],
        }])
        .unwrap();
    assert!(LogWriter::open(storage.clone(), signer).is_err());
    // The wrong key is refused.
    let (other, _) = LogSigner::generate("other.example/log").unwrap();
    assert!(LogWriter::open(storage, other).is_err());
}

async fn sequencer_batches_and_acknowledges(backend: Backend) {
    let Some((_f, storage, signer)) = new_log(backend) else {
        return;
    };
    let w = LogWriter::open(storage, signer).unwrap();
    let cfg = SequencerConfig {
        batch_interval: std::time::Duration::from_millis(20),
        batch_max_entries: 50,
        ..Default::default()
    };
    let (seq, task) = Sequencer::start(w, cfg);
    let mut handles = vec![];
    for i in 0..200u64 {
        let s = seq.clone();
        handles.push(tokio::spawn(async move {
            (i, s.submit(entry(i % 150)).await.unwrap())
        }));
    }
    let mut got = std::collections::HashMap::new();
    for h in handles {
        let (i, idx) = h.await.unwrap();
        // Every acknowledged entry is readable at its index right away.
        assert_eq!(seq.reader().entry(idx).unwrap(), entry(i % 150));
        if let Some(prev) = got.insert(i % 150, idx) {
            assert_eq!(prev, idx, "duplicate got another index");
        }
    }
    assert_eq!(seq.reader().snapshot().size, 150);
    assert!(matches!(
        seq.submit(vec![]).await,
        Err(tlog::Error::EntrySize { .. })
    ));
    drop(seq);
    task.await.unwrap().unwrap();
}

async fn queue_full_is_reported(backend: Backend) {
    let Some((_f, storage, signer)) = new_log(backend) else {
        return;
    };
    let w = LogWriter::open(storage, signer).unwrap();
    let cfg = SequencerConfig {
        batch_interval: std::time::Duration::from_secs(3600),
        batch_max_entries: 1000,
        queue_capacity: 2,
        ..Default::default()
    };
    let (seq, _task) = Sequencer::start(w, cfg);
    let (a, b) = (seq.clone(), seq.clone());
    let _p1 = tokio::spawn(async move { a.submit(entry(1)).await });
    let _p2 = tokio::spawn(async move { b.submit(entry(2)).await });
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    // The task holds one submission in its batch buffer at most; fill the rest.
    let mut saw_full = false;
    for i in 3..10 {
        let s = seq.clone();
        let r = tokio::time::timeout(std::time::Duration::from_millis(50), s.submit(entry(i))).await;
        if let Ok(Err(tlog::Error::QueueFull)) = r {
            saw_full = true;
            break;
        }
    }
    assert!(saw_full);
}
