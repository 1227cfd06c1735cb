//! Targeting by shooting against an independent flight: the programmes that `aim::aim_at` (minimum
//! energy, lofted, depressed shots from Semnan to Ankara and Riyadh) and `flyout::steer_to` (interceptor
//! flyouts from Redzikowo through three points) found (`examples/aim_cases.rs` →
//! `tests/reference/aim_programmes.json`) were flown by scipy (`tests/reference/check_aim.py` →
//! `aim_cases.json`: the same equations written independently, DOP853 at rtol 1e-12).
//!
//! Checked here: the independent flight lands within 1 m of the target (passes within 1 m of the point),
//! and shieldwatch's own flight of the same programme lands within 1 m of where scipy's did, with the same
//! time of flight within 1 ms.

use flight::powered::PoweredOptions;
use flight::{DragTable, Gravity, Programme, Stage, Vehicle, fly_boost, propagate};
use geodesy::Geodetic;
use serde_json::Value;

fn num(v: &Value, k: &str) -> f64 {
    v[k].as_f64().unwrap_or_else(|| panic!("{k} missing in {v}"))
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

fn geo(v: &Value) -> Geodetic {
    Geodetic {
        lat_deg: num(v, "lat_deg"),
        lon_deg: num(v, "lon_deg"),
        h_m: num(v, "h_m"),
    }
}

fn vehicle(v: &Value) -> Vehicle {
    let stages = v["stages"]
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
            drag: DragTable::try_new(floats(&s["drag"]["mach"]), floats(&s["drag"]["cd"])).unwrap(),
            coast_after_s: num(s, "coast_after_s"),
        })
        .collect();
    Vehicle::try_new(stages, num(v, "payload_kg")).unwrap()
}

#[test]
fn shots_and_flyouts_land_within_1_m_in_an_independent_flight() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/reference/aim_cases.json"
    ))
    .unwrap();
    let data: Value = serde_json::from_str(&text).unwrap();
    let cases = data["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 9);
    let options = PoweredOptions::default();
    let model = options.model;
    let mut shapes = std::collections::BTreeSet::new();
    for c in cases {
        let id = c["id"].as_str().unwrap();
        let peer = &c["peer"];
        assert!(
            num(peer, "miss_m") <= 1.0,
            "{id}: scipy's flight misses by {} m",
            num(peer, "miss_m")
        );
        let p = &c["programme"];
        let programme = Programme {
            vertical_rise_s: num(p, "vertical_rise_s"),
            kick_deg: num(p, "kick_deg"),
            kick_duration_s: num(p, "kick_duration_s"),
            azimuth_deg: num(p, "azimuth_deg"),
        };
        let b = fly_boost(&vehicle(&c["vehicle"]), geo(&c["site"]), &programme, &options).unwrap();
        let coast = propagate(&b.burnout, Gravity::J2).unwrap();
        let target = geo(&c["target"]);
        match c["kind"].as_str().unwrap() {
            "impact" => {
                shapes.insert(c["shape"].as_str().unwrap().to_string());
                let impact = coast.impact().position;
                let peer_impact = Geodetic {
                    lat_deg: num(peer, "impact_lat_deg"),
                    lon_deg: num(peer, "impact_lon_deg"),
                    h_m: 0.0,
                };
                let d = (model.to_ecef(impact) - model.to_ecef(peer_impact)).norm();
                assert!(d < 1.0, "{id}: impacts {d} m apart");
                let tof = b.burnout_time_s + coast.time_of_flight_s();
                assert!(
                    (tof - num(peer, "time_of_flight_s")).abs() < 1e-3,
                    "{id}: {tof} s"
                );
                let miss = (model.to_ecef(impact) - model.to_ecef(Geodetic { h_m: 0.0, ..target })).norm();
                assert!(miss < 1.0, "{id}: lands {miss} m from the target");
            }
            "pass" => {
                let t = num(peer, "time_s");
                let (r, _) = coast.ecef_at(t - b.burnout_time_s).unwrap();
                let d = (r - model.to_ecef(target)).norm();
                assert!(d < 1.0, "{id}: at scipy's closest approach, {d} m from the point");
            }
            other => panic!("{id}: unknown kind {other}"),
        }
    }
    assert_eq!(shapes.len(), 3, "{shapes:?}");
}
