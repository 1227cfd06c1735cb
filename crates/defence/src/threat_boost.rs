//! Threats flown powered on maps: the burnout geometry of a missile's rocket as a function of ground range,
//! flown once per vehicle and shape ([`ThreatBoostTable`]), for the fast engine of footprints and sweeps.
//!
//! A footprint has thousands of grid points; aiming a powered shot at each ([`flight::aim::aim_at_seeded`],
//! tens of flights) would cost minutes. The shots of one vehicle differ, though, only by their range
//! (and a little by launch latitude and azimuth, through the Earth's rotation), and the vehicle's range
//! table ([`flight::aim::RangeTable`], the study's seeds, flown once per process) already holds the
//! programmes that reach each range from its reference launch (the equator, due north):
//! - **minimum energy**: the vehicle scaled by each tabulated factor, flown at that scale's maximum-range
//!   kick, reaches the tabulated maximum range;
//! - **lofted** (**depressed**): the full vehicle at each tabulated kick steeper (flatter) than its
//!   maximum-range kick reaches the tabulated range.
//!
//! Each such programme's boost is flown here once ([`flight::fly_boost`], the study's options: J2
//! gravity, drag; at the range table's tolerance [`flight::aim::SEARCH_RTOL`]), giving burn time,
//! burnout height, downrange, Earth-relative speed and flight-path angle, and the height and downrange
//! every 1/[`PROFILE_INTERVALS`] of the burn (the boost track the radars see). A grid point's threat
//! takes these interpolated linearly in ground range; its burnout point lies that downrange along the
//! launch → target geodesic and its ballistic flight is the fast engine's point-gravity conic from there
//! to the target ([`crate::footprint::fast_threat_with`]) whose Earth-relative burnout flight-path angle
//! is the flown one (the angle, unlike the speed, changes little with the launch azimuth: the Earth's
//! rotation adds or takes some hundreds of m/s). `tests/threat_boost.rs` holds the result against the
//! study's aimed powered shots ([`crate::engagement::fly_threat_powered`]): time of flight within 8 %,
//! burnout height and downrange within 25 km.
//!
//! Short of the table's nearest range (its smallest tabulated vehicle's maximum range) the nearest
//! programme's boost is held, as the interceptor's family holds its slowest member.
//!
//! Not carried: the Earth's rotation's effect on the burnout geometry (the table is flown due north from
//! the equator; the conic from the burnout point is on the rotating Earth), the few kilometres of
//! cross-range of the gravity turn, and J2 on the coast.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use flight::aim::{REFERENCE_AZIMUTH_DEG, REFERENCE_SITE};
use flight::{PoweredOptions, Programme, fly_boost};

use crate::boost::BoostError;
use crate::scenario::VehicleDef;
use crate::study::ShapeChoice;

/// The boost track is held every 1/`PROFILE_INTERVALS` of the burn time.
pub const PROFILE_INTERVALS: usize = 24;

/// Height and downrange (m) of a boost at `PROFILE_INTERVALS + 1` evenly spaced times from liftoff to
/// burnout.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoostProfile {
    /// Height above the ellipsoid, m.
    pub alt_m: [f64; PROFILE_INTERVALS + 1],
    /// Ground distance from the launch point, m.
    pub downrange_m: [f64; PROFILE_INTERVALS + 1],
}

impl BoostProfile {
    /// Height and downrange (m) at the fraction `f` (clamped to [0, 1]) of the burn, interpolated
    /// linearly between samples.
    pub fn at(&self, f: f64) -> (f64, f64) {
        let x = f.clamp(0.0, 1.0) * PROFILE_INTERVALS as f64;
        let i = (x.floor() as usize).min(PROFILE_INTERVALS - 1);
        let w = x - i as f64;
        (
            self.alt_m[i] + w * (self.alt_m[i + 1] - self.alt_m[i]),
            self.downrange_m[i] + w * (self.downrange_m[i + 1] - self.downrange_m[i]),
        )
    }

    fn lerp(&self, other: &BoostProfile, w: f64) -> BoostProfile {
        let mut out = *self;
        for i in 0..=PROFILE_INTERVALS {
            out.alt_m[i] += w * (other.alt_m[i] - self.alt_m[i]);
            out.downrange_m[i] += w * (other.downrange_m[i] - self.downrange_m[i]);
        }
        out
    }
}

/// The flown boost of the programme that reaches one range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PoweredBurnout {
    /// Ground range from launch to impact from the reference launch, m.
    pub range_m: f64,
    /// Time from liftoff to burnout, s.
    pub burn_time_s: f64,
    /// Burnout height, m.
    pub burnout_alt_m: f64,
    /// Ground distance from the launch point to the burnout sub-point, m.
    pub burnout_downrange_m: f64,
    /// Earth-relative burnout speed, m/s.
    pub burnout_speed_mps: f64,
    /// Flight-path angle of the Earth-relative burnout velocity above the local horizontal, degrees.
    pub burnout_fpa_deg: f64,
    /// The boost track.
    pub profile: BoostProfile,
}

/// A vehicle's flown boosts by range for one trajectory shape (see the module's documentation).
#[derive(Debug, Clone, PartialEq)]
pub struct ThreatBoostTable {
    /// The trajectory shape.
    pub shape: ShapeChoice,
    /// Flown boosts, range ascending.
    entries: Vec<PoweredBurnout>,
}

type Cache = Mutex<HashMap<String, Arc<ThreatBoostTable>>>;

fn vehicle_error(def: &VehicleDef, e: impl std::fmt::Display) -> BoostError {
    BoostError::Vehicle {
        vehicle: def.name.clone(),
        reason: e.to_string(),
    }
}

impl ThreatBoostTable {
    /// The table of vehicle `def` for `shape`: flown once per vehicle and shape for the life of the
    /// process (the vehicle's range table too, shared with the study's shots).
    pub fn get(def: &VehicleDef, shape: ShapeChoice) -> Result<Arc<ThreatBoostTable>, BoostError> {
        static CACHE: OnceLock<Cache> = OnceLock::new();
        let key = format!("{def:?}|{shape:?}");
        let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
        let poisoned = || vehicle_error(def, "the threat boost cache is poisoned by an earlier panic");
        if let Some(hit) = cache.lock().map_err(|_| poisoned())?.get(&key) {
            return Ok(hit.clone());
        }
        let table = Arc::new(Self::build(def, shape)?);
        cache.lock().map_err(|_| poisoned())?.insert(key, table.clone());
        Ok(table)
    }

    /// Flies the table of vehicle `def` for `shape` (not cached: [`ThreatBoostTable::get`]).
    pub fn build(def: &VehicleDef, shape: ShapeChoice) -> Result<ThreatBoostTable, BoostError> {
        let rocket = def.vehicle().map_err(|e| vehicle_error(def, e))?;
        let options = PoweredOptions {
            rtol: crate::engagement::THREAT_RTOL,
            ..PoweredOptions::default()
        };
        let template = def.programme(0.0);
        let range = crate::engagement::range_table(&rocket, &template, &options)
            .map_err(|e| vehicle_error(def, e))?;
        // The boosts at the range table's own tolerance (interpolated between programmes anyway).
        let options = PoweredOptions {
            rtol: flight::aim::SEARCH_RTOL,
            ..options
        };
        // (vehicle scale, kick in degrees, range in m) of each programme to fly.
        let (k_max, r_max) = range.full_max();
        let programmes: Vec<(f64, f64, f64)> = match shape {
            ShapeChoice::MinEnergy => range.scales().to_vec(),
            ShapeChoice::Lofted => range
                .kicks()
                .iter()
                .filter(|p| p.0 < k_max && p.1 > 0.0)
                .map(|&(k, r)| (1.0, k, r))
                .chain(std::iter::once((1.0, k_max, r_max)))
                .collect(),
            ShapeChoice::Depressed => std::iter::once((1.0, k_max, r_max))
                .chain(
                    range
                        .kicks()
                        .iter()
                        .filter(|p| p.0 > k_max && p.1 > 0.0)
                        .map(|&(k, r)| (1.0, k, r)),
                )
                .collect(),
        };
        // In order of increasing range (the depressed side's ranges fall with the kick).
        let mut programmes = programmes;
        if shape == ShapeChoice::Depressed {
            programmes.reverse();
        }
        let mut entries: Vec<PoweredBurnout> = Vec::with_capacity(programmes.len());
        for (scale, kick_deg, range_m) in programmes {
            let v = rocket
                .with_stages_scaled(scale)
                .map_err(|e| vehicle_error(def, e))?;
            let programme = Programme {
                kick_deg,
                azimuth_deg: REFERENCE_AZIMUTH_DEG,
                ..template
            };
            let boost = match fly_boost(&v, REFERENCE_SITE, &programme, &options) {
                Ok(b) => b,
                Err(flight::Error::Powered { .. }) => continue,
                Err(e) => return Err(vehicle_error(def, e)),
            };
            let tb = boost.burnout_time_s;
            let mut profile = BoostProfile {
                alt_m: [0.0; PROFILE_INTERVALS + 1],
                downrange_m: [0.0; PROFILE_INTERVALS + 1],
            };
            for i in 0..=PROFILE_INTERVALS {
                let t = tb * i as f64 / PROFILE_INTERVALS as f64;
                let p = boost
                    .geodetic_at(t)
                    .ok_or_else(|| vehicle_error(def, format!("no boost state at {t} s")))?;
                profile.alt_m[i] = p.h_m;
                profile.downrange_m[i] = geodesy::inverse(
                    REFERENCE_SITE.lat_deg,
                    REFERENCE_SITE.lon_deg,
                    p.lat_deg,
                    p.lon_deg,
                )
                .map_err(|e| vehicle_error(def, e))?
                .distance_m;
            }
            entries.push(PoweredBurnout {
                range_m,
                burn_time_s: tb,
                burnout_alt_m: boost.burnout.alt_m,
                burnout_downrange_m: profile.downrange_m[PROFILE_INTERVALS],
                burnout_speed_mps: boost.burnout.speed_mps,
                burnout_fpa_deg: boost.burnout.flight_path_angle_deg,
                profile,
            });
        }
        // Keep the chain whose range grows, from the far end (the maximum-range end is flown best; near
        // the vertical a kick's range can fall again where the Earth's rotation carries the impact).
        let mut kept: Vec<PoweredBurnout> = Vec::with_capacity(entries.len());
        for e in entries.into_iter().rev() {
            if kept.last().is_none_or(|l| e.range_m < l.range_m) {
                kept.push(e);
            }
        }
        kept.reverse();
        let entries = kept;
        if entries.len() < 2 {
            return Err(vehicle_error(
                def,
                "fewer than two programmes of its range table fly: no powered threat for maps",
            ));
        }
        Ok(ThreatBoostTable { shape, entries })
    }

    /// The span of ranges (m) the table covers.
    pub fn range_span_m(&self) -> (f64, f64) {
        (
            self.entries[0].range_m,
            self.entries[self.entries.len() - 1].range_m,
        )
    }

    /// The flown boosts, range ascending.
    pub fn entries(&self) -> &[PoweredBurnout] {
        &self.entries
    }

    /// The boost that reaches `range_m`, interpolated linearly in range between the two tabulated
    /// programmes about it; `None` outside [`ThreatBoostTable::range_span_m`].
    pub fn at(&self, range_m: f64) -> Option<PoweredBurnout> {
        let i = self
            .entries
            .windows(2)
            .position(|w| w[0].range_m <= range_m && range_m <= w[1].range_m)?;
        let (a, b) = (&self.entries[i], &self.entries[i + 1]);
        let w = (range_m - a.range_m) / (b.range_m - a.range_m);
        let l = |x: f64, y: f64| x + w * (y - x);
        Some(PoweredBurnout {
            range_m,
            burn_time_s: l(a.burn_time_s, b.burn_time_s),
            burnout_alt_m: l(a.burnout_alt_m, b.burnout_alt_m),
            burnout_downrange_m: l(a.burnout_downrange_m, b.burnout_downrange_m),
            burnout_speed_mps: l(a.burnout_speed_mps, b.burnout_speed_mps),
            burnout_fpa_deg: l(a.burnout_fpa_deg, b.burnout_fpa_deg),
            profile: a.profile.lerp(&b.profile, w),
        })
    }
}
