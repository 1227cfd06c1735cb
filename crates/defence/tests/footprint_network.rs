//! Footprint maps over several radars and batteries: a map is the union of what the scenario's batteries
//! do, cued by the earliest track of any of its radars. Each map is checked cell by cell against the maps
//! of the same scenario cut to one battery or one radar, and a point is shown to be defended only thanks to
//! a battery or radar after the first.

use std::sync::atomic::AtomicBool;

use defence::footprint::{self, Footprint, Grid, MapKind, Request, Status};
use defence::scenario::Scenario;
use defence::study::ShapeChoice;

fn request(
    kind: MapKind,
    site: Option<&str>,
    missile: Option<&str>,
    grid: Grid,
    speed: Option<f64>,
) -> Request {
    Request {
        kind,
        site: site.map(str::to_string),
        missile: missile.map(str::to_string),
        shape: ShapeChoice::MinEnergy,
        grid,
        speed_mps: speed,
        rcs_m2: None,
        levels: vec![],
        boost: defence::boost::BoostModel::Fixed,
    }
}

fn run(s: &Scenario, req: &Request) -> Footprint {
    footprint::compute(s, req, None, &|_| {}, &AtomicBool::new(false)).unwrap()
}

/// The scenario with only its `i`-th battery.
fn only_battery(s: &Scenario, i: usize) -> Scenario {
    let mut c = s.clone();
    c.interceptors = vec![s.interceptors[i].clone()];
    c
}

/// The scenario with only its `i`-th radar.
fn only_radar(s: &Scenario, i: usize) -> Scenario {
    let mut c = s.clone();
    c.radars = vec![s.radars[i].clone()];
    c
}

/// Cell by cell: the crossover of the full map is the lowest of the one-battery maps', its first
/// detection theirs (the radars are the same), its earliest intercept the earliest of theirs.
fn assert_union_of_batteries(full: &Footprint, per: &[Footprint]) {
    for (k, c) in full.cells.iter().enumerate() {
        let lowest = per
            .iter()
            .filter_map(|p| p.cells[k].crossover_speed_mps)
            .min_by(f64::total_cmp);
        assert_eq!(c.crossover_speed_mps, lowest, "{c:?}");
        let earliest = per
            .iter()
            .filter_map(|p| p.cells[k].earliest_intercept_s)
            .min_by(f64::total_cmp);
        assert_eq!(c.earliest_intercept_s, earliest, "{c:?}");
        for p in per {
            assert_eq!(c.first_detection_s, p.cells[k].first_detection_s, "{c:?}");
        }
    }
}

/// paa-2018 has three batteries: an SM-3 IIA ship between Crete and Cyprus (first), SM-3s at Deveselu
/// (Romania, 44.1 N 24.4 E) and at Redzikowo (Poland). A hypothetical Iranian ICBM aimed at the Bay of
/// Biscay (46 N 6 W) flies north-west over the Black Sea, Romania and central Europe: its midcourse passes
/// close to Deveselu and some 1 500 km north of the ship, so at 4.5 km/s the ship cannot reach it and the
/// Romanian battery can. The map shows that point defended, and every cell is the union of the three
/// one-battery maps.
#[test]
fn a_point_defended_only_by_the_second_battery_is_on_the_map() {
    let s = Scenario::load("paa-2018").unwrap();
    assert!(s.interceptors.len() >= 3 && s.radars.len() >= 2);
    let grid = Grid::try_new(40.0, 50.0, -10.0, 30.0, 2.0).unwrap();
    let req = request(
        MapKind::DefendedArea,
        Some("Tehran"),
        Some("Iranian ICBM (hypothetical)"),
        grid,
        Some(4500.0),
    );
    let full = run(&s, &req);
    let names: Vec<&str> = s.interceptors.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(full.interceptor, names.join(", "));
    let per: Vec<Footprint> = (0..s.interceptors.len())
        .map(|i| run(&only_battery(&s, i), &req))
        .collect();
    assert_union_of_batteries(&full, &per);

    let at = |fp: &Footprint, lat: f64, lon: f64| {
        *fp.cells
            .iter()
            .find(|c| c.lat_deg == lat && c.lon_deg == lon)
            .unwrap()
    };
    let biscay = at(&full, 46.0, -6.0);
    assert!(biscay.engaged_at(4500.0), "{biscay:?}");
    assert!(
        !at(&per[0], 46.0, -6.0).engaged_at(4500.0),
        "the ship alone: {:?}",
        at(&per[0], 46.0, -6.0)
    );
    assert!(
        at(&per[1], 46.0, -6.0).engaged_at(4500.0),
        "Deveselu alone: {:?}",
        at(&per[1], 46.0, -6.0)
    );
    // The first battery alone defends strictly less.
    let n = |fp: &Footprint| fp.cells.iter().filter(|c| c.engaged_at(4500.0)).count();
    assert!(n(&full) > n(&per[0]), "{} vs {}", n(&full), n(&per[0]));
}

/// europe-2008-sensors has four radars: the X-band EMR at Brdy (first, turned south-east towards Iran,
/// boresight 115 deg, half-width as in the file), and the early-warning radars at Fylingdales and Thule
/// and an X-band radar at Vardø. A Russian ICBM from Kozelsk aimed at the Canadian Arctic (70 N 90 W)
/// flies north over the Barents Sea and the pole, behind the EMR's back: the EMR alone never tracks it, so
/// nothing engages it; with the northern radars the GBIs at Redzikowo are cued and reach it. The map's
/// first detection is the earliest of the one-radar maps', everywhere.
#[test]
fn a_point_seen_only_by_a_later_radar_is_defended_on_the_map() {
    let s = Scenario::load("europe-2008-sensors").unwrap();
    assert!(s.radars.len() >= 2);
    let grid = Grid::try_new(60.0, 80.0, -120.0, 40.0, 10.0).unwrap();
    let req = request(
        MapKind::DefendedArea,
        Some("Kozelsk"),
        Some("Russian ICBM"),
        grid,
        None,
    );
    let full = run(&s, &req);
    let names: Vec<&str> = s.radars.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(full.radar, names.join(", "));
    let per: Vec<Footprint> = (0..s.radars.len())
        .map(|i| run(&only_radar(&s, i), &req))
        .collect();
    for (k, c) in full.cells.iter().enumerate() {
        let first = per
            .iter()
            .filter_map(|p| p.cells[k].first_detection_s)
            .min_by(f64::total_cmp);
        assert_eq!(c.first_detection_s, first, "{c:?}");
        // Cued earlier than by any single radar or as early: never less engageable.
        for p in &per {
            if let (Some(a), Some(b)) = (c.crossover_speed_mps, p.cells[k].crossover_speed_mps) {
                assert!(a <= b + 1e-9, "{c:?} vs {:?}", p.cells[k]);
            }
            assert!(c.crossover_speed_mps.is_some() || p.cells[k].crossover_speed_mps.is_none());
        }
    }
    let arctic = |fp: &Footprint| {
        *fp.cells
            .iter()
            .find(|c| c.lat_deg == 70.0 && c.lon_deg == -90.0)
            .unwrap()
    };
    assert_eq!(arctic(&per[0]).status, Status::NotSeen, "{:?}", arctic(&per[0]));
    let c = arctic(&full);
    assert_eq!(c.status, Status::Reachable, "{c:?}");
    assert!(c.engaged_at(7000.0), "{c:?}");
}

/// The radar coverage map is the lowest altitude any radar sees: the minimum of the one-radar maps.
#[test]
fn radar_coverage_is_the_lowest_altitude_any_radar_sees() {
    let s = Scenario::load("europe-2008-sensors").unwrap();
    let grid = Grid::try_new(30.0, 80.0, -60.0, 60.0, 10.0).unwrap();
    let mut req = request(MapKind::RadarCoverage, None, None, grid, None);
    req.rcs_m2 = Some(0.1);
    let full = run(&s, &req);
    let per: Vec<Footprint> = (0..s.radars.len())
        .map(|i| run(&only_radar(&s, i), &req))
        .collect();
    let mut only_later = 0;
    for (k, c) in full.cells.iter().enumerate() {
        let lowest = per
            .iter()
            .filter_map(|p| p.cells[k].min_visible_alt_m)
            .min_by(f64::total_cmp);
        assert_eq!(c.min_visible_alt_m, lowest, "{c:?}");
        if c.min_visible_alt_m.is_some() && per[0].cells[k].min_visible_alt_m.is_none() {
            only_later += 1;
        }
    }
    // Greenland and the Arctic are seen by Thule and Vardø, not by the EMR turned towards Iran.
    assert!(only_later > 5, "{only_later}");
}

/// The maps a study's report carries use the whole network: both name every radar and battery, and the
/// defended-area map has a contour at every battery's own burnout speed.
#[test]
fn the_study_report_maps_use_every_radar_and_battery() {
    let s = Scenario::load("paa-2015").unwrap();
    let maps = footprint::study_maps(&s, defence::boost::BoostModel::Fixed, &AtomicBool::new(false)).unwrap();
    assert_eq!(maps.len(), 2);
    let radars: Vec<&str> = s.radars.iter().map(|r| r.name.as_str()).collect();
    let batteries: Vec<&str> = s.interceptors.iter().map(|i| i.name.as_str()).collect();
    for m in &maps {
        assert_eq!(m.radar, radars.join(", "));
        assert_eq!(m.interceptor, batteries.join(", "));
    }
    assert_eq!(maps[0].kind, MapKind::DefendedArea);
    for i in &s.interceptors {
        let v = i.burnout_speed_mps.value;
        assert!(maps[0].contours.iter().any(|c| c.level == v), "{v}");
    }
    // Every radar site lies inside the coverage map's grid.
    let g = maps[1].grid;
    for r in &s.radars {
        let site = s.site(&r.site).unwrap();
        assert!(
            (g.lat_min_deg..=g.lat_max_deg).contains(&site.lat_deg)
                && (g.lon_min_deg..=g.lon_max_deg).contains(&site.lon_deg),
            "{}",
            r.name
        );
    }
}

/// The report section and the summary say the map is the union, and name every radar and battery.
#[test]
fn a_network_map_says_it_is_the_union() {
    let s = Scenario::load("paa-2015").unwrap();
    let grid = Grid::try_new(30.0, 40.0, 40.0, 56.0, 4.0).unwrap();
    let req = request(MapKind::ThreatOrigin, Some("Athens"), None, grid, None);
    let fp = run(&s, &req);
    let summary = defence::maps::footprint_summary(&fp);
    let summary = summary.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        summary.contains("radars AN/TPY-2 Kürecik, SPY-1 ship, SPY-1 Deveselu"),
        "{summary}"
    );
    assert!(
        summary.contains("batteries SM-3 IB ship, SM-3 IB Deveselu"),
        "{summary}"
    );
    assert!(summary.contains("any battery engages it"), "{summary}");
    let html = defence::maps::footprint_section(&fp).unwrap().into_string();
    assert!(
        html.contains("the earliest track of any radar cues every battery"),
        "{html}"
    );
    let one = run(
        &Scenario::load("europe-2008").unwrap(),
        &request(MapKind::ThreatOrigin, Some("London"), None, grid, None),
    );
    let summary = defence::maps::footprint_summary(&one);
    let summary = summary.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(summary.contains("radar EMR, battery GBI-2"), "{summary}");
    assert!(!summary.contains("any battery engages it"), "{summary}");
}

/// Under the powered boost a battery whose entry names no vehicle flies the fixed boost, as in the
/// study, and the map names it so; under the fixed boost nothing is marked.
#[test]
fn a_battery_without_a_vehicle_flies_the_fixed_boost_and_the_map_says_so() {
    let s = Scenario::load("paa-2015").unwrap();
    assert!(s.interceptors.iter().all(|i| i.vehicle.is_none()));
    let grid = Grid::try_new(30.0, 40.0, 40.0, 56.0, 4.0).unwrap();
    let mut req = request(MapKind::ThreatOrigin, Some("Athens"), None, grid, None);
    let fixed = run(&s, &req);
    assert!(
        !fixed.interceptor.contains("fixed boost"),
        "{}",
        fixed.interceptor
    );
    req.boost = defence::boost::BoostModel::Powered;
    let powered = run(&s, &req);
    assert_eq!(
        powered.interceptor,
        "SM-3 IB ship (fixed boost: no vehicle), SM-3 IB Deveselu (fixed boost: no vehicle)"
    );
    assert_eq!(fixed.cells, powered.cells);
}
