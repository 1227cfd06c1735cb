//! `shieldwatch study`: the built-in study runs and writes its folder; bad scenario files give one clear
//! error each, exit status 2 and no output folder.

use assert_cmd::Command;

mod readers;
mod scratch;

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
            "speed above escape",
            EUROPE.replacen(
                "burnout_speed_mps = { value = 7000.0",
                "burnout_speed_mps = { value = 70000.0",
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
    // A burnout speed no interceptor can have (an extra zero), in a file or on the command line.
    let out_dir = dir.join("out-speeds");
    for args in [
        vec!["study", "europe-2008", "--speeds", "7000,90000"],
        vec!["compare", "europe-2008", "gabala-offer", "--speeds", "90000"],
    ] {
        let out = shieldwatch()
            .args(&args)
            .args(["--out", out_dir.to_str().unwrap()])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("90000 m/s is outside") && stderr.contains("11664]"),
            "{stderr}"
        );
        assert!(!out_dir.exists(), "{args:?}: no output folder");
    }
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
    // With the radar as specified it is engaged on a glimpse of a few seconds, and the summary says so.
    let tracked = kozelsk["specified"]["tracked_s"].as_f64().unwrap();
    assert!(tracked > 0.0 && tracked < 10.0, "{tracked}");
    let summary = std::fs::read_to_string(out_dir.join("summary.txt")).unwrap();
    let words = summary.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains(&format!(
            "Engaged on a track of under 10 s (radar as specified): Kozelsk → Washington {tracked:.1} s"
        )),
        "{summary}"
    );
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
    assert_eq!(
        readers::check_folder(&out_dir),
        [
            "altitude-range.png",
            "altitude-range.svg",
            "coverage.csv",
            "crossover.png",
            "crossover.svg",
            "engagements.csv",
            "footprint-defended-area.png",
            "footprint-defended-area.svg",
            "footprint-radar-coverage.png",
            "footprint-radar-coverage.svg",
            "map.png",
            "map.svg",
            "report.html",
            "study.geojson",
            "study.json",
            "study.kml",
            "summary.txt",
            "timelines.png",
            "timelines.svg"
        ]
    );
    check_engagements_csv(&out_dir.join("engagements.csv"));
    check_coverage_csv(&out_dir.join("coverage.csv"));
    let geo: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("study.geojson")).unwrap()).unwrap();
    assert_eq!(geo["type"], "FeatureCollection");
    let html = std::fs::read_to_string(out_dir.join("report.html")).unwrap();
    assert!(html.contains("<svg") && html.contains("Parameters and sources") && html.contains("CRS RL34051"));
    assert!(!html.contains("src=\"http"), "the report is self-contained");
    // The report's timelines are the chart of timelines.svg, at the same speed (the scenario's).
    let svg = std::fs::read_to_string(out_dir.join("timelines.svg")).unwrap();
    let title = |text: &str| {
        let at = text.find("engagement window at ").expect("a timelines title");
        text[at..].split(" km/s").next().unwrap().to_owned()
    };
    assert_eq!(title(&html), title(&svg));
    assert_eq!(title(&svg), "engagement window at 7.0");
    // Nothing half-written is left beside the folder.
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty());
}

/// The columns of `engagements.csv` as README documents them ("Output files").
const ENGAGEMENT_COLUMNS: [&str; 28] = [
    "threat",
    "missile",
    "shape",
    "from",
    "from_country",
    "to",
    "from_lat_deg",
    "from_lon_deg",
    "to_lat_deg",
    "to_lon_deg",
    "range_km",
    "skipped",
    "flight_time_s",
    "apogee_km",
    "radar_variant",
    "first_detection_s",
    "first_detection_alt_km",
    "tracked_s",
    "crossover_speed_mps",
    "speed_mps",
    "engageable",
    "earliest_intercept_s",
    "latest_intercept_s",
    "intercept_alt_km",
    "intercept_lat_deg",
    "intercept_lon_deg",
    "closing_speed_mps",
    "shots",
];

/// Reads `engagements.csv` back with the csv crate (strict field counts): the header is the documented
/// columns, every row has as many fields, and the values are what they claim to be.
fn check_engagements_csv(path: &std::path::Path) {
    let mut r = csv::ReaderBuilder::new().flexible(false).from_path(path).unwrap();
    let header = r.headers().unwrap().clone();
    assert_eq!(header.iter().collect::<Vec<_>>(), ENGAGEMENT_COLUMNS);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let mut rows = 0;
    let mut engaged = 0;
    for rec in r.records() {
        let rec = rec.unwrap_or_else(|e| panic!("row {rows}: {e}"));
        assert_eq!(rec.len(), ENGAGEMENT_COLUMNS.len(), "row {rows}");
        assert!(["specified", "most_capable"].contains(&&rec[col("radar_variant")]));
        assert!(["min-energy", "lofted", "depressed"].contains(&&rec[col("shape")]));
        let speed: f64 = rec[col("speed_mps")].parse().unwrap();
        assert!((1000.0..20_000.0).contains(&speed), "{speed}");
        let lat: f64 = rec[col("from_lat_deg")].parse().unwrap();
        assert!(lat.abs() <= 90.0);
        match &rec[col("engageable")] {
            "true" => {
                engaged += 1;
                let e: f64 = rec[col("earliest_intercept_s")].parse().unwrap();
                let l: f64 = rec[col("latest_intercept_s")].parse().unwrap();
                assert!(0.0 < e && e <= l, "{e} {l}");
                let c: f64 = rec[col("crossover_speed_mps")].parse().unwrap();
                assert!(c <= speed + 1e-6, "engaged below its crossover speed");
            }
            "false" => assert_eq!(&rec[col("earliest_intercept_s")], ""),
            other => panic!("engageable = {other:?}"),
        }
        if !rec[col("skipped")].is_empty() {
            assert_eq!(&rec[col("engageable")], "false");
            assert_eq!(&rec[col("tracked_s")], "", "a trajectory not flown has no track");
        }
        rows += 1;
    }
    assert!(rows > 1000, "{rows} rows");
    assert!(engaged > 100, "{engaged} engageable rows");
    // pandas, as an analyst opens it: the documented columns, every row, numbers as numbers and
    // `engageable` as booleans.
    if let Some((columns, n, dtypes)) = readers::pandas(path) {
        assert_eq!(columns, ENGAGEMENT_COLUMNS);
        assert_eq!(n, rows);
        let dtype = |name: &str| dtypes[ENGAGEMENT_COLUMNS.iter().position(|c| *c == name).unwrap()].as_str();
        for numeric in [
            "from_lat_deg",
            "from_lon_deg",
            "range_km",
            "speed_mps",
            "crossover_speed_mps",
            "earliest_intercept_s",
            "intercept_alt_km",
        ] {
            assert!(
                dtype(numeric) == "float64" || dtype(numeric) == "int64",
                "pandas reads {numeric} as {}",
                dtype(numeric)
            );
        }
        assert_eq!(dtype("engageable"), "bool");
    }
}

/// `coverage.csv` read back the same way.
fn check_coverage_csv(path: &std::path::Path) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header,
        [
            "site",
            "country",
            "lat_deg",
            "lon_deg",
            "distance_km",
            "rcs_m2",
            "lowest_visible_alt_km_specified",
            "lowest_visible_alt_km_most_capable"
        ]
    );
    let n = r
        .records()
        .map(|x| assert_eq!(x.unwrap().len(), header.len()))
        .count();
    assert!(n >= 10, "{n}");
}

fn tempfile_dir(tag: &str) -> scratch::Scratch {
    scratch::dir(&format!("cli-study-{tag}"))
}

#[test]
fn ctrl_c_cancels_the_study_with_nothing_written() {
    let dir = tempfile_dir("cancel");
    let out = dir.join("never");
    // Three shapes of every trajectory: far longer than the wait before the interrupt.
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("shieldwatch"))
        .args(["study", "europe-2008", "--shapes", "min-energy,lofted,depressed"])
        .arg("--out")
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("cancelled"), "{stderr}");
    assert!(!out.exists());
    let names: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert!(names.is_empty(), "nothing half-written beside the folder");
}

/// Output into a pipe whose reader has gone (`| head -0`): no panic and no message, the status a
/// shell gives a command ended by SIGPIPE.
#[test]
fn a_closed_pipe_ends_the_command_quietly() {
    for args in [&["study", "--list"][..], &["sweep", "europe-2008", "--list"][..]] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let o = std::process::Command::new(assert_cmd::cargo::cargo_bin("shieldwatch"))
            .args(args)
            .stdout(writer)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(141), "{args:?}: {err}");
        assert_eq!(err, "", "{args:?}");
    }
}

/// An `--out` that is a file, or a folder of someone's own files, is refused by every command that
/// writes a folder before it computes anything (a million-sample Monte Carlo sweep would take hours),
/// and is left exactly as it was.
#[test]
fn an_output_path_that_is_not_ours_is_refused_before_the_computation() {
    let dir = tempfile_dir("not-ours");
    let file = dir.join("notes.txt");
    std::fs::write(&file, "my notes").unwrap();
    let own = dir.join("analysis");
    std::fs::create_dir_all(&own).unwrap();
    std::fs::write(own.join("data.csv"), "1,2").unwrap();
    for out in [&file, &own] {
        let out_s = out.to_str().unwrap();
        let commands: [&[&str]; 5] = [
            &["study", "europe-2008", "--out", out_s],
            &["compare", "europe-2008", "gabala-offer", "--out", out_s],
            &["footprint", "europe-2008", "--out", out_s],
            &[
                "sweep",
                "europe-2008",
                "--monte-carlo",
                "--samples",
                "1000000",
                "--out",
                out_s,
            ],
            &["simulate", "europe-2008", "--out", out_s],
        ];
        for args in commands {
            let o = shieldwatch()
                .args(args)
                .timeout(std::time::Duration::from_secs(120))
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
            assert!(err.contains("refusing to replace"), "{args:?}: {err}");
            assert_eq!(std::fs::read_to_string(&file).unwrap(), "my notes");
            assert_eq!(std::fs::read_to_string(own.join("data.csv")).unwrap(), "1,2");
            let names: Vec<_> = std::fs::read_dir(&own)
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            assert_eq!(names.len(), 1, "{args:?}: {names:?}");
            let beside: Vec<_> = std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            assert_eq!(
                beside.len(),
                2,
                "{args:?}: nothing written beside them: {beside:?}"
            );
        }
    }
}
