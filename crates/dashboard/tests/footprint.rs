//! Footprint maps on demand through the router (no socket): a job's progress counted up to its grid's
//! points and its map equal to `defence::footprint::compute` (what `shieldwatch footprint` runs) with
//! the same options, drawn by the render layer's writers; a cancelled job, and one superseded by a
//! newer job, stop computing (no grid row completes after they say so); bad requests of every kind
//! answered by a 4xx with a JSON message.

use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use dashboard::model::{ErrorBody, FootprintJobView, FootprintRequest, JobState};
use defence::scenario::Scenario;
use http_body_util::BodyExt;
use tower::ServiceExt;

fn app() -> Router {
    dashboard::router(Scenario::load("europe-2008").unwrap())
}

async fn call(app: &Router, req: Request<Body>) -> (StatusCode, Option<String>, Vec<u8>) {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let ctype = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_string());
    let body = resp.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, ctype, body)
}

fn post(body: &str) -> Request<Body> {
    Request::post("/api/footprints")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

async fn start(app: &Router, body: &str) -> FootprintJobView {
    let (status, _, bytes) = call(app, post(body)).await;
    assert_eq!(
        status,
        StatusCode::ACCEPTED,
        "{}",
        String::from_utf8_lossy(&bytes)
    );
    serde_json::from_slice(&bytes).unwrap()
}

async fn job(app: &Router, id: u64) -> FootprintJobView {
    let (status, _, bytes) = call(app, get(&format!("/api/footprints/{id}"))).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&bytes));
    serde_json::from_slice(&bytes).unwrap()
}

/// Polls job `id` until `until` holds (at most 10 minutes), checking that its progress never goes back.
async fn wait(app: &Router, id: u64, until: impl Fn(&FootprintJobView) -> bool) -> FootprintJobView {
    let deadline = Instant::now() + Duration::from_secs(600);
    let mut last = 0;
    loop {
        let v = job(app, id).await;
        assert!(v.done_points >= last, "progress went back: {v:?}");
        assert!(v.done_points <= v.total_points, "{v:?}");
        last = v.done_points;
        if until(&v) {
            return v;
        }
        assert!(Instant::now() < deadline, "job {id} never got there: {v:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The answer is a 4xx with a JSON `{"error"}` body; returns the message.
async fn refused(app: &Router, req: Request<Body>, status: StatusCode) -> String {
    let (got, ctype, body) = call(app, req).await;
    assert_eq!(got, status, "{}", String::from_utf8_lossy(&body));
    assert_eq!(ctype.as_deref(), Some("application/json"));
    let e: ErrorBody = serde_json::from_slice(&body).unwrap();
    assert!(!e.error.is_empty());
    e.error
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_footprint_job_counts_its_progress_and_its_map_is_the_commands() {
    let app = app();
    let body = r#"{"map": "defended-area", "site": "Tehran", "resolution_deg": 2,
                   "params": {"interceptors.GBI-2.burnout_speed_mps": 8300}}"#;
    let started = start(&app, body).await;
    assert_eq!(started.total_points, 19 * 27);
    assert!(
        matches!(started.state, JobState::Running | JobState::Done),
        "{started:?}"
    );
    let done = wait(&app, started.id, |v| v.state != JobState::Running).await;
    assert_eq!(done.state, JobState::Done, "{done:?}");
    assert_eq!(done.done_points, done.total_points);
    assert_eq!(done.site.as_deref(), Some("Tehran"));
    assert_eq!(done.speed_mps, Some(8300.0));

    // The map the library computes for the same options, at the same parameter value.
    let mut s = Scenario::load("europe-2008").unwrap();
    defence::sweep::set_params(&mut s, &[("interceptors.GBI-2.burnout_speed_mps", 8300.0)]).unwrap();
    let req: FootprintRequest = serde_json::from_str(body).unwrap();
    let lib = dashboard::footprint::request(&s, &req).unwrap();
    let fp = defence::footprint::compute(&s, &lib, None, &|_| {}, &AtomicBool::new(false)).unwrap();
    let levels: Vec<f64> = done.levels.iter().map(|l| l.level).collect();
    assert_eq!(levels, [5400.0, 6300.0, 7700.0, 8300.0, 9000.0]);
    for (l, c) in done.levels.iter().zip(&fp.contours) {
        assert_eq!(
            (l.level, l.fraction_inside, l.polygons),
            (c.level, c.fraction_inside, c.polygons.len())
        );
    }
    // Something is engaged at 9 km/s and not everything at 5.4 (a map that says something).
    assert!(done.levels[4].fraction_inside > 0.0, "{done:?}");
    assert!(
        done.levels[0].fraction_inside < done.levels[4].fraction_inside,
        "{done:?}"
    );

    let (status, ctype, geojson) = call(
        &app,
        get(&format!("/api/footprints/{}/footprint.geojson", done.id)),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ctype.as_deref(), Some("application/geo+json"));
    let geojson = String::from_utf8(geojson).unwrap();
    assert_eq!(geojson, defence::maps::footprint_geojson(&fp).unwrap());
    // Read back by the geojson crate: a MultiPolygon per level, labelled.
    let fc: geojson::FeatureCollection = geojson.parse().unwrap();
    let polygons: Vec<_> = fc
        .features
        .iter()
        .filter(|f| {
            matches!(
                f.geometry.as_ref().map(|g| &g.value),
                Some(geojson::GeometryValue::MultiPolygon { .. })
            )
        })
        .collect();
    assert_eq!(polygons.len(), 5);
    assert_eq!(polygons[4].property("label").unwrap(), "engaged at 9.0 km/s");

    let (status, ctype, svg) = call(&app, get(&format!("/api/footprints/{}/map.svg", done.id))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ctype.as_deref(), Some("image/svg+xml"));
    let svg = String::from_utf8(svg).unwrap();
    roxmltree::Document::parse(&svg).unwrap();
    assert_eq!(svg, defence::maps::footprint_svg(&fp).unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_or_superseded_footprint_stops_computing() {
    let app = app();
    // Europe at 0.1°: 188 081 points, far more than a fast machine computes between two polls (the
    // test profile is optimised; at 0.25° a fast machine could finish before the cancel arrives).
    let big = r#"{"map": "defended-area", "site": "Tehran", "resolution_deg": 0.1}"#;
    let a = start(&app, big).await;
    assert_eq!(a.total_points, 361 * 521);
    wait(&app, a.id, |v| v.done_points > 0).await;
    let (status, _, bytes) = call(
        &app,
        Request::delete(format!("/api/footprints/{}", a.id))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let asked: FootprintJobView = serde_json::from_slice(&bytes).unwrap();
    assert!(
        matches!(asked.state, JobState::Cancelling | JobState::Cancelled),
        "{asked:?}"
    );
    let stopped = wait(&app, a.id, |v| v.state != JobState::Cancelling).await;
    assert_eq!(stopped.state, JobState::Cancelled, "{stopped:?}");
    assert!(stopped.done_points < stopped.total_points, "{stopped:?}");
    // Stopped means stopped: no row completes afterwards.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(job(&app, a.id).await.done_points, stopped.done_points);
    let message = refused(
        &app,
        get(&format!("/api/footprints/{}/footprint.geojson", a.id)),
        StatusCode::CONFLICT,
    )
    .await;
    assert!(message.contains("cancelled"), "{message}");

    // A newer job supersedes one still running.
    let b = start(&app, big).await;
    wait(&app, b.id, |v| v.done_points > 0).await;
    let message = refused(
        &app,
        get(&format!("/api/footprints/{}/map.svg", b.id)),
        StatusCode::CONFLICT,
    )
    .await;
    assert!(message.contains("still being computed"), "{message}");
    let c = start(
        &app,
        r#"{"map": "radar-coverage", "bounds_deg": [40, 60, 0, 30], "resolution_deg": 5}"#,
    )
    .await;
    let b_end = wait(&app, b.id, |v| v.state == JobState::Cancelled).await;
    assert!(b_end.done_points < b_end.total_points, "{b_end:?}");
    let c_end = wait(&app, c.id, |v| v.state != JobState::Running).await;
    assert_eq!(c_end.state, JobState::Done, "{c_end:?}");
    assert_eq!(c_end.done_points, 5 * 7);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(job(&app, b.id).await.done_points, b_end.done_points);
}

#[tokio::test]
async fn bad_footprint_requests_are_refused_with_a_json_message() {
    let app = app();
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    for (body, status, says) in [
        (
            r#"{"map": "everything"}"#,
            StatusCode::BAD_REQUEST,
            "unknown variant",
        ),
        (
            r#"{"map": "radar-coverage", "colour": 1}"#,
            StatusCode::BAD_REQUEST,
            "unknown field",
        ),
        (
            r#"{"site": "Berlin"}"#,
            StatusCode::BAD_REQUEST,
            "missing field `map`",
        ),
        ("{", StatusCode::BAD_REQUEST, "JSON"),
        (
            r#"{"map": "threat-origin", "bounds_deg": [40, 30, 0, 10]}"#,
            unprocessable,
            "inverted bounds",
        ),
        (
            r#"{"map": "threat-origin", "resolution_deg": 0}"#,
            unprocessable,
            "must be positive",
        ),
        (
            r#"{"map": "threat-origin", "resolution_deg": 0.0001}"#,
            unprocessable,
            "points",
        ),
        (
            r#"{"map": "threat-origin", "site": "Atlantis"}"#,
            unprocessable,
            "no target site \"Atlantis\"",
        ),
        (
            r#"{"map": "defended-area", "site": "Berlin"}"#,
            unprocessable,
            "no launch site \"Berlin\"",
        ),
        (
            r#"{"map": "radar-coverage", "site": "Berlin"}"#,
            unprocessable,
            "no fixed site",
        ),
        (
            r#"{"map": "radar-coverage", "missile": "Shahab-3"}"#,
            unprocessable,
            "flies no missile",
        ),
        (
            r#"{"map": "threat-origin", "missile": "V-2"}"#,
            unprocessable,
            "no missile \"V-2\"",
        ),
        (
            r#"{"map": "threat-origin", "params": {"interceptors.GBI-2.burnout_speed_mps": -1}}"#,
            unprocessable,
            "burnout_speed_mps",
        ),
        (
            r#"{"map": "threat-origin", "params": {"radars.Nowhere.rcs_m2": 1}}"#,
            unprocessable,
            "unknown parameter path",
        ),
    ] {
        let message = refused(&app, post(body), status).await;
        assert!(message.contains(says), "{body}: {message}");
    }
    let message = refused(
        &app,
        Request::post("/api/footprints")
            .body(Body::from(r#"{"map": "radar-coverage"}"#))
            .unwrap(),
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(message.contains("Content-Type"), "{message}");
    let message = refused(&app, get("/api/footprints/7"), StatusCode::NOT_FOUND).await;
    assert!(message.contains("no footprint job 7"), "{message}");
    let message = refused(
        &app,
        get("/api/footprints/seven/map.svg"),
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(message.contains("\"seven\""), "{message}");
    refused(&app, get("/api/footprints"), StatusCode::METHOD_NOT_ALLOWED).await;
    refused(
        &app,
        Request::put("/api/footprints/1").body(Body::empty()).unwrap(),
        StatusCode::METHOD_NOT_ALLOWED,
    )
    .await;
    // Nothing was started by any of these.
    refused(&app, get("/api/footprints/1"), StatusCode::NOT_FOUND).await;
}
