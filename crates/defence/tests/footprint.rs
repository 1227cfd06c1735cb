//! Footprints: monotone in interceptor speed and commit delay, consistent across resolutions, in
//! agreement with the study's per-trajectory engine, and strict about bad input.

use std::sync::atomic::AtomicBool;

use defence::footprint::{self, FootprintError, Grid, MapKind, Request, Status};
use defence::scenario::Scenario;
use defence::study::ShapeChoice;
use defence::sweep;
use geodesy::Geodetic;

fn europe() -> Scenario {
    Scenario::load("europe-2008").unwrap()
}

fn request(kind: MapKind, site: &str, grid: Grid) -> Request {
    Request {
        kind,
        site: Some(site.into()),
        missile: None,
        shape: ShapeChoice::MinEnergy,
        grid,
        speed_mps: None,
        rcs_m2: None,
        levels: vec![5400.0, 7000.0, 9000.0],
        boost: defence::boost::BoostModel::Fixed,
    }
}

fn run(s: &Scenario, req: &Request) -> footprint::Footprint {
    footprint::compute(s, req, None, &|_| {}, &AtomicBool::new(false)).unwrap()
}

/// Threat origin over Iran against London, coarse: a map with a real boundary inside it.
fn origin_grid() -> Grid {
    Grid::try_new(26.0, 40.0, 44.0, 60.0, 2.0).unwrap()
}

#[test]
fn footprints_shrink_when_the_interceptor_is_slower() {
    let s = europe();
    let fp = run(
        &s,
        &request(
            MapKind::DefendedArea,
            "Tehran",
            Grid::try_new(36.0, 60.0, -10.0, 30.0, 3.0).unwrap(),
        ),
    );
    let speeds = [3000.0, 4000.0, 5400.0, 7000.0, 9000.0];
    let counts: Vec<usize> = speeds
        .iter()
        .map(|&v| fp.cells.iter().filter(|c| c.engaged_at(v)).count())
        .collect();
    for w in speeds.windows(2) {
        for c in &fp.cells {
            assert!(
                !c.engaged_at(w[0]) || c.engaged_at(w[1]),
                "{c:?} engaged at {} but not {}",
                w[0],
                w[1]
            );
        }
    }
    assert!(counts.windows(2).all(|w| w[0] <= w[1]), "{counts:?}");
    // And through the scenario value (the --speed override of the CLI): fewer or equal points.
    let mut slow = s.clone();
    sweep::set_param(&mut slow, "interceptors.GBI-2.burnout_speed_mps", 5400.0).unwrap();
    let fp_slow = run(&slow, &request(MapKind::DefendedArea, "Tehran", fp.grid));
    let n = |f: &footprint::Footprint| {
        f.cells
            .iter()
            .filter(|c| c.earliest_intercept_s.is_some())
            .count()
    };
    assert!(n(&fp_slow) <= n(&fp), "{} > {}", n(&fp_slow), n(&fp));
    for c in &fp.contours {
        assert!(c.fraction_inside <= 1.0);
    }
    let f: Vec<f64> = fp.contours.iter().map(|c| c.fraction_inside).collect();
    assert!(
        f.windows(2).all(|w| w[0] <= w[1]),
        "contour shares {f:?} must grow with speed"
    );
}

#[test]
fn footprints_shrink_when_the_commit_delay_is_longer() {
    let base = europe();
    let grid = origin_grid();
    let mut prev: Option<footprint::Footprint> = None;
    for delay in [30.0, 120.0, 300.0, 600.0] {
        let mut s = base.clone();
        sweep::set_param(&mut s, "interceptors.GBI-2.commit_delay_s", delay).unwrap();
        let fp = run(&s, &request(MapKind::ThreatOrigin, "London", grid));
        if let Some(p) = &prev {
            for (a, b) in p.cells.iter().zip(&fp.cells) {
                match (a.crossover_speed_mps, b.crossover_speed_mps) {
                    (Some(x), Some(y)) => assert!(
                        y >= x - 1e-9,
                        "{delay} s: crossover fell from {x} to {y} at {a:?}"
                    ),
                    (None, Some(_)) => panic!("{delay} s: a point became engageable: {b:?}"),
                    _ => {}
                }
            }
        }
        prev = Some(fp);
    }
}

#[test]
fn two_resolutions_agree_where_their_points_coincide() {
    let s = europe();
    let coarse = run(
        &s,
        &request(
            MapKind::ThreatOrigin,
            "London",
            Grid::try_new(28.0, 38.0, 44.0, 58.0, 2.0).unwrap(),
        ),
    );
    let fine = run(
        &s,
        &request(
            MapKind::ThreatOrigin,
            "London",
            Grid::try_new(28.0, 38.0, 44.0, 58.0, 1.0).unwrap(),
        ),
    );
    let mut matched = 0;
    for c in &coarse.cells {
        let f = fine
            .cells
            .iter()
            .find(|f| f.lat_deg == c.lat_deg && f.lon_deg == c.lon_deg)
            .expect("every coarse point is on the fine grid");
        assert_eq!(c, f);
        matched += 1;
    }
    assert_eq!(matched, coarse.cells.len());
    assert_eq!(fine.cells.len(), 11 * 15);
}

#[test]
fn the_fast_engine_agrees_with_the_per_trajectory_engine() {
    let s = europe();
    let grid = Grid::try_new(30.0, 62.0, -8.0, 40.0, 8.0).unwrap();
    let fp = run(&s, &request(MapKind::DefendedArea, "Tehran", grid));
    let tehran = s.site("Tehran").unwrap();
    let launch = Geodetic {
        lat_deg: tehran.lat_deg,
        lon_deg: tehran.lon_deg,
        h_m: tehran.h_m,
    };
    let (_, missile, _) = footprint::pick_missile(&s, "Tehran", true, None).unwrap();
    let mut compared = 0;
    for c in fp
        .cells
        .iter()
        .filter(|c| c.status != Status::OutOfRange)
        .step_by(2)
    {
        let target = Geodetic {
            lat_deg: c.lat_deg,
            lon_deg: c.lon_deg,
            h_m: 0.0,
        };
        let n = footprint::naive_cell(
            &s,
            launch,
            target,
            missile,
            ShapeChoice::MinEnergy,
            defence::boost::BoostModel::Fixed,
        )
        .unwrap();
        match (c.first_detection_s, n.first_detection_s) {
            (Some(a), Some(b)) => assert!((a - b).abs() < 0.01, "first track {a} vs {b} at {c:?}"),
            (a, b) => assert_eq!(a.is_some(), b.is_some(), "{c:?} vs {n:?}"),
        }
        match (c.crossover_speed_mps, n.crossover_speed_mps) {
            (Some(a), Some(b)) => {
                assert!(
                    (a - b).abs() < 200.0 + 0.03 * b,
                    "crossover {a:.0} vs {b:.0} m/s at {c:?}"
                )
            }
            (a, b) => assert_eq!(a.is_some(), b.is_some(), "{c:?} vs {n:?}"),
        }
        compared += 1;
    }
    assert!(compared >= 10, "{compared}");
}

#[test]
fn radar_coverage_matches_the_radar_model_point_by_point() {
    let s = europe();
    let mut req = request(
        MapKind::RadarCoverage,
        "",
        Grid::try_new(30.0, 60.0, 10.0, 60.0, 10.0).unwrap(),
    );
    req.site = None;
    req.rcs_m2 = Some(0.1);
    req.levels = vec![500e3];
    let fp = run(&s, &req);
    let st = footprint::setup(&s, defence::boost::BoostModel::Fixed).unwrap();
    for c in &fp.cells {
        assert_eq!(
            c.min_visible_alt_m,
            st.radar.lowest_visible_alt_m(c.lat_deg, c.lon_deg, 0.1)
        );
    }
    assert!(fp.cells.iter().any(|c| c.min_visible_alt_m.is_some()));
}

#[test]
fn contours_enclose_exactly_the_engaged_points() {
    let s = europe();
    let fp = run(
        &s,
        &request(
            MapKind::DefendedArea,
            "Tehran",
            Grid::try_new(34.0, 60.0, 0.0, 40.0, 2.0).unwrap(),
        ),
    );
    for c in &fp.contours {
        for cell in &fp.cells {
            let inside = c.polygons.iter().any(|p| {
                defence::contour::contains(&p[0], [cell.lon_deg, cell.lat_deg])
                    && !p[1..]
                        .iter()
                        .any(|h| defence::contour::contains(h, [cell.lon_deg, cell.lat_deg]))
            });
            // Points on the bounds lie on the ring itself; test interior points only.
            let interior = cell.lat_deg > fp.grid.lat_min_deg
                && cell.lat_deg < fp.grid.lat_max_deg
                && cell.lon_deg > fp.grid.lon_min_deg
                && cell.lon_deg < fp.grid.lon_max_deg;
            if interior {
                assert_eq!(inside, cell.engaged_at(c.level), "{cell:?} at level {}", c.level);
            }
        }
    }
}

#[test]
fn bad_grids_and_names_are_clear_errors() {
    for (args, what) in [
        ((40.0, 30.0, 0.0, 10.0, 1.0), "inverted"),
        ((30.0, 40.0, 10.0, 0.0, 1.0), "inverted"),
        ((30.0, 40.0, 0.0, 10.0, 0.0), "positive"),
        ((30.0, 40.0, 0.0, 10.0, -0.5), "positive"),
        ((30.0, 95.0, 0.0, 10.0, 1.0), "[-90, 90]"),
        ((30.0, 40.0, 0.0, f64::NAN, 1.0), "finite"),
        ((-90.0, 90.0, -180.0, 180.0, 0.001), "points"),
    ] {
        let e = Grid::try_new(args.0, args.1, args.2, args.3, args.4).unwrap_err();
        assert!(e.to_string().contains(what), "{e} should mention {what}");
    }
    let s = europe();
    let grid = origin_grid();
    let cancel = AtomicBool::new(false);
    let e = footprint::compute(
        &s,
        &request(MapKind::ThreatOrigin, "Atlantis", grid),
        None,
        &|_| {},
        &cancel,
    )
    .unwrap_err();
    assert!(
        matches!(e, FootprintError::Scenario { .. }) && e.to_string().contains("Atlantis"),
        "{e}"
    );
    let mut r = request(MapKind::ThreatOrigin, "London", grid);
    r.missile = Some("Scud".into());
    let e = footprint::compute(&s, &r, None, &|_| {}, &cancel).unwrap_err();
    assert!(e.to_string().contains("Scud"), "{e}");
    let mut r = request(MapKind::ThreatOrigin, "London", grid);
    r.speed_mps = Some(-5.0);
    assert!(footprint::compute(&s, &r, None, &|_| {}, &cancel).is_err());
    // A set cancel flag stops the run.
    let stop = AtomicBool::new(true);
    let e = footprint::compute(
        &s,
        &request(MapKind::ThreatOrigin, "London", grid),
        None,
        &|_| {},
        &stop,
    )
    .unwrap_err();
    assert_eq!(e, FootprintError::Cancelled);
}

#[test]
fn lofted_and_depressed_families_match_the_per_trajectory_engine() {
    let s = europe();
    let tehran = s.site("Tehran").unwrap();
    let launch = Geodetic {
        lat_deg: tehran.lat_deg,
        lon_deg: tehran.lon_deg,
        h_m: tehran.h_m,
    };
    let (_, missile, max_range) = footprint::pick_missile(&s, "Tehran", true, None).unwrap();
    let st = footprint::setup(&s, defence::boost::BoostModel::Fixed).unwrap();
    let table = defence::reach::ReachTable::new(&st.icpt);
    for shape in [ShapeChoice::Lofted, ShapeChoice::Depressed] {
        let me = footprint::fast_threat(
            launch,
            48.8566,
            2.3522,
            missile,
            max_range,
            ShapeChoice::MinEnergy,
        )
        .unwrap();
        for (lat, lon) in [(48.8566, 2.3522), (52.2297, 21.0122), (41.9028, 12.4964)] {
            let th = footprint::fast_threat(launch, lat, lon, missile, max_range, shape)
                .unwrap_or_else(|e| panic!("{shape:?} to {lat},{lon}: {e:?}"));
            let target = Geodetic {
                lat_deg: lat,
                lon_deg: lon,
                h_m: 0.0,
            };
            let n = footprint::naive_cell(
                &s,
                launch,
                target,
                missile,
                shape,
                defence::boost::BoostModel::Fixed,
            )
            .unwrap();
            let ft = n.flight_time_s.unwrap();
            assert!(
                (th.impact_time_s() - ft).abs() < 2.0,
                "{shape:?} {lat},{lon}: {} vs {ft}",
                th.impact_time_s()
            );
            let e = footprint::fast_engage(&st.radar, &st.icpt, &table, &th, 7000.0);
            match (e.crossover.map(|c| c.0), n.crossover_speed_mps) {
                (Some(a), Some(b)) => assert!((a - b).abs() < 200.0 + 0.03 * b, "{shape:?}: {a} vs {b}"),
                (a, b) => assert_eq!(a.is_some(), b.is_some(), "{shape:?} {lat},{lon}"),
            }
        }
        // Paris: lofted flights take longer than minimum energy, depressed ones shorter.
        let th = footprint::fast_threat(launch, 48.8566, 2.3522, missile, max_range, shape).unwrap();
        match shape {
            ShapeChoice::Lofted => assert!(th.impact_time_s() > me.impact_time_s()),
            _ => assert!(th.impact_time_s() < me.impact_time_s()),
        }
    }
}

/// No map says a point is engageable at a speed no interceptor rocket has: every crossover is at most
/// the largest Earth-relative burnout speed of a bound (elliptic) flyout, `MAX_BALLISTIC_MPS`. On the
/// defended-area map from Semnan at 1°, interpolating the reach table towards nodes with no flyout gave
/// "reachable at 13 km/s" (fixed boost) and up to 44.8 km/s (powered) at the edge of reach before the
/// bound; those points are "seen but out of reach". Both boost models, the whole European grid.
#[test]
fn no_crossover_above_the_largest_ballistic_burnout_speed() {
    use defence::reach::MAX_BALLISTIC_MPS;
    let s = europe();
    for boost in [
        defence::boost::BoostModel::Fixed,
        defence::boost::BoostModel::Powered,
    ] {
        let mut req = request(
            MapKind::DefendedArea,
            "Semnan",
            Grid::try_new(35.0, 71.0, -11.0, 41.0, 1.0).unwrap(),
        );
        req.boost = boost;
        let fp = run(&s, &req);
        let mut reachable = 0;
        let mut out_of_reach = 0;
        for c in &fp.cells {
            match c.status {
                Status::Reachable => {
                    reachable += 1;
                    let v = c.crossover_speed_mps.unwrap();
                    assert!(
                        v > 0.0 && v <= MAX_BALLISTIC_MPS,
                        "{boost:?}: ({}, {}) reachable at {v} m/s",
                        c.lat_deg,
                        c.lon_deg
                    );
                }
                Status::Unreachable => {
                    out_of_reach += 1;
                    assert!(c.crossover_speed_mps.is_none(), "{c:?}");
                }
                _ => {}
            }
        }
        // The map has both kinds, so the bound is exercised at a real edge of reach.
        assert!(reachable > 1000, "{boost:?}: {reachable} reachable");
        assert!(out_of_reach > 0, "{boost:?}: no point out of reach");
    }
}

/// The bound is the one its documentation derives: escape speed at WGS84's polar radius under the
/// contract's μ plus the equator's rotation speed, rounded up to the metre per second.
#[test]
fn the_ballistic_bound_is_escape_speed_plus_the_grounds_rotation() {
    let model = flight::EarthModel::contract();
    let derived =
        (2.0 * model.mu_m3ps2 / geodesy::WGS84_B_M).sqrt() + model.omega_rad_per_s * geodesy::WGS84_A_M;
    let bound = defence::reach::MAX_BALLISTIC_MPS;
    assert!(bound >= derived && bound - derived < 1.0, "{bound} vs {derived}");
}
