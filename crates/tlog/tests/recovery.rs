//! A failed batch (a full disk, a storage fault) does not stop the log for good: no entry of the
//! batch is acknowledged, submissions are refused at once (SequencerStopped) while storage fails,
//! and once storage works again the sequencer recovers by itself, as a restart would, keeping
//! every entry acknowledged before and taking new ones. On each backend (tests/backends).

mod backends;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use backends::Backend;
use tlog::{Error, LogSigner, LogWriter, Sequencer, SequencerConfig, Storage, create_log};

#[path = "support/full.rs"]
mod full;
use full::Full;

per_backend!(
    sync: [],
    async: [a_full_disk_stops_acknowledgements_until_space_comes_back_then_sequencing_resumes]
);

async fn a_full_disk_stops_acknowledgements_until_space_comes_back_then_sequencing_resumes(backend: Backend) {
    let Some(fixture) = backend.open() else { return };
    let storage = Arc::new(Full {
        inner: fixture.storage.clone(),
        full: AtomicBool::new(false),
    });
    let (signer, _) = LogSigner::generate("recovery.test/log").unwrap();
    let reopen_signer = signer.clone();
    let vkey = signer.verifier_key().to_owned();
    create_log(storage.as_ref(), &signer).unwrap();
    let dyn_storage: Arc<dyn Storage> = storage.clone();
    let writer = LogWriter::open(dyn_storage, signer).unwrap();
    let config = SequencerConfig {
        batch_interval: Duration::from_millis(10),
        ..SequencerConfig::default()
    };
    let (seq, task) = Sequencer::start(writer, config);
    for i in 0..5u32 {
        assert_eq!(
            seq.submit(format!("before {i}").into_bytes()).await.unwrap(),
            u64::from(i)
        );
    }
    // The disk fills: the batch fails and none of it is acknowledged.
    storage.full.store(true, Ordering::SeqCst);
    let e = seq
        .submit(b"while full".to_vec())
        .await
        .expect_err("not acknowledged");
    assert!(matches!(e, Error::SequencerStopped), "{e:?}");
    // While storage fails, submissions are refused at once.
    let e = seq
        .submit(b"refused at once".to_vec())
        .await
        .expect_err("refused");
    assert!(matches!(e, Error::SequencerStopped), "{e:?}");
    assert!(seq.stats().failed.load(Ordering::Relaxed));
    // Space comes back: the sequencer recovers by itself (bounded wait, polled).
    storage.full.store(false, Ordering::SeqCst);
    let t = Instant::now();
    while seq.stats().failed.load(Ordering::Relaxed) {
        assert!(t.elapsed() < Duration::from_secs(30), "never recovered");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The refused entry is not in the log; resubmitted, it takes the next index; everything
    // acknowledged before is still there.
    assert_eq!(seq.submit(b"while full".to_vec()).await.unwrap(), 5);
    assert_eq!(seq.submit(b"after".to_vec()).await.unwrap(), 6);
    let reader = seq.reader().clone();
    assert_eq!(reader.snapshot().size, 7);
    for i in 0..5u64 {
        assert_eq!(reader.entry(i).unwrap(), format!("before {i}").into_bytes());
    }
    drop(seq);
    task.await.unwrap().unwrap();
    drop((reader, storage));
    // The log at rest is whole: reopened, its tiles hash to the signed root, and every entry is
    // read back from its bundle.
    let w = LogWriter::open(fixture.storage.clone(), reopen_signer).unwrap();
    assert_eq!(w.state().size, 7);
    let all = w.reader().entries(0, 7).unwrap();
    assert_eq!(all[5], b"while full".to_vec());
    assert_eq!(all[6], b"after".to_vec());
    drop(w);
    // On the embedded backend, fsck checks every file too.
    if let Some(public) = fixture.public_dir() {
        let report = tlog::fsck::check(fixture.storage.as_ref(), &public, &vkey)
            .unwrap()
            .expect("the log at rest is intact");
        assert_eq!(report.size, 7);
    }
}
