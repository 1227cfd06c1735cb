//! Every HTML report and SVG plot that `study`, `compare`, `footprint`, `sweep`, `trajectory` and `simulate` write,
//! opened in Debian's headless Chromium through Playwright (`tests/browser/check-pages.mjs`, one browser
//! for all pages): no console error, no page error, no failed request, every image loaded, every inline
//! drawing of a report on the page. Screenshots are kept under the target directory (the path is
//! printed). Two deliberately broken pages go through the same run and must be caught.
//!
//! Needs `/usr/bin/chromium` (Debian `chromium`), Node.js and `tests/browser/node_modules` (`npm ci`,
//! both installed by `scripts/install-test-deps.sh`). Under `CI=true` a missing one fails the test;
//! elsewhere the test says loudly what is missing and skips.

use std::path::{Path, PathBuf};
use std::process::Command;

mod scratch;

#[path = "support/browser.rs"]
mod browser;

fn shieldwatch() -> Command {
    Command::new(assert_cmd::cargo::cargo_bin("shieldwatch"))
}

fn run(args: &[&str]) {
    let out = shieldwatch().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "shieldwatch {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every `.html` and `.svg` file under `dir`, sorted.
fn pages(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(pages(&p));
        } else if matches!(p.extension().and_then(|x| x.to_str()), Some("html" | "svg")) {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// One page as the browser saw it.
#[derive(Debug, serde::Deserialize)]
struct Seen {
    file: String,
    screenshot: String,
    images: usize,
    drawings: usize,
    problems: Vec<String>,
}

/// Opens `files` in one Chromium; returns what each showed.
fn open_in_chromium(files: &[PathBuf], shots: &Path) -> Vec<Seen> {
    let out = Command::new("node")
        .arg(browser::dir().join("check-pages.mjs"))
        .arg(shots)
        .args(files)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "check-pages.mjs failed: {stderr}");
    let seen: Vec<Seen> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(seen.len(), files.len(), "every page reported: {stderr}");
    seen
}

#[test]
fn every_report_and_plot_renders_in_chromium_without_errors() {
    if !browser::ready("browser checks") {
        return;
    }
    let dir = scratch::dir("cli-browser");
    let at = |name: &str| dir.join(name).to_str().unwrap().to_string();

    run(&["study", "europe-2008", "--format", "json", "--out", &at("study")]);
    run(&[
        "compare",
        "europe-2008",
        "gabala-offer",
        "--format",
        "json",
        "--out",
        &at("compare"),
    ]);
    run(&[
        "footprint",
        "europe-2008",
        "--map",
        "defended-area",
        "--site",
        "Tehran",
        "--resolution",
        "2",
        "--format",
        "json",
        "--out",
        &at("footprint-defended-area"),
    ]);
    run(&[
        "footprint",
        "europe-2008",
        "--map",
        "threat-origin",
        "--site",
        "London",
        "--bounds",
        "26,40,44,60",
        "--resolution",
        "2",
        "--format",
        "json",
        "--out",
        &at("footprint-threat-origin"),
    ]);
    run(&[
        "footprint",
        "europe-2008",
        "--map",
        "radar-coverage",
        "--resolution",
        "5",
        "--format",
        "json",
        "--out",
        &at("footprint-radar-coverage"),
    ]);
    run(&[
        "sweep",
        "europe-2008",
        "--param",
        "interceptors.GBI-2.commit_delay_s=30:600:3",
        "--format",
        "json",
        "--out",
        &at("sweep-1d"),
    ]);
    run(&[
        "sweep",
        "europe-2008",
        "--param",
        "interceptors.GBI-2.burnout_speed_mps=5400:9000:3",
        "--param",
        "radars.EMR.reference_range_m=1000000:2000000:3",
        "--format",
        "json",
        "--out",
        &at("sweep-2d"),
    ]);
    run(&[
        "sweep",
        "europe-2008",
        "--monte-carlo",
        "--samples",
        "2",
        "--param",
        "interceptors.GBI-2.burnout_speed_mps",
        "--format",
        "json",
        "--out",
        &at("sweep-monte-carlo"),
    ]);
    run(&[
        "trajectory",
        "--launch",
        "54.03,35.77",
        "--target",
        "38.91,-77.04",
        "--format",
        "json",
        "--out",
        &at("trajectory"),
    ]);
    run(&[
        "simulate",
        "europe-2008",
        "--hours",
        "1",
        "--out",
        &at("simulate"),
    ]);

    let mut files = pages(&dir);
    // A report per study, footprint and sweep, and every plot beside it (trajectory and simulate write
    // no HTML or SVG).
    let names: Vec<String> = files
        .iter()
        .map(|p| p.strip_prefix(&dir).unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "compare/map.svg",
            "compare/report.html",
            "footprint-defended-area/footprint.svg",
            "footprint-defended-area/report.html",
            "footprint-radar-coverage/footprint.svg",
            "footprint-radar-coverage/report.html",
            "footprint-threat-origin/footprint.svg",
            "footprint-threat-origin/report.html",
            "study/altitude-range.svg",
            "study/crossover.svg",
            "study/footprint-defended-area.svg",
            "study/footprint-radar-coverage.svg",
            "study/map.svg",
            "study/report.html",
            "study/timelines.svg",
            "sweep-1d/report.html",
            "sweep-1d/sensitivity.svg",
            "sweep-2d/report.html",
            "sweep-2d/sensitivity.svg",
            "sweep-monte-carlo/montecarlo.svg",
            "sweep-monte-carlo/report.html",
        ]
    );

    // Two broken pages that a browser check worth the name must catch: a missing image, a missing SVG
    // image reference and a script error.
    let broken = dir.join("broken");
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::write(
        broken.join("missing-image.html"),
        "<!DOCTYPE html><html><head><title>x</title></head><body><img src=\"map.png\" alt=\"map\">\
         <script>null.f()</script></body></html>",
    )
    .unwrap();
    std::fs::write(
        broken.join("missing-image.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"200\" height=\"100\">\
         <text x=\"10\" y=\"20\">x</text><image href=\"land.png\" width=\"50\" height=\"50\"/></svg>",
    )
    .unwrap();
    files.push(broken.join("missing-image.html"));
    files.push(broken.join("missing-image.svg"));

    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser-screenshots");
    if shots.exists() {
        std::fs::remove_dir_all(&shots).unwrap();
    }
    std::fs::create_dir_all(&shots).unwrap();
    let seen = open_in_chromium(&files, &shots);
    println!("browser screenshots: {}", shots.display());
    eprintln!("browser screenshots: {}", shots.display());

    let mut failures = Vec::new();
    for s in &seen {
        let shot = Path::new(&s.screenshot);
        assert!(
            shot.metadata().is_ok_and(|m| m.len() > 1000),
            "{}: no screenshot",
            s.file
        );
        if s.file.contains("/broken/") {
            continue;
        }
        if !s.problems.is_empty() {
            failures.push(format!("{}:\n  {}", s.file, s.problems.join("\n  ")));
        }
        if s.file.ends_with("report.html") {
            assert!(s.drawings >= 1, "{}: a report without a drawing", s.file);
        }
        if s.file.ends_with("study/report.html") {
            assert!(s.drawings >= 6, "{}: {} drawings", s.file, s.drawings);
        }
    }
    assert!(
        failures.is_empty(),
        "pages with problems:\n{}",
        failures.join("\n")
    );

    let html = seen
        .iter()
        .find(|s| s.file.ends_with("missing-image.html"))
        .unwrap();
    assert_eq!(html.images, 1);
    assert!(
        html.problems
            .iter()
            .any(|p| p.contains("image did not load: map.png")),
        "{:?}",
        html.problems
    );
    assert!(
        html.problems.iter().any(|p| p.starts_with("page error")),
        "{:?}",
        html.problems
    );
    assert!(
        html.problems.iter().any(|p| p.starts_with("failed request")),
        "{:?}",
        html.problems
    );
    let svg = seen
        .iter()
        .find(|s| s.file.ends_with("missing-image.svg"))
        .unwrap();
    assert!(
        svg.problems
            .iter()
            .any(|p| p.contains("SVG image did not load: land.png")),
        "{:?}",
        svg.problems
    );
}
