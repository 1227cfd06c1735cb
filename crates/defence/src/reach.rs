//! Interceptor reach computed once: a lazily filled table of the lowest burnout speed that carries an
//! interceptor from its silo to any Earth-fixed point within a given coast time.
//!
//! # What the table holds
//! The flyout of [`crate::engagement::flyout`] depends on the intercept point only through its Earth-fixed
//! position `p` (metres, ECEF at the intercept time) and the coast time `c` (seconds from interceptor
//! burnout to intercept): the burnout point is fixed on the Earth (towards `p`'s sub-point), and the
//! Earth turns by ω c between burnout and intercept, which in the frame co-rotating at intercept puts the
//! burnout point at `R_z(−ω c) b`. Lambert's problem is invariant under rotations about the spin axis, so
//! the required Earth-relative burnout speed is a function `speed(p, c)`. For an intercept at time T by
//! an interceptor that may launch at L or later, the coast can be any c in [10 s, T − L − burn time], and
//! the required speed is the running minimum `g(p, c_max) = min_{10 ≤ c ≤ c_max} speed(p, c)`.
//!
//! The table stores `g` at nodes of a grid in (central angle θ from the silo, geocentric azimuth, geocentric
//! radius), each node holding `g` at [`COAST_SAMPLES`] coast times spaced geometrically from
//! [`crate::engagement::MIN_COAST_S`] to [`MAX_COAST_S`]. Queries interpolate linearly in all four
//! coordinates. Nodes are computed on first use, in parallel-safe `OnceLock`s, so a map pays only for
//! the region its trajectories pass through; the table does not depend on the interceptor's burnout speed,
//! burn time or commit delay, so sweeps over those reuse it.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use flight::{EarthModel, lambert};
use geodesy::rotation::rotate_z;
use geodesy::{Geodetic, Vec3, ecef_to_geodetic};

use crate::boost::BoostCurve;
use crate::engagement::{Interceptor, MIN_COAST_S};

/// Number of coast-time samples per node.
pub const COAST_SAMPLES: usize = 24;
/// Longest coast time tabulated, s (longer coasts use this value: a conservative answer).
pub const MAX_COAST_S: f64 = 3600.0;
/// Grid step in central angle from the silo, degrees.
pub const THETA_STEP_DEG: f64 = 1.5;
/// Largest central angle tabulated, degrees (farther points are out of reach).
pub const THETA_MAX_DEG: f64 = 99.0;
/// Grid step in azimuth about the silo, degrees.
pub const AZIMUTH_STEP_DEG: f64 = 7.5;
/// Lowest geocentric radius tabulated, metres (below the polar radius plus 50 km nothing is intercepted).
pub const RADIUS_MIN_M: f64 = 6_350_000.0;
/// Grid step in geocentric radius, metres.
pub const RADIUS_STEP_M: f64 = 75_000.0;
/// Number of radius nodes (up to about 4 100 km above the ellipsoid).
pub const RADIUS_NODES: usize = 56;
/// Stand-in for "no flyout" in interpolation, m/s: far above any burnout speed considered.
pub const UNREACHABLE_MPS: f32 = 1.0e5;
/// The largest Earth-relative burnout speed (m/s) a ballistic flyout can have: escape speed at the
/// smallest burnout radius (WGS84's polar radius), √(2μ/b) = 11 199 m/s, plus the ground's largest
/// rotation speed ω·a = 465 m/s. A required speed above it belongs to a hyperbolic orbit, which no
/// interceptor rocket flies; near the edge of reach it is also what interpolating towards a node with
/// no flyout ([`UNREACHABLE_MPS`]) gives. Either way the point is out of reach, never "reachable at
/// 40 km/s".
pub const MAX_BALLISTIC_MPS: f64 = 11_664.0;

type Node = Box<[f32; COAST_SAMPLES]>;

/// The lazily filled reach table of one interceptor battery (its site, burnout height and downrange).
#[derive(Debug)]
pub struct ReachTable {
    site: Geodetic,
    burnout_alt_m: f64,
    burnout_downrange_m: f64,
    boost: Option<BoostCurve>,
    axis: Vec3,
    east: Vec3,
    north: Vec3,
    n_theta: usize,
    n_az: usize,
    nodes: Vec<OnceLock<Node>>,
    coast_s: [f64; COAST_SAMPLES],
    ln_ratio: f64,
    filled: AtomicUsize,
}

impl ReachTable {
    /// An empty table for `icpt` (only its site, burnout height and burnout downrange matter).
    pub fn new(icpt: &Interceptor) -> ReachTable {
        let axis = icpt.site.to_ecef().unit();
        let z = Vec3::new(0.0, 0.0, 1.0);
        let east = {
            let e = z.cross(axis);
            if e.norm() < 1e-12 {
                Vec3::new(0.0, 1.0, 0.0)
            } else {
                e.unit()
            }
        };
        let north = axis.cross(east);
        let n_theta = (THETA_MAX_DEG / THETA_STEP_DEG).round() as usize + 1;
        let n_az = (360.0 / AZIMUTH_STEP_DEG).round() as usize;
        let n = n_theta * n_az * RADIUS_NODES;
        let ln_ratio = (MAX_COAST_S / MIN_COAST_S).ln() / (COAST_SAMPLES - 1) as f64;
        let mut coast_s = [0.0; COAST_SAMPLES];
        for (k, c) in coast_s.iter_mut().enumerate() {
            *c = MIN_COAST_S * (ln_ratio * k as f64).exp();
        }
        ReachTable {
            site: icpt.site,
            burnout_alt_m: icpt.burnout_alt_m,
            burnout_downrange_m: icpt.burnout_downrange_m,
            boost: icpt.boost.clone(),
            axis,
            east,
            north,
            n_theta,
            n_az,
            nodes: (0..n).map(|_| OnceLock::new()).collect(),
            coast_s,
            ln_ratio,
            filled: AtomicUsize::new(0),
        }
    }

    /// Whether this table serves `icpt` (same site and boost: burnout height and downrange, or the same
    /// powered family).
    pub fn serves(&self, icpt: &Interceptor) -> bool {
        self.site == icpt.site
            && self.boost == icpt.boost
            && (self.boost.is_some()
                || (self.burnout_alt_m == icpt.burnout_alt_m
                    && self.burnout_downrange_m == icpt.burnout_downrange_m))
    }

    /// Number of nodes computed so far.
    pub fn nodes_filled(&self) -> usize {
        self.filled.load(Ordering::Relaxed)
    }

    /// The lowest Earth-relative burnout speed (m/s) that reaches the Earth-fixed point `p_ecef_m`
    /// (metres) with a coast of at most `coast_max_s` seconds, interpolated in the table; `None` when the
    /// coast is shorter than [`MIN_COAST_S`], the point lies outside the table, or the speed would exceed
    /// [`MAX_BALLISTIC_MPS`].
    pub fn required_speed_mps(&self, p_ecef_m: Vec3, coast_max_s: f64) -> Option<f64> {
        if coast_max_s.is_nan() || coast_max_s < MIN_COAST_S || !p_ecef_m.is_finite() {
            return None;
        }
        let rho = p_ecef_m.norm_squared().sqrt();
        let u = p_ecef_m / rho;
        let along = u.dot(self.axis);
        let across = Vec3::new(
            u.x - along * self.axis.x,
            u.y - along * self.axis.y,
            u.z - along * self.axis.z,
        );
        let theta = across.norm_squared().sqrt().atan2(along).to_degrees();
        let az = {
            let a = across.dot(self.east).atan2(across.dot(self.north)).to_degrees();
            if a < 0.0 { a + 360.0 } else { a }
        };
        let ft = theta / THETA_STEP_DEG;
        let fa = az / AZIMUTH_STEP_DEG;
        let fr = (rho - RADIUS_MIN_M) / RADIUS_STEP_M;
        if fr < 0.0 || fr >= (RADIUS_NODES - 1) as f64 || ft >= (self.n_theta - 1) as f64 {
            return None;
        }
        let (it, ia, ir) = (ft as usize, fa as usize, fr as usize);
        let (wt, wa, wr) = (ft - it as f64, fa - ia as f64, fr - ir as f64);
        let fc = ((coast_max_s / MIN_COAST_S).ln() / self.ln_ratio).min((COAST_SAMPLES - 1) as f64);
        let ic = (fc as usize).min(COAST_SAMPLES - 2);
        let wc = fc - ic as f64;
        let mut v = 0.0;
        for (dt, w_t) in [(0, 1.0 - wt), (1, wt)] {
            for (da, w_a) in [(0, 1.0 - wa), (1, wa)] {
                for (dr, w_r) in [(0, 1.0 - wr), (1, wr)] {
                    let w = w_t * w_a * w_r;
                    if w == 0.0 {
                        continue;
                    }
                    let node = self.node(it + dt, (ia + da) % self.n_az, ir + dr);
                    let g = f64::from(node[ic]) * (1.0 - wc) + f64::from(node[ic + 1]) * wc;
                    v += w * g;
                }
            }
        }
        (v <= MAX_BALLISTIC_MPS).then_some(v)
    }

    fn node(&self, it: usize, ia: usize, ir: usize) -> &Node {
        let idx = (it * self.n_az + ia) * RADIUS_NODES + ir;
        self.nodes[idx].get_or_init(|| {
            self.filled.fetch_add(1, Ordering::Relaxed);
            self.compute(it, ia, ir)
        })
    }

    /// The Earth-fixed position (metres) of node (θ index, azimuth index, radius index).
    fn node_point(&self, it: usize, ia: usize, ir: usize) -> Vec3 {
        let theta = (it as f64 * THETA_STEP_DEG).to_radians();
        let az = (ia as f64 * AZIMUTH_STEP_DEG).to_radians();
        let dir = self.north * az.cos() + self.east * az.sin();
        let u = self.axis * theta.cos() + dir * theta.sin();
        u * (RADIUS_MIN_M + ir as f64 * RADIUS_STEP_M)
    }

    fn compute(&self, it: usize, ia: usize, ir: usize) -> Node {
        let mut out = Box::new([UNREACHABLE_MPS; COAST_SAMPLES]);
        let p = self.node_point(it, ia, ir);
        if let Some(boost) = &self.boost {
            for (slot, v) in out
                .iter_mut()
                .zip(powered_speeds(self.site, boost, p, &self.coast_s))
            {
                if v.is_finite() {
                    *slot = v.min(f64::from(UNREACHABLE_MPS)) as f32;
                }
            }
            return out;
        }
        let curve = speed_curve(
            self.site,
            self.burnout_alt_m,
            self.burnout_downrange_m,
            p,
            &self.coast_s,
        );
        let mut best = f64::INFINITY;
        for (k, v) in curve.into_iter().enumerate() {
            best = best.min(v);
            if best.is_finite() {
                out[k] = best.min(f64::from(UNREACHABLE_MPS)) as f32;
            }
        }
        out
    }
}

/// The Earth-relative burnout speed (m/s) needed to reach the Earth-fixed point `p` (metres) after each
/// coast time in `coast_s`, from the burnout point of a silo at `site` (the same geometry as
/// [`crate::engagement::flyout`]); infinite where Lambert's problem has no solution.
pub fn speed_curve(
    site: Geodetic,
    burnout_alt_m: f64,
    burnout_downrange_m: f64,
    p: Vec3,
    coast_s: &[f64],
) -> Vec<f64> {
    let model = EarthModel::contract();
    let omega = model.omega_rad_per_s;
    let mut out = vec![f64::INFINITY; coast_s.len()];
    let g = ecef_to_geodetic(p);
    let Ok(to_p) = geodesy::inverse(site.lat_deg, site.lon_deg, g.lat_deg, g.lon_deg) else {
        return out;
    };
    let d = burnout_downrange_m.min(0.5 * to_p.distance_m);
    let Ok(b) = geodesy::direct(site.lat_deg, site.lon_deg, to_p.azi1_deg, d) else {
        return out;
    };
    let b_ecef = Geodetic {
        lat_deg: b.lat2_deg,
        lon_deg: b.lon2_deg,
        h_m: burnout_alt_m,
    }
    .to_ecef();
    for (slot, &c) in out.iter_mut().zip(coast_s) {
        let b_rot = rotate_z(b_ecef, -omega * c);
        let prograde = b_rot.cross(p).z >= 0.0;
        if let Ok(sol) = lambert(b_rot, p, c, model.mu_m3ps2, prograde, 0)
            && let Some(s) = sol.solutions.first()
        {
            let v = (s.v1_mps - model.omega().cross(b_rot)).norm();
            if v.is_finite() {
                *slot = v;
            }
        }
    }
    out
}

/// Spacing of the burnout speeds at which the powered family's burnout geometry is sampled for the
/// table, m/s (the crossing between two levels is interpolated linearly; see `tests/boost.rs` for the
/// agreement with the exact root of the study's engine).
pub const LEVEL_STEP_MPS: f64 = 2000.0;

/// Burnout speeds at which the powered family's burnout geometry is sampled for the table: the family's
/// slowest and fastest members and every multiple of [`LEVEL_STEP_MPS`] between, m/s.
pub fn speed_levels(boost: &BoostCurve) -> Vec<f64> {
    let (lo, hi) = boost.speed_span_mps();
    let mut levels = vec![lo];
    let mut v = (lo / LEVEL_STEP_MPS).floor() * LEVEL_STEP_MPS + LEVEL_STEP_MPS;
    while v < hi {
        if v - levels[levels.len() - 1] > 0.1 * LEVEL_STEP_MPS {
            levels.push(v);
        }
        v += LEVEL_STEP_MPS;
    }
    levels.push(hi);
    levels
}

/// The lowest burnout speed (m/s) of the powered family `boost` that reaches the Earth-fixed point `p`
/// (metres) with a coast of at most each of `coast_s` (ascending), from a silo at `site`: the fixed point
/// v = G(b(v)) of [`crate::boost`], where G is the running minimum over coasts of the Lambert speed from the
/// burnout point b(v) (the family member launched toward `p`'s sub-point). G is evaluated at the burnout
/// geometry of each of the family's speed levels and the
/// crossing of G − v located by linear interpolation between levels. Where the slowest member that lifts
/// off already reaches, the answer is its burnout speed (no slower member flies: a speed below the
/// family's span is never returned); above the span the fastest member's burnout point is held. Infinite
/// where no level reaches.
pub fn powered_speeds(site: Geodetic, boost: &BoostCurve, p: Vec3, coast_s: &[f64]) -> Vec<f64> {
    let model = EarthModel::contract();
    let omega = model.omega_rad_per_s;
    let n = coast_s.len();
    let mut out = vec![f64::INFINITY; n];
    let g = ecef_to_geodetic(p);
    let Ok(to_p) = geodesy::inverse(site.lat_deg, site.lon_deg, g.lat_deg, g.lon_deg) else {
        return out;
    };
    let levels = speed_levels(boost);
    // Samples 0..open are not settled yet; the longest coasts (lowest speeds) settle first, and the
    // running minimum at a sample needs only the shorter coasts, so each level solves only the open ones.
    let mut open = n;
    let mut settled = vec![false; n];
    let mut prev = vec![f64::INFINITY; n];
    for (j, &level) in levels.iter().enumerate() {
        let (h, d) = boost.burnout_at(to_p.azi1_deg, level);
        let Ok(b) = geodesy::direct(
            site.lat_deg,
            site.lon_deg,
            to_p.azi1_deg,
            d.min(0.5 * to_p.distance_m),
        ) else {
            return out;
        };
        let b_ecef = Geodetic {
            lat_deg: b.lat2_deg,
            lon_deg: b.lon2_deg,
            h_m: h,
        }
        .to_ecef();
        let mut best = f64::INFINITY;
        let mut cur = vec![f64::INFINITY; open];
        for (k, &c) in coast_s[..open].iter().enumerate() {
            let b_rot = rotate_z(b_ecef, -omega * c);
            let prograde = b_rot.cross(p).z >= 0.0;
            if let Ok(sol) = lambert(b_rot, p, c, model.mu_m3ps2, prograde, 0)
                && let Some(s) = sol.solutions.first()
            {
                let v = (s.v1_mps - model.omega().cross(b_rot)).norm();
                if v.is_finite() {
                    best = best.min(v);
                }
            }
            cur[k] = best;
        }
        let mut still = 0;
        for k in 0..open {
            if settled[k] {
                continue;
            }
            let r1 = cur[k] - level;
            if r1 <= 0.0 {
                settled[k] = true;
                out[k] = if j == 0 {
                    // The slowest member that lifts off suffices; no slower member flies.
                    cur[k].max(level)
                } else {
                    let r0 = prev[k] - levels[j - 1];
                    if r0.is_finite() {
                        levels[j - 1] + (level - levels[j - 1]) * r0 / (r0 - r1)
                    } else {
                        level
                    }
                };
            } else {
                still = k + 1;
                // Held above the family's span: the fastest member's burnout point.
                out[k] = cur[k];
            }
        }
        prev[..open].copy_from_slice(&cur);
        open = still;
        if open == 0 {
            break;
        }
    }
    out
}
