//! The JSON Lines commands (`geodesy`, `fly`, `lambert`) read outside input: arbitrary bytes and
//! structure-aware near-requests (right field names, wrong or extreme values) must give one
//! answer line per input line, in order, and exit 0 or 2 — never a panic, a hang or a lost line.

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use proptest::prelude::*;

/// Runs `cmd` on `input` (one request per line) and checks the contract; returns nothing,
/// failing the test on a violation.
fn check(cmd: &str, lines: &[Vec<u8>]) -> Result<(), TestCaseError> {
    let mut input = Vec::new();
    for l in lines {
        input.extend_from_slice(l);
        input.push(b'\n');
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_shieldwatch"))
        .args([cmd, "--threads", "2"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin");
    let feeder = std::thread::spawn(move || stdin.write_all(&input));
    let t0 = Instant::now();
    let out = child.wait_with_output().expect("output");
    feeder.join().expect("feeder").expect("write stdin");
    prop_assert!(
        t0.elapsed() < Duration::from_secs(60),
        "{cmd} took {:?}",
        t0.elapsed()
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    prop_assert!(!stderr.contains("panicked"), "{cmd} panicked: {stderr}");
    let code = out.status.code();
    prop_assert!(matches!(code, Some(0 | 2)), "{cmd} exit {code:?}: {stderr}");
    let answers: Vec<&[u8]> = out
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    prop_assert_eq!(
        answers.len(),
        lines.len(),
        "{} answered {} of {} lines",
        cmd,
        answers.len(),
        lines.len()
    );
    for a in answers {
        let v: serde_json::Value = serde_json::from_slice(a).expect("each answer is JSON");
        prop_assert!(v.is_object() && v.get("id").is_some(), "{v}");
    }
    Ok(())
}

/// A line of arbitrary bytes without a newline.
fn raw_line() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>().prop_filter("no newline", |b| *b != b'\n'), 0..120)
}

/// A JSON value of the kinds requests hold, with extremes.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<f64>().prop_map(|x| if x.is_finite() {
            format!("{x:e}")
        } else {
            "1e999".into()
        }),
        Just("-0".to_owned()),
        Just("NaN".to_owned()),
        Just("Infinity".to_owned()),
        Just("null".to_owned()),
        Just("\"point\"".to_owned()),
        Just("\"j2\"".to_owned()),
        Just("\"inverse\"".to_owned()),
        Just("\"direct\"".to_owned()),
        Just("\"look_angle\"".to_owned()),
        Just("\"min_visible_alt\"".to_owned()),
        Just("true".to_owned()),
        Just("[1e7,0,0]".to_owned()),
        Just("[6.4e6,1e5,-3e3]".to_owned()),
        (-1000i64..1_000_000).prop_map(|i| i.to_string()),
        "[a-z\"\\\\]{0,8}".prop_map(|s| format!("{s:?}")),
    ]
}

/// A request-shaped line: an object with the command's field names and random values.
fn near_request(fields: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec((proptest::sample::select(fields), value()), 0..10).prop_map(|kv| {
        let body: Vec<String> = kv.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
        format!("{{\"id\":1,{}}}", body.join(",")).into_bytes()
    })
}

const GEODESY: &[&str] = &[
    "kind",
    "lat1_deg",
    "lon1_deg",
    "lat2_deg",
    "lon2_deg",
    "azi1_deg",
    "distance_m",
    "obs_lat_deg",
    "obs_lon_deg",
    "obs_h_m",
    "tgt_lat_deg",
    "tgt_lon_deg",
    "tgt_h_m",
    "min_elevation_deg",
];
const FLY: &[&str] = &[
    "lat_deg",
    "lon_deg",
    "alt_m",
    "speed_mps",
    "azimuth_deg",
    "flight_path_angle_deg",
    "gravity",
];
const LAMBERT: &[&str] = &["r1_m", "r2_m", "tof_s", "mu_m3ps2", "prograde", "max_revs"];

fn lines(fields: &'static [&'static str]) -> impl Strategy<Value = Vec<Vec<u8>>> {
    proptest::collection::vec(prop_oneof![raw_line(), near_request(fields)], 1..60)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn geodesy_answers_every_line(l in lines(GEODESY)) {
        check("geodesy", &l)?;
    }

    #[test]
    fn fly_answers_every_line(l in lines(FLY)) {
        check("fly", &l)?;
    }

    #[test]
    fn lambert_answers_every_line(l in lines(LAMBERT)) {
        check("lambert", &l)?;
    }
}
