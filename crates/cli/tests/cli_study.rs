//! `shieldwatch study`: the built-in study runs and writes its folder; bad scenario files give one clear
//! error each, exit status 2 and no output folder.

use assert_cmd::Command;

fn shieldwatch() -> Command {
    Command::cargo_bin("shieldwatch").unwrap()
}

const EUROPE: &str = include_str!("../../defence/scenarios/europe-2008.toml");

#[test]
fn bad_scenarios_are_rejected_with_nothing_written() {
    let dir = tempfile_dir("bad");
    let cases: &[(&str, String, &str)] = &[
        (
            "missing site",
            EUROPE.replacen("site = \"Brdy\"", "site = \"Brdi\"", 1),
            "no site named \"Brdi\"",
        ),
        (
            "negative speed",
            EUROPE.replacen(
                "burnout_speed_mps = { value = 7000.0",
                "burnout_speed_mps = { value = -1.0",
                1,
            ),
            "burnout_speed_mps",
        ),
        (
            "latitude 95",
            EUROPE.replacen("lat_deg = 49.635", "lat_deg = 95.0", 1),
            "latitude 95",
        ),
        (
            "duplicate name",
            EUROPE.replacen("name = \"Rome\"", "name = \"Paris\"", 1),
            "duplicate site name",
        ),
        (
            "unknown key",
            EUROPE.replacen("h_m = 66.0", "height_m = 66.0", 1),
            "height_m",
        ),
    ];
    for (what, text, want) in cases {
        let file = dir.join(format!("{}.toml", what.replace(' ', "-")));
        std::fs::write(&file, text).unwrap();
        let out_dir = dir.join(format!("out-{}", what.replace(' ', "-")));
        let out = shieldwatch()
            .args([
                "study",
                file.to_str().unwrap(),
                "--out",
                out_dir.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{what}: {stderr}");
        assert!(stderr.contains(want), "{what}: {stderr}");
        assert!(
            stderr.contains(file.to_str().unwrap()),
            "{what}: the error names the file: {stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{what}: one clear error: {stderr}");
        assert!(!out_dir.exists(), "{what}: no output folder");
    }
    let out = shieldwatch()
        .args(["study", "no-such-scenario"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn europe_2008_study_writes_every_output() {
    let dir = tempfile_dir("ok");
    let out_dir = dir.join("europe");
    let out = shieldwatch()
        .args([
            "study",
            "europe-2008",
            "--format",
            "json",
            "--out",
            out_dir.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["scenario"], "europe-2008");
    let threats = json["threats"].as_array().unwrap();
    assert!(threats.len() > 50);
    // Russian ICBMs from western Russia to Washington: engaged with an all-round radar only above MDA's
    // 5.4 km/s and below the critics' 7.7 km/s crossover (see the defence crate's engagement tests).
    let kozelsk = threats
        .iter()
        .find(|t| t["from"] == "Kozelsk" && t["to"] == "Washington")
        .unwrap();
    let c = kozelsk["most_capable"]["crossover_speed_mps"].as_f64().unwrap();
    assert!(c > 5400.0 && c < 7700.0, "{c}");
    for f in [
        "study.json",
        "engagements.csv",
        "coverage.csv",
        "study.geojson",
        "study.kml",
        "crossover.svg",
        "altitude-range.svg",
        "map.svg",
        "report.html",
        "summary.txt",
    ] {
        let p = out_dir.join(f);
        assert!(
            p.metadata().map(|m| m.len() > 100).unwrap_or(false),
            "{f} missing or empty"
        );
    }
    let geo: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("study.geojson")).unwrap()).unwrap();
    assert_eq!(geo["type"], "FeatureCollection");
    let html = std::fs::read_to_string(out_dir.join("report.html")).unwrap();
    assert!(html.contains("<svg") && html.contains("Parameters and sources") && html.contains("CRS RL34051"));
    assert!(!html.contains("src=\"http"), "the report is self-contained");
    // Nothing half-written is left beside the folder.
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty());
}

fn tempfile_dir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("shieldwatch-cli-study-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}
