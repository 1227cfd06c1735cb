//! The fast engine's two shortcuts against their plain versions: the conic's Kepler solve with a kept,
//! second-order prediction against [`KeplerOrbit::state_at`], and the coarse-then-refine intercept scan
//! of [`engage_after`] against every sample of the 5 s grid.

use super::*;
use crate::boost::BoostModel;
use crate::scenario::Scenario;

/// [`engage_after`] without the coarse pass: every sample of the grid.
fn engage_after_every_sample(
    first: Option<f64>,
    icpt: &Interceptor,
    table: &ReachTable,
    th: &FastThreat,
    speed_mps: f64,
) -> FastEngagement {
    let mut out = FastEngagement {
        first_detection_s: first,
        crossover: None,
        earliest: None,
        latest_s: None,
    };
    let Some(first) = first else {
        return out;
    };
    let commit = first + icpt.commit_delay_s;
    let start = (commit + icpt.burn_time_s + MIN_COAST_S).max(th.missile.burn_time_s);
    let tb = th.missile.burn_time_s;
    let i1 = ((th.impact_time_s() - tb) / INTERCEPT_STEP_S).floor().max(0.0) as usize;
    for i in 0..=i1 {
        let t = tb + i as f64 * INTERCEPT_STEP_S;
        if t < start {
            continue;
        }
        // A fresh solve at every sample: no kept guess either.
        let p = th.ecef_at(t);
        let Some(h) = height_at_least(p, icpt.min_intercept_alt_m) else {
            continue;
        };
        let Some(v) = table.required_speed_mps(p, t - commit - icpt.burn_time_s) else {
            continue;
        };
        if out.crossover.is_none_or(|(c, _, _)| v < c) {
            out.crossover = Some((v, t, h));
        }
        if v <= speed_mps {
            if out.earliest.is_none() {
                out.earliest = Some((t, h));
            }
            out.latest_s = Some(t);
        }
    }
    out
}

#[test]
fn the_kept_kepler_guess_lands_where_the_universal_variable_solve_does() {
    let s = Scenario::load("europe-2008").unwrap();
    let (_, missile, max_range) = pick_missile(&s, "Tehran", true, None).unwrap();
    let tehran = s.site("Tehran").unwrap();
    let launch = Geodetic {
        lat_deg: tehran.lat_deg,
        lon_deg: tehran.lon_deg,
        h_m: tehran.h_m,
    };
    let mut checked = 0;
    for shape in [
        ShapeChoice::MinEnergy,
        ShapeChoice::Lofted,
        ShapeChoice::Depressed,
    ] {
        for (lat, lon) in [(48.9, 2.4), (52.2, 21.0), (41.9, 12.5), (59.3, 18.1)] {
            let th = fast_threat(launch, lat, lon, missile, max_range, shape).unwrap();
            // Forward in 5 s steps, backward in 2 s steps, and jumps across the arc, from one kept guess.
            let n = (th.ballistic_s / 5.0) as usize;
            let forward = (0..=n).map(|k| k as f64 * 5.0);
            let backward = (0..=n).rev().map(|k| k as f64 * 5.0 - 2.0).filter(|t| *t >= 0.0);
            let jumps = (0..40).map(|k| (k * 37 % 41) as f64 / 40.0 * th.ballistic_s);
            let mut guess = KeplerGuess::NONE;
            for t in forward.chain(backward).chain(jumps) {
                let fast = th.conic.position(t, &mut guess);
                let (plain, _) = th.orbit.state_at(t);
                assert!(
                    (fast - plain).norm() < 1e-3,
                    "{shape:?} {lat},{lon} at {t} s: {} m apart",
                    (fast - plain).norm()
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 1000, "{checked}");
}

/// Every cell of a map scanned both ways, at two assumed speeds: the same crossover (within 1e-3 m/s), the
/// same earliest and latest intercept. The one difference allowed is the documented one: an intercept
/// window shorter than the coarse step between two samples without intercept, which the coarse pass does
/// not see; the cells where it happens are counted and must be rare and at the reach table's edge
/// (crossover above 20 km/s, an interpolation towards unreachable nodes).
fn scans_agree(model: BoostModel, from: bool, site: &str, shape: ShapeChoice, grid: Grid) {
    let s = Scenario::load("europe-2008").unwrap();
    let net = network(&s, model).unwrap();
    let tables: Vec<ReachTable> = net.batteries.iter().map(|(_, b)| ReachTable::new(b)).collect();
    let (mname, missile, max_range) = pick_missile(&s, site, from, None).unwrap();
    let powered = threat_table(&s, &mname, shape, model).unwrap();
    let fixed = s.site(site).unwrap();
    let fixed = Geodetic {
        lat_deg: fixed.lat_deg,
        lon_deg: fixed.lon_deg,
        h_m: if from { fixed.h_m } else { 0.0 },
    };
    let (mut compared, mut engaged, mut lone_windows) = (0, 0, 0);
    for i in 0..grid.n_lat() {
        for j in 0..grid.n_lon() {
            let (lat, lon) = (grid.lat(i), grid.lon(j));
            let here = Geodetic {
                lat_deg: lat,
                lon_deg: lon,
                h_m: 0.0,
            };
            let (a, b) = if from { (fixed, here) } else { (here, fixed) };
            let Ok(th) = fast_threat_with(
                a,
                b.lat_deg,
                b.lon_deg,
                missile,
                max_range,
                shape,
                // As the map reads it: a defended-area map's launch site pinned, a threat-origin map's
                // launch points between the latitude nodes.
                powered.as_deref().map(|t| {
                    let latitudes = if from {
                        crate::threat_boost::Latitudes::Pinned
                    } else {
                        crate::threat_boost::Latitudes::BetweenNodes
                    };
                    (t, latitudes)
                }),
            ) else {
                continue;
            };
            let first = network_first_detection_s(&net.radars, &th);
            for ((_, icpt), table) in net.batteries.iter().zip(&tables) {
                for speed in [5400.0, 8300.0] {
                    let x = engage_after(first, icpt, table, &th, speed);
                    let y = engage_after_every_sample(first, icpt, table, &th, speed);
                    compared += 1;
                    if let (None, Some(c)) = (x.crossover, y.crossover) {
                        // The one miss allowed: a lone window of one sample between samples with no
                        // flyout, needing more than the disputed range's top speed (9 km/s), so no
                        // "engaged at" answer of a map can change (a point is "out of reach" instead
                        // of reachable at, say, 11.2 km/s, just under the ballistic bound).
                        assert!(c.0 > 9_000.0, "{lat},{lon}: a {c:?} crossover missed");
                        assert_eq!(y.earliest, None);
                        lone_windows += 1;
                        continue;
                    }
                    engaged += usize::from(y.crossover.is_some());
                    match (x.crossover, y.crossover) {
                        (Some(p), Some(q)) => {
                            // The two position solves differ by under a millimetre.
                            assert!((p.0 - q.0).abs() < 1e-3, "{lat},{lon}: {p:?} vs {q:?}");
                        }
                        (p, q) => assert_eq!(p.is_some(), q.is_some(), "{lat},{lon}: {p:?} vs {q:?}"),
                    }
                    assert_eq!(x.earliest.map(|e| e.0), y.earliest.map(|e| e.0), "{lat},{lon}");
                    assert_eq!(x.latest_s, y.latest_s, "{lat},{lon}");
                }
            }
        }
    }
    assert!(
        engaged > compared / 3,
        "{engaged} of {compared}: too few engaged to test the scan"
    );
    assert!(lone_windows * 100 <= compared, "{lone_windows} of {compared}");
}

#[test]
fn the_refined_scan_equals_every_sample_on_a_defended_area() {
    let grid = Grid::try_new(36.0, 68.0, -10.0, 40.0, 2.0).unwrap();
    scans_agree(BoostModel::Powered, true, "Tehran", ShapeChoice::MinEnergy, grid);
    scans_agree(BoostModel::Fixed, true, "Tehran", ShapeChoice::Depressed, grid);
}

#[test]
fn the_refined_scan_equals_every_sample_on_a_lofted_threat_origin() {
    let grid = Grid::try_new(24.0, 42.0, 40.0, 64.0, 1.0).unwrap();
    scans_agree(BoostModel::Powered, false, "London", ShapeChoice::Lofted, grid);
    scans_agree(BoostModel::Fixed, false, "London", ShapeChoice::Lofted, grid);
}

/// [`first_detection_s`] without the boost's early exit or the coast's blocks: every sample of the
/// 2 s grid from launch with [`Radar::sees`], then the same bisection.
fn first_detection_every_sample(radar: &Radar, th: &FastThreat) -> Option<f64> {
    let impact = th.impact_time_s();
    let seen = |t: f64| radar.sees(th.ecef_at(t), th.missile.rcs_m2);
    if seen(0.0) {
        return Some(0.0);
    }
    let n = (impact / RADAR_STEP_S).ceil() as usize;
    let at = |i: usize| (i as f64 * RADAR_STEP_S).min(impact);
    let k = (1..=n).find(|&k| seen(at(k)))?;
    let (mut a, mut b) = (at(k - 1), at(k));
    while b - a > 1e-3 {
        let m = 0.5 * (a + b);
        if seen(m) {
            b = m;
        } else {
            a = m;
        }
    }
    Some(b)
}

/// Every radar's first track of every cell's threat, scanned both ways: the same grid sample and the
/// same time to the bisection's 1 ms. Over the Russian ICBM fields' launches towards North America the
/// EMR's field of regard is crossed in glimpses of a few seconds (Kozelsk → Washington is seen for
/// 2.4 s), which a scan that samples the coast only every 10 s missed.
#[test]
fn the_radar_scan_finds_the_first_grid_sample_seen() {
    let s = Scenario::load("europe-2008").unwrap();
    let (mut compared, mut seen, mut glimpses) = (0, 0, 0);
    for (site, from, grid) in [
        (
            "Kozelsk",
            true,
            Grid::try_new(30.0, 70.0, -130.0, -50.0, 4.0).unwrap(),
        ),
        (
            "Washington",
            false,
            Grid::try_new(44.0, 62.0, 28.0, 64.0, 2.0).unwrap(),
        ),
        (
            "Tehran",
            true,
            Grid::try_new(36.0, 68.0, -10.0, 40.0, 4.0).unwrap(),
        ),
    ] {
        for model in [BoostModel::Powered, BoostModel::Fixed] {
            let net = network(&s, model).unwrap();
            let (mname, missile, max_range) = pick_missile(&s, site, from, None).unwrap();
            let shape = ShapeChoice::MinEnergy;
            let powered = threat_table(&s, &mname, shape, model).unwrap();
            let fixed = s.site(site).unwrap();
            let fixed = Geodetic {
                lat_deg: fixed.lat_deg,
                lon_deg: fixed.lon_deg,
                h_m: if from { fixed.h_m } else { 0.0 },
            };
            for i in 0..grid.n_lat() {
                for j in 0..grid.n_lon() {
                    let here = Geodetic {
                        lat_deg: grid.lat(i),
                        lon_deg: grid.lon(j),
                        h_m: 0.0,
                    };
                    let (a, b) = if from { (fixed, here) } else { (here, fixed) };
                    let latitudes = if from {
                        crate::threat_boost::Latitudes::Pinned
                    } else {
                        crate::threat_boost::Latitudes::BetweenNodes
                    };
                    let Ok(th) = fast_threat_with(
                        a,
                        b.lat_deg,
                        b.lon_deg,
                        missile,
                        max_range,
                        shape,
                        powered.as_deref().map(|t| (t, latitudes)),
                    ) else {
                        continue;
                    };
                    for radar in &net.radars {
                        let x = first_detection_s(radar, &th);
                        let y = first_detection_every_sample(radar, &th);
                        compared += 1;
                        match (x, y) {
                            (Some(p), Some(q)) => {
                                assert!(
                                    (p - q).abs() < 2e-3,
                                    "{site} {:?} {}: {p} vs {q}",
                                    (here.lat_deg, here.lon_deg),
                                    radar.name
                                );
                                seen += 1;
                                let track = |t: f64| th.ecef_at(t);
                                let iv = radar.track_intervals(
                                    &track,
                                    0.0,
                                    th.impact_time_s(),
                                    RADAR_STEP_S,
                                    th.missile.rcs_m2,
                                );
                                glimpses += usize::from(iv.first().is_some_and(|iv| iv.1 - iv.0 < 10.0));
                            }
                            (p, q) => {
                                assert_eq!(p, q, "{site} {:?} {}", (here.lat_deg, here.lon_deg), radar.name)
                            }
                        }
                    }
                }
            }
        }
    }
    assert!(seen > compared / 4, "{seen} of {compared} seen");
    assert!(
        glimpses > 0,
        "no first track under 10 s: the test lacks its hard case"
    );
}
