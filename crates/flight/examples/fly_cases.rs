//! Flies every burnout state of the committed Orekit reference set
//! (`tests/reference/orekit_trajectories.json`) under J2, reports the worst differences from Orekit's
//! answers, then times the set the way `bench/OrekitFly.java` times Orekit: warm-up passes, then the best
//! of the timed passes, as wall time per trajectory — twice: the propagation with its events (impact
//! point, time of flight, apogee: the work the Orekit side does) and the whole `fly` answer (plus the
//! WGS84 ground geodesic). Used by `bench/compare_peers.sh`; also a profiling aid (`perf`,
//! `valgrind --tool=callgrind`).
//!
//! `cargo run --release -p flight --example fly_cases -- [warm-up passes] [timed passes] [rtol] [atol m]
//! [rkn12|dop853]` (defaults 20, 20, the integrator's default tolerances and RKN12).

use std::time::Instant;

use flight::{BurnoutState, Gravity, Integrator, Options, propagate_with};
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
    let integrator = match std::env::args().nth(5).as_deref() {
        Some("dop853") => Integrator::Dop853,
        _ => Integrator::Rkn12,
    };
    let label = match integrator {
        Integrator::Rkn12 => "rkn12",
        Integrator::Dop853 => "dop853",
    };
    let mut options = Options::with_integrator(integrator);
    let tol = &mut options.tolerances;
    if let Some(v) = std::env::args().nth(3).and_then(|v| v.parse().ok()) {
        tol.rtol = v;
    }
    if let Some(v) = std::env::args().nth(4).and_then(|v| v.parse().ok()) {
        tol.atol_pos_m = v;
    }
    let (rtol, atol) = (tol.rtol, tol.atol_pos_m);
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
        "shieldwatch {label} rtol {rtol:.0e} atol {atol:.0e} m: worst impact {:.3e} m, tof {:.3e} s, apogee {:.3e} m, apogee time {:.3e} s ({:.1} steps per trajectory)",
        worst[0],
        worst[1],
        worst[2],
        worst[3],
        steps as f64 / states.len() as f64
    );

    for whole in [false, true] {
        let mut sink = 0.0;
        let mut pass = || {
            for s in &states {
                let t = propagate(std::hint::black_box(s), Gravity::J2).expect("impacts");
                sink += if whole {
                    t.summary().ground_range_m
                } else {
                    t.time_of_flight_s() + t.impact().position.lat_deg + t.apogee().position.h_m
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
        let what = if whole {
            "fly answer (+ ground geodesic)"
        } else {
            "propagation + events"
        };
        println!(
            "shieldwatch {label} rtol {rtol:.0e}: {what}: {:.2} us per trajectory (best of {timed} timed passes over {} cases after {warm} warm-up passes; checksum {sink:.3})",
            best * 1e6,
            states.len()
        );
    }
}
