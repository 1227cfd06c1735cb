//! The witness's connection hygiene over real sockets (tokio `TcpStream`, raw HTTP/1.1), the same
//! as the log server's: idle and slow-header connections are closed after the head timeout, the
//! connection cap refuses at once with a JSON 503 and frees up when a connection closes, and every
//! error answer but the protocol's 409 carries a JSON `{"error": …}` body.
//!
//! Every wait is bounded by a deadline well beyond the configured timeout and fails the test when
//! reached; no test sleeps a fixed time before checking.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use witness::{CosignatureSigner, HttpLimits, Witness, WitnessedLog};

const ORIGIN: &str = "conn.test/log";

struct Server {
    addr: std::net::SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl Server {
    async fn start(header_ms: u64, max_connections: usize) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (signer, _) = CosignatureSigner::generate("witness.test/w").unwrap();
        let (log, _) = tlog::LogSigner::generate(ORIGIN).unwrap();
        let w = Witness::open(
            dir.path().join("state.redb"),
            signer,
            &[WitnessedLog {
                origin: ORIGIN.into(),
                verifier_keys: vec![log.verifier_key().into()],
            }],
        )
        .unwrap();
        let limits = HttpLimits {
            max_body_bytes: 4096,
            request_timeout: Duration::from_millis(300),
            header_timeout: Duration::from_millis(header_ms),
            max_connections,
        };
        let app = witness::router(Arc::new(w), limits);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(witness::http::serve(listener, app, limits, None, async move {
            rx.await.ok();
        }));
        Self {
            addr,
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
                .expect("the witness stops")
                .unwrap();
        }
    }
}

/// A raw answer: status, lower-case headers, body.
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

    fn json_error(&self) -> String {
        assert_eq!(self.header("content-type"), Some("application/json"), "{self:?}");
        let v: serde_json::Value = serde_json::from_slice(&self.body).expect("a JSON body");
        v["error"].as_str().expect("an error string").to_owned()
    }
}

/// Sends `request` on a new connection and reads the whole answer (the request says
/// `connection: close`, or the server closes after an error).
async fn request(addr: std::net::SocketAddr, request: &[u8]) -> Answer {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(request).await.unwrap();
    read_answer(&mut s).await
}

async fn read_answer(s: &mut TcpStream) -> Answer {
    tokio::time::timeout(Duration::from_secs(10), async {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        let head_end = loop {
            if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break p;
            }
            let n = s.read(&mut chunk).await.expect("read");
            assert!(
                n > 0,
                "closed before an answer: {:?}",
                String::from_utf8_lossy(&buf)
            );
            buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8(buf[..head_end].to_vec()).unwrap();
        let mut lines = head.split("\r\n");
        let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
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
            assert!(n > 0, "closed inside the body");
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
    .expect("the witness closes the connection");
    t0.elapsed()
}

const HEALTHZ: &[u8] = b"GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_slow_header_connections_are_closed() {
    let s = Server::start(400, 64).await;
    // Says nothing.
    let mut idle = TcpStream::connect(s.addr).await.unwrap();
    let took = closed_within(&mut idle, Duration::from_secs(10)).await;
    assert!(took >= Duration::from_millis(300), "closed after {took:?}");
    // Idle after an answer on a kept-alive connection.
    let mut kept = TcpStream::connect(s.addr).await.unwrap();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(read_answer(&mut kept).await.status, 200);
    let took = closed_within(&mut kept, Duration::from_secs(10)).await;
    assert!(took >= Duration::from_millis(300), "closed after {took:?}");
    // A head a byte every 50 ms never completes within 400 ms: closed, never answered 200.
    let mut slow = TcpStream::connect(s.addr).await.unwrap();
    let t0 = Instant::now();
    let mut got = Vec::new();
    for b in b"GET /healthz HTTP/1.1\r\nhost: x\r\nx-slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n" {
        if slow.write_all(&[*b]).await.is_err() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(t0.elapsed() < Duration::from_secs(10), "never closed");
    }
    let read = tokio::time::timeout(Duration::from_secs(10), slow.read_to_end(&mut got)).await;
    assert!(read.is_ok(), "still open");
    assert!(
        !String::from_utf8_lossy(&got).contains(" 200 "),
        "a slow head was served"
    );
    // The witness still answers.
    assert_eq!(request(s.addr, HEALTHZ).await.status, 200);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_cap_refuses_with_a_json_503_and_recovers() {
    let s = Server::start(10_000, 2).await;
    let held: Vec<TcpStream> = vec![
        TcpStream::connect(s.addr).await.unwrap(),
        TcpStream::connect(s.addr).await.unwrap(),
    ];
    // Both held connections are counted once the witness has accepted them: poll (bounded) for
    // the refusal rather than sleeping.
    let deadline = Instant::now() + Duration::from_secs(10);
    let refused = loop {
        let a = request(s.addr, HEALTHZ).await;
        if a.status == 503 {
            break a;
        }
        assert_eq!(a.status, 200);
        assert!(Instant::now() < deadline, "never refused");
        tokio::task::yield_now().await;
    };
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert!(refused.json_error().contains("at most 2 at once"), "{refused:?}");
    // Closing one frees a place.
    drop(held);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let a = request(s.addr, HEALTHZ).await;
        if a.status == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "the cap never freed up");
        tokio::task::yield_now().await;
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_error_answer_but_the_protocol_409_is_json() {
    let s = Server::start(10_000, 64).await;
    let cases: [(&[u8], u16, &str); 6] = [
        (
            b"GET /nowhere HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
            404,
            "no such route",
        ),
        (
            b"GET /add-checkpoint HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
            405,
            "GET",
        ),
        (
            b"GET /0000/checkpoint HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
            404,
            "unknown log",
        ),
        (
            b"POST /add-checkpoint HTTP/1.1\r\nhost: x\r\ncontent-length: 9\r\nconnection: close\r\n\r\nnot a req",
            400,
            "",
        ),
        (
            b"POST /add-checkpoint HTTP/1.1\r\nhost: x\r\ncontent-length: 100000\r\nconnection: close\r\n\r\n",
            413,
            "exceeds the limit of 4096",
        ),
        // The body never comes: the request timeout answers.
        (
            b"POST /add-checkpoint HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\nconnection: close\r\n\r\nold 0\n",
            408,
            "",
        ),
    ];
    for (req, status, needle) in cases {
        let a = request(s.addr, req).await;
        assert_eq!(a.status, status, "{a:?}");
        let m = a.json_error();
        assert!(!m.is_empty() && m.contains(needle), "{status}: {m}");
    }
    s.stop().await;
}
