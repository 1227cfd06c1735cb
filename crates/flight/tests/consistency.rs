//! Internal consistency: the closed-form Kepler path and both integrators agree under point gravity,
//! and event definitions hold (impact at height 0, apogee a maximum of height); textbook sanity facts on
//! a non-rotating spherical Earth.

use flight::kepler::KeplerOrbit;
use flight::{
    BurnoutState, EarthModel, FlightSummary, Gravity, InertialState, Integrator, Method, Options, Shape,
    propagate_inertial, propagate_with, target_with,
};
use geodesy::{Geodetic, Vec3};

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

/// The geodesic distance between two answers' impact points, metres.
fn impact_distance_m(a: &FlightSummary, b: &FlightSummary) -> f64 {
    geodesy::inverse(
        a.impact_lat_deg,
        a.impact_lon_deg,
        b.impact_lat_deg,
        b.impact_lon_deg,
    )
    .unwrap()
    .distance_m
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
        for integrator in [Integrator::Rkn12, Integrator::Dop853] {
            let n = propagate_with(
                &b,
                Gravity::Point,
                &Options {
                    method: Method::Numerical,
                    ..Options::with_integrator(integrator)
                },
            )
            .unwrap()
            .summary();
            let d_imp = impact_distance_m(&k, &n);
            println!(
                "{b:?}\n  tof {:.6} vs {:.6}, apogee {:.4} at {:.5} vs {:.4} at {:.5}, impact Δ {d_imp:.2e} m",
                k.time_of_flight_s,
                n.time_of_flight_s,
                k.apogee_alt_m,
                k.apogee_time_s,
                n.apogee_alt_m,
                n.apogee_time_s
            );
            assert!(d_imp < 1e-3, "{integrator:?}: {d_imp}");
            assert!((k.time_of_flight_s - n.time_of_flight_s).abs() < 1e-5);
            assert!((k.apogee_alt_m - n.apogee_alt_m).abs() < 1e-3);
            assert!((k.apogee_time_s - n.apogee_time_s).abs() < 1e-4);
        }
    }
}

/// Loose tolerances make the integrators' steps long: a first step may then cover a whole short flight,
/// climbing from the ground, turning over and falling back under it. Whatever the tolerance, the impact
/// (and the apogee) must still be found, at the closed-form Kepler answer within what the tolerance allows.
#[test]
fn long_steps_still_find_every_event() {
    for b in cases() {
        let kepler = Options {
            method: Method::Kepler,
            ..Options::default()
        };
        let k = propagate_with(&b, Gravity::Point, &kepler).unwrap().summary();
        for integrator in [Integrator::Rkn12, Integrator::Dop853] {
            for rtol in [1e-4, 1e-6, 1e-8, 1e-11] {
                let mut opts = Options {
                    method: Method::Numerical,
                    ..Options::with_integrator(integrator)
                };
                opts.tolerances.rtol = rtol;
                let n = propagate_with(&b, Gravity::Point, &opts)
                    .unwrap_or_else(|e| panic!("{b:?} {integrator:?} rtol {rtol}: {e}"))
                    .summary();
                let d_imp = impact_distance_m(&k, &n);
                // The local error per step is ~rtol |r| (|r| ~ 6.4e6 m) over a handful of steps.
                let allowed = 1e-3 + rtol * 1e9;
                assert!(
                    d_imp < allowed,
                    "{b:?} {integrator:?} rtol {rtol}: impact off by {d_imp} m"
                );
                assert!(
                    (k.apogee_alt_m - n.apogee_alt_m).abs() < allowed,
                    "{b:?} {integrator:?} rtol {rtol}: apogee {} vs {}",
                    n.apogee_alt_m,
                    k.apogee_alt_m
                );
            }
        }
    }
}

/// Textbook fact: on a non-rotating spherical Earth (R = 6371 km, contract μ), the minimum-energy ballistic
/// shot over a ground range of 10 000 km needs a burnout speed of about 7.2 km/s, at a flight-path angle
/// of 45° − Ψ/4 (Ψ the range angle), from v² = (μ/R) · 2 sin(Ψ/2) / (1 + sin(Ψ/2)). Both the targeting
/// (Lambert + minimisation) and a plain flight of the state it finds must agree with the closed form; no
/// flat-Earth formula (v² = g·range would give 9.9 km/s) comes anywhere near.
#[test]
fn min_energy_10000_km_needs_about_7_2_km_s_on_a_non_rotating_sphere() {
    let radius_m = 6_371_000.0;
    let model = EarthModel::non_rotating_sphere(radius_m);
    let opts = Options {
        model,
        ..Options::default()
    };
    let psi = 10_000e3 / radius_m;
    let launch = Geodetic {
        lat_deg: 10.0,
        lon_deg: 20.0,
        h_m: 0.0,
    };
    // 10 000 km due east along the equator would be simpler; a tilted great circle checks more.
    let (t_lat, t_lon) = great_circle_destination(launch.lat_deg, launch.lon_deg, 40.0, psi);
    let sol = target_with(launch, t_lat, t_lon, Shape::MinEnergy, Gravity::Point, &opts).unwrap();
    let half = (psi / 2.0).sin();
    let closed_form = (model.mu_m3ps2 / radius_m * 2.0 * half / (1.0 + half)).sqrt();
    let v = sol.burnout.speed_mps;
    println!("min-energy 10 000 km: {v:.3} m/s (closed form {closed_form:.3} m/s)");
    assert!((v - closed_form).abs() < 0.01, "{v} vs {closed_form}");
    assert!((v - 7_200.0).abs() < 50.0, "{v}");
    assert!((sol.burnout.flight_path_angle_deg - (45.0 - psi.to_degrees() / 4.0)).abs() < 1e-3);
    assert!(
        (sol.ground_range_m - 10_000e3).abs() < 1.0,
        "{}",
        sol.ground_range_m
    );

    // Fly that burnout state forward (both paths): it lands 10 000 km away.
    for method in [Method::Kepler, Method::Numerical] {
        let s = propagate_with(&sol.burnout, Gravity::Point, &Options { method, ..opts })
            .unwrap()
            .summary();
        assert!(
            (s.ground_range_m - 10_000e3).abs() < 1.0,
            "{method:?}: {}",
            s.ground_range_m
        );
    }
    // Any other flight-path angle at that speed falls short.
    for fpa in [
        sol.burnout.flight_path_angle_deg - 3.0,
        sol.burnout.flight_path_angle_deg + 3.0,
    ] {
        let b = BurnoutState {
            flight_path_angle_deg: fpa,
            ..sol.burnout
        };
        let s = propagate_with(&b, Gravity::Point, &opts).unwrap().summary();
        assert!(
            s.ground_range_m < 10_000e3 - 1e3,
            "fpa {fpa}: {}",
            s.ground_range_m
        );
    }
}

/// The point at angular distance `psi_rad` from (`lat_deg`, `lon_deg`) along the great circle of initial
/// azimuth `azi_deg`, on a sphere (geocentric latitudes, degrees).
fn great_circle_destination(lat_deg: f64, lon_deg: f64, azi_deg: f64, psi_rad: f64) -> (f64, f64) {
    let (p1, l1, a) = (lat_deg.to_radians(), lon_deg.to_radians(), azi_deg.to_radians());
    let p2 = (p1.sin() * psi_rad.cos() + p1.cos() * psi_rad.sin() * a.cos()).asin();
    let l2 = l1 + (a.sin() * psi_rad.sin() * p1.cos()).atan2(psi_rad.cos() - p1.sin() * p2.sin());
    (p2.to_degrees(), l2.to_degrees())
}

/// Heights just below the apogee are crossed twice, once each side of it, and the crossings are found
/// (the event grid contains the apogee); heights above it are never crossed.
#[test]
fn crossings_just_below_the_apogee_are_found() {
    for b in cases() {
        for gravity in [Gravity::Point, Gravity::J2] {
            let t = flight::propagate(&b, gravity).unwrap();
            let apo = *t.apogee();
            if apo.t_since_burnout_s == 0.0 {
                continue;
            }
            let c = t.altitude_crossings(apo.position.h_m - 0.01);
            assert_eq!(c.len(), 2, "{b:?} {gravity:?}: {c:?}");
            assert!(c[0].ascending && !c[1].ascending);
            assert!(c[0].t_since_burnout_s < apo.t_since_burnout_s);
            assert!(c[1].t_since_burnout_s > apo.t_since_burnout_s);
            assert!(t.altitude_crossings(apo.position.h_m + 0.01).is_empty());
        }
    }
}

/// Flights that graze the ground — their orbit's perigee 1 m to 2 km under the equator, reached at up to
/// 8 km/s — dip under the ground for a few seconds to a few minutes, often inside one integrator step,
/// and come back up: the impact is the first downward crossing of height 0, before the perigee. The
/// integrator's step-end bracketing agrees with the closed-form Kepler path's fine sampling to 1 ms, and
/// no point of the flown path before the impact is under the ground.
#[test]
fn grazing_flights_impact_at_the_first_crossing() {
    let model = EarthModel::contract();
    let mu = model.mu_m3ps2;
    let mut short_dips = 0;
    for depth_m in [1.0, 10.0, 100.0, 2_000.0] {
        for e in [0.05, 0.3, 0.6] {
            // The perigee on the equator, under the ground by `depth_m`; start 5 minutes before it.
            let rp = geodesy::WGS84_A_M - depth_m;
            let vp = (mu * (1.0 + e) / rp).sqrt();
            let perigee = InertialState {
                r_inertial_m: Vec3::new(rp, 0.0, 0.0),
                v_inertial_mps: Vec3::new(0.0, vp, 0.0),
            };
            let (r, v) = KeplerOrbit::new(perigee, mu).state_at(-300.0);
            let start = InertialState {
                r_inertial_m: r,
                v_inertial_mps: v,
            };
            let run = |gravity, method| {
                propagate_inertial(
                    &start,
                    gravity,
                    &Options {
                        method,
                        ..Options::default()
                    },
                )
                .unwrap_or_else(|err| panic!("depth {depth_m} m, e {e}: {err}"))
            };
            let k = run(Gravity::Point, Method::Kepler);
            let n = run(Gravity::Point, Method::Numerical);
            let (tk, tn) = (k.time_of_flight_s(), n.time_of_flight_s());
            assert!(
                (tk - tn).abs() < 1e-3,
                "depth {depth_m} m, e {e}: Kepler {tk} s, integrator {tn} s"
            );
            assert!(
                tn < 300.0,
                "depth {depth_m} m, e {e}: impact at {tn} s, after the perigee"
            );
            // Under the ground for less than two minutes: inside one step or straddling two.
            let (mut t_up, mut t) = (tn, tn);
            while t < 600.0 {
                let (r, _) = KeplerOrbit::new(start, mu).state_at(t);
                if model.to_geodetic(model.inertial_to_ecef(r, t)).h_m > 0.0 {
                    t_up = t;
                    break;
                }
                t += 0.25;
            }
            short_dips += usize::from(t_up - tn < 120.0);
            for gravity in [Gravity::Point, Gravity::J2] {
                let path = run(gravity, Method::Numerical);
                let tof = path.time_of_flight_s();
                let mut t = 0.0;
                while t < tof {
                    let h = path.geodetic_at(t).map_or(f64::NAN, |p| p.h_m);
                    assert!(
                        h > -1e-6,
                        "depth {depth_m} m, e {e}, {gravity}: height {h} m at {t} s (impact {tof} s)"
                    );
                    t += 0.25;
                }
            }
        }
    }
    assert!(short_dips >= 6, "only {short_dips} dips shorter than two minutes");
}

/// `flight::fly`, which keeps no path, answers exactly what `propagate(..)?.summary()` answers (the same
/// bits, and the same error), under both gravities, for the cases above, grazing flights whose height
/// turns more than once inside a step, and states that never come down or start under the ground.
#[test]
fn fly_is_the_summary_of_the_propagated_flight() {
    let mut states = cases();
    for (lat, lon, alt, speed, az, fpa) in [
        (
            24.384512779941723,
            112.0396536927376,
            43594.9327772175,
            7873.266913106143,
            182.84839160017168,
            -0.004675038527600215,
        ),
        (
            11.03078647290993,
            -9.467624024390403,
            42134.293028698834,
            7801.698605465421,
            173.80713343020903,
            -0.005958281161608722,
        ),
        (
            -20.600659668287218,
            -166.0899868890576,
            79060.55845243362,
            7837.300436389296,
            358.1325060704528,
            0.002961820634585721,
        ),
        (0.0, 0.0, 400e3, 7_700.0, 90.0, 0.0),
        (0.0, 0.0, -900.0, 100.0, 90.0, -80.0),
    ] {
        states.push(BurnoutState::try_new(lat, lon, alt, speed, az, fpa).unwrap());
    }
    for b in &states {
        for gravity in [Gravity::Point, Gravity::J2] {
            let summary = flight::propagate(b, gravity).map(|t| t.summary());
            let fly = flight::fly(b, gravity);
            assert_eq!(
                format!("{fly:?}"),
                format!("{summary:?}"),
                "{b:?} under {gravity:?}"
            );
        }
    }
}
