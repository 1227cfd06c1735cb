//! HTTP routes.
//!
//! | route | answer |
//! |---|---|
//! | `POST /add` | body: one entry (`application/octet-stream`, 1..=`max_entry_bytes` bytes); answers `{"index": n}` once durable |
//! | `POST /add-batch` | body: 1..=`max_batch_entries` entries in the entry-bundle framing (2-byte big-endian length, then the bytes, repeated); answers `{"indexes": [..]}` in order once all are durable |
//! | `GET /checkpoint` | the signed checkpoint (c2sp.org/tlog-checkpoint), `Cache-Control: no-cache` |
//! | `GET /tile/<L>/<N>[.p/<W>]`, `GET /tile/entries/<N>[.p/<W>]` | hash tiles and entry bundles (c2sp.org/tlog-tiles); full ones `immutable` |
//! | `GET /proof/inclusion?index=&size=` | `{"index","size","root","proof":[base64...]}`; `size` defaults to the current tree |
//! | `GET /proof/consistency?old=&new=` | `{"old","new","old_root","new_root","proof":[...]}` |
//! | `GET /lookup?hash=` | `{"index"}` of the entry with that RFC 6962 leaf hash (base64) |
//! | `GET /healthz`, `GET /metrics` | liveness; Prometheus text |
//! | `GET /openapi.json` | this table as an OpenAPI 3.1 document, generated from the handlers |
//!
//! The OpenAPI document comes from the `#[utoipa::path]` attribute on each handler: routes are
//! registered through [`utoipa_axum::routes!`], which takes the path and method from that
//! attribute, so the document cannot drift from the router. The one exception is the tile route,
//! whose axum wildcard (`/tile/{*path}`) has no OpenAPI spelling: it is documented as
//! `/tile/{path}` (a path that contains slashes) and registered by hand beside it.
//!
//! Errors are `{"error": "<message>"}` with a 4xx status for bad requests (400 malformed, 404
//! absent, 405 wrong method, 408 body too slow, 413 too large — from `Content-Length`, after reading
//! and dropping for up to [`DRAIN_WAIT`] a declared body within 1 MiB so that a client still sending
//! it gets the answer rather than a reset, 414 request target over [`MAX_URI_BYTES`], 415 wrong
//! content type) and 503
//! (with `Retry-After`) when the queue is full, the sequencer has stopped, or (with witnesses) no
//! cosigned checkpoint covers the entry yet. Connection limits are in [`crate::conn`].

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use tlog::{Error as LogError, LogReader, Sequencer, TilePath};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnFailure, TraceLayer};
use utoipa::{IntoParams, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

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
    max_batch_entries: usize,
    admission: Option<Arc<dyn crate::admission::Admission>>,
    admission_order: std::sync::Mutex<()>,
    published: Option<Arc<crate::admission::Published>>,
    publish_wait: Duration,
    limits: crate::ratelimit::RateLimits,
    /// Connections of the main listener.
    pub(crate) connections: Arc<crate::conn::ConnStats>,
    /// Connections of the metrics listener, when there is one.
    pub(crate) ops_connections: Arc<crate::conn::ConnStats>,
    /// The scale-out storage's health and this instance's part in the cluster, when the log
    /// lives there.
    backend: Option<(Arc<crate::cloud::BackendHealth>, Arc<crate::cloud::ClusterStatus>)>,
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
            max_batch_entries: config.max_batch_entries,
            admission: None,
            admission_order: std::sync::Mutex::new(()),
            published: None,
            publish_wait: Duration::from_millis(config.publish_wait_ms),
            limits: config.rate_limits(),
            connections: Arc::default(),
            ops_connections: Arc::default(),
            backend: None,
        }
    }

    /// Entries must pass `admission` before they are queued.
    pub fn with_admission(mut self, admission: Arc<dyn crate::admission::Admission>) -> Self {
        self.admission = Some(admission);
        self
    }

    /// `/checkpoint` serves `published` (the latest witness-cosigned checkpoint) instead of the
    /// log's latest.
    pub fn with_published(mut self, published: Arc<crate::admission::Published>) -> Self {
        self.published = Some(published);
        self
    }

    /// `/healthz` and `/metrics` report the scale-out storage's health too.
    pub fn with_backend(
        mut self,
        backend: Arc<crate::cloud::BackendHealth>,
        status: Arc<crate::cloud::ClusterStatus>,
    ) -> Self {
        self.backend = Some((backend, status));
        self
    }
}

/// Top-level facts of the OpenAPI document; the paths come from the handlers.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "shieldwatch transparency log",
        description = "Submit entries to an RFC 6962 Merkle tree log served as C2SP tlog-tiles \
            (c2sp.org/tlog-tiles) with checkpoints as C2SP signed notes (c2sp.org/tlog-checkpoint, \
            Ed25519), and fetch proofs. Errors are JSON objects {\"error\": message}.",
        license(name = "MIT OR Apache-2.0")
    ),
    paths(serve_tile),
    components(schemas(ErrorBody))
)]
struct ApiDoc;

/// The routes and their OpenAPI description, before state and layers; `/metrics` only if
/// `with_metrics`.
fn routes(with_metrics: bool) -> (Router<Arc<AppState>>, utoipa::openapi::OpenApi) {
    let mut r = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(serve_add))
        .routes(routes!(serve_add_batch))
        .routes(routes!(serve_checkpoint))
        .routes(routes!(serve_inclusion))
        .routes(routes!(serve_consistency))
        .routes(routes!(serve_lookup))
        .routes(routes!(serve_healthz))
        .routes(routes!(serve_openapi));
    if with_metrics {
        r = r.routes(routes!(serve_metrics));
    }
    let (router, api) = r.split_for_parts();
    // Documented as `/tile/{path}` in `ApiDoc` (see the module documentation).
    (router.route("/tile/{*path}", get(serve_tile)), api)
}

/// The OpenAPI 3.1 document of the API, as served at `/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes(true).1
}

/// How much of an oversized entry body is read and dropped before answering 413 (beyond it the
/// connection is closed).
const DRAIN_BYTES: usize = 1 << 20;

/// How long a body declared over the limit (and within [`DRAIN_BYTES`]) is waited for, to be read
/// and dropped, before its 413 is sent.
const DRAIN_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Longest request target (path and query) answered; longer ones get 414 with a JSON body.
/// (hyper itself answers 414 without a body beyond 65 534 bytes, and 431 beyond its buffer.)
pub const MAX_URI_BYTES: usize = 8192;

/// The router with all routes and layers (URI length, body limit, timeout, JSON errors,
/// tracing); `/metrics` only if `with_metrics` (otherwise it is on [`ops_router`]).
pub fn router(state: Arc<AppState>, config: &ServerConfig, with_metrics: bool) -> Router {
    let r = routes(with_metrics)
        .0
        .layer(axum::middleware::from_fn_with_state(state.clone(), limit_rate));
    layered(r, state, config)
}

/// The router of the metrics listener: `/metrics` and `/healthz` only.
pub fn ops_router(state: Arc<AppState>, config: &ServerConfig) -> Router {
    let r = Router::new()
        .route("/metrics", get(serve_metrics))
        .route("/healthz", get(serve_healthz));
    layered(r, state, config)
}

fn layered(r: Router<Arc<AppState>>, state: Arc<AppState>, config: &ServerConfig) -> Router {
    r.fallback(|uri: axum::http::Uri| async move {
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no such route: {} (see /openapi.json)", uri.path()),
        )
    })
    .method_not_allowed_fallback(|method: axum::http::Method, uri: axum::http::Uri| async move {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format!(
                "method {method} is not allowed on {} (see /openapi.json)",
                uri.path()
            ),
        )
    })
    // We read bodies ourselves with our own limit and message; this is a backstop.
    .layer(DefaultBodyLimit::max(tlog::MAX_ENTRY_BYTES + 1))
    .layer(TimeoutLayer::with_status_code(
        StatusCode::REQUEST_TIMEOUT,
        Duration::from_millis(config.request_timeout_ms),
    ))
    .layer(axum::middleware::from_fn(limit_uri))
    .layer(axum::middleware::map_response(json_errors))
    // A failed request is a debug event: its cause (a storage outage, a stopped sequencer) is
    // reported once where it happens, not once per request answered 5xx while it lasts.
    .layer(TraceLayer::new_for_http().on_failure(DefaultOnFailure::new().level(tracing::Level::DEBUG)))
    .with_state(state)
}

/// 429 with `Retry-After` and a JSON body when the peer's address is over its rate limit
/// (`/healthz` is never limited, so liveness probes keep working). The peer's address comes
/// from [`crate::conn`], which stores it in every request.
async fn limit_rate(
    State(st): State<Arc<AppState>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let peer = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    if let Some(ip) = peer
        && req.uri().path() != "/healthz"
        && let Err(l) = st.limits.check_address(ip)
    {
        st.metrics.rate_limited_address();
        tracing::warn!(%ip, "rate limited (per address)");
        return ApiError::limited(l).into_response();
    }
    next.run(req).await
}

/// 414 with a JSON body for a request target longer than [`MAX_URI_BYTES`].
async fn limit_uri(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let len = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if len > MAX_URI_BYTES {
        return ApiError::new(
            StatusCode::URI_TOO_LONG,
            format!("request target of {len} bytes exceeds the limit of {MAX_URI_BYTES} bytes"),
        )
        .into_response();
    }
    next.run(req).await
}

/// Gives every error answer that is not JSON (the request timeout's 408, the body limit's 413,
/// extractor rejections) the `{"error": message}` body, keeping its status and headers.
async fn json_errors(r: Response) -> Response {
    let status = r.status();
    let is_json = r
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return r;
    }
    let (parts, body) = r.into_parts();
    let reason = status.canonical_reason().unwrap_or("error").to_owned();
    let message = match axum::body::to_bytes(body, 4096).await {
        Ok(b) if !b.trim_ascii().is_empty() => String::from_utf8_lossy(b.trim_ascii()).into_owned(),
        Ok(_) => reason,
        Err(e) => format!("{reason} ({e})"),
    };
    let mut out = ApiError::new(status, message).into_response();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}

/// A failed request: status and message, rendered as `{"error": message}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
    /// The metrics reason of a refused submission, when the status alone does not say it.
    reason: Option<&'static str>,
    /// `Retry-After` of a 429, in seconds.
    retry_after_s: Option<u64>,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            reason: None,
            retry_after_s: None,
        }
    }

    /// 429 Too Many Requests for a rate limit, with its `Retry-After`.
    fn limited(l: crate::ratelimit::Limited) -> Self {
        Self {
            status: StatusCode::TOO_MANY_REQUESTS,
            message: l.message,
            reason: Some("rate_limited"),
            retry_after_s: Some(l.retry_after_s),
        }
    }

    /// The same error, counted under `reason` in the metrics.
    fn counted_as(mut self, reason: &'static str) -> Self {
        self.reason = Some(reason);
        self
    }

    /// The metrics reason of this error as a refused submission.
    fn reason(&self) -> &'static str {
        self.reason.unwrap_or_else(|| reason_of(self.status))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = (
            self.status,
            axum::Json(serde_json::json!({ "error": self.message })),
        )
            .into_response();
        if let Some(s) = self.retry_after_s {
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(s));
        } else if self.status == StatusCode::SERVICE_UNAVAILABLE {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        r.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(CACHE_NONE));
        r
    }
}

/// The body of every error answer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// What was wrong with the request, or what failed.
    pub error: String,
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

/// Answer of `POST /add` and `GET /lookup`.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
pub struct AddResponse {
    /// Index of the entry in the log.
    pub index: u64,
}

/// Submit one entry; answered once it is durably in the log.
#[utoipa::path(
    post,
    path = "/add",
    tag = "write",
    request_body(
        content = Vec<u8>,
        content_type = "application/octet-stream",
        description = "The entry: 1 to `max_entry_bytes` (at most 65 535) bytes."
    ),
    responses(
        (status = 200, description = "The entry's index; it is in a durable, signed checkpoint \
            (with witnesses: in a published checkpoint they cosigned). Submitting an entry already \
            in the log returns its existing index.", body = AddResponse),
        (status = 400, description = "Empty body.", body = ErrorBody),
        (status = 413, description = "Entry larger than the limit.", body = ErrorBody),
        (status = 403, description = "Refused by admission control (e.g. not signed by a \
            registered key); the message gives the reason. Only with admission configured.", body = ErrorBody),
        (status = 409, description = "Refused by admission control (e.g. a replayed sequence \
            number). Only with admission configured.", body = ErrorBody),
        (status = 413, description = "Entry larger than the limit.", body = ErrorBody),
        (status = 415, description = "Content-Type is not application/octet-stream.", body = ErrorBody),
        (status = 422, description = "Refused by admission control (malformed statement). Only \
            with admission configured.", body = ErrorBody),
        (status = 503, description = "Queue full or sequencer stopped; retry after `Retry-After` \
            seconds. With witnesses: the entry is logged but no cosigned checkpoint covered it within \
            `publish_wait_ms`; resubmitting returns its index.", body = ErrorBody),
    )
)]
async fn serve_add(State(st): State<Arc<AppState>>, headers: HeaderMap, body: Body) -> Response {
    let r = match process_add(&st, &headers, body).await {
        Ok(index) => wait_published(&st, index).await.map(|()| index),
        Err(e) => Err(e),
    };
    match r {
        Ok(index) => (StatusCode::OK, axum::Json(AddResponse { index })).into_response(),
        Err(e) => {
            st.metrics.rejected(e.reason());
            e.into_response()
        }
    }
}

/// With witnesses, an acknowledgement promises that a published, cosigned checkpoint covers the
/// entry: waits for one (at most `publish_wait_ms`), else 503. The entry stays logged either way.
async fn wait_published(st: &AppState, index: u64) -> Result<(), ApiError> {
    let Some(p) = &st.published else {
        return Ok(());
    };
    if p.wait_covering(index, st.publish_wait).await {
        return Ok(());
    }
    tracing::warn!(
        index,
        published_size = p.size(),
        "no cosigned checkpoint covers an acknowledged entry yet"
    );
    Err(ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        format!(
            "entry {index} is durably logged, but no checkpoint covering it was cosigned by the \
             witnesses within {} ms (published tree size {}); resubmit the same request for its \
             index once the witnesses answer",
            st.publish_wait.as_millis(),
            p.size()
        ),
    )
    .counted_as("unpublished"))
}

/// The metrics reason of a refused submission.
fn reason_of(status: StatusCode) -> &'static str {
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "content_type",
        StatusCode::BAD_REQUEST => "empty",
        StatusCode::SERVICE_UNAVAILABLE => "unavailable",
        StatusCode::FORBIDDEN | StatusCode::CONFLICT | StatusCode::UNPROCESSABLE_ENTITY => "admission",
        _ => "error",
    }
}

/// 415 unless the request's content type is `application/octet-stream` (parameters allowed).
fn check_octet_stream(headers: &HeaderMap) -> Result<(), ApiError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = ct.split(';').next().unwrap_or("").trim();
    if mime.eq_ignore_ascii_case(OCTET_STREAM) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("Content-Type must be {OCTET_STREAM}, got {ct:?}"),
        ))
    }
}

/// 413 when `Content-Length` declares more than `limit` bytes (or is not a number: 400), before
/// the body is used. A declared body within [`DRAIN_BYTES`] is first read and dropped, for at most
/// [`DRAIN_WAIT`]: a client still sending it then gets the 413 on an intact connection rather than a
/// reset (which an HTTP client reports as a failed request, not as the answer), and one that sends
/// nothing more gets it when the wait ends. A larger one is answered at once.
async fn check_content_length(
    headers: &HeaderMap,
    limit: usize,
    what: &str,
    body: Body,
) -> Result<Body, ApiError> {
    let Some(v) = headers.get(header::CONTENT_LENGTH) else {
        return Ok(body);
    };
    let len: u64 = v
        .to_str()
        .ok()
        .and_then(|t| t.trim().parse().ok())
        .ok_or_else(|| ApiError::new(StatusCode::BAD_REQUEST, "Content-Length is not a number"))?;
    if len <= limit as u64 {
        return Ok(body);
    }
    if len <= DRAIN_BYTES as u64 {
        let drained = tokio::time::timeout(DRAIN_WAIT, axum::body::to_bytes(body, DRAIN_BYTES)).await;
        // The answer is the 413 whatever the drain met; what it met is only worth a debug line.
        match drained {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::debug!(error = %e, "reading an oversized body to drop it"),
            Err(_) => tracing::debug!("an oversized body did not arrive within the drain's wait"),
        }
    }
    Err(ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("Content-Length {len} exceeds the limit of {limit} bytes for {what}"),
    ))
}

/// Checks the content type and size, then submits and waits for the durable acknowledgement.
async fn process_add(st: &AppState, headers: &HeaderMap, body: Body) -> Result<u64, ApiError> {
    check_octet_stream(headers)?;
    let body = check_content_length(headers, st.max_entry_bytes, "an entry", body).await?;
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("entry exceeds the limit of {} bytes", st.max_entry_bytes),
        )
    };
    // An oversized body is still read (and dropped) up to DRAIN_BYTES, so that the client, which
    // is still sending it, gets its 413 on an intact connection instead of a reset.
    let bytes: Bytes = axum::body::to_bytes(body, DRAIN_BYTES.max(st.max_entry_bytes))
        .await
        .map_err(|_| too_large())?;
    if bytes.len() > st.max_entry_bytes {
        return Err(too_large());
    }
    if bytes.is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "empty entry: the body must hold 1 or more bytes",
        ));
    }
    let queued = std::time::Instant::now();
    let Some(admission) = &st.admission else {
        let index = st.sequencer.submit(bytes.to_vec()).await?;
        st.metrics.observe_ack(queued.elapsed());
        return Ok(index);
    };
    // Idempotence comes first: an entry already in the log gets its index, not a "replay". A storage
    // error is a 500, never taken for "not in the log" (that would admit a duplicate as new).
    if let Some(index) = st.reader.find(tlog::merkle::record_hash(&bytes))? {
        st.metrics.duplicates_answered(1);
        st.metrics.observe_ack(queued.elapsed());
        return Ok(index);
    }
    // Admit and queue under one lock, so entries are sequenced in the order they were admitted.
    let pending = {
        let _order = st.admission_order.lock().map_err(|_| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "admission state poisoned; restart the server",
            )
        })?;
        let admitted = match admission.admit(&bytes) {
            Ok(a) => a,
            Err(r) => {
                let status = StatusCode::from_u16(r.status)
                    .ok()
                    .filter(|s| s.is_client_error())
                    .unwrap_or(StatusCode::FORBIDDEN);
                return Err(ApiError::new(
                    status,
                    format!("rejected, reason {}: {}", r.reason, r.message),
                ));
            }
        };
        if let Some(signer) = &admitted.signer
            && let Err(l) = st.limits.check_signer(signer, 1)
        {
            admission.release(&bytes);
            tracing::warn!(signer, "rate limited (per signer)");
            return Err(ApiError::limited(l));
        }
        match st.sequencer.enqueue(bytes.to_vec()) {
            Ok(p) => p,
            Err(e) => {
                admission.release(&bytes);
                return Err(e.into());
            }
        }
    };
    match pending.await {
        Ok(index) => {
            st.metrics.observe_ack(queued.elapsed());
            Ok(index)
        }
        Err(e) => {
            admission.release(&bytes);
            Err(e.into())
        }
    }
}

/// Answer of `POST /add-batch`.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
pub struct AddBatchResponse {
    /// Index of each entry in the log, in the order of the request.
    pub indexes: Vec<u64>,
}

/// Submit several entries in one request; answered once all of them are durably in the log.
#[utoipa::path(
    post,
    path = "/add-batch",
    tag = "write",
    request_body(
        content = Vec<u8>,
        content_type = "application/octet-stream",
        description = "1 to `max_batch_entries` (default 1 024) entries in the entry-bundle framing \
            of c2sp.org/tlog-tiles: for each entry a 2-byte big-endian length, then its 1 to \
            `max_entry_bytes` bytes."
    ),
    responses(
        (status = 200, description = "The entries' indexes, in the order of the request; all \
            are in a durable, signed checkpoint (with witnesses: in a published checkpoint they \
            cosigned). An entry already in the log (or repeated in the request) gets its existing \
            index.", body = AddBatchResponse),
        (status = 400, description = "Empty body, truncated framing or an empty entry; the \
            message names the entry's position (counting from 0). Nothing is logged.", body = ErrorBody),
        (status = 403, description = "An entry was refused by admission control; the message \
            names its position and the reason. No entry of the request is logged. Only with \
            admission configured.", body = ErrorBody),
        (status = 409, description = "As 403 (e.g. a replayed sequence number).", body = ErrorBody),
        (status = 413, description = "More than `max_batch_entries` entries, or an entry larger \
            than `max_entry_bytes` (its position is named). Nothing is logged.", body = ErrorBody),
        (status = 415, description = "Content-Type is not application/octet-stream.", body = ErrorBody),
        (status = 422, description = "As 403 (malformed statement).", body = ErrorBody),
        (status = 503, description = "Queue full or sequencer stopped; retry after `Retry-After` \
            seconds. Entries queued before the queue filled may still be logged: resubmitting the \
            same batch is safe, they keep their indexes.", body = ErrorBody),
    )
)]
async fn serve_add_batch(State(st): State<Arc<AppState>>, headers: HeaderMap, body: Body) -> Response {
    let r = match process_add_batch(&st, &headers, body).await {
        Ok(indexes) => match indexes.iter().max() {
            Some(&last) => wait_published(&st, last).await.map(|()| indexes),
            None => Ok(indexes),
        },
        Err(e) => Err(e),
    };
    match r {
        Ok(indexes) => (StatusCode::OK, axum::Json(AddBatchResponse { indexes })).into_response(),
        Err(e) => {
            st.metrics.rejected(e.reason());
            e.into_response()
        }
    }
}

/// Splits a batch body (entry-bundle framing) into its entries, checking the count and sizes.
fn split_batch(body: &[u8], max_entries: usize, max_entry_bytes: usize) -> Result<Vec<&[u8]>, ApiError> {
    if body.is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "empty batch: the body must hold 1 or more entries, each a 2-byte big-endian length \
             and its bytes",
        ));
    }
    let mut out = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        let pos = out.len();
        if pos >= max_entries {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("batch holds more than {max_entries} entries (the limit)"),
            ));
        }
        let [a, b, tail @ ..] = rest else {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("entry {pos}: truncated framing: 1 byte left where a 2-byte length was expected"),
            )
            .counted_as("framing"));
        };
        let len = usize::from(u16::from_be_bytes([*a, *b]));
        if len == 0 {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("entry {pos}: empty entry: every entry must hold 1 or more bytes"),
            ));
        }
        if len > max_entry_bytes {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("entry {pos}: {len} bytes exceeds the limit of {max_entry_bytes} bytes"),
            ));
        }
        let Some((entry, after)) = tail.split_at_checked(len) else {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                format!(
                    "entry {pos}: truncated framing: length {len} but only {} bytes left",
                    tail.len()
                ),
            )
            .counted_as("framing"));
        };
        out.push(entry);
        rest = after;
    }
    Ok(out)
}

/// Checks the content type, framing, count and sizes; admits every entry (all or none); queues
/// them in order and waits until all are durable.
async fn process_add_batch(st: &AppState, headers: &HeaderMap, body: Body) -> Result<Vec<u64>, ApiError> {
    check_octet_stream(headers)?;
    let limit = st.max_batch_entries.saturating_mul(2 + st.max_entry_bytes);
    let body = check_content_length(headers, limit, "a batch", body).await?;
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "batch body exceeds {limit} bytes ({} entries of at most {} bytes, framed)",
                st.max_batch_entries, st.max_entry_bytes
            ),
        )
    };
    // As in `/add`, an oversized body is read (and dropped) up to DRAIN_BYTES so that the client
    // gets its 413 on an intact connection.
    let bytes: Bytes = axum::body::to_bytes(body, DRAIN_BYTES.max(limit))
        .await
        .map_err(|_| too_large())?;
    if bytes.len() > limit {
        return Err(too_large());
    }
    let entries = split_batch(&bytes, st.max_batch_entries, st.max_entry_bytes)?;
    let queued = std::time::Instant::now();
    let Some(admission) = &st.admission else {
        // The sequencer deduplicates against the log and within its batch.
        let mut pending = Vec::with_capacity(entries.len());
        for e in &entries {
            pending.push(st.sequencer.enqueue(e.to_vec())?);
        }
        let mut indexes = Vec::with_capacity(pending.len());
        for p in pending {
            indexes.push(p.await?);
        }
        for _ in &indexes {
            st.metrics.observe_ack(queued.elapsed());
        }
        return Ok(indexes);
    };
    // Idempotence first: entries already in the log get their index, not a "replay"; an entry
    // repeated in the request is admitted once and shares the first copy's index.
    let mut slots: Vec<Slot> = Vec::with_capacity(entries.len());
    let mut first: std::collections::HashMap<&[u8], usize> = std::collections::HashMap::new();
    let mut fresh: Vec<(usize, &[u8])> = vec![];
    for (pos, e) in entries.iter().enumerate() {
        if let Some(index) = st.reader.find(tlog::merkle::record_hash(e))? {
            slots.push(Slot::Known(index));
        } else if let Some(&k) = first.get(e) {
            slots.push(Slot::Same(k));
        } else {
            first.insert(e, fresh.len());
            slots.push(Slot::Fresh(fresh.len()));
            fresh.push((pos, e));
        }
    }
    // Admit all, then queue all, under one lock: entries are sequenced in the order they were
    // admitted, and a refusal leaves nothing of the request admitted or queued.
    let pending = {
        let _order = st.admission_order.lock().map_err(|_| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "admission state poisoned; restart the server",
            )
        })?;
        let mut per_signer: std::collections::BTreeMap<String, u32> = Default::default();
        for (k, (pos, e)) in fresh.iter().enumerate() {
            match admission.admit(e) {
                Ok(a) => {
                    if let Some(s) = a.signer {
                        *per_signer.entry(s).or_default() += 1;
                    }
                }
                Err(r) => {
                    for (_, done) in &fresh[..k] {
                        admission.release(done);
                    }
                    let status = StatusCode::from_u16(r.status)
                        .ok()
                        .filter(|s| s.is_client_error())
                        .unwrap_or(StatusCode::FORBIDDEN);
                    return Err(ApiError::new(
                        status,
                        format!(
                            "entry {pos} rejected, reason {}: {}; no entry of the batch was logged",
                            r.reason, r.message
                        ),
                    ));
                }
            }
        }
        // Each signer spends one token per entry of the batch; over the limit, nothing is logged.
        for (signer, n) in &per_signer {
            if let Err(l) = st.limits.check_signer(signer, *n) {
                for (_, done) in &fresh {
                    admission.release(done);
                }
                tracing::warn!(signer, entries = n, "rate limited (per signer)");
                let mut e = ApiError::limited(l);
                e.message.push_str("; no entry of the batch was logged");
                return Err(e);
            }
        }
        let mut pending = Vec::with_capacity(fresh.len());
        for (k, (_, e)) in fresh.iter().enumerate() {
            match st.sequencer.enqueue(e.to_vec()) {
                Ok(p) => pending.push(p),
                Err(err) => {
                    // Those already queued will be logged; the rest are given back.
                    for (_, rest) in &fresh[k..] {
                        admission.release(rest);
                    }
                    return Err(err.into());
                }
            }
        }
        pending
    };
    let mut fresh_index = Vec::with_capacity(pending.len());
    let mut failure = None;
    for (p, (_, e)) in pending.into_iter().zip(&fresh) {
        match p.await {
            Ok(index) => fresh_index.push(index),
            Err(err) => {
                admission.release(e);
                failure.get_or_insert(err);
            }
        }
    }
    if let Some(err) = failure {
        return Err(err.into());
    }
    let indexes: Vec<u64> = slots
        .iter()
        .map(|s| match *s {
            Slot::Known(i) => i,
            Slot::Fresh(k) | Slot::Same(k) => fresh_index[k],
        })
        .collect();
    let answered = slots.iter().filter(|s| !matches!(s, Slot::Fresh(_))).count();
    st.metrics.duplicates_answered(answered as u64);
    for _ in &indexes {
        st.metrics.observe_ack(queued.elapsed());
    }
    Ok(indexes)
}

/// Where a batch entry's index comes from.
#[derive(Clone, Copy)]
enum Slot {
    /// Already in the log.
    Known(u64),
    /// The `k`-th entry to admit and queue.
    Fresh(usize),
    /// A repeat of the `k`-th entry to admit and queue.
    Same(usize),
}

/// The latest signed checkpoint (c2sp.org/tlog-checkpoint as a c2sp.org/signed-note).
#[utoipa::path(
    get,
    path = "/checkpoint",
    tag = "read",
    responses(
        (status = 200, description = "The checkpoint note (with witnesses configured, the latest \
            one they cosigned, cosignature lines included).", body = String, content_type = "text/plain; charset=utf-8"),
        (status = 503, description = "With witnesses configured: no checkpoint cosigned yet.", body = ErrorBody),
    )
)]
async fn serve_checkpoint(State(st): State<Arc<AppState>>) -> Response {
    let note = match &st.published {
        // With witnesses, only cosigned checkpoints are published.
        Some(p) => match p.get() {
            Some(n) => n,
            None => {
                return ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "no checkpoint has been cosigned by the witnesses yet",
                )
                .into_response();
            }
        },
        None => st.reader.snapshot().checkpoint,
    };
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, CACHE_NONE),
        ],
        note.as_ref().clone(),
    )
        .into_response()
}

/// A hash tile or entry bundle (c2sp.org/tlog-tiles).
#[utoipa::path(
    get,
    path = "/tile/{path}",
    tag = "read",
    params(("path" = String, Path, description = "The rest of the tile path, slashes included: \
        `<L>/<N>[.p/<W>]` for a hash tile of level L, `entries/<N>[.p/<W>]` for an entry bundle; \
        N in three-digit groups with x prefixes (e.g. `0/x001/234.p/5`).")),
    responses(
        (status = 200, description = "The tile. Full tiles are immutable (cached for a year); \
            partial ones for 10 s.", body = Vec<u8>, content_type = "application/octet-stream"),
        (status = 400, description = "Malformed tile path.", body = ErrorBody),
        (status = 404, description = "No such tile in the committed tree.", body = ErrorBody),
    )
)]
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
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InclusionQuery {
    /// Entry index.
    pub index: u64,
    /// Tree size (default: the current one).
    pub size: Option<u64>,
}

/// Answer of `GET /proof/inclusion`. Hashes are base64.
#[derive(Debug, Serialize, Deserialize, Clone, PartialEq, Eq, ToSchema)]
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
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConsistencyQuery {
    /// Older tree size (at least 1).
    pub old: u64,
    /// Newer tree size (default: the current one).
    pub new: Option<u64>,
}

/// Answer of `GET /proof/consistency`. Hashes are base64.
#[derive(Debug, Serialize, Deserialize, Clone, PartialEq, Eq, ToSchema)]
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

/// RFC 6962 inclusion proof (audit path) of an entry.
#[utoipa::path(
    get,
    path = "/proof/inclusion",
    tag = "proofs",
    params(InclusionQuery),
    responses(
        (status = 200, description = "The proof.", body = InclusionResponse),
        (status = 400, description = "Bad or missing parameter, index not below size, or size \
            beyond the current tree.", body = ErrorBody),
    )
)]
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

/// RFC 6962 consistency proof between two tree sizes.
#[utoipa::path(
    get,
    path = "/proof/consistency",
    tag = "proofs",
    params(ConsistencyQuery),
    responses(
        (status = 200, description = "The proof.", body = ConsistencyResponse),
        (status = 400, description = "Bad or missing parameter, or not 1 <= old <= new <= current size.", body = ErrorBody),
    )
)]
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
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LookupQuery {
    /// RFC 6962 leaf hash of the entry, base64.
    pub hash: String,
}

/// The index of an entry, by its RFC 6962 leaf hash.
#[utoipa::path(
    get,
    path = "/lookup",
    tag = "read",
    params(LookupQuery),
    responses(
        (status = 200, description = "The entry's index.", body = AddResponse),
        (status = 400, description = "The hash is not 32 bytes of standard base64.", body = ErrorBody),
        (status = 404, description = "No entry with that hash.", body = ErrorBody),
    )
)]
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

/// Liveness: 200 while the sequencer runs.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    responses(
        (status = 200, description = "Serving.", body = String, content_type = "text/plain"),
        (status = 503, description = "The sequencer stopped after a storage error, or the scale-out storage (database or bucket) does not answer.", body = ErrorBody),
    )
)]
async fn serve_healthz(State(st): State<Arc<AppState>>) -> Response {
    if let Some(problem) = st.backend.as_ref().and_then(|(b, _)| b.problem()) {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, problem).into_response()
    } else if st.sequencer.stats().failed.load(Ordering::Relaxed) {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the sequencer has stopped after a storage error",
        )
        .into_response()
    } else {
        ([(header::CACHE_CONTROL, CACHE_NONE)], "ok\n").into_response()
    }
}

/// Metrics in the Prometheus text format (0.0.4).
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    responses((status = 200, description = "Counters and gauges.", body = String, content_type = "text/plain; version=0.0.4"))
)]
async fn serve_metrics(State(st): State<Arc<AppState>>) -> Response {
    let cosigned_age = st.published.as_ref().map(|p| p.age_s());
    let mut text = st
        .metrics
        .render(&st.sequencer, &st.reader.snapshot(), cosigned_age);
    crate::metrics::render_connections(&mut text, &st.connections, &st.ops_connections);
    if let Some((b, c)) = &st.backend {
        b.render(&mut text);
        c.render(&mut text);
    }
    (
        [
            (header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8"),
            (header::CACHE_CONTROL, CACHE_NONE),
        ],
        text,
    )
        .into_response()
}

/// This API's OpenAPI 3.1 document (generated once, on first request).
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "operations",
    responses((status = 200, description = "The OpenAPI document.", body = Object, content_type = "application/json"))
)]
async fn serve_openapi() -> Response {
    static JSON: std::sync::OnceLock<Bytes> = std::sync::OnceLock::new();
    let json = JSON.get_or_init(|| {
        openapi().to_pretty_json().map_or_else(
            |e| Bytes::from(format!("{{\"error\": \"OpenAPI document: {e}\"}}")),
            Bytes::from,
        )
    });
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, CACHE_NONE),
        ],
        json.clone(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::split_batch;

    fn framed(entries: &[Vec<u8>]) -> Vec<u8> {
        let mut b = Vec::new();
        for e in entries {
            b.extend_from_slice(&u16::try_from(e.len()).expect("short").to_be_bytes());
            b.extend_from_slice(e);
        }
        b
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

        /// Arbitrary bodies: never a panic; what splits is re-framed into the same bytes and
        /// respects the limits; truncations are counted as `framing`.
        #[test]
        fn split_batch_never_panics(body in proptest::collection::vec(any::<u8>(), 0..600), max_entries in 1usize..20, max_bytes in 1usize..300) {
            match split_batch(&body, max_entries, max_bytes) {
                Ok(entries) => {
                    prop_assert!(!entries.is_empty() && entries.len() <= max_entries);
                    prop_assert!(entries.iter().all(|e| !e.is_empty() && e.len() <= max_bytes));
                    let owned: Vec<Vec<u8>> = entries.iter().map(|e| e.to_vec()).collect();
                    prop_assert_eq!(framed(&owned), body);
                }
                Err(e) => prop_assert!(e.status.is_client_error()),
            }
        }

        /// Framed entries split back; any cut inside the framing is a `framing` error.
        #[test]
        fn framed_entries_split_back_and_cuts_are_framing_errors(
            entries in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..50), 1..20),
            cut in any::<prop::sample::Index>(),
        ) {
            let body = framed(&entries);
            let got = split_batch(&body, 20, 50).expect("splits");
            prop_assert_eq!(got.iter().map(|e| e.to_vec()).collect::<Vec<_>>(), entries.clone());
            let at = cut.index(body.len());
            let mut ends = vec![0];
            for e in &entries {
                ends.push(ends.last().copied().unwrap_or(0) + 2 + e.len());
            }
            match split_batch(&body[..at], 20, 50) {
                Ok(_) => prop_assert!(at > 0 && ends.contains(&at)),
                Err(e) if at == 0 => prop_assert_eq!(e.reason(), "empty"),
                Err(e) => {
                    prop_assert!(!ends.contains(&at));
                    prop_assert_eq!(e.reason(), "framing");
                }
            }
        }
    }
}
