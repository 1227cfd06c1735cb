//! Rate limits over real sockets: per client address (429 with `Retry-After` and a JSON body,
//! `/healthz` exempt, the bucket refilling at its rate) and per verified signer (only what
//! admission control verified counts; a refused entry is not logged and its admission is undone).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use server::ServerConfig;
use server::admission::{Admission, Admitted, Rejection};
use tlog::{LocalStorage, LogSigner, Storage};

struct TestServer {
    url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), server::ServerError>>>,
    _dir: tempfile::TempDir,
}

impl TestServer {
    async fn start(config: ServerConfig, ext: server::Extensions) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let storage: Arc<dyn Storage> = Arc::new(LocalStorage::open(dir.path()).unwrap());
        let (signer, _) = LogSigner::generate("rate.test/log").unwrap();
        tlog::create_log(storage.as_ref(), &signer).unwrap();
        let writer = tlog::LogWriter::open(storage, signer).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(server::run_with(listener, writer, config, ext, async move {
            rx.await.ok();
        }));
        Self {
            url,
            stop: Some(tx),
            task: Some(task),
            _dir: dir,
        }
    }

    async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            tx.send(()).unwrap();
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap().unwrap();
        }
    }
}

fn config() -> ServerConfig {
    ServerConfig {
        batch_interval_ms: 10,
        // Unlimited unless a test sets a limit.
        rate_per_address: 0,
        rate_per_signer: 0,
        ..ServerConfig::default()
    }
}

/// Asserts a 429 with a `Retry-After` of whole seconds (returned) and a JSON `error` containing
/// `needle`.
async fn assert_429(r: reqwest::Response, needle: &str) -> u64 {
    assert_eq!(r.status(), 429);
    let retry: u64 = r
        .headers()
        .get("retry-after")
        .expect("Retry-After")
        .to_str()
        .unwrap()
        .parse()
        .expect("whole seconds");
    assert!(retry >= 1, "{retry}");
    assert_eq!(r.headers()["content-type"], "application/json");
    let body: serde_json::Value = serde_json::from_slice(&r.bytes().await.unwrap()).expect("a JSON body");
    let msg = body["error"].as_str().expect("an error message");
    assert!(msg.contains(needle), "{msg}");
    retry
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_address_limit_answers_429_then_refills() {
    let s = TestServer::start(
        ServerConfig {
            rate_per_address: 2,
            rate_per_address_burst: 5,
            ..config()
        },
        server::Extensions::default(),
    )
    .await;
    let http = reqwest::Client::new();
    // A full bucket lets the burst through, across routes; the next request is refused.
    for i in 0..5 {
        let path = if i % 2 == 0 { "checkpoint" } else { "openapi.json" };
        let r = http.get(format!("{}/{path}", s.url)).send().await.unwrap();
        assert_eq!(r.status(), 200, "request {i} within the burst");
    }
    let r = http
        .post(format!("{}/add", s.url))
        .header("content-type", "application/octet-stream")
        .body("over the limit")
        .send()
        .await
        .unwrap();
    let retry = assert_429(r, "from 127.0.0.1").await;
    assert_eq!(retry, 1, "one token comes back every 0.5 s");
    // Liveness probes are never limited.
    for _ in 0..5 {
        let r = http.get(format!("{}/healthz", s.url)).send().await.unwrap();
        assert_eq!(r.status(), 200);
    }
    // The refused entry was not logged.
    let m = http.get(format!("{}/metrics", s.url)).send().await.unwrap();
    assert_eq!(m.status(), 429, "metrics on the main listener are limited too");
    // After Retry-After, the bucket has room again.
    tokio::time::sleep(Duration::from_secs(retry)).await;
    let m = http
        .get(format!("{}/metrics", s.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(m.contains("shieldwatch_log_tree_size 0\n"), "{m}");
    assert!(
        m.contains("shieldwatch_http_rate_limited_total{limit=\"address\"} 2\n"),
        "{m}"
    );
    s.stop().await;
}

/// Admits entries `s:<name> ...` as signed by `<name>`, anything else as unsigned; records
/// releases.
#[derive(Default)]
struct NamedAdmission {
    released: Mutex<Vec<Vec<u8>>>,
}

impl Admission for NamedAdmission {
    fn admit(&self, entry: &[u8]) -> Result<Admitted, Rejection> {
        let signer = entry
            .strip_prefix(b"s:")
            .and_then(|r| r.split(|&b| b == b' ').next())
            .map(|n| String::from_utf8_lossy(n).into_owned());
        Ok(Admitted { signer })
    }

    fn release(&self, entry: &[u8]) {
        self.released.lock().unwrap().push(entry.to_vec());
    }
}

fn frame(entries: &[&[u8]]) -> Vec<u8> {
    let mut out = vec![];
    for e in entries {
        out.extend_from_slice(&u16::try_from(e.len()).unwrap().to_be_bytes());
        out.extend_from_slice(e);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_signer_limit_counts_verified_signers_and_logs_nothing_refused() {
    let admission = Arc::new(NamedAdmission::default());
    let s = TestServer::start(
        ServerConfig {
            rate_per_signer: 1,
            rate_per_signer_burst: 3,
            ..config()
        },
        server::Extensions {
            admission: Some(admission.clone()),
            ..server::Extensions::default()
        },
    )
    .await;
    let http = reqwest::Client::new();
    let add = |body: Vec<u8>, route: &'static str| {
        http.post(format!("{}/{route}", s.url))
            .header("content-type", "application/octet-stream")
            .body(body)
            .send()
    };
    for i in 0..3 {
        let r = add(format!("s:radar-1 reading {i}").into_bytes(), "add")
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "reading {i} within the burst");
    }
    let r = add(b"s:radar-1 reading 3".to_vec(), "add").await.unwrap();
    let retry = assert_429(r, "signer \"radar-1\"").await;
    assert_eq!(retry, 1);
    assert_eq!(
        *admission.released.lock().unwrap(),
        vec![b"s:radar-1 reading 3".to_vec()],
        "the refused entry's admission is undone"
    );
    // Another signer, and unsigned entries, are not affected.
    let r = add(b"s:silo-2 reading 0".to_vec(), "add").await.unwrap();
    assert_eq!(r.status(), 200);
    for i in 0..5 {
        let r = add(format!("roster {i}").into_bytes(), "add").await.unwrap();
        assert_eq!(r.status(), 200);
    }
    // A batch spends one token per entry: silo-2 has 2 left, a batch of 3 of its entries is
    // refused whole (nothing logged), a batch of 2 passes.
    let r = add(frame(&[b"s:silo-2 a", b"s:silo-2 b", b"s:silo-2 c"]), "add-batch")
        .await
        .unwrap();
    assert_429(r, "no entry of the batch was logged").await;
    let r = add(frame(&[b"s:silo-2 a", b"s:silo-2 b"]), "add-batch")
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(body["indexes"], serde_json::json!([9, 10]));
    // 3 + 1 + 5 + 2 entries logged; the refused reading 3 and batch a/b/c were not.
    let m = reqwest::get(format!("{}/metrics", s.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(m.contains("shieldwatch_log_tree_size 11\n"), "{m}");
    assert!(
        m.contains("shieldwatch_http_rate_limited_total{limit=\"signer\"} 2\n"),
        "{m}"
    );
    // After Retry-After, radar-1 may submit again.
    tokio::time::sleep(Duration::from_secs(retry)).await;
    let r = add(b"s:radar-1 reading 3".to_vec(), "add").await.unwrap();
    assert_eq!(r.status(), 200);
    s.stop().await;
}

/// The log's own client honours a 429: a submission beyond the burst is sent again after the
/// `Retry-After` the server names and is acknowledged, not reported as refused; raw requests at
/// the same moment are refused, so the limit was really met.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_waits_out_a_429_and_its_submission_is_acknowledged() {
    let s = TestServer::start(
        ServerConfig {
            rate_per_address: 1,
            rate_per_address_burst: 2,
            ..config()
        },
        server::Extensions::default(),
    )
    .await;
    let client = server::client::Client::new(&s.url).unwrap();
    let first = client.add(b"entry one".to_vec()).await.unwrap();
    let second = client.add(b"entry two".to_vec()).await.unwrap();
    // The bucket is empty now: a raw request is refused ...
    let http = reqwest::Client::new();
    let r = http
        .post(format!("{}/add", s.url))
        .header("content-type", "application/octet-stream")
        .body(b"raw".to_vec())
        .send()
        .await
        .unwrap();
    assert_429(r, "rate").await;
    // ... and the client's next submission waits for room instead of failing.
    let started = std::time::Instant::now();
    let third = client.add(b"entry three".to_vec()).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
    let mut indexes = vec![first, second, third];
    indexes.sort_unstable();
    indexes.dedup();
    assert_eq!(indexes.len(), 3, "three distinct entries logged");
    s.stop().await;
}

/// Reads count against the same per-address limit, and the client honours their 429 too: a
/// monitor reading tiles beyond the burst waits for room instead of reporting the log down
/// (a monitor catching up on a day's log met exactly this).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_waits_out_a_429_on_a_read() {
    let s = TestServer::start(
        ServerConfig {
            rate_per_address: 1,
            rate_per_address_burst: 2,
            ..config()
        },
        server::Extensions::default(),
    )
    .await;
    let client = server::client::Client::new(&s.url).unwrap();
    let first = client.checkpoint().await.unwrap();
    client.checkpoint().await.unwrap();
    let http = reqwest::Client::new();
    let r = http.get(format!("{}/checkpoint", s.url)).send().await.unwrap();
    assert_429(r, "rate").await;
    let started = std::time::Instant::now();
    let third = client.checkpoint().await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(first, third, "the same checkpoint, read after the wait");
    s.stop().await;
}
