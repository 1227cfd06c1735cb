//! Footprint cost: the two benchmark maps of `BENCHMARKS.md` (threat origin over Iran and its
//! surroundings against Berlin, defended area over Europe for a launch near Tehran, both at 0.5° with the
//! built-in `europe-2008` scenario, each a cold run that fills its own reach table), and the cost of one
//! grid point with the fast engine (warm table) and with the naive per-trajectory engine of the study.
//! Run with `cargo bench -p defence --bench footprint`.

use std::hint::black_box;
use std::sync::atomic::AtomicBool;

use criterion::{Criterion, criterion_group, criterion_main};
use defence::footprint::{self, Grid, MapKind, Request};
use defence::reach::ReachTable;
use defence::scenario::Scenario;
use defence::study::ShapeChoice;
use geodesy::Geodetic;

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

fn maps(c: &mut Criterion) {
    let s = Scenario::load("europe-2008").expect("built-in scenario");
    let cancel = AtomicBool::new(false);
    let origin = request(
        MapKind::ThreatOrigin,
        "Berlin",
        Grid::try_new(24.0, 42.0, 40.0, 64.0, 0.5).expect("grid"),
    );
    let defended = request(
        MapKind::DefendedArea,
        "Tehran",
        Grid::try_new(35.0, 71.0, -11.0, 41.0, 0.5).expect("grid"),
    );
    let mut g = c.benchmark_group("footprint");
    g.sample_size(10);
    g.bench_function("threat_origin_berlin_iran_0.5deg_1813_points", |b| {
        b.iter(|| footprint::compute(&s, black_box(&origin), None, &|_| {}, &cancel).expect("map"))
    });
    g.bench_function("defended_area_tehran_europe_0.5deg_7665_points", |b| {
        b.iter(|| footprint::compute(&s, black_box(&defended), None, &|_| {}, &cancel).expect("map"))
    });
    g.finish();

    // One grid point: Tehran → Paris, fast engine with a warm reach table, and the naive engine.
    let st = footprint::setup(&s, defence::boost::BoostModel::Fixed).expect("setup");
    let table = ReachTable::new(&st.icpt);
    let (_, missile, max_range) = footprint::pick_missile(&s, "Tehran", true, None).expect("missile");
    let t = s.site("Tehran").expect("Tehran");
    let launch = Geodetic {
        lat_deg: t.lat_deg,
        lon_deg: t.lon_deg,
        h_m: t.h_m,
    };
    let (lat, lon) = (48.8566, 2.3522);
    let fast = || {
        let th = footprint::fast_threat(launch, lat, lon, missile, max_range, ShapeChoice::MinEnergy)
            .expect("threat");
        footprint::fast_engage(&st.radar, &st.icpt, &table, &th, 7000.0)
    };
    fast();
    let mut g = c.benchmark_group("footprint_point");
    g.sample_size(20);
    g.bench_function("fast_warm_table", |b| b.iter(|| black_box(fast())));
    let target = Geodetic {
        lat_deg: lat,
        lon_deg: lon,
        h_m: 0.0,
    };
    g.bench_function("naive_per_trajectory_engine", |b| {
        b.iter(|| {
            footprint::naive_cell(
                &s,
                launch,
                black_box(target),
                missile,
                ShapeChoice::MinEnergy,
                defence::boost::BoostModel::Fixed,
            )
            .expect("cell")
        })
    });
    g.finish();
}

criterion_group!(benches, maps);
criterion_main!(benches);
