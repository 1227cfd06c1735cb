//! Connection hygiene over real sockets (tokio `TcpStream`, raw HTTP/1.1): slow and idle
//! connections are closed after the head timeout, the connection cap refuses at once with a JSON
//! 503 while `/healthz` stays answerable, an oversized `Content-Length` gets 413 before the body
//! is sent, and every 4xx carries a JSON `{"error": …}` body.
//!
//! Every wait is bounded by a deadline well beyond the configured timeout and fails the test when
//! reached; no test sleeps a fixed time before checking.

use std::sync::Arc;
use std::time::{Duration, Instant};

use server::ServerConfig;
use tlog::{LocalStorage, LogSigner, Storage};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

struct TestServer {
    addr: std::net::SocketAddr,
    ops_addr: Option<std::net::SocketAddr>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), server::ServerError>>>,
    _dir: tempfile::TempDir,
}

impl TestServer {
    async fn start(config: ServerConfig, with_ops: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let storage: Arc<dyn Storage> = Arc::new(LocalStorage::open(dir.path()).unwrap());
        let (signer, _) = LogSigner::generate("conn.test/log").unwrap();
        tlog::create_log(storage.as_ref(), &signer).unwrap();
        let writer = tlog::LogWriter::open(storage, signer).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut ext = server::Extensions::default();
        let mut ops_addr = None;
        if with_ops {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            ops_addr = Some(l.local_addr().unwrap());
            ext.metrics_listener = Some(l);
        }
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(server::run_with(listener, writer, config, ext, async move {
            rx.await.ok();
        }));
        Self {
            addr,
            ops_addr,
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
            tokio::time::timeout(Duration::from_secs(20), t)
                .await
                .expect("server stops")
                .unwrap()
                .unwrap();
        }
    }
}

/// A raw HTTP/1.1 answer: status, headers (lower-case names) and body.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The `error` of a JSON body; panics (fails the test) if the body is not `{"error": "..."}`.
    fn json_error(&self) -> String {
        assert_eq!(self.header("content-type"), Some("application/json"), "{self:?}");
        let v: serde_json::Value = serde_json::from_slice(&self.body).expect("JSON body");
        v["error"].as_str().expect("an error string").to_owned()
    }
}

/// Reads one answer from `s` (Content-Length framed, as every answer of the server is), within
/// `limit`.
async fn read_answer(s: &mut TcpStream, limit: Duration) -> Answer {
    tokio::time::timeout(limit, async {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        let head_end = loop {
            if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break p;
            }
            let n = s
                .read(&mut chunk)
                .await
                .unwrap_or_else(|e| panic!("read: {e} after {:?}", String::from_utf8_lossy(&buf)));
            assert!(
                n > 0,
                "connection closed before an answer: {:?}",
                String::from_utf8_lossy(&buf)
            );
            buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8(buf[..head_end].to_vec()).unwrap();
        let mut lines = head.split("\r\n");
        let status: u16 = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
        let headers: Vec<(String, String)> = lines
            .map(|l| {
                let (n, v) = l.split_once(':').unwrap();
                (n.trim().to_ascii_lowercase(), v.trim().to_owned())
            })
            .collect();
        let len: usize = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .map_or(0, |(_, v)| v.parse().unwrap());
        let mut body = buf[head_end + 4..].to_vec();
        while body.len() < len {
            let n = s.read(&mut chunk).await.expect("read");
            assert!(n > 0, "connection closed inside the body");
            body.extend_from_slice(&chunk[..n]);
        }
        body.truncate(len);
        Answer {
            status,
            headers,
            body,
        }
    })
    .await
    .expect("an answer in time")
}

/// Sends `request` on a new connection and reads the answer.
async fn request(addr: std::net::SocketAddr, request: &[u8]) -> Answer {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(request).await.unwrap();
    read_answer(&mut s, Duration::from_secs(10)).await
}

async fn healthz(addr: std::net::SocketAddr) -> Answer {
    request(
        addr,
        b"GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
    )
    .await
}

/// Waits until the server closes `s` (read gives 0 or an error), failing after `limit`; returns
/// the time it took.
async fn closed_within(s: &mut TcpStream, limit: Duration) -> Duration {
    let t0 = Instant::now();
    let mut b = [0u8; 256];
    tokio::time::timeout(limit, async {
        loop {
            match s.read(&mut b).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .expect("the server closes the connection");
    t0.elapsed()
}

/// Waits (bounded) until the metrics listener at `ops` reports `n` open main connections.
async fn wait_open(ops: std::net::SocketAddr, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(5);
    let want = format!("shieldwatch_http_connections_open{{listener=\"main\"}} {n}\n");
    loop {
        let m = request(
            ops,
            b"GET /metrics HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
        )
        .await;
        let text = String::from_utf8(m.body).unwrap();
        if text.contains(&want) {
            return;
        }
        assert!(Instant::now() < deadline, "never {n} open connections:\n{text}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn config(header_ms: u64, max_connections: usize) -> ServerConfig {
    ServerConfig {
        batch_interval_ms: 20,
        header_timeout_ms: header_ms,
        max_connections,
        ..ServerConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_slow_header_connections_are_closed() {
    let s = TestServer::start(config(400, 64), false).await;
    // A connection that sends nothing.
    let mut idle = TcpStream::connect(s.addr).await.unwrap();
    // A connection kept alive after one answer, then idle.
    let mut kept = TcpStream::connect(s.addr).await.unwrap();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    let a = read_answer(&mut kept, Duration::from_secs(5)).await;
    assert_eq!(a.status, 200);
    // A slow-loris connection: a header line every 50 ms, never the end of the head.
    let mut slow = TcpStream::connect(s.addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\n").await.unwrap();
    let (mut slow_rd, mut slow_wr) = slow.split();
    let dripping = async {
        let mut i = 0u32;
        let t0 = Instant::now();
        // Keeps sending until the server hangs up (a write error) or 10 s pass.
        while t0.elapsed() < Duration::from_secs(10) {
            if slow_wr
                .write_all(format!("x-drip-{i}: 1\r\n").as_bytes())
                .await
                .is_err()
            {
                return true;
            }
            i += 1;
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    };
    let slow_closed = async {
        let mut b = [0u8; 64];
        tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                match slow_rd.read(&mut b).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
            }
        })
        .await
        .is_ok()
    };
    let (idle_t, kept_t, (_, slow_was_closed)) = tokio::join!(
        closed_within(&mut idle, Duration::from_secs(10)),
        closed_within(&mut kept, Duration::from_secs(10)),
        async { tokio::join!(dripping, slow_closed) }
    );
    assert!(slow_was_closed, "the slow-header connection was never closed");
    for t in [idle_t, kept_t] {
        assert!(t >= Duration::from_millis(300), "closed too early: {t:?}");
    }
    // The server still answers.
    assert_eq!(healthz(s.addr).await.status, 200);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_cap_refuses_with_json_503_and_healthz_stays_answerable() {
    let s = TestServer::start(config(1500, 4), true).await;
    // Below the cap, /healthz answers while 3 idle connections are held.
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(TcpStream::connect(s.addr).await.unwrap());
    }
    assert_eq!(healthz(s.addr).await.status, 200);
    // At the cap (a 4th is held), a new connection is refused at once with a JSON 503.
    let ops = s.ops_addr.unwrap();
    wait_open(ops, 3).await;
    held.push(TcpStream::connect(s.addr).await.unwrap());
    wait_open(ops, 4).await;
    let t0 = Instant::now();
    let refused = healthz(s.addr).await;
    assert_eq!(refused.status, 503, "{refused:?}");
    assert!(
        t0.elapsed() < Duration::from_millis(1000),
        "refusal not at once: {:?}",
        t0.elapsed()
    );
    assert_eq!(refused.header("retry-after"), Some("1"));
    let msg = refused.json_error();
    assert!(msg.contains("too many connections") && msg.contains('4'), "{msg}");
    // The metrics listener has its own cap: it answers while the main one is full.
    let h = healthz(ops).await;
    assert_eq!(h.status, 200);
    let m = request(
        ops,
        b"GET /metrics HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
    )
    .await;
    let text = String::from_utf8(m.body).unwrap();
    assert!(
        text.contains("shieldwatch_http_connections_refused_total{listener=\"main\"} 1\n"),
        "{text}"
    );
    // The held connections send nothing: the head timeout frees them and /healthz answers again.
    let deadline = Instant::now() + Duration::from_secs(10);
    let freed_after = loop {
        let a = healthz(s.addr).await;
        if a.status == 200 {
            break t0.elapsed();
        }
        assert_eq!(a.status, 503);
        assert!(Instant::now() < deadline, "the held connections were never freed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(freed_after >= Duration::from_millis(100), "{freed_after:?}");
    // With a metrics listener, the main address does not serve /metrics.
    let a = request(
        s.addr,
        b"GET /metrics HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(a.status, 404, "{a:?}");
    a.json_error();
    drop(held);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_content_length_gets_413_before_the_body_is_sent() {
    // A request timeout far beyond the answer's deadline: without the Content-Length check the
    // server would wait for the body and the test's 5 s read deadline would fail.
    let cfg = ServerConfig {
        request_timeout_ms: 60_000,
        ..config(10_000, 64)
    };
    let s = TestServer::start(cfg, false).await;
    for (path, declared) in [("/add-batch", 100_000_000u64), ("/add", 65_536)] {
        let mut c = TcpStream::connect(s.addr).await.unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/octet-stream\r\n\
             content-length: {declared}\r\n\r\nabc"
        );
        c.write_all(head.as_bytes()).await.unwrap();
        let a = read_answer(&mut c, Duration::from_secs(5)).await;
        assert_eq!(a.status, 413, "{path}: {a:?}");
        let msg = a.json_error();
        assert!(msg.contains(&declared.to_string()), "{msg}");
    }
    // Counted as too large.
    let m = request(
        s.addr,
        b"GET /metrics HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
    )
    .await;
    let text = String::from_utf8(m.body).unwrap();
    assert!(
        text.contains("shieldwatch_log_rejected_total{reason=\"too_large\"} 2\n"),
        "{text}"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_4xx_has_a_json_error_body() {
    let cfg = ServerConfig {
        request_timeout_ms: 300,
        ..config(10_000, 64)
    };
    let s = TestServer::start(cfg, false).await;
    // 405: a known route, wrong method.
    let a = request(
        s.addr,
        b"DELETE /checkpoint HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(a.status, 405);
    assert!(a.json_error().contains("DELETE"), "{a:?}");
    assert!(a.header("allow").is_some_and(|v| v.contains("GET")), "{a:?}");
    // 414: a request target beyond the limit.
    let long = format!(
        "GET /lookup?hash={} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
        "A".repeat(server::api::MAX_URI_BYTES)
    );
    let a = request(s.addr, long.as_bytes()).await;
    assert_eq!(a.status, 414);
    assert!(a.json_error().contains("exceeds"), "{a:?}");
    // 408: a body that never comes (within the request timeout).
    let a = request(
        s.addr,
        b"POST /add HTTP/1.1\r\nhost: x\r\ncontent-type: application/octet-stream\r\ncontent-length: 10\r\n\r\nab",
    )
    .await;
    assert_eq!(a.status, 408);
    a.json_error();
    // 400 from a query extractor, 404, 415.
    for (req, status) in [
        (&b"GET /proof/inclusion?index=x HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"[..], 400),
        (b"GET /nowhere HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n", 404),
        (
            b"POST /add HTTP/1.1\r\nhost: x\r\ncontent-type: text/plain\r\ncontent-length: 1\r\nconnection: close\r\n\r\na",
            415,
        ),
    ] {
        let a = request(s.addr, req).await;
        assert_eq!(a.status, status, "{a:?}");
        assert!(!a.json_error().is_empty());
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_batch_framing_has_its_own_metrics_reason() {
    let s = TestServer::start(config(10_000, 64), false).await;
    // One entry of 3 bytes, then a length of 9 with 2 bytes: truncated.
    let body: &[u8] = &[0, 3, b'a', b'b', b'c', 0, 9, b'x', b'y'];
    let head = format!(
        "POST /add-batch HTTP/1.1\r\nhost: x\r\ncontent-type: application/octet-stream\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let a = request(s.addr, &[head.as_bytes(), body].concat()).await;
    assert_eq!(a.status, 400);
    assert!(a.json_error().contains("truncated framing"), "{a:?}");
    // And an empty batch is "empty", not "framing".
    let a = request(
        s.addr,
        b"POST /add-batch HTTP/1.1\r\nhost: x\r\ncontent-type: application/octet-stream\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(a.status, 400);
    let m = request(
        s.addr,
        b"GET /metrics HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
    )
    .await;
    let text = String::from_utf8(m.body).unwrap();
    assert!(
        text.contains("shieldwatch_log_rejected_total{reason=\"framing\"} 1\n"),
        "{text}"
    );
    assert!(
        text.contains("shieldwatch_log_rejected_total{reason=\"empty\"} 1\n"),
        "{text}"
    );
    s.stop().await;
}

/// What README and SECURITY.md say of requests hyper cannot parse: hyper answers them itself with
/// a bare status (no body: it has no hook for one) and closes the connection; the server stays up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hyper_parse_errors_get_a_bare_status() {
    let s = TestServer::start(config(10_000, 64), false).await;
    // A malformed request line: 400.
    let mut c = TcpStream::connect(s.addr).await.unwrap();
    c.write_all(b"NOT AN HTTP REQUEST\r\n\r\n").await.unwrap();
    let a = read_answer(&mut c, Duration::from_secs(10)).await;
    assert_eq!(a.status, 400, "{a:?}");
    assert!(a.body.is_empty(), "{a:?}");
    closed_within(&mut c, Duration::from_secs(10)).await;
    // A head beyond hyper's buffer (about 400 KiB): 431.
    let mut c = TcpStream::connect(s.addr).await.unwrap();
    let mut head = b"GET /healthz HTTP/1.1\r\nhost: x\r\n".to_vec();
    for i in 0..600 {
        head.extend_from_slice(format!("x-filler-{i}: {}\r\n", "a".repeat(1000)).as_bytes());
    }
    // hyper may answer and close before the whole head is written.
    if let Err(e) = c.write_all(&head).await {
        assert!(
            matches!(
                e.kind(),
                std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
            ),
            "{e}"
        );
    }
    let a = read_answer(&mut c, Duration::from_secs(10)).await;
    assert_eq!(a.status, 431, "{a:?}");
    assert!(a.body.is_empty(), "{a:?}");
    assert_eq!(healthz(s.addr).await.status, 200);
    s.stop().await;
}
