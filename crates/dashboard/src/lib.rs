//! `shieldwatch dashboard`: a local web app over the capability study (`shared/DESIGN.md` §7).
//!
//! [`router`] is an axum router that serves the page (TypeScript under `web/`, built by vite in
//! `build.rs` and embedded with `rust-embed`, so the binary needs no second server and no network) and
//! its JSON API:
//!
//! | route | what |
//! |---|---|
//! | `GET /api/scenario` | the scenario and the disputed parameters the page offers, with their sourced ranges and physical limits ([`model::ScenarioView`]) |
//! | `POST /api/study` | the study at the given parameter values ([`model::StudyRequest`] → [`model::StudyView`]); HTTP 409 when a newer request superseded it ([`engine`]) |
//! | `GET /api/map.svg` | the latest study's map, drawn by the render layer's map writer (`defence::report::map_svg`) |
//! | `POST /api/footprints` | starts a footprint map ([`model::FootprintRequest`]) in the background, superseding any still running; HTTP 202 with the job ([`model::FootprintJobView`], [`footprint`]) |
//! | `GET /api/footprints/{id}` | the job's state and progress (grid points done of all) |
//! | `DELETE /api/footprints/{id}` | stops the job before its next grid row |
//! | `GET /api/footprints/{id}/footprint.geojson` | the finished map's polygons, sites and tracks (`defence::maps::footprint_geojson`) |
//! | `GET /api/footprints/{id}/map.svg` | the finished map in 2-D (`defence::maps::footprint_svg`) |
//! | `GET /api/verification` | what the verification view reads: logs, monitor folder, trust file, reporting period ([`model::VerificationView`]) |
//! | `GET /api/trust` | the trust file as data, the only keys the browser checks evidence against ([`model::TrustView`]) |
//! | `GET /api/logs/{i}/status` | log `i`'s checkpoint, its log signature and witness cosignatures checked against the trust file ([`model::LogStatus`]) |
//! | `GET /api/logs/{i}/timelines` | log `i`'s statements per sensor, gaps longer than the reporting period marked ([`model::TimelinesView`]) |
//! | `GET /api/alerts` | the monitor's alert files ([`model::AlertsView`]) |
//! | `GET /api/alerts/{file}` | one alert file, as the monitor wrote it |
//!
//! The logs are read as a client (`server::client::Client`, see [`verification`]); a log that does not
//! answer, or answers with an error, is an HTTP 502 with a JSON body naming it.
//!
//! Parameter values are checked by `defence::sweep::set_params` against the one table of
//! `defence::params`, so the page and `shieldwatch sweep --param` refuse the same values with the same
//! messages. Every error is an HTTP 4xx (bad input) or 5xx with a JSON body `{"error": "…"}`
//! ([`model::ErrorBody`]); nothing on input panics.

pub mod engine;
pub mod footprint;
pub mod globe;
pub mod model;
pub mod verification;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use defence::scenario::Scenario;

pub use engine::Engine;
use model::{ErrorBody, FootprintRequest, StudyRequest};
pub use verification::{Verification, VerificationConfig};

/// The page's built assets (vite's output, embedded at compile time).
#[derive(rust_embed::RustEmbed)]
#[folder = "$DASHBOARD_DIST"]
struct Assets;

/// Why a request failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DashboardError {
    /// The request is not well-formed JSON of the expected shape (HTTP 400).
    #[error("{0}")]
    BadRequest(String),
    /// A value the study refuses: outside a parameter's physical limits, an unknown path, a battery that
    /// cannot be set up (HTTP 422).
    #[error("{0}")]
    Invalid(String),
    /// Nothing at that address (HTTP 404).
    #[error("{0}")]
    NotFound(String),
    /// A log the dashboard reads does not answer, answers with an error or serves something that does
    /// not verify (HTTP 502).
    #[error("{0}")]
    BadGateway(String),
    /// A newer request superseded this one before it completed (HTTP 409).
    #[error("{0}")]
    Superseded(String),
    /// What was asked for does not exist yet, or no longer: a footprint still computing, cancelled or
    /// failed (HTTP 409).
    #[error("{0}")]
    Conflict(String),
    /// The route exists but not for that method (HTTP 405).
    #[error("{0}")]
    MethodNotAllowed(String),
    /// A fault of the server itself (HTTP 500).
    #[error("{0}")]
    Internal(String),
}

impl DashboardError {
    fn status(&self) -> StatusCode {
        match self {
            DashboardError::BadRequest(_) => StatusCode::BAD_REQUEST,
            DashboardError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            DashboardError::NotFound(_) => StatusCode::NOT_FOUND,
            DashboardError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            DashboardError::Superseded(_) | DashboardError::Conflict(_) => StatusCode::CONFLICT,
            DashboardError::BadGateway(_) => StatusCode::BAD_GATEWAY,
            DashboardError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for DashboardError {
    fn into_response(self) -> Response {
        let status = self.status();
        (
            status,
            Json(ErrorBody {
                error: self.to_string(),
            }),
        )
            .into_response()
    }
}

impl From<JsonRejection> for DashboardError {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::MissingJsonContentType(_) => DashboardError::BadRequest(
                "the request body must be JSON (Content-Type: application/json)".into(),
            ),
            other => DashboardError::BadRequest(other.body_text()),
        }
    }
}

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
    engine: Arc<Engine>,
    verification: Arc<Verification>,
    footprints: Arc<footprint::Jobs>,
}

/// The dashboard's router for a scenario, without logs, alerts or trust file.
pub fn router(scenario: Scenario) -> Router {
    router_with(scenario, Verification::none())
}

/// The dashboard's router for a scenario and what the verification view reads.
pub fn router_with(scenario: Scenario, verification: Verification) -> Router {
    let state = AppState {
        engine: Arc::new(Engine::new(scenario)),
        verification: Arc::new(verification),
        footprints: Arc::new(footprint::Jobs::default()),
    };
    Router::new()
        .route("/api/scenario", get(scenario_view).fallback(wrong_method))
        .route("/api/study", post(study).fallback(wrong_method))
        .route("/api/map.svg", get(map_svg).fallback(wrong_method))
        .route("/api/footprints", post(footprint_start).fallback(wrong_method))
        .route(
            "/api/footprints/{id}",
            get(footprint_get)
                .merge(delete(footprint_cancel))
                .fallback(wrong_method),
        )
        .route(
            "/api/footprints/{id}/footprint.geojson",
            get(footprint_geojson).fallback(wrong_method),
        )
        .route(
            "/api/footprints/{id}/map.svg",
            get(footprint_svg).fallback(wrong_method),
        )
        .route("/api/verification", get(verification_view).fallback(wrong_method))
        .route("/api/trust", get(trust_view).fallback(wrong_method))
        .route("/api/logs/{i}/status", get(log_status).fallback(wrong_method))
        .route(
            "/api/logs/{i}/timelines",
            get(log_timelines).fallback(wrong_method),
        )
        .route("/api/alerts", get(alerts).fallback(wrong_method))
        .route("/api/alerts/{file}", get(alert_file).fallback(wrong_method))
        .route("/api/{*rest}", axum::routing::any(api_not_found))
        .fallback(asset)
        .with_state(state)
}

async fn scenario_view(State(st): State<AppState>) -> Json<model::ScenarioView> {
    Json(st.engine.scenario_view())
}

async fn study(
    State(st): State<AppState>,
    body: Result<Json<StudyRequest>, JsonRejection>,
) -> Result<Json<model::StudyView>, DashboardError> {
    let Json(req) = body?;
    let engine = st.engine.clone();
    let view = tokio::task::spawn_blocking(move || engine.study(&req))
        .await
        .map_err(|e| DashboardError::Internal(format!("the study stopped: {e}")))??;
    Ok(Json(view))
}

async fn map_svg(State(st): State<AppState>) -> Result<Response, DashboardError> {
    let study = st.engine.latest()?.ok_or_else(|| {
        DashboardError::NotFound("no study has been computed yet: POST /api/study first".into())
    })?;
    let svg = tokio::task::spawn_blocking(move || defence::report::map_svg(&study))
        .await
        .map_err(|e| DashboardError::Internal(format!("drawing the map stopped: {e}")))?
        .map_err(|e| DashboardError::Internal(format!("drawing the map: {e}")))?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}

async fn footprint_start(
    State(st): State<AppState>,
    body: Result<Json<FootprintRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<model::FootprintJobView>), DashboardError> {
    let Json(req) = body?;
    let s = st.engine.scenario_with(&req.params)?;
    let job = st.footprints.start(s, &req)?;
    Ok((StatusCode::ACCEPTED, Json(job.view()?)))
}

async fn footprint_get(
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<model::FootprintJobView>, DashboardError> {
    Ok(Json(st.footprints.get(&id)?.view()?))
}

async fn footprint_cancel(
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<model::FootprintJobView>, DashboardError> {
    let job = st.footprints.get(&id)?;
    job.cancel();
    Ok(Json(job.view()?))
}

/// A finished footprint drawn by one of the render layer's writers.
async fn footprint_drawn<E: std::fmt::Display + Send + 'static>(
    st: &AppState,
    id: &str,
    draw: fn(&defence::footprint::Footprint) -> Result<String, E>,
    mime: &'static str,
) -> Result<Response, DashboardError> {
    let fp = st.footprints.get(id)?.map()?;
    let text = tokio::task::spawn_blocking(move || draw(&fp))
        .await
        .map_err(|e| DashboardError::Internal(format!("drawing the footprint stopped: {e}")))?
        .map_err(|e| DashboardError::Internal(format!("drawing the footprint: {e}")))?;
    Ok(([(header::CONTENT_TYPE, mime)], text).into_response())
}

async fn footprint_geojson(
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, DashboardError> {
    footprint_drawn(&st, &id, defence::maps::footprint_geojson, "application/geo+json").await
}

async fn footprint_svg(
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, DashboardError> {
    footprint_drawn(&st, &id, defence::maps::footprint_svg, "image/svg+xml").await
}

async fn verification_view(State(st): State<AppState>) -> Json<model::VerificationView> {
    Json(st.verification.view())
}

async fn trust_view(State(st): State<AppState>) -> Result<Json<model::TrustView>, DashboardError> {
    Ok(Json(st.verification.trust()?.clone()))
}

/// A log's position in the `--log` list, from the path.
fn log_index(i: &str) -> Result<usize, DashboardError> {
    i.parse().map_err(|_| {
        DashboardError::BadRequest(format!(
            "log {i:?} is not a number: /api/logs/0/… names the first --log"
        ))
    })
}

async fn log_status(
    State(st): State<AppState>,
    Path(i): Path<String>,
) -> Result<Json<model::LogStatus>, DashboardError> {
    Ok(Json(st.verification.status(log_index(&i)?).await?))
}

async fn log_timelines(
    State(st): State<AppState>,
    Path(i): Path<String>,
) -> Result<Json<model::TimelinesView>, DashboardError> {
    Ok(Json(st.verification.timelines(log_index(&i)?).await?))
}

async fn alerts(State(st): State<AppState>) -> Result<Json<model::AlertsView>, DashboardError> {
    Ok(Json(st.verification.alerts()?))
}

async fn alert_file(
    State(st): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, DashboardError> {
    let bytes = st.verification.alert(&file)?;
    Ok(([(header::CONTENT_TYPE, "application/json")], bytes).into_response())
}

async fn wrong_method(req: Request) -> DashboardError {
    DashboardError::MethodNotAllowed(format!(
        "{} is not accepted at {}",
        req.method(),
        req.uri().path()
    ))
}

async fn api_not_found(req: Request) -> DashboardError {
    DashboardError::NotFound(format!("no API route {} {}", req.method(), req.uri().path()))
}

async fn asset(uri: Uri) -> Result<Response, DashboardError> {
    let path = uri.path().trim_start_matches('/');
    let path = if path.is_empty() { "index.html" } else { path };
    let file =
        Assets::get(path).ok_or_else(|| DashboardError::NotFound(format!("no page or asset /{path}")))?;
    let mime = file.metadata.mimetype();
    let mime = HeaderValue::from_str(mime)
        .map_err(|e| DashboardError::Internal(format!("content type of /{path}: {e}")))?;
    Ok(([(header::CONTENT_TYPE, mime)], file.data).into_response())
}

/// Serves the dashboard on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    scenario: Scenario,
    verification: Verification,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router_with(scenario, verification))
        .with_graceful_shutdown(shutdown)
        .await
}

/// The URL a browser opens for a listener's address.
pub fn url(addr: SocketAddr) -> String {
    format!("http://{addr}/")
}
