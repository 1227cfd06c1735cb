//! The HTTP API end to end on a loopback port: happy paths, caching headers, proofs checked by
//! the client, bad input (4xx with a message, nothing stored) and graceful shutdown.

use std::sync::Arc;

use server::ServerConfig;
use server::client::Client;
use tlog::{LocalStorage, LogSigner, Storage};

struct TestServer {
    url: String,
    verifier_key: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), server::ServerError>>>,
    dir: std::path::PathBuf,
}

impl TestServer {
    async fn start(config: ServerConfig) -> Self {
        use std::sync::atomic::{AtomicU64, Ordering};
        static N: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "server-api-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let storage: Arc<dyn Storage> = Arc::new(LocalStorage::open(&dir).unwrap());
        let (signer, _) = LogSigner::generate("api.test/log").unwrap();
        tlog::create_log(storage.as_ref(), &signer).unwrap();
        let verifier_key = signer.verifier_key().to_owned();
        let writer = tlog::LogWriter::open(storage, signer).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(server::run(listener, writer, config, async move {
            let _ = rx.await;
        }));
        Self {
            url,
            verifier_key,
            stop: Some(tx),
            task: Some(task),
            dir,
        }
    }

    async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap().unwrap();
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn fast() -> ServerConfig {
    ServerConfig {
        batch_interval_ms: 20,
        max_entry_bytes: 1000,
        ..ServerConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_fetch_prove_verify() {
    let s = TestServer::start(fast()).await;
    let c = Client::new(&s.url).unwrap();
    // Concurrent clients: each acknowledged index is unique and the indexes fill 0..300.
    let tasks: Vec<_> = (0..300u32)
        .map(|i| {
            let c = c.clone();
            tokio::spawn(async move { c.add(format!("statement {i}").into_bytes()).await.unwrap() })
        })
        .collect();
    let mut idx = vec![];
    for t in tasks {
        idx.push(t.await.unwrap());
    }
    let mut sorted = idx.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (0..300).collect::<Vec<u64>>());
    // Idempotent.
    assert_eq!(c.add(b"statement 7".to_vec()).await.unwrap(), idx[7]);
    assert_eq!(c.lookup(b"statement 299").await.unwrap(), idx[299]);
    assert!(c.lookup(b"never added").await.is_err());

    let (cp, _) = c.verified_checkpoint(&s.verifier_key).await.unwrap();
    assert_eq!(cp.size, 300);
    assert_eq!(c.entry(idx[256], cp.size).await.unwrap(), b"statement 256");
    c.verify_entry(&cp, idx[42], b"statement 42").await.unwrap();
    assert!(c.verify_entry(&cp, idx[42], b"statement 43").await.is_err());
    let old = tlog::VerifiedCheckpoint {
        origin: cp.origin.clone(),
        size: 3,
        root: tlog::merkle::MemoryTree::new().root(0).unwrap(),
    };
    assert!(
        c.verify_consistency(&old, &cp).await.is_err(),
        "wrong old root must fail"
    );

    // Caching headers.
    let http = reqwest::Client::new();
    let get = |p: &str| http.get(format!("{}/{p}", s.url)).send();
    let r = get("checkpoint").await.unwrap();
    assert_eq!(r.headers()["cache-control"], "no-cache");
    let r = get("tile/0/000").await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    assert_eq!(r.bytes().await.unwrap().len(), 256 * 32);
    let r = get("tile/0/001.p/44").await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        !r.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    let r = get("tile/entries/001.p/44").await.unwrap();
    assert_eq!(r.status(), 200);
    let r = get("healthz").await.unwrap();
    assert_eq!(r.status(), 200);
    let m = get("metrics").await.unwrap().text().await.unwrap();
    assert!(m.contains("shieldwatch_log_tree_size 300"), "{m}");
    assert!(m.contains("shieldwatch_log_entries_acknowledged_total"));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_rejected_and_nothing_is_stored() {
    let s = TestServer::start(fast()).await;
    let c = Client::new(&s.url).unwrap();
    c.add(b"one".to_vec()).await.unwrap();
    c.add(b"two".to_vec()).await.unwrap();
    let http = reqwest::Client::new();
    let post = |ct: Option<&str>, body: Vec<u8>| {
        let mut r = http.post(format!("{}/add", s.url)).body(body);
        if let Some(ct) = ct {
            r = r.header("content-type", ct);
        }
        r.send()
    };
    let oct = Some("application/octet-stream");
    let cases: Vec<(reqwest::Response, u16, &str)> = vec![
        (
            post(oct, vec![b'x'; 1001]).await.unwrap(),
            413,
            "limit of 1000 bytes",
        ),
        (post(oct, vec![b'x'; 70_000]).await.unwrap(), 413, "limit"),
        (post(oct, vec![]).await.unwrap(), 400, "empty entry"),
        (
            post(Some("application/json"), b"{}".to_vec()).await.unwrap(),
            415,
            "Content-Type must be application/octet-stream",
        ),
        (post(None, b"three".to_vec()).await.unwrap(), 415, "Content-Type"),
    ];
    for (r, status, msg) in cases {
        assert_eq!(r.status().as_u16(), status);
        let body = r.text().await.unwrap();
        assert!(body.contains(msg), "{status}: {body}");
        assert!(body.starts_with("{\"error\":"), "{body}");
    }
    let get = |p: &str| http.get(format!("{}/{p}", s.url)).send();
    for (path, status, msg) in [
        ("tile/0/00", 400, "malformed tile path"),
        ("tile/x/000", 400, "malformed tile path"),
        ("tile/0/000.p/0", 400, "partial width"),
        ("tile/0/000.p/3", 404, "not in the log"),
        ("tile/0/001", 404, "not in the log"),
        ("tile/entries/000.p/5", 404, "not in the log"),
        ("proof/inclusion?index=2&size=2", 400, "not below tree size"),
        (
            "proof/inclusion?index=0&size=3",
            400,
            "beyond the current tree size",
        ),
        ("proof/inclusion?index=-1", 400, "bad query"),
        ("proof/inclusion", 400, "bad query"),
        ("proof/consistency?old=0", 400, "1 <= old"),
        (
            "proof/consistency?old=1&new=9",
            400,
            "beyond the current tree size",
        ),
        ("lookup?hash=abc", 400, "base64"),
    ] {
        let r = get(path).await.unwrap();
        assert_eq!(r.status().as_u16(), status, "{path}");
        let body = r.text().await.unwrap();
        assert!(body.contains(msg), "{path}: {body}");
    }
    // Nothing was stored.
    let (cp, _) = c.verified_checkpoint(&s.verifier_key).await.unwrap();
    assert_eq!(cp.size, 2);
    let m = get("metrics").await.unwrap().text().await.unwrap();
    assert!(
        m.contains("shieldwatch_log_rejected_total{reason=\"too_large\"} 2"),
        "{m}"
    );
    assert!(
        m.contains("shieldwatch_log_rejected_total{reason=\"content_type\"} 2"),
        "{m}"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn back_pressure_answers_503() {
    let cfg = ServerConfig {
        batch_interval_ms: 2000,
        batch_max_entries: 1_000_000,
        queue_capacity: 4,
        ..ServerConfig::default()
    };
    let s = TestServer::start(cfg).await;
    let c = Client::new(&s.url).unwrap();
    let mut tasks = vec![];
    for i in 0..12u32 {
        let c = c.clone();
        tasks.push(tokio::spawn(
            async move { c.add(format!("e{i}").into_bytes()).await },
        ));
    }
    let mut ok = 0;
    let mut busy = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(e) => {
                assert!(e.to_string().contains("503"), "{e}");
                busy += 1;
            }
        }
    }
    assert_eq!(ok, 4);
    assert_eq!(busy, 8);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_finishes_the_batch_in_flight() {
    let cfg = ServerConfig {
        batch_interval_ms: 300,
        ..ServerConfig::default()
    };
    let s = TestServer::start(cfg).await;
    let c = Client::new(&s.url).unwrap();
    let mut tasks = vec![];
    for i in 0..20u32 {
        let c = c.clone();
        tasks.push(tokio::spawn(
            async move { c.add(format!("e{i}").into_bytes()).await },
        ));
    }
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let mut s = s;
    let (stop, task) = (s.stop.take(), s.task.take());
    let _ = stop.map(|tx| tx.send(()));
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    task.unwrap().await.unwrap().unwrap();
    let storage = LocalStorage::open(&s.dir).unwrap();
    assert_eq!(storage.load_state().unwrap().size, 20);
}
