//! The witness's HTTP API (c2sp.org/tlog-witness), an axum [`Router`].
//!
//! | route | answer |
//! |---|---|
//! | `POST /add-checkpoint` | 200 cosignature line(s) (`text/plain; charset=utf-8`); 409 `<size>\n` (`text/x.tlog.size`); 400, 403, 404, 422 with a plain-text reason; 413 when the body exceeds the limit |
//! | `GET /<hex SHA-256 of origin>/checkpoint` | the latest cosigned checkpoint of that log (log signatures and the witness's cosignature), 404 if none |
//! | `GET /healthz` | `ok` |
//! | `GET /metrics` | Prometheus text: requests by status, latest cosigned size and time per log |
//!
//! Requests are bounded in size (the body limit, checked before anything is read into the
//! witness) and in time (a timeout answering 408).

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

/// Request limits of the router.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Time limit of one request.
    pub request_timeout: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            request_timeout: Duration::from_secs(10),
        }
    }
}

/// The router serving `witness` (see the module documentation for the routes).
pub fn router(witness: Arc<Witness>, limits: HttpLimits) -> Router {
    Router::new()
        .route("/add-checkpoint", post(add_checkpoint))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/{origin_hash}/checkpoint", get(checkpoint))
        .layer(DefaultBodyLimit::max(limits.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(witness)
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets requests in flight finish.
///
/// # Errors
///
/// The I/O error that stopped the server.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
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
            text(status, TEXT_PLAIN, format!("{e}\n"))
        }
        Err(e) => text(
            StatusCode::INTERNAL_SERVER_ERROR,
            TEXT_PLAIN,
            format!("internal error: {e}\n"),
        ),
    }
}

async fn healthz() -> Response {
    text(StatusCode::OK, TEXT_PLAIN, "ok\n")
}

async fn metrics(State(w): State<Arc<Witness>>) -> Response {
    match tokio::task::spawn_blocking(move || w.metrics_text()).await {
        Ok(body) => text(StatusCode::OK, "text/plain; version=0.0.4; charset=utf-8", body),
        Err(e) => text(
            StatusCode::INTERNAL_SERVER_ERROR,
            TEXT_PLAIN,
            format!("internal error: {e}\n"),
        ),
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
        return text(StatusCode::NOT_FOUND, TEXT_PLAIN, "unknown log\n");
    };
    let latest = tokio::task::spawn_blocking(move || w.latest(&origin)).await;
    match latest {
        Ok(Ok(Some(c))) => {
            let mut r = text(StatusCode::OK, TEXT_PLAIN, c.note);
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            r
        }
        Ok(Ok(None)) => text(
            StatusCode::NOT_FOUND,
            TEXT_PLAIN,
            "no checkpoint cosigned for this log\n",
        ),
        Ok(Err(e)) => text(StatusCode::INTERNAL_SERVER_ERROR, TEXT_PLAIN, format!("{e}\n")),
        Err(e) => text(
            StatusCode::INTERNAL_SERVER_ERROR,
            TEXT_PLAIN,
            format!("internal error: {e}\n"),
        ),
    }
}
