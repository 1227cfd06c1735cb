//! `shieldwatch footprint` and `shieldwatch sweep`: output folders with valid GeoJSON, KML and CZML; JSON
//! on stdout; reproducible Monte Carlo; bad input gives a clear error, exit status 2 and nothing written.

use assert_cmd::Command;
use serde_json::Value;

mod readers;
mod scratch;

fn shieldwatch() -> Command {
    Command::cargo_bin("shieldwatch").unwrap()
}

fn temp(tag: &str) -> scratch::Scratch {
    scratch::dir(&format!("cli-footprint-{tag}"))
}

/// Seconds since 2000-01-01 of an ISO 8601 UTC time `YYYY-MM-DDTHH:MM:SS[.fff]Z`; panics otherwise.
fn iso8601(t: &str) -> f64 {
    let b = t.as_bytes();
    assert!(
        t.len() >= 20
            && b[4] == b'-'
            && b[7] == b'-'
            && b[10] == b'T'
            && b[13] == b':'
            && b[16] == b':'
            && t.ends_with('Z'),
        "not an ISO 8601 UTC time: {t:?}"
    );
    let n = |a: usize, z: usize| -> f64 { t[a..z].parse().unwrap_or_else(|_| panic!("{t:?}")) };
    let (y, mo, d, h, mi) = (n(0, 4), n(5, 7), n(8, 10), n(11, 13), n(14, 16));
    let sec = n(17, t.len() - 1);
    assert!((1.0..=12.0).contains(&mo) && (1.0..=31.0).contains(&d), "{t:?}");
    assert!(h < 24.0 && mi < 60.0 && sec < 61.0, "{t:?}");
    ((y - 2000.0) * 366.0 + mo * 31.0 + d) * 86400.0 + h * 3600.0 + mi * 60.0 + sec
}

/// An ISO 8601 interval `start/end` with start ≤ end.
fn check_interval(i: &str) {
    let (a, b) = i
        .split_once('/')
        .unwrap_or_else(|| panic!("not an interval: {i:?}"));
    assert!(iso8601(a) <= iso8601(b), "interval ends before it starts: {i:?}");
}

/// Checks the CZML structure CesiumJS expects: an array whose first packet is the document (id
/// "document", version "1.0", a clock), then packets with unique ids; time-dynamic positions carry an
/// epoch and `cartographicDegrees` as (t, lon, lat, h) quadruples with increasing times.
fn check_czml(text: &str) -> usize {
    let v: Value = serde_json::from_str(text).expect("CZML is JSON");
    let packets = v.as_array().expect("CZML is an array of packets");
    let doc = &packets[0];
    assert_eq!(doc["id"], "document");
    assert_eq!(doc["version"], "1.0");
    let interval = doc["clock"]["interval"].as_str().expect("clock interval");
    check_interval(interval);
    iso8601(doc["clock"]["currentTime"].as_str().expect("clock current time"));
    let mut ids = std::collections::BTreeSet::new();
    let mut tracks = 0;
    for p in &packets[1..] {
        let id = p["id"].as_str().expect("every packet has an id");
        assert!(ids.insert(id.to_string()), "duplicate id {id}");
        let pos = &p["position"];
        let c = pos["cartographicDegrees"]
            .as_array()
            .expect("positions in cartographicDegrees");
        if pos.get("epoch").is_some() {
            tracks += 1;
            assert!(
                c.len() >= 8 && c.len().is_multiple_of(4),
                "{id}: {} numbers",
                c.len()
            );
            let mut last_t = -1.0;
            for q in c.chunks(4) {
                let [t, lon, lat, h] = [0, 1, 2, 3].map(|k| q[k].as_f64().unwrap());
                assert!(t > last_t, "{id}: times must increase");
                assert!(lon.abs() <= 180.0 && lat.abs() <= 90.0 && h >= 0.0, "{id}: {q:?}");
                last_t = t;
            }
            check_interval(p["availability"].as_str().expect("availability"));
            iso8601(pos["epoch"].as_str().expect("epoch"));
            assert!(p["path"].is_object());
        } else {
            assert_eq!(c.len(), 3, "{id}: a static position is (lon, lat, h)");
        }
    }
    tracks
}

#[test]
fn threat_origin_map_writes_every_format() {
    let dir = temp("origin");
    let out = dir.join("map");
    // A leftover of an interrupted run whose process is gone is cleared.
    std::fs::create_dir_all(dir.join(".map.tmp-4000000000")).unwrap();
    let a = shieldwatch()
        .args([
            "footprint",
            "europe-2008",
            "--map",
            "threat-origin",
            "--site",
            "London",
        ])
        .args(["--bounds", "26,40,44,60", "--resolution", "2", "--out"])
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&a.get_output().stdout).to_string();
    assert!(
        stdout.contains("Threat origin") && stdout.contains("London"),
        "{stdout}"
    );
    for f in [
        "footprint.json",
        "footprint.csv",
        "footprint.geojson",
        "footprint.kml",
        "footprint.czml",
        "footprint.svg",
        "report.html",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let gj: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("footprint.geojson")).unwrap()).unwrap();
    assert_eq!(gj["type"], "FeatureCollection");
    let feats = gj["features"].as_array().unwrap();
    assert!(feats.iter().any(|f| f["geometry"]["type"] == "MultiPolygon"));
    for f in feats.iter().filter(|f| f["geometry"]["type"] == "MultiPolygon") {
        for poly in f["geometry"]["coordinates"].as_array().unwrap() {
            for ring in poly.as_array().unwrap() {
                let r = ring.as_array().unwrap();
                assert!(r.len() >= 4 && r[0] == r[r.len() - 1], "rings are closed");
            }
        }
    }
    let czml = std::fs::read_to_string(out.join("footprint.czml")).unwrap();
    assert!(check_czml(&czml) >= 3, "one track per Iranian launch site");
    let kml = std::fs::read_to_string(out.join("footprint.kml")).unwrap();
    assert!(kml.starts_with("<?xml") && kml.contains("<Polygon>") && kml.trim_end().ends_with("</kml>"));
    let csv = std::fs::read_to_string(out.join("footprint.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 8 * 9);
    let svg = std::fs::read_to_string(out.join("footprint.svg")).unwrap();
    assert!(
        svg.starts_with("<svg") && svg.contains("<path"),
        "heat map with a coastline"
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<svg") && html.contains("Natural Earth"));
    // Every file read back by its own reader (GDAL included).
    assert_eq!(
        readers::check_folder(&out),
        [
            "footprint.csv",
            "footprint.czml",
            "footprint.geojson",
            "footprint.json",
            "footprint.kml",
            "footprint.png",
            "footprint.svg",
            "report.html"
        ]
    );
    // Nothing else is left beside the folder.
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
}

#[test]
fn json_format_prints_the_map_and_hides_the_progress_bar() {
    let a = shieldwatch()
        .args([
            "footprint",
            "europe-2008",
            "--map",
            "defended-area",
            "--site",
            "Tehran",
        ])
        .args([
            "--bounds",
            "36,60,-10,30",
            "--resolution",
            "4",
            "--shape",
            "lofted",
            "--speed",
            "8300",
        ])
        .args(["--no-files", "--format", "json"])
        .assert()
        .success();
    let v: Value = serde_json::from_slice(&a.get_output().stdout).expect("one JSON document");
    assert_eq!(v["kind"], "defended-area");
    assert_eq!(v["shape"], "lofted");
    assert_eq!(v["speed_mps"], 8300.0);
    assert_eq!(v["cells"].as_array().unwrap().len(), 7 * 11);
    assert!(
        a.get_output().stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&a.get_output().stderr)
    );
}

#[test]
fn radar_coverage_map_runs() {
    let a = shieldwatch()
        .args([
            "footprint",
            "europe-2008",
            "--map",
            "radar-coverage",
            "--bounds",
            "30,60,10,60",
        ])
        .args(["--resolution", "5", "--rcs", "0.1", "--no-files"])
        .assert()
        .success();
    assert!(String::from_utf8_lossy(&a.get_output().stdout).contains("seen above"));
}

#[test]
fn bad_input_is_an_error_with_nothing_written() {
    let dir = temp("bad");
    let out = dir.join("never");
    let cases: &[(&[&str], &str)] = &[
        (&["--bounds", "40,30,44,60"], "inverted"),
        (&["--bounds", "26,40,60,44"], "inverted"),
        (&["--resolution", "0"], "positive"),
        (&["--resolution", "-1"], "positive"),
        (&["--bounds", "26,40,44"], "four"),
        (&["--site", "Atlantis"], "Atlantis"),
        (&["--missile", "Scud"], "Scud"),
        (&["--speed", "-3"], "--speed"),
        (&["--speed", "15000"], "11664] m/s"),
        (&["--levels", "5000,nan"], "--levels"),
        (&["--levels", "5400,90000"], "--levels: 90000 m/s is outside"),
    ];
    for (extra, what) in cases {
        let mut cmd = shieldwatch();
        cmd.args(["footprint", "europe-2008", "--map", "threat-origin"]);
        if !extra.contains(&"--bounds") {
            cmd.args(["--bounds", "26,40,44,60"]);
        }
        if !extra.contains(&"--resolution") {
            cmd.args(["--resolution", "2"]);
        }
        let a = cmd.args(*extra).arg("--out").arg(&out).assert().code(2);
        let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
        assert!(err.contains(what), "{extra:?}: {err}");
        assert!(!out.exists(), "{extra:?} wrote output");
    }
    let a = shieldwatch()
        .args(["footprint", "no-such-scenario", "--out"])
        .arg(&out)
        .assert()
        .code(2);
    assert!(String::from_utf8_lossy(&a.get_output().stderr).contains("no-such-scenario"));
    assert!(!out.exists());
    let names: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert!(names.is_empty(), "no temporary folders left behind");
}

#[test]
fn sweep_writes_tables_and_plots() {
    let dir = temp("sweep");
    let out = dir.join("s");
    let a = shieldwatch()
        .args([
            "sweep",
            "europe-2008",
            "--param",
            "interceptors.GBI-2.commit_delay_s=30:600:3",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let s = String::from_utf8_lossy(&a.get_output().stdout).to_string();
    assert!(
        s.contains("commit_delay_s") && s.contains("Russia to the US"),
        "{s}"
    );
    for f in ["sweep.json", "sweep.csv", "sensitivity.svg", "report.html"] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let svg = std::fs::read_to_string(out.join("sensitivity.svg")).unwrap();
    assert!(svg.contains("<polyline"));
    assert_eq!(
        readers::check_folder(&out),
        [
            "report.html",
            "sensitivity.png",
            "sensitivity.svg",
            "sweep.csv",
            "sweep.json"
        ]
    );
    let (header, rows) = readers::csv(&out.join("sweep.csv"));
    assert_eq!(
        header,
        [
            "interceptors.GBI-2.commit_delay_s",
            "threat",
            "from",
            "to",
            "flown",
            "engaged",
            "crossover_speed_mps",
            "interceptor_boost",
            "threat_boost"
        ]
    );
    assert!(rows.iter().all(|r| ["true", "false"].contains(&&r[4])));
    // Two parameters: a heat map.
    let a = shieldwatch()
        .args([
            "sweep",
            "europe-2008",
            "--param",
            "interceptor.burnout_speed_mps=5400:9000:2",
        ])
        .args([
            "--param",
            "radars.EMR.reference_range_m=1e6:2e6:2",
            "--no-files",
            "--format",
            "json",
        ])
        .assert()
        .success();
    let v: Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    assert_eq!(v["points"].as_array().unwrap().len(), 4);
}

#[test]
fn monte_carlo_is_reproducible_from_its_seed() {
    let run = |seed: &str| {
        let a = shieldwatch()
            .args([
                "sweep",
                "europe-2008",
                "--monte-carlo",
                "--samples",
                "4",
                "--seed",
                seed,
            ])
            .args([
                "--param",
                "interceptors.GBI-2.burnout_speed_mps",
                "--param",
                "radars.EMR.reference_range_m",
            ])
            .args(["--no-files", "--format", "json"])
            .assert()
            .success();
        a.get_output().stdout.clone()
    };
    let first = run("42");
    assert_eq!(first, run("42"));
    // The same run written to a folder, every file read back.
    let dir = temp("mc");
    let out = dir.join("mc");
    let a = shieldwatch()
        .args([
            "sweep",
            "europe-2008",
            "--monte-carlo",
            "--samples",
            "2",
            "--seed",
            "42",
        ])
        .args(["--param", "interceptors.GBI-2.burnout_speed_mps", "--out"])
        .arg(&out)
        .assert()
        .success();
    // The summary: one table per threat family, named above it; every line fits 80 columns.
    let summary = String::from_utf8_lossy(&a.get_output().stdout).to_string();
    for family in [
        "Iran to Europe (IRBM):",
        "Iran to Europe and the US (ICBM):",
        "Russia to the US (ICBM):",
    ] {
        assert!(summary.lines().any(|l| l == family), "{summary}");
    }
    for line in summary.lines() {
        assert!(line.chars().count() <= 80, "{line}\n{summary}");
    }
    assert_eq!(
        readers::check_folder(&out),
        [
            "montecarlo.csv",
            "montecarlo.json",
            "montecarlo.png",
            "montecarlo.svg",
            "report.html"
        ]
    );
    let (header, _) = readers::csv(&out.join("montecarlo.csv"));
    assert_eq!(
        header,
        [
            "threat",
            "from",
            "to",
            "flown_samples",
            "engaged_samples",
            "samples",
            "probability"
        ]
    );
    let v: Value = serde_json::from_slice(&first).unwrap();
    assert_eq!(v["seed"], 42);
    assert!(
        v["pairs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["probability"].as_f64().is_some())
    );
}

#[test]
fn bad_sweeps_are_errors_with_nothing_written() {
    let dir = temp("badsweep");
    let out = dir.join("never");
    let cases: &[(&[&str], &str)] = &[
        (
            &["--param", "interceptors.GBI-2.warp=1:2"],
            "unknown parameter path",
        ),
        (
            &["--param", "interceptors.GBI-2.burnout_speed_mps=-100:9000"],
            "physical limits",
        ),
        (
            &["--param", "radars.EMR.azimuth_half_width_deg=10:300"],
            "physical limits",
        ),
        (
            &["--param", "interceptors.GBI-2.burnout_speed_mps=9000:5400"],
            "lower to a higher",
        ),
        (
            &["--param", "interceptors.GBI-2.burnout_speed_mps=a:b"],
            "not a number",
        ),
        (&[], "one or two --param"),
        (&["--monte-carlo", "--samples", "0"], "--samples"),
        (
            &["--monte-carlo", "--param", "interceptors.GBI-2.count"],
            "no range",
        ),
    ];
    for (extra, what) in cases {
        let a = shieldwatch()
            .args(["sweep", "europe-2008"])
            .args(*extra)
            .arg("--out")
            .arg(&out)
            .assert()
            .code(2);
        let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
        assert!(err.contains(what), "{extra:?}: {err}");
        assert!(!out.exists());
    }
    let a = shieldwatch()
        .args(["sweep", "europe-2008", "--list"])
        .assert()
        .success();
    assert!(String::from_utf8_lossy(&a.get_output().stdout).contains("radars.EMR.reference_range_m"));
}

#[test]
fn ctrl_c_cancels_with_nothing_written() {
    let dir = temp("cancel");
    let out = dir.join("never");
    // A large grid (about 190 000 points) that cannot finish before the interrupt.
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("shieldwatch"))
        .args([
            "footprint",
            "europe-2008",
            "--map",
            "defended-area",
            "--resolution",
            "0.1",
        ])
        .arg("--out")
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(800));
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    assert!(!out.exists());
    let names: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert!(names.is_empty(), "nothing half-written beside the folder");
}

#[test]
fn the_boost_model_is_chosen_by_flag_and_stated_in_the_output() {
    let run = |extra: &[&str]| {
        shieldwatch()
            .args([
                "footprint",
                "europe-2008",
                "--map",
                "threat-origin",
                "--site",
                "Berlin",
            ])
            .args(["--resolution", "6", "--no-files"])
            .args(extra)
            .assert()
    };
    for (extra, name) in [
        (vec![], "powered"),
        (vec!["--boost", "fixed"], "fixed"),
        (vec!["--boost", "powered"], "powered"),
    ] {
        let mut args = extra.clone();
        args.extend(["--format", "json"]);
        let a = run(&args).success();
        let v: Value = serde_json::from_slice(&a.get_output().stdout).expect("one JSON document");
        assert_eq!(v["boost"], name);
        // Every missile of the scenario names a vehicle: its threats fly the interceptor's model.
        assert_eq!(v["threat_boost"], name);
        let t = run(&extra).success();
        // The summary's prose is word-wrapped to the terminal: its words on one line.
        let text = String::from_utf8_lossy(&t.get_output().stdout)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let words = if name == "powered" {
            "threats fly powered"
        } else {
            "threats fly the fixed boost"
        };
        assert!(
            text.contains(&format!("({name} interceptor boost; {words}")),
            "{text}"
        );
    }
    let bad = run(&["--boost", "warp"]).failure().code(2);
    let err = String::from_utf8_lossy(&bad.get_output().stderr).to_string();
    assert!(err.contains("warp"), "{err}");
}
