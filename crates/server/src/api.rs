//! HTTP routes.
//!
//! | route | answer |
//! |---|---|
//! | `POST /add` | body: one entry (`application/octet-stream`, 1..=`max_entry_bytes` bytes); answers `{"index": n}` once durable |
//! | `GET /checkpoint` | the signed checkpoint (c2sp.org/tlog-checkpoint), `Cache-Control: no-cache` |
//! | `GET /tile/<L>/<N>[.p/<W>]`, `GET /tile/entries/<N>[.p/<W>]` | hash tiles and entry bundles (c2sp.org/tlog-tiles); full ones `immutable` |
//! | `GET /proof/inclusion?index=&size=` | `{"index","size","root","proof":[base64...]}`; `size` defaults to the current tree |
//! | `GET /proof/consistency?old=&new=` | `{"old","new","old_root","new_root","proof":[...]}` |
//! | `GET /lookup?hash=` | `{"index"}` of the entry with that RFC 6962 leaf hash (base64) |
//! | `GET /healthz`, `GET /metrics` | liveness; Prometheus text |
//!
//! Errors are `{"error": "<message>"}` with a 4xx status for bad requests (400 malformed, 404
//! absent, 413 too large, 415 wrong content type) and 503 (with `Retry-After`) when the queue is
//! full or the sequencer has stopped.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use tlog::{Error as LogError, LogReader, Sequencer, TilePath};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::config::ServerConfig;
use crate::metrics::Metrics;

/// Content type of entries and tiles.
pub const OCTET_STREAM: &str = "application/octet-stream";
/// `Cache-Control` of full tiles and bundles: they never change.
pub const CACHE_IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of partial tiles: superseded as the log grows.
pub const CACHE_PARTIAL: &str = "public, max-age=10";
/// `Cache-Control` of the checkpoint and dynamic answers.
pub const CACHE_NONE: &str = "no-cache";

/// Shared state of the handlers.
pub struct AppState {
    sequencer: Sequencer,
    reader: LogReader,
    metrics: Metrics,
    max_entry_bytes: usize,
}

impl AppState {
    /// State around a running sequencer.
    pub fn new(sequencer: Sequencer, config: &ServerConfig) -> Self {
        let reader = sequencer.reader().clone();
        Self {
            sequencer,
            reader,
            metrics: Metrics::default(),
            max_entry_bytes: config.max_entry_bytes,
        }
    }
}

/// The router with all routes and layers (body limit, timeout, tracing).
pub fn router(state: Arc<AppState>, config: &ServerConfig) -> Router {
    Router::new()
        .route("/add", post(serve_add))
        .route("/checkpoint", get(serve_checkpoint))
        .route("/tile/{*path}", get(serve_tile))
        .route("/proof/inclusion", get(serve_inclusion))
        .route("/proof/consistency", get(serve_consistency))
        .route("/lookup", get(serve_lookup))
        .route("/healthz", get(serve_healthz))
        .route("/metrics", get(serve_metrics))
        // We read bodies ourselves with our own limit and message; this is a backstop.
        .layer(DefaultBodyLimit::max(tlog::MAX_ENTRY_BYTES + 1))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_millis(config.request_timeout_ms),
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// A failed request: status and message, rendered as `{"error": message}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = (
            self.status,
            axum::Json(serde_json::json!({ "error": self.message })),
        )
            .into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        r.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(CACHE_NONE));
        r
    }
}

/// Maps a log error to a status: bad input is 4xx, overload 503, the rest 500.
fn status_of(e: &LogError) -> StatusCode {
    match e {
        LogError::EntrySize { len: 0, .. } => StatusCode::BAD_REQUEST,
        LogError::EntrySize { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        LogError::BadTilePath { .. } | LogError::OutOfRange(_) => StatusCode::BAD_REQUEST,
        LogError::QueueFull | LogError::SequencerStopped => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl From<LogError> for ApiError {
    fn from(e: LogError) -> Self {
        let status = status_of(&e);
        if status.is_server_error() && status != StatusCode::SERVICE_UNAVAILABLE {
            tracing::error!(error = %e, "request failed");
        }
        Self::new(status, e.to_string())
    }
}

/// Answer of `POST /add`.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct AddResponse {
    /// Index of the entry in the log.
    pub index: u64,
}

async fn serve_add(State(st): State<Arc<AppState>>, headers: HeaderMap, body: Body) -> Response {
    match process_add(&st, &headers, body).await {
        Ok(index) => (StatusCode::OK, axum::Json(AddResponse { index })).into_response(),
        Err(e) => {
            let reason = match e.status {
                StatusCode::PAYLOAD_TOO_LARGE => "too_large",
                StatusCode::UNSUPPORTED_MEDIA_TYPE => "content_type",
                StatusCode::BAD_REQUEST => "empty",
                StatusCode::SERVICE_UNAVAILABLE => "unavailable",
                _ => "error",
            };
            st.metrics.rejected(reason);
            e.into_response()
        }
    }
}

/// Checks the content type and size, then submits and waits for the durable acknowledgement.
async fn process_add(st: &AppState, headers: &HeaderMap, body: Body) -> Result<u64, ApiError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = ct.split(';').next().unwrap_or("").trim();
    if !mime.eq_ignore_ascii_case(OCTET_STREAM) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("Content-Type must be {OCTET_STREAM}, got {ct:?}"),
        ));
    }
    let bytes: Bytes = axum::body::to_bytes(body, st.max_entry_bytes)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("entry exceeds the limit of {} bytes", st.max_entry_bytes),
            )
        })?;
    if bytes.is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "empty entry: the body must hold 1 or more bytes",
        ));
    }
    Ok(st.sequencer.submit(bytes.to_vec()).await?)
}

async fn serve_checkpoint(State(st): State<Arc<AppState>>) -> Response {
    let snap = st.reader.snapshot();
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, CACHE_NONE),
        ],
        snap.checkpoint.as_ref().clone(),
    )
        .into_response()
}

async fn serve_tile(State(st): State<Arc<AppState>>, Path(path): Path<String>) -> Response {
    match process_tile(&st, &path).await {
        Ok((tile, data)) => {
            let cache = if tile.is_full() {
                CACHE_IMMUTABLE
            } else {
                CACHE_PARTIAL
            };
            (
                [
                    (header::CONTENT_TYPE, OCTET_STREAM),
                    (header::CACHE_CONTROL, cache),
                ],
                data,
            )
                .into_response()
        }
        Err(e) => e.into_response(),
    }
}

/// Parses a tile path and reads the tile if it is part of the committed tree.
async fn process_tile(st: &AppState, path: &str) -> Result<(TilePath, Vec<u8>), ApiError> {
    let full = format!("tile/{path}");
    let tile = TilePath::parse(&full)?;
    let reader = st.reader.clone();
    let data = tokio::task::spawn_blocking(move || reader.tile(&tile))
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))??;
    data.map(|d| (tile, d))
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, format!("{full} is not in the log")))
}

/// Query of `GET /proof/inclusion`.
#[derive(Debug, Deserialize)]
pub struct InclusionQuery {
    /// Entry index.
    pub index: u64,
    /// Tree size (default: the current one).
    pub size: Option<u64>,
}

/// Answer of `GET /proof/inclusion`. Hashes are base64.
#[derive(Debug, Serialize, Deserialize, Clone, PartialEq, Eq)]
pub struct InclusionResponse {
    /// Entry index.
    pub index: u64,
    /// Tree size.
    pub size: u64,
    /// Root hash of that tree.
    pub root: String,
    /// Audit path, leaf to root.
    pub proof: Vec<String>,
}

/// Query of `GET /proof/consistency`.
#[derive(Debug, Deserialize)]
pub struct ConsistencyQuery {
    /// Older tree size (at least 1).
    pub old: u64,
    /// Newer tree size (default: the current one).
    pub new: Option<u64>,
}

/// Answer of `GET /proof/consistency`. Hashes are base64.
#[derive(Debug, Serialize, Deserialize, Clone, PartialEq, Eq)]
pub struct ConsistencyResponse {
    /// Older tree size.
    pub old: u64,
    /// Newer tree size.
    pub new: u64,
    /// Root of the older tree.
    pub old_root: String,
    /// Root of the newer tree.
    pub new_root: String,
    /// The proof.
    pub proof: Vec<String>,
}

fn query_error(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, format!("bad query: {e}"))
}

async fn serve_inclusion(
    State(st): State<Arc<AppState>>,
    q: Result<Query<InclusionQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let r = match q {
        Ok(Query(q)) => process_inclusion(&st, q).await,
        Err(e) => Err(query_error(e.body_text())),
    };
    match r {
        Ok(p) => ([(header::CACHE_CONTROL, CACHE_NONE)], axum::Json(p)).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn process_inclusion(st: &AppState, q: InclusionQuery) -> Result<InclusionResponse, ApiError> {
    let reader = st.reader.clone();
    let p = tokio::task::spawn_blocking(move || reader.prove_inclusion(q.index, q.size))
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))??;
    Ok(InclusionResponse {
        index: p.index,
        size: p.size,
        root: p.root.to_string(),
        proof: p.proof.iter().map(ToString::to_string).collect(),
    })
}

async fn serve_consistency(
    State(st): State<Arc<AppState>>,
    q: Result<Query<ConsistencyQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let r = match q {
        Ok(Query(q)) => process_consistency(&st, q).await,
        Err(e) => Err(query_error(e.body_text())),
    };
    match r {
        Ok(p) => ([(header::CACHE_CONTROL, CACHE_NONE)], axum::Json(p)).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn process_consistency(st: &AppState, q: ConsistencyQuery) -> Result<ConsistencyResponse, ApiError> {
    let reader = st.reader.clone();
    let p = tokio::task::spawn_blocking(move || reader.prove_consistency(q.old, q.new))
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))??;
    Ok(ConsistencyResponse {
        old: p.old,
        new: p.new,
        old_root: p.old_root.to_string(),
        new_root: p.new_root.to_string(),
        proof: p.proof.iter().map(ToString::to_string).collect(),
    })
}

/// Query of `GET /lookup`.
#[derive(Debug, Deserialize)]
pub struct LookupQuery {
    /// RFC 6962 leaf hash of the entry, base64.
    pub hash: String,
}

async fn serve_lookup(
    State(st): State<Arc<AppState>>,
    q: Result<Query<LookupQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let r = match q {
        Ok(Query(q)) => process_lookup(&st, q).await,
        Err(e) => Err(query_error(e.body_text())),
    };
    match r {
        Ok(index) => (
            [(header::CACHE_CONTROL, CACHE_NONE)],
            axum::Json(AddResponse { index }),
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

async fn process_lookup(st: &AppState, q: LookupQuery) -> Result<u64, ApiError> {
    let hash = tlog::Hash::parse_hash(&q.hash).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "hash must be 32 bytes in standard base64",
        )
    })?;
    let reader = st.reader.clone();
    tokio::task::spawn_blocking(move || reader.find(hash))
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))??
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "no entry with that leaf hash"))
}

async fn serve_healthz(State(st): State<Arc<AppState>>) -> Response {
    if st.sequencer.stats().failed.load(Ordering::Relaxed) {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the sequencer has stopped after a storage error",
        )
        .into_response()
    } else {
        ([(header::CACHE_CONTROL, CACHE_NONE)], "ok\n").into_response()
    }
}

async fn serve_metrics(State(st): State<Arc<AppState>>) -> Response {
    let text = st.metrics.render(&st.sequencer, &st.reader.snapshot());
    (
        [
            (header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8"),
            (header::CACHE_CONTROL, CACHE_NONE),
        ],
        text,
    )
        .into_response()
}
