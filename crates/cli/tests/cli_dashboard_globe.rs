//! The dashboard's map end to end in Debian's headless Chromium through Playwright
//! (`tests/browser/check-globe.mjs`), on europe-2008 cut to its Russian threats, both ways a browser
//! may come: with WebGL (SwiftShader) the CesiumJS globe comes up with every layer drawn, and unticking
//! each layer's checkbox hides that layer alone and changes the picture, ticking it again shows it; with
//! no WebGL the page says so and shows the 2-D map. A route guard fails the test if any request leaves
//! the machine (the globe's imagery is Cesium's bundled Natural Earth II, served by the dashboard); any
//! console error, page error, failed request or HTTP error fails it; axe-core finds no serious or
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

/// Runs check-globe.mjs in `mode` and returns what it saw, after the checks common to both modes.
fn check(url: &str, shots: &Path, mode: &str) -> serde_json::Value {
    let out = Command::new("node")
        .arg(browser::dir().join("check-globe.mjs"))
        .args([url, shots.to_str().unwrap(), mode])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "check-globe.mjs {mode} failed: {stderr}");
    let seen: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    assert_eq!(
        seen["offsite"],
        serde_json::json!([]),
        "{mode}: requests left the machine"
    );
    assert_eq!(seen["problems"], serde_json::json!([]), "{mode}: {seen}");
    assert_eq!(
        seen["axe"],
        serde_json::json!([]),
        "{mode}: accessibility: {seen}"
    );
    for s in seen["screenshots"].as_array().unwrap() {
        assert!(Path::new(s.as_str().unwrap()).is_file(), "{s}");
    }
    seen
}

#[test]
fn the_globe_with_webgl_and_the_2d_map_without_in_chromium() {
    if !browser::ready("the dashboard's globe test") {
        return;
    }
    let tmp = scratch::dir("dashboard-globe");
    let scenario = tmp.join("russia.toml");
    russian_scenario(&scenario);
    let (_server, url) = browser::start_dashboard(&scenario);
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dashboard-screenshots");
    std::fs::create_dir_all(&shots).unwrap();

    let globe = check(&url, &shots, "webgl");
    assert_eq!(globe["map"], "globe", "{globe}");
    let layers = ["tracks", "sites", "field", "horizon", "intercepts"];
    let all = layers.join(" ");
    for layer in layers {
        let n = globe["counts"][layer].as_u64().unwrap();
        assert!(n >= 1, "layer {layer} is empty: {globe}");
        let t = &globe["toggles"][layer];
        let without: Vec<&str> = layers.iter().copied().filter(|l| *l != layer).collect();
        assert_eq!(t["off"], without.join(" "), "{layer}: {t}");
        assert_eq!(t["on"], all, "{layer}: {t}");
        assert_eq!(t["changed"], true, "unticking {layer} did not change the globe");
        assert_eq!(
            t["restored"], true,
            "ticking {layer} again did not change the globe"
        );
    }
    // The Russian family: 9 fields to 2 targets, every one flown and drawn.
    assert_eq!(globe["counts"]["tracks"], 18, "{globe}");

    let flat = check(&url, &shots, "none");
    assert_eq!(flat["map"], "2d", "{flat}");
    assert_eq!(flat["map_img"], true, "{flat}");
    assert_eq!(flat["globe_shown"], serde_json::json!([]), "{flat}");
    assert!(flat["note"].as_str().unwrap().contains("no WebGL"), "{flat}");
    eprintln!("screenshots in {}", shots.display());
}
