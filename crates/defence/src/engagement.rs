//! Threat trajectories from launch to impact, and whether an interceptor battery can reach them.
//!
//! # Model
//! - **Threat.** A boost phase of `burn_time_s` ends at `burnout_alt_m` above the point `burnout_downrange_m`
//!   along the geodesic from the launch site towards the target. During boost the missile is placed on
//!   that geodesic with height and downrange growing as (t / burn time)² (constant acceleration): a
//!   simple, documented stand-in for powered flight whose only use is to start timelines at launch and to
//!   let radars look at the boost (which a distant X-band radar cannot see anyway). From burnout the
//!   missile flies the ballistic trajectory that [`flight::target`] finds on the rotating Earth.
//! - **Times** are seconds since threat launch. The inertial frame is the flight crate's: it coincides
//!   with the Earth-fixed frame at threat *burnout*, so an Earth-fixed point `r` at time `t` is at
//!   `R_z(ω (t − burn time)) r` in it.
//! - **Cue.** The battery's radar must see the warhead (its RCS, the radar's field of regard, horizon and
//!   range: [`crate::radar`]); the battery may launch `commit_delay_s` after the first detection.
//! - **Flyout.** An interceptor launched at time L burns for its burn time and reaches its burnout point
//!   (`burnout_downrange_m` from the silo towards the intercept point, at `burnout_alt_m`); it then coasts
//!   on the point-mass Lambert arc that meets the threat at the intercept time. The *required speed* for an
//!   intercept at time T is the smallest Earth-relative burnout speed over all launch times in
//!   [L, T − burn time − 10 s] (Brent minimisation over the coast time): the battery can make the intercept
//!   when its burnout speed is at least that. Intercepts must happen at or above `min_intercept_alt_m` and
//!   before impact. With the powered boost ([`crate::boost`]) the burn time is the flown vehicle's and the
//!   burnout point is that of the family member whose burnout speed is the required one (a fixed point).
//!
//! Intercept times are sampled on a grid fixed in threat time ([`grid_time_s`]). The required speed at
//! every grid time is computed once per threat and battery with the launch bound only by the threat's
//! launch ([`FreeFlyouts`]); the flyouts of any commit time follow from it, re-solved only where the
//! commit binds ([`FlyoutMemo::at`]). The engagement window for any burnout speed, the crossover speed
//! (the lowest burnout speed that engages at all) and the shoot-look-shoot counts follow from those
//! without re-solving.

use flight::roots::brent_min;
use flight::{BurnoutState, EarthModel, Gravity, Shape, Trajectory};
use geodesy::rotation::rotate_z;
use geodesy::{Geodetic, Vec3, ecef_to_geodetic};

use crate::boost::{BoostCurve, BoostError, BoostModel};
use crate::radar::Radar;
use crate::scenario::{InterceptorDef, MissileDef, Scenario, Site, VehicleDef};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// Shortest coast from interceptor burnout to intercept considered, seconds.
pub const MIN_COAST_S: f64 = 10.0;
/// Sampling step of intercept times along a threat trajectory, seconds.
pub const INTERCEPT_STEP_S: f64 = 5.0;
/// Sampling step for radar visibility along a trajectory, seconds.
pub const RADAR_STEP_S: f64 = 2.0;

/// Why an engagement computation failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum EngagementError {
    /// The threat trajectory could not be found (for example a target beyond reach of a ballistic arc).
    #[error("no {shape} trajectory from {from} to {to}: {reason}")]
    Trajectory {
        /// Launch site name.
        from: String,
        /// Target name.
        to: String,
        /// Trajectory shape.
        shape: String,
        /// The flight crate's reason.
        reason: String,
    },
}

/// Boost-phase and signature parameters of a missile (values of a [`MissileDef`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Missile {
    /// Powered-flight duration, s.
    pub burn_time_s: f64,
    /// Height at burnout, m.
    pub burnout_alt_m: f64,
    /// Ground distance from launch to the burnout sub-point, m.
    pub burnout_downrange_m: f64,
    /// Warhead radar cross-section, m².
    pub rcs_m2: f64,
}

impl Missile {
    /// The parameter values of a scenario missile.
    pub fn from_def(d: &MissileDef) -> Missile {
        Missile {
            burn_time_s: d.burn_time_s.value,
            burnout_alt_m: d.burnout_alt_m.value,
            burnout_downrange_m: d.burnout_downrange_m.value,
            rcs_m2: d.rcs_m2.value,
        }
    }
}

/// A threat flown from launch to impact.
#[derive(Debug, Clone)]
pub struct ThreatTrack {
    /// Launch site.
    pub launch: Geodetic,
    /// Launch-site name.
    pub from: String,
    /// Target name.
    pub to: String,
    /// Missile parameters.
    pub missile: Missile,
    /// The burnout point.
    pub burnout: Geodetic,
    /// Azimuth of the launch-to-target geodesic at the launch site, degrees.
    pub launch_azimuth_deg: f64,
    /// The ballistic part (t = 0 at burnout).
    pub trajectory: Trajectory,
    /// The burnout state found by targeting.
    pub burnout_state: BurnoutState,
    /// The flown boost phase (launch to burnout) of a threat flown powered ([`fly_threat_powered`]);
    /// `None`: the fixed boost of `missile`.
    pub boost: Option<Arc<flight::Boost>>,
}

impl ThreatTrack {
    /// Time of impact, seconds since launch.
    pub fn impact_time_s(&self) -> f64 {
        self.missile.burn_time_s + self.trajectory.time_of_flight_s()
    }

    /// Apogee height, metres.
    pub fn apogee_alt_m(&self) -> f64 {
        self.trajectory.apogee().position.h_m
    }

    /// Earth-fixed position (metres) at `t_s` seconds since launch (boost model before burnout),
    /// clamped to [0, impact].
    pub fn ecef_at(&self, t_s: f64) -> Vec3 {
        let tb = self.missile.burn_time_s;
        if t_s < tb
            && let Some(b) = &self.boost
        {
            return b
                .ecef_at(t_s.max(0.0))
                .map_or_else(|| self.launch.to_ecef(), |(r, _)| r);
        }
        if t_s < tb {
            let f = (t_s.max(0.0) / tb).powi(2);
            let p = geodesy::geodesic::direct(
                self.launch.lat_deg,
                self.launch.lon_deg,
                self.launch_azimuth_deg,
                f * self.missile.burnout_downrange_m,
            );
            return match p {
                Ok(p) => Geodetic {
                    lat_deg: p.lat2_deg,
                    lon_deg: p.lon2_deg,
                    h_m: self.launch.h_m + f * (self.missile.burnout_alt_m - self.launch.h_m),
                }
                .to_ecef(),
                Err(_) => self.launch.to_ecef(),
            };
        }
        let t = (t_s - tb).min(self.trajectory.time_of_flight_s());
        self.trajectory
            .ecef_at(t)
            .map_or(self.trajectory.impact().position.to_ecef(), |(r, _)| r)
    }

    /// Inertial position and velocity (m, m/s) at `t_s` seconds since launch, for the ballistic part only.
    pub fn inertial_at(&self, t_s: f64) -> Option<(Vec3, Vec3)> {
        let t = t_s - self.missile.burn_time_s;
        if t < 0.0 || t > self.trajectory.time_of_flight_s() {
            return None;
        }
        self.trajectory
            .state_at(t)
            .map(|s| (s.r_inertial_m, s.v_inertial_mps))
    }
}

/// Flies `missile` from `launch` to `target` with trajectory `shape` under `gravity`.
pub fn fly_threat(
    launch: &Site,
    target: &Site,
    missile: Missile,
    shape: Shape,
    gravity: Gravity,
) -> Result<ThreatTrack, EngagementError> {
    let fail = |reason: String| EngagementError::Trajectory {
        from: launch.name.clone(),
        to: target.name.clone(),
        shape: shape_name(shape),
        reason,
    };
    let inv = geodesy::inverse(launch.lat_deg, launch.lon_deg, target.lat_deg, target.lon_deg)
        .map_err(|e| fail(e.to_string()))?;
    if inv.distance_m <= missile.burnout_downrange_m * 1.5 {
        return Err(fail(format!(
            "the target is {:.0} km away, too close for a boost phase of {:.0} km downrange",
            inv.distance_m / 1e3,
            missile.burnout_downrange_m / 1e3
        )));
    }
    let b = geodesy::direct(
        launch.lat_deg,
        launch.lon_deg,
        inv.azi1_deg,
        missile.burnout_downrange_m,
    )
    .map_err(|e| fail(e.to_string()))?;
    let burnout = Geodetic {
        lat_deg: b.lat2_deg,
        lon_deg: b.lon2_deg,
        h_m: missile.burnout_alt_m,
    };
    let sol = flight::target(burnout, target.lat_deg, target.lon_deg, shape, gravity)
        .map_err(|e| fail(e.to_string()))?;
    Ok(ThreatTrack {
        launch: Geodetic {
            lat_deg: launch.lat_deg,
            lon_deg: launch.lon_deg,
            h_m: launch.h_m,
        },
        from: launch.name.clone(),
        to: target.name.clone(),
        missile,
        burnout,
        launch_azimuth_deg: inv.azi1_deg,
        burnout_state: sol.burnout,
        trajectory: sol.trajectory,
        boost: None,
    })
}

/// Largest distance (m) between a powered threat's impact and its target: the shooting converges to
/// within 1 m ([`flight::aim::aim_at`]), held here again.
pub const POWERED_MISS_M: f64 = 1.0;

/// Relative tolerance of a powered threat's flights (the aim's searches fly each candidate; the
/// landing is still held within [`POWERED_MISS_M`]).
pub const THREAT_RTOL: f64 = 1e-10;

type ThreatCache = Mutex<HashMap<String, Result<ThreatTrack, EngagementError>>>;

/// Flies `missile` from `launch` to `target` with its rocket `vehicle` (its reference programme's vertical
/// rise and kick duration; kick and launch azimuth solved by [`flight::aim::aim_at`] for `shape`:
/// minimum energy resizes the vehicle to the smallest of its family that reaches, lofted and depressed
/// fly the full vehicle on the steeper or flatter kick), so that the powered-then-ballistic flight lands
/// within [`POWERED_MISS_M`] of the target. The burn time, burnout height and downrange of the returned
/// track's `missile` are the flown ones; its positions during boost are the flight's. Results are cached
/// per threat (vehicle, sites, shape, gravity) for the life of the process.
pub fn fly_threat_powered(
    launch: &Site,
    target: &Site,
    missile: Missile,
    vehicle: &VehicleDef,
    shape: flight::aim::PoweredShape,
    gravity: Gravity,
) -> Result<ThreatTrack, EngagementError> {
    static CACHE: OnceLock<ThreatCache> = OnceLock::new();
    let key = format!(
        "{vehicle:?}|{:?}|{:?}|{:?}|{:?}|{shape:?}|{gravity:?}|{:?}",
        (launch.lat_deg, launch.lon_deg, launch.h_m),
        (target.lat_deg, target.lon_deg, target.h_m),
        &launch.name,
        &target.name,
        missile.rcs_m2
    );
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(hit) = cache.lock().map_err(|_| poisoned(launch, target))?.get(&key) {
        return hit.clone();
    }
    let flown = fly_powered_uncached(launch, target, missile, vehicle, shape, gravity);
    cache
        .lock()
        .map_err(|_| poisoned(launch, target))?
        .insert(key, flown.clone());
    flown
}

fn poisoned(launch: &Site, target: &Site) -> EngagementError {
    EngagementError::Trajectory {
        from: launch.name.clone(),
        to: target.name.clone(),
        shape: "powered".into(),
        reason: "the threat cache is poisoned by an earlier panic".into(),
    }
}

/// The name of a powered shape, for messages.
pub fn powered_shape_name(shape: flight::aim::PoweredShape) -> &'static str {
    match shape {
        flight::aim::PoweredShape::MinimumEnergy => "minimum-energy",
        flight::aim::PoweredShape::Lofted => "lofted",
        flight::aim::PoweredShape::Depressed => "depressed",
    }
}

fn fly_powered_uncached(
    launch: &Site,
    target: &Site,
    mut missile: Missile,
    vehicle: &VehicleDef,
    shape: flight::aim::PoweredShape,
    gravity: Gravity,
) -> Result<ThreatTrack, EngagementError> {
    let fail = |reason: String| EngagementError::Trajectory {
        from: launch.name.clone(),
        to: target.name.clone(),
        shape: format!("powered {}", powered_shape_name(shape)),
        reason,
    };
    let site = Geodetic {
        lat_deg: launch.lat_deg,
        lon_deg: launch.lon_deg,
        h_m: launch.h_m,
    };
    let aim = Geodetic {
        lat_deg: target.lat_deg,
        lon_deg: target.lon_deg,
        h_m: 0.0,
    };
    let rocket = vehicle
        .vehicle()
        .map_err(|e| fail(format!("vehicle {}: {e}", vehicle.name)))?;
    let options = flight::PoweredOptions {
        gravity,
        rtol: THREAT_RTOL,
        ..flight::PoweredOptions::default()
    };
    let template = vehicle.programme(0.0);
    let table = range_table(&rocket, &template, &options)
        .map_err(|e| fail(format!("vehicle {}: {e}", vehicle.name)))?;
    let shot = flight::aim::aim_at_seeded(&rocket, &table, site, aim, &template, shape, &options)
        .map_err(|e| fail(e.to_string()))?;
    if shot.miss_m > POWERED_MISS_M {
        return Err(fail(format!("lands {:.1} m from the target", shot.miss_m)));
    }
    let b = &shot.boost.burnout;
    let burnout = Geodetic {
        lat_deg: b.lat_deg,
        lon_deg: b.lon_deg,
        h_m: b.alt_m,
    };
    let downrange = geodesy::inverse(site.lat_deg, site.lon_deg, b.lat_deg, b.lon_deg)
        .map_err(|e| fail(e.to_string()))?
        .distance_m;
    missile.burn_time_s = shot.boost.burnout_time_s;
    missile.burnout_alt_m = b.alt_m;
    missile.burnout_downrange_m = downrange;
    Ok(ThreatTrack {
        launch: site,
        from: launch.name.clone(),
        to: target.name.clone(),
        missile,
        burnout,
        launch_azimuth_deg: shot.programme.azimuth_deg,
        burnout_state: shot.boost.burnout,
        trajectory: shot.coast,
        boost: Some(Arc::new(shot.boost)),
    })
}

type TableCache = Mutex<HashMap<String, Arc<flight::aim::RangeTable>>>;

/// The range table of a threat rocket (flown once per vehicle, template and options for the life of the
/// process): the seeds of its shots ([`flight::aim::aim_at_seeded`]).
pub(crate) fn range_table(
    rocket: &flight::Vehicle,
    template: &flight::Programme,
    options: &flight::PoweredOptions,
) -> Result<Arc<flight::aim::RangeTable>, flight::Error> {
    static CACHE: OnceLock<TableCache> = OnceLock::new();
    let key = format!("{rocket:?}|{template:?}|{options:?}");
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let poisoned = || flight::Error::Targeting {
        reason: "the range-table cache is poisoned by an earlier panic".into(),
    };
    if let Some(hit) = cache.lock().map_err(|_| poisoned())?.get(&key) {
        return Ok(hit.clone());
    }
    let table = Arc::new(flight::aim::RangeTable::build(rocket, template, options)?);
    cache.lock().map_err(|_| poisoned())?.insert(key, table.clone());
    Ok(table)
}

fn shape_name(shape: Shape) -> String {
    match shape {
        Shape::MinEnergy => "minimum-energy".to_string(),
        Shape::Apogee { alt_m } => format!("{:.0} km apogee", alt_m / 1e3),
        Shape::FlightPathAngle { deg } => format!("{deg:.1}° flight-path angle"),
    }
}

/// An interceptor battery (values of an [`InterceptorDef`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Interceptor {
    /// Silo position.
    pub site: Geodetic,
    /// Interceptors emplaced.
    pub count: u32,
    /// Earth-relative speed at burnout, m/s.
    pub burnout_speed_mps: f64,
    /// Powered-flight duration, s.
    pub burn_time_s: f64,
    /// Height at burnout, m.
    pub burnout_alt_m: f64,
    /// Ground distance from the silo to the burnout sub-point, m.
    pub burnout_downrange_m: f64,
    /// Delay from first radar track to launch, s.
    pub commit_delay_s: f64,
    /// Lowest intercept height, m.
    pub min_intercept_alt_m: f64,
    /// Time from a (missed) intercept to the next launch, s.
    pub kill_assessment_s: f64,
    /// The powered boost: burnout height and downrange by launch azimuth and burnout speed (`None`: the
    /// fixed boost of `burn_time_s`, `burnout_alt_m` and `burnout_downrange_m`). With it, `burn_time_s`
    /// is the flown vehicle's.
    pub boost: Option<BoostCurve>,
}

impl Interceptor {
    /// The parameter values of a scenario battery standing on `site`.
    pub fn from_def(d: &InterceptorDef, site: &Site) -> Interceptor {
        Interceptor {
            site: Geodetic {
                lat_deg: site.lat_deg,
                lon_deg: site.lon_deg,
                h_m: site.h_m,
            },
            count: d.count.value.max(0.0).round() as u32,
            burnout_speed_mps: d.burnout_speed_mps.value,
            burn_time_s: d.burn_time_s.value,
            burnout_alt_m: d.burnout_alt_m.value,
            burnout_downrange_m: d.burnout_downrange_m.value,
            commit_delay_s: d.commit_delay_s.value,
            min_intercept_alt_m: d.min_intercept_alt_m.value,
            kill_assessment_s: d.kill_assessment_s.value,
            boost: None,
        }
    }

    /// The battery of `d` on `site` with the boost `model`: for [`BoostModel::Powered`] its vehicle's
    /// family is flown ([`BoostCurve::fly`]) and the burn time is the vehicle's. A battery without a
    /// vehicle cannot fly the powered model.
    pub fn with_boost(
        d: &InterceptorDef,
        site: &Site,
        model: BoostModel,
        scenario: &Scenario,
    ) -> Result<Interceptor, BoostError> {
        let mut icpt = Interceptor::from_def(d, site);
        if model == BoostModel::Fixed {
            return Ok(icpt);
        }
        let name = d.vehicle.as_deref().ok_or_else(|| BoostError::NoVehicle {
            battery: d.name.clone(),
        })?;
        let vdef = scenario.vehicle(name).ok_or_else(|| BoostError::NoVehicle {
            battery: d.name.clone(),
        })?;
        let curve = BoostCurve::fly(vdef, icpt.site)?;
        icpt.burn_time_s = curve.burn_time_s;
        icpt.boost = Some(curve);
        Ok(icpt)
    }
}

/// The cheapest flyout to one point of a threat trajectory.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Flyout {
    /// Intercept time, seconds since threat launch.
    pub intercept_time_s: f64,
    /// Smallest Earth-relative burnout speed that makes the intercept, m/s.
    pub required_speed_mps: f64,
    /// Interceptor launch time for that flyout, seconds since threat launch.
    pub launch_time_s: f64,
    /// Intercept height, m.
    pub intercept_alt_m: f64,
    /// Relative speed of threat and interceptor at intercept, m/s.
    pub closing_speed_mps: f64,
    /// Interceptor burnout time, seconds since threat launch.
    pub burnout_time_s: f64,
    /// The interceptor's burnout state in the contract form (Earth-relative speed, azimuth and flight-path
    /// angle): propagating it for `intercept_time_s − burnout_time_s` seconds from an Earth-fixed frame
    /// aligned at that burnout reaches the intercept point.
    pub burnout: BurnoutState,
}

/// Largest excess (m/s) of the required over the burnout speed accepted at the fixed point of
/// [`fixed_point`]; below the 1e-3 m/s to which Brent's method was run before.
const FIXED_POINT_TOL_MPS: f64 = 1e-4;

/// The fixed point v = G(b(v)) of a powered boost's burnout speed: `at(v)` gives the burnout point, the
/// coast and the required speed G of the family member of burnout speed v; `(lo, at(lo))` and
/// `(hi, at(hi))` bracket the root of G − v (positive at `lo`, not positive at `hi`). By regula falsi
/// with the Illinois modification from the two ends already flown (G − v is nearly linear in v: a burnout
/// point moves little with the speed, so three to five evaluations instead of Brent's ten or so, which
/// flew both ends again); the bracket is kept, so it cannot leave the family's span.
fn fixed_point<F: Fn(f64) -> Option<(Vec3, f64, f64)>>(
    at: &F,
    (lo, low): (f64, (Vec3, f64, f64)),
    (hi, high): (f64, (Vec3, f64, f64)),
) -> Option<(Vec3, f64, f64)> {
    let (mut a, mut fa) = (lo, low.2 - lo);
    let (mut b, mut fb) = (hi, high.2 - hi);
    let mut best = if fa.abs() < fb.abs() { low } else { high };
    let mut best_excess = fa.abs().min(fb.abs());
    // (a, b) bracket the root, b the latest point; when the new point falls on b's side, a is kept
    // and its value halved (Illinois), so that the kept end moves too.
    for _ in 0..60 {
        if best_excess <= FIXED_POINT_TOL_MPS || (b - a).abs() <= 1e-3 {
            break;
        }
        let c = if fb != fa {
            b - fb * (b - a) / (fb - fa)
        } else {
            0.5 * (a + b)
        };
        let c = if c.is_finite() && c > a.min(b) && c < a.max(b) {
            c
        } else {
            0.5 * (a + b)
        };
        let x = at(c)?;
        let fc = x.2 - c;
        if !fc.is_finite() {
            return None;
        }
        if fc.abs() < best_excess {
            (best, best_excess) = (x, fc.abs());
        }
        if (fc > 0.0) == (fb > 0.0) {
            fa *= 0.5;
        } else {
            (a, fa) = (b, fb);
        }
        (b, fb) = (c, fc);
    }
    Some(best)
}

/// The cheapest flyout from `icpt` launched no earlier than `earliest_launch_s` to the threat's position at
/// `t_s` (seconds since threat launch); `None` when the point is below the minimum intercept height, not
/// on the ballistic part, or too soon.
///
/// With a powered boost ([`Interceptor::boost`]) the burnout point depends on the burnout speed: the
/// required speed is the fixed point v = G(b(v)) (see [`crate::boost`]), found by Brent's method.
pub fn flyout(icpt: &Interceptor, threat: &ThreatTrack, earliest_launch_s: f64, t_s: f64) -> Option<Flyout> {
    flyout_hinted(icpt, threat, earliest_launch_s, t_s, None).map(|(f, _)| f)
}

/// Half-width of the coast bracket searched around a hint's coast, seconds (a 5 s later intercept moves
/// the cheapest coast by a few seconds).
const HINT_COAST_HALF_WIDTH_S: f64 = 40.0;
/// Step from a hint's burnout speed to the other end of the fixed point's first bracket, m/s.
const HINT_SPEED_STEP_MPS: f64 = 100.0;

/// Where the previous intercept time's flyout ended: the search at the next one starts there.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FlyoutHint {
    /// Cheapest coast, seconds.
    pub coast_s: f64,
    /// The burnout-speed fixed point of a powered boost, m/s (`None`: held at an end of the family).
    pub speed_mps: Option<f64>,
}

/// [`flyout`] with a warm start from the neighbouring intercept time's flyout: the cheapest coast is
/// searched within [`HINT_COAST_HALF_WIDTH_S`] of the hint's first (the whole span again when the minimum
/// lands on that narrow bracket's edge), and a powered boost's fixed point is bracketed from the hint's
/// speed and one [`HINT_SPEED_STEP_MPS`] away (the family's ends when the root is not between them). The
/// same answer as without the hint, to the searches' tolerances (1 ms of coast, 1e-4 m/s of speed), from
/// fewer Lambert solves. Returns the flyout and the hint for the next intercept time.
pub fn flyout_hinted(
    icpt: &Interceptor,
    threat: &ThreatTrack,
    earliest_launch_s: f64,
    t_s: f64,
    hint: Option<FlyoutHint>,
) -> Option<(Flyout, FlyoutHint)> {
    flyout_search(
        icpt,
        threat,
        earliest_launch_s,
        t_s,
        hint,
        false,
        &aim(icpt, threat, t_s)?,
    )
}

/// What a flyout to a threat's position at one time aims at, whatever its launch and speed: the threat's
/// inertial position and velocity there, that point's geodetic position, and the geodesic from the
/// battery's silo to its sub-point. Computed once per grid time ([`FreeFlyouts`]) for every re-solve there.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Aim {
    p_in: Vec3,
    v_threat: Vec3,
    p_geo: Geodetic,
    to_p: geodesy::Inverse,
}

/// The [`Aim`] of `icpt` at `threat`'s position at `t_s`; `None` when no flyout can make that intercept
/// (not on the ballistic part, or below the battery's lowest intercept).
fn aim(icpt: &Interceptor, threat: &ThreatTrack, t_s: f64) -> Option<Aim> {
    let (p_in, v_threat) = threat.inertial_at(t_s)?;
    let omega = EarthModel::contract().omega_rad_per_s;
    let p_ecef = rotate_z(p_in, -omega * (t_s - threat.missile.burn_time_s));
    let p_geo = ecef_to_geodetic(p_ecef);
    if p_geo.h_m < icpt.min_intercept_alt_m {
        return None;
    }
    let to_p = geodesy::inverse(icpt.site.lat_deg, icpt.site.lon_deg, p_geo.lat_deg, p_geo.lon_deg).ok()?;
    Some(Aim {
        p_in,
        v_threat,
        p_geo,
        to_p,
    })
}

/// Step below the longest coast at which the speed is compared with the speed at that coast, seconds: the
/// same as the coast searches' tolerance.
const BOUND_STEP_S: f64 = 1e-3;

/// [`flyout_hinted`]; with `bound_first`, each cheapest coast is first looked for at the longest coast
/// allowed, `t_s − earliest_launch_s − burn time`: when the speed there is lower than [`BOUND_STEP_S`]
/// before it, the speed still falls at the bound, so (the speed being unimodal in the coast) the cheapest
/// coast allowed is the bound, to the search's tolerance, and no search is made.
fn flyout_search(
    icpt: &Interceptor,
    threat: &ThreatTrack,
    earliest_launch_s: f64,
    t_s: f64,
    hint: Option<FlyoutHint>,
    bound_first: bool,
    aim: &Aim,
) -> Option<(Flyout, FlyoutHint)> {
    let Aim {
        p_in,
        v_threat,
        p_geo,
        to_p,
    } = *aim;
    let model = EarthModel::contract();
    let omega = model.omega_rad_per_s;
    let tb_threat = threat.missile.burn_time_s;
    let coast_max = t_s - earliest_launch_s - icpt.burn_time_s;
    if coast_max < MIN_COAST_S {
        return None;
    }
    // Burnout point: towards the intercept point's sub-point, at most half-way there.
    let line = geodesy::geodesic::Line::new(icpt.site.lat_deg, icpt.site.lon_deg, to_p.azi1_deg).ok()?;
    let burnout_point = |alt_m: f64, downrange_m: f64| -> Option<Vec3> {
        let d = downrange_m.min(0.5 * to_p.distance_m);
        let b = line.direct(d).ok()?;
        Some(
            Geodetic {
                lat_deg: b.lat2_deg,
                lon_deg: b.lon2_deg,
                h_m: alt_m,
            }
            .to_ecef(),
        )
    };

    // Earth-relative burnout speed, inertial burnout velocity and arrival velocity from the Earth-fixed
    // burnout point `b_ecef` for a coast of `coast` seconds.
    let solve = |b_ecef: Vec3, coast: f64| -> Option<(f64, Vec3, Vec3)> {
        let t_burnout = t_s - coast;
        let b_in = rotate_z(b_ecef, omega * (t_burnout - tb_threat));
        let prograde = b_in.cross(p_in).z >= 0.0;
        let sol = flight::lambert(b_in, p_in, coast, model.mu_m3ps2, prograde, 0).ok()?;
        let s = sol.solutions.first()?;
        let v_rel = s.v1_mps - model.omega().cross(b_in);
        Some((v_rel.norm(), s.v1_mps, s.v2_mps))
    };
    // The cheapest coast from `b_ecef`: (coast, speed); near the hint's coast first.
    let guess = hint.map(|h| h.coast_s + INTERCEPT_STEP_S);
    let cheapest = |b_ecef: Vec3| -> (f64, f64) {
        let speed = |coast: f64| solve(b_ecef, coast).map_or(f64::INFINITY, |(v, _, _)| v);
        if bound_first && coast_max - BOUND_STEP_S >= MIN_COAST_S {
            let v_end = speed(coast_max);
            if v_end.is_finite() && speed(coast_max - BOUND_STEP_S) > v_end {
                return (coast_max, v_end);
            }
        }
        let near = guess.and_then(|c| {
            let a = (c - HINT_COAST_HALF_WIDTH_S).max(MIN_COAST_S);
            let b = (c + HINT_COAST_HALF_WIDTH_S).min(coast_max);
            if b - a < 1.0 {
                return None;
            }
            let (x, v) = brent_min(speed, a, b, 1e-3);
            // A minimum on the narrow bracket's inner edge may lie beyond it: search the whole span.
            let at_edge = (a > MIN_COAST_S && x - a < 0.01) || (b < coast_max && b - x < 0.01);
            (!at_edge && v.is_finite()).then_some((x, v))
        });
        let (mut coast, mut v) = near.unwrap_or_else(|| brent_min(speed, MIN_COAST_S, coast_max, 1e-3));
        let v_end = speed(coast_max);
        if v_end < v {
            (coast, v) = (coast_max, v_end);
        }
        (coast, v)
    };
    let (b_ecef, coast, v) = match &icpt.boost {
        None => {
            let b = burnout_point(icpt.burnout_alt_m, icpt.burnout_downrange_m)?;
            let (c, v) = cheapest(b);
            (b, c, v)
        }
        Some(curve) => {
            let at = |speed: f64| -> Option<(Vec3, f64, f64)> {
                let (h, d) = curve.burnout_at(to_p.azi1_deg, speed);
                let b = burnout_point(h, d)?;
                let (c, v) = cheapest(b);
                Some((b, c, v))
            };
            let (lo, hi) = curve.speed_span_mps();
            // From the hint's speed: a bracket of the root one step wide when it holds one.
            let hinted = hint.and_then(|h| h.speed_mps).filter(|&v| v > lo && v < hi);
            let near = match hinted {
                None => None,
                Some(v0) => {
                    let x0 = at(v0)?;
                    let up = x0.2 - v0 > 0.0;
                    let v1 = if up {
                        (v0 + HINT_SPEED_STEP_MPS).min(hi)
                    } else {
                        (v0 - HINT_SPEED_STEP_MPS).max(lo)
                    };
                    let x1 = at(v1)?;
                    // G − v changes sign between v0 and v1: the root lies between them.
                    match (up != (x1.2 - v1 > 0.0), up) {
                        (true, true) => Some(fixed_point(&at, (v0, x0), (v1, x1))),
                        (true, false) => Some(fixed_point(&at, (v1, x1), (v0, x0))),
                        _ => None,
                    }
                }
            };
            if let Some(found) = near {
                found?
            } else {
                let low = at(lo)?;
                let high = at(hi)?;
                if low.2 <= lo {
                    // The slowest member that lifts off already suffices: no slower member flies, so the
                    // required speed is its burnout speed (never a speed below the family's span with that
                    // member's burnout point).
                    (low.0, low.1, lo)
                } else if high.2 > hi {
                    // Beyond the fastest member: its burnout point is held.
                    high
                } else {
                    fixed_point(&at, (lo, low), (hi, high))?
                }
            }
        }
    };
    if !v.is_finite() {
        return None;
    }
    let (_, v_depart, v_arrive) = solve(b_ecef, coast)?;
    // The burnout state in an inertial frame aligned with the Earth-fixed one at interceptor burnout.
    let t_burnout = t_s - coast;
    let aligned = flight::InertialState {
        r_inertial_m: b_ecef,
        v_inertial_mps: rotate_z(v_depart, -omega * (t_burnout - tb_threat)),
    };
    let burnout = BurnoutState::from_inertial(&model, &aligned);
    let next = FlyoutHint {
        coast_s: coast,
        speed_mps: icpt
            .boost
            .as_ref()
            .map(|c| c.speed_span_mps())
            .filter(|&(lo, hi)| v > lo && v < hi)
            .map(|_| v),
    };
    Some((
        Flyout {
            intercept_time_s: t_s,
            required_speed_mps: v,
            launch_time_s: t_s - coast - icpt.burn_time_s,
            intercept_alt_m: p_geo.h_m,
            closing_speed_mps: (v_threat - v_arrive).norm(),
            burnout_time_s: t_burnout,
            burnout,
        },
        next,
    ))
}

/// What a battery, cued by a radar, can do against one threat trajectory.
#[derive(Debug, Clone)]
pub struct Engagement {
    /// First radar detection, seconds since threat launch (`None`: never seen, so never engaged).
    pub first_detection_s: Option<f64>,
    /// Intervals during which the radar tracks the warhead, seconds since launch.
    pub track_intervals_s: Vec<(f64, f64)>,
    /// Earliest interceptor launch (first detection + commit delay), seconds since threat launch.
    pub commit_time_s: Option<f64>,
    /// Impact time, seconds since launch.
    pub impact_time_s: f64,
    /// Cheapest flyouts to the grid's intercept times ([`grid_time_s`], every [`INTERCEPT_STEP_S`]; launch
    /// at commit or later).
    pub flyouts: Vec<Flyout>,
}

impl Engagement {
    /// The lowest burnout speed that engages the threat at all (m/s), and the flyout that needs it.
    /// A flyout faster than [`crate::reach::MAX_BALLISTIC_MPS`] (a hyperbolic orbit, which no
    /// interceptor flies) engages nothing: a threat only such flyouts reach has no crossover, as on the
    /// maps.
    pub fn crossover(&self) -> Option<&Flyout> {
        self.flyouts
            .iter()
            .filter(|f| f.required_speed_mps <= crate::reach::MAX_BALLISTIC_MPS)
            .min_by(|a, b| a.required_speed_mps.total_cmp(&b.required_speed_mps))
    }

    /// The engagement window at burnout speed `speed_mps`: the earliest and the latest sampled intercepts
    /// the battery can make.
    pub fn window(&self, speed_mps: f64) -> Option<(Flyout, Flyout)> {
        let mut ok = self.flyouts.iter().filter(|f| f.required_speed_mps <= speed_mps);
        let first = *ok.next()?;
        let last = ok.next_back().copied().unwrap_or(first);
        Some((first, last))
    }
}

/// Cues `icpt` with `radar` against `threat` and computes the required speed along the trajectory.
pub fn engage(radar: &Radar, icpt: &Interceptor, threat: &ThreatTrack) -> Engagement {
    engage_network(std::slice::from_ref(radar), icpt, threat)
}

/// Intervals (seconds since launch) during which `radar` tracks the warhead of `threat`.
pub fn track_intervals(radar: &Radar, threat: &ThreatTrack) -> Vec<(f64, f64)> {
    let track = |t: f64| threat.ecef_at(t);
    radar.track_intervals(
        &track,
        0.0,
        threat.impact_time_s(),
        RADAR_STEP_S,
        threat.missile.rcs_m2,
    )
}

/// The union of interval lists, sorted and with overlapping or touching intervals merged.
pub fn merge_intervals(mut all: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut out: Vec<(f64, f64)> = Vec::with_capacity(all.len());
    for (a, b) in all {
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

/// Earliest interceptor launch of the free scan ([`FreeFlyouts`]), seconds since threat launch: no radar
/// tracks a threat before its launch, so no commit comes earlier.
pub const FREE_EARLIEST_LAUNCH_S: f64 = 0.0;

/// Intercept time `k` of the grid every engagement samples, seconds since threat launch: threat burnout
/// plus `k` × [`INTERCEPT_STEP_S`]. The grid is fixed in threat time, whatever the commit: a later commit
/// only removes times from its start (and shortens the coast allowed at the rest).
pub fn grid_time_s(threat: &ThreatTrack, k: usize) -> f64 {
    threat.missile.burn_time_s + k as f64 * INTERCEPT_STEP_S
}

/// How many grid times ([`grid_time_s`]) lie between threat burnout and impact.
pub fn grid_len(threat: &ThreatTrack) -> usize {
    let span = threat.impact_time_s() - threat.missile.burn_time_s;
    if span.is_finite() && span >= 0.0 {
        (span / INTERCEPT_STEP_S).floor() as usize + 1
    } else {
        0
    }
}

/// The first grid index whose time is at or after `start_s`.
fn grid_index_from(threat: &ThreatTrack, start_s: f64) -> usize {
    let tb = threat.missile.burn_time_s;
    let mut k = ((start_s - tb) / INTERCEPT_STEP_S).ceil().max(0.0) as usize;
    while k > 0 && grid_time_s(threat, k - 1) >= start_s {
        k -= 1;
    }
    while grid_time_s(threat, k) < start_s && k <= grid_len(threat) {
        k += 1;
    }
    k
}

/// The cheapest flyouts of a battery against a threat at every grid time ([`grid_time_s`]) with the
/// launch constrained only by the threat's launch ([`FREE_EARLIEST_LAUNCH_S`]), each search started
/// where the previous time's ended ([`flyout_hinted`]). They depend on no radar and no commit time:
/// the flyouts of any commit follow from them ([`FlyoutMemo::at`]).
#[derive(Debug, Clone, PartialEq)]
pub struct FreeFlyouts {
    flyouts: Vec<Option<(Flyout, FlyoutHint)>>,
    /// Each grid time's aim, for the re-solves there (`None` where no flyout is found).
    aims: Vec<Option<Aim>>,
}

impl FreeFlyouts {
    /// Scans every grid time of `threat` for `icpt`.
    pub fn new(icpt: &Interceptor, threat: &ThreatTrack) -> FreeFlyouts {
        let mut hint = None;
        let (flyouts, aims) = (0..grid_len(threat))
            .map(|k| {
                let t = grid_time_s(threat, k);
                let aim = aim(icpt, threat, t);
                let found =
                    aim.and_then(|a| flyout_search(icpt, threat, FREE_EARLIEST_LAUNCH_S, t, hint, false, &a));
                hint = found.map(|(_, h)| h);
                (found, found.and(aim))
            })
            .unzip();
        FreeFlyouts { flyouts, aims }
    }

    /// The free flyout at grid time `k`, if any.
    pub fn get(&self, k: usize) -> Option<&Flyout> {
        self.flyouts.get(k)?.as_ref().map(|(f, _)| f)
    }

    /// How many grid times there are.
    pub fn len(&self) -> usize {
        self.flyouts.len()
    }

    /// Whether the grid is empty (the threat has no ballistic part).
    pub fn is_empty(&self) -> bool {
        self.flyouts.is_empty()
    }
}

/// The flyouts of one battery against one threat: its free scan ([`FreeFlyouts`], made on first use or
/// given), and the flyouts re-solved where an earliest launch binds, by the bits of that earliest launch
/// (seconds since threat launch) and the grid index. Every engagement and shoot-look-shoot count of the
/// battery against the threat, at any commit and speed, reads its flyouts through one memo
/// ([`FlyoutMemo::at`]), which answers the same with or without what it already holds.
#[derive(Debug, Clone, Default)]
pub struct FlyoutMemo {
    free: Option<Arc<FreeFlyouts>>,
    bound: HashMap<(u64, usize), Option<Flyout>>,
}

impl FlyoutMemo {
    /// An empty memo: the free scan is made on first use.
    pub fn new() -> FlyoutMemo {
        FlyoutMemo::default()
    }

    /// A memo holding the free scan `free` (which must be of this battery against this threat).
    pub fn with_free(free: Arc<FreeFlyouts>) -> FlyoutMemo {
        FlyoutMemo {
            free: Some(free),
            bound: HashMap::new(),
        }
    }

    /// The free scan, made now when the memo has none.
    pub fn free(&mut self, icpt: &Interceptor, threat: &ThreatTrack) -> Arc<FreeFlyouts> {
        self.free
            .get_or_insert_with(|| Arc::new(FreeFlyouts::new(icpt, threat)))
            .clone()
    }

    /// How many re-solved flyouts the memo holds.
    pub fn len(&self) -> usize {
        self.bound.len()
    }

    /// Whether the memo holds no re-solved flyout.
    pub fn is_empty(&self) -> bool {
        self.bound.is_empty()
    }

    /// Forgets the re-solved flyouts (the free scan is kept).
    pub fn clear(&mut self) {
        self.bound.clear();
    }

    /// The cheapest flyout of `icpt` launched no earlier than `earliest_launch_s` to grid time `k`.
    ///
    /// The speed needed for a coast c is taken to be unimodal in c (falling to its least value, then
    /// rising: the Lambert arcs between two fixed points, as checked along europe-2008's trajectories in
    /// the tests). The cheapest coast allowed, c ≤ C = t − earliest launch − burn time, is then the free
    /// one c* when c* ≤ C (the launch of the free flyout is not before the earliest launch): that flyout
    /// is returned as it is. Otherwise the speed still falls at C, and the flyout is re-solved with its
    /// coast at C ([`flyout_search`] looking at the bound first; under a powered boost the burnout-speed
    /// fixed point is solved again, its free speed the first guess). An earliest launch before
    /// [`FREE_EARLIEST_LAUNCH_S`] is solved afresh.
    pub fn at(
        &mut self,
        icpt: &Interceptor,
        threat: &ThreatTrack,
        earliest_launch_s: f64,
        k: usize,
    ) -> Option<Flyout> {
        let t = grid_time_s(threat, k);
        if t - earliest_launch_s - icpt.burn_time_s < MIN_COAST_S {
            return None;
        }
        let (hint, aim) = if earliest_launch_s >= FREE_EARLIEST_LAUNCH_S {
            let free = self.free(icpt, threat);
            let (f, h) = free.flyouts.get(k).copied().flatten()?;
            if f.launch_time_s >= earliest_launch_s {
                return Some(f);
            }
            let hint = FlyoutHint {
                coast_s: h.coast_s - INTERCEPT_STEP_S,
                speed_mps: h.speed_mps,
            };
            (Some(hint), free.aims.get(k).copied().flatten())
        } else {
            (None, None)
        };
        *self
            .bound
            .entry((earliest_launch_s.to_bits(), k))
            .or_insert_with(|| {
                let aim = aim.or_else(|| self::aim(icpt, threat, t))?;
                flyout_search(icpt, threat, earliest_launch_s, t, hint, true, &aim).map(|(f, _)| f)
            })
    }

    /// The flyouts of `icpt` committed at `commit_s` against `threat`, one per grid time it can reach
    /// ([`FlyoutMemo::at`]).
    pub fn flyouts_after(&mut self, icpt: &Interceptor, threat: &ThreatTrack, commit_s: f64) -> Vec<Flyout> {
        let start = grid_index_from(threat, commit_s + icpt.burn_time_s + MIN_COAST_S);
        (start..grid_len(threat))
            .filter_map(|k| self.at(icpt, threat, commit_s, k))
            .collect()
    }

    /// What [`FlyoutMemo::at`] would answer, without re-solving: the answer when it is known (the free
    /// flyout where the earliest launch does not bind, a re-solve held, or none at all), otherwise a
    /// lower bound on its required speed ([`Bounded::AtLeast`]).
    ///
    /// A flyout re-solved under an earliest launch that binds needs at least the free flyout's speed:
    /// it is the cheapest over fewer launch times (a shorter longest coast), and under a powered boost the
    /// fixed point v = G(b(v)) of a G no lower at every v is no lower. Both are found to the searches'
    /// tolerances (1e-4 m/s, 1 ms of coast), so the bound is the free speed less
    /// [`REUSE_MARGIN_MPS`]; `tests/flyout_reuse.rs` holds it on every commit-bound flyout of europe-2008's
    /// study.
    pub fn bounded(
        &mut self,
        icpt: &Interceptor,
        threat: &ThreatTrack,
        earliest_launch_s: f64,
        k: usize,
    ) -> Bounded {
        let t = grid_time_s(threat, k);
        if t - earliest_launch_s - icpt.burn_time_s < MIN_COAST_S {
            return Bounded::Known(None);
        }
        let lowest = if earliest_launch_s >= FREE_EARLIEST_LAUNCH_S {
            // As `at` answers before it looks at the re-solves held.
            let free = self.free(icpt, threat);
            match free.get(k) {
                None => return Bounded::Known(None),
                Some(f) if f.launch_time_s >= earliest_launch_s => return Bounded::Known(Some(*f)),
                Some(f) => f.required_speed_mps - REUSE_MARGIN_MPS,
            }
        } else {
            f64::NEG_INFINITY
        };
        match self.bound.get(&(earliest_launch_s.to_bits(), k)) {
            Some(held) => Bounded::Known(*held),
            None => Bounded::AtLeast(lowest),
        }
    }

    /// The first flyout, from grid time `start` on, of `icpt` launched no earlier than
    /// `earliest_launch_s` that burnout speed `speed_mps` makes ([`FlyoutMemo::at`]): the grid times
    /// whose bound ([`FlyoutMemo::bounded`]) is above that speed are not re-solved.
    pub fn first_within(
        &mut self,
        icpt: &Interceptor,
        threat: &ThreatTrack,
        earliest_launch_s: f64,
        start: usize,
        speed_mps: f64,
    ) -> Option<Flyout> {
        (start..grid_len(threat)).find_map(|k| self.within(icpt, threat, earliest_launch_s, k, speed_mps))
    }

    /// [`FlyoutMemo::at`] at grid time `k` when it could be within `speed_mps`, solved only then.
    fn within(
        &mut self,
        icpt: &Interceptor,
        threat: &ThreatTrack,
        earliest_launch_s: f64,
        k: usize,
        speed_mps: f64,
    ) -> Option<Flyout> {
        let found = match self.bounded(icpt, threat, earliest_launch_s, k) {
            Bounded::Known(f) => f,
            Bounded::AtLeast(v) if v > speed_mps => None,
            Bounded::AtLeast(_) => self.at(icpt, threat, earliest_launch_s, k),
        };
        found.filter(|f| f.required_speed_mps <= speed_mps)
    }

    /// The flyouts of `icpt` committed at `commit_s` against `threat` that decide its crossover and its
    /// windows at `speeds_mps` ([`Engagement::crossover`], [`Engagement::window`]): those of
    /// [`FlyoutMemo::flyouts_after`] but the re-solves that cannot decide either (whose bound,
    /// [`FlyoutMemo::bounded`], lies above every speed asked and above the crossover), which are not
    /// made. The crossover's required speed and each window at those speeds are those of every flyout.
    pub fn deciding_flyouts(
        &mut self,
        icpt: &Interceptor,
        threat: &ThreatTrack,
        commit_s: f64,
        speeds_mps: &[f64],
    ) -> Vec<Flyout> {
        let start = grid_index_from(threat, commit_s + icpt.burn_time_s + MIN_COAST_S);
        let n = grid_len(threat);
        // Each grid time's answer where known, its bound where not.
        let mut slots: Vec<(usize, Bounded)> = (start..n)
            .map(|k| (k, self.bounded(icpt, threat, commit_s, k)))
            .collect();
        let solve = |memo: &mut FlyoutMemo, slot: &mut (usize, Bounded)| -> Option<Flyout> {
            match slot.1 {
                Bounded::Known(f) => f,
                Bounded::AtLeast(_) => {
                    let f = memo.at(icpt, threat, commit_s, slot.0);
                    slot.1 = Bounded::Known(f);
                    f
                }
            }
        };
        let could_be_within = |b: &Bounded, v: f64| match b {
            Bounded::Known(f) => f.is_some_and(|f| f.required_speed_mps <= v),
            Bounded::AtLeast(lo) => *lo <= v,
        };
        // The crossover first: the unsolved grid times by their bound, lowest first, until the bound
        // reaches the lowest speed found.
        let mut best = slots
            .iter()
            .filter_map(|s| match s.1 {
                Bounded::Known(f) => f.map(|f| f.required_speed_mps),
                Bounded::AtLeast(_) => None,
            })
            .fold(f64::INFINITY, f64::min);
        let mut open: Vec<(f64, usize)> = slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| match s.1 {
                Bounded::AtLeast(lo) => Some((lo, i)),
                Bounded::Known(_) => None,
            })
            .collect();
        open.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        for (lo, i) in open {
            if lo >= best {
                break;
            }
            if let Some(f) = solve(self, &mut slots[i]) {
                best = best.min(f.required_speed_mps);
            }
        }
        // Each window's first and last flyout (none below the crossover).
        for &v in speeds_mps {
            if v < best {
                // No flyout is within the speed: no window.
                continue;
            }
            for slot in slots.iter_mut() {
                if could_be_within(&slot.1, v) && solve(self, slot).is_some_and(|f| f.required_speed_mps <= v)
                {
                    break;
                }
            }
            for slot in slots.iter_mut().rev() {
                if could_be_within(&slot.1, v) && solve(self, slot).is_some_and(|f| f.required_speed_mps <= v)
                {
                    break;
                }
            }
        }
        slots
            .into_iter()
            .filter_map(|(_, b)| match b {
                Bounded::Known(f) => f,
                Bounded::AtLeast(_) => None,
            })
            .collect()
    }
}

/// Margin (m/s) below a free flyout's required speed that a re-solve under a binding earliest launch is
/// taken never to undercut ([`FlyoutMemo::bounded`]): ten thousand times the searches' tolerance.
pub const REUSE_MARGIN_MPS: f64 = 1.0;

/// [`FlyoutMemo::at`]'s answer at one grid time as far as it is known without re-solving
/// ([`FlyoutMemo::bounded`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bounded {
    /// The answer: the flyout, or none.
    Known(Option<Flyout>),
    /// Not solved: any flyout there needs at least this burnout speed, m/s.
    AtLeast(f64),
}

/// The flyouts of `icpt` committed at `commit_s` (seconds since threat launch) against `threat`, one per
/// grid time ([`grid_time_s`], from the earliest the battery can reach to the impact) that it can reach,
/// through a fresh [`FlyoutMemo`]. Every engagement ([`engage_network`], the CLI study, the dashboard's
/// prepared study) reads its flyouts through [`FlyoutMemo::at`], so that they agree to the bit.
pub fn flyouts_after(icpt: &Interceptor, threat: &ThreatTrack, commit_s: f64) -> Vec<Flyout> {
    FlyoutMemo::new().flyouts_after(icpt, threat, commit_s)
}

/// Cues `icpt` with a network of `radars` against `threat`: whichever radar tracks the warhead first
/// cues the battery (the radars share their tracks), so the track intervals are the union of every
/// radar's. With one radar this is [`engage`].
pub fn engage_network(radars: &[Radar], icpt: &Interceptor, threat: &ThreatTrack) -> Engagement {
    engage_network_memo(radars, icpt, threat, &mut FlyoutMemo::new())
}

/// [`engage_network`] reading (and filling) `memo`, which must hold flyouts of this battery against this
/// threat only.
pub fn engage_network_memo(
    radars: &[Radar],
    icpt: &Interceptor,
    threat: &ThreatTrack,
    memo: &mut FlyoutMemo,
) -> Engagement {
    let impact = threat.impact_time_s();
    let intervals = merge_intervals(radars.iter().flat_map(|r| track_intervals(r, threat)).collect());
    let first = intervals.first().map(|iv| iv.0);
    let commit = first.map(|t| t + icpt.commit_delay_s);
    let flyouts = commit.map_or_else(Vec::new, |commit| memo.flyouts_after(icpt, threat, commit));
    Engagement {
        first_detection_s: first,
        track_intervals_s: intervals,
        commit_time_s: commit,
        impact_time_s: impact,
        flyouts,
    }
}

/// Shoot-look-shoot: how many interceptors can be fired in sequence at burnout speed `speed_mps`, each
/// launched after the previous one's intercept plus the kill-assessment time, until the threat is below
/// the minimum intercept height or has landed (at most the battery's count).
pub fn shoot_look_shoot(icpt: &Interceptor, threat: &ThreatTrack, commit_s: f64, speed_mps: f64) -> u32 {
    shoot_look_shoot_memo(icpt, threat, commit_s, speed_mps, &mut FlyoutMemo::new())
}

/// [`shoot_look_shoot`] reading (and filling) `memo`, which must hold flyouts of this battery against this
/// threat only: the same count, each flyout computed once for all the speeds and commits asked. Each shot
/// takes the first grid time, from the earliest its launch allows, whose flyout ([`FlyoutMemo::at`]) is
/// within the speed; the first shot's flyouts are the engagement's.
pub fn shoot_look_shoot_memo(
    icpt: &Interceptor,
    threat: &ThreatTrack,
    commit_s: f64,
    speed_mps: f64,
    memo: &mut FlyoutMemo,
) -> u32 {
    let mut launch = commit_s;
    let mut shots = 0;
    while shots < icpt.count {
        let start = grid_index_from(threat, launch + icpt.burn_time_s + MIN_COAST_S);
        match memo.first_within(icpt, threat, launch, start, speed_mps) {
            Some(f) => {
                shots += 1;
                launch = f.intercept_time_s + icpt.kill_assessment_s;
            }
            None => break,
        }
    }
    shots
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_burnout_speed_fixed_point_is_found_to_a_tenth_of_a_millimetre_per_second_in_few_flights() {
        // Required speeds G(v) that fall with the member's speed (a faster member burns out farther
        // along): linear, curved, and one whose root lies at the bracket's fast end.
        let cases: [(&dyn Fn(f64) -> f64, f64); 3] = [
            (&|v| 7_000.0 - 0.2 * (v - 5_000.0), 6_666.666_666_666_667),
            (&|v| 4_000.0 + 3e7 / v, 7_830.951_894_845_301),
            (&|v| 9_000.0 - 1e-3 * (v - 9_000.0).powi(2), 9_000.0),
        ];
        for (g, root) in cases {
            let count = std::cell::Cell::new(0);
            let at = |v: f64| -> Option<(Vec3, f64, f64)> {
                count.set(count.get() + 1);
                Some((Vec3::new(v, 0.0, 0.0), 100.0, g(v)))
            };
            let (lo, hi) = (3_000.0, 9_000.0);
            let found = fixed_point(&at, (lo, at(lo).unwrap()), (hi, at(hi).unwrap())).unwrap();
            let v = found.0.x;
            assert!((found.2 - v).abs() <= FIXED_POINT_TOL_MPS, "{v} {}", found.2);
            assert!((v - root).abs() < 1e-3, "{v} against {root}");
            assert!(count.get() <= 12, "{} evaluations", count.get());
        }
        // No member flies at the trial speed: no fixed point.
        let at = |v: f64| -> Option<(Vec3, f64, f64)> {
            (!(4_000.0..=8_000.0).contains(&v)).then(|| (Vec3::new(v, 0.0, 0.0), 1.0, 6_000.0))
        };
        assert!(
            fixed_point(
                &at,
                (3_000.0, at(3_000.0).unwrap()),
                (9_000.0, at(9_000.0).unwrap())
            )
            .is_none()
        );
    }
}
