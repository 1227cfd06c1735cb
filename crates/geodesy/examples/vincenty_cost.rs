//! What Vincenty's inverse method would save and cost against Karney's (the `fly` ground geodesic),
//! measured for BENCHMARKS.md ("JSON Lines commands"). Not used by the library: `shared/DESIGN.md` §3
//! asks the ground range of Karney's algorithm and a geodesic distance within 1 µm, which Vincenty's
//! series (truncated at order f³) does not reach.
//!
//! - `cargo run --release -p geodesy --example vincenty_cost -- accuracy` — over 100 000 random lines
//!   of 100–13 000 km (the ranges `fly` answers, no near-antipodal pair, where Vincenty's iteration does
//!   not converge), the largest distance difference and lateral gap (azimuth difference × distance) of
//!   Vincenty, iterated until the longitude changes by less than 1e-13 rad, from Karney, and Vincenty's
//!   iterations.
//! - `… -- vincenty` and `… -- karney`, each under `valgrind --tool=callgrind`: 100 passes over 1 000
//!   of those lines through one of the two; the inclusive instructions of `vincenty_cost::vincenty` or
//!   `vincenty_cost::karney` divided by 100 000 is the cost of one geodesic.

use std::hint::black_box;

use geographiclib_rs::{Geodesic, InverseGeodesic};

const A: f64 = geodesy::WGS84_A_M;
const F: f64 = geodesy::WGS84_F;

/// Vincenty (1975), "Direct and inverse solutions of geodesics on the ellipsoid with application of
/// nested equations", Survey Review 23(176): distance (m), initial azimuth (degrees), iterations.
#[inline(never)]
fn vincenty(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> (f64, f64, u32) {
    let b = A * (1.0 - F);
    let l = (lon2 - lon1).to_radians();
    let (su1, cu1) = ((1.0 - F) * lat1.to_radians().tan()).atan().sin_cos();
    let (su2, cu2) = ((1.0 - F) * lat2.to_radians().tan()).atan().sin_cos();
    let mut lam = l;
    let mut iterations = 0;
    let (ss, cs, sig, c2a, c2sm) = loop {
        iterations += 1;
        let (sl, cl) = lam.sin_cos();
        let ss = (cu2 * sl).hypot(cu1 * su2 - su1 * cu2 * cl);
        let cs = su1 * su2 + cu1 * cu2 * cl;
        let sig = ss.atan2(cs);
        let sa = cu1 * cu2 * sl / ss;
        let c2a = 1.0 - sa * sa;
        let c2sm = if c2a != 0.0 {
            cs - 2.0 * su1 * su2 / c2a
        } else {
            0.0
        };
        let c = F / 16.0 * c2a * (4.0 + F * (4.0 - 3.0 * c2a));
        let previous = lam;
        lam = l + (1.0 - c) * F * sa * (sig + c * ss * (c2sm + c * cs * (-1.0 + 2.0 * c2sm * c2sm)));
        if (lam - previous).abs() < 1e-13 || iterations == 200 {
            break (ss, cs, sig, c2a, c2sm);
        }
    };
    let u2 = c2a * (A * A - b * b) / (b * b);
    let a_ = 1.0 + u2 / 16384.0 * (4096.0 + u2 * (-768.0 + u2 * (320.0 - 175.0 * u2)));
    let b_ = u2 / 1024.0 * (256.0 + u2 * (-128.0 + u2 * (74.0 - 47.0 * u2)));
    let c2 = c2sm * c2sm;
    let ds = b_
        * ss
        * (c2sm
            + b_ / 4.0
                * (cs * (-1.0 + 2.0 * c2) - b_ / 6.0 * c2sm * (-3.0 + 4.0 * ss * ss) * (-3.0 + 4.0 * c2)));
    let (sl, cl) = lam.sin_cos();
    let azi = (cu2 * sl).atan2(cu1 * su2 - su1 * cu2 * cl).to_degrees();
    (b * a_ * (sig - ds), azi, iterations)
}

/// Karney's inverse as `geodesy::geodesic` calls it: distance (m), initial azimuth (degrees).
#[inline(never)]
fn karney(g: &Geodesic, lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> (f64, f64) {
    let (s12, azi1, _azi2, _a12): (f64, f64, f64, f64) = g.inverse(lat1, lon1, lat2, lon2);
    (s12, azi1)
}

/// Random lines of 100–13 000 km from a fixed seed: (lat1, lon1, lat2, lon2), degrees.
fn lines(n: usize) -> Vec<[f64; 4]> {
    let g = Geodesic::wgs84();
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut uniform = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..n)
        .map(|_| {
            let lat1 = (2.0 * uniform() - 1.0).asin().to_degrees();
            let lon1 = 360.0 * uniform() - 180.0;
            let azi = 360.0 * uniform();
            let s = 100e3 + 12_900e3 * uniform();
            let (lat2, lon2): (f64, f64) = geographiclib_rs::DirectGeodesic::direct(&g, lat1, lon1, azi, s);
            [lat1, lon1, lat2, lon2]
        })
        .collect()
}

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    let g = Geodesic::wgs84();
    match mode.as_str() {
        "accuracy" => {
            let (mut worst_s, mut worst_lateral, mut total_it, mut max_it) = (0.0f64, 0.0f64, 0u64, 0u32);
            let set = lines(100_000);
            for p in &set {
                let (sv, av, it) = vincenty(p[0], p[1], p[2], p[3]);
                let (sk, ak) = karney(&g, p[0], p[1], p[2], p[3]);
                worst_s = worst_s.max((sv - sk).abs());
                let dazi = ((av - ak + 540.0).rem_euclid(360.0) - 180.0).to_radians();
                worst_lateral = worst_lateral.max((dazi * sk).abs());
                total_it += u64::from(it);
                max_it = max_it.max(it);
            }
            println!(
                "{} lines of 100-13000 km: Vincenty against Karney, worst distance difference {:.1} um, worst \
                 lateral gap {:.1} um; Vincenty iterations mean {:.2}, max {max_it}",
                set.len(),
                worst_s * 1e6,
                worst_lateral * 1e6,
                total_it as f64 / set.len() as f64
            );
        }
        "vincenty" | "karney" => {
            let set = lines(1000);
            let mut sum = 0.0;
            for _ in 0..100 {
                for p in &set {
                    let p = black_box(*p);
                    sum += if mode == "vincenty" {
                        vincenty(p[0], p[1], p[2], p[3]).0
                    } else {
                        karney(&g, p[0], p[1], p[2], p[3]).0
                    };
                }
            }
            println!("{mode}: 100 000 geodesics, total length {sum:.0} m");
        }
        _ => {
            eprintln!("usage: vincenty_cost accuracy | vincenty | karney");
            std::process::exit(2);
        }
    }
}
