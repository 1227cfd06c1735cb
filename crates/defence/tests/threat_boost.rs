//! Threats flown powered on maps ([`defence::threat_boost`]): the fast engine's threat, its boost read off
//! the vehicle's flown range table, held against the study's aimed powered shots
//! ([`defence::engagement::fly_threat_powered`]: every programme solved by shooting, J2 coast).

use defence::engagement::{Missile, fly_threat_powered};
use defence::footprint::{fast_threat, fast_threat_with};
use defence::scenario::Scenario;
use defence::study::ShapeChoice;
use defence::threat_boost::ThreatBoostTable;
use flight::aim::PoweredShape;
use geodesy::Geodetic;

fn europe() -> Scenario {
    Scenario::load("europe-2008").unwrap()
}

fn geo(s: &Scenario, name: &str) -> Geodetic {
    let x = s.site(name).unwrap();
    Geodetic {
        lat_deg: x.lat_deg,
        lon_deg: x.lon_deg,
        h_m: x.h_m,
    }
}

/// (missile, launch, target) pairs across the scenario's three rockets, ranges and azimuths.
const PAIRS: [(&str, &str, &str); 5] = [
    ("Iranian ICBM (hypothetical)", "Semnan", "Berlin"),
    ("Iranian ICBM (hypothetical)", "Tehran", "Lisbon"),
    ("Iranian ICBM (hypothetical)", "Tabriz", "Oslo"),
    ("Russian ICBM", "Kozelsk", "Washington"),
    ("Iranian IRBM", "Tabriz", "Bucharest"),
];

#[test]
fn map_threats_match_the_studys_aimed_shots_impact_time_within_8_percent_burnout_within_25_km() {
    let s = europe();
    for (missile, from, to) in PAIRS {
        let m = s.missiles.iter().find(|m| m.name == missile).unwrap();
        let v = s.vehicle(m.vehicle.as_deref().unwrap()).unwrap();
        for (shape, ps) in [
            (ShapeChoice::MinEnergy, PoweredShape::MinimumEnergy),
            (ShapeChoice::Lofted, PoweredShape::Lofted),
            (ShapeChoice::Depressed, PoweredShape::Depressed),
        ] {
            let table = ThreatBoostTable::get(v, shape).unwrap();
            let tgt = geo(&s, to);
            let fast = fast_threat_with(
                geo(&s, from),
                tgt.lat_deg,
                tgt.lon_deg,
                Missile::from_def(m),
                m.max_range_m.value,
                shape,
                Some(&table),
            )
            .unwrap_or_else(|e| panic!("{from}-{to} {shape:?}: {e:?}"));
            let study = fly_threat_powered(
                s.site(from).unwrap(),
                s.site(to).unwrap(),
                Missile::from_def(m),
                v,
                ps,
                flight::Gravity::J2,
            )
            .unwrap();
            let case = format!("{from}-{to} {shape:?}");
            // The burn is the rocket's (scaling keeps burn times), not the scenario's fixed one.
            assert!(
                (fast.missile.burn_time_s - study.missile.burn_time_s).abs() < 1e-6,
                "{case}"
            );
            let dh = (fast.missile.burnout_alt_m - study.missile.burnout_alt_m).abs();
            let dd = (fast.missile.burnout_downrange_m - study.missile.burnout_downrange_m).abs();
            assert!(
                dh < 25e3 && dd < 25e3,
                "{case}: burnout height {dh} m, downrange {dd} m apart"
            );
            let (tf, ts) = (fast.impact_time_s(), study.impact_time_s());
            assert!(
                (tf - ts).abs() < 0.08 * ts,
                "{case}: impact {tf} s against {ts} s"
            );
            // The boost track is the flight's: within 12 km of the aimed flight at mid-burn.
            let tm = 0.5 * study.missile.burn_time_s;
            let gap = (fast.ecef_at(tm) - study.ecef_at(tm)).norm();
            assert!(gap < 12e3, "{case}: {gap} m apart at mid-burn");
            // Closer to the aimed flight than the fixed boost is, where the fixed one is far off.
            let fixed = fast_threat(
                geo(&s, from),
                tgt.lat_deg,
                tgt.lon_deg,
                Missile::from_def(m),
                m.max_range_m.value,
                shape,
            )
            .unwrap();
            let fixed_gap = (fixed.ecef_at(tm) - study.ecef_at(tm)).norm();
            assert!(
                gap < fixed_gap,
                "{case}: {gap} m against the fixed boost's {fixed_gap} m"
            );
        }
    }
}

#[test]
fn a_minimum_energy_table_burns_out_faster_for_longer_ranges_holds_its_nearest_programme_and_stops_at_the_vehicles_reach()
 {
    let s = europe();
    let m = s
        .missiles
        .iter()
        .find(|m| m.name == "Iranian ICBM (hypothetical)")
        .unwrap();
    let v = s.vehicle(m.vehicle.as_deref().unwrap()).unwrap();
    let table = ThreatBoostTable::get(v, ShapeChoice::MinEnergy).unwrap();
    let e = table.entries();
    assert!(e.len() >= 5, "{} entries", e.len());
    for w in e.windows(2) {
        assert!(w[1].range_m > w[0].range_m);
        assert!(w[1].burnout_speed_mps > w[0].burnout_speed_mps);
    }
    let (lo, hi) = table.range_span_m();
    assert!(table.at(lo - 1.0).is_none() && table.at(hi + 1.0).is_none());
    let mid = table.at(0.5 * (lo + hi)).unwrap();
    // The profile starts on the pad and ends at burnout.
    assert_eq!(mid.profile.at(0.0), (0.0, 0.0));
    let (h, d) = mid.profile.at(1.0);
    assert!((h - mid.burnout_alt_m).abs() < 1e-6 && (d - mid.burnout_downrange_m).abs() < 1e-6);
    // Short of the table's nearest range the nearest programme's boost is held, and the threat lands on
    // a conic of that programme's flight-path angle.
    let tehran = geo(&s, "Tehran");
    let short = 0.8 * lo;
    let p = geodesy::direct(tehran.lat_deg, tehran.lon_deg, 300.0, short).unwrap();
    let th = fast_threat_with(
        tehran,
        p.lat2_deg,
        p.lon2_deg,
        Missile::from_def(m),
        f64::INFINITY,
        ShapeChoice::MinEnergy,
        Some(&table),
    )
    .unwrap_or_else(|e| panic!("{short} m: {e:?}"));
    assert_eq!(th.missile.burnout_alt_m, e[0].burnout_alt_m);
    assert_eq!(th.missile.burnout_downrange_m, e[0].burnout_downrange_m);
    assert!(th.ballistic_s > 0.0);
    // A grid point beyond the rocket's reach is out of range, whatever the scenario's max range says.
    let far = fast_threat_with(
        tehran,
        -35.0,
        -128.0,
        Missile::from_def(m),
        f64::INFINITY,
        ShapeChoice::MinEnergy,
        Some(&table),
    );
    assert_eq!(far.err(), Some(defence::footprint::Status::OutOfRange));
}
