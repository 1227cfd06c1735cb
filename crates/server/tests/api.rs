//! The HTTP API end to end on a loopback port: happy paths, caching headers, proofs checked by
//! the client, bad input (4xx with a message, nothing stored), the OpenAPI document, metrics and
//! graceful shutdown.

use std::sync::Arc;

use server::ServerConfig;
use server::client::Client;
use tlog::{LocalStorage, LogSigner, Storage};

struct TestServer {
    url: String,
    verifier_key: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), server::ServerError>>>,
    dir: tempfile::TempDir,
}

impl TestServer {
    async fn start(config: ServerConfig) -> Self {
        Self::start_with(config, server::Extensions::default()).await
    }

    async fn start_with(config: ServerConfig, ext: server::Extensions) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let storage: Arc<dyn Storage> = Arc::new(LocalStorage::open(dir.path()).unwrap());
        let (signer, _) = LogSigner::generate("api.test/log").unwrap();
        tlog::create_log(storage.as_ref(), &signer).unwrap();
        let verifier_key = signer.verifier_key().to_owned();
        let writer = tlog::LogWriter::open(storage, signer).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(server::run_with(listener, writer, config, ext, async move {
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

/// Files under `dir`, recursively.
fn count_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            if p.is_dir() { count_files(&p) } else { 1 }
        })
        .sum()
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
        (
            post(Some("text/plain"), b"four".to_vec()).await.unwrap(),
            415,
            "got \\\"text/plain\\\"",
        ),
        (
            post(Some("application/octet-streamx"), b"five".to_vec())
                .await
                .unwrap(),
            415,
            "Content-Type",
        ),
    ];
    for (r, status, msg) in cases {
        assert_eq!(r.status().as_u16(), status);
        let body = r.text().await.unwrap();
        assert!(body.contains(msg), "{status}: {body}");
        assert!(body.starts_with("{\"error\":"), "{body}");
    }
    let files_before = count_files(s.dir.path());
    let get = |p: &str| http.get(format!("{}/{p}", s.url)).send();
    // 64 hex digits are 32 bytes in hex but 48 in base64: rejected, the API speaks base64.
    let hex_hash = format!("lookup?hash={}", "ab".repeat(32));
    // Valid base64 of 31 bytes.
    let short_hash = format!("lookup?hash={}%3D%3D", "A".repeat(42));
    for (path, status, msg) in [
        // Tile paths: wrong level, wrong width, non-canonical spellings.
        ("tile/64/000", 400, "level must be 0..=63"),
        ("tile/-1/000", 400, "level must be 0..=63"),
        ("tile/00/000", 400, "canonical"),
        ("tile/0/000.p/256", 400, "partial width must be 1..=255"),
        ("tile/0/000.p/300", 400, "partial width must be 1..=255"),
        ("tile/0/000.p/-1", 400, "partial width"),
        ("tile/0/000.p/05", 400, "canonical"),
        ("tile/entries/000.p/0", 400, "partial width"),
        ("tile/0/1", 400, "three decimal digits"),
        ("tile/0/x000/001", 400, "canonical"),
        ("tile/0/000/001", 400, "x prefix"),
        ("tile/0", 400, "missing tile index"),
        ("tile/data/000", 400, "level must be 0..=63 or entries"),
        // Indexes and sizes: negative, non-numeric, overflowing, out of order.
        ("proof/inclusion?index=abc", 400, "bad query"),
        ("proof/inclusion?index=0&size=-3", 400, "bad query"),
        ("proof/inclusion?index=18446744073709551616", 400, "bad query"),
        ("proof/inclusion?index=1.5", 400, "bad query"),
        ("proof/consistency?old=x", 400, "bad query"),
        ("proof/consistency?old=-2", 400, "bad query"),
        ("proof/consistency?old=2&new=1", 400, "1 <= old"),
        // Hash parameters: bad base64, hex, wrong length, missing.
        ("lookup?hash=", 400, "base64"),
        ("lookup?hash=%%%", 400, "base64"),
        (hex_hash.as_str(), 400, "base64"),
        (short_hash.as_str(), 400, "base64"),
        ("lookup", 400, "bad query"),
        ("no/such/route", 404, "no such route"),
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
    assert_eq!(count_files(s.dir.path()), files_before, "no file was written");
    let m = get("metrics").await.unwrap().text().await.unwrap();
    assert!(
        m.contains("shieldwatch_log_rejected_total{reason=\"too_large\"} 2"),
        "{m}"
    );
    assert!(
        m.contains("shieldwatch_log_rejected_total{reason=\"content_type\"} 4"),
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
    let storage = LocalStorage::open(s.dir.path()).unwrap();
    assert_eq!(storage.load_state().unwrap().size, 20);
}

/// Every route the server answers, as named in the OpenAPI document, with its method.
const ROUTES: [(&str, &str); 10] = [
    ("/add", "post"),
    ("/add-batch", "post"),
    ("/checkpoint", "get"),
    ("/tile/{path}", "get"),
    ("/proof/inclusion", "get"),
    ("/proof/consistency", "get"),
    ("/lookup", "get"),
    ("/healthz", "get"),
    ("/metrics", "get"),
    ("/openapi.json", "get"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_document_lists_every_route() {
    let s = TestServer::start(fast()).await;
    let http = reqwest::Client::new();
    let r = http.get(format!("{}/openapi.json", s.url)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    let doc: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).expect("valid JSON");
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    assert!(doc["info"]["title"].is_string());
    let paths = doc["paths"].as_object().unwrap();
    let mut listed: Vec<&str> = paths.keys().map(String::as_str).collect();
    listed.sort_unstable();
    let mut expected: Vec<&str> = ROUTES.iter().map(|(p, _)| *p).collect();
    expected.sort_unstable();
    assert_eq!(listed, expected);
    for (path, method) in ROUTES {
        let op = &paths[path][method];
        assert!(op.is_object(), "{method} {path} is not documented");
        assert!(
            op["responses"]["200"].is_object(),
            "{method} {path} documents no 200"
        );
        // The documented route exists: whatever it answers, it is not the router's fallback.
        let url = format!("{}{}", s.url, path.replace("{path}", "0/000.p/1"));
        let r = match method {
            "post" => http.post(&url).body("x").send().await.unwrap(),
            _ => http.get(&url).send().await.unwrap(),
        };
        let body = r.text().await.unwrap();
        assert!(!body.contains("no such route"), "{method} {path}: {body}");
    }
    // Error answers and the request body are described.
    assert_eq!(
        paths["/add"]["post"]["requestBody"]["content"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["application/octet-stream"]
    );
    assert!(paths["/add"]["post"]["responses"]["413"].is_object());
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    // The document served is the one the library generates.
    assert_eq!(doc, serde_json::to_value(server::api::openapi()).unwrap());
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_cover_rate_queue_latency_age_and_rejections() {
    let s = TestServer::start(fast()).await;
    let c = Client::new(&s.url).unwrap();
    let http = reqwest::Client::new();
    let m = http.get(format!("{}/metrics", s.url)).send().await.unwrap();
    assert!(
        m.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let m = m.text().await.unwrap();
    assert!(m.contains("shieldwatch_log_checkpoint_age_seconds -1"), "{m}");
    for i in 0..5u8 {
        c.add(vec![b'm', i]).await.unwrap();
    }
    let _ = http
        .post(format!("{}/add", s.url))
        .header("content-type", "application/octet-stream")
        .body(vec![])
        .send()
        .await
        .unwrap();
    let m = http
        .get(format!("{}/metrics", s.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for want in [
        "# TYPE shieldwatch_log_entries_acknowledged_total counter",
        "shieldwatch_log_entries_acknowledged_total 5",
        "# TYPE shieldwatch_log_queue_depth gauge",
        "shieldwatch_log_queue_depth 0",
        "# TYPE shieldwatch_log_sequencing_latency_seconds histogram",
        "shieldwatch_log_sequencing_latency_seconds_bucket{le=\"+Inf\"} 5",
        "shieldwatch_log_sequencing_latency_seconds_count 5",
        "shieldwatch_log_rejected_total{reason=\"empty\"} 1",
        "shieldwatch_log_rejected_total{reason=\"queue_full\"} 0",
        "shieldwatch_log_sequencer_up 1",
        "shieldwatch_log_tree_size 5",
    ] {
        assert!(m.contains(want), "missing {want:?} in\n{m}");
    }
    let age: f64 = m
        .lines()
        .find_map(|l| l.strip_prefix("shieldwatch_log_checkpoint_age_seconds "))
        .unwrap()
        .parse()
        .unwrap();
    assert!((0.0..60.0).contains(&age), "checkpoint age {age}");
    assert!(
        !m.contains("witness_cosignature_age"),
        "no witness gauge without witnesses"
    );
    // Every sample line is `name{labels} value` with a numeric value.
    for l in m.lines().filter(|l| !l.starts_with('#')) {
        let (_, v) = l.rsplit_once(' ').unwrap();
        assert!(v.parse::<f64>().is_ok(), "bad sample line {l:?}");
    }
    s.stop().await;
}

/// Entries in the entry-bundle framing.
fn framed(entries: &[&[u8]]) -> Vec<u8> {
    tlog::tiles::encode_bundle(entries.iter().copied()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_batch_sequences_in_order_and_is_idempotent() {
    let s = TestServer::start(fast()).await;
    let c = Client::new(&s.url).unwrap();
    assert_eq!(c.add(b"single".to_vec()).await.unwrap(), 0);
    // 300 entries (across an entry-bundle boundary), one of them repeated.
    let mut entries: Vec<Vec<u8>> = (0..300u32).map(|i| format!("batch {i}").into_bytes()).collect();
    entries.push(b"batch 5".to_vec());
    let idx = c.add_batch(&entries).await.unwrap();
    assert_eq!(idx.len(), 301);
    assert_eq!(
        &idx[..300],
        (1..301).collect::<Vec<u64>>(),
        "consecutive, in order"
    );
    assert_eq!(
        idx[300], idx[5],
        "a repeat in the request gets the first copy's index"
    );
    let (cp, _) = c.verified_checkpoint(&s.verifier_key).await.unwrap();
    assert_eq!(cp.size, 301);
    for k in [0usize, 254, 255, 299] {
        assert_eq!(c.entry(idx[k], cp.size).await.unwrap(), entries[k]);
        c.verify_entry(&cp, idx[k], &entries[k]).await.unwrap();
    }
    // Resubmitting: entries already in the log keep their indexes; new ones follow.
    let again = c
        .add_batch(&[b"batch 7".to_vec(), b"new".to_vec(), b"single".to_vec()])
        .await
        .unwrap();
    assert_eq!(again, vec![idx[7], 301, 0]);
    assert_eq!(c.add(b"batch 9".to_vec()).await.unwrap(), idx[9]);
    // One entry is a batch too.
    assert_eq!(c.add_batch(&[b"last"]).await.unwrap(), vec![302]);
    // A body larger than one entry's limit (100 entries of 1 000 bytes, ~100 KB).
    let large: Vec<Vec<u8>> = (0..100u8).map(|i| vec![i; 1000]).collect();
    assert_eq!(
        c.add_batch(&large).await.unwrap(),
        (303..403).collect::<Vec<u64>>()
    );
    let (cp, _) = c.verified_checkpoint(&s.verifier_key).await.unwrap();
    assert_eq!(cp.size, 403);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_batch_bad_input_is_rejected_and_nothing_is_stored() {
    let cfg = ServerConfig {
        max_batch_entries: 4,
        ..fast()
    };
    let s = TestServer::start(cfg).await;
    let c = Client::new(&s.url).unwrap();
    c.add_batch(&[b"one", b"two"]).await.unwrap();
    let files_before = count_files(s.dir.path());
    let http = reqwest::Client::new();
    let post = |ct: Option<&str>, body: Vec<u8>| {
        let mut r = http.post(format!("{}/add-batch", s.url)).body(body);
        if let Some(ct) = ct {
            r = r.header("content-type", ct);
        }
        r.send()
    };
    let oct = Some("application/octet-stream");
    let big = vec![b'x'; 1001];
    let mut truncated_entry = framed(&[b"ok", b"three"]);
    truncated_entry.truncate(truncated_entry.len() - 1);
    let mut dangling_prefix = framed(&[b"ok"]);
    dangling_prefix.push(0);
    let cases: Vec<(Vec<u8>, Option<&str>, u16, &str)> = vec![
        (vec![], oct, 400, "empty batch"),
        (dangling_prefix, oct, 400, "entry 1: truncated framing"),
        (vec![0], oct, 400, "entry 0: truncated framing"),
        (
            truncated_entry,
            oct,
            400,
            "entry 1: truncated framing: length 5 but only 4",
        ),
        (framed(&[b"ok", b"", b"x"]), oct, 400, "entry 1: empty entry"),
        (
            framed(&[b"a", b"b", b"c", b"d", b"e"]),
            oct,
            413,
            "more than 4 entries",
        ),
        (
            framed(&[b"ok", b"fine", &big]),
            oct,
            413,
            "entry 2: 1001 bytes exceeds the limit of 1000 bytes",
        ),
        (
            framed(&[b"ok"]),
            Some("application/json"),
            415,
            "Content-Type must be",
        ),
        (framed(&[b"ok"]), None, 415, "Content-Type"),
        // The whole body over the limit: 4 entries of 65 535 bytes framed.
        (vec![0xff; 4 * 65_537 + 1], oct, 413, "exceeds"),
    ];
    for (body, ct, status, msg) in cases {
        let r = post(ct, body).await.unwrap();
        assert_eq!(r.status().as_u16(), status, "{msg}");
        let body = r.text().await.unwrap();
        assert!(body.contains(msg), "{status}: {body}");
        assert!(body.starts_with("{\"error\":"), "{body}");
    }
    // Nothing was stored, not even the valid entries before the bad one.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let (cp, _) = c.verified_checkpoint(&s.verifier_key).await.unwrap();
    assert_eq!(cp.size, 2);
    assert_eq!(count_files(s.dir.path()), files_before, "no file was written");
    assert!(c.lookup(b"ok").await.is_err());
    s.stop().await;
}

/// Admits entries that do not start with `bad`, each at most once until released (like a
/// sensor's sequence number), and records releases.
#[derive(Default)]
struct OnceAdmission {
    reserved: std::sync::Mutex<std::collections::HashSet<Vec<u8>>>,
    released: std::sync::Mutex<Vec<Vec<u8>>>,
}

impl server::admission::Admission for OnceAdmission {
    fn admit(&self, entry: &[u8]) -> Result<server::admission::Admitted, server::admission::Rejection> {
        if entry.starts_with(b"bad") {
            return Err(server::admission::Rejection {
                status: 403,
                reason: "unknown_key",
                message: "not signed by a registered key".into(),
            });
        }
        if !self.reserved.lock().unwrap().insert(entry.to_vec()) {
            return Err(server::admission::Rejection {
                status: 409,
                reason: "replay",
                message: "already admitted".into(),
            });
        }
        // "s:<name> ..." entries name their signer, for the per-signer limit.
        let signer = entry
            .strip_prefix(b"s:")
            .and_then(|r| r.split(|&b| b == b' ').next())
            .map(|n| String::from_utf8_lossy(n).into_owned());
        Ok(server::admission::Admitted { signer })
    }

    fn release(&self, entry: &[u8]) {
        self.reserved.lock().unwrap().remove(entry);
        self.released.lock().unwrap().push(entry.to_vec());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_batch_with_admission_is_all_or_nothing() {
    let admission = Arc::new(OnceAdmission::default());
    let ext = server::Extensions {
        admission: Some(admission.clone()),
        ..server::Extensions::default()
    };
    let s = TestServer::start_with(fast(), ext).await;
    let c = Client::new(&s.url).unwrap();
    assert_eq!(c.add(b"first".to_vec()).await.unwrap(), 0);
    // The third entry is refused: the two before it are released, none is logged.
    let e = c
        .add_batch(&[b"ok 1".as_slice(), b"ok 2", b"bad 3", b"ok 4"])
        .await
        .unwrap_err();
    let server::ServerError::Status {
        status: 403, message, ..
    } = &e
    else {
        panic!("{e:?}");
    };
    assert!(message.contains("entry 2 rejected, reason unknown_key"), "{e}");
    assert_eq!(
        *admission.released.lock().unwrap(),
        vec![b"ok 1".to_vec(), b"ok 2".to_vec()]
    );
    let (cp, _) = c.verified_checkpoint(&s.verifier_key).await.unwrap();
    assert_eq!(cp.size, 1);
    // Released entries can be admitted again; an entry already logged keeps its index; a repeat
    // inside the request is admitted once.
    let idx = c
        .add_batch(&[b"ok 1".as_slice(), b"first", b"ok 2", b"ok 1"])
        .await
        .unwrap();
    assert_eq!(idx, vec![1, 0, 2, 1]);
    // An entry admitted earlier and not released is refused with its position (409).
    let e = c.add_batch(&[b"ok 5".as_slice(), b"ok 6"]).await.unwrap();
    assert_eq!(e, vec![3, 4]);
    admission.reserved.lock().unwrap().insert(b"ok 8".to_vec());
    let e = c.add_batch(&[b"ok 7".as_slice(), b"ok 8"]).await.unwrap_err();
    assert!(
        matches!(&e, server::ServerError::Status { status: 409, message, .. }
            if message.contains("entry 1 rejected, reason replay")),
        "{e:?}"
    );
    assert!(!admission.reserved.lock().unwrap().contains(b"ok 7".as_slice()));
    let (cp, _) = c.verified_checkpoint(&s.verifier_key).await.unwrap();
    assert_eq!(cp.size, 5);
    s.stop().await;
}
