//! Internal consistency: the closed-form Kepler path and the DOP853 integrator agree under point gravity,
//! and event definitions hold (impact at height 0, apogee a maximum of height).

use flight::{BurnoutState, Gravity, Method, Options, propagate_with};

fn cases() -> Vec<BurnoutState> {
    let mut v = Vec::new();
    for (lat, lon, alt, speed, az, fpa) in [
        (35.23, 53.92, 150e3, 5_000.0, 300.0, 35.0),
        (54.03, 35.77, 200e3, 7_000.0, 330.0, 25.0),
        (0.0, 10.0, 100e3, 6_500.0, 270.0, 20.0),
        (89.0, 0.0, 120e3, 6_800.0, 180.0, 30.0),
        (10.0, 179.5, 80e3, 3_000.0, 90.0, 40.0),
        (45.0, -100.0, 50e3, 1_000.0, 45.0, 89.5),
        (-30.0, 20.0, 0.0, 2_000.0, 10.0, 45.0),
        (20.0, 120.0, -500.0, 4_000.0, 200.0, 60.0),
        (60.0, 40.0, 300e3, 7_200.0, 0.0, 10.0),
    ] {
        v.push(BurnoutState::try_new(lat, lon, alt, speed, az, fpa).unwrap());
    }
    v
}

#[test]
fn kepler_and_integrator_agree_under_point_gravity() {
    for b in cases() {
        let k = propagate_with(
            &b,
            Gravity::Point,
            &Options {
                method: Method::Kepler,
                ..Options::default()
            },
        )
        .unwrap()
        .summary();
        let n = propagate_with(
            &b,
            Gravity::Point,
            &Options {
                method: Method::Numerical,
                ..Options::default()
            },
        )
        .unwrap()
        .summary();
        let d_imp = geodesy::inverse(
            k.impact_lat_deg,
            k.impact_lon_deg,
            n.impact_lat_deg,
            n.impact_lon_deg,
        )
        .unwrap()
        .distance_m;
        println!(
            "{b:?}\n  tof {:.6} vs {:.6}, apogee {:.4} at {:.5} vs {:.4} at {:.5}, impact Δ {d_imp:.2e} m",
            k.time_of_flight_s,
            n.time_of_flight_s,
            k.apogee_alt_m,
            k.apogee_time_s,
            n.apogee_alt_m,
            n.apogee_time_s
        );
        assert!(d_imp < 1e-3, "{d_imp}");
        assert!((k.time_of_flight_s - n.time_of_flight_s).abs() < 1e-5);
        assert!((k.apogee_alt_m - n.apogee_alt_m).abs() < 1e-3);
        assert!((k.apogee_time_s - n.apogee_time_s).abs() < 1e-4);
    }
}
