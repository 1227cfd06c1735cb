//! Release timing of the two benchmark footprints of `BENCHMARKS.md` (threat-origin map over Iran
//! against Berlin, defended-area map over Europe for a launch near Tehran, both at 0.5°) and of the naive
//! per-point engine on a sample of their points, with the agreement between the two.
//!
//! Run: `cargo run --release -p defence --example footprint_timing [naive sample size]`.

use std::sync::atomic::AtomicBool;
use std::time::Instant;

use defence::footprint::{self, Grid, MapKind, Request, Status};
use defence::scenario::Scenario;
use defence::study::ShapeChoice;
use geodesy::Geodetic;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sample: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(24);
    let s = Scenario::load("europe-2008")?;
    let cancel = AtomicBool::new(false);
    let maps = [
        (
            "threat origin, Berlin, Iran 24-42N 40-64E",
            MapKind::ThreatOrigin,
            "Berlin",
            Grid::try_new(24.0, 42.0, 40.0, 64.0, 0.5)?,
        ),
        (
            "defended area, Tehran, Europe 35-71N 11W-41E",
            MapKind::DefendedArea,
            "Tehran",
            Grid::try_new(35.0, 71.0, -11.0, 41.0, 0.5)?,
        ),
    ];
    for (name, kind, site, grid) in maps {
        let req = Request {
            kind,
            site: Some(site.into()),
            missile: None,
            shape: ShapeChoice::MinEnergy,
            grid,
            speed_mps: None,
            rcs_m2: None,
            levels: vec![5400.0, 7000.0, 9000.0],
            boost: defence::boost::BoostModel::Fixed,
        };
        let t0 = Instant::now();
        let fp = footprint::compute(&s, &req, None, &|_| {}, &cancel)?;
        let dt = t0.elapsed().as_secs_f64();
        if std::env::var("WARM").is_ok() {
            let st = footprint::setup(&s, defence::boost::BoostModel::Fixed)?;
            let table = defence::reach::ReachTable::new(&st.icpt);
            let t1 = Instant::now();
            footprint::compute(&s, &req, Some(&table), &|_| {}, &cancel)?;
            let cold = t1.elapsed().as_secs_f64();
            let t1 = Instant::now();
            footprint::compute(&s, &req, Some(&table), &|_| {}, &cancel)?;
            println!(
                "  cold {cold:.3} s, with the reach table already filled {:.3} s",
                t1.elapsed().as_secs_f64()
            );
        }
        let n = fp.cells.len();
        let flown = fp
            .cells
            .iter()
            .filter(|c| !matches!(c.status, Status::OutOfRange | Status::NoTrajectory))
            .count();
        let reach = fp.cells.iter().filter(|c| c.status == Status::Reachable).count();
        println!(
            "{name}: {n} points ({flown} flown, {reach} reachable), {:.3} s total, {:.1} µs/point, {:.1} µs/flown point, {} reach nodes",
            dt,
            dt * 1e6 / n as f64,
            dt * 1e6 / flown.max(1) as f64,
            fp.reach_nodes
        );
        // Naive engine on an evenly spread sample of flown points.
        let flown_cells: Vec<_> = fp
            .cells
            .iter()
            .filter(|c| !matches!(c.status, Status::OutOfRange | Status::NoTrajectory))
            .collect();
        let step = (flown_cells.len() / sample.max(1)).max(1);
        let (missile_name, missile, _) =
            footprint::pick_missile(&s, site, kind == MapKind::DefendedArea, None)?;
        let fixed = s.site(site).ok_or("no site")?;
        let fixed = Geodetic {
            lat_deg: fixed.lat_deg,
            lon_deg: fixed.lon_deg,
            h_m: fixed.h_m,
        };
        let mut t_naive = 0.0;
        let mut count = 0;
        let mut worst: f64 = 0.0;
        let mut disagree = 0;
        for c in flown_cells.iter().step_by(step).take(sample) {
            let p = Geodetic {
                lat_deg: c.lat_deg,
                lon_deg: c.lon_deg,
                h_m: 0.0,
            };
            let (l, t) = if kind == MapKind::DefendedArea {
                (fixed, p)
            } else {
                (p, fixed)
            };
            let t0 = Instant::now();
            let nv = footprint::naive_cell(
                &s,
                l,
                t,
                missile,
                ShapeChoice::MinEnergy,
                defence::boost::BoostModel::Fixed,
            )?;
            t_naive += t0.elapsed().as_secs_f64();
            count += 1;
            match (c.crossover_speed_mps, nv.crossover_speed_mps) {
                (Some(a), Some(b)) => worst = worst.max((a - b).abs()),
                (None, None) => {}
                _ => disagree += 1,
            }
            if std::env::var("VERBOSE").is_ok() {
                println!(
                    "  {:.1} {:.1}: fast {:?} {:?} naive {:?} {:?}",
                    c.lat_deg,
                    c.lon_deg,
                    c.first_detection_s,
                    c.crossover_speed_mps,
                    nv.first_detection_s,
                    nv.crossover_speed_mps
                );
            }
        }
        println!(
            "  naive ({missile_name}): {count} points, {:.1} ms/point → {:.0} s for the map on one core; fast/naive crossover: max |Δ| {:.1} m/s, {} status disagreements",
            t_naive * 1e3 / count as f64,
            t_naive / count as f64 * flown as f64,
            worst,
            disagree
        );
    }
    Ok(())
}
