//! The accept loop of shieldwatch's HTTP servers (the log server and the witness), with the
//! limits that keep one client from holding a server, and TLS when configured.
//!
//! - **Connection cap**: at most [`ConnLimits::max_connections`] connections are served at once
//!   (a semaphore permit per connection). A connection beyond the cap is answered at once with
//!   `503 Service Unavailable`, `Retry-After: 1` and a JSON body, and closed; it never waits in a
//!   queue and never reaches the router. Keep the cap below the process's open-file limit (`ulimit
//!   -n`) less the log's own files, so the server always has a descriptor for its storage.
//! - **Head timeout**: hyper's `header_read_timeout`, with a timer. The clock starts when a
//!   connection is opened and again when an answer has been sent on a kept-alive connection, and
//!   stops when the request's head (request line and headers) is complete. So it bounds both
//!   slow headers and idle keep-alive connections: a connection that sends nothing, or sends its
//!   head a byte at a time, is closed after [`ConnLimits::header_timeout`]. (Bodies are bounded
//!   by the request timeout of the router, answered 408.)
//! - **HTTP/1.1 only**: HTTP/2 has no head timeout in hyper, and no client of the log needs it.
//! - **Accept errors** (e.g. `EMFILE`, out of file descriptors) are logged once per run of
//!   failures and retried after 100 ms instead of spinning.
//! - **TLS** (rustls, [`load_tls`]): with an acceptor, every connection is TLS; the handshake
//!   must complete within the head timeout (a client that opens a connection and never
//!   completes the handshake is closed like one that never sends a head), and the cap counts
//!   connections from their opening, handshake included. A connection beyond the cap still gets
//!   its JSON 503 over TLS when a handshake completes within [`REFUSAL_HANDSHAKE`] (at most
//!   [`LINGERING`] such handshakes at once; beyond, it is closed without an answer). The
//!   private key file is refused if group or others may read or write it.
//! - Every request carries the peer's address as axum's `ConnectInfo<SocketAddr>`, for rate
//!   limits and logs.
//!
//! On shutdown the loop stops accepting, asks every connection to finish its request in flight
//! and close (hyper's graceful shutdown), and waits until all have closed.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tower::ServiceExt as _;

pub use tokio_rustls::TlsAcceptor;

/// Why a TLS certificate or key cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A file holds no usable PEM certificate or key.
    #[error("{path}: {message}")]
    Pem {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The private key file may be read or written by group or others.
    #[error(
        "{path}: the TLS private key must not be accessible to group or others (mode {mode:o}); chmod 600 it"
    )]
    KeyMode {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// rustls refused the certificate and key (e.g. they do not match).
    #[error("TLS certificate {cert} and key {key}: {message}")]
    Config {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// rustls's message.
        message: String,
    },
}

/// A TLS acceptor for a PEM certificate chain and a PEM private key (PKCS#8, PKCS#1 or SEC1),
/// HTTP/1.1 only (ALPN `http/1.1`), TLS 1.2 and 1.3 with rustls's safe defaults (aws-lc-rs).
///
/// # Errors
///
/// [`TlsError`] if a file is unreadable, holds no certificate or key, the key file may be read by
/// group or others, or the key does not match the certificate.
pub fn load_tls(cert: &Path, key: &Path) -> Result<TlsAcceptor, TlsError> {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(key)
            .map_err(|source| TlsError::Io {
                path: key.to_owned(),
                source,
            })?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(TlsError::KeyMode {
                path: key.to_owned(),
                mode: mode & 0o777,
            });
        }
    }
    let read = |p: &Path| {
        std::fs::read(p).map_err(|source| TlsError::Io {
            path: p.to_owned(),
            source,
        })
    };
    let pem = |p: &Path, message: String| TlsError::Pem {
        path: p.to_owned(),
        message,
    };
    let cert_pem = read(cert)?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem(cert, format!("not a PEM certificate chain: {e}")))?;
    if chain.is_empty() {
        return Err(pem(cert, "no CERTIFICATE block".into()));
    }
    let key_pem = read(key)?;
    let private = PrivateKeyDer::from_pem_slice(&key_pem)
        .map_err(|e| pem(key, format!("not a PEM private key: {e}")))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config_err = |e: rustls::Error| TlsError::Config {
        cert: cert.to_owned(),
        key: key.to_owned(),
        message: e.to_string(),
    };
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(config_err)?
        .with_no_client_auth()
        .with_single_cert(chain, private)
        .map_err(config_err)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Limits of one listener.
#[derive(Debug, Clone, Copy)]
pub struct ConnLimits {
    /// Connections served at once; more are refused with 503.
    pub max_connections: usize,
    /// Longest time from a connection's opening, or the end of its previous answer, to the end
    /// of a request's head.
    pub header_timeout: Duration,
}

/// Counters of a listener, for `/metrics`.
#[derive(Debug, Default)]
pub struct ConnStats {
    /// Connections being served.
    pub open: AtomicU64,
    /// Connections refused because `max_connections` were open.
    pub refused: AtomicU64,
}

/// The answer written to a connection beyond the cap (then closed).
fn refusal(max: usize) -> Vec<u8> {
    let body = serde_json::json!({
        "error": format!("too many connections: the server serves at most {max} at once; retry later")
    })
    .to_string();
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\n\
         cache-control: no-cache\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Refused connections read and dropped at once before closing (beyond, closed at once); under
/// TLS, also the refused connections given a handshake to carry the 503.
pub const LINGERING: usize = 64;
/// Under TLS, how long a refused connection's handshake may take before it is closed without
/// an answer.
pub const REFUSAL_HANDSHAKE: Duration = Duration::from_secs(2);
/// How long a refused connection is read and dropped before closing.
const LINGER: Duration = Duration::from_millis(500);
/// How much of a refused connection's request is read and dropped.
const LINGER_BYTES: usize = 64 * 1024;

/// Half-closes `tcp` (our answer is sent, then FIN; under TLS, close_notify first) and reads what
/// the peer still sends, within [`LINGER`] and [`LINGER_BYTES`], so that closing does not reset
/// the connection.
async fn linger<S: AsyncRead + AsyncWrite + Unpin>(mut tcp: S) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    if let Err(e) = tcp.shutdown().await {
        tracing::debug!(error = %e, "half-closing a refused connection");
        return;
    }
    let mut buf = [0u8; 4096];
    let mut read = 0;
    let drained = tokio::time::timeout(LINGER, async {
        while read < LINGER_BYTES {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => read += n,
            }
        }
    })
    .await;
    if drained.is_err() {
        tracing::debug!("a refused connection kept sending; closing it");
    }
}

/// Serves HTTP/1.1 on one connection with the head timeout until it ends, or until `close`
/// turns true (then finishes the request in flight and closes).
async fn serve_connection<S, Svc>(
    io: S,
    service: Svc,
    limits: ConnLimits,
    mut close: watch::Receiver<bool>,
    peer: std::net::SocketAddr,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    Svc: hyper::service::Service<
            hyper::Request<hyper::body::Incoming>,
            Response = hyper::Response<axum::body::Body>,
        > + Send,
    Svc::Future: Send + 'static,
    Svc::Error: std::error::Error + Send + Sync + 'static,
{
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    let conn = builder.serve_connection(TokioIo::new(io), service);
    let mut conn = std::pin::pin!(conn);
    // The watch guard must not live across an await: reduce it to a bool inside.
    let closing = async move { close.wait_for(|c| *c).await.is_ok() };
    let served = tokio::select! {
        r = conn.as_mut() => Some(r),
        _ = closing => None,
    };
    let result = match served {
        Some(r) => r,
        None => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(e) = result {
        tracing::debug!(%peer, error = %e, "connection closed");
    }
}

/// Under TLS: completes the handshake of a refused connection (within [`REFUSAL_HANDSHAKE`]),
/// writes `answer` and lingers.
async fn refuse_tls(tcp: tokio::net::TcpStream, tls: TlsAcceptor, answer: Arc<Vec<u8>>) {
    use tokio::io::AsyncReadExt as _;
    use tokio::io::AsyncWriteExt as _;
    match tokio::time::timeout(REFUSAL_HANDSHAKE, tls.accept(tcp)).await {
        Ok(Ok(mut s)) => {
            // An HTTP client takes an answer that comes before its request for a protocol
            // error: wait (briefly) for the request's head first.
            let mut head = Vec::new();
            let mut buf = [0u8; 4096];
            let got_head = tokio::time::timeout(REFUSAL_HANDSHAKE, async {
                while head.len() < LINGER_BYTES && !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut buf).await {
                        Ok(0) | Err(_) => return false,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                true
            })
            .await;
            if !matches!(got_head, Ok(true)) {
                tracing::debug!("a refused TLS connection sent no request head");
                return;
            }
            if let Err(e) = s.write_all(&answer).await {
                tracing::debug!(error = %e, "writing the refusal");
                return;
            }
            linger(s).await;
        }
        Ok(Err(e)) => tracing::debug!(error = %e, "TLS handshake of a refused connection"),
        Err(_) => tracing::debug!("TLS handshake of a refused connection timed out"),
    }
}

/// Serves `app` on `listener` within `limits` (over TLS with `tls`) until `shutdown` turns true,
/// then closes every connection gracefully and returns once all have closed.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnLimits,
    tls: Option<TlsAcceptor>,
    stats: Arc<ConnStats>,
    mut shutdown: watch::Receiver<bool>,
) {
    let max = limits.max_connections;
    let permits = Arc::new(Semaphore::new(max));
    let refusal = Arc::new(refusal(max));
    let lingering = Arc::new(Semaphore::new(LINGERING));
    let (close_tx, close_rx) = watch::channel(false);
    let mut accept_failing = false;
    loop {
        let accepted = tokio::select! {
            r = listener.accept() => r,
            _ = async { shutdown.wait_for(|stop| *stop).await.is_ok() } => break,
        };
        let (tcp, peer) = match accepted {
            Ok(x) => {
                if accept_failing {
                    tracing::info!("accepting connections again");
                    accept_failing = false;
                }
                x
            }
            Err(e) => {
                if !accept_failing {
                    tracing::error!(error = %e, "cannot accept connections; retrying every 100 ms");
                    accept_failing = true;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            stats.refused.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(%peer, max, "connection refused: too many connections");
            if let Some(tls) = &tls {
                // The answer needs a handshake: give one to at most LINGERING at once.
                if let Ok(p) = lingering.clone().try_acquire_owned() {
                    let (tls, refusal) = (tls.clone(), refusal.clone());
                    tokio::spawn(async move {
                        let _p = p;
                        refuse_tls(tcp, tls, refusal).await;
                    });
                }
                continue;
            }
            // A fresh socket's send buffer takes the short answer without blocking; a peer that
            // cannot receive it loses nothing but the message.
            if let Err(e) = tcp.try_write(&refusal) {
                tracing::debug!(%peer, error = %e, "writing the refusal");
                continue;
            }
            // Closing with the peer's request unread would reset the connection and could destroy
            // the answer in flight: read and drop what the peer sends for a moment (at most
            // LINGER_BYTES, LINGER, and LINGERING such connections at once; beyond, close now).
            if let Ok(p) = lingering.clone().try_acquire_owned() {
                tokio::spawn(async move {
                    let _p = p;
                    linger(tcp).await;
                });
            }
            continue;
        };
        // Answers are small and latency-bound: send them without waiting for Nagle's algorithm.
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "TCP_NODELAY");
        }
        // Every request carries the peer's address (for the per-address rate limit and logs).
        let service = TowerToHyperService::new(app.clone().map_request(
            move |mut req: axum::extract::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
                req
            },
        ));
        let stats = stats.clone();
        let close = close_rx.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            let _permit = permit;
            stats.open.fetch_add(1, Ordering::Relaxed);
            match tls {
                None => serve_connection(tcp, service, limits, close, peer).await,
                Some(tls) => match tokio::time::timeout(limits.header_timeout, tls.accept(tcp)).await {
                    Ok(Ok(s)) => serve_connection(s, service, limits, close, peer).await,
                    Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                    Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                },
            }
            stats.open.fetch_sub(1, Ordering::Relaxed);
        });
    }
    drop(listener);
    // Every receiver is alive in its task (or gone with it): a failed send only means none is.
    if close_tx.send(true).is_err() {
        tracing::debug!("no connection open at shutdown");
    }
    // All permits back = every connection task has ended.
    match permits.acquire_many(u32::try_from(max).unwrap_or(u32::MAX)).await {
        Ok(_all) => {}
        Err(e) => tracing::error!(error = %e, "waiting for connections to close"),
    }
}
