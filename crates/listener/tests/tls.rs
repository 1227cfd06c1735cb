//! TLS over real sockets, with a certificate generated here (rcgen): a client trusting it gets
//! answers (and the router sees the peer's address); a client trusting only the system's roots,
//! and a plain-HTTP client, get none; a connection that never completes its handshake, or
//! completes it and sends nothing, is closed after the head timeout; the connection cap still
//! refuses with a JSON 503, over TLS; the key file must be private and match the certificate.
//!
//! Every wait is bounded by a deadline well beyond the configured timeout and fails the test when
//! reached; no test sleeps a fixed time before checking.

use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::ConnectInfo;
use axum::routing::get;
use listener::{ConnLimits, ConnStats, TlsError};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

struct Pki {
    _dir: tempfile::TempDir,
    cert: PathBuf,
    key: PathBuf,
    cert_pem: String,
}

/// A self-signed certificate for `localhost` and 127.0.0.1, its key written 0600.
fn pki() -> Pki {
    let dir = tempfile::tempdir().unwrap();
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    let cert_pem = ck.cert.pem();
    std::fs::write(&cert, &cert_pem).unwrap();
    std::fs::write(&key, ck.signing_key.serialize_pem()).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    Pki {
        _dir: dir,
        cert,
        key,
        cert_pem,
    }
}

struct Running {
    addr: SocketAddr,
    stats: Arc<ConnStats>,
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

async fn start(pki: &Pki, limits: ConnLimits) -> Running {
    let tls = listener::load_tls(&pki.cert, &pki.key).unwrap();
    let app = Router::new().route(
        "/peer",
        get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.ip().to_string() }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let stats = Arc::new(ConnStats::default());
    let (stop, rx) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(listener::serve(l, app, limits, Some(tls), stats.clone(), rx));
    Running {
        addr,
        stats,
        stop,
        task,
    }
}

impl Running {
    async fn shutdown(self) {
        self.stop.send(true).unwrap();
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("shuts down")
            .unwrap();
    }
}

fn trusting(pki: &Pki) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(pki.cert_pem.as_bytes()).unwrap()])
        .build()
        .unwrap()
}

fn limits(max: usize, head_ms: u64) -> ConnLimits {
    ConnLimits {
        max_connections: max,
        header_timeout: Duration::from_millis(head_ms),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_client_trusting_the_certificate_gets_answers() {
    let pki = pki();
    let s = start(&pki, limits(16, 5000)).await;
    let r = trusting(&pki)
        .get(format!("https://localhost:{}/peer", s.addr.port()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.text().await.unwrap(),
        "127.0.0.1",
        "the peer address reaches the router"
    );
    // The same certificate by IP address.
    let r = trusting(&pki)
        .get(format!("https://127.0.0.1:{}/peer", s.addr.port()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // The system's roots do not vouch for it.
    let e = reqwest::Client::new()
        .get(format!("https://localhost:{}/peer", s.addr.port()))
        .send()
        .await
        .expect_err("an untrusted certificate");
    assert!(e.is_connect(), "{e:?}");
    // Plain HTTP on the TLS port gets no answer.
    let e = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{}/peer", s.addr.port()))
        .send()
        .await;
    assert!(e.is_err(), "{e:?}");
    s.shutdown().await;
}

/// Reads until the server closes the connection (EOF or reset), failing after `deadline`.
async fn closed_within<S: tokio::io::AsyncRead + Unpin>(s: &mut S, deadline: Duration) -> Duration {
    let t0 = Instant::now();
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout(deadline.saturating_sub(t0.elapsed()), s.read(&mut buf)).await {
            Err(_) => panic!("still open after {deadline:?}"),
            Ok(Ok(0) | Err(_)) => return t0.elapsed(),
            Ok(Ok(_)) => {}
        }
    }
}

fn connector(pki: &Pki) -> tokio_rustls::TlsConnector {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject as _;
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(pki.cert_pem.as_bytes()).unwrap())
        .unwrap();
    let config =
        rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_are_closed_with_or_without_a_handshake() {
    let pki = pki();
    let s = start(&pki, limits(16, 400)).await;
    // No handshake at all.
    let mut raw = TcpStream::connect(s.addr).await.unwrap();
    let took = closed_within(&mut raw, Duration::from_secs(10)).await;
    assert!(took >= Duration::from_millis(300), "closed after {took:?}");
    // A completed handshake, then nothing.
    let tcp = TcpStream::connect(s.addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut tls = connector(&pki).connect(name.clone(), tcp).await.unwrap();
    let took = closed_within(&mut tls, Duration::from_secs(10)).await;
    assert!(took >= Duration::from_millis(300), "closed after {took:?}");
    // A head sent a byte at a time, slower than the timeout allows in total.
    let tcp = TcpStream::connect(s.addr).await.unwrap();
    let mut tls = connector(&pki).connect(name, tcp).await.unwrap();
    let t0 = Instant::now();
    let mut closed = false;
    for b in b"GET /peer HTTP/1.1\r\nHost: localhost\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n" {
        if tls.write_all(&[*b]).await.is_err() || tls.flush().await.is_err() {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if !closed {
        let mut out = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(10), tls.read_to_end(&mut out)).await;
        assert!(read.is_ok(), "still open");
        let text = String::from_utf8_lossy(&out);
        assert!(!text.contains("200 OK"), "a slow head was served: {text}");
    }
    assert!(t0.elapsed() < Duration::from_secs(10));
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cap_refuses_with_a_json_503_over_tls() {
    let pki = pki();
    let s = start(&pki, limits(1, 5000)).await;
    // Hold the one connection (handshake done, no request yet).
    let tcp = TcpStream::connect(s.addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let _held = connector(&pki).connect(name, tcp).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while s.stats.open.load(std::sync::atomic::Ordering::Relaxed) != 1 {
        assert!(Instant::now() < deadline, "the held connection was never counted");
        tokio::task::yield_now().await;
    }
    let r = trusting(&pki)
        .get(format!("https://localhost:{}/peer", s.addr.port()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["retry-after"], "1");
    assert_eq!(r.headers()["content-type"], "application/json");
    let body: serde_json::Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("at most 1 at once"),
        "{body}"
    );
    assert_eq!(s.stats.refused.load(std::sync::atomic::Ordering::Relaxed), 1);
    s.shutdown().await;
}

fn refused(r: Result<listener::TlsAcceptor, TlsError>) -> TlsError {
    match r {
        Ok(_) => panic!("accepted"),
        Err(e) => e,
    }
}

#[test]
fn a_loose_foreign_or_malformed_key_is_refused() {
    let pki = pki();
    for mode in [0o640, 0o604, 0o644] {
        std::fs::set_permissions(&pki.key, std::fs::Permissions::from_mode(mode)).unwrap();
        let e = refused(listener::load_tls(&pki.cert, &pki.key));
        assert!(matches!(e, TlsError::KeyMode { .. }), "{e:?}");
        assert!(e.to_string().contains("chmod 600"), "{e}");
    }
    std::fs::set_permissions(&pki.key, std::fs::Permissions::from_mode(0o600)).unwrap();
    listener::load_tls(&pki.cert, &pki.key).expect("0600 is accepted");
    // Another certificate's key does not match.
    let other = self::pki();
    let e = refused(listener::load_tls(&pki.cert, &other.key));
    assert!(matches!(e, TlsError::Config { .. }), "{e:?}");
    // Not PEM at all; a certificate where the key should be.
    std::fs::write(&other.cert, "not a certificate\n").unwrap();
    let e = refused(listener::load_tls(&other.cert, &pki.key));
    assert!(
        matches!(e, TlsError::Pem { .. }) && e.to_string().contains("cert.pem"),
        "{e}"
    );
    std::fs::write(&other.key, &pki.cert_pem).unwrap();
    let e = refused(listener::load_tls(&pki.cert, &other.key));
    assert!(
        matches!(e, TlsError::Pem { .. }) && e.to_string().contains("key.pem"),
        "{e}"
    );
    let e = refused(listener::load_tls(&pki.cert, &pki.key.with_extension("absent")));
    assert!(matches!(e, TlsError::Io { .. }), "{e:?}");
}
