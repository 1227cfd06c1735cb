//! Connection handling: the accept loop, with the limits that keep one client from holding the
//! server.
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
//!
//! On shutdown the loop stops accepting, asks every connection to finish its request in flight
//! and close (hyper's graceful shutdown), and waits until all have closed.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

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

/// Refused connections read and dropped at once before closing (beyond, closed at once).
const LINGERING: usize = 64;
/// How long a refused connection is read and dropped before closing.
const LINGER: Duration = Duration::from_millis(500);
/// How much of a refused connection's request is read and dropped.
const LINGER_BYTES: usize = 64 * 1024;

/// Half-closes `tcp` (our answer is sent, then FIN) and reads what the peer still sends, within
/// [`LINGER`] and [`LINGER_BYTES`], so that closing does not reset the connection.
async fn linger(mut tcp: tokio::net::TcpStream) {
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

/// Serves `app` on `listener` within `limits` until `shutdown` turns true, then closes every
/// connection gracefully and returns once all have closed.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnLimits,
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
        let service = TowerToHyperService::new(app.clone());
        let stats = stats.clone();
        let mut close = close_rx.clone();
        tokio::spawn(async move {
            let _permit = permit;
            stats.open.fetch_add(1, Ordering::Relaxed);
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout)
                .keep_alive(true);
            let conn = builder.serve_connection(TokioIo::new(tcp), service);
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
