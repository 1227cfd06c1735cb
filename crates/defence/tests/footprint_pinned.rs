//! Powered map threats in one process (the dashboard computes many maps in one): a defended-area map
//! reads its launch site's latitude pinned (one row of nodes flown at it), a threat-origin map reads its
//! launch points between the latitude nodes, and neither changes the other's answers, even where a
//! threat-origin launch point lies at exactly the pinned latitude. This file holds one test on purpose:
//! the tables are kept per process, so no other test may fly or read them in between.

use std::sync::atomic::AtomicBool;

use defence::boost::BoostModel;
use defence::footprint::{self, Footprint, Grid, MapKind, Request};
use defence::scenario::Scenario;
use defence::study::ShapeChoice;

fn request(kind: MapKind, site: &str, grid: Grid) -> Request {
    Request {
        kind,
        site: Some(site.into()),
        missile: Some("Iranian ICBM (hypothetical)".into()),
        shape: ShapeChoice::MinEnergy,
        grid,
        speed_mps: None,
        rcs_m2: None,
        levels: vec![7000.0],
        boost: BoostModel::Powered,
    }
}

fn run(s: &Scenario, req: &Request) -> Footprint {
    footprint::compute(s, req, None, &|_| {}, &AtomicBool::new(false)).unwrap()
}

#[test]
fn a_defended_area_map_does_not_change_a_later_threat_origin_map_launched_from_its_pinned_latitude() {
    let s = Scenario::load("europe-2008").unwrap();
    let tehran = s.site("Tehran").unwrap();
    // Threat-origin launch points on Tehran's latitude exactly (Tehran itself among them, with its track),
    // aimed at Berlin.
    let origin = request(
        MapKind::ThreatOrigin,
        "Berlin",
        Grid::try_new(
            tehran.lat_deg,
            tehran.lat_deg + 1.0,
            tehran.lon_deg,
            tehran.lon_deg + 1.0,
            1.0,
        )
        .unwrap(),
    );
    assert_eq!(origin.grid.lat(0), tehran.lat_deg);
    // Launched from Tehran (its latitude pinned) at a few points in Germany.
    let defended = request(
        MapKind::DefendedArea,
        "Tehran",
        Grid::try_new(50.0, 51.0, 10.0, 11.0, 1.0).unwrap(),
    );
    let alone = run(&s, &origin);
    let pinned = run(&s, &defended);
    let after = run(&s, &origin);
    assert_eq!(pinned.threat_boost, BoostModel::Powered);
    assert_eq!(alone.threat_boost, BoostModel::Powered);
    assert!(
        alone.cells.iter().all(|c| c.flight_time_s.is_some()),
        "{:?}",
        alone.cells
    );
    assert!(
        alone.tracks.iter().any(|t| t.from == "Tehran"),
        "{:?}",
        alone.tracks.iter().map(|t| &t.from).collect::<Vec<_>>()
    );
    // The same answers, to the bit: the threat-origin map never reads the defended-area map's pinned
    // row.
    for (a, b) in alone.cells.iter().zip(&after.cells) {
        assert_eq!(a, b);
    }
    assert_eq!(alone.tracks, after.tracks);
    // Nodes are flown only where the maps read: two latitude rows and one pinned row, each over the
    // couple of azimuth nodes about the bearings toward Berlin and Germany, not all twelve azimuths.
    let table = footprint::threat_table(
        &s,
        "Iranian ICBM (hypothetical)",
        ShapeChoice::MinEnergy,
        BoostModel::Powered,
    )
    .unwrap()
    .unwrap();
    let flown = table.nodes_flown().unwrap();
    println!("nodes flown: {flown}");
    assert!((3..=9).contains(&flown), "{flown} nodes flown");
}
