//! Are the powered-boost crossover speeds physical? The study engine's crossover for an Iranian ICBM
//! bound for Europe is 1.3–2 km/s although the intercept point lies 200–480 km from Redzikowo and about
//! 100 km up. These tests hold the figures against rockets that are flown, not against the engine's own
//! Lambert coast: a vehicle of the battery's family sized to the crossover speed (plus or minus 4 %) is
//! steered by shooting on its pitch programme ([`flight::flyout::steer_to`]) through the intercept point,
//! and every flyout is held against the minimum-energy bound from its flown burnout point.

use defence::boost::{BoostModel, size_interceptor};
use defence::engagement::{Interceptor, Missile, ThreatTrack, engage, fly_threat_powered};
use defence::radar::Radar;
use defence::reach::powered_speeds;
use defence::scenario::{Scenario, Site};
use flight::{EarthModel, PoweredOptions};
use geodesy::rotation::rotate_z;
use geodesy::{Geodetic, ecef_to_geodetic};

const ICBM: &str = "Iranian ICBM (hypothetical)";

fn setup() -> (Scenario, Radar, Interceptor) {
    let s = Scenario::load("europe-2008").unwrap();
    let rd = &s.radars[0];
    let radar = Radar::from_def(rd, s.site(&rd.site).unwrap()).unwrap();
    let idef = &s.interceptors[0];
    let icpt = Interceptor::with_boost(idef, s.site(&idef.site).unwrap(), BoostModel::Powered, &s).unwrap();
    (s, radar, icpt)
}

/// The threat as the study flies it under the powered model: its rocket aimed at minimum energy.
fn threat(s: &Scenario, from: &Site, to: &Site) -> ThreatTrack {
    let m = s.missiles.iter().find(|m| m.name == ICBM).unwrap();
    let v = s.vehicle(m.vehicle.as_deref().unwrap()).unwrap();
    fly_threat_powered(
        from,
        to,
        Missile::from_def(m),
        v,
        flight::aim::PoweredShape::MinimumEnergy,
        flight::Gravity::J2,
    )
    .unwrap()
}

/// Speed factor either side of the crossover that the flown check allows: the engine's coast direction
/// is free (the kick that would point the burnout velocity is not flown), which this much covers. On the
/// intercept-time grid fixed in threat time, Semnan → Copenhagen's crossover (1 222 m/s, intercept at
/// 114 km at 1 083 s, close to the battery) is flown by a rocket 4 % faster and missed by
/// 961 m at 3 %: the free coast direction is worth 3–4 % at such low, steep intercepts.
const FLOWN_MARGIN: f64 = 0.04;

#[test]
fn iranian_icbm_crossovers_are_flown_by_a_rocket_4_percent_faster_in_the_time_available_and_not_by_one_4_percent_slower()
 {
    let (s, radar, icpt) = setup();
    let site = icpt.site;
    let vdef = s.vehicle("GBI two-stage class").unwrap();
    let options = PoweredOptions::default();
    let semnan = s.site("Semnan").unwrap();
    for to in ["Berlin", "Copenhagen", "Warsaw", "Washington"] {
        let th = threat(&s, semnan, s.site(to).unwrap());
        let e = engage(&radar, &icpt, &th);
        let c = *e.crossover().unwrap();
        let commit = e.commit_time_s.unwrap();
        let available = c.intercept_time_s - commit;
        let p = ecef_to_geodetic(th.ecef_at(c.intercept_time_s));
        let dist = geodesy::inverse(site.lat_deg, site.lon_deg, p.lat_deg, p.lon_deg)
            .unwrap()
            .distance_m;
        if to == "Berlin" {
            // The figures the README's argument quotes.
            assert!((1400.0..1600.0).contains(&c.required_speed_mps), "{c:?}");
            assert!(dist > 250e3 && p.h_m > 100e3, "{dist} {p:?}");
        }
        let v = c.required_speed_mps;
        let fast = size_interceptor(vdef, site, v * (1.0 + FLOWN_MARGIN)).unwrap();
        let f = flight::flyout::steer_to(&fast.vehicle, site, p, &vdef.programme(0.0), &options, 100.0)
            .unwrap_or_else(|e| {
                panic!(
                    "{to}: a rocket of {:.0} m/s does not reach the crossover point: {e}",
                    v * (1.0 + FLOWN_MARGIN)
                )
            });
        assert!(
            f.time_s <= available,
            "{to}: the rocket of {:.0} m/s needs {:.0} s, {available:.0} s are available",
            v * (1.0 + FLOWN_MARGIN),
            f.time_s
        );
        let slow = size_interceptor(vdef, site, v * (1.0 - FLOWN_MARGIN)).unwrap();
        match flight::flyout::steer_to(&slow.vehicle, site, p, &vdef.programme(0.0), &options, 100.0) {
            Err(flight::Error::Targeting { .. }) => {}
            Err(e) => panic!("{to}: {e}"),
            Ok(f) => assert!(
                f.time_s > available,
                "{to}: a rocket of {:.0} m/s reaches the crossover point in {:.0} s of {available:.0}: the crossover {v:.0} m/s is too high",
                v * (1.0 - FLOWN_MARGIN),
                f.time_s
            ),
        }
    }
}

#[test]
fn every_flyout_needs_at_least_the_minimum_energy_speed_from_its_flown_burnout_point() {
    let (s, radar, icpt) = setup();
    let curve = icpt.boost.clone().unwrap();
    let model = EarthModel::contract();
    let omega = model.omega_rad_per_s;
    let mu = model.mu_m3ps2;
    // Above the family's span (speeds no member reaches) the fastest member's burnout point is held.
    let (lo, hi) = curve.speed_span_mps();
    let mut checked = 0;
    for (from, to) in [
        ("Semnan", "Berlin"),
        ("Tabriz", "Copenhagen"),
        ("Semnan", "New York"),
    ] {
        let th = threat(&s, s.site(from).unwrap(), s.site(to).unwrap());
        let e = engage(&radar, &icpt, &th);
        for f in &e.flyouts {
            let v = f.required_speed_mps;
            let b = &f.burnout;
            let b_geo = Geodetic {
                lat_deg: b.lat_deg,
                lon_deg: b.lon_deg,
                h_m: b.alt_m,
            };
            let p = th.ecef_at(f.intercept_time_s);
            let p_geo = ecef_to_geodetic(p);
            // The burnout point is the flown family member's of speed v toward the intercept point.
            let to_p =
                geodesy::inverse(icpt.site.lat_deg, icpt.site.lon_deg, p_geo.lat_deg, p_geo.lon_deg).unwrap();
            let (h, d) = curve.burnout_at(to_p.azi1_deg, v);
            let d_b = geodesy::inverse(icpt.site.lat_deg, icpt.site.lon_deg, b.lat_deg, b.lon_deg)
                .unwrap()
                .distance_m;
            if v <= hi {
                assert!(
                    (b.alt_m - h).abs() < 1.0,
                    "{f:?}: burnout {} m up, member {h}",
                    b.alt_m
                );
                assert!(
                    (d_b - d.min(0.5 * to_p.distance_m)).abs() < 1.0,
                    "{f:?}: {d_b} vs {d}"
                );
            }
            // Minimum-energy bound: no coast from radius r_b to radius r_p across the chord c (inertial,
            // the burnout point turned back by the Earth's rotation during the coast) is slower than the
            // minimum-energy ellipse's, sqrt(mu (2/r_b - 4/(r_b + r_p + c))); the Earth-relative speed is
            // at most the rotation speed below the inertial one.
            let coast = f.intercept_time_s - f.burnout_time_s;
            let b_ecef = b_geo.to_ecef();
            let b_rot = rotate_z(b_ecef, -omega * coast);
            let (rb, rp) = (b_ecef.norm(), p.norm());
            let chord = (p - b_rot).norm();
            let v_min = (mu * (2.0 / rb - 4.0 / (rb + rp + chord))).sqrt();
            let spin = omega * (b_ecef.x.hypot(b_ecef.y));
            assert!(
                v >= v_min - spin - 1e-6,
                "{f:?}: {v} below the bound {v_min} - {spin}"
            );
            // And never below the slowest member that lifts off.
            assert!(v >= lo, "{f:?}");
            checked += 1;
        }
    }
    assert!(checked > 100, "{checked}");
}

#[test]
fn no_required_speed_is_below_the_slowest_member_of_the_family_that_lifts_off() {
    let (s, radar, mut icpt) = setup();
    let (lo, _) = icpt.boost.as_ref().unwrap().speed_span_mps();
    assert!(lo > 500.0, "{lo}");
    // The reach table: points 20-40 km up, 10-30 km from the silo, which the slowest member's burnout
    // point (about 25 km up) nearly touches.
    let coasts: Vec<f64> = (1..=30).map(|k| 10.0 * k as f64).collect();
    let mut low_geometry = 0;
    for (dlat, h) in [(0.1, 20e3), (0.2, 30e3), (0.3, 40e3), (-0.2, 25e3)] {
        let p = Geodetic {
            lat_deg: icpt.site.lat_deg + dlat,
            lon_deg: icpt.site.lon_deg,
            h_m: h,
        }
        .to_ecef();
        for v in powered_speeds(icpt.site, icpt.boost.as_ref().unwrap(), p, &coasts) {
            if v.is_finite() {
                assert!(v >= lo, "{v} < {lo}");
                low_geometry += usize::from(v == lo);
            }
        }
    }
    assert!(
        low_geometry > 0,
        "no point where the slowest member suffices: the test tests nothing"
    );
    // The study engine: a threat falling 30 km from the silo, intercepts allowed down to the ground.
    icpt.min_intercept_alt_m = 0.0;
    let mut near = s.site("Warsaw").unwrap().clone();
    near.lat_deg = icpt.site.lat_deg - 0.25;
    near.lon_deg = icpt.site.lon_deg + 0.1;
    let th = threat(&s, s.site("Semnan").unwrap(), &near);
    let e = engage(&radar, &icpt, &th);
    let c = e.crossover().unwrap();
    assert_eq!(c.required_speed_mps, lo, "{c:?}");
    assert!(e.flyouts.iter().all(|f| f.required_speed_mps >= lo));
}

/// No crossover is faster than a bound orbit allows ([`defence::reach::MAX_BALLISTIC_MPS`]): the
/// Nodong to Tokyo, a short low flight far from the Alaskan and Californian batteries, is reached only
/// by flyouts of some 27 km/s, which the study once printed as its crossover. It is out of reach, as
/// the maps and sweeps say, and every crossover of the threat family stays within the limit.
#[test]
fn no_crossover_is_faster_than_a_bound_orbit() {
    use defence::study::{self, StudyOptions};
    let mut s = Scenario::load("north-korea-2008").unwrap();
    s.threats.retain(|t| t.to.iter().any(|x| x == "Tokyo"));
    assert_eq!(s.threats.len(), 1);
    let opts = StudyOptions::default();
    let speeds = study::speeds(&s, &opts);
    let results: Vec<_> = study::plan(&s, &opts)
        .iter()
        .map(|item| study::run_one(&s, &opts, &speeds, item).unwrap())
        .collect();
    let tokyo = results.iter().find(|r| r.to == "Tokyo").expect("Tokyo flown");
    assert!(tokyo.skipped.is_none());
    assert_eq!(tokyo.specified.crossover_speed_mps, None, "{:?}", tokyo.specified);
    for r in &results {
        for c in [&r.specified, &r.most_capable] {
            if let Some(v) = c.crossover_speed_mps {
                assert!(
                    v <= defence::reach::MAX_BALLISTIC_MPS,
                    "{} → {}: {v}",
                    r.from,
                    r.to
                );
            }
        }
    }
}
