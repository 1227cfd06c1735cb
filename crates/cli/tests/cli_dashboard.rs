//! `shieldwatch dashboard` end to end in Debian's headless Chromium through Playwright
//! (`tests/browser/check-dashboard.mjs`), on europe-2008 cut to its Russian threats: the page loads;
//! moving the burnout-speed slider from 5.4 to 8.3 km/s changes the number of engageable Russian trajectories to what `shieldwatch study` gives
//! for a scenario file with that burnout speed; a trajectory's timeline opens; a value outside the
//! parameter's physical limits is refused with the message `sweep` gives, shown on the page; axe-core
//! finds no serious or critical accessibility violation on the page with its results. A route
//! guard fails the test if any request leaves the machine; any console error, page error, failed
//! request or HTTP error outside the refused step fails it. Screenshots are kept under the target
//! directory (the path is printed).
//!
//! Needs `/usr/bin/chromium`, Node.js and `tests/browser/node_modules` (installed by
//! `scripts/install-test-deps.sh`). Under `CI=true` a missing one fails the test; elsewhere the test
//! says loudly what is missing and skips.

use std::path::{Path, PathBuf};
use std::process::Command;

mod scratch;

#[path = "support/browser.rs"]
mod browser;

fn shieldwatch() -> Command {
    Command::new(assert_cmd::cargo::cargo_bin("shieldwatch"))
}

/// europe-2008 with its Russian threat family only (18 trajectories, so that a study takes seconds in
/// a debug build), the battery's burnout speed set to `speed` m/s; written to `file`.
fn russian_scenario(file: &Path, speed: f64) {
    let text = defence::builtin::text("europe-2008").unwrap();
    let first = text.find("[[threats]]").unwrap();
    let russian = text
        .find("[[threats]]\nname = \"Russia to the US (ICBM)\"")
        .unwrap();
    let text = format!("{}{}", &text[..first], &text[russian..]);
    let from = "burnout_speed_mps = { value = 7000.0,";
    assert_eq!(
        text.matches(from).count(),
        1,
        "the scenario gives the GBI-2 speed once"
    );
    let text = text.replace(from, &format!("burnout_speed_mps = {{ value = {speed:.1},"));
    std::fs::write(file, text).unwrap();
}

/// Engageable Russian trajectories by `shieldwatch study` of [`russian_scenario`] with the battery's
/// burnout speed set to `speed` m/s: at that speed (the study's own answer), and at `other` (its window
/// at that speed).
fn cli_russian_engageable(dir: &Path, speed: f64, other: f64) -> (usize, usize) {
    let file = dir.join("russia-speed.toml");
    russian_scenario(&file, speed);
    let out = shieldwatch()
        .args(["study", file.to_str().unwrap(), "--format", "json", "--no-files"])
        .args(["--speeds", &other.to_string()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let russian: Vec<&serde_json::Value> = v["threats"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["from_country"] == "RU")
        .collect();
    assert!(!russian.is_empty());
    let at_speed = russian
        .iter()
        .filter(|t| t["specified"]["engaged_at_scenario_speed"] == true)
        .count();
    let at_other = russian
        .iter()
        .filter(|t| {
            t["specified"]["windows"]
                .as_array()
                .unwrap()
                .iter()
                .any(|w| w["speed_mps"] == other)
        })
        .count();
    (at_speed, at_other)
}

#[test]
fn dashboard_slider_matches_the_cli_study_in_chromium() {
    if !browser::ready("the dashboard's browser test") {
        return;
    }
    let tmp = scratch::dir("dashboard");
    let (at_8300, at_5400) = cli_russian_engageable(&tmp, 8300.0, 5400.0);
    assert_ne!(
        at_5400, at_8300,
        "the test needs two speeds with different answers"
    );

    let scenario = tmp.join("russia.toml");
    russian_scenario(&scenario, 7000.0);
    let (_server, url) = browser::start_dashboard(&scenario);
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dashboard-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let out = Command::new("node")
        .arg(browser::dir().join("check-dashboard.mjs"))
        .arg(&url)
        .arg(&shots)
        .args(["5400", "8300"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "check-dashboard.mjs failed: {stderr}");
    let seen: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    eprintln!("screenshots in {}", shots.display());

    assert_eq!(
        seen["offsite"],
        serde_json::json!([]),
        "requests left the machine"
    );
    // Only the refused value may give an HTTP error (the 422 and the console line Chromium writes
    // for it); nothing else may go wrong.
    for p in seen["problems"].as_array().unwrap() {
        let problem = p["problem"].as_str().unwrap();
        assert!(
            p["step"] == "refused" && problem.contains("422"),
            "{}: {problem}",
            p["step"]
        );
    }
    // axe-core's serious and critical violations of the page with its results shown.
    assert_eq!(
        seen["axe"],
        serde_json::json!([]),
        "axe-core found serious accessibility violations"
    );
    assert_eq!(seen["counts"]["5400"]["RU"], at_5400, "{seen}");
    assert_eq!(seen["counts"]["8300"]["RU"], at_8300, "{seen}");
    let timeline = seen["timeline"].as_str().unwrap();
    assert!(timeline.contains("intercept window"), "{timeline}");
    let refused = seen["refused"].as_str().unwrap();
    assert!(
        refused.contains("HTTP 422")
            && refused.contains("value -1000 is outside its physical limits (0, 11664] m/s"),
        "{refused}"
    );
    for s in seen["screenshots"].as_array().unwrap() {
        assert!(Path::new(s.as_str().unwrap()).is_file(), "{s}");
    }
}
