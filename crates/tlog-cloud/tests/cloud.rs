//! What the scale-out backend adds to the `Storage` contract, on a throw-away PostgreSQL and
//! moto S3 server (the contract itself is tested by the log's suite, crates/tlog/tests, which
//! runs on this backend too): tiles are never replaced, cache headers, the compare-and-swap on
//! the tree size between two writers, the sequencer's lease fencing a deposed writer, and clear
//! errors when the database or the bucket is down.

use std::sync::{Arc, Barrier};

use tlog::{LogSigner, LogWriter, Object, Storage, StorageError, create_log};
use tlog_cloud::{CHECKPOINT_CACHE_CONTROL, CloudConfig, CloudStorage, IMMUTABLE_CACHE_CONTROL};

/// A database and a bucket of their own, and the configuration that opens them.
fn config() -> Option<(CloudConfig, testsvc::Bucket)> {
    let database_url = testsvc::postgres_database()?;
    let bucket = testsvc::s3_bucket()?;
    Some((
        CloudConfig {
            database_url,
            object_store_url: bucket.url(),
            s3_options: bucket.options(),
            max_connections: 4,
        },
        bucket,
    ))
}

/// `Cache-Control` of an object as the bucket serves it to a plain HTTP reader.
fn cache_control(bucket: &testsvc::Bucket, path: &str) -> String {
    let url = format!("{}/{}/{path}", bucket.endpoint, bucket.name);
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async move {
                let r = reqwest::get(&url).await.unwrap();
                assert!(r.status().is_success(), "{url}: {}", r.status());
                r.headers()
                    .get("cache-control")
                    .map(|v| v.to_str().unwrap().to_owned())
                    .unwrap_or_default()
            })
    })
    .join()
    .unwrap()
}

#[test]
fn tiles_are_never_replaced_and_carry_immutable_cache_headers() {
    let Some((config, bucket)) = config() else { return };
    let s = CloudStorage::open(&config).unwrap();
    let tile = |b: u8| Object {
        path: "tile/0/000.p/3".into(),
        data: vec![b; 96],
    };
    s.put_objects(&[tile(1)]).unwrap();
    // The same bytes again (a retried batch) are accepted.
    s.put_objects(&[tile(1)]).unwrap();
    // Other bytes are refused, and the tile keeps its first contents.
    let e = s.put_objects(&[tile(2)]).expect_err("a tile was replaced");
    assert!(matches!(e, StorageError::Conflict(_)), "{e:?}");
    assert!(e.to_string().contains("tile/0/000.p/3"), "{e}");
    assert_eq!(s.get_object("tile/0/000.p/3").unwrap(), Some(vec![1; 96]));
    // Deleted first (recovery of an uncommitted batch), it can be written anew.
    s.delete_objects(&["tile/0/000.p/3".into()]).unwrap();
    s.put_objects(&[tile(2)]).unwrap();
    assert_eq!(s.get_object("tile/0/000.p/3").unwrap(), Some(vec![2; 96]));
    // The checkpoint, and only it, is replaced (by a larger tree's: see the compare-and-swap
    // test below).
    let (signer, _) = LogSigner::generate("cache.test/log").unwrap();
    let checkpoints: Vec<Vec<u8>> = (1..=2)
        .map(|n| signer.sign_checkpoint(n, tlog::Hash([n as u8; 32])).unwrap())
        .collect();
    for c in &checkpoints {
        s.put_objects(&[Object {
            path: tlog::CHECKPOINT_PATH.into(),
            data: c.clone(),
        }])
        .unwrap();
    }
    assert_eq!(
        s.get_object("checkpoint").unwrap().as_ref(),
        Some(&checkpoints[1])
    );
    assert_eq!(s.get_object("tile/0/001").unwrap(), None);
    // Served straight from the bucket, with the headers a CDN needs.
    assert_eq!(cache_control(&bucket, "tile/0/000.p/3"), IMMUTABLE_CACHE_CONTROL);
    assert_eq!(cache_control(&bucket, "checkpoint"), CHECKPOINT_CACHE_CONTROL);
    // Paths that could escape the log's prefix are refused.
    for bad in ["", "/x", "a//b", "../x", "tile/./0"] {
        assert!(s.get_object(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn two_writers_cannot_both_extend_the_same_tree() {
    let Some((config, _bucket)) = config() else { return };
    let a: Arc<dyn Storage> = Arc::new(CloudStorage::open(&config).unwrap());
    let b: Arc<dyn Storage> = Arc::new(CloudStorage::open(&config).unwrap());
    let (signer, _) = LogSigner::generate("cas.test/log").unwrap();
    create_log(a.as_ref(), &signer).unwrap();
    let e = create_log(b.as_ref(), &signer).expect_err("created twice");
    assert!(e.to_string().contains("already exists"), "{e}");
    // Two writers open the same log; the first to commit wins, the other is refused and
    // nothing of its batch is in the log.
    let mut wa = LogWriter::open(a.clone(), signer.clone()).unwrap();
    let mut wb = LogWriter::open(b.clone(), signer.clone()).unwrap();
    wa.append(&[b"from a".to_vec()]).unwrap();
    let e = wb
        .append(&[b"from b".to_vec()])
        .expect_err("b extended a tree a had moved");
    assert!(e.to_string().contains("committed size is 1, expected 0"), "{e}");
    let state = b.load_state().unwrap();
    assert_eq!(state.size, 1);
    assert_eq!(wa.reader().entry(0).unwrap(), b"from a".to_vec());
    // Reopened, b sees a's tree and extends it.
    let mut wb = LogWriter::open(b.clone(), signer.clone()).unwrap();
    assert_eq!(wb.append(&[b"from b".to_vec()]).unwrap(), vec![1]);

    // Racing commits from the same size, on many threads: exactly one wins.
    let base = b.load_state().unwrap();
    let barrier = Arc::new(Barrier::new(8));
    let handles: Vec<_> = (0..8u8)
        .map(|i| {
            let s = if i % 2 == 0 { a.clone() } else { b.clone() };
            let barrier = barrier.clone();
            let mut next = base.clone();
            next.size = base.size + 1;
            next.root = tlog::Hash([i; 32]);
            std::thread::spawn(move || {
                barrier.wait();
                s.commit(base.size, &next, &[(tlog::Hash([i; 32]), base.size)])
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let won: Vec<usize> = (0..8).filter(|&i| results[i].is_ok()).collect();
    assert_eq!(won.len(), 1, "{results:?}");
    for r in &results {
        if let Err(e) = r {
            assert!(matches!(e, StorageError::Conflict(_)), "{e:?}");
        }
    }
    let w = won[0] as u8;
    assert_eq!(a.load_state().unwrap().root, tlog::Hash([w; 32]));
    // Only the winner's dedup record was kept.
    let found = a
        .lookup(&(0..8u8).map(|i| tlog::Hash([i; 32])).collect::<Vec<_>>())
        .unwrap();
    for (i, f) in found.iter().enumerate() {
        assert_eq!(f.is_some(), i == won[0], "{found:?}");
    }
}

#[test]
fn a_database_or_bucket_that_is_down_is_named() {
    let Some((config, _bucket)) = config() else { return };
    // A bucket that does not exist.
    let e = CloudStorage::open(&CloudConfig {
        object_store_url: "s3://no-such-bucket".into(),
        ..config.clone()
    })
    .expect_err("opened a missing bucket")
    .to_string();
    assert!(e.contains("object store s3://no-such-bucket"), "{e}");
    // A database nobody listens for (port 1 on loopback refuses at once).
    let e = CloudStorage::open(&CloudConfig {
        database_url: "postgres://shieldwatch:secret@127.0.0.1:1/log".into(),
        ..config.clone()
    })
    .expect_err("opened a database that is down")
    .to_string();
    assert!(e.contains("PostgreSQL 127.0.0.1:1/log: connecting"), "{e}");
    assert!(!e.contains("secret"), "the password leaked: {e}");
    // Not an s3:// URL.
    let e = CloudStorage::open(&CloudConfig {
        object_store_url: "/var/log".into(),
        ..config
    })
    .expect_err("took a path for a bucket")
    .to_string();
    assert!(e.contains("expected s3://BUCKET"), "{e}");
}

#[test]
fn a_deposed_sequencer_cannot_commit_and_only_the_holder_writes() {
    let Some((config, _bucket)) = config() else { return };
    let a = CloudStorage::open(&config).unwrap();
    let b = CloudStorage::open(&config).unwrap();
    let admin = CloudStorage::open(&config).unwrap();
    let (signer, _) = LogSigner::generate("lease.test/log").unwrap();
    create_log(&a, &signer).unwrap();
    let long = std::time::Duration::from_secs(60);
    // A takes the lease; B, asking while it runs, is told who holds it and writes nothing.
    assert_eq!(
        a.acquire_lease("a", "http://a", long).unwrap(),
        tlog_cloud::Lease::Held { token: 1 }
    );
    assert_eq!(
        a.acquire_lease("a", "http://a", long).unwrap(),
        tlog_cloud::Lease::Held { token: 1 },
        "renewal keeps the token"
    );
    match b.acquire_lease("b", "http://b", long).unwrap() {
        tlog_cloud::Lease::Other { holder, url, token } => {
            assert_eq!((holder.as_str(), url.as_str(), token), ("a", "http://a", 1));
        }
        other => panic!("B got {other:?}"),
    }
    let e = b.set_pending(0, 1).unwrap_err().to_string();
    assert!(e.contains("does not hold the sequencer's lease"), "{e}");
    let e = b
        .put_objects(&[Object {
            path: "tile/0/000.p/1".into(),
            data: vec![0; 32],
        }])
        .unwrap_err()
        .to_string();
    assert!(e.contains("does not hold the sequencer's lease"), "{e}");
    // A's lease ends without A knowing (a pause, a partition: here it is released under it), and
    // B takes over with a larger token.
    admin.release_lease("a").unwrap();
    assert_eq!(
        b.acquire_lease("b", "http://b", long).unwrap(),
        tlog_cloud::Lease::Held { token: 2 }
    );
    // A's late intent and commit carry token 1 and change nothing.
    let e = a.set_pending(0, 1).unwrap_err().to_string();
    assert!(
        e.contains("passed to another instance") && e.contains("ours 1"),
        "{e}"
    );
    let state = a.load_state().unwrap();
    let mut next = state.clone();
    next.size = 1;
    let e = a.commit(0, &next, &[]).unwrap_err().to_string();
    assert!(e.contains("passed to another instance"), "{e}");
    assert_eq!(
        admin.load_state().unwrap().size,
        0,
        "the deposed sequencer's commit took effect"
    );
    assert_eq!(admin.lease().unwrap().token, 2);
    // B, the holder, writes.
    let mut w = LogWriter::open(Arc::new(b), signer).unwrap();
    assert_eq!(w.append(&[b"by the holder".to_vec()]).unwrap(), vec![0]);
}

/// The size a checkpoint note states.
fn size_of(note: &[u8]) -> u64 {
    tlog::checkpoint::peek_checkpoint(note).unwrap().0
}

#[test]
fn a_deposed_sequencer_holding_an_old_etag_cannot_put_the_checkpoint_back() {
    let Some((config, _bucket)) = config() else { return };
    let a = Arc::new(CloudStorage::open(&config).unwrap());
    let b = Arc::new(CloudStorage::open(&config).unwrap());
    let admin = CloudStorage::open(&config).unwrap();
    let (signer, _) = LogSigner::generate("etag.test/log").unwrap();
    // The first checkpoint is created (If-None-Match: *), so a second log cannot start over it.
    create_log(a.as_ref(), &signer).unwrap();
    let first = admin.get_object(tlog::CHECKPOINT_PATH).unwrap().unwrap();
    assert_eq!(size_of(&first), 0);
    let long = std::time::Duration::from_secs(60);
    assert!(matches!(
        a.acquire_lease("a", "http://a", long).unwrap(),
        tlog_cloud::Lease::Held { .. }
    ));
    let mut wa = LogWriter::open(a.clone(), signer.clone()).unwrap();
    wa.append(&[b"one".to_vec()]).unwrap();
    // A's checkpoint for one entry, and A now holds its ETag.
    let a_checkpoint = admin.get_object(tlog::CHECKPOINT_PATH).unwrap().unwrap();
    assert_eq!(size_of(&a_checkpoint), 1);
    // A's lease ends without A knowing; B takes over and extends the log to 3 entries.
    admin.release_lease("a").unwrap();
    assert!(matches!(
        b.acquire_lease("b", "http://b", long).unwrap(),
        tlog_cloud::Lease::Held { .. }
    ));
    let mut wb = LogWriter::open(b.clone(), signer.clone()).unwrap();
    wb.append(&[b"two".to_vec(), b"three".to_vec()]).unwrap();
    let newer = admin.get_object(tlog::CHECKPOINT_PATH).unwrap().unwrap();
    assert_eq!(size_of(&newer), 3);
    // A wakes up and writes its checkpoint copy again (its lease fence has not run out by its own
    // clock, so only the ETag stops it): refused, named, and the bucket keeps B's.
    let e = a
        .put_objects(&[Object {
            path: tlog::CHECKPOINT_PATH.into(),
            data: a_checkpoint.clone(),
        }])
        .expect_err("a deposed sequencer put the checkpoint back");
    assert!(matches!(e, StorageError::Conflict(_)), "{e:?}");
    let e = e.to_string();
    assert!(
        e.contains("replaced by another writer")
            && e.contains("3 entries, ours for 1")
            && e.contains("no longer the sequencer"),
        "{e}"
    );
    assert_eq!(admin.get_object(tlog::CHECKPOINT_PATH).unwrap().unwrap(), newer);
    // A has stepped down: it writes no object at all until it takes the lease again.
    let e = a
        .put_objects(&[Object {
            path: "tile/0/000.p/1".into(),
            data: vec![0; 32],
        }])
        .unwrap_err()
        .to_string();
    assert!(e.contains("does not hold the sequencer's lease"), "{e}");
    // B, which holds the current ETag, goes on.
    wb.append(&[b"four".to_vec()]).unwrap();
    assert_eq!(
        size_of(&admin.get_object(tlog::CHECKPOINT_PATH).unwrap().unwrap()),
        4
    );
    // An unfenced writer that never saw an ETag (it reads the bucket's first) cannot put back an
    // older checkpoint.
    let fresh = CloudStorage::open(&config).unwrap();
    for stale in [&first, &a_checkpoint] {
        let e = fresh
            .put_objects(&[Object {
                path: tlog::CHECKPOINT_PATH.into(),
                data: stale.clone(),
            }])
            .expect_err("an older checkpoint replaced a newer one");
        assert!(e.to_string().contains("4 entries"), "{e}");
    }
    // Writing the current checkpoint again (recovery does) is accepted as it is.
    let current = admin.get_object(tlog::CHECKPOINT_PATH).unwrap().unwrap();
    fresh
        .put_objects(&[Object {
            path: tlog::CHECKPOINT_PATH.into(),
            data: current.clone(),
        }])
        .unwrap();
    assert_eq!(admin.get_object(tlog::CHECKPOINT_PATH).unwrap().unwrap(), current);
}

#[test]
fn a_new_log_does_not_overwrite_a_checkpoint_already_in_the_bucket() {
    let Some((config, _bucket)) = config() else { return };
    let s = CloudStorage::open(&config).unwrap();
    let (signer, _) = LogSigner::generate("create.test/log").unwrap();
    // A checkpoint of 5 entries is left in the bucket (the database is empty).
    let other = signer.sign_checkpoint(5, tlog::Hash([7; 32])).unwrap();
    s.put_objects(&[Object {
        path: tlog::CHECKPOINT_PATH.into(),
        data: other.clone(),
    }])
    .unwrap();
    // Neither a storage that has not seen it nor the one that wrote it (and holds its ETag)
    // writes a new log's checkpoint of 0 entries over it.
    let fresh = CloudStorage::open(&config).unwrap();
    let e = create_log(&fresh, &signer).expect_err("a new log overwrote the bucket's checkpoint");
    assert!(e.to_string().contains("5 entries, ours for 0"), "{e}");
    let empty = fresh.load_state().unwrap().checkpoint;
    let e = s
        .put_objects(&[Object {
            path: tlog::CHECKPOINT_PATH.into(),
            data: empty,
        }])
        .expect_err("the checkpoint went back");
    assert!(e.to_string().contains("5 entries, ours for 0"), "{e}");
    assert_eq!(s.get_object(tlog::CHECKPOINT_PATH).unwrap().unwrap(), other);
}
