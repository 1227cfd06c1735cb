//! Flies every case of the committed powered-flight reference set (`tests/reference/powered_cases.json`,
//! made by `tests/reference/gen_powered.py` with scipy), reports the worst burnout differences from the
//! reference, then times the set: warm-up passes, then the best of the timed passes, as wall time per
//! powered flight (liftoff to burnout). Used by `bench/compare_powered.sh`, which times the scipy peer on
//! the same cases.
//!
//! `cargo run --release -p flight --example powered_cases -- [warm-up passes] [timed passes] [rtol]`
//! (defaults 3, 10 and the default relative tolerance, 1e-12).

use std::time::Instant;

use flight::powered::PoweredOptions;
use flight::{DragTable, Gravity, Programme, Stage, Vehicle, fly_boost};
use geodesy::Geodetic;
use serde_json::Value;

fn num(v: &Value, k: &str) -> f64 {
    v[k].as_f64().unwrap_or_else(|| panic!("{k} missing"))
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let warm: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(3);
    let timed: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10);
    let rtol: Option<f64> = args.next().and_then(|a| a.parse().ok());
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/reference/powered_cases.json");
    let text = std::fs::read_to_string(path).expect("reference file");
    let data: Value = serde_json::from_str(&text).expect("JSON");
    let cases: Vec<(Vehicle, Geodetic, Programme, PoweredOptions, Value)> = data["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| {
            let stages = c["vehicle"]["stages"]
                .as_array()
                .expect("stages")
                .iter()
                .map(|s| Stage {
                    propellant_kg: num(s, "propellant_kg"),
                    dry_kg: num(s, "dry_kg"),
                    burn_time_s: num(s, "burn_time_s"),
                    isp_vac_s: num(s, "isp_vac_s"),
                    nozzle_exit_area_m2: num(s, "nozzle_exit_area_m2"),
                    reference_area_m2: num(s, "reference_area_m2"),
                    drag: DragTable::try_new(floats(&s["drag"]["mach"]), floats(&s["drag"]["cd"]))
                        .expect("table"),
                    coast_after_s: num(s, "coast_after_s"),
                })
                .collect();
            let vehicle = Vehicle::try_new(stages, num(&c["vehicle"], "payload_kg")).expect("vehicle");
            let site = Geodetic {
                lat_deg: num(&c["site"], "lat_deg"),
                lon_deg: num(&c["site"], "lon_deg"),
                h_m: num(&c["site"], "h_m"),
            };
            let p = &c["programme"];
            let programme = Programme {
                vertical_rise_s: num(p, "vertical_rise_s"),
                kick_deg: num(p, "kick_deg"),
                kick_duration_s: num(p, "kick_duration_s"),
                azimuth_deg: num(p, "azimuth_deg"),
            };
            let mut options = PoweredOptions {
                gravity: c["gravity"]
                    .as_str()
                    .expect("gravity")
                    .parse::<Gravity>()
                    .expect("gravity"),
                atmosphere: c["atmosphere"].as_bool().expect("atmosphere"),
                ..PoweredOptions::default()
            };
            if let Some(r) = rtol {
                options.rtol = r;
            }
            (vehicle, site, programme, options, c["expected"].clone())
        })
        .collect();
    let (mut worst_r, mut worst_v, mut steps) = (0.0f64, 0.0f64, 0usize);
    for (vehicle, site, programme, options, expected) in &cases {
        let b = fly_boost(vehicle, *site, programme, options).expect("flight");
        let (r, v) = b.burnout_ecef;
        let (er, ev) = (floats(&expected["r_ecef_m"]), floats(&expected["v_ecef_mps"]));
        worst_r = worst_r.max(((r.x - er[0]).powi(2) + (r.y - er[1]).powi(2) + (r.z - er[2]).powi(2)).sqrt());
        worst_v = worst_v.max(((v.x - ev[0]).powi(2) + (v.y - ev[1]).powi(2) + (v.z - ev[2]).powi(2)).sqrt());
        steps += b.steps();
    }
    let pass = || {
        for (vehicle, site, programme, options, _) in &cases {
            std::hint::black_box(fly_boost(vehicle, *site, programme, options).expect("flight"));
        }
    };
    for _ in 0..warm {
        pass();
    }
    let mut best = f64::INFINITY;
    for _ in 0..timed {
        let t0 = Instant::now();
        pass();
        best = best.min(t0.elapsed().as_secs_f64());
    }
    println!(
        "shieldwatch fly_boost: {} cases, {:.1} µs per powered flight (best of {timed} passes), {:.0} steps per flight; worst vs scipy: position {worst_r:.2e} m, velocity {worst_v:.2e} m/s",
        cases.len(),
        best / cases.len() as f64 * 1e6,
        steps as f64 / cases.len() as f64
    );
}
