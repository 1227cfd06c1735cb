//! Per-call cost of the flight engine: J2 trajectories from burnout to impact (with apogee and impact
//! events) and Lambert solves. Run with `cargo bench -p flight --bench flight`.
//!
//! The `peer_cases` groups run the committed reference sets, so that `bench/compare_peers.sh` can compare
//! them with Orekit and pykep on exactly the same inputs: `fly/orekit_cases_j2` flies all burnout states
//! of `tests/reference/orekit_trajectories.json` under J2 (one iteration = every case once; and
//! `fly/orekit_cases_point` the same states under point gravity, for `crates/cli/bench/jsonl_bench.sh`), and
//! `lambert/pykep_cases` solves every problem of `tests/reference/lambert_cases.json` with its
//! `max_revs` (one iteration = every problem once). Divide by the case count for a per-call figure.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use flight::{BurnoutState, Gravity, lambert, trajectory::propagate};
use geodesy::Vec3;
use serde_json::Value;

fn load(name: &str) -> Value {
    let path = format!("{}/tests/reference/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn num(v: &Value, k: &str) -> f64 {
    v[k].as_f64().unwrap_or_else(|| panic!("{k} missing in {v}"))
}

fn vec3(v: &Value) -> Vec3 {
    let a: Vec<f64> = v
        .as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect();
    Vec3::new(a[0], a[1], a[2])
}

fn bench(c: &mut Criterion) {
    // An ICBM-class burnout over western Russia heading north-west (about 8,000 km range).
    let icbm = BurnoutState::try_new(54.5, 35.0, 200_000.0, 6_600.0, 330.0, 25.0).expect("valid state");
    // A short-range shot: about 1,000 km.
    let srbm = BurnoutState::try_new(35.2, 53.9, 80_000.0, 2_900.0, 300.0, 40.0).expect("valid state");
    let mut g = c.benchmark_group("fly");
    g.bench_function("icbm_j2", |b| {
        b.iter(|| propagate(black_box(&icbm), Gravity::J2).map(|t| t.summary()))
    });
    g.bench_function("icbm_point", |b| {
        b.iter(|| propagate(black_box(&icbm), Gravity::Point).map(|t| t.summary()))
    });
    g.bench_function("srbm_j2", |b| {
        b.iter(|| propagate(black_box(&srbm), Gravity::J2).map(|t| t.summary()))
    });
    g.finish();

    let r1 = Vec3::new(6_578_137.0, 0.0, 0.0);
    let r2 = Vec3::new(-3_000_000.0, 5_800_000.0, 1_000_000.0);
    let mu = flight::MU_M3PS2;
    let mut g = c.benchmark_group("lambert");
    g.bench_function("single_rev", |b| {
        b.iter(|| lambert(black_box(r1), black_box(r2), 2_400.0, mu, true, 0))
    });
    g.bench_function("up_to_two_revs", |b| {
        b.iter(|| lambert(black_box(r1), black_box(r2), 20_000.0, mu, true, 2))
    });
    g.finish();
}

fn peer_cases(c: &mut Criterion) {
    let data = load("orekit_trajectories.json");
    let states: Vec<BurnoutState> = data["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| {
            BurnoutState::try_new(
                num(c, "lat_deg"),
                num(c, "lon_deg"),
                num(c, "alt_m"),
                num(c, "speed_mps"),
                num(c, "azimuth_deg"),
                num(c, "flight_path_angle_deg"),
            )
            .expect("valid state")
        })
        .collect();
    let mut g = c.benchmark_group("fly");
    g.bench_function("orekit_cases_j2", |b| {
        b.iter(|| {
            let mut sum = 0.0;
            for s in &states {
                let t = propagate(black_box(s), Gravity::J2).expect("impacts");
                sum += t.summary().time_of_flight_s;
            }
            sum
        })
    });
    // The same states under point gravity: the closed-form conic (`flight::conic`).
    g.bench_function("orekit_cases_point", |b| {
        b.iter(|| {
            let mut sum = 0.0;
            for s in &states {
                let t = propagate(black_box(s), Gravity::Point).expect("impacts");
                sum += t.summary().time_of_flight_s;
            }
            sum
        })
    });
    g.finish();

    let data = load("lambert_cases.json");
    let problems: Vec<(Vec3, Vec3, f64, f64, bool, u32)> = data["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| {
            (
                vec3(&c["r1_m"]),
                vec3(&c["r2_m"]),
                num(c, "tof_s"),
                num(c, "mu_m3ps2"),
                c["prograde"].as_bool().expect("bool"),
                c["max_revs"].as_u64().expect("integer") as u32,
            )
        })
        .collect();
    let zero_rev: Vec<_> = problems.iter().filter(|p| p.5 == 0).copied().collect();
    let mut g = c.benchmark_group("lambert");
    g.bench_function("pykep_cases", |b| {
        b.iter(|| {
            let mut n = 0;
            for &(r1, r2, tof, mu, prograde, revs) in &problems {
                n += lambert(black_box(r1), black_box(r2), tof, mu, prograde, revs)
                    .expect("solves")
                    .solutions
                    .len();
            }
            n
        })
    });
    g.bench_function("pykep_cases_zero_rev", |b| {
        b.iter(|| {
            let mut n = 0;
            for &(r1, r2, tof, mu, prograde, revs) in &zero_rev {
                n += lambert(black_box(r1), black_box(r2), tof, mu, prograde, revs)
                    .expect("solves")
                    .solutions
                    .len();
            }
            n
        })
    });
    g.finish();
}

criterion_group!(benches, bench, peer_cases);
criterion_main!(benches);
