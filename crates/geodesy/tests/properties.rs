//! Property tests: round trips that must hold everywhere, poles and high altitudes included.

use geodesy::{
    Geodetic, WGS84_A_M, direct, ecef_to_geodetic, geodetic_to_ecef, inverse, look_angle, wrap_180_deg,
};
use proptest::prelude::*;

/// Round-trip tolerance, metres (issue 3: geodetic ⇄ ECEF exact to < 1e-6 m everywhere).
const ROUND_TRIP_TOL_M: f64 = 1e-6;

fn latitude() -> impl Strategy<Value = f64> {
    prop_oneof![
        8 => -90.0..=90.0f64,
        1 => Just(90.0),
        1 => Just(-90.0),
        1 => -1e-9..1e-9f64,
        1 => 89.999_999..=90.0f64,
    ]
}

fn height() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => -10_000.0..10_000.0f64,
        2 => 0.0..2_000_000.0f64,
        1 => 2_000_000.0..100_000_000.0f64,
        1 => Just(0.0),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn geodetic_ecef_geodetic(lat in latitude(), lon in -540.0..540.0f64, h in height()) {
        let p = geodetic_to_ecef(lat, lon, h);
        let g = ecef_to_geodetic(p);
        prop_assert!((g.h_m - h).abs() <= ROUND_TRIP_TOL_M, "height {} vs {}", g.h_m, h);
        // Horizontal error in metres: latitude error along the meridian, longitude error along the parallel.
        let r = WGS84_A_M + h.abs();
        let dlat_m = (g.lat_deg - lat).to_radians().abs() * r;
        let dlon_m = wrap_180_deg(g.lon_deg - lon).to_radians().abs() * r * lat.to_radians().cos();
        prop_assert!(dlat_m <= ROUND_TRIP_TOL_M && dlon_m <= ROUND_TRIP_TOL_M, "{lat} {lon} {h} -> {g:?}");
        prop_assert!((-180.0..180.0).contains(&g.lon_deg));
    }

    #[test]
    fn ecef_geodetic_ecef(x in -5e7..5e7f64, y in -5e7..5e7f64, z in -5e7..5e7f64) {
        let g = ecef_to_geodetic(geodesy::Vec3::new(x, y, z));
        let p = geodetic_to_ecef(g.lat_deg, g.lon_deg, g.h_m);
        let err = (p - geodesy::Vec3::new(x, y, z)).norm();
        prop_assert!(err <= ROUND_TRIP_TOL_M, "({x}, {y}, {z}) -> {g:?} -> error {err} m");
    }

    #[test]
    fn direct_of_inverse_reaches_point_2(lat1 in latitude(), lon1 in -180.0..180.0f64,
                                         lat2 in latitude(), lon2 in -180.0..180.0f64) {
        let inv = inverse(lat1, lon1, lat2, lon2).unwrap();
        let d = direct(lat1, lon1, inv.azi1_deg, inv.distance_m).unwrap();
        let miss = (geodetic_to_ecef(d.lat2_deg, d.lon2_deg, 0.0) - geodetic_to_ecef(lat2, lon2, 0.0)).norm();
        prop_assert!(miss <= ROUND_TRIP_TOL_M, "missed point 2 by {miss} m: {inv:?} {d:?}");
    }

    #[test]
    fn inverse_is_symmetric(lat1 in latitude(), lon1 in -180.0..180.0f64, lat2 in latitude(), lon2 in -180.0..180.0f64) {
        let a = inverse(lat1, lon1, lat2, lon2).unwrap();
        let b = inverse(lat2, lon2, lat1, lon1).unwrap();
        prop_assert!((a.distance_m - b.distance_m).abs() <= 1e-6);
    }

    #[test]
    fn elevation_and_range_are_consistent(lat in -89.0..89.0f64, lon in -180.0..180.0f64,
                                          tlat in -89.0..89.0f64, tlon in -180.0..180.0f64,
                                          h in 0.0..2_000_000.0f64) {
        let obs = Geodetic { lat_deg: lat, lon_deg: lon, h_m: 0.0 };
        let tgt = Geodetic { lat_deg: tlat, lon_deg: tlon, h_m: h };
        let la = look_angle(obs, tgt);
        let chord = (tgt.to_ecef() - obs.to_ecef()).norm();
        prop_assert!((la.slant_range_m - chord).abs() <= 1e-6);
        prop_assert!((-90.0..=90.0).contains(&la.elevation_deg));
        if let Some(az) = la.azimuth_deg { prop_assert!((0.0..360.0).contains(&az)); }
    }
}
