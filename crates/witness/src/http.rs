//! The witness's HTTP API (c2sp.org/tlog-witness), an axum [`Router`].
//!
//! | route | answer |
//! |---|---|
//! | `POST /add-checkpoint` | 200 cosignature line(s) (`text/plain; charset=utf-8`); 409 `<size>\n` (`text/x.tlog.size`, as c2sp.org/tlog-witness requires); 400, 403, 404, 422 with `{"error": reason}`; 413 when the body exceeds the limit |
//! | `GET /<hex SHA-256 of origin>/checkpoint` | the latest cosigned checkpoint of that log (log signatures and the witness's cosignature), 404 if none |
//! | `GET /healthz` | `ok` |
//! | `GET /metrics` | Prometheus text: requests by status, latest cosigned size and time per log |
//!
//! Requests are bounded in size (the body limit, checked before anything is read into the
//! witness) and in time (a timeout answering 408); connections by the `listener` crate, as the
//! log server's (a connection cap answering a JSON 503, a head timeout closing idle and
//! slow-header connections, optional TLS). Every error answer but the protocol's 409 is JSON
//! `{"error": message}` (unknown routes 404, wrong methods 405, 408 and 413 included).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use sha2::{Digest as _, Sha256};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::config::DEFAULT_MAX_BODY_BYTES;
use crate::protocol::CONTENT_TYPE_SIZE;
use crate::witness::{AddCheckpointError, Witness};

/// Content type of cosignature lines and error messages.
pub const TEXT_PLAIN: &str = "text/plain; charset=utf-8";

/// Request and connection limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Time limit of one request.
    pub request_timeout: Duration,
    /// Longest wait for a request's head (also the idle keep-alive limit).
    pub header_timeout: Duration,
    /// Connections served at once; more are refused with 503.
    pub max_connections: usize,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            request_timeout: Duration::from_secs(10),
            header_timeout: Duration::from_secs(10),
            max_connections: 1024,
        }
    }
}

impl HttpLimits {
    /// The connection limits of the listener.
    pub fn conn(&self) -> listener::ConnLimits {
        listener::ConnLimits {
            max_connections: self.max_connections,
            header_timeout: self.header_timeout,
        }
    }
}

/// The content type of error answers.
pub const APPLICATION_JSON: &str = "application/json";

/// An error answer: `{"error": message}`.
fn json_error(status: StatusCode, message: impl std::fmt::Display) -> Response {
    let body = serde_json::json!({ "error": message.to_string().trim_end() }).to_string();
    text(status, APPLICATION_JSON, body)
}

/// Gives every error answer that is neither JSON nor the protocol's 409 (the timeout's 408, the
/// body limit's 413, extractor rejections) the `{"error": message}` body, keeping its status.
async fn json_errors(r: Response) -> Response {
    let status = r.status();
    let is_json = r
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(APPLICATION_JSON.as_bytes()));
    if !(status.is_client_error() || status.is_server_error()) || is_json || status == StatusCode::CONFLICT {
        return r;
    }
    let reason = status.canonical_reason().unwrap_or("error").to_owned();
    let (parts, body) = r.into_parts();
    let message = match axum::body::to_bytes(body, 4096).await {
        Ok(b) if !b.trim_ascii().is_empty() => String::from_utf8_lossy(b.trim_ascii()).into_owned(),
        Ok(_) => reason,
        Err(e) => format!("{reason} ({e})"),
    };
    let mut out = json_error(status, message);
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}

/// The router serving `witness` (see the module documentation for the routes).
pub fn router(witness: Arc<Witness>, limits: HttpLimits) -> Router {
    let max_body = limits.max_body_bytes;
    Router::new()
        .route("/add-checkpoint", post(add_checkpoint))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/{origin_hash}/checkpoint", get(checkpoint))
        .fallback(|uri: axum::http::Uri| async move {
            json_error(StatusCode::NOT_FOUND, format!("no such route: {}", uri.path()))
        })
        .method_not_allowed_fallback(|method: axum::http::Method, uri: axum::http::Uri| async move {
            json_error(
                StatusCode::METHOD_NOT_ALLOWED,
                format!("method {method} is not allowed on {}", uri.path()),
            )
        })
        .layer(DefaultBodyLimit::max(limits.max_body_bytes))
        .layer(axum::middleware::from_fn(
            move |req: axum::extract::Request, next: axum::middleware::Next| async move {
                check_content_length(req, next, max_body).await
            },
        ))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ))
        .layer(axum::middleware::map_response(json_errors))
        .layer(TraceLayer::new_for_http())
        .with_state(witness)
}

/// Serves `app` on `listener` within `limits`' connection cap and head timeout (over TLS with
/// `tls`) until `shutdown` resolves, then lets requests in flight finish and returns once every
/// connection has closed.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    limits: HttpLimits,
    tls: Option<listener::TlsAcceptor>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let (tx, rx) = tokio::sync::watch::channel(false);
    let stats = Arc::new(listener::ConnStats::default());
    let signal = async move {
        shutdown.await;
        // The accept loop holds the receiver until it has stopped; nobody left is fine.
        if tx.send(true).is_err() {
            tracing::debug!("listener already stopped");
        }
    };
    let ((), ()) = tokio::join!(
        listener::serve(listener, app, limits.conn(), tls, stats, rx),
        signal
    );
}

/// 413 at once, before any of the body is read, when `Content-Length` declares more than `max`
/// bytes (400 if it is not a number).
async fn check_content_length(
    req: axum::extract::Request,
    next: axum::middleware::Next,
    max: usize,
) -> Response {
    if let Some(v) = req.headers().get(header::CONTENT_LENGTH) {
        let Some(len) = v.to_str().ok().and_then(|t| t.trim().parse::<u64>().ok()) else {
            return json_error(StatusCode::BAD_REQUEST, "Content-Length is not a number");
        };
        if len > max as u64 {
            return json_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("Content-Length {len} exceeds the limit of {max} bytes"),
            );
        }
    }
    next.run(req).await
}

fn text(status: StatusCode, content_type: &'static str, body: impl Into<axum::body::Body>) -> Response {
    let mut r = (status, body.into()).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

async fn add_checkpoint(State(w): State<Arc<Witness>>, body: Bytes) -> Response {
    let result = tokio::task::spawn_blocking(move || w.add_checkpoint(&body)).await;
    match result {
        Ok(Ok(lines)) => text(StatusCode::OK, TEXT_PLAIN, lines),
        Ok(Err(AddCheckpointError::Conflict { latest, .. })) => {
            text(StatusCode::CONFLICT, CONTENT_TYPE_SIZE, format!("{latest}\n"))
        }
        Ok(Err(e)) => {
            let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            json_error(status, e)
        }
        Err(e) => json_error(StatusCode::INTERNAL_SERVER_ERROR, format!("internal error: {e}")),
    }
}

async fn healthz() -> Response {
    text(StatusCode::OK, TEXT_PLAIN, "ok\n")
}

async fn metrics(State(w): State<Arc<Witness>>) -> Response {
    match tokio::task::spawn_blocking(move || w.metrics_text()).await {
        Ok(body) => text(StatusCode::OK, "text/plain; version=0.0.4; charset=utf-8", body),
        Err(e) => json_error(StatusCode::INTERNAL_SERVER_ERROR, format!("internal error: {e}")),
    }
}

/// Lowercase hex SHA-256 of an origin, the path segment of the monitoring endpoint.
pub fn origin_hash(origin: &str) -> String {
    Sha256::digest(origin.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

async fn checkpoint(State(w): State<Arc<Witness>>, Path(hash): Path<String>) -> Response {
    let Some(origin) = w.origins().into_iter().find(|o| origin_hash(o) == hash) else {
        return json_error(StatusCode::NOT_FOUND, "unknown log");
    };
    let latest = tokio::task::spawn_blocking(move || w.latest(&origin)).await;
    match latest {
        Ok(Ok(Some(c))) => {
            let mut r = text(StatusCode::OK, TEXT_PLAIN, c.note);
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            r
        }
        Ok(Ok(None)) => json_error(StatusCode::NOT_FOUND, "no checkpoint cosigned for this log"),
        Ok(Err(e)) => json_error(StatusCode::INTERNAL_SERVER_ERROR, e),
        Err(e) => json_error(StatusCode::INTERNAL_SERVER_ERROR, format!("internal error: {e}")),
    }
}
