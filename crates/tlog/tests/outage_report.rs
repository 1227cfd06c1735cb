//! A storage outage is reported once when it begins and once when it ends. In a test binary of its
//! own: it installs a thread-local tracing subscriber, and tracing caches each call site's interest
//! process-wide, so another test running at the same time without a subscriber could hide events.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tlog::{Error, LocalStorage, LogSigner, LogWriter, Sequencer, SequencerConfig, Storage, create_log};

#[path = "support/full.rs"]
mod full;
use full::Full;

/// A writer that appends the formatted events to a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn lines(&self) -> Vec<String> {
        String::from_utf8(self.0.lock().unwrap().clone())
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }
    fn count(&self, level: &str, needle: &str) -> usize {
        self.lines()
            .iter()
            .filter(|l| l.contains(level) && l.contains(needle))
            .count()
    }
}

/// Every storage outage is reported once when it begins and once when it ends, however many
/// submissions are refused while it lasts; a second outage is reported again. (A soak that filled
/// the disk logged an error per refused request before.) The sequencer runs on this test's thread
/// (current-thread runtime), so a thread-local subscriber sees its events.
#[tokio::test(flavor = "current_thread")]
async fn a_storage_outage_is_reported_once_when_it_begins_and_once_when_it_ends() {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let dir = tempfile::tempdir().unwrap();
    let storage = Arc::new(Full {
        inner: Arc::new(LocalStorage::open(dir.path()).unwrap()),
        full: AtomicBool::new(false),
    });
    let (signer, _) = LogSigner::generate("recovery.test/log").unwrap();
    create_log(storage.as_ref(), &signer).unwrap();
    let dyn_storage: Arc<dyn Storage> = storage.clone();
    let writer = LogWriter::open(dyn_storage, signer).unwrap();
    let config = SequencerConfig {
        batch_interval: Duration::from_millis(5),
        ..SequencerConfig::default()
    };
    let (seq, task) = Sequencer::start(writer, config);
    let mut next = 0u64;
    for outage in 1..=2usize {
        assert_eq!(
            seq.submit(format!("ok {outage}").into_bytes()).await.unwrap(),
            next
        );
        next += 1;
        storage.full.store(true, Ordering::SeqCst);
        // Twenty submissions over ~1 s while the disk is full: none acknowledged.
        for i in 0..20 {
            let e = seq
                .submit(format!("refused {outage} {i}").into_bytes())
                .await
                .expect_err("not acknowledged while full");
            assert!(matches!(e, Error::SequencerStopped), "{e:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        storage.full.store(false, Ordering::SeqCst);
        let t = Instant::now();
        loop {
            assert!(t.elapsed() < Duration::from_secs(30), "never recovered");
            match seq.submit(format!("after {outage}").into_bytes()).await {
                Ok(i) => {
                    assert_eq!(i, next);
                    next += 1;
                    break;
                }
                Err(Error::SequencerStopped) => tokio::time::sleep(Duration::from_millis(20)).await,
                Err(e) => panic!("{e:?}"),
            }
        }
        let all = captured.lines().join("\n");
        assert_eq!(
            captured.count("ERROR", "batch failed"),
            outage,
            "one error per outage:\n{all}"
        );
        assert_eq!(captured.count("WARN", "tlog::sequencer"), 0, "{all}");
        assert_eq!(
            captured.count("INFO", "storage works again"),
            outage,
            "one all-clear per outage:\n{all}"
        );
        assert!(
            captured.count("WARN", "") + captured.count("ERROR", "") <= 2 * outage,
            "nothing else above INFO:\n{all}"
        );
    }
    drop(seq);
    task.await.unwrap().unwrap();
}
