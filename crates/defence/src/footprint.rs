//! Footprints (`shieldwatch footprint`): maps of what a deployment can do over a latitude/longitude grid.
//!
//! - **Defended area**: for one threat launch site, every grid point taken as the target: can a battery,
//!   cued by the radars, engage a warhead aimed there, and from which interceptor burnout speed on?
//! - **Threat origin**: for one defended point, every grid point taken as the launch site.
//! - **Radar coverage**: the lowest warhead altitude any radar sees above every grid point.
//!
//! # Several radars and batteries
//! A map uses every radar and every battery of the scenario, as the study does
//! ([`crate::engagement::engage_network`]): the radars share their tracks, so the first detection is the
//! earliest of any radar, and every battery is cued by it; a point is engaged when *some* battery
//! engages it, and its crossover speed is the lowest of the batteries' (every battery assumed at the
//! same burnout speed, the map's). The radar coverage is the lowest altitude any radar sees. So a point
//! defended only by the second battery, or seen only by the second radar, is on the map; sweeps
//! ([`crate::sweep`]) vary the first radar and battery alone ([`setup`]).
//!
//! # The fast engine
//! Each grid point costs a constant amount of work, so a map's cost grows with its number of points:
//! - the threat flies the point-gravity conic of the contract (`shared/DESIGN.md` §3) from burnout,
//!   found as [`flight::target`] finds it (Lambert on the rotating Earth, minimum Earth-relative burnout
//!   speed by Brent's method; lofted and depressed by their apogee), and is evaluated in closed form
//!   ([`flight::kepler::KeplerOrbit`]) instead of being integrated;
//! - the radar scan stops at the first detection (2 s samples, then bisection to 1 ms, as
//!   [`crate::radar::Radar::track_intervals`]); the boost phase is skipped when the radar's horizon lies
//!   above the burnout height at both ends of it; a warhead never seen is never engaged;
//! - the interceptor's reach comes from one [`ReachTable`] per battery, shared by every grid point, instead
//!   of a Lambert minimisation per point per intercept time.
//!
//! For every grid point the result is the *crossover speed*: the lowest interceptor burnout speed that
//! engages at all. The map at any assumed speed follows without recomputation; polygons are contours of
//! `speed − crossover` ([`crate::contour`]). [`naive_cell`] answers the same question for one point with
//! the study's per-trajectory engine ([`crate::engagement::fly_threat`] + [`crate::engagement::engage`]),
//! for tests and benchmarks.
//!
//! Times are seconds since threat launch; positions geodetic (WGS84, degrees, metres) or ECEF metres.

use std::sync::atomic::{AtomicBool, Ordering};

use flight::kepler::KeplerOrbit;
use flight::roots::{brent, brent_min};
use flight::{EarthModel, Gravity, InertialState, Shape, lambert};
use geodesy::rotation::rotate_z;
use geodesy::{Geodetic, Vec3, ecef_to_geodetic};
use rayon::prelude::*;
use serde::Serialize;

use crate::boost::{BoostError, BoostModel};
use crate::engagement::{
    INTERCEPT_STEP_S, Interceptor, MIN_COAST_S, Missile, RADAR_STEP_S, ThreatTrack, engage_network,
    fly_threat,
};
use crate::radar::Radar;
use crate::reach::ReachTable;
use crate::scenario::{Role, Scenario, Site};
use crate::study::{DEPRESS_FACTOR, LOFT_FACTOR, ShapeChoice};
use crate::threat_boost::{Latitudes, PoweredBurnout, ThreatBoostTable};

/// The largest number of grid points one map may have.
pub const MAX_POINTS: usize = 4_000_000;

/// Why a footprint could not be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum FootprintError {
    /// The grid is malformed.
    #[error("grid: {0}")]
    Grid(String),
    /// A named site, missile or battery is missing from the scenario, or has the wrong role.
    #[error("scenario {scenario}: {message}")]
    Scenario {
        /// Scenario name.
        scenario: String,
        /// What is wrong.
        message: String,
    },
    /// An option is out of its physical range.
    #[error("{0}")]
    Invalid(String),
    /// Cancelled (Ctrl-C) before completion.
    #[error("cancelled")]
    Cancelled,
    /// The powered boost could not be set up.
    #[error(transparent)]
    Boost(#[from] BoostError),
}

/// A regular latitude/longitude grid of points `lat_min + i·step`, `lon_min + j·step` (degrees), up to
/// and including the maxima when they fall on the grid.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Grid {
    /// Southern edge, degrees.
    pub lat_min_deg: f64,
    /// Northern edge, degrees.
    pub lat_max_deg: f64,
    /// Western edge, degrees.
    pub lon_min_deg: f64,
    /// Eastern edge, degrees (may exceed 180 to cross the antimeridian).
    pub lon_max_deg: f64,
    /// Spacing, degrees.
    pub step_deg: f64,
}

impl Grid {
    /// A checked grid.
    pub fn try_new(
        lat_min: f64,
        lat_max: f64,
        lon_min: f64,
        lon_max: f64,
        step: f64,
    ) -> Result<Grid, FootprintError> {
        let bad = |m: String| Err(FootprintError::Grid(m));
        if ![lat_min, lat_max, lon_min, lon_max, step]
            .iter()
            .all(|x| x.is_finite())
        {
            return bad("bounds and resolution must be finite numbers".into());
        }
        if step.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
            return bad(format!("resolution {step}° must be positive"));
        }
        if !(-90.0..=90.0).contains(&lat_min) || !(-90.0..=90.0).contains(&lat_max) {
            return bad(format!("latitudes [{lat_min}, {lat_max}] must lie in [-90, 90]°"));
        }
        if lat_min >= lat_max {
            return bad(format!(
                "south edge {lat_min}° is not below north edge {lat_max}° (inverted bounds)"
            ));
        }
        if lon_min >= lon_max {
            return bad(format!(
                "west edge {lon_min}° is not below east edge {lon_max}° (inverted bounds)"
            ));
        }
        if lon_max - lon_min > 360.0 || lon_min < -360.0 || lon_max > 360.0 {
            return bad(format!(
                "longitudes [{lon_min}, {lon_max}] must span at most 360° within [-360, 360]"
            ));
        }
        let g = Grid {
            lat_min_deg: lat_min,
            lat_max_deg: lat_max,
            lon_min_deg: lon_min,
            lon_max_deg: lon_max,
            step_deg: step,
        };
        let n = g.n_lat().saturating_mul(g.n_lon());
        if n > MAX_POINTS || g.n_lat() < 2 || g.n_lon() < 2 {
            return bad(format!(
                "{} × {} points: a map needs 2 to {MAX_POINTS} points in total, at least 2 each way",
                g.n_lat(),
                g.n_lon()
            ));
        }
        Ok(g)
    }

    fn count(span: f64, step: f64) -> usize {
        let n = (span / step + 1e-9).floor();
        if n.is_finite() && n < 1e9 {
            n as usize + 1
        } else {
            usize::MAX / 4
        }
    }

    /// Number of latitudes.
    pub fn n_lat(&self) -> usize {
        Self::count(self.lat_max_deg - self.lat_min_deg, self.step_deg)
    }

    /// Number of longitudes.
    pub fn n_lon(&self) -> usize {
        Self::count(self.lon_max_deg - self.lon_min_deg, self.step_deg)
    }

    /// Latitude of row `i`, degrees.
    pub fn lat(&self, i: usize) -> f64 {
        self.lat_min_deg + i as f64 * self.step_deg
    }

    /// Longitude of column `j`, degrees.
    pub fn lon(&self, j: usize) -> f64 {
        self.lon_min_deg + j as f64 * self.step_deg
    }
}

/// What a map shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MapKind {
    /// Targets engageable for a fixed launch site.
    DefendedArea,
    /// Launch points engageable for a fixed target.
    ThreatOrigin,
    /// Lowest visible warhead altitude.
    RadarCoverage,
}

/// The outcome at one grid point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// A crossover speed exists: engageable at that burnout speed or above.
    Reachable,
    /// Seen by the radar, but no flyout reaches the warhead in time at any tabulated speed.
    Unreachable,
    /// The radar never tracks the warhead.
    NotSeen,
    /// Beyond the missile's maximum range.
    OutOfRange,
    /// Too close for the boost model, or no trajectory found.
    NoTrajectory,
    /// Radar coverage map: the value is the lowest visible altitude.
    Coverage,
}

impl Status {
    /// The status as written in CSV and JSON (kebab-case).
    pub fn name(self) -> &'static str {
        match self {
            Status::Reachable => "reachable",
            Status::Unreachable => "unreachable",
            Status::NotSeen => "not-seen",
            Status::OutOfRange => "out-of-range",
            Status::NoTrajectory => "no-trajectory",
            Status::Coverage => "coverage",
        }
    }
}

/// One grid point.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Cell {
    /// Latitude, degrees.
    pub lat_deg: f64,
    /// Longitude, degrees.
    pub lon_deg: f64,
    /// Outcome.
    pub status: Status,
    /// Lowest burnout speed that engages, m/s.
    pub crossover_speed_mps: Option<f64>,
    /// First radar track, seconds since launch.
    pub first_detection_s: Option<f64>,
    /// Time of flight launch → impact, s.
    pub flight_time_s: Option<f64>,
    /// Earliest intercept at the map's assumed burnout speed, seconds since launch.
    pub earliest_intercept_s: Option<f64>,
    /// Height of that intercept, m.
    pub intercept_alt_m: Option<f64>,
    /// Radar coverage map: lowest visible warhead altitude, m.
    pub min_visible_alt_m: Option<f64>,
}

impl Cell {
    fn empty(lat_deg: f64, lon_deg: f64, status: Status) -> Cell {
        Cell {
            lat_deg,
            lon_deg,
            status,
            crossover_speed_mps: None,
            first_detection_s: None,
            flight_time_s: None,
            earliest_intercept_s: None,
            intercept_alt_m: None,
            min_visible_alt_m: None,
        }
    }

    /// Whether a battery of burnout speed `speed_mps` engages here.
    pub fn engaged_at(&self, speed_mps: f64) -> bool {
        self.crossover_speed_mps.is_some_and(|c| c <= speed_mps)
    }
}

/// An elliptic two-body orbit evaluated by Kepler's equation in the eccentric anomaly (Newton from a
/// caller-kept guess, so sampling along a track costs one or two iterations per point). Inertial frame
/// aligned with Earth-fixed at threat burnout; metres, seconds.
#[derive(Debug, Clone, Copy)]
pub struct Conic {
    a_m: f64,
    b_m: f64,
    e: f64,
    p_hat: Vec3,
    q_hat: Vec3,
    n_rad_per_s: f64,
    m0_rad: f64,
}

impl Conic {
    /// The ellipse through position `r` (m) with velocity `v` (m/s) about a point mass `mu` (m³/s²);
    /// `None` unless bound.
    pub fn new(r: Vec3, v: Vec3, mu: f64) -> Option<Conic> {
        let rn = r.norm();
        let alpha = 2.0 / rn - v.norm_squared() / mu;
        if alpha.is_nan() || alpha <= 0.0 {
            return None;
        }
        let a = 1.0 / alpha;
        let h = r.cross(v);
        let e_vec = v.cross(h) / mu - r / rn;
        let e = e_vec.norm();
        if e.is_nan() || e >= 1.0 {
            return None;
        }
        let p_hat = if e > 1e-12 { e_vec / e } else { r / rn };
        let q_hat = h.unit().cross(p_hat);
        let cos_e0 = (1.0 - rn / a) / e.max(1e-300);
        let sin_e0 = r.dot(v) / (e.max(1e-300) * (mu * a).sqrt());
        let e0 = if e > 1e-12 {
            sin_e0.atan2(cos_e0)
        } else {
            r.dot(q_hat).atan2(r.dot(p_hat))
        };
        Some(Conic {
            a_m: a,
            b_m: a * (1.0 - e * e).sqrt(),
            e,
            p_hat,
            q_hat,
            n_rad_per_s: (mu / (a * a * a)).sqrt(),
            m0_rad: e0 - e * e0.sin(),
        })
    }

    /// An upper bound on the Earth-fixed speed (m/s) anywhere on the conic at or above the radius
    /// `r_min_m` (m): the vis-viva speed at `r_min_m` plus the ground's speed under the apocentre.
    pub fn max_ecef_speed_mps(&self, r_min_m: f64) -> f64 {
        let mu = self.n_rad_per_s * self.n_rad_per_s * self.a_m.powi(3);
        let v_inertial = (mu * (2.0 / r_min_m - 1.0 / self.a_m)).max(0.0).sqrt();
        v_inertial + geodesy::EARTH_ROTATION_RAD_PER_S * self.a_m * (1.0 + self.e)
    }

    /// Inertial position (m) at `t_s` seconds after the reference state. `guess` holds the solution of
    /// a nearby earlier call (or [`KeplerGuess::NONE`]) and is updated.
    ///
    /// Kepler's equation is solved by Newton's method started from a second-order prediction off the
    /// guess (one sine and cosine per call when the guess is a few seconds away); once a Newton step is
    /// below 1e-4 rad, the sine and cosine follow it by their Taylor series (error under 2e-13), and the
    /// iteration stops when a step is below 1e-11 rad (under a millimetre at these radii).
    pub fn position(&self, t_s: f64, guess: &mut KeplerGuess) -> Vec3 {
        let m = self.m0_rad + self.n_rad_per_s * t_s;
        let e = self.e;
        let dm = m - guess.m_rad;
        let mut ea = if dm.abs() < 0.5 {
            // E(M) to second order about the guess: E' = 1/D, E'' = −e sin E / D³, D = 1 − e cos E.
            let d = 1.0 - e * guess.cos;
            guess.ea_rad + dm / d - 0.5 * e * guess.sin * dm * dm / (d * d * d)
        } else {
            m + e * m.sin()
        };
        let (mut s, mut c) = ea.sin_cos();
        for _ in 0..30 {
            let step = (ea - e * s - m) / (1.0 - e * c);
            ea -= step;
            if step.abs() < 1e-11 {
                // One more evaluation would move the point by under a millimetre.
                break;
            }
            if step.abs() < 1e-4 {
                // sin(E − δ), cos(E − δ) to second order in δ.
                let h = 0.5 * step * step;
                (s, c) = (s - step * c - h * s, c + step * s - h * c);
            } else {
                (s, c) = ea.sin_cos();
            }
        }
        *guess = KeplerGuess {
            ea_rad: ea,
            m_rad: m,
            sin: s,
            cos: c,
        };
        self.p_hat * (self.a_m * (c - e)) + self.q_hat * (self.b_m * s)
    }
}

/// The solution of Kepler's equation at one time of a [`Conic`], kept to start the next nearby call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KeplerGuess {
    /// Eccentric anomaly, radians.
    pub ea_rad: f64,
    /// Mean anomaly, radians.
    pub m_rad: f64,
    /// sin and cos of the eccentric anomaly.
    pub sin: f64,
    /// See `sin`.
    pub cos: f64,
}

impl KeplerGuess {
    /// No earlier solution.
    pub const NONE: KeplerGuess = KeplerGuess {
        ea_rad: f64::NAN,
        m_rad: f64::NAN,
        sin: f64::NAN,
        cos: f64::NAN,
    };
}

/// A threat flown with a closed-form conic from burnout.
#[derive(Debug, Clone)]
pub struct FastThreat {
    /// Launch point.
    pub launch: Geodetic,
    /// Burnout point.
    pub burnout: Geodetic,
    /// Target ground point.
    pub target: Geodetic,
    /// Missile parameters.
    pub missile: Missile,
    /// Launch azimuth, degrees: the launch → target geodesic's at launch, or for a threat flown powered
    /// the launch azimuth that lands on the target (its boost track drifts off it by the profile's
    /// azimuth offsets).
    pub launch_azimuth_deg: f64,
    /// Ballistic time of flight, burnout → impact, s.
    pub ballistic_s: f64,
    /// The conic (inertial frame aligned with Earth-fixed at burnout).
    pub orbit: KeplerOrbit,
    /// The same conic, for fast sampling.
    pub conic: Conic,
    /// The boost track of a threat flown powered ([`crate::threat_boost`]); `None`: the fixed boost's
    /// (t / burn time)² placement.
    pub profile: Option<crate::threat_boost::BoostProfile>,
}

impl FastThreat {
    /// Time of impact, seconds since launch.
    pub fn impact_time_s(&self) -> f64 {
        self.missile.burn_time_s + self.ballistic_s
    }

    /// Earth-fixed position (metres) at `t_s` seconds since launch (the study's boost model before
    /// burnout), clamped to [0, impact].
    pub fn ecef_at(&self, t_s: f64) -> Vec3 {
        let tb = self.missile.burn_time_s;
        if t_s < tb {
            let (h_m, downrange_m, az_deg) = match &self.profile {
                Some(p) => {
                    let f = t_s.max(0.0) / tb;
                    let (h, d) = p.at(f);
                    (self.launch.h_m + h, d, self.launch_azimuth_deg + p.az_off_at(f))
                }
                None => {
                    let f = (t_s.max(0.0) / tb).powi(2);
                    (
                        self.launch.h_m + f * (self.missile.burnout_alt_m - self.launch.h_m),
                        f * self.missile.burnout_downrange_m,
                        self.launch_azimuth_deg,
                    )
                }
            };
            return match geodesy::direct(self.launch.lat_deg, self.launch.lon_deg, az_deg, downrange_m) {
                Ok(p) => Geodetic {
                    lat_deg: p.lat2_deg,
                    lon_deg: p.lon2_deg,
                    h_m,
                }
                .to_ecef(),
                Err(_) => self.launch.to_ecef(),
            };
        }
        let t = (t_s - tb).min(self.ballistic_s);
        let (r, _) = self.orbit.state_at(t);
        rotate_z(r, -geodesy::EARTH_ROTATION_RAD_PER_S * t)
    }

    /// [`FastThreat::ecef_at`] on the ballistic part through [`Conic::position`], with a kept guess.
    pub fn ecef_fast(&self, t_s: f64, guess: &mut KeplerGuess) -> Vec3 {
        let tb = self.missile.burn_time_s;
        if t_s < tb {
            return self.ecef_at(t_s);
        }
        let t = (t_s - tb).min(self.ballistic_s);
        rotate_z(
            self.conic.position(t, guess),
            -geodesy::EARTH_ROTATION_RAD_PER_S * t,
        )
    }

    /// Inertial velocity (m/s) at `t_s` seconds since launch on the ballistic part.
    pub fn velocity_at(&self, t_s: f64) -> Vec3 {
        let t = (t_s - self.missile.burn_time_s).clamp(0.0, self.ballistic_s);
        self.orbit.state_at(t).1
    }
}

/// Flies `missile` from `launch` to the ground point (`target_lat_deg`, `target_lon_deg`) on a conic of
/// the given family with the fixed boost. Errors carry the status of the grid point.
pub fn fast_threat(
    launch: Geodetic,
    target_lat_deg: f64,
    target_lon_deg: f64,
    missile: Missile,
    max_range_m: f64,
    shape: ShapeChoice,
) -> Result<FastThreat, Status> {
    fast_threat_with(
        launch,
        target_lat_deg,
        target_lon_deg,
        missile,
        max_range_m,
        shape,
        None,
    )
}

/// [`fast_threat`] with the boost of `powered` when given (a table of the same `shape`,
/// [`crate::threat_boost`], and how it takes the launch latitude: pinned for a launch site, between the
/// latitude nodes for a grid of launch points): burn time, burnout height, downrange, speed and boost
/// track of the flown programme that reaches the target's range; the conic from that burnout point is
/// the one whose Earth-relative burnout flight-path angle is the flown one. A range beyond the table's
/// far end is [`Status::OutOfRange`]; below its near end the nearest programme's boost is held.
pub fn fast_threat_with(
    launch: Geodetic,
    target_lat_deg: f64,
    target_lon_deg: f64,
    mut missile: Missile,
    max_range_m: f64,
    shape: ShapeChoice,
    powered: Option<(&ThreatBoostTable, Latitudes)>,
) -> Result<FastThreat, Status> {
    let inv = geodesy::inverse(launch.lat_deg, launch.lon_deg, target_lat_deg, target_lon_deg)
        .map_err(|_| Status::NoTrajectory)?;
    if inv.distance_m > max_range_m {
        return Err(Status::OutOfRange);
    }
    let flown = match powered {
        None => None,
        Some((table, latitudes)) => {
            // Short of the table's nearest range (its smallest vehicle's), that programme's boost is held
            // (as the interceptor's family holds its slowest member); the conic then takes its angle.
            // A node that fails to fly is reported after the map (`ThreatBoostTable::failure`).
            let b = table
                .at(latitudes, launch.lat_deg, inv.azi1_deg, inv.distance_m)
                .map_err(|_| Status::NoTrajectory)?
                .ok_or(Status::OutOfRange)?;
            missile.burn_time_s = b.burn_time_s;
            missile.burnout_alt_m = b.burnout_alt_m;
            missile.burnout_downrange_m = b.burnout_downrange_m;
            Some(b)
        }
    };
    if inv.distance_m <= missile.burnout_downrange_m * 1.5 {
        return Err(Status::NoTrajectory);
    }
    // A powered threat launches on the azimuth that lands on the target, its burnout drifted off it.
    let (launch_azimuth_deg, burnout_azimuth_deg) = match &flown {
        Some(b) => (
            b.launch_azimuth_deg,
            b.launch_azimuth_deg + b.profile.az_off_deg[crate::threat_boost::PROFILE_INTERVALS],
        ),
        None => (inv.azi1_deg, inv.azi1_deg),
    };
    let b = geodesy::direct(
        launch.lat_deg,
        launch.lon_deg,
        burnout_azimuth_deg,
        missile.burnout_downrange_m,
    )
    .map_err(|_| Status::NoTrajectory)?;
    let burnout = Geodetic {
        lat_deg: b.lat2_deg,
        lon_deg: b.lon2_deg,
        h_m: missile.burnout_alt_m,
    };
    let target = Geodetic {
        lat_deg: target_lat_deg,
        lon_deg: target_lon_deg,
        h_m: 0.0,
    };
    let model = EarthModel::contract();
    let mu = model.mu_m3ps2;
    let r1 = burnout.to_ecef();
    let tgt = target.to_ecef();
    let solve = |t: f64| -> Option<Vec3> {
        let r2 = rotate_z(tgt, model.omega_rad_per_s * t);
        let prograde = r1.cross(r2).z >= 0.0;
        let v1 = lambert(r1, r2, t, mu, prograde, 0)
            .ok()?
            .solutions
            .first()?
            .v1_mps;
        (0.5 * v1.norm_squared() - mu / r1.norm() < 0.0).then_some(v1)
    };
    let speed = |t: f64| solve(t).map_or(f64::INFINITY, |v| (v - model.omega().cross(r1)).norm());
    // The same bracket as flight::target: around the non-rotating minimum-energy time of flight.
    let c = (tgt - r1).norm();
    let s = 0.5 * (c + r1.norm() + tgt.norm());
    let lam = (1.0 - c / s).max(0.0).sqrt();
    let t00 = lam.acos() + lam * (1.0 - lam * lam).sqrt();
    let t_scale = t00 / (2.0 * mu / (s * s * s)).sqrt();
    // The minimum-speed time of flight (the fixed boost's families start there).
    let minimum_energy = || -> Result<f64, Status> {
        let (t_me, v_me) = brent_min(speed, 0.4 * t_scale, 2.0 * t_scale, 1e-3);
        if v_me.is_finite() {
            Ok(t_me)
        } else {
            Err(Status::NoTrajectory)
        }
    };
    let orbit_for = |t: f64| {
        solve(t).map(|v| {
            KeplerOrbit::new(
                InertialState {
                    r_inertial_m: r1,
                    v_inertial_mps: v,
                },
                mu,
            )
        })
    };
    // Earth-relative flight-path angle (degrees) of the arc of time of flight `t` at the burnout point.
    let up = {
        let (la, lo) = (burnout.lat_deg.to_radians(), burnout.lon_deg.to_radians());
        Vec3::new(la.cos() * lo.cos(), la.cos() * lo.sin(), la.sin())
    };
    let fpa = |t: f64| {
        solve(t).map_or(f64::NAN, |v| {
            let rel = v - model.omega().cross(r1);
            (rel.dot(up) / rel.norm()).clamp(-1.0, 1.0).asin().to_degrees()
        })
    };
    let t_sol = match (shape, flown) {
        // The flown coast time: the conic from the burnout point that lands on the target then.
        (_, Some(PoweredBurnout { coast_s: Some(t), .. })) => {
            solve(t).ok_or(Status::NoTrajectory)?;
            t
        }
        (_, Some(b)) => {
            // The arc whose burnout flight-path angle is the flown one: steeper than the minimum-speed
            // arc's on its lofted side (longer times of flight), flatter on its depressed side.
            // The angle grows with the time of flight: bracketed from the non-rotating minimum-energy
            // time (no minimum-speed search needed).
            let goal = b.burnout_fpa_deg;
            let pivot = t_scale;
            let f0 = fpa(pivot);
            if f0.is_nan() {
                return Err(Status::NoTrajectory);
            }
            if f0 < goal {
                let hi = [1.25, 1.5, 2.0, 3.0, 5.0, 8.0]
                    .iter()
                    .map(|k| k * pivot)
                    .find(|&t| fpa(t) > goal)
                    .ok_or(Status::NoTrajectory)?;
                brent(|t| fpa(t) - goal, pivot, hi, 1e-3).ok_or(Status::NoTrajectory)?
            } else {
                let lo = (1..20)
                    .rev()
                    .map(|k| 0.05 * k as f64 * pivot)
                    .find(|&t| fpa(t) < goal)
                    .ok_or(Status::NoTrajectory)?;
                brent(|t| fpa(t) - goal, lo, pivot, 1e-3).ok_or(Status::NoTrajectory)?
            }
        }
        (ShapeChoice::MinEnergy, None) => minimum_energy()?,
        (ShapeChoice::Lofted | ShapeChoice::Depressed, None) => {
            let t_me = minimum_energy()?;
            let apogee = |t: f64| {
                solve(t)
                    .and_then(|v| Conic::new(r1, v, mu))
                    .map_or(f64::NAN, |c| apogee_alt_m(&c, t))
            };
            let goal = apogee(t_me)
                * if shape == ShapeChoice::Lofted {
                    LOFT_FACTOR
                } else {
                    DEPRESS_FACTOR
                };
            let (a, b) = if shape == ShapeChoice::Lofted {
                (t_me, 3.0 * t_me)
            } else {
                // Short times of flight need escape speeds (no conic): start from the shortest
                // bound one below the goal.
                let lo = (5..20)
                    .map(|k| 0.05 * k as f64 * t_me)
                    .find(|&t| apogee(t) < goal)
                    .ok_or(Status::NoTrajectory)?;
                (lo, t_me)
            };
            brent(|t| apogee(t) - goal, a, b, 1e-3).ok_or(Status::NoTrajectory)?
        }
    };
    let orbit = orbit_for(t_sol).ok_or(Status::NoTrajectory)?;
    let conic = Conic::new(orbit.initial.r_inertial_m, orbit.initial.v_inertial_mps, mu)
        .ok_or(Status::NoTrajectory)?;
    // A depressed arc must not meet the ground before the target.
    if shape == ShapeChoice::Depressed {
        let n = 50;
        let mut guess = KeplerGuess::NONE;
        for k in 1..n {
            let t = t_sol * k as f64 / n as f64;
            let r = conic.position(t, &mut guess);
            if ecef_to_geodetic(rotate_z(r, -model.omega_rad_per_s * t)).h_m < 0.0 {
                return Err(Status::NoTrajectory);
            }
        }
    }
    Ok(FastThreat {
        launch,
        burnout,
        target,
        missile,
        launch_azimuth_deg,
        ballistic_s: t_sol,
        orbit,
        conic,
        profile: flown.map(|b| b.profile),
    })
}

/// Highest geodetic height (m) of the conic between t = 0 and `t_end_s` (Brent on the closed form).
fn apogee_alt_m(conic: &Conic, t_end_s: f64) -> f64 {
    let w = geodesy::EARTH_ROTATION_RAD_PER_S;
    let mut guess = KeplerGuess::NONE;
    let mut h = |t: f64| {
        let r = conic.position(t, &mut guess);
        ecef_to_geodetic(rotate_z(r, -w * t)).h_m
    };
    let (_, neg) = brent_min(|t| -h(t), 0.0, t_end_s, 1e-2);
    -neg
}

/// What the fast engine found for one threat.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FastEngagement {
    /// First radar track, seconds since launch.
    pub first_detection_s: Option<f64>,
    /// Lowest burnout speed that engages, m/s, with its intercept time (s) and height (m).
    pub crossover: Option<(f64, f64, f64)>,
    /// Earliest intercept at the assumed speed: time (s since launch) and height (m).
    pub earliest: Option<(f64, f64)>,
    /// Latest intercept at the assumed speed, seconds since launch.
    pub latest_s: Option<f64>,
}

/// Whether the radar can see the boost phase at all (horizon above the burnout height at both ends, or
/// out of range): a cheap early exit.
fn boost_hidden(radar: &Radar, th: &FastThreat) -> bool {
    let m = &th.missile;
    let reach = (m.burnout_downrange_m + m.burnout_alt_m) * 1.01;
    let far =
        (th.launch.to_ecef() - radar.position_ecef_m()).norm() - reach > radar.detection_range_m(m.rcs_m2);
    let above = |p: Geodetic| {
        geodesy::min_visible_alt(radar.position, radar.min_elevation_deg, p.lat_deg, p.lon_deg)
            .ok()
            .flatten()
            .is_none_or(|h| h > m.burnout_alt_m + 20_000.0)
    };
    far || (above(th.launch) && above(th.burnout))
}

/// [`Radar::sees`] for one RCS, with the trigonometry precomputed: the same tests (elevation limits,
/// azimuth sector, range, Earth blocking) compared through sines and dot products.
struct QuickRadar<'a> {
    radar: &'a Radar,
    frame: geodesy::Enu,
    sin_min_el: f64,
    sin_max_el: f64,
    cos_half_width: f64,
    boresight: (f64, f64),
    range2: f64,
    /// Detection range (m) and the field of regard's limits (radians), for [`QuickRadar::might_see`].
    range: f64,
    min_el: f64,
    max_el: f64,
    half_width: f64,
}

impl<'a> QuickRadar<'a> {
    fn new(radar: &'a Radar, rcs_m2: f64) -> Self {
        let az = radar.boresight_azimuth_deg.to_radians();
        let r = radar.detection_range_m(rcs_m2);
        QuickRadar {
            radar,
            frame: geodesy::Enu::at(radar.position),
            sin_min_el: radar.min_elevation_deg.to_radians().sin(),
            sin_max_el: radar.max_elevation_deg.to_radians().sin(),
            cos_half_width: radar.azimuth_half_width_deg.to_radians().cos(),
            boresight: (az.sin(), az.cos()),
            range2: r * r,
            range: r,
            min_el: radar.min_elevation_deg.to_radians(),
            max_el: radar.max_elevation_deg.to_radians(),
            half_width: radar.azimuth_half_width_deg.to_radians(),
        }
    }

    /// Whether the radar may see some point within `slack_m` metres of `p` (ECEF, m): each test of
    /// [`QuickRadar::sees`] widened by what a move of `slack_m` can change (the range by `slack_m`, the
    /// elevation by the angle `slack_m` subtends at the point's range, the azimuth by the angle it
    /// subtends at the point's horizontal distance, the line of sight by
    /// [`geodesy::earth_blocks_within`]). `false` means no point of that ball is seen.
    fn might_see(&self, p: Vec3, slack_m: f64) -> bool {
        let v = self.frame.from_ecef(p);
        let r = v.norm();
        if r <= slack_m {
            return true;
        }
        if r - slack_m > self.range {
            return false;
        }
        let widen = (slack_m / r).asin();
        let el = (v.z / r).clamp(-1.0, 1.0).asin();
        if el < self.min_el - widen || el > self.max_el + widen {
            return false;
        }
        if self.radar.azimuth_half_width_deg < 180.0 {
            let horiz = (v.x * v.x + v.y * v.y).sqrt();
            if horiz > slack_m {
                let cos_off = (v.x * self.boresight.0 + v.y * self.boresight.1) / horiz;
                let off = cos_off.clamp(-1.0, 1.0).acos();
                if off > self.half_width + (slack_m / horiz).asin() {
                    return false;
                }
            }
        }
        !geodesy::earth_blocks_within(self.frame.origin_ecef_m, p, slack_m)
    }

    fn sees(&self, p: Vec3) -> bool {
        let v = self.frame.from_ecef(p);
        let r2 = v.norm_squared();
        if r2 > self.range2 || r2 == 0.0 {
            return false;
        }
        let r = r2.sqrt();
        if v.z < self.sin_min_el * r || v.z > self.sin_max_el * r {
            return false;
        }
        if self.radar.azimuth_half_width_deg < 180.0 {
            let horiz = (v.x * v.x + v.y * v.y).sqrt();
            if horiz > 1e-9 * r
                && v.x * self.boresight.0 + v.y * self.boresight.1 < self.cos_half_width * horiz
            {
                return false;
            }
        }
        !geodesy::earth_blocks(self.frame.origin_ecef_m, p)
    }
}

/// First time (s since launch) the radar sees the warhead: the first sample of the study's 2 s grid
/// ([`RADAR_STEP_S`], from launch) at which the radar sees it, then bisection to 1 ms back towards the
/// sample before — the same answer as [`crate::engagement::track_intervals`] on the same track, which
/// sees every interval of visibility longer than the step and misses some shorter ones.
///
/// The boost is sampled at every grid point. The coast is scanned in blocks of [`COARSE`] grid points: a
/// block is skipped, without sampling its points, only when the radar cannot see anything within the
/// distance the warhead can fly (at the conic's greatest Earth-fixed speed) from the block's last point
/// to its first ([`QuickRadar::might_see`]), so a skipped block holds no seen grid point.
pub fn first_detection_s(radar: &Radar, th: &FastThreat) -> Option<f64> {
    let rcs = th.missile.rcs_m2;
    let impact = th.impact_time_s();
    let quick = QuickRadar::new(radar, rcs);
    let guess = std::cell::Cell::new(KeplerGuess::NONE);
    let pos = |t: f64| {
        let mut g = guess.get();
        let p = th.ecef_fast(t, &mut g);
        guess.set(g);
        p
    };
    let seen = |t: f64| quick.sees(pos(t));
    let start = if boost_hidden(radar, th) {
        // Skip the boost: start on the sample grid at or after burnout.
        (th.missile.burn_time_s / RADAR_STEP_S).ceil() * RADAR_STEP_S
    } else {
        0.0
    };
    if start == 0.0 && seen(0.0) {
        return Some(0.0);
    }
    let n = (impact / RADAR_STEP_S).ceil() as usize;
    let at = |i: usize| (i as f64 * RADAR_STEP_S).min(impact);
    // The edge between the unseen sample k − 1 and the seen sample k.
    let edge = |k: usize| {
        let (mut a, mut b) = (at(k - 1), at(k));
        while b - a > 1e-3 {
            let m = 0.5 * (a + b);
            if seen(m) {
                b = m;
            } else {
                a = m;
            }
        }
        b
    };
    let mut i = ((start / RADAR_STEP_S).round() as usize).max(1);
    while i <= n && at(i) < th.missile.burn_time_s {
        if seen(at(i)) {
            return Some(edge(i));
        }
        i += 1;
    }
    let r_min = geodesy::WGS84_B_M - 1_000.0;
    let slack_m = th.conic.max_ecef_speed_mps(r_min) * (COARSE - 1) as f64 * RADAR_STEP_S;
    while i <= n {
        let i_c = (i + COARSE - 1).min(n);
        if quick.might_see(pos(at(i_c)), slack_m) {
            for k in i..=i_c {
                if seen(at(k)) {
                    return Some(edge(k));
                }
            }
        }
        i = i_c + 1;
    }
    None
}

/// Grid points per block of [`first_detection_s`]'s coast scan.
const COARSE: usize = 5;

/// Radar cue, then the required speed along the trajectory read off `table`; windows at `speed_mps`.
pub fn fast_engage(
    radar: &Radar,
    icpt: &Interceptor,
    table: &ReachTable,
    th: &FastThreat,
    speed_mps: f64,
) -> FastEngagement {
    engage_after(first_detection_s(radar, th), icpt, table, th, speed_mps)
}

/// The first time (s since launch) any radar of `radars` sees the warhead: the network's first track.
pub fn network_first_detection_s(radars: &[Radar], th: &FastThreat) -> Option<f64> {
    radars
        .iter()
        .filter_map(|r| first_detection_s(r, th))
        .min_by(f64::total_cmp)
}

/// [`fast_engage`] for a network: the earliest track of any radar cues every battery (each with its
/// reach table); the answer is the lowest crossover of any battery, the earliest intercept of any and the
/// latest of any, every battery at burnout speed `speed_mps`.
pub fn fast_engage_network(
    radars: &[Radar],
    batteries: &[(&Interceptor, &ReachTable)],
    th: &FastThreat,
    speed_mps: f64,
) -> FastEngagement {
    let first = network_first_detection_s(radars, th);
    let mut out = FastEngagement {
        first_detection_s: first,
        crossover: None,
        earliest: None,
        latest_s: None,
    };
    for (icpt, table) in batteries {
        let e = engage_after(first, icpt, table, th, speed_mps);
        if let Some(c) = e.crossover
            && out.crossover.is_none_or(|o| c.0 < o.0)
        {
            out.crossover = Some(c);
        }
        if let Some(x) = e.earliest
            && out.earliest.is_none_or(|o| x.0 < o.0)
        {
            out.earliest = Some(x);
        }
        out.latest_s = match (out.latest_s, e.latest_s) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }
    out
}

/// The engagement of one battery cued at `first` (s since launch; `None`: never seen).
pub fn engage_after(
    first: Option<f64>,
    icpt: &Interceptor,
    table: &ReachTable,
    th: &FastThreat,
    speed_mps: f64,
) -> FastEngagement {
    let mut out = FastEngagement {
        first_detection_s: None,
        crossover: None,
        earliest: None,
        latest_s: None,
    };
    let Some(first) = first else {
        return out;
    };
    out.first_detection_s = Some(first);
    let commit = first + icpt.commit_delay_s;
    let impact = th.impact_time_s();
    let start = (commit + icpt.burn_time_s + MIN_COAST_S).max(th.missile.burn_time_s);
    // Intercept times on a fixed grid every 5 s from threat burnout, so that a later commit only ever
    // removes samples (and shortens the coast available at the rest): footprints are monotone in every
    // delay and speed by construction.
    let tb = th.missile.burn_time_s;
    let mut i0 = ((start - tb) / INTERCEPT_STEP_S).ceil().max(0.0) as usize;
    let i1 = ((impact - tb) / INTERCEPT_STEP_S).floor().max(0.0) as usize;
    while i0 <= i1 && tb + i0 as f64 * INTERCEPT_STEP_S < start {
        i0 += 1;
    }
    if i0 > i1 {
        return out;
    }
    let at = |i: usize, guess: &mut KeplerGuess| -> Option<(f64, f64)> {
        let t = tb + i as f64 * INTERCEPT_STEP_S;
        let p = th.ecef_fast(t, guess);
        let h = height_at_least(p, icpt.min_intercept_alt_m)?;
        let v = table.required_speed_mps(p, t - commit - icpt.burn_time_s)?;
        Some((v, h))
    };
    // Coarse then refine: the samples of even index (and both ends) first; an odd sample between two
    // coarse ones is evaluated only where it could change the answer, judged with the steepest change
    // of the required speed seen between coarse samples (twice it, plus 1 m/s, bounds the change over one
    // step): where its neighbours straddle the assumed speed or an intercept edge, where it could dip
    // below the assumed speed, or where it could undercut the lowest coarse speed. The answers are the
    // full grid's wherever the required speed varies no faster than that between two samples.
    let n = i1 - i0 + 1;
    let mut guess = KeplerGuess::NONE;
    let mut vals: Vec<Option<Option<(f64, f64)>>> = vec![None; n];
    for (k, slot) in vals.iter_mut().enumerate() {
        let i = i0 + k;
        if i.is_multiple_of(2) || k == 0 || k == n - 1 {
            *slot = Some(at(i, &mut guess));
        }
    }
    let mut best = f64::INFINITY;
    let mut steepest = 0.0_f64;
    let mut prev: Option<(usize, f64)> = None;
    for (k, x) in vals.iter().enumerate() {
        if let Some(Some((v, _))) = x {
            best = best.min(*v);
            if let Some((kp, vp)) = prev {
                steepest = steepest.max((v - vp).abs() / (k - kp) as f64);
            }
            prev = Some((k, *v));
        } else if x.is_some() {
            prev = None;
        }
    }
    let slack = 2.0 * steepest + 1.0;
    for k in 1..n.saturating_sub(1) {
        if vals[k].is_some() {
            continue;
        }
        let (a, b) = (vals[k - 1].flatten(), vals[k + 1].flatten());
        let need = match (a, b) {
            (None, None) => false,
            (Some(_), None) | (None, Some(_)) => true,
            (Some((va, _)), Some((vb, _))) => {
                let lower = va.max(vb) - slack;
                (va <= speed_mps) != (vb <= speed_mps)
                    || (va > speed_mps && vb > speed_mps && lower <= speed_mps)
                    || lower < best
            }
        };
        if need {
            vals[k] = Some(at(i0 + k, &mut guess));
        }
    }
    for (k, x) in vals.iter().enumerate() {
        let Some(Some((v, h))) = *x else {
            continue;
        };
        let t = tb + (i0 + k) as f64 * INTERCEPT_STEP_S;
        if out.crossover.is_none_or(|(c, _, _)| v < c) {
            out.crossover = Some((v, t, h));
        }
        if v <= speed_mps {
            if out.earliest.is_none() {
                out.earliest = Some((t, h));
            }
            out.latest_s = Some(t);
        }
    }
    out
}

/// The geodetic height (m) of the ECEF point `p` when it is at least `min_m`; a cheap spherical-ellipsoid
/// estimate decides points more than 5 km from the threshold.
fn height_at_least(p: Vec3, min_m: f64) -> Option<f64> {
    use geodesy::{WGS84_A_M, WGS84_B_M};
    let rho2 = p.norm_squared();
    let rho = rho2.sqrt();
    let s2 = p.z * p.z / rho2;
    let c2 = 1.0 - s2;
    let r_s = WGS84_A_M * WGS84_B_M / (WGS84_B_M * WGS84_B_M * c2 + WGS84_A_M * WGS84_A_M * s2).sqrt();
    let approx = rho - r_s;
    if approx < min_m - 5_000.0 {
        return None;
    }
    if approx > min_m + 5_000.0 {
        return Some(approx);
    }
    let h = ecef_to_geodetic(p).h_m;
    (h >= min_m).then_some(h)
}

/// The fast answer for one threat, as a grid cell.
fn cell_from(
    lat: f64,
    lon: f64,
    th: Result<FastThreat, Status>,
    radars: &[Radar],
    batteries: &[(&Interceptor, &ReachTable)],
    speed: f64,
) -> Cell {
    let th = match th {
        Ok(t) => t,
        Err(s) => return Cell::empty(lat, lon, s),
    };
    let e = fast_engage_network(radars, batteries, &th, speed);
    let status = match (e.first_detection_s, e.crossover) {
        (None, _) => Status::NotSeen,
        (Some(_), None) => Status::Unreachable,
        (Some(_), Some(_)) => Status::Reachable,
    };
    Cell {
        lat_deg: lat,
        lon_deg: lon,
        status,
        crossover_speed_mps: e.crossover.map(|c| c.0),
        first_detection_s: e.first_detection_s,
        flight_time_s: Some(th.impact_time_s()),
        earliest_intercept_s: e.earliest.map(|x| x.0),
        intercept_alt_m: e.earliest.map(|x| x.1),
        min_visible_alt_m: None,
    }
}

/// What to map.
#[derive(Debug, Clone)]
pub struct Request {
    /// Map kind.
    pub kind: MapKind,
    /// The fixed site: the launch site (defended area) or the defended point (threat origin); ignored for
    /// radar coverage.
    pub site: Option<String>,
    /// Missile type [default: the longest-ranged one among the scenario's threats from (to) the site].
    pub missile: Option<String>,
    /// Trajectory family.
    pub shape: ShapeChoice,
    /// The grid.
    pub grid: Grid,
    /// Interceptor burnout speed assumed for windows and the headline polygon, m/s [default: scenario].
    pub speed_mps: Option<f64>,
    /// Radar coverage map: warhead RCS, m² [default: the smallest missile RCS in the scenario].
    pub rcs_m2: Option<f64>,
    /// Speeds (m/s) or, for radar coverage, altitudes (m) at which to draw contour polygons.
    pub levels: Vec<f64>,
    /// The interceptor's boost model.
    pub boost: BoostModel,
}

/// A finished map.
#[derive(Debug, Clone, Serialize)]
pub struct Footprint {
    /// Scenario name.
    pub scenario: String,
    /// Map kind.
    pub kind: MapKind,
    /// The fixed site's name (launch site or defended point), if any.
    pub site: Option<String>,
    /// The fixed site's position: latitude, longitude (degrees).
    pub site_lat_lon_deg: Option<[f64; 2]>,
    /// Missile type.
    pub missile: Option<String>,
    /// Trajectory family.
    pub shape: ShapeChoice,
    /// The grid.
    pub grid: Grid,
    /// Interceptor burnout speed assumed, m/s.
    pub speed_mps: f64,
    /// The interceptor's boost model.
    pub boost: BoostModel,
    /// The threats' boost model: powered when the interceptor's is and the missile names a vehicle
    /// ([`threat_table`]), fixed otherwise; radar-coverage maps fly no threat and name the interceptor's.
    pub threat_boost: BoostModel,
    /// Radars used (every radar of the scenario, comma-separated, in scenario order).
    pub radar: String,
    /// Interceptor batteries used (every battery of the scenario, comma-separated, in scenario order).
    pub interceptor: String,
    /// Grid points, row by row from the south-west corner (latitude outer, longitude inner).
    pub cells: Vec<Cell>,
    /// Contour polygons, one set per level.
    pub contours: Vec<crate::contour::Contour>,
    /// Reach-table nodes computed for this map.
    pub reach_nodes: usize,
    /// A radar-coverage map's warhead radar cross-section, m² (`--rcs`, or the smallest of the
    /// scenario's missiles); `None` on an engagement map, where each threat has its missile's.
    pub rcs_m2: Option<f64>,
    /// Sites for maps: name, latitude, longitude (degrees), roles.
    pub sites: Vec<(String, f64, f64, Vec<String>)>,
    /// Sample threat tracks between the fixed site and the scenario's sites inside the grid (launch
    /// sites for a threat-origin map, targets for a defended-area map), for time-dynamic exports.
    pub tracks: Vec<Track>,
}

/// A threat track sampled in time.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Track {
    /// Launch site name.
    pub from: String,
    /// Target name.
    pub to: String,
    /// Engaged at the map's assumed speed.
    pub engaged: bool,
    /// First radar track, seconds since launch.
    pub first_detection_s: Option<f64>,
    /// Earliest intercept at the assumed speed, seconds since launch.
    pub earliest_intercept_s: Option<f64>,
    /// Samples every 10 s and at impact: seconds since launch, latitude, longitude (degrees), height (m).
    pub samples: Vec<[f64; 4]>,
}

/// Samples a fast threat every `step_s` seconds and at impact.
pub fn sample_track(th: &FastThreat, step_s: f64) -> Vec<[f64; 4]> {
    let end = th.impact_time_s();
    let mut out = Vec::new();
    let mut t = 0.0;
    loop {
        let g = ecef_to_geodetic(th.ecef_at(t));
        out.push([t, g.lat_deg, g.lon_deg, g.h_m.max(0.0)]);
        if t >= end {
            break;
        }
        t = (t + step_s).min(end);
    }
    out
}

/// The scenario objects a map needs, resolved.
#[derive(Debug, Clone)]
pub struct Setup {
    /// The radar (first of the scenario).
    pub radar: Radar,
    /// The battery (first of the scenario).
    pub icpt: Interceptor,
    /// Radar name.
    pub radar_name: String,
    /// Battery name.
    pub icpt_name: String,
}

/// Every radar and battery of a scenario, as maps use them.
#[derive(Debug, Clone)]
pub struct Network {
    /// The radars, in scenario order.
    pub radars: Vec<Radar>,
    /// The batteries, in scenario order, with their names.
    pub batteries: Vec<(String, Interceptor)>,
}

/// Resolves every radar and battery of a scenario; each battery flies the boost `model` when its entry
/// names a vehicle and the fixed boost otherwise, as in the study ([`crate::study::batteries`]).
pub fn network(s: &Scenario, model: BoostModel) -> Result<Network, FootprintError> {
    let err = |m: String| FootprintError::Scenario {
        scenario: s.meta.name.clone(),
        message: m,
    };
    if s.radars.is_empty() {
        return Err(err("it has no radar".into()));
    }
    if s.interceptors.is_empty() {
        return Err(err("it has no interceptor battery".into()));
    }
    let mut radars = Vec::with_capacity(s.radars.len());
    for rdef in &s.radars {
        let site = s
            .site(&rdef.site)
            .ok_or_else(|| err(format!("no site {}", rdef.site)))?;
        radars.push(Radar::from_def(rdef, site).map_err(|e| err(e.to_string()))?);
    }
    let mut batteries = Vec::with_capacity(s.interceptors.len());
    for idef in &s.interceptors {
        let site = s
            .site(&idef.site)
            .ok_or_else(|| err(format!("no site {}", idef.site)))?;
        let boost = crate::study::battery_boost(idef, model);
        batteries.push((idef.name.clone(), Interceptor::with_boost(idef, site, boost, s)?));
    }
    Ok(Network { radars, batteries })
}

/// Resolves the first radar and battery of a scenario, the battery flying the boost `model` (for
/// [`BoostModel::Powered`] its vehicle family is flown here, once): a one-radar, one-battery view for
/// benches and tests. Maps and sweeps use the whole [`network`].
pub fn setup(s: &Scenario, model: BoostModel) -> Result<Setup, FootprintError> {
    let err = |m: String| FootprintError::Scenario {
        scenario: s.meta.name.clone(),
        message: m,
    };
    let rdef = s.radars.first().ok_or_else(|| err("it has no radar".into()))?;
    let idef = s
        .interceptors
        .first()
        .ok_or_else(|| err("it has no interceptor battery".into()))?;
    let rsite = s
        .site(&rdef.site)
        .ok_or_else(|| err(format!("no site {}", rdef.site)))?;
    let isite = s
        .site(&idef.site)
        .ok_or_else(|| err(format!("no site {}", idef.site)))?;
    let radar = Radar::from_def(rdef, rsite).map_err(|e| err(e.to_string()))?;
    Ok(Setup {
        radar,
        icpt: Interceptor::with_boost(idef, isite, model, s)?,
        radar_name: rdef.name.clone(),
        icpt_name: idef.name.clone(),
    })
}

/// The flown boosts of missile `missile`'s rocket for `shape` when threats fly powered: under the powered
/// `model` for a missile that names a vehicle; `None` (the fixed boost) otherwise.
pub fn threat_table(
    s: &Scenario,
    missile: &str,
    shape: ShapeChoice,
    model: BoostModel,
) -> Result<Option<std::sync::Arc<ThreatBoostTable>>, FootprintError> {
    if model != BoostModel::Powered {
        return Ok(None);
    }
    let Some(vname) = s
        .missiles
        .iter()
        .find(|m| m.name == missile)
        .and_then(|m| m.vehicle.as_deref())
    else {
        return Ok(None);
    };
    let vdef = s.vehicle(vname).ok_or_else(|| FootprintError::Scenario {
        scenario: s.meta.name.clone(),
        message: format!("missile {missile} names no vehicle \"{vname}\" of the scenario"),
    })?;
    Ok(Some(ThreatBoostTable::get(vdef, shape)?))
}

/// The missile to fly for a map around `site`: the one named, or the longest-ranged among the scenario's
/// threats launched from (`from = true`) or aimed at the site, or the longest-ranged of all.
pub fn pick_missile(
    s: &Scenario,
    site: &str,
    from: bool,
    named: Option<&str>,
) -> Result<(String, Missile, f64), FootprintError> {
    let err = |m: String| FootprintError::Scenario {
        scenario: s.meta.name.clone(),
        message: m,
    };
    let def = match named {
        Some(n) => s.missiles.iter().find(|m| m.name == n).ok_or_else(|| {
            let known: Vec<_> = s.missiles.iter().map(|m| m.name.as_str()).collect();
            err(format!("no missile \"{n}\"; known: {}", known.join(", ")))
        })?,
        None => {
            let related = s
                .threats
                .iter()
                .filter(|t| {
                    if from {
                        t.from.iter().any(|f| f == site)
                    } else {
                        t.to.iter().any(|f| f == site)
                    }
                })
                .filter_map(|t| s.missiles.iter().find(|m| m.name == t.missile));
            let best = |a: &&crate::scenario::MissileDef, b: &&crate::scenario::MissileDef| {
                a.max_range_m.value.total_cmp(&b.max_range_m.value)
            };
            related
                .max_by(best)
                .or_else(|| s.missiles.iter().max_by(best))
                .ok_or_else(|| err("it has no missile".into()))?
        }
    };
    Ok((def.name.clone(), Missile::from_def(def), def.max_range_m.value))
}

fn find_site<'a>(s: &'a Scenario, name: &str, role: Role) -> Result<&'a Site, FootprintError> {
    let site = s.site(name).ok_or_else(|| {
        let known: Vec<_> = s
            .sites
            .iter()
            .filter(|x| x.roles.contains(&role))
            .map(|x| x.name.as_str())
            .collect();
        FootprintError::Scenario {
            scenario: s.meta.name.clone(),
            message: format!("no site \"{name}\"; {role:?} sites: {}", known.join(", ")),
        }
    })?;
    Ok(site)
}

/// Computes a map with the fast engine over every radar and battery of the scenario ([`network`]), in
/// parallel on all cores. `progress(n)` is called as rows of `n` points complete; setting `cancel` stops
/// early with [`FootprintError::Cancelled`]. A `table` for one of the scenario's batteries may be passed
/// in to reuse its nodes. The assumed speed defaults to the first battery's.
pub fn compute(
    s: &Scenario,
    req: &Request,
    table: Option<&ReachTable>,
    progress: &(dyn Fn(usize) + Sync),
    cancel: &AtomicBool,
) -> Result<Footprint, FootprintError> {
    let net = network(s, req.boost)?;
    let speed = req.speed_mps.unwrap_or(net.batteries[0].1.burnout_speed_mps);
    if !(speed.is_finite() && speed > 0.0 && speed < 20_000.0) {
        return Err(FootprintError::Invalid(format!(
            "interceptor speed {speed} m/s is outside (0, 20000) m/s"
        )));
    }
    let grid = req.grid;
    // The table passed in serves (at most) one battery; every other battery gets its own.
    let (given, served) =
        match table.and_then(|t| Some((t, net.batteries.iter().position(|(_, b)| t.serves(b))?))) {
            Some((t, i)) => (Some(t), Some(i)),
            None => (None, None),
        };
    let own: Vec<Option<ReachTable>> = (0..net.batteries.len())
        .map(|i| (Some(i) != served).then(|| ReachTable::new(&net.batteries[i].1)))
        .collect();
    let batteries: Vec<(&Interceptor, &ReachTable)> = net
        .batteries
        .iter()
        .zip(&own)
        .filter_map(|((_, b), o)| Some((b, o.as_ref().or(given)?)))
        .collect();
    let radars = &net.radars;
    let mut site_pos = None;
    let mut missile_name = None;
    let mut site_name = None;
    let mut threat_boost_table = None;
    let mut coverage_rcs = None;
    let cells: Vec<Cell> = match req.kind {
        MapKind::RadarCoverage => {
            let rcs = req.rcs_m2.unwrap_or_else(|| {
                s.missiles
                    .iter()
                    .map(|m| m.rcs_m2.value)
                    .fold(f64::INFINITY, f64::min)
            });
            if !(rcs.is_finite() && rcs > 0.0) {
                return Err(FootprintError::Invalid(format!("RCS {rcs} m² must be positive")));
            }
            coverage_rcs = Some(rcs);
            rows(&grid, progress, cancel, |lat, lon| {
                let mut c = Cell::empty(lat, lon, Status::Coverage);
                c.min_visible_alt_m = radars
                    .iter()
                    .filter_map(|r| r.lowest_visible_alt_m(lat, lon, rcs))
                    .min_by(f64::total_cmp);
                c
            })?
        }
        MapKind::DefendedArea | MapKind::ThreatOrigin => {
            let name = req
                .site
                .as_deref()
                .ok_or_else(|| FootprintError::Invalid("this map needs a site (--site NAME)".into()))?;
            let from = req.kind == MapKind::DefendedArea;
            let role = if from { Role::Launch } else { Role::Target };
            let site = find_site(s, name, role)?;
            let (mname, missile, max_range) = pick_missile(s, name, from, req.missile.as_deref())?;
            threat_boost_table = threat_table(s, &mname, req.shape, req.boost)?;
            // A defended-area map launches from one site: its latitude is read exactly (one row of
            // nodes); a threat-origin map's launch points read between the latitude nodes.
            let latitudes = if from {
                Latitudes::Pinned
            } else {
                Latitudes::BetweenNodes
            };
            let powered = threat_boost_table.as_deref().map(|t| (t, latitudes));
            site_pos = Some([site.lat_deg, site.lon_deg]);
            missile_name = Some(mname);
            site_name = Some(site.name.clone());
            let fixed = Geodetic {
                lat_deg: site.lat_deg,
                lon_deg: site.lon_deg,
                h_m: site.h_m,
            };
            rows(&grid, progress, cancel, |lat, lon| {
                let th = if from {
                    fast_threat_with(fixed, lat, lon, missile, max_range, req.shape, powered)
                } else {
                    let launch = Geodetic {
                        lat_deg: lat,
                        lon_deg: lon,
                        h_m: 0.0,
                    };
                    fast_threat_with(
                        launch,
                        fixed.lat_deg,
                        fixed.lon_deg,
                        missile,
                        max_range,
                        req.shape,
                        powered,
                    )
                };
                cell_from(lat, lon, th, radars, &batteries, speed)
            })?
        }
    };
    let mut tracks = Vec::new();
    if let (Some(name), Some(mname)) = (&site_name, &missile_name) {
        let from = req.kind == MapKind::DefendedArea;
        let role = if from { Role::Target } else { Role::Launch };
        let inside = |x: &Site| {
            x.lat_deg >= grid.lat_min_deg
                && x.lat_deg <= grid.lat_max_deg
                && x.lon_deg >= grid.lon_min_deg
                && x.lon_deg <= grid.lon_max_deg
        };
        if let (Some(fixed), Some(mdef)) = (s.site(name), s.missiles.iter().find(|m| &m.name == mname)) {
            let geo = |x: &Site| Geodetic {
                lat_deg: x.lat_deg,
                lon_deg: x.lon_deg,
                h_m: x.h_m,
            };
            for other in s.sites.iter().filter(|x| x.roles.contains(&role) && inside(x)) {
                let (a, b) = if from { (fixed, other) } else { (other, fixed) };
                let l = if from {
                    geo(a)
                } else {
                    Geodetic { h_m: 0.0, ..geo(a) }
                };
                let Ok(th) = fast_threat_with(
                    l,
                    b.lat_deg,
                    b.lon_deg,
                    Missile::from_def(mdef),
                    mdef.max_range_m.value,
                    req.shape,
                    // The fixed launch site of a defended-area map is pinned; a threat-origin map's other
                    // launch sites are read as its grid's launch points are.
                    threat_boost_table.as_deref().map(|t| {
                        let latitudes = if from {
                            Latitudes::Pinned
                        } else {
                            Latitudes::BetweenNodes
                        };
                        (t, latitudes)
                    }),
                ) else {
                    continue;
                };
                let e = fast_engage_network(radars, &batteries, &th, speed);
                tracks.push(Track {
                    from: a.name.clone(),
                    to: b.name.clone(),
                    engaged: e.earliest.is_some(),
                    first_detection_s: e.first_detection_s,
                    earliest_intercept_s: e.earliest.map(|x| x.0),
                    samples: sample_track(&th, 10.0),
                });
            }
        }
    }
    // A rotation node of the threat table that failed to fly left its points with no trajectory.
    if let Some(e) = threat_boost_table.as_deref().and_then(ThreatBoostTable::failure) {
        return Err(e.into());
    }
    let reach_nodes = batteries.iter().map(|(_, t)| t.nodes_filled()).sum();
    let names = |v: &mut dyn Iterator<Item = &str>| v.collect::<Vec<_>>().join(", ");
    let contours = req
        .levels
        .iter()
        .map(|&level| crate::contour::contour(&grid, &cells, req.kind, level))
        .collect();
    Ok(Footprint {
        scenario: s.meta.name.clone(),
        kind: req.kind,
        site: site_name,
        site_lat_lon_deg: site_pos,
        missile: missile_name,
        shape: req.shape,
        grid,
        speed_mps: speed,
        boost: req.boost,
        threat_boost: match (req.kind, &threat_boost_table) {
            (MapKind::RadarCoverage, _) => req.boost,
            (_, Some(_)) => BoostModel::Powered,
            (_, None) => BoostModel::Fixed,
        },
        radar: names(&mut s.radars.iter().map(|r| r.name.as_str())),
        interceptor: s
            .interceptors
            .iter()
            .map(|i| {
                // A battery whose entry names no vehicle flies the fixed boost under the powered model,
                // as in the study: the map says so.
                if crate::study::battery_boost(i, req.boost) == req.boost {
                    i.name.clone()
                } else {
                    format!("{} (fixed boost: no vehicle)", i.name)
                }
            })
            .collect::<Vec<_>>()
            .join(", "),
        cells,
        contours,
        reach_nodes,
        rcs_m2: coverage_rcs,
        tracks,
        sites: s
            .sites
            .iter()
            .map(|x| {
                (
                    x.name.clone(),
                    x.lat_deg,
                    x.lon_deg,
                    x.roles.iter().map(|r| format!("{r:?}").to_lowercase()).collect(),
                )
            })
            .collect(),
    })
}

impl MapKind {
    /// The fixed site a map of this kind is drawn for when none is named: Tehran (a launch site) for
    /// a defended area, Berlin (a target) for a threat origin, none for radar coverage.
    pub fn default_site(self) -> Option<&'static str> {
        match self {
            MapKind::DefendedArea => Some("Tehran"),
            MapKind::ThreatOrigin => Some("Berlin"),
            MapKind::RadarCoverage => None,
        }
    }

    /// The grid bounds when none are given, degrees `[south, north, west, east]`: Europe for a defended
    /// area, Iran and its surroundings for a threat origin, Europe to the Urals for radar coverage.
    pub fn default_bounds(self) -> [f64; 4] {
        match self {
            MapKind::DefendedArea => [35.0, 71.0, -11.0, 41.0],
            MapKind::ThreatOrigin => [24.0, 42.0, 40.0, 64.0],
            MapKind::RadarCoverage => [30.0, 72.0, -12.0, 65.0],
        }
    }

    /// The contour levels when none are given: burnout speeds (m/s) of the disputed values and the
    /// assumed `speed_mps` for the engagement maps, altitudes (m) for radar coverage; sorted, distinct.
    pub fn default_levels(self, speed_mps: f64) -> Vec<f64> {
        let mut levels = match self {
            MapKind::RadarCoverage => vec![100e3, 200e3, 500e3, 1000e3],
            _ => vec![5400.0, 6300.0, 7700.0, 8300.0, 9000.0, speed_mps],
        };
        levels.sort_by(f64::total_cmp);
        levels.dedup();
        levels
    }
}

/// Evaluates `f(lat, lon)` over the grid, rows in parallel.
fn rows(
    grid: &Grid,
    progress: &(dyn Fn(usize) + Sync),
    cancel: &AtomicBool,
    f: impl Fn(f64, f64) -> Cell + Sync,
) -> Result<Vec<Cell>, FootprintError> {
    let n_lon = grid.n_lon();
    let rows: Vec<Option<Vec<Cell>>> = (0..grid.n_lat())
        .into_par_iter()
        .map(|i| {
            if cancel.load(Ordering::Relaxed) {
                return None;
            }
            let lat = grid.lat(i);
            let r = (0..n_lon).map(|j| f(lat, grid.lon(j))).collect();
            progress(n_lon);
            Some(r)
        })
        .collect();
    let mut out = Vec::with_capacity(grid.n_lat() * n_lon);
    for r in rows {
        out.extend(r.ok_or(FootprintError::Cancelled)?);
    }
    Ok(out)
}

/// The study's per-trajectory engine for one threat (point gravity, every intercept time solved by its
/// own Lambert minimisation; under the powered model a scenario missile naming a vehicle flies the fast
/// engine's powered threat from its launch latitude pinned, its conic integrated) over every radar and
/// battery, at the first battery's burnout speed: the reference the fast engine is checked against, and
/// the "naive" cost.
pub fn naive_cell(
    s: &Scenario,
    launch: Geodetic,
    target: Geodetic,
    missile: Missile,
    shape: ShapeChoice,
    boost: BoostModel,
) -> Result<Cell, FootprintError> {
    let net = network(s, boost)?;
    let site = |name: &str, p: Geodetic| Site {
        name: name.into(),
        lat_deg: p.lat_deg,
        lon_deg: p.lon_deg,
        h_m: p.h_m,
        roles: vec![],
        country: String::new(),
        source: "grid point".into(),
        sources: vec![],
    };
    let (ls, ts) = (site("launch", launch), site("target", target));
    let (lat, lon) = (target.lat_deg, target.lon_deg);
    // Under the powered model a missile naming a vehicle flies the fast engine's powered threat (the
    // interceptor engines compared on the same threat), its conic integrated here.
    let powered = match s.missiles.iter().find(|m| Missile::from_def(m) == missile) {
        Some(m) => threat_table(s, &m.name, shape, boost)?,
        None => None,
    };
    if let Some(table) = powered {
        // One launch point: its latitude read exactly, as a defended-area map reads its launch site.
        let pinned = Some((table.as_ref(), Latitudes::Pinned));
        let fast = fast_threat_with(launch, lat, lon, missile, f64::INFINITY, shape, pinned);
        if let Some(e) = table.failure() {
            return Err(e.into());
        }
        let Some(threat) = fast.ok().and_then(|f| integrated(&f, &ls, &ts)) else {
            return Ok(Cell::empty(lat, lon, Status::NoTrajectory));
        };
        return Ok(naive_engage(&net, &threat, lat, lon));
    }
    let flown = fly_threat(&ls, &ts, missile, Shape::MinEnergy, Gravity::Point).and_then(|me| {
        let factor = match shape {
            ShapeChoice::MinEnergy => return Ok(me),
            ShapeChoice::Lofted => LOFT_FACTOR,
            ShapeChoice::Depressed => DEPRESS_FACTOR,
        };
        fly_threat(
            &ls,
            &ts,
            missile,
            Shape::Apogee {
                alt_m: factor * me.apogee_alt_m(),
            },
            Gravity::Point,
        )
    });
    let Ok(threat) = flown else {
        return Ok(Cell::empty(lat, lon, Status::NoTrajectory));
    };
    Ok(naive_engage(&net, &threat, lat, lon))
}

/// The fast threat `f` as the study's engine flies it: its burnout state propagated under point gravity
/// (the same conic, integrated), its boost the fixed model's placement toward its burnout point.
fn integrated(f: &FastThreat, launch: &Site, target: &Site) -> Option<ThreatTrack> {
    let model = EarthModel::contract();
    let burnout_state = flight::BurnoutState::from_inertial(&model, &f.orbit.initial);
    let options = flight::Options {
        model,
        ..flight::Options::default()
    };
    let trajectory = flight::propagate_with(&burnout_state, Gravity::Point, &options).ok()?;
    Some(ThreatTrack {
        launch: f.launch,
        from: launch.name.clone(),
        to: target.name.clone(),
        missile: f.missile,
        burnout: f.burnout,
        launch_azimuth_deg: f.launch_azimuth_deg,
        trajectory,
        burnout_state,
        boost: None,
    })
}

/// The study's engine against `threat` over every radar and battery of `net`, as a grid cell.
fn naive_engage(net: &Network, threat: &ThreatTrack, lat: f64, lon: f64) -> Cell {
    // Every battery cued by the radar network; the lowest crossover and the earliest window of any.
    let engagements: Vec<_> = net
        .batteries
        .iter()
        .map(|(_, b)| engage_network(&net.radars, b, threat))
        .collect();
    let first_detection_s = engagements.first().and_then(|e| e.first_detection_s);
    let x = engagements
        .iter()
        .filter_map(|e| e.crossover())
        .map(|f| f.required_speed_mps)
        .min_by(f64::total_cmp);
    let speed = net.batteries[0].1.burnout_speed_mps;
    let w = engagements
        .iter()
        .filter_map(|e| e.window(speed))
        .min_by(|a, b| a.0.intercept_time_s.total_cmp(&b.0.intercept_time_s));
    Cell {
        lat_deg: lat,
        lon_deg: lon,
        status: match (first_detection_s, x) {
            (None, _) => Status::NotSeen,
            (Some(_), None) => Status::Unreachable,
            _ => Status::Reachable,
        },
        crossover_speed_mps: x,
        first_detection_s,
        flight_time_s: Some(threat.impact_time_s()),
        earliest_intercept_s: w.map(|(a, _)| a.intercept_time_s),
        intercept_alt_m: w.map(|(a, _)| a.intercept_alt_m),
        min_visible_alt_m: None,
    }
}

/// The maps added to a study's report (1° grids), each over every radar and battery of the scenario
/// ([`network`]): the defended area against the first launch site of the first threat family (over that
/// family's targets and every battery site, with the longest-ranged missile launched there; contours at
/// the disputed GBI speeds and at every battery's own speed), and the radar coverage of the whole network
/// over the launch sites and every radar (for the smallest missile RCS).
pub fn study_maps(
    s: &Scenario,
    boost: BoostModel,
    cancel: &AtomicBool,
) -> Result<Vec<Footprint>, FootprintError> {
    let mut out = Vec::new();
    let boxed = |names: &mut dyn Iterator<Item = &Site>| -> Option<Grid> {
        let (mut a, mut b, mut c, mut d) = (90.0f64, -90.0f64, 360.0f64, -360.0f64);
        for x in names {
            a = a.min(x.lat_deg);
            b = b.max(x.lat_deg);
            c = c.min(x.lon_deg);
            d = d.max(x.lon_deg);
        }
        let r = |x: f64| x.round();
        Grid::try_new(
            r(a - 4.0).max(-89.0),
            r(b + 4.0).min(89.0),
            r(c - 4.0),
            r(d + 4.0).min(r(c - 4.0) + 360.0),
            1.0,
        )
        .ok()
    };
    let battery_sites = || s.interceptors.iter().filter_map(|i| s.site(&i.site));
    if let Some(t) = s.threats.first()
        && let Some(from) = t.from.first()
        && let Some(grid) = boxed(&mut t.to.iter().filter_map(|n| s.site(n)).chain(battery_sites()))
    {
        let mut levels = vec![5400.0, 6300.0, 7700.0, 8300.0, 9000.0];
        levels.extend(s.interceptors.iter().map(|i| i.burnout_speed_mps.value));
        levels.sort_by(f64::total_cmp);
        levels.dedup();
        let req = Request {
            kind: MapKind::DefendedArea,
            site: Some(from.clone()),
            missile: None,
            shape: ShapeChoice::MinEnergy,
            grid,
            speed_mps: None,
            rcs_m2: None,
            levels,
            boost,
        };
        out.push(compute(s, &req, None, &|_| {}, cancel)?);
    }
    let radar_sites = s.radars.iter().filter_map(|r| s.site(&r.site));
    let mut sites = s
        .sites
        .iter()
        .filter(|x| x.roles.contains(&Role::Launch))
        .chain(radar_sites);
    if let Some(grid) = boxed(&mut sites) {
        let req = Request {
            kind: MapKind::RadarCoverage,
            site: None,
            missile: None,
            shape: ShapeChoice::MinEnergy,
            grid,
            speed_mps: None,
            rcs_m2: None,
            levels: vec![200e3, 500e3, 1000e3],
            boost,
        };
        out.push(compute(s, &req, None, &|_| {}, cancel)?);
    }
    Ok(out)
}

#[cfg(test)]
#[path = "footprint_scan_tests.rs"]
mod scan_tests;
