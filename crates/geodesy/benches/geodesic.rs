//! Geodesic inverse per call on the committed reference cases (`tests/reference/geodesic_inverse.json`):
//! the same cases `bench/compare_cpp.sh` times with GeographicLib's C++ library.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

fn cases() -> Vec<[f64; 4]> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/reference/geodesic_inverse.json"
    );
    let text = std::fs::read_to_string(path).expect("reference data");
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    v["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| {
            let g = |k: &str| c[k].as_f64().expect("number");
            [g("lat1_deg"), g("lon1_deg"), g("lat2_deg"), g("lon2_deg")]
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let cases = cases();
    let mut group = c.benchmark_group("geodesic");
    group.throughput(Throughput::Elements(cases.len() as u64));
    group.bench_function("inverse_reference_cases", |b| {
        b.iter(|| {
            let mut sum = 0.0;
            for &[lat1, lon1, lat2, lon2] in &cases {
                sum += geodesy::geodesic::inverse_unchecked(
                    black_box(lat1),
                    black_box(lon1),
                    black_box(lat2),
                    black_box(lon2),
                )
                .distance_m;
            }
            sum
        })
    });
    group.bench_function("direct_reference_cases", |b| {
        b.iter(|| {
            let mut sum = 0.0;
            for &[lat1, lon1, _, _] in &cases {
                sum += geodesy::direct(black_box(lat1), black_box(lon1), 30.0, 5.0e6)
                    .map_or(0.0, |d| d.lat2_deg);
            }
            sum
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
