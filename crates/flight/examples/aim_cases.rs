//! Solves the targeting cases that `tests/reference/check_aim.py` flies independently: powered shots
//! (minimum energy, lofted, depressed) from Semnan to two targets with a two-stage test rocket, and
//! interceptor flyouts from Redzikowo through three points. Prints them as JSON on stdout (vehicle,
//! site, programme found, target); `check_aim.py` reads that file, flies each programme with scipy and
//! records where it lands or how close it passes.
//!
//! `cargo run --release -p flight --example aim_cases > crates/flight/tests/reference/aim_programmes.json`

use flight::aim::{PoweredShape, aim_at};
use flight::flyout::steer_to;
use flight::powered::PoweredOptions;
use flight::{Programme, Vehicle};
use geodesy::Geodetic;
use serde_json::{Value, json};

/// The test vehicles of `src/aim.rs` and `src/flyout.rs` (not claims about real missiles).
fn mrbm() -> Vehicle {
    flight::test_rockets::solid_mrbm()
}

fn interceptor() -> Vehicle {
    flight::test_rockets::interceptor()
}

fn vehicle_json(v: &Vehicle) -> Value {
    json!({
        "payload_kg": v.payload_kg(),
        "stages": v.stages().iter().map(|s| json!({
            "propellant_kg": s.propellant_kg,
            "dry_kg": s.dry_kg,
            "burn_time_s": s.burn_time_s,
            "isp_vac_s": s.isp_vac_s,
            "nozzle_exit_area_m2": s.nozzle_exit_area_m2,
            "reference_area_m2": s.reference_area_m2,
            "drag": {"mach": s.drag.mach(), "cd": s.drag.cd_values()},
            "coast_after_s": s.coast_after_s,
        })).collect::<Vec<_>>(),
    })
}

fn geo(p: Geodetic) -> Value {
    json!({"lat_deg": p.lat_deg, "lon_deg": p.lon_deg, "h_m": p.h_m})
}

fn prog(p: &Programme) -> Value {
    json!({
        "vertical_rise_s": p.vertical_rise_s,
        "kick_deg": p.kick_deg,
        "kick_duration_s": p.kick_duration_s,
        "azimuth_deg": p.azimuth_deg,
    })
}

fn main() {
    let options = PoweredOptions::default();
    let mut out = Vec::new();
    let semnan = Geodetic {
        lat_deg: 35.23,
        lon_deg: 53.92,
        h_m: 1_100.0,
    };
    let template = Programme {
        vertical_rise_s: 8.0,
        kick_deg: 0.0,
        kick_duration_s: 10.0,
        azimuth_deg: 0.0,
    };
    for (name, target) in [
        (
            "semnan-ankara",
            Geodetic {
                lat_deg: 39.93,
                lon_deg: 32.86,
                h_m: 0.0,
            },
        ),
        (
            "semnan-riyadh",
            Geodetic {
                lat_deg: 24.71,
                lon_deg: 46.68,
                h_m: 0.0,
            },
        ),
    ] {
        for (shape, label) in [
            (PoweredShape::MinimumEnergy, "min-energy"),
            (PoweredShape::Lofted, "lofted"),
            (PoweredShape::Depressed, "depressed"),
        ] {
            let s = aim_at(&mrbm(), semnan, target, &template, shape, &options).expect("aim");
            out.push(json!({
                "id": format!("{name}-{label}"),
                "kind": "impact",
                "shape": label,
                "vehicle": vehicle_json(&s.vehicle),
                "scale": s.scale,
                "site": geo(semnan),
                "target": geo(target),
                "programme": prog(&s.programme),
            }));
        }
    }
    let redzikowo = Geodetic {
        lat_deg: 54.48,
        lon_deg: 17.10,
        h_m: 60.0,
    };
    let template = Programme {
        vertical_rise_s: 6.0,
        kick_deg: 0.0,
        kick_duration_s: 8.0,
        azimuth_deg: 0.0,
    };
    for (i, (lat, lon, h)) in [(55.5, 25.0, 250e3), (56.0, 35.0, 400e3), (60.0, 10.0, 800e3)]
        .into_iter()
        .enumerate()
    {
        let target = Geodetic {
            lat_deg: lat,
            lon_deg: lon,
            h_m: h,
        };
        let f = steer_to(&interceptor(), redzikowo, target, &template, &options, 0.1).expect("flyout");
        out.push(json!({
            "id": format!("redzikowo-flyout-{i}"),
            "kind": "pass",
            "vehicle": vehicle_json(&interceptor()),
            "scale": 1.0,
            "site": geo(redzikowo),
            "target": geo(target),
            "programme": prog(&f.programme),
            "time_s": f.time_s,
        }));
    }
    println!(
        "{}",
        serde_json::to_string_pretty(&json!({"generator": "examples/aim_cases.rs", "cases": out})).unwrap()
    );
}
