//! Flies every burnout state of the committed Orekit reference set under J2, `passes` times, and prints the
//! mean wall time per trajectory: a profiling aid (`valgrind --tool=callgrind`) and a quick check of the
//! `fly` cost outside criterion.
//!
//! `cargo run --release -p flight --example fly_cases -- [passes]`

use std::time::Instant;

use flight::{BurnoutState, Gravity, propagate};
use serde_json::Value;

fn main() {
    let passes: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100);
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/reference/orekit_trajectories.json"
    );
    let text = std::fs::read_to_string(path).expect("reference file");
    let data: Value = serde_json::from_str(&text).expect("JSON");
    let num = |c: &Value, k: &str| c[k].as_f64().expect("number");
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
    let mut steps = 0;
    let mut sum = 0.0;
    let t0 = Instant::now();
    for _ in 0..passes {
        for s in &states {
            let t = propagate(s, Gravity::J2).expect("impacts");
            steps += t.steps();
            sum += t.summary().time_of_flight_s;
        }
    }
    let n = (passes * states.len()) as f64;
    println!(
        "{:.2} us per trajectory, {:.1} steps per trajectory (checksum {sum:.3})",
        t0.elapsed().as_secs_f64() * 1e6 / n,
        steps as f64 / n
    );
}
