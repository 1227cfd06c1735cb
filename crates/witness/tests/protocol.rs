//! The whole c2sp.org/tlog-witness `add-checkpoint` protocol over real HTTP on loopback, against
//! a real log (`tlog::LogWriter` on a temporary directory): first checkpoint, growth, 409, 422,
//! 403, 404, rollback, split view, restart, and bad input that must leave the state untouched.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tlog::{Hash, LocalStorage, LogSigner, LogWriter, Storage, create_log};
use witness::client::{self, ClientError};
use witness::{
    CosignatureSigner, HttpLimits, Witness, WitnessedLog, attach_cosignatures, verify_cosignature,
};

const ORIGIN: &str = "shieldwatch.test/treaty-log";

/// A temporary directory, removed when dropped.
struct TempDir(tempfile::TempDir);

impl TempDir {
    fn new(tag: &str) -> Self {
        Self(
            tempfile::Builder::new()
                .prefix(&format!("witness-{tag}-"))
                .tempdir()
                .unwrap(),
        )
    }

    fn path(&self) -> &Path {
        self.0.path()
    }
}

/// A log on disk.
struct Log {
    writer: LogWriter,
    next: u64,
    tag: &'static str,
}

impl Log {
    fn new(dir: &Path, signer: &LogSigner, tag: &'static str) -> Self {
        let storage: Arc<dyn Storage> = Arc::new(LocalStorage::open(dir).unwrap());
        create_log(storage.as_ref(), signer).unwrap();
        Self {
            writer: LogWriter::open(storage, signer.clone()).unwrap(),
            next: 0,
            tag,
        }
    }

    /// Appends `n` entries and returns the new signed checkpoint.
    fn grow(&mut self, n: u64) -> Vec<u8> {
        let entries: Vec<Vec<u8>> = (self.next..self.next + n)
            .map(|i| format!("{} entry {i}", self.tag).into_bytes())
            .collect();
        self.writer.append(&entries).unwrap();
        self.next += n;
        self.checkpoint()
    }

    fn checkpoint(&self) -> Vec<u8> {
        self.writer.state().checkpoint.clone()
    }

    fn proof(&self, old: u64) -> Vec<Hash> {
        if old == 0 {
            return vec![];
        }
        self.writer.reader().prove_consistency(old, None).unwrap().proof
    }
}

/// A witness served on a loopback port.
struct Server {
    url: String,
    witness: Arc<Witness>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

const LIMITS: HttpLimits = HttpLimits {
    max_body_bytes: 64 * 1024,
    request_timeout: Duration::from_secs(10),
    header_timeout: Duration::from_secs(10),
    max_connections: 1024,
};

impl Server {
    async fn start(state: &Path, signer: &CosignatureSigner, logs: &[WitnessedLog]) -> Self {
        let witness = Arc::new(Witness::open(state, signer.clone(), logs).unwrap());
        let app = witness::router(witness.clone(), LIMITS);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (stop, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            witness::http::serve(listener, app, LIMITS, None, async {
                let _ = rx.await;
            })
            .await;
        });
        Self {
            url,
            witness,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Stops serving and releases the database.
    async fn stop(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.unwrap();
        }
        // The router held clones; they are gone with the task. A handler's blocking work
        // (`spawn_blocking`) may still hold one for a moment after its connection closed: give it time,
        // then ours must be the last reference.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while Arc::strong_count(&self.witness) > 1 && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(Arc::strong_count(&self.witness), 1, "witness still shared");
    }

    fn latest_size(&self) -> Option<u64> {
        self.witness.latest(ORIGIN).unwrap().map(|c| c.size)
    }
}

fn logs(vkey: &str) -> Vec<WitnessedLog> {
    vec![WitnessedLog {
        origin: ORIGIN.into(),
        verifier_keys: vec![vkey.into()],
    }]
}

async fn raw_post(url: &str, body: Vec<u8>) -> (u16, String, Vec<u8>) {
    let r = reqwest::Client::new()
        .post(format!("{url}/add-checkpoint"))
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, ct, r.bytes().await.unwrap().to_vec())
}

fn rejected(r: Result<Vec<String>, ClientError>) -> u16 {
    match r {
        Err(ClientError::Rejected { status, .. }) => status,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_checkpoint_protocol() {
    let tmp = TempDir::new("protocol");
    let (log_key, _) = LogSigner::generate(ORIGIN).unwrap();
    let (wkey, _) = CosignatureSigner::generate("witness.test/w1").unwrap();
    let wvkey = wkey.verifier_key();
    let state = tmp.path().join("witness.redb");
    let mut log = Log::new(&tmp.path().join("log"), &log_key, "real");
    let srv = Server::start(&state, &wkey, &logs(log_key.verifier_key())).await;

    // Health.
    let h = reqwest::get(format!("{}/healthz", srv.url)).await.unwrap();
    assert_eq!(h.status().as_u16(), 200);

    // 1. The first checkpoint (size 3), old 0, no proof.
    let cp3 = log.grow(3);
    let lines = client::add_checkpoint(&srv.url, 0, &[], &cp3).await.unwrap();
    assert_eq!(lines.len(), 1);
    assert!(lines[0].starts_with("— witness.test/w1 "));
    let cosigned = attach_cosignatures(&cp3, &lines).unwrap();
    let t = verify_cosignature(&cosigned, &wvkey).unwrap();
    assert!(t.abs_diff(witness::cosignature::unix_now()) < 120);
    tlog::verify_checkpoint(&cosigned, log_key.verifier_key()).unwrap();
    assert_eq!(srv.latest_size(), Some(3));

    // The monitoring endpoint serves it with both signatures.
    let served = reqwest::get(format!(
        "{}/{}/checkpoint",
        srv.url,
        witness::http::origin_hash(ORIGIN)
    ))
    .await
    .unwrap();
    assert_eq!(served.status().as_u16(), 200);
    let served = served.bytes().await.unwrap();
    verify_cosignature(&served, &wvkey).unwrap();
    tlog::verify_checkpoint(&served, log_key.verifier_key()).unwrap();
    let missing = reqwest::get(format!(
        "{}/{}/checkpoint",
        srv.url,
        witness::http::origin_hash("other")
    ))
    .await
    .unwrap();
    assert_eq!(missing.status().as_u16(), 404);

    // 2. Growth to 8 with a valid consistency proof from 3.
    let cp8 = log.grow(5);
    let lines = client::add_checkpoint(&srv.url, 3, &log.proof(3), &cp8)
        .await
        .unwrap();
    verify_cosignature(&attach_cosignatures(&cp8, &lines).unwrap(), &wvkey).unwrap();
    assert_eq!(srv.latest_size(), Some(8));

    // Re-submitting the same checkpoint (old = size, same root, no proof) is cosigned again.
    client::add_checkpoint(&srv.url, 8, &[], &cp8).await.unwrap();

    // 3. 409 when `old` is stale, with the witness's size as text/x.tlog.size.
    let cp20 = log.grow(12);
    match client::add_checkpoint(&srv.url, 3, &log.proof(3), &cp20).await {
        Err(ClientError::Conflict { latest }) => assert_eq!(latest, 8),
        other => panic!("expected 409, got {other:?}"),
    }
    let (status, ct, body) = raw_post(&srv.url, witness::protocol::encode_request(0, &[], &cp20)).await;
    assert_eq!(
        (status, ct.as_str(), body.as_slice()),
        (409, "text/x.tlog.size", &b"8\n"[..])
    );
    // The retrying client recovers from the 409 with a proof from the witness's size.
    let http = client::http_client().unwrap();
    let reader = log.writer.reader();
    let lines = client::add_checkpoint_with_retry(&http, &srv.url, 0, &cp20, |old| {
        if old == 0 {
            return Ok(vec![]);
        }
        reader
            .prove_consistency(old, None)
            .map(|p| p.proof)
            .map_err(|e| e.to_string())
    })
    .await
    .unwrap();
    verify_cosignature(&attach_cosignatures(&cp20, &lines).unwrap(), &wvkey).unwrap();
    assert_eq!(srv.latest_size(), Some(20));

    // 4. 422 on a tampered proof; nothing changes.
    let cp30 = log.grow(10);
    let mut bad = log.proof(20);
    bad[0].0[0] ^= 1;
    assert_eq!(
        rejected(client::add_checkpoint(&srv.url, 20, &bad, &cp30).await),
        422
    );
    // A truncated proof, an extra hash, and a proof from size 0 are refused too.
    let good = log.proof(20);
    assert_eq!(
        rejected(client::add_checkpoint(&srv.url, 20, &good[..good.len() - 1], &cp30).await),
        422
    );
    let mut longer = good.clone();
    longer.push(good[0]);
    assert_eq!(
        rejected(client::add_checkpoint(&srv.url, 20, &longer, &cp30).await),
        422
    );
    assert_eq!(srv.latest_size(), Some(20));

    // 5. 403 for a checkpoint of the same origin signed by another key.
    let (impostor, _) = LogSigner::generate(ORIGIN).unwrap();
    let forged = impostor.sign_checkpoint(30, log.writer.state().root).unwrap();
    assert_eq!(
        rejected(client::add_checkpoint(&srv.url, 20, &good, &forged).await),
        403
    );
    // ... also when a valid log signature is present but a line claiming the log key is bad.
    let text = String::from_utf8(cp30.clone()).unwrap();
    let (body, sig_line) = text.rsplit_once("— ").unwrap();
    let mut sig_chars: Vec<char> = sig_line.chars().collect();
    let i = sig_chars.len() - 6;
    sig_chars[i] = if sig_chars[i] == 'A' { 'B' } else { 'A' };
    let corrupted = format!("{body}— {}", sig_chars.into_iter().collect::<String>());
    let doubled = format!("{text}{}", corrupted.rsplit_once("\n\n").unwrap().1);
    assert_eq!(
        rejected(client::add_checkpoint(&srv.url, 20, &good, doubled.as_bytes()).await),
        403
    );
    // 6. 404 for an unknown origin.
    let (stranger, _) = LogSigner::generate("elsewhere.test/log").unwrap();
    let foreign = stranger.sign_checkpoint(0, tlog::merkle::EMPTY_HASH).unwrap();
    assert_eq!(
        rejected(client::add_checkpoint(&srv.url, 0, &[], &foreign).await),
        404
    );
    assert_eq!(srv.latest_size(), Some(20));

    // The honest growth 20 -> 30 still goes through.
    client::add_checkpoint(&srv.url, 20, &good, &cp30).await.unwrap();
    assert_eq!(srv.latest_size(), Some(30));

    // 7. Rollback refused: an older checkpoint (size 8) with old = 30 (400: old > size) or with
    //    its own old size (409); a size-0 restart (409).
    assert_eq!(
        rejected(client::add_checkpoint(&srv.url, 30, &[], &cp8).await),
        400
    );
    assert!(matches!(
        client::add_checkpoint(&srv.url, 3, &log.proof(3), &cp8).await,
        Err(ClientError::Conflict { latest: 30 })
    ));
    let empty = log_key.sign_checkpoint(0, tlog::merkle::EMPTY_HASH).unwrap();
    assert!(matches!(
        client::add_checkpoint(&srv.url, 0, &[], &empty).await,
        Err(ClientError::Conflict { latest: 30 })
    ));
    assert_eq!(srv.latest_size(), Some(30));

    // 8. Split view: the same log key signs a forked tree of the same size (30).
    let mut fork = Log::new(&tmp.path().join("fork"), &log_key, "fork");
    let fork30 = fork.grow(30);
    assert_ne!(fork30, cp30);
    assert_eq!(
        rejected(client::add_checkpoint(&srv.url, 30, &[], &fork30).await),
        422
    );
    let views = srv.witness.split_views().unwrap();
    assert_eq!(views.len(), 1);
    assert_eq!(views[0].origin, ORIGIN);
    assert_eq!(views[0].conflicting, fork30);
    // The recorded pair is evidence anyone can check: both carry the log's valid signature,
    // same size, different roots.
    let a = tlog::verify_checkpoint(&views[0].cosigned, log_key.verifier_key()).unwrap();
    let b = tlog::verify_checkpoint(&views[0].conflicting, log_key.verifier_key()).unwrap();
    assert_eq!(a.size, b.size);
    assert_ne!(a.root, b.root);
    verify_cosignature(&views[0].cosigned, &wvkey).unwrap();
    // The fork growing on (30 -> 40) with its own, internally valid proof is inconsistent with
    // what the witness cosigned.
    let fork40 = fork.grow(10);
    assert_eq!(
        rejected(client::add_checkpoint(&srv.url, 30, &fork.proof(30), &fork40).await),
        422
    );
    assert_eq!(srv.latest_size(), Some(30));
    let cosigned_root = srv.witness.latest(ORIGIN).unwrap().unwrap().root;
    assert_eq!(cosigned_root, log.writer.state().root);

    // 9. A restarted witness keeps its protection.
    srv.stop().await;
    let srv = Server::start(&state, &wkey, &logs(log_key.verifier_key())).await;
    assert_eq!(srv.latest_size(), Some(30));
    assert!(matches!(
        client::add_checkpoint(&srv.url, 0, &[], &cp8).await,
        Err(ClientError::Conflict { latest: 30 })
    ));
    assert_eq!(
        rejected(client::add_checkpoint(&srv.url, 30, &[], &fork30).await),
        422
    );
    assert_eq!(srv.witness.split_views().unwrap().len(), 2);
    let cp31 = log.grow(1);
    let lines = client::add_checkpoint(&srv.url, 30, &log.proof(30), &cp31)
        .await
        .unwrap();
    assert_eq!(srv.latest_size(), Some(31));
    // Cosignature times never go backwards for a log.
    let t31 = verify_cosignature(&attach_cosignatures(&cp31, &lines).unwrap(), &wvkey).unwrap();
    assert!(t31 >= t);

    // Metrics count this run's answers (the restarted server only) and show the latest size.
    let m = reqwest::get(format!("{}/metrics", srv.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        m.contains("witness_add_checkpoint_total{status=\"200\"} 1\n"),
        "{m}"
    );
    assert!(
        m.contains("witness_add_checkpoint_total{status=\"409\"} 1\n"),
        "{m}"
    );
    assert!(
        m.contains("witness_add_checkpoint_total{status=\"422\"} 1\n"),
        "{m}"
    );
    assert!(
        m.contains(&format!("witness_cosigned_size{{origin=\"{ORIGIN}\"}} 31\n")),
        "{m}"
    );
    assert!(
        m.contains(&format!(
            "witness_cosigned_timestamp_seconds{{origin=\"{ORIGIN}\"}} {t31}\n"
        )),
        "{m}"
    );
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_tree_rules() {
    let tmp = TempDir::new("empty");
    let (log_key, _) = LogSigner::generate(ORIGIN).unwrap();
    let (wkey, _) = CosignatureSigner::generate("witness.test/w1").unwrap();
    let srv = Server::start(&tmp.path().join("w.redb"), &wkey, &logs(log_key.verifier_key())).await;
    // Size 0 with a root that is not the empty-tree hash: 422.
    let bogus = log_key
        .sign_checkpoint(0, tlog::merkle::record_hash(b"x"))
        .unwrap();
    assert_eq!(
        rejected(client::add_checkpoint(&srv.url, 0, &[], &bogus).await),
        422
    );
    // Old 0 with a non-empty proof: 422.
    let mut log = Log::new(&tmp.path().join("log"), &log_key, "e");
    let cp2 = log.grow(2);
    let junk = [tlog::merkle::record_hash(b"junk")];
    assert_eq!(
        rejected(client::add_checkpoint(&srv.url, 0, &junk, &cp2).await),
        422
    );
    assert_eq!(srv.latest_size(), None);
    // The real empty checkpoint is cosigned, then growth from 0 needs no proof.
    let empty = log_key.sign_checkpoint(0, tlog::merkle::EMPTY_HASH).unwrap();
    client::add_checkpoint(&srv.url, 0, &[], &empty).await.unwrap();
    assert_eq!(srv.latest_size(), Some(0));
    client::add_checkpoint(&srv.url, 0, &[], &cp2).await.unwrap();
    assert_eq!(srv.latest_size(), Some(2));
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_and_stores_nothing() {
    let tmp = TempDir::new("bad");
    let (log_key, _) = LogSigner::generate(ORIGIN).unwrap();
    let (wkey, _) = CosignatureSigner::generate("witness.test/w1").unwrap();
    let srv = Server::start(&tmp.path().join("w.redb"), &wkey, &logs(log_key.verifier_key())).await;
    let mut log = Log::new(&tmp.path().join("log"), &log_key, "b");
    let cp = log.grow(4);
    client::add_checkpoint(&srv.url, 0, &[], &cp).await.unwrap();
    let before = srv.witness.latest(ORIGIN).unwrap().unwrap();

    let h = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
    let cp_text = String::from_utf8(cp.clone()).unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", vec![]),
        ("garbage", b"\x00\xff garbage \xfe".to_vec()),
        ("no old line", cp.clone()),
        (
            "old with leading zero",
            format!("old 04\n\n{cp_text}").into_bytes(),
        ),
        ("negative old", format!("old -4\n\n{cp_text}").into_bytes()),
        ("no empty line", format!("old 4\n{cp_text}").into_bytes()),
        (
            "bad proof line",
            format!("old 4\nnot-a-hash\n\n{cp_text}").into_bytes(),
        ),
        (
            "64 proof lines",
            format!("old 4\n{}\n{cp_text}", h.repeat(64)).into_bytes(),
        ),
        (
            "checkpoint without signatures",
            b"old 4\n\nshieldwatch.test/treaty-log\n4\n".to_vec(),
        ),
        (
            "checkpoint body not three lines",
            format!("old 4\n\n{}", cp_text.replacen("\n4\n", "\n", 1)).into_bytes(),
        ),
        (
            "not UTF-8 note",
            [b"old 4\n\n".as_slice(), b"\xff\xfe\n\n\xe2\x80\x94 x AAAAAAA=\n"].concat(),
        ),
        (
            "control characters",
            format!("old 4\n\n{}", cp_text.replacen('\n', "\r\n", 1)).into_bytes(),
        ),
    ];
    for (what, body) in cases {
        let (status, _, msg) = raw_post(&srv.url, body).await;
        assert!(
            (400..500).contains(&status),
            "{what}: status {status}, {}",
            String::from_utf8_lossy(&msg)
        );
        assert_eq!(status, 400, "{what}: {}", String::from_utf8_lossy(&msg));
    }

    // A body over the limit is refused before it reaches the witness.
    let huge = format!("old 4\n\n{cp_text}{}", "x".repeat(200 * 1024)).into_bytes();
    let (status, _, _) = raw_post(&srv.url, huge).await;
    assert_eq!(status, 413);
    // Wrong method.
    let r = reqwest::get(format!("{}/add-checkpoint", srv.url)).await.unwrap();
    assert_eq!(r.status().as_u16(), 405);

    assert_eq!(srv.witness.latest(ORIGIN).unwrap().unwrap(), before);
    assert!(srv.witness.split_views().unwrap().is_empty());
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_submissions_never_roll_back() {
    // Many clients race with checkpoints of different sizes, each with a proof from the size
    // they last saw; whatever wins, the witness's size only grows and every cosigned
    // checkpoint extends the previous one.
    let tmp = TempDir::new("race");
    let (log_key, _) = LogSigner::generate(ORIGIN).unwrap();
    let (wkey, _) = CosignatureSigner::generate("witness.test/w1").unwrap();
    let srv = Server::start(&tmp.path().join("w.redb"), &wkey, &logs(log_key.verifier_key())).await;
    let mut log = Log::new(&tmp.path().join("log"), &log_key, "r");
    let mut cps = vec![];
    for _ in 0..8 {
        let cp = log.grow(3);
        cps.push((log.next, cp));
    }
    let reader = log.writer.reader();
    let mut tasks = vec![];
    for (size, cp) in cps.clone() {
        let url = srv.url.clone();
        let reader = reader.clone();
        tasks.push(tokio::spawn(async move {
            let http = client::http_client().unwrap();
            client::add_checkpoint_with_retry(&http, &url, 0, &cp, |old| {
                if old == 0 {
                    return Ok(vec![]);
                }
                reader
                    .prove_consistency(old, Some(size))
                    .map(|p| p.proof)
                    .map_err(|e| e.to_string())
            })
            .await
            .map(|_| size)
        }));
    }
    let mut accepted = vec![];
    for t in tasks {
        if let Ok(size) = t.await.unwrap() {
            accepted.push(size);
        }
    }
    assert!(!accepted.is_empty());
    let final_size = srv.latest_size().unwrap();
    assert_eq!(final_size, *accepted.iter().max().unwrap());
    assert_eq!(srv.witness.latest(ORIGIN).unwrap().unwrap().root, {
        let p = reader.prove_inclusion(0, Some(final_size)).unwrap();
        p.root
    });
    srv.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_rejects_bad_witness_answers() {
    // A misbehaving "witness": each path answers add-checkpoint with something off-protocol.
    use axum::routing::post;
    let app = axum::Router::new()
        .route(
            "/junk/add-checkpoint",
            post(|| async { "not a signature line\n" }),
        )
        .route("/nonl/add-checkpoint", post(|| async { "— w AAAAAAA=" }))
        .route(
            "/conflict/add-checkpoint",
            post(|| async { (axum::http::StatusCode::CONFLICT, "twelve\n") }),
        )
        .route(
            "/huge/add-checkpoint",
            post(|| async { "— w AAAAAAA=\n".repeat(20_000) }),
        )
        .route(
            "/teapot/add-checkpoint",
            post(|| async { (axum::http::StatusCode::IM_A_TEAPOT, "no\n") }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let cp = b"o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n\xe2\x80\x94 o AAAAAAA=\n";
    for path in ["junk", "nonl", "conflict", "huge"] {
        let r = client::add_checkpoint(&format!("{base}/{path}/"), 0, &[], cp).await;
        assert!(matches!(r, Err(ClientError::BadResponse(_))), "{path}: {r:?}");
    }
    let r = client::add_checkpoint(&format!("{base}/teapot"), 0, &[], cp).await;
    assert!(
        matches!(r, Err(ClientError::Rejected { status: 418, .. })),
        "{r:?}"
    );
    let r = client::add_checkpoint("http://127.0.0.1:1", 0, &[], cp).await;
    assert!(matches!(r, Err(ClientError::Http { .. })), "{r:?}");
    task.abort();
}
