//! `shieldwatch fly` and `shieldwatch lambert` end to end on bad input (`shared/DESIGN.md` §4): every bad
//! line is answered in place by `{"id": …, "error": "…"}` naming the problem (and a message on stderr),
//! good lines around it are still answered in order, never-impacting states fail quickly instead of
//! hanging, and the exit status is 2.

use std::time::{Duration, Instant};

use assert_cmd::Command;
use serde_json::Value;

/// Runs `shieldwatch <cmd>` on `input`; returns the output lines, stderr, exit status and wall time.
fn run(cmd: &str, input: &str) -> (Vec<Value>, String, i32, Duration) {
    let start = Instant::now();
    let out = Command::cargo_bin("shieldwatch")
        .expect("binary built")
        .arg(cmd)
        .timeout(Duration::from_secs(120))
        .write_stdin(input)
        .output()
        .expect("ran");
    let elapsed = start.elapsed();
    let stdout = String::from_utf8(out.stdout).expect("UTF-8 output");
    let lines = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect();
    (
        lines,
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().expect("exit status"),
        elapsed,
    )
}

fn keys(v: &Value) -> Vec<String> {
    v.as_object().expect("an object").keys().cloned().collect()
}

/// Asserts that `line` is an error line for `id` whose message contains every one of `words`.
fn assert_error(line: &Value, id: Value, words: &[&str]) {
    assert_eq!(keys(line), ["id", "error"], "{line}");
    assert_eq!(line["id"], id, "{line}");
    let msg = line["error"].as_str().expect("error is a string");
    for w in words {
        assert!(msg.contains(w), "error for id {id} should mention {w:?}: {msg}");
    }
}

const FLY_FIELDS: [&str; 8] = [
    "id",
    "impact_lat_deg",
    "impact_lon_deg",
    "time_of_flight_s",
    "apogee_alt_m",
    "apogee_time_s",
    "ground_range_km",
    "ground_azimuth_deg",
];

#[test]
fn fly_bad_lines_are_errors_in_place() {
    let good = r#"{"id":"first","lat_deg":54.03,"lon_deg":35.77,"alt_m":200000,"speed_mps":7000,"azimuth_deg":330,"flight_path_angle_deg":25,"gravity":"j2"}"#;
    let lines = [
        good,
        // Escape: 11.5 km/s straight up from 200 km (escape speed there is 11.0 km/s).
        r#"{"id":"escape","lat_deg":0,"lon_deg":0,"alt_m":200000,"speed_mps":11500,"azimuth_deg":90,"flight_path_angle_deg":80,"gravity":"j2"}"#,
        r#"{"id":"escape-point","lat_deg":30,"lon_deg":0,"alt_m":200000,"speed_mps":12000,"azimuth_deg":0,"flight_path_angle_deg":10,"gravity":"point"}"#,
        // Orbital: circular-ish LEO, perigee far above the ground.
        r#"{"id":"orbit","lat_deg":0,"lon_deg":0,"alt_m":300000,"speed_mps":7300,"azimuth_deg":90,"flight_path_angle_deg":0,"gravity":"j2"}"#,
        r#"{"id":"orbit-point","lat_deg":45,"lon_deg":10,"alt_m":500000,"speed_mps":7600,"azimuth_deg":60,"flight_path_angle_deg":0,"gravity":"point"}"#,
        // Grazing orbit: perigee 20 km above the equator, inside the J2 margin, so it is integrated and
        // must end with "no impact" rather than run on.
        r#"{"id":"grazing","lat_deg":0,"lon_deg":0,"alt_m":20000,"speed_mps":7500,"azimuth_deg":90,"flight_path_angle_deg":0,"gravity":"j2"}"#,
        r#"{"id":"nan-literal","lat_deg":10,"lon_deg":10,"alt_m":1000,"speed_mps":NaN,"azimuth_deg":0,"flight_path_angle_deg":45,"gravity":"point"}"#,
        r#"{"id":"nan-string","lat_deg":10,"lon_deg":10,"alt_m":1000,"speed_mps":"NaN","azimuth_deg":0,"flight_path_angle_deg":45,"gravity":"point"}"#,
        r#"{"id":"inf","lat_deg":10,"lon_deg":10,"alt_m":Infinity,"speed_mps":100,"azimuth_deg":0,"flight_path_angle_deg":45,"gravity":"point"}"#,
        r#"{"id":"negative-speed","lat_deg":10,"lon_deg":10,"alt_m":1000,"speed_mps":-5,"azimuth_deg":0,"flight_path_angle_deg":45,"gravity":"point"}"#,
        r#"{"id":"too-deep","lat_deg":10,"lon_deg":10,"alt_m":-1001,"speed_mps":500,"azimuth_deg":0,"flight_path_angle_deg":45,"gravity":"j2"}"#,
        r#"{"id":"no-azimuth","lat_deg":10,"lon_deg":10,"alt_m":1000,"speed_mps":500,"flight_path_angle_deg":45,"gravity":"j2"}"#,
        r#"{"id":"no-gravity","lat_deg":10,"lon_deg":10,"alt_m":1000,"speed_mps":500,"azimuth_deg":0,"flight_path_angle_deg":45}"#,
        r#"{"id":"moon","lat_deg":10,"lon_deg":10,"alt_m":1000,"speed_mps":500,"azimuth_deg":0,"flight_path_angle_deg":45,"gravity":"moon"}"#,
        r#"{"id":"lat","lat_deg":95,"lon_deg":10,"alt_m":1000,"speed_mps":500,"azimuth_deg":0,"flight_path_angle_deg":45,"gravity":"j2"}"#,
        r#"{"id":"fpa","lat_deg":5,"lon_deg":10,"alt_m":1000,"speed_mps":500,"azimuth_deg":0,"flight_path_angle_deg":91,"gravity":"j2"}"#,
        r#"{"id":"string-speed","lat_deg":5,"lon_deg":10,"alt_m":1000,"speed_mps":"fast","azimuth_deg":0,"flight_path_angle_deg":45,"gravity":"j2"}"#,
        r#"{"id":"buried","lat_deg":5,"lon_deg":10,"alt_m":-500,"speed_mps":0,"azimuth_deg":0,"flight_path_angle_deg":0,"gravity":"point"}"#,
        r#"{"id": 12, "lat_deg": 1,"#,
        r#"[1, 2, 3]"#,
        r#"{"id":"last","lat_deg":35.23,"lon_deg":53.92,"alt_m":150000,"speed_mps":5000,"azimuth_deg":300,"flight_path_angle_deg":35,"gravity":"point"}"#,
    ];
    let input = lines.join("\n") + "\n";
    let (out, stderr, code, elapsed) = run("fly", &input);
    assert_eq!(out.len(), lines.len(), "one answer per line");
    assert_eq!(code, 2);
    // Never a hang: the whole batch, never-impacting states included, answers in well under a second of
    // work (the bound leaves room for a busy machine and an unoptimised build).
    assert!(elapsed < Duration::from_secs(20), "took {elapsed:?}");

    assert_eq!(keys(&out[0]), FLY_FIELDS);
    assert_eq!(out[0]["id"], "first");
    let range = out[0]["ground_range_km"].as_f64().expect("range");
    assert!(range > 7_000.0 && range < 12_000.0, "{range}");
    assert_error(&out[1], "escape".into(), &["escape", "never impacts"]);
    assert_error(&out[2], "escape-point".into(), &["escape"]);
    assert_error(&out[3], "orbit".into(), &["orbit", "never impacts"]);
    assert_error(&out[4], "orbit-point".into(), &["orbit"]);
    assert_error(&out[5], "grazing".into(), &["no impact"]);
    assert_error(&out[6], "nan-literal".into(), &["`speed_mps`", "NaN"]);
    assert_error(&out[7], "nan-string".into(), &["`speed_mps`", "finite"]);
    assert_error(&out[8], "inf".into(), &["`alt_m`", "infinite"]);
    assert_error(
        &out[9],
        "negative-speed".into(),
        &["speed_mps", "-5", "non-negative"],
    );
    assert_error(&out[10], "too-deep".into(), &["alt_m", "-1001", "-1000"]);
    assert_error(&out[11], "no-azimuth".into(), &["missing field `azimuth_deg`"]);
    assert_error(&out[12], "no-gravity".into(), &["missing field `gravity`"]);
    assert_error(&out[13], "moon".into(), &["gravity", "moon", "point", "j2"]);
    assert_error(&out[14], "lat".into(), &["lat_deg", "95"]);
    assert_error(&out[15], "fpa".into(), &["flight_path_angle_deg", "91"]);
    assert_error(
        &out[16],
        "string-speed".into(),
        &["`speed_mps`", "number", "string"],
    );
    assert_error(&out[17], "buried".into(), &["below the surface"]);
    assert_error(&out[18], Value::Null, &["not valid JSON"]);
    assert_error(&out[19], Value::Null, &["expected a JSON object"]);
    assert_eq!(keys(&out[20]), FLY_FIELDS);
    assert_eq!(out[20]["id"], "last");
    // One stderr message per failed line, numbered.
    assert_eq!(stderr.lines().count(), lines.len() - 2, "{stderr}");
    assert!(
        stderr.contains("line 2:") && stderr.contains("escape"),
        "{stderr}"
    );
}

#[test]
fn fly_never_impacting_states_fail_fast_in_bulk() {
    // 400 escape, orbital and grazing states between two good ones: all answered, quickly, in order.
    let mut lines = vec![
        r#"{"id":0,"lat_deg":35.23,"lon_deg":53.92,"alt_m":150000,"speed_mps":5000,"azimuth_deg":300,"flight_path_angle_deg":35,"gravity":"j2"}"#
            .to_string(),
    ];
    for i in 1..=400 {
        let (alt, speed, fpa) = match i % 4 {
            0 => (200e3, 11_200.0 + i as f64, 60.0),
            1 => (400e3, 7_300.0 + (i % 50) as f64, 0.0),
            2 => (20e3, 7_500.0, 0.0),
            _ => (1_000e3, 7_000.0 + (i % 100) as f64, 1.0),
        };
        let gravity = if i % 2 == 0 { "j2" } else { "point" };
        lines.push(format!(
            r#"{{"id":{i},"lat_deg":0,"lon_deg":{},"alt_m":{alt},"speed_mps":{speed},"azimuth_deg":90,"flight_path_angle_deg":{fpa},"gravity":"{gravity}"}}"#,
            i % 360 - 180
        ));
    }
    lines.push(lines[0].replace(r#""id":0"#, r#""id":401"#));
    let (out, _, code, elapsed) = run("fly", &(lines.join("\n") + "\n"));
    assert_eq!(code, 2);
    assert_eq!(out.len(), 402);
    assert!(elapsed < Duration::from_secs(30), "took {elapsed:?}");
    for (i, line) in out.iter().enumerate() {
        assert_eq!(line["id"], i, "order kept");
        let is_error = line.get("error").is_some();
        assert_eq!(is_error, i != 0 && i != 401, "{line}");
    }
}

#[test]
fn lambert_bad_lines_are_errors_in_place() {
    let lines = [
        r#"{"id":"good","r1_m":[7000000,0,0],"r2_m":[-3000000,6500000,1000000],"tof_s":3000,"mu_m3ps2":398600441800000,"prograde":true,"max_revs":0}"#,
        r#"{"id":"180","r1_m":[7000000,0,0],"r2_m":[-8000000,0,0],"tof_s":3000,"mu_m3ps2":398600441800000,"prograde":true,"max_revs":0}"#,
        r#"{"id":"0deg","r1_m":[7000000,0,0],"r2_m":[8000000,0,0],"tof_s":3000,"mu_m3ps2":398600441800000,"prograde":true,"max_revs":0}"#,
        r#"{"id":"tof0","r1_m":[7000000,0,0],"r2_m":[0,7000000,0],"tof_s":0,"mu_m3ps2":398600441800000,"prograde":true,"max_revs":0}"#,
        r#"{"id":"tofneg","r1_m":[7000000,0,0],"r2_m":[0,7000000,0],"tof_s":-10,"mu_m3ps2":398600441800000,"prograde":true,"max_revs":0}"#,
        r#"{"id":"zero-r1","r1_m":[0,0,0],"r2_m":[0,7000000,0],"tof_s":3000,"mu_m3ps2":398600441800000,"prograde":true,"max_revs":0}"#,
        r#"{"id":"zero-r2","r1_m":[7000000,0,0],"r2_m":[0,0,0],"tof_s":3000,"mu_m3ps2":398600441800000,"prograde":true,"max_revs":0}"#,
        r#"{"id":"nan","r1_m":[7000000,NaN,0],"r2_m":[0,7000000,0],"tof_s":3000,"mu_m3ps2":398600441800000,"prograde":true,"max_revs":0}"#,
        r#"{"id":"nan-tof","r1_m":[7000000,0,0],"r2_m":[0,7000000,0],"tof_s":NaN,"mu_m3ps2":398600441800000,"prograde":true,"max_revs":0}"#,
        r#"{"id":"revs","r1_m":[7000000,0,0],"r2_m":[0,7000000,0],"tof_s":3000,"mu_m3ps2":398600441800000,"prograde":true,"max_revs":3}"#,
        r#"{"id":"revs-fit","r1_m":[7000000,0,0],"r2_m":[-3000000,6500000,1000000],"tof_s":20000,"mu_m3ps2":398600441800000,"prograde":true,"max_revs":2}"#,
        r#"{"id":"revs-some","r1_m":[7000000,0,0],"r2_m":[-3000000,6500000,1000000],"tof_s":20000,"mu_m3ps2":398600441800000,"prograde":true,"max_revs":5}"#,
        r#"{"id":"revs-frac","r1_m":[7000000,0,0],"r2_m":[0,7000000,0],"tof_s":3000,"mu_m3ps2":398600441800000,"prograde":true,"max_revs":1.5}"#,
        r#"{"id":"mu","r1_m":[7000000,0,0],"r2_m":[0,7000000,0],"tof_s":3000,"mu_m3ps2":-1,"prograde":true,"max_revs":0}"#,
        r#"{"id":"short-vec","r1_m":[7000000,0],"r2_m":[0,7000000,0],"tof_s":3000,"mu_m3ps2":398600441800000,"prograde":true,"max_revs":0}"#,
        r#"{"id":"no-tof","r1_m":[7000000,0,0],"r2_m":[0,7000000,0],"mu_m3ps2":398600441800000,"prograde":true,"max_revs":0}"#,
        r#"{"id":"prograde","r1_m":[7000000,0,0],"r2_m":[0,7000000,0],"tof_s":3000,"mu_m3ps2":398600441800000,"prograde":"yes","max_revs":0}"#,
        r#"{"id":"good-retro","r1_m":[7000000,0,0],"r2_m":[-3000000,6500000,1000000],"tof_s":3000,"mu_m3ps2":398600441800000,"prograde":false,"max_revs":0}"#,
    ];
    let input = lines.join("\n") + "\n";
    let (out, stderr, code, elapsed) = run("lambert", &input);
    assert_eq!(out.len(), lines.len());
    assert_eq!(code, 2);
    assert!(elapsed < Duration::from_secs(20), "took {elapsed:?}");
    assert_eq!(keys(&out[0]), ["id", "v1_mps", "v2_mps"]);
    assert_error(&out[1], "180".into(), &["180 degrees", "plane"]);
    assert_error(&out[2], "0deg".into(), &["0 degrees", "plane"]);
    assert_error(&out[3], "tof0".into(), &["tof_s = 0", "positive"]);
    assert_error(&out[4], "tofneg".into(), &["tof_s = -10", "positive"]);
    assert_error(&out[5], "zero-r1".into(), &["r1_m", "zero vector"]);
    assert_error(&out[6], "zero-r2".into(), &["r2_m", "zero vector"]);
    assert_error(&out[7], "nan".into(), &["`r1_m`", "NaN"]);
    assert_error(&out[8], "nan-tof".into(), &["`tof_s`", "NaN"]);
    assert_error(&out[9], "revs".into(), &["max_revs = 3", "too high", "at most 0"]);
    assert_eq!(keys(&out[10]), ["id", "v1_mps", "v2_mps", "solutions"]);
    assert_eq!(out[10]["solutions"].as_array().expect("array").len(), 5);
    assert_error(&out[11], "revs-some".into(), &["max_revs = 5", "at most 3"]);
    assert_error(&out[12], "revs-frac".into(), &["max_revs", "integer"]);
    assert_error(&out[13], "mu".into(), &["mu_m3ps2 = -1", "positive"]);
    assert_error(&out[14], "short-vec".into(), &["`r1_m`", "3 numbers"]);
    assert_error(&out[15], "no-tof".into(), &["missing field `tof_s`"]);
    assert_error(&out[16], "prograde".into(), &["`prograde`", "true or false"]);
    assert_eq!(keys(&out[17]), ["id", "v1_mps", "v2_mps"]);
    assert_eq!(out[17]["id"], "good-retro");
    // Retrograde: angular momentum along −Z.
    let v = &out[17]["v1_mps"];
    assert!(7e6 * v[1].as_f64().expect("number") < 0.0);
    assert_eq!(stderr.lines().count(), lines.len() - 3, "{stderr}");
}
