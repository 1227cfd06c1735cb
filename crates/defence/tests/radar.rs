//! Radar invariants over random geometry, and the europe-2008 radar's view of named places.

use defence::radar::{Radar, Visibility};
use defence::scenario::Scenario;
use geodesy::{Geodetic, earth_blocks, look_angle};
use proptest::prelude::*;

fn emr() -> Radar {
    let s = Scenario::load("europe-2008").unwrap();
    let def = &s.radars[0];
    Radar::from_def(def, s.site(&def.site).unwrap()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    /// Nothing below the radar's horizon (or its minimum elevation, or behind the Earth) is ever seen.
    #[test]
    fn nothing_below_the_horizon_is_seen(lat in -90.0..90.0f64, lon in -180.0..180.0f64,
                                         h in 0.0..3_000_000.0f64, rcs in 1e-4..10.0f64) {
        let r = emr();
        let tgt = Geodetic { lat_deg: lat, lon_deg: lon, h_m: h };
        let la = look_angle(r.position, tgt);
        let blocked = earth_blocks(r.position_ecef_m(), tgt.to_ecef());
        if la.elevation_deg < r.min_elevation_deg || blocked {
            prop_assert!(!r.sees(tgt.to_ecef(), rcs));
        }
        if la.slant_range_m > r.detection_range_m(rcs) {
            prop_assert!(!r.sees(tgt.to_ecef(), rcs));
        }
    }

    /// A bigger target is never harder to see.
    #[test]
    fn bigger_targets_are_seen_at_least_as_well(lat in 20.0..70.0f64, lon in -10.0..70.0f64,
                                                h in 0.0..2_000_000.0f64, rcs in 1e-4..1.0f64) {
        let r = emr();
        let p = Geodetic { lat_deg: lat, lon_deg: lon, h_m: h }.to_ecef();
        if r.sees(p, rcs) {
            prop_assert!(r.sees(p, rcs * 2.0));
        }
    }
}

#[test]
fn lowest_visible_altitude_over_named_places() {
    let r = emr();
    // Kozelsk (~1,500 km, bearing ~66°) lies inside the default field of regard (115° ± 60°): the horizon
    // at the 1° minimum elevation is the limit, ~232 km up (203 km at 0°, as in the geodesy reference data).
    let kozelsk = geodesy::inverse(r.position.lat_deg, r.position.lon_deg, 54.0333, 35.7667).unwrap();
    assert!((kozelsk.azi1_deg - 66.0).abs() < 5.0, "{kozelsk:?}");
    let h = r.lowest_visible_alt_m(54.0333, 35.7667, 0.05).unwrap();
    let horizon = geodesy::min_visible_alt(r.position, r.min_elevation_deg, 54.0333, 35.7667)
        .unwrap()
        .unwrap();
    assert!(
        (h - horizon).abs() < 1e-6 && (h - 232_400.0).abs() < 1_000.0,
        "{h} vs {horizon}"
    );
    // A narrower sector that excludes it sees nothing there.
    let mut narrow = r.clone();
    narrow.azimuth_half_width_deg = 30.0;
    assert_eq!(narrow.lowest_visible_alt_m(54.0333, 35.7667, 1.0), None);
    // Semnan (~3,600 km) is beyond the 2,000 km reference range for a 0.1 m² warhead at any height.
    assert_eq!(r.lowest_visible_alt_m(35.2347, 53.9208, 0.1), None);
    // A point 1,000 km south-east is within the field of regard: seen from the horizon height up.
    let p = geodesy::direct(r.position.lat_deg, r.position.lon_deg, 115.0, 1_000_000.0).unwrap();
    let h = r.lowest_visible_alt_m(p.lat2_deg, p.lon2_deg, 0.1).unwrap();
    let horizon = geodesy::min_visible_alt(r.position, r.min_elevation_deg, p.lat2_deg, p.lon2_deg)
        .unwrap()
        .unwrap();
    assert!((h - horizon).abs() < 1e-6 && h > 90_000.0 && h < 120_000.0, "{h}");
    assert_eq!(
        r.visibility(
            Geodetic {
                lat_deg: p.lat2_deg,
                lon_deg: p.lon2_deg,
                h_m: 10_000.0
            }
            .to_ecef(),
            0.1
        ),
        Visibility::BelowMinElevation
    );
}

#[test]
fn horizon_over_a_distant_city_matches_hand_calculation() {
    // Hand calculation on a sphere of radius R = 6371 km: the 0° ray from a radar h_o = 738 m up is
    // horizontal at the radar, so a point at central angle θ is on it when (R + h) cos θ = R + h_o, i.e.
    //   h = (R + h_o) / cos θ − R.
    // Brdy → Kozelsk is 1,587 km (θ = 0.2491 rad): h ≈ 203.6 km. The ellipsoid answer must agree to 1 %.
    let mut r = emr();
    r.min_elevation_deg = 0.0;
    r.azimuth_half_width_deg = 180.0;
    let d = geodesy::inverse(r.position.lat_deg, r.position.lon_deg, 54.0333, 35.7667)
        .unwrap()
        .distance_m;
    let big_r = 6_371_000.0;
    let theta = d / big_r;
    let hand = (big_r + r.position.h_m) / theta.cos() - big_r;
    let h = r.lowest_visible_alt_m(54.0333, 35.7667, 1.0).unwrap();
    assert!((h - hand).abs() / hand < 0.01, "{h} vs hand {hand}");
}
