//! Solves every problem of the committed pykep reference set (`tests/reference/lambert_cases.json`) with
//! its `max_revs`, checks the zero-revolution v1 against pykep's, then times the set the way
//! `bench/pykep_lambert.cpp` times pykep's C++ solver: warm-up passes, then the best of the timed passes,
//! as wall time per solve. With `zero` only the zero-revolution problems are used. Used by
//! `bench/compare_peers.sh`.
//!
//! `cargo run --release -p flight --example lambert_cases -- [warm-up passes] [timed passes] [zero]`

use std::time::Instant;

use flight::lambert;
use geodesy::Vec3;
use serde_json::Value;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let warm = args.first().and_then(|a| a.parse().ok()).unwrap_or(200);
    let timed: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(50);
    let zero_only = args.get(2).is_some_and(|a| a == "zero");
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/reference/lambert_cases.json");
    let text = std::fs::read_to_string(path).expect("reference file");
    let data: Value = serde_json::from_str(&text).expect("JSON");
    let v3 = |v: &Value| {
        let a: Vec<f64> = v
            .as_array()
            .expect("array")
            .iter()
            .map(|x| x.as_f64().expect("number"))
            .collect();
        Vec3::new(a[0], a[1], a[2])
    };
    let problems: Vec<_> = data["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .filter(|c| !zero_only || c["max_revs"].as_u64() == Some(0))
        .map(|c| {
            (
                v3(&c["r1_m"]),
                v3(&c["r2_m"]),
                c["tof_s"].as_f64().expect("tof"),
                c["mu_m3ps2"].as_f64().expect("mu"),
                c["prograde"].as_bool().expect("prograde"),
                c["max_revs"].as_u64().expect("max_revs") as u32,
                v3(&c["solutions"][0]["v1_mps"]),
            )
        })
        .collect();
    let mut worst: f64 = 0.0;
    for &(r1, r2, tof, mu, prograde, revs, v1_ref) in &problems {
        let sol = lambert(r1, r2, tof, mu, prograde, revs).expect("solves");
        worst = worst.max((sol.solutions[0].v1_mps - v1_ref).norm());
    }
    println!(
        "shieldwatch check: {} problems, worst |v1 - reference| {worst:.3e} m/s",
        problems.len()
    );
    let mut sink = 0.0;
    let mut pass = || {
        for &(r1, r2, tof, mu, prograde, revs, _) in &problems {
            let sol = lambert(std::hint::black_box(r1), r2, tof, mu, prograde, revs).expect("solves");
            sink += sol.solutions[0].v1_mps.x + sol.solutions.last().map_or(0.0, |s| s.v2_mps.z);
        }
    };
    for _ in 0..warm {
        pass();
    }
    let mut best = f64::INFINITY;
    for _ in 0..timed {
        let t0 = Instant::now();
        pass();
        best = best.min(t0.elapsed().as_secs_f64() / problems.len() as f64);
    }
    println!(
        "shieldwatch lambert: {:.1} ns per solve (best of {timed} passes over {} problems after {warm} warm-up passes; checksum {sink:.3})",
        best * 1e9,
        problems.len()
    );
}
