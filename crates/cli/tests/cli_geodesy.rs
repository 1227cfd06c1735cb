//! `shieldwatch geodesy` end to end: the JSON Lines contract of `shared/DESIGN.md` §4, bad input, and
//! streaming.

use assert_cmd::Command;
use serde_json::Value;

fn run(input: impl Into<Vec<u8>>) -> (Vec<Value>, String, i32) {
    let out = Command::cargo_bin("shieldwatch")
        .unwrap()
        .arg("geodesy")
        .write_stdin(input)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    (
        lines,
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap(),
    )
}

#[test]
fn all_four_kinds_answer_with_the_contract_fields() {
    let input = r#"{"id":"a","kind":"inverse","lat1_deg":40.64,"lon1_deg":-73.78,"lat2_deg":1.36,"lon2_deg":103.99}
{"id":2,"kind":"direct","lat1_deg":40.64,"lon1_deg":-73.78,"azi1_deg":3.3057734780176125,"distance_m":15347512.94051294}
{"id":3,"kind":"look_angle","obs_lat_deg":49.635,"obs_lon_deg":13.748,"obs_h_m":718,"tgt_lat_deg":49.635,"tgt_lon_deg":13.748,"tgt_h_m":100000}
{"id":4,"kind":"min_visible_alt","obs_lat_deg":49.635,"obs_lon_deg":13.748,"obs_h_m":718,"min_elevation_deg":0,"tgt_lat_deg":-49.6,"tgt_lon_deg":-166.2}
{"id":5,"kind":"min_visible_alt","obs_lat_deg":49.635,"obs_lon_deg":13.748,"obs_h_m":718,"min_elevation_deg":0,"tgt_lat_deg":49.7,"tgt_lon_deg":13.8}
"#;
    let (lines, _, code) = run(input);
    assert_eq!(code, 0);
    assert_eq!(lines.len(), 5);
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&lines[0]), ["id", "distance_m", "azi1_deg", "azi2_deg"]);
    assert_eq!(lines[0]["id"], "a");
    assert!((lines[0]["distance_m"].as_f64().unwrap() - 15_347_512.94).abs() < 0.01);
    assert_eq!(keys(&lines[1]), ["id", "lat2_deg", "lon2_deg", "azi2_deg"]);
    assert!((lines[1]["lat2_deg"].as_f64().unwrap() - 1.36).abs() < 1e-9);
    assert!((lines[1]["lon2_deg"].as_f64().unwrap() - 103.99).abs() < 1e-9);
    assert_eq!(
        keys(&lines[2]),
        ["id", "azimuth_deg", "elevation_deg", "slant_range_m"]
    );
    assert_eq!(
        lines[2]["azimuth_deg"],
        Value::Null,
        "straight overhead has no azimuth"
    );
    assert!((lines[2]["elevation_deg"].as_f64().unwrap() - 90.0).abs() < 1e-9);
    assert_eq!(
        lines[3]["min_visible_alt_m"],
        Value::Null,
        "the far side of the Earth is never seen"
    );
    let near = lines[4]["min_visible_alt_m"].as_f64().unwrap();
    // Heights are above the ellipsoid: a point 8 km from a radar 718 m up must rise to the radar's height
    // plus the Earth's curvature drop, d²/2R ≈ 5 m.
    assert!((near - 723.2).abs() < 0.5, "{near}");
}

#[test]
fn each_bad_line_gets_an_error_line_and_the_run_goes_on() {
    let good = r#"{"id":"ok","kind":"inverse","lat1_deg":0,"lon1_deg":0,"lat2_deg":0,"lon2_deg":1}"#;
    let cases: &[(&str, &str)] = &[
        (
            r#"{"id":1,"kind":"inverse","lat1_deg":0,"lon1_deg":0,"lat2_deg":0}"#,
            "missing field `lon2_deg`",
        ),
        (
            r#"{"id":2,"kind":"inverse","lat1_deg":NaN,"lon1_deg":0,"lat2_deg":0,"lon2_deg":0}"#,
            "not valid JSON",
        ),
        (
            r#"{"id":3,"kind":"inverse","lat1_deg":"NaN","lon1_deg":0,"lat2_deg":0,"lon2_deg":0}"#,
            "finite",
        ),
        (
            r#"{"id":4,"kind":"inverse","lat1_deg":91,"lon1_deg":0,"lat2_deg":0,"lon2_deg":0}"#,
            "lat1_deg = 91",
        ),
        (
            r#"{"id":5,"kind":"look_angle","obs_lat_deg":-91,"obs_lon_deg":0,"obs_h_m":0,"tgt_lat_deg":0,"tgt_lon_deg":0,"tgt_h_m":0}"#,
            "obs_lat_deg = -91",
        ),
        (r#"{"id":6,"kind":"bogus"}"#, "unknown kind \"bogus\""),
        (r#"{"id":7}"#, "missing field `kind`"),
        ("this is not json", "not valid JSON"),
        ("", "empty line"),
        ("[1,2]", "expected a JSON object"),
        (
            r#"{"id":8,"kind":"direct","lat1_deg":0,"lon1_deg":0,"azi1_deg":"north","distance_m":1}"#,
            "must be a number",
        ),
        (
            r#"{"id":9,"kind":"min_visible_alt","obs_lat_deg":0,"obs_lon_deg":0,"obs_h_m":0,"min_elevation_deg":95,"tgt_lat_deg":0,"tgt_lon_deg":1}"#,
            "minimum elevation = 95",
        ),
    ];
    let mut input = String::new();
    for (line, _) in cases {
        input.push_str(line);
        input.push('\n');
        input.push_str(good);
        input.push('\n');
    }
    // A 10 MB line, then a good one.
    input.push_str(&format!(
        "{{\"id\":10,\"kind\":\"inverse\",\"pad\":\"{}\"}}\n",
        "x".repeat(10 << 20)
    ));
    input.push_str(good);
    input.push('\n');

    let (lines, stderr, code) = run(input);
    assert_eq!(code, 2, "exit status 2 when any line failed");
    assert_eq!(lines.len(), 2 * cases.len() + 2);
    for (i, (_, want)) in cases.iter().enumerate() {
        let err = lines[2 * i]["error"]
            .as_str()
            .unwrap_or_else(|| panic!("line {} not an error: {}", 2 * i, lines[2 * i]));
        assert!(
            err.contains(want),
            "case {i}: error {err:?} should mention {want:?}"
        );
        assert_eq!(lines[2 * i + 1]["id"], "ok", "the run goes on after a bad line");
        assert!(lines[2 * i + 1].get("distance_m").is_some());
    }
    // Ids are echoed when the object could be read, null otherwise.
    assert_eq!(lines[0]["id"], 1);
    assert_eq!(lines[14]["id"], Value::Null);
    let long = &lines[2 * cases.len()];
    assert!(long["error"].as_str().unwrap().contains("longer than"), "{long}");
    assert!(
        stderr.lines().count() > cases.len(),
        "each failure is also reported on stderr"
    );
}

#[test]
fn many_lines_stream_in_order() {
    let n = 20_000;
    let mut input = String::with_capacity(n * 100);
    for i in 0..n {
        let lon = (i % 360) as f64 - 180.0;
        input.push_str(&format!(
            "{{\"id\":{i},\"kind\":\"inverse\",\"lat1_deg\":10,\"lon1_deg\":0,\"lat2_deg\":-10,\"lon2_deg\":{lon}}}\n"
        ));
    }
    let (lines, _, code) = run(input);
    assert_eq!(code, 0);
    assert_eq!(lines.len(), n);
    for (i, l) in lines.iter().enumerate() {
        assert_eq!(l["id"], i);
        let az = l["azi1_deg"].as_f64().unwrap();
        assert!((0.0..360.0).contains(&az));
    }
}
