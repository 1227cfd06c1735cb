//! Per-call cost of the flight engine: one J2 trajectory from burnout to impact (with apogee and impact
//! events) and one Lambert solve. Run with `cargo bench -p flight --bench flight`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use flight::{BurnoutState, Gravity, lambert, trajectory::propagate};
use geodesy::Vec3;

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

criterion_group!(benches, bench);
criterion_main!(benches);
