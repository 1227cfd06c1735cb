//! The dashboard's HTTP API through its router (no socket): the page and its assets, the offered
//! parameters, bad input of every kind answered by a 4xx with a JSON message (the same message as
//! `sweep`'s for a value outside its limits), every recompute equal to the CLI study at the same
//! parameters, and a superseded request stopped.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use dashboard::model::{ErrorBody, ScenarioView, StudyRequest, StudyView};
use defence::scenario::Scenario;
use http_body_util::BodyExt;
use tower::ServiceExt;

/// europe-2008 cut down to the Russian ICBMs from two fields against Washington (neither engageable at
/// 5.4 km/s, Tatishchevo's at 8.3 km/s), so that a study takes seconds in a debug build.
fn small() -> Scenario {
    let mut s = Scenario::load("europe-2008").unwrap();
    s.threats.retain(|t| t.from.iter().any(|f| f == "Tatishchevo"));
    assert_eq!(s.threats.len(), 1);
    s.threats[0].from = vec!["Tatishchevo".into(), "Kozelsk".into()];
    s.threats[0].to = vec!["Washington".into()];
    s
}

async fn call(s: Scenario, req: Request<Body>) -> (StatusCode, Option<String>, Vec<u8>) {
    let resp = dashboard::router(s).oneshot(req).await.unwrap();
    let status = resp.status();
    let ctype = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_string());
    let body = resp.into_body().collect().await.unwrap().to_bytes().to_vec();
    (status, ctype, body)
}

fn post(body: &str) -> Request<Body> {
    Request::post("/api/study")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

/// The answer is a 4xx with a JSON `{"error"}` body; returns the message.
async fn refused(s: Scenario, req: Request<Body>, status: StatusCode) -> String {
    let (got, ctype, body) = call(s, req).await;
    assert_eq!(got, status, "{}", String::from_utf8_lossy(&body));
    assert_eq!(ctype.as_deref(), Some("application/json"));
    let e: ErrorBody = serde_json::from_slice(&body).unwrap();
    assert!(!e.error.is_empty());
    e.error
}

#[tokio::test]
async fn the_page_and_its_assets_are_served_from_the_binary() {
    let (status, ctype, body) = call(small(), get("/")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ctype.as_deref(), Some("text/html"));
    let html = String::from_utf8(body).unwrap();
    // vite's bundle, referenced by the page, with the right types; nothing from another host.
    assert!(!html.contains("http://") && !html.contains("https://"), "{html}");
    let script = html
        .split("src=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap()
        .to_string();
    assert!(
        script.starts_with("/assets/") && script.ends_with(".js"),
        "{script}"
    );
    let (status, ctype, js) = call(small(), get(&script)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ctype.as_deref(), Some("text/javascript"));
    assert!(js.len() > 10_000);
    let message = refused(small(), get("/assets/nothing.js"), StatusCode::NOT_FOUND).await;
    assert!(message.contains("/assets/nothing.js"), "{message}");
}

#[tokio::test]
async fn the_offered_parameters_carry_their_sourced_ranges_and_a_slider_over_them() {
    let (status, _, body) = call(small(), get("/api/scenario")).await;
    assert_eq!(status, StatusCode::OK);
    let v: ScenarioView = serde_json::from_slice(&body).unwrap();
    assert_eq!(v.name, "europe-2008");
    let keys: Vec<&str> = v.params.iter().map(|p| p.path.as_str()).collect();
    for want in [
        "radars.EMR.azimuth_half_width_deg",
        "radars.EMR.reference_range_m",
        "interceptors.GBI-2.burnout_speed_mps",
        "interceptors.GBI-2.commit_delay_s",
    ] {
        assert!(keys.contains(&want), "{want} offered: {keys:?}");
    }
    assert!(keys.iter().any(|k| k.ends_with(".rcs_m2")), "{keys:?}");
    for p in &v.params {
        let [lo, hi] = p.range.unwrap();
        assert!(p.slider_min <= lo && hi <= p.slider_max, "{p:?}");
        assert!(p.slider_min > 0.0 || p.limits.starts_with('['), "{p:?}");
        assert!(!p.source.is_empty());
    }
    let speed = v
        .params
        .iter()
        .find(|p| p.path == "interceptors.GBI-2.burnout_speed_mps")
        .unwrap();
    assert_eq!(
        (speed.range, speed.unit.as_str()),
        (Some([5400.0, 9000.0]), "m/s")
    );
    assert_eq!(
        (speed.display_unit.as_str(), speed.display_scale),
        ("km/s", 1000.0)
    );
    // 5.4 and 8.3 km/s are slider positions.
    for x in [5400.0, 8300.0] {
        let k = (x - speed.slider_min) / speed.slider_step;
        assert!((k - k.round()).abs() < 1e-9, "{x} on the grid of {speed:?}");
    }
}

#[tokio::test]
async fn bad_input_is_a_4xx_with_a_message() {
    let m = refused(small(), post("{\"params\": {"), StatusCode::BAD_REQUEST).await;
    assert!(m.contains("JSON"), "{m}");
    let m = refused(small(), post("{\"param\": {}}"), StatusCode::BAD_REQUEST).await;
    assert!(m.contains("unknown field `param`"), "{m}");
    let m = refused(
        small(),
        post("{\"params\": {\"interceptors.GBI-2.burnout_speed_mps\": \"fast\"}}"),
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(m.contains("invalid type"), "{m}");
    let no_type = Request::post("/api/study").body(Body::from("{}")).unwrap();
    let m = refused(small(), no_type, StatusCode::BAD_REQUEST).await;
    assert!(m.contains("Content-Type: application/json"), "{m}");

    // Outside the physical limits: the message is the one `sweep --param` gives (the same function).
    let path = "interceptors.GBI-2.burnout_speed_mps";
    let m = refused(
        small(),
        post(&format!("{{\"params\": {{\"{path}\": -1}}}}")),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let mut s = small();
    let sweep = defence::sweep::set_params(&mut s, &[(path, -1.0)]).unwrap_err();
    assert_eq!(m, sweep.to_string());
    assert_eq!(
        m,
        format!("{path}: value -1 is outside its physical limits (0, 11664] m/s")
    );
    let m = refused(
        small(),
        post("{\"params\": {\"radars.EMR.azimuth_half_width_deg\": 181}}"),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(m.contains("outside its physical limits (0, 180] deg"), "{m}");
    let m = refused(
        small(),
        post("{\"params\": {\"radars.Nowhere.reference_range_m\": 1}}"),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(
        m.starts_with("unknown parameter path \"radars.Nowhere.reference_range_m\""),
        "{m}"
    );
    // A relation between two parameters of one item.
    let m = refused(
        small(),
        post("{\"params\": {\"radars.EMR.min_elevation_deg\": 89, \"radars.EMR.max_elevation_deg\": 10}}"),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(m.contains("must be below the maximum elevation"), "{m}");

    let m = refused(small(), get("/api/nothing"), StatusCode::NOT_FOUND).await;
    assert!(m.contains("/api/nothing"), "{m}");
    let m = refused(small(), get("/api/study"), StatusCode::METHOD_NOT_ALLOWED).await;
    assert!(!m.is_empty());
    let m = refused(small(), get("/api/map.svg"), StatusCode::NOT_FOUND).await;
    assert!(m.contains("no study"), "{m}");
}

fn request(params: &[(&str, f64)]) -> StudyRequest {
    StudyRequest {
        params: params.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
    }
}

/// The study `shieldwatch study --speeds <battery value>` makes of a scenario: its plan, each
/// trajectory by `run_one`, then `assemble`, with windows at the battery's value and range ends.
fn cli_study(s: &Scenario) -> serde_json::Value {
    use defence::study;
    let opts = study::StudyOptions {
        speeds_mps: Vec::new(),
        ..study::StudyOptions::default()
    };
    let speeds = study::speeds(s, &opts);
    let threats = study::plan(s, &opts)
        .iter()
        .map(|item| study::run_one(s, &opts, &speeds, item).unwrap())
        .collect();
    serde_json::to_value(study::assemble(s, &opts, threats).unwrap()).unwrap()
}

#[test]
fn every_recompute_equals_the_cli_study_at_the_same_parameters() {
    let engine = dashboard::Engine::new(small());
    let speed = "interceptors.GBI-2.burnout_speed_mps";
    let delay = "interceptors.GBI-2.commit_delay_s";
    let range = "radars.EMR.reference_range_m";
    let width = "radars.EMR.azimuth_half_width_deg";
    let rcs = "missiles.Russian ICBM.rcs_m2";
    // In this order, each from the one before: the first flies the threats, every later one engages
    // them again with what changed (each slider alone: a speed read off, a speed new, a commit delay,
    // the radar's range and field of regard, the RCS; then several at once, and back to the start),
    // through every stage the prepared study keeps (engagements, track intervals, flyouts by commit
    // time, shoot-look-shoot counts).
    let sets: Vec<Vec<(&str, f64)>> = vec![
        vec![],
        vec![(speed, 5400.0)],
        vec![(speed, 8300.0)],
        vec![(delay, 120.0)],
        vec![(delay, 300.0)],
        vec![(speed, 8300.0), (delay, 120.0)],
        vec![(range, 1.2e6)],
        vec![(width, 90.0)],
        vec![(width, 120.0), (speed, 7700.0)],
        vec![(rcs, 0.5)],
        vec![(rcs, 0.001), (range, 3.0e6), (delay, 30.0), (speed, 9000.0)],
        vec![(range, 1.2e6), (rcs, 0.5)],
        vec![],
    ];
    let mut engageable = Vec::new();
    for (i, set) in sets.iter().enumerate() {
        let req = request(set);
        let view = engine.study(&req).unwrap();
        assert_eq!(view.flown, i == 0, "{set:?}");
        let got = serde_json::to_value(&*engine.latest().unwrap().unwrap()).unwrap();
        let want = cli_study(&engine.scenario_for(&req).unwrap());
        assert!(
            got == want,
            "{set:?}: the dashboard's study differs from the CLI's"
        );
        let ru = view.countries.iter().find(|c| c.country == "RU").unwrap();
        engageable.push(ru.engageable);
    }
    // The sets are not all alike: at 5.4 km/s neither trajectory is engageable, at 8.3 km/s one is.
    assert_eq!(engageable[1], 0, "{engageable:?}");
    assert!(engageable[2] >= 1, "{engageable:?}");
}

#[test]
fn a_newer_request_supersedes_one_still_computing() {
    let engine = std::sync::Arc::new(dashboard::Engine::new(small()));
    // An RCS no other test uses, so that the threats are flown anew (seconds in a debug build).
    let old = {
        let engine = engine.clone();
        std::thread::spawn(move || engine.study(&request(&[("missiles.Russian ICBM.rcs_m2", 0.0123)])))
    };
    std::thread::sleep(std::time::Duration::from_millis(200));
    let new = engine.study(&request(&[])).unwrap();
    let err = old.join().unwrap().unwrap_err();
    assert!(matches!(err, dashboard::DashboardError::Superseded(_)), "{err:?}");
    // The latest study is the newer request's.
    let latest = engine.latest().unwrap().unwrap();
    let rcs = latest
        .parameters
        .iter()
        .find(|p| p.key == "missiles.Russian ICBM.rcs_m2")
        .unwrap();
    assert_ne!(rcs.value, 0.0123);
    assert_eq!(new.trajectories.len(), 2);
}

#[tokio::test]
async fn a_study_then_its_map() {
    let router = dashboard::router(small());
    let resp = router.clone().oneshot(post("{\"params\": {}}")).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    let v: StudyView = serde_json::from_slice(&body).unwrap();
    assert_eq!(v.trajectories.len(), 2);
    let resp = router.oneshot(get("/api/map.svg")).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    let svg = String::from_utf8(body.to_vec()).unwrap();
    roxmltree::Document::parse(&svg).unwrap();
}

/// Great-circle distance on a sphere of 6371 km, m.
fn sphere_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let r = std::f64::consts::PI / 180.0;
    let h = ((lat2 - lat1) * r / 2.0).sin().powi(2)
        + (lat1 * r).cos() * (lat2 * r).cos() * ((lon2 - lon1) * r / 2.0).sin().powi(2);
    2.0 * 6_371_000.0 * h.sqrt().asin()
}

#[test]
fn the_radar_rings_match_the_geometry() {
    let s = Scenario::load("europe-2008").unwrap();
    let views = dashboard::globe::radars(&s);
    assert_eq!(views.len(), s.radars.len());
    let emr = views.iter().find(|r| r.name == "EMR").unwrap();
    let def = s.radars.iter().find(|r| r.name == "EMR").unwrap();
    let alt = emr.ring_alt_km * 1e3;
    let far = |ring: &[[f64; 2]]| {
        ring.iter()
            .map(|p| sphere_m(emr.lat_deg, emr.lon_deg, p[1], p[0]))
            .fold(0.0f64, f64::max)
    };
    // The horizon: all round, where a target at the ring height rises above the minimum elevation. On a
    // sphere, the ground angle is acos((R + h0) cos e / (R + h)) − e; the ellipsoid and the 20 km step
    // keep the ring within 3 % of it.
    let r = 6_371_000.0;
    let h0 = s.site(&def.site).unwrap().h_m + def.antenna_height_m.value;
    let e = def.min_elevation_deg.value.to_radians();
    let theta = ((r + h0) * e.cos() / (r + alt)).acos() - e;
    for p in &emr.horizon {
        let d = sphere_m(emr.lat_deg, emr.lon_deg, p[1], p[0]);
        assert!(
            (d / (r * theta) - 1.0).abs() < 0.03,
            "{d} m against {} m",
            r * theta
        );
    }
    // The field of regard lies within the horizon and within the detection range; being a ±60° sector,
    // it closes on the radar.
    assert!(far(&emr.field_of_regard) <= far(&emr.horizon) + 1.0);
    assert!(far(&emr.field_of_regard) <= emr.detection_range_km * 1e3);
    assert!(
        emr.field_of_regard
            .iter()
            .any(|p| p[0] == emr.lon_deg && p[1] == emr.lat_deg)
    );
    assert_eq!(emr.field_of_regard.first(), emr.field_of_regard.last());
    assert_eq!(emr.horizon.first(), emr.horizon.last());
}
