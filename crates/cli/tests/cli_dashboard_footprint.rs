//! Footprint maps on demand in the dashboard, end to end in Debian's headless Chromium through
//! Playwright (`tests/browser/check-footprint.mjs`), on europe-2008 cut to its Russian threats. With
//! WebGL (SwiftShader): a grid spacing of 0 is refused with the server's message shown on the page; a
//! fine defended-area map is started, its progress bar (role progressbar, aria-valuenow) advances, and
//! "Cancel" stops it (no grid point is computed after it says so); a coarse threat-origin map for Berlin
//! completes and its polygons become the globe's footprint layer, which its checkbox hides and shows.
//! Without WebGL the same map is shown as the render layer's 2-D footprint map under the same checkbox.
//! A route guard fails the test if any request leaves the machine; any console error, page error,
//! failed request or HTTP error outside the refused step fails it; axe-core finds no serious or
//! critical accessibility violation. Screenshots are kept under the target directory (the path is
//! printed).
//!
//! Needs `/usr/bin/chromium`, Node.js and `tests/browser/node_modules` (installed by
//! `scripts/install-test-deps.sh`). Under `CI=true` a missing one fails the test; elsewhere the test
//! says loudly what is missing and skips.

use std::path::{Path, PathBuf};
use std::process::Command;

mod scratch;

#[path = "support/browser.rs"]
mod browser;

/// europe-2008 with its Russian threat family only, written to `file`.
fn russian_scenario(file: &Path) {
    let text = defence::builtin::text("europe-2008").unwrap();
    let first = text.find("[[threats]]").unwrap();
    let russian = text
        .find("[[threats]]\nname = \"Russia to the US (ICBM)\"")
        .unwrap();
    std::fs::write(file, format!("{}{}", &text[..first], &text[russian..])).unwrap();
}

/// Runs check-footprint.mjs in `mode` and returns what it saw, after the checks common to both modes.
fn check(url: &str, shots: &Path, mode: &str) -> serde_json::Value {
    let out = Command::new("node")
        .arg(browser::dir().join("check-footprint.mjs"))
        .args([url, shots.to_str().unwrap(), mode])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "check-footprint.mjs {mode} failed: {stderr}"
    );
    let seen: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    assert_eq!(
        seen["offsite"],
        serde_json::json!([]),
        "{mode}: requests left the machine"
    );
    // Only the refused request may give an HTTP error (the 422 and the console line Chromium writes
    // for it).
    for p in seen["problems"].as_array().unwrap() {
        let problem = p["problem"].as_str().unwrap();
        assert!(p["step"] == "refused" && problem.contains("422"), "{mode}: {p}");
    }
    assert_eq!(
        seen["axe"],
        serde_json::json!([]),
        "{mode}: accessibility: {seen}"
    );
    for s in seen["screenshots"].as_array().unwrap() {
        assert!(Path::new(s.as_str().unwrap()).is_file(), "{s}");
    }
    // The finished map: threat origin for Berlin at 2°, its levels listed with the share of the grid.
    let f = &seen["finished"];
    assert_eq!(f["shown"], f["job"], "{mode}: {f}");
    let status = f["status"].as_str().unwrap();
    assert!(status.contains("threat origin map for Berlin"), "{status}");
    let legend: Vec<&str> = f["legend"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert!(
        !legend.is_empty()
            && legend
                .iter()
                .all(|l| l.contains("km/s") && l.contains("% of the grid")),
        "{legend:?}"
    );
    seen
}

#[test]
fn footprints_on_demand_with_progress_cancellation_and_a_map_layer_in_chromium() {
    if !browser::ready("the dashboard's footprint test") {
        return;
    }
    let tmp = scratch::dir("dashboard-footprint");
    let scenario = tmp.join("russia.toml");
    russian_scenario(&scenario);
    // One worker thread for the maps, so that a long map leaves the browser a core of this 2-core
    // machine (with both cores computing, the page stopped answering Playwright under a loaded CI).
    let (_server, url) = browser::start_dashboard_with(&scenario, &[("RAYON_NUM_THREADS", "1")]);
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dashboard-screenshots");
    std::fs::create_dir_all(&shots).unwrap();

    let globe = check(&url, &shots, "webgl");
    assert_eq!(globe["map"], "globe", "{globe}");
    let refused = globe["refused"].as_str().unwrap();
    assert!(
        refused.contains("HTTP 422") && refused.contains("resolution 0° must be positive"),
        "{refused}"
    );
    // The bar advanced twice, in the units it says, before the job was cancelled.
    let progress = globe["progress"].as_array().unwrap();
    assert_eq!(progress.len(), 3, "{globe}");
    for w in progress.windows(2) {
        assert!(w[1]["done"].as_u64() > w[0]["done"].as_u64(), "{progress:?}");
    }
    for p in progress {
        assert_eq!(p["role"], "progressbar");
        assert_eq!(p["total"], 721 * 1041, "{p}");
        let (done, total) = (p["done"].as_f64().unwrap(), p["total"].as_f64().unwrap());
        assert_eq!(p["now"].as_f64().unwrap(), (100.0 * done / total).round(), "{p}");
        assert_eq!(p["text"], format!("{done} of {total} grid points"), "{p}");
    }
    let c = &globe["cancelled"];
    assert!(
        c["status"]
            .as_str()
            .unwrap()
            .starts_with("Cancelled the defended area map for Tehran"),
        "{c}"
    );
    assert!(c["done"].as_u64().unwrap() < c["total"].as_u64().unwrap(), "{c}");
    assert_eq!(c["after"], c["done"], "the cancelled job went on computing: {c}");
    // The finished map's polygons on the globe, toggled by their checkbox.
    let f = &globe["finished"];
    assert!(f["count"].as_u64().unwrap() >= 2, "{f}");
    let all = "tracks sites field horizon intercepts footprint";
    assert_eq!(f["off"], "tracks sites field horizon intercepts", "{f}");
    assert_eq!(f["on"], all, "{f}");
    assert_eq!(
        f["changed"], true,
        "unticking the footprint did not change the globe"
    );
    assert_eq!(
        f["restored"], true,
        "ticking the footprint again did not change the globe"
    );

    let flat = check(&url, &shots, "none");
    assert_eq!(flat["map"], "2d", "{flat}");
    let f = &flat["finished"];
    assert!(f["img"].as_str().unwrap().ends_with("/map.svg"), "{f}");
    assert_eq!(
        (f["hidden"].as_bool(), f["visible"].as_bool()),
        (Some(true), Some(true)),
        "{f}"
    );
    eprintln!("screenshots in {}", shots.display());
}
