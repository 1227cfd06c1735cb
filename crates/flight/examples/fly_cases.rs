//! Flies every burnout state of the committed Orekit reference set
//! (`tests/reference/orekit_trajectories.json`) under J2, reports the worst differences from Orekit's
//! answers, then times the set the way `bench/OrekitFly.java` times Orekit: warm-up passes, then the best
//! of the timed passes, as wall time per trajectory. Used by `bench/compare_peers.sh`; also a profiling
//! aid (`valgrind --tool=callgrind`).
//!
//! `cargo run --release -p flight --example fly_cases -- [warm-up passes] [timed passes]`

use std::time::Instant;

use flight::{BurnoutState, Gravity, Options, propagate_with};
use serde_json::Value;

fn main() {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<usize>().ok());
    let warm = args.next().flatten().unwrap_or(20);
    let timed = args.next().flatten().unwrap_or(20);
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/reference/orekit_trajectories.json"
    );
    let text = std::fs::read_to_string(path).expect("reference file");
    let data: Value = serde_json::from_str(&text).expect("JSON");
    let num = |c: &Value, k: &str| c[k].as_f64().expect("number");
    let cases = data["cases"].as_array().expect("cases");
    let mut options = Options::default();
    if let Some(v) = std::env::var("SW_RTOL").ok().and_then(|v| v.parse().ok()) {
        options.tolerances.rtol = v;
    }
    if let Some(v) = std::env::var("SW_ATOL").ok().and_then(|v| v.parse().ok()) {
        options.tolerances.atol_pos_m = v;
    }
    if let Some(v) = std::env::var("SW_MAXSTEP").ok().and_then(|v| v.parse().ok()) {
        options.tolerances.max_step_s = v;
    }
    let propagate = |s: &BurnoutState, g: Gravity| propagate_with(s, g, &options);
    let states: Vec<BurnoutState> = cases
        .iter()
        .map(|c| {
            BurnoutState::try_new(
                num(c, "lat_deg"),
                num(c, "lon_deg"),
                num(c, "alt_m"),
                num(c, "speed_mps"),
                num(c, "azimuth_deg"),
                num(c, "flight_path_angle_deg"),
            )
            .expect("valid state")
        })
        .collect();

    // Accuracy against Orekit (impact distance as the chord between the two ground points, as the Java
    // side measures it).
    let mut worst = [0.0f64; 4];
    let mut steps = 0;
    for (s, c) in states.iter().zip(cases) {
        let t = propagate(s, Gravity::J2).expect("impacts");
        steps += t.steps();
        let a = t.summary();
        let r = &c["j2"];
        let ground = |lat: f64, lon: f64| {
            geodesy::Geodetic {
                lat_deg: lat,
                lon_deg: lon,
                h_m: 0.0,
            }
            .to_ecef()
        };
        let d = (ground(a.impact_lat_deg, a.impact_lon_deg)
            - ground(num(r, "impact_lat_deg"), num(r, "impact_lon_deg")))
        .norm();
        let errs = [
            d,
            (a.time_of_flight_s - num(r, "time_of_flight_s")).abs(),
            (a.apogee_alt_m - num(r, "apogee_alt_m")).abs(),
            (a.apogee_time_s - num(r, "apogee_time_s")).abs(),
        ];
        for (w, e) in worst.iter_mut().zip(errs) {
            *w = w.max(e);
        }
    }
    println!(
        "shieldwatch rtol 1e-12 atol 1e-6 m: worst impact {:.3e} m, tof {:.3e} s, apogee {:.3e} m, apogee time {:.3e} s ({:.1} steps per trajectory)",
        worst[0],
        worst[1],
        worst[2],
        worst[3],
        steps as f64 / states.len() as f64
    );

    let no_summary = std::env::var("SW_NOSUMMARY").is_ok();
    let mut sink = 0.0;
    let mut pass = || {
        for s in &states {
            let t = propagate(std::hint::black_box(s), Gravity::J2).expect("impacts");
            sink += if no_summary {
                t.time_of_flight_s() + t.impact().position.lat_deg + t.apogee().position.h_m
            } else {
                t.summary().time_of_flight_s
            };
        }
    };
    for _ in 0..warm {
        pass();
    }
    let mut best = f64::INFINITY;
    for _ in 0..timed {
        let t0 = Instant::now();
        pass();
        best = best.min(t0.elapsed().as_secs_f64() / states.len() as f64);
    }
    println!(
        "shieldwatch fly: {:.2} us per trajectory (best of {timed} timed passes over {} cases after {warm} warm-up passes; checksum {sink:.3})",
        best * 1e6,
        states.len()
    );
}
