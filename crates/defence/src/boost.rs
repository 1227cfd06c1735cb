//! The interceptor's boost phase: fixed (a burn time, burnout height and downrange from the scenario) or
//! powered (the scenario's rocket flown by [`flight::fly_boost`]).
//!
//! # Powered boost
//! The battery's burnout speed stays the disputed parameter. It is defined at the vehicle's *reference
//! programme* (vertical rise, kick angle and kick duration of its [`VehicleDef`]): the vehicle is scaled
//! ([`scaled`]: every stage's propellant, dry mass and nozzle exit area by one factor s, its reference
//! area by s^(2/3) as for a geometrically similar body; burn times, specific impulses and drag
//! coefficients kept, payload unchanged) until, flown with that programme, its Earth-relative burnout
//! speed is the assumed one ([`size_interceptor`], Brent's method on s). Burnout time, height and
//! downrange then follow from the flight.
//!
//! For reach, the family of scaled vehicles is flown once per battery ([`BoostCurve::fly`]) at a ladder of
//! scale factors toward each of [`FAN_SECTORS`] launch azimuths (a flyout fan, one sector every
//! [`FAN_STEP_DEG`]), giving burnout height and downrange as functions of launch azimuth and burnout
//! speed. An interceptor of
//! burnout speed v then starts its coast at the burnout point of the family member of speed v (toward the
//! intercept point's sub-point, at most half-way there), its burn time being the family's (scaling keeps
//! burn times). The coast is the point-gravity Lambert arc of the fixed model, so the coast direction is
//! free: the kick that would point the burnout velocity along the arc is not flown, which moves the
//! burnout point by the difference between that kick's flight and the reference one (an optimistic
//! simplification for the interceptor). The required speed at a point is the fixed point v = G(b(v)),
//! where G is the lowest Lambert speed from the burnout point b(v): a slow interceptor no longer gets a
//! high, distant burnout point for free. Where the slowest member that lifts off already reaches a point,
//! the required speed is that member's burnout speed: no slower member flies, so no required speed lies
//! below the family's span (`tests/crossover_bound.rs` holds crossovers against steered, flown rockets).
//!
//! The Earth's rotation makes the geometry depend on the direction: the Coriolis acceleration −2ω × v of
//! an eastward climb points partly upward, of a westward one partly downward, so the same member burns
//! out higher toward the east (and its Earth-relative speed differs a little). Between two sectors the
//! burnout geometry is interpolated linearly in azimuth; `tests/boost.rs` checks the fan against vehicles
//! flown directly toward azimuths between the sectors. The burnout sub-point is placed on the geodesic
//! toward the intercept point (the few kilometres of Coriolis cross-range are not carried).
//!
//! The burnout speed that sizes the battery's vehicle ([`size_interceptor`]) is defined toward 90° (east).

use std::sync::Arc;

use flight::{Boost, PoweredOptions, Vehicle, fly_boost};
use geodesy::Geodetic;
use rayon::prelude::*;

use crate::scenario::VehicleDef;

/// Largest number of family members a [`BoostCurve`] holds per sector.
pub const CURVE_POINTS: usize = 40;
/// Launch azimuth at which the burnout speed sizing the battery's vehicle is defined, degrees.
pub const FAMILY_AZIMUTH_DEG: f64 = 90.0;
/// Number of launch-azimuth sectors of the flyout fan.
pub const FAN_SECTORS: usize = 12;
/// Azimuth step between the fan's sectors, degrees.
pub const FAN_STEP_DEG: f64 = 360.0 / FAN_SECTORS as f64;
/// Relative tolerance of the family's flights (looser than the sizing's 1e-12 to keep a battery's set-up
/// cheap; `tests/boost.rs` checks the fan's burnout height and downrange, interpolation included,
/// against vehicles flown at 1e-12 within 200 m).
pub const FAMILY_RTOL: f64 = 1e-8;
/// A sector's ladder stops at the first member less than this much faster than the one before, m/s,
/// once it holds two members (the payload then dominates: the remaining members, up to 43 times larger,
/// gain under 0.5 % together).
pub const LADDER_STOP_GAIN_MPS: f64 = 50.0;

/// Which boost model flies interceptors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BoostModel {
    /// The interceptor's rocket is flown (its vehicle sized to each burnout speed).
    #[default]
    Powered,
    /// A fixed burn time, burnout height and downrange from the scenario.
    Fixed,
}

/// The threats' boost model of a footprint or sweep (`"powered"`, `"fixed"` or `"mixed"`, see
/// [`crate::sweep::threats_boost`]) in words, for their outputs.
pub fn threat_boost_words(name: &str) -> &'static str {
    match name {
        "powered" => {
            "threats fly powered (each missile's rocket: burn time, burnout height, downrange, flight-path angle and boost track of the programme that reaches the range, from its flown range table; conic from burnout)"
        }
        "mixed" => "threats fly powered where their missile names a vehicle, the fixed boost otherwise",
        _ => "threats fly the fixed boost (burn time, burnout height and downrange from the scenario)",
    }
}

impl BoostModel {
    /// `"powered"` or `"fixed"`.
    pub fn name(self) -> &'static str {
        match self {
            BoostModel::Powered => "powered",
            BoostModel::Fixed => "fixed",
        }
    }

    /// One sentence for reports.
    pub fn describe(self) -> &'static str {
        match self {
            BoostModel::Powered => {
                "powered: the interceptor's rocket is flown to burnout (vehicle sized to each burnout speed at its reference programme)"
            }
            BoostModel::Fixed => {
                "fixed: burn time, burnout height and downrange from the scenario for interceptors and threats"
            }
        }
    }
}

impl std::str::FromStr for BoostModel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "powered" => Ok(BoostModel::Powered),
            "fixed" => Ok(BoostModel::Fixed),
            other => Err(format!(
                "unknown boost model \"{other}\" (expected powered or fixed)"
            )),
        }
    }
}

/// Why a powered boost could not be set up.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum BoostError {
    /// The powered model needs a vehicle the battery does not name (or the scenario lacks).
    #[error(
        "battery {battery} has no vehicle for the powered boost model (add `vehicle = \"NAME\"` and a [[vehicles]] entry, or use --boost fixed)"
    )]
    NoVehicle {
        /// Battery name.
        battery: String,
    },
    /// The vehicle could not be built or flown.
    #[error("vehicle {vehicle}: {reason}")]
    Vehicle {
        /// Vehicle name.
        vehicle: String,
        /// What went wrong.
        reason: String,
    },
}

/// The family flown toward one launch azimuth: burnout height and downrange by burnout speed.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Sector {
    n: usize,
    speed_mps: [f64; CURVE_POINTS],
    alt_m: [f64; CURVE_POINTS],
    downrange_m: [f64; CURVE_POINTS],
}

impl Sector {
    /// Burnout height and downrange (m) at `speed_mps`, interpolated linearly between members; held at the
    /// slowest (fastest) member's below (above) the sector's span.
    fn burnout_at(&self, speed_mps: f64) -> (f64, f64) {
        let s = &self.speed_mps[..self.n];
        if speed_mps <= s[0] {
            return (self.alt_m[0], self.downrange_m[0]);
        }
        if speed_mps >= s[self.n - 1] {
            return (self.alt_m[self.n - 1], self.downrange_m[self.n - 1]);
        }
        let i = s.partition_point(|&x| x <= speed_mps);
        let w = (speed_mps - s[i - 1]) / (s[i] - s[i - 1]);
        (
            self.alt_m[i - 1] + w * (self.alt_m[i] - self.alt_m[i - 1]),
            self.downrange_m[i - 1] + w * (self.downrange_m[i] - self.downrange_m[i - 1]),
        )
    }
}

/// Burnout height and downrange of a vehicle family as functions of launch azimuth and burnout speed: the
/// family of [`scaled`] vehicles flown with the reference programme toward each sector of the fan.
#[derive(Debug, Clone, PartialEq)]
pub struct BoostCurve {
    sectors: Arc<[Sector]>,
    /// Time from liftoff to burnout (the same for every member), seconds.
    pub burn_time_s: f64,
}

/// The vehicle `base` scaled by `factor` (> 0): every stage's propellant, dry mass and nozzle exit area
/// times `factor` (thrust and back-pressure in proportion), its reference area times `factor`^(2/3)
/// (a geometrically similar body), payload unchanged.
pub fn scaled(base: &Vehicle, factor: f64) -> Result<Vehicle, flight::Error> {
    let mut stages = base.stages().to_vec();
    for st in &mut stages {
        st.propellant_kg *= factor;
        st.dry_kg *= factor;
        st.nozzle_exit_area_m2 *= factor;
        st.reference_area_m2 *= factor.powf(2.0 / 3.0);
    }
    Vehicle::try_new(stages, base.payload_kg())
}

/// Powered-flight settings of the family.
fn options(rtol: f64) -> PoweredOptions {
    PoweredOptions {
        rtol,
        ..PoweredOptions::default()
    }
}

fn vehicle_error(def: &VehicleDef, e: impl std::fmt::Display) -> BoostError {
    BoostError::Vehicle {
        vehicle: def.name.clone(),
        reason: e.to_string(),
    }
}

/// Ground distance (m) from `site` to the burnout sub-point of `boost`.
fn downrange_m(def: &VehicleDef, site: Geodetic, boost: &Boost) -> Result<f64, BoostError> {
    let b = &boost.burnout;
    geodesy::inverse(site.lat_deg, site.lon_deg, b.lat_deg, b.lon_deg)
        .map(|g| g.distance_m)
        .map_err(|e| vehicle_error(def, e))
}

impl BoostCurve {
    /// Flies the family of `def` from `site` toward each of the [`FAN_SECTORS`] launch azimuths (0°,
    /// [`FAN_STEP_DEG`], …; in parallel) at scale factors 0.002 × 1.3^k (k = 0 … 38, up to ≈ 43 times the
    /// given vehicle, stopping early once a member gains less than [`LADDER_STOP_GAIN_MPS`]), keeping the
    /// members that lift off, in order of burnout speed.
    pub fn fly(def: &VehicleDef, site: Geodetic) -> Result<BoostCurve, BoostError> {
        let base = def.vehicle().map_or_else(|e| Err(vehicle_error(def, e)), Ok)?;
        let sectors = (0..FAN_SECTORS)
            .into_par_iter()
            .map(|k| fly_sector(def, &base, site, k as f64 * FAN_STEP_DEG))
            .collect::<Result<Vec<Sector>, BoostError>>()?;
        Ok(BoostCurve {
            sectors: sectors.into(),
            burn_time_s: base.burnout_time_s(),
        })
    }

    /// Burnout speeds (m/s) that every sector's family spans: the highest of the sectors' slowest members
    /// and the lowest of their fastest.
    pub fn speed_span_mps(&self) -> (f64, f64) {
        self.sectors.iter().fold((0.0, f64::INFINITY), |(lo, hi), s| {
            (lo.max(s.speed_mps[0]), hi.min(s.speed_mps[s.n - 1]))
        })
    }

    /// Burnout height and downrange (m) of the member of burnout speed `speed_mps` launched toward
    /// `azimuth_deg` (degrees clockwise from north): interpolated linearly between the two neighbouring
    /// sectors and, within each, between members; held at a sector's slowest (fastest) member below
    /// (above) its span.
    pub fn burnout_at(&self, azimuth_deg: f64, speed_mps: f64) -> (f64, f64) {
        let f = azimuth_deg.rem_euclid(360.0) / FAN_STEP_DEG;
        let i = (f.floor() as usize).min(FAN_SECTORS - 1);
        let w = (f - i as f64).clamp(0.0, 1.0);
        let (h0, d0) = self.sectors[i].burnout_at(speed_mps);
        let (h1, d1) = self.sectors[(i + 1) % FAN_SECTORS].burnout_at(speed_mps);
        (h0 + w * (h1 - h0), d0 + w * (d1 - d0))
    }
}

/// The family of `base` flown from `site` toward `azimuth_deg`.
fn fly_sector(
    def: &VehicleDef,
    base: &Vehicle,
    site: Geodetic,
    azimuth_deg: f64,
) -> Result<Sector, BoostError> {
    let programme = def.programme(azimuth_deg);
    let opts = options(FAMILY_RTOL);
    let mut pts: Vec<(f64, f64, f64)> = Vec::new();
    for k in 0..39 {
        let v = scaled(base, 0.002 * 1.3f64.powi(k)).map_err(|e| vehicle_error(def, e))?;
        match fly_boost(&v, site, &programme, &opts) {
            Ok(b) => {
                let p = (b.burnout.speed_mps, b.burnout.alt_m, downrange_m(def, site, &b)?);
                // Keep the curve increasing in speed (a larger member is faster).
                let gain = pts.last().map_or(f64::INFINITY, |l| p.0 - l.0);
                if gain > 0.0 {
                    pts.push(p);
                }
                // Stop once the family's speed saturates — but not before two members are kept: where
                // the steering makes the small members fall back, the first that flies may already be
                // near the family's top speed.
                if gain < LADDER_STOP_GAIN_MPS && pts.len() >= 2 {
                    break;
                }
            }
            Err(flight::Error::Powered { .. }) => {}
            Err(e) => return Err(vehicle_error(def, e)),
        }
    }
    if pts.len() < 2 {
        return Err(vehicle_error(
            def,
            format!(
                "fewer than two members of its family (scaled 0.002 to 43 times) lift off toward {azimuth_deg}°"
            ),
        ));
    }
    let mut c = Sector {
        n: pts.len().min(CURVE_POINTS),
        speed_mps: [0.0; CURVE_POINTS],
        alt_m: [0.0; CURVE_POINTS],
        downrange_m: [0.0; CURVE_POINTS],
    };
    for (i, p) in pts.iter().take(CURVE_POINTS).enumerate() {
        (c.speed_mps[i], c.alt_m[i], c.downrange_m[i]) = *p;
    }
    Ok(c)
}

/// An interceptor vehicle sized to a burnout speed.
#[derive(Debug, Clone)]
pub struct SizedInterceptor {
    /// The vehicle flown.
    pub vehicle: Vehicle,
    /// Its scale against the scenario's vehicle.
    pub scale: f64,
    /// Time from liftoff to burnout, seconds.
    pub burnout_time_s: f64,
    /// Burnout height, metres.
    pub burnout_alt_m: f64,
    /// Ground distance from the silo to the burnout sub-point, metres.
    pub burnout_downrange_m: f64,
    /// Earth-relative burnout speed, m/s.
    pub burnout_speed_mps: f64,
    /// Liftoff mass, kg.
    pub liftoff_mass_kg: f64,
    /// Propellant of all stages, kg.
    pub propellant_kg: f64,
    /// Velocity losses (gravity, drag, steering, back-pressure), m/s.
    pub losses_mps: f64,
}

/// Sizes the vehicle `def` so that, flown from `site` with its reference programme (toward 90°), its
/// burnout speed is `speed_mps` (within 1 mm/s, rtol 1e-12).
pub fn size_interceptor(
    def: &VehicleDef,
    site: Geodetic,
    speed_mps: f64,
) -> Result<SizedInterceptor, BoostError> {
    let base = def.vehicle().map_err(|e| vehicle_error(def, e))?;
    let programme = def.programme(FAMILY_AZIMUTH_DEG);
    let opts = options(1e-12);
    // Burnout speed less the goal at a scale; a member that does not lift off reaches no speed.
    let excess = |f: f64| -> Result<f64, BoostError> {
        let v = scaled(&base, f).map_err(|e| vehicle_error(def, e))?;
        match fly_boost(&v, site, &programme, &opts) {
            Ok(b) => Ok(b.burnout.speed_mps - speed_mps),
            Err(flight::Error::Powered { .. }) => Ok(-speed_mps),
            Err(e) => Err(vehicle_error(def, e)),
        }
    };
    let (mut lo, mut hi) = (0.002, 1.0);
    while excess(hi)? < 0.0 {
        lo = hi;
        hi *= 2.0;
        if hi > 1e3 {
            return Err(vehicle_error(
                def,
                format!("no scaling up to 1000 times reaches a burnout speed of {speed_mps} m/s"),
            ));
        }
    }
    if excess(lo)? >= 0.0 {
        return Err(vehicle_error(
            def,
            format!("even the vehicle scaled to 0.002 exceeds a burnout speed of {speed_mps} m/s"),
        ));
    }
    let mut first: Option<BoostError> = None;
    let root = flight::roots::brent(
        |f| match excess(f) {
            Ok(x) => x,
            Err(e) => {
                first.get_or_insert(e);
                0.0
            }
        },
        lo,
        hi,
        1e-13,
    );
    if let Some(e) = first {
        return Err(e);
    }
    let scale = root.ok_or_else(|| vehicle_error(def, format!("{speed_mps} m/s could not be bracketed")))?;
    let vehicle = scaled(&base, scale).map_err(|e| vehicle_error(def, e))?;
    let boost = fly_boost(&vehicle, site, &programme, &opts).map_err(|e| vehicle_error(def, e))?;
    if (boost.burnout.speed_mps - speed_mps).abs() > 1e-3 {
        return Err(vehicle_error(
            def,
            format!(
                "sizing for {speed_mps} m/s ends at {} m/s (the burnout speed jumps where the flight falls back)",
                boost.burnout.speed_mps
            ),
        ));
    }
    Ok(SizedInterceptor {
        scale,
        burnout_time_s: boost.burnout_time_s,
        burnout_alt_m: boost.burnout.alt_m,
        burnout_downrange_m: downrange_m(def, site, &boost)?,
        burnout_speed_mps: boost.burnout.speed_mps,
        liftoff_mass_kg: vehicle.liftoff_mass_kg(),
        propellant_kg: vehicle.stages().iter().map(|s| s.propellant_kg).sum(),
        losses_mps: boost.losses.total_mps(),
        vehicle,
    })
}
