//! A storage that fails is a server error, never "not found": lookups through a failing backend answer
//! 500 with a JSON body (and log the error) where a missing entry answers 404, and `/add` with admission
//! control does not take a failed duplicate check for a new entry.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use server::ServerConfig;
use server::admission::{Admission, Rejection};
use tlog::{Hash, LocalStorage, LogSigner, LogState, Object, Storage, StorageError};

/// A [`LocalStorage`] whose reads fail while `broken` is set (as a disk or database fault would).
struct Flaky {
    inner: LocalStorage,
    broken: AtomicBool,
}

impl Flaky {
    fn check(&self) -> Result<(), StorageError> {
        if self.broken.load(Ordering::SeqCst) {
            Err(StorageError::Corrupt("injected read failure".into()))
        } else {
            Ok(())
        }
    }
}

impl Storage for Flaky {
    fn put_objects(&self, objects: &[Object]) -> Result<(), StorageError> {
        self.inner.put_objects(objects)
    }
    fn get_object(&self, path: &str) -> Result<Option<Vec<u8>>, StorageError> {
        self.check()?;
        self.inner.get_object(path)
    }
    fn delete_objects(&self, paths: &[String]) -> Result<(), StorageError> {
        self.inner.delete_objects(paths)
    }
    fn create_state(&self, state: &LogState) -> Result<(), StorageError> {
        self.inner.create_state(state)
    }
    fn load_state(&self) -> Result<LogState, StorageError> {
        self.inner.load_state()
    }
    fn set_pending(&self, size: u64, pending_size: u64) -> Result<(), StorageError> {
        self.inner.set_pending(size, pending_size)
    }
    fn commit(&self, old_size: u64, state: &LogState, records: &[(Hash, u64)]) -> Result<(), StorageError> {
        self.inner.commit(old_size, state, records)
    }
    fn lookup(&self, hashes: &[Hash]) -> Result<Vec<Option<u64>>, StorageError> {
        self.check()?;
        self.inner.lookup(hashes)
    }
}

/// Admits everything and counts admissions.
#[derive(Default)]
struct CountingAdmission(Mutex<usize>);

impl Admission for CountingAdmission {
    fn admit(&self, _entry: &[u8]) -> Result<server::admission::Admitted, Rejection> {
        *self.0.lock().unwrap() += 1;
        Ok(server::admission::Admitted::default())
    }
    fn release(&self, _entry: &[u8]) {}
}

/// A writer for the global tracing subscriber that keeps what is logged.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_errors_are_500_with_a_json_body_and_logged_not_404() {
    let logs = Captured::default();
    let sink = logs.clone();
    tracing_subscriber::fmt()
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .init();

    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_owned();
    let flaky = Arc::new(Flaky {
        inner: LocalStorage::open(&dir).unwrap(),
        broken: AtomicBool::new(false),
    });
    let storage: Arc<dyn Storage> = flaky.clone();
    let (signer, _) = LogSigner::generate("storage-errors.test/log").unwrap();
    tlog::create_log(storage.as_ref(), &signer).unwrap();
    let writer = tlog::LogWriter::open(storage, signer).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let admission = Arc::new(CountingAdmission::default());
    let ext = server::Extensions {
        admission: Some(admission.clone()),
        ..Default::default()
    };
    let config = ServerConfig {
        batch_interval_ms: 20,
        ..ServerConfig::default()
    };
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server::run_with(listener, writer, config, ext, async move {
        rx.await.ok();
    }));

    let http = reqwest::Client::new();
    let add = |body: &'static [u8]| {
        http.post(format!("{url}/add"))
            .header("content-type", "application/octet-stream")
            .body(body)
            .send()
    };
    let r = add(b"first entry").await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(*admission.0.lock().unwrap(), 1);
    // Display of a hash is its standard base64, as /lookup takes it.
    let hash = |b: &[u8]| tlog::merkle::record_hash(b).to_string();
    let lookup = |b: &[u8]| {
        // Standard base64 has `+`, `/` and `=`: percent-encode them for the query string.
        let h = hash(b)
            .replace('+', "%2B")
            .replace('/', "%2F")
            .replace('=', "%3D");
        http.get(format!("{url}/lookup?hash={h}")).send()
    };
    // Healthy storage: a missing entry is 404, a present one 200.
    assert_eq!(lookup(b"never added").await.unwrap().status(), 404);
    assert_eq!(lookup(b"first entry").await.unwrap().status(), 200);
    assert_eq!(
        http.get(format!("{url}/tile/0/000.p/1"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    flaky.broken.store(true, Ordering::SeqCst);
    let expect_500 = |r: reqwest::Response| async move {
        assert_eq!(r.status(), 500, "a storage error is a server error");
        let body = r.bytes().await.unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).expect("JSON body");
        let msg = v["error"].as_str().expect("an error message").to_string();
        assert!(msg.contains("injected read failure"), "{msg}");
    };
    expect_500(lookup(b"never added").await.unwrap()).await;
    expect_500(lookup(b"first entry").await.unwrap()).await;
    expect_500(http.get(format!("{url}/tile/0/000.p/1")).send().await.unwrap()).await;
    // The duplicate check of /add cannot run: the entry is refused, not admitted as new.
    expect_500(add(b"first entry").await.unwrap()).await;
    expect_500(
        http.post(format!("{url}/add-batch"))
            .header("content-type", "application/octet-stream")
            .body([&[0u8, 3][..], b"abc"].concat())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        *admission.0.lock().unwrap(),
        1,
        "nothing admitted while storage fails"
    );
    let logged = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        logged.contains("ERROR") && logged.contains("injected read failure"),
        "the failure is logged: {logged}"
    );

    flaky.broken.store(false, Ordering::SeqCst);
    assert_eq!(lookup(b"never added").await.unwrap().status(), 404);
    tx.send(()).ok();
    task.await.unwrap().unwrap();
    tmp.close().unwrap();
}
