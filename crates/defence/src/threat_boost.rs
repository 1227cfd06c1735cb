//! Threats flown powered on maps: the burnout geometry and coast time of a missile's rocket as a function
//! of ground range and of the Earth's rotation along the track, flown once per vehicle, shape and
//! rotation node ([`ThreatBoostTable`]), for the fast engine of footprints and sweeps.
//!
//! A footprint has thousands of grid points; aiming a powered shot at each ([`flight::aim::aim_at_seeded`],
//! tens of flights) would cost minutes. The shots of one vehicle differ, though, by their range and by the
//! Earth's rotation along their track. In the Earth-fixed frame the rotation enters the in-plane
//! equations of a boost through the ground's speed along the launch azimuth (an eastward launch from the
//! equator starts with 465 m/s of inertial speed along its track, a westward one 465 m/s against it) and
//! through the Coriolis terms of the vertical and along-track motion (the Eötvös effect): both are
//! proportional to `w = cos(latitude) · sin(azimuth)`, the fraction of the equatorial ground speed that
//! lies along the track. So the table is flown at rotation nodes [`W_NODES`] (`w` from −1, due west on
//! the equator, to 1, due east), each node from the equator toward the azimuth `asin(w)`, and a shot from
//! latitude φ toward azimuth α reads the two nodes about `cos φ · sin α`, interpolated linearly in `w`.
//! The nodes are flown lazily, the first time a map asks for them, and kept for the life of the process.
//!
//! At each node the programmes of the vehicle's range table ([`flight::aim::RangeTable`], the study's
//! seeds, flown once per process from the equator due north) are flown again, boost and J2 coast to
//! impact (the study's gravity, [`flight::aim::SEARCH_RTOL`]):
//! - **minimum energy**: the vehicle scaled by each tabulated factor at its maximum-range kick *at the
//!   node* (parabolas through flights about the tabulated kick, narrowed to 0.1°: the time of flight
//!   changes to first order with the kick where the range does not), reaching its maximum range there;
//! - **lofted** (**depressed**): the full vehicle at its maximum-range kick at the node and at each
//!   tabulated kick steeper (flatter) than it, and the midpoints between them (the coast time is far
//!   from linear in the range over a 2.5° kick step on the depressed side).
//!
//! Each such flight gives burn time, burnout height, downrange, Earth-relative speed and flight-path
//! angle, the height and downrange every 1/[`PROFILE_INTERVALS`] of the burn (the boost track the radars
//! see), the ground range it reaches from the node and its coast time from burnout to impact. A grid
//! point's threat takes these at the same fraction of each node's reach (its range over the reach
//! interpolated in `w`), interpolated linearly in range within a node and in `w` between nodes. Its
//! burnout point lies that downrange along the launch → target geodesic and its ballistic flight is the
//! fast engine's point-gravity conic from there to the target ([`crate::footprint::fast_threat_with`])
//! whose time of flight is the flown coast time (so the impact time is the flown one; the point-gravity
//! conic bends a little differently from the J2 coast in between). `tests/threat_boost.rs` holds the result
//! against the study's aimed powered shots ([`crate::engagement::fly_threat_powered`]) over 14 launch /
//! target pairs from 5° S to 63° N, eastward, westward, northward and southward, all three shapes, the
//! solid and liquid generic ICBMs and the Sejjil-class IRBM: impact time within 2 % (most within
//! 0.7 %), burnout height and downrange within 6 km, the boost track within 10 km at mid-burn; near the
//! full rocket's reach from 51° N (Yasny → Hawaii, lofted and depressed) within 8 % and 25 km. The one
//! table flown due north from the equator that this replaces missed the 14 pairs by up to 6 % and 34 km.
//!
//! Short of a node's nearest range (its smallest tabulated vehicle's maximum range, or its steepest or
//! flattest tabulated kick's range) the nearest programme's boost is held, as the interceptor's family
//! holds its slowest member; the conic then takes that programme's burnout flight-path angle.
//!
//! Not carried: the latitude's effect on the boost apart from `w` (the horizontal Coriolis term across
//! the track, `2ωv sin φ`, and the latitude's gravity and curvature: the nodes fly on the equator — the
//! largest remaining gaps are at high latitudes), the launch azimuth's offset from the geodesic azimuth
//! to the target (the study's shot corrects its launch azimuth so that it lands on the target; `w` takes
//! the geodesic azimuth), and the few kilometres of cross-range of the gravity turn (the boost track is
//! laid along the geodesic).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use flight::aim::REFERENCE_SITE;
use flight::trajectory::ground_geodesic;
use flight::{Boost, Options, PoweredOptions, Programme, Vehicle, fly_boost, propagate_with};
use geodesy::Geodetic;

use crate::boost::BoostError;
use crate::scenario::VehicleDef;
use crate::study::ShapeChoice;

/// The boost track is held every 1/`PROFILE_INTERVALS` of the burn time.
pub const PROFILE_INTERVALS: usize = 24;

/// The rotation nodes: `w = cos(latitude) · sin(azimuth)` of each node's flights (flown from the equator
/// toward the azimuth `asin(w)`), ascending.
pub const W_NODES: [f64; 9] = [-1.0, -0.75, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0];

/// Half-width of the first parabola that finds a maximum-range kick at a node about the tabulated one,
/// degrees.
const PARABOLA_HALF_WIDTH_DEG: f64 = 1.0;
/// The maximum-range kick is final once a parabola's half-width is below this, degrees.
const PARABOLA_FINAL_DEG: f64 = 0.1;
/// The smallest kick flown, degrees.
const KICK_MIN_DEG: f64 = 0.2;

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
    /// Ground range from launch to impact, m.
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
    /// Time of the flown (J2) coast from burnout to impact, s; `None` where the programme is held short
    /// of its table's nearest range (it lands farther than the range asked).
    pub coast_s: Option<f64>,
    /// The boost track.
    pub profile: BoostProfile,
}

impl PoweredBurnout {
    fn lerp(&self, other: &PoweredBurnout, w: f64) -> PoweredBurnout {
        let l = |x: f64, y: f64| x + w * (y - x);
        PoweredBurnout {
            range_m: l(self.range_m, other.range_m),
            burn_time_s: l(self.burn_time_s, other.burn_time_s),
            burnout_alt_m: l(self.burnout_alt_m, other.burnout_alt_m),
            burnout_downrange_m: l(self.burnout_downrange_m, other.burnout_downrange_m),
            burnout_speed_mps: l(self.burnout_speed_mps, other.burnout_speed_mps),
            burnout_fpa_deg: l(self.burnout_fpa_deg, other.burnout_fpa_deg),
            coast_s: match (self.coast_s, other.coast_s) {
                (Some(a), Some(b)) => Some(l(a, b)),
                _ => None,
            },
            profile: self.profile.lerp(&other.profile, w),
        }
    }
}

/// The flown boosts of one rotation node, range ascending.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeTable {
    /// The node's `w` (see the module's documentation).
    pub w: f64,
    /// Flown boosts, range ascending.
    entries: Vec<PoweredBurnout>,
}

impl NodeTable {
    /// The flown boosts, range ascending.
    pub fn entries(&self) -> &[PoweredBurnout] {
        &self.entries
    }

    /// The span of ranges (m) the node covers.
    pub fn range_span_m(&self) -> (f64, f64) {
        (
            self.entries[0].range_m,
            self.entries[self.entries.len() - 1].range_m,
        )
    }

    /// The boost that reaches `range_m` from the node, interpolated linearly in range; short of the
    /// node's nearest range the nearest programme's (with no coast time); `None` beyond its farthest.
    pub fn at(&self, range_m: f64) -> Option<PoweredBurnout> {
        let (lo, hi) = self.range_span_m();
        if range_m > hi {
            return None;
        }
        if range_m < lo {
            return Some(PoweredBurnout {
                coast_s: None,
                ..self.entries[0]
            });
        }
        let i = self
            .entries
            .windows(2)
            .position(|w| w[0].range_m <= range_m && range_m <= w[1].range_m)?;
        let (a, b) = (&self.entries[i], &self.entries[i + 1]);
        let mut out = a.lerp(b, (range_m - a.range_m) / (b.range_m - a.range_m));
        out.range_m = range_m;
        Some(out)
    }
}

/// A vehicle's flown boosts by range and rotation node for one trajectory shape (see the module's
/// documentation). The nodes are flown when first asked for.
#[derive(Debug)]
pub struct ThreatBoostTable {
    /// The trajectory shape.
    pub shape: ShapeChoice,
    def: VehicleDef,
    rocket: Vehicle,
    template: Programme,
    /// The range table's programmes: (vehicle scale, kick in degrees) — for lofted and depressed shapes
    /// the full vehicle's tabulated kicks with range, and its maximum-range kick.
    scales: Vec<(f64, f64)>,
    kicks: Vec<f64>,
    k_max_deg: f64,
    nodes: Vec<OnceLock<Result<NodeTable, BoostError>>>,
}

type Cache = Mutex<HashMap<String, Arc<ThreatBoostTable>>>;

fn vehicle_error(def: &VehicleDef, e: impl std::fmt::Display) -> BoostError {
    BoostError::Vehicle {
        vehicle: def.name.clone(),
        reason: e.to_string(),
    }
}

/// One flight from a node: the boost, the ground range it reaches and its coast time.
struct Flight {
    boost: Boost,
    range_m: f64,
    coast_s: f64,
}

fn options() -> PoweredOptions {
    PoweredOptions {
        rtol: flight::aim::SEARCH_RTOL,
        ..PoweredOptions::default()
    }
}

impl ThreatBoostTable {
    /// The table of vehicle `def` for `shape`: set up once per vehicle and shape for the life of the
    /// process (the vehicle's range table too, shared with the study's shots), its equatorial due-north
    /// node (`w = 0`) flown at once.
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

    /// Sets up the table of vehicle `def` for `shape` and flies its `w = 0` node (not cached:
    /// [`ThreatBoostTable::get`]).
    pub fn build(def: &VehicleDef, shape: ShapeChoice) -> Result<ThreatBoostTable, BoostError> {
        let rocket = def.vehicle().map_err(|e| vehicle_error(def, e))?;
        let study = PoweredOptions {
            rtol: crate::engagement::THREAT_RTOL,
            ..PoweredOptions::default()
        };
        let template = def.programme(0.0);
        let range =
            crate::engagement::range_table(&rocket, &template, &study).map_err(|e| vehicle_error(def, e))?;
        let table = ThreatBoostTable {
            shape,
            def: def.clone(),
            rocket,
            template,
            scales: range.scales().iter().map(|&(s, k, _)| (s, k)).collect(),
            // The tabulated kicks that land and the midpoints between them: the coast time is far from
            // linear in the range over a kick step on the depressed side.
            kicks: range
                .kicks()
                .windows(2)
                .filter(|w| w[0].1 > 0.0 && w[1].1 > 0.0)
                .flat_map(|w| [w[0].0, 0.5 * (w[0].0 + w[1].0), w[1].0])
                .fold(Vec::new(), |mut v: Vec<f64>, k| {
                    if v.last().is_none_or(|&l| k > l) {
                        v.push(k);
                    }
                    v
                }),
            k_max_deg: range.full_max().0,
            nodes: W_NODES.iter().map(|_| OnceLock::new()).collect(),
        };
        table.node(W_NODES.len() / 2)?;
        Ok(table)
    }

    /// The node `i` of [`W_NODES`], flown on first use.
    pub fn node(&self, i: usize) -> Result<&NodeTable, BoostError> {
        self.nodes[i]
            .get_or_init(|| self.fly_node(W_NODES[i]))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The first error of a node flown so far (a map reads its points with no trajectory there, and
    /// reports this after the map).
    pub fn failure(&self) -> Option<BoostError> {
        self.nodes
            .iter()
            .find_map(|n| n.get().and_then(|r| r.as_ref().err().cloned()))
    }

    /// The boost that reaches `range_m` from latitude `lat_deg` toward the geodesic azimuth
    /// `azimuth_deg`: the two rotation nodes about `cos(lat) · sin(azimuth)` read at the same fraction of
    /// their reach, interpolated linearly in `w`. `Ok(None)` beyond the reach interpolated there.
    pub fn at(
        &self,
        lat_deg: f64,
        azimuth_deg: f64,
        range_m: f64,
    ) -> Result<Option<PoweredBurnout>, BoostError> {
        let w = (lat_deg.to_radians().cos() * azimuth_deg.to_radians().sin()).clamp(-1.0, 1.0);
        let i = W_NODES
            .windows(2)
            .position(|p| w <= p[1])
            .unwrap_or(W_NODES.len() - 2);
        let t = (w - W_NODES[i]) / (W_NODES[i + 1] - W_NODES[i]);
        // On a node, that node alone (its neighbour is not flown for it).
        if t <= 0.0 || t >= 1.0 {
            let node = self.node(if t <= 0.0 { i } else { i + 1 })?;
            return Ok(node.at(range_m));
        }
        let (a, b) = (self.node(i)?, self.node(i + 1)?);
        let (reach_a, reach_b) = (a.range_span_m().1, b.range_span_m().1);
        let reach = reach_a + t * (reach_b - reach_a);
        if range_m > reach {
            return Ok(None);
        }
        let f = range_m / reach;
        let (Some(ea), Some(eb)) = (a.at(f * reach_a), b.at(f * reach_b)) else {
            return Ok(None);
        };
        let mut out = ea.lerp(&eb, t);
        out.range_m = range_m;
        Ok(Some(out))
    }

    /// One flight of `vehicle` at `kick_deg` from the equator toward `azimuth_deg`, boost and J2 coast;
    /// `None` where it does not burn out or does not come down.
    fn fly(&self, vehicle: &Vehicle, kick_deg: f64, azimuth_deg: f64) -> Result<Option<Flight>, BoostError> {
        let options = options();
        let programme = Programme {
            kick_deg,
            azimuth_deg,
            ..self.template
        };
        let boost = match fly_boost(vehicle, REFERENCE_SITE, &programme, &options) {
            Ok(b) => b,
            Err(flight::Error::Powered { .. }) => return Ok(None),
            Err(e) => return Err(vehicle_error(&self.def, e)),
        };
        let opts = Options {
            model: options.model,
            ..Options::default()
        };
        let coast = match propagate_with(&boost.burnout, options.gravity, &opts) {
            Ok(c) => c,
            Err(e) if e.is_no_impact() => return Ok(None),
            Err(e) => return Err(vehicle_error(&self.def, e)),
        };
        let (range_m, _) = ground_geodesic(&options.model, REFERENCE_SITE, coast.impact().position);
        Ok(Some(Flight {
            boost,
            range_m,
            coast_s: coast.time_of_flight_s(),
        }))
    }

    /// The maximum-range flight of `vehicle` toward `azimuth_deg` and its kick (degrees): parabolas
    /// through three flights about `kick_deg`, [`PARABOLA_HALF_WIDTH_DEG`] apart at first, moved toward
    /// the best flight while it lies at an end, then narrowed fourfold about the vertex down to
    /// [`PARABOLA_FINAL_DEG`]; `None` when no flight of the search lands.
    fn fly_max(
        &self,
        vehicle: &Vehicle,
        kick_deg: f64,
        azimuth_deg: f64,
    ) -> Result<Option<(f64, Flight)>, BoostError> {
        let range = |f: &Option<Flight>| f.as_ref().map_or(f64::NEG_INFINITY, |f| f.range_m);
        let (mut k, mut h) = (kick_deg.max(KICK_MIN_DEG), PARABOLA_HALF_WIDTH_DEG);
        let mut mid = self.fly(vehicle, k, azimuth_deg)?;
        for _ in 0..12 {
            let (ka, kb) = ((k - h).max(KICK_MIN_DEG), k + h);
            let lo = self.fly(vehicle, ka, azimuth_deg)?;
            let hi = self.fly(vehicle, kb, azimuth_deg)?;
            let (ra, rm, rb) = (range(&lo), range(&mid), range(&hi));
            if ra > rm && ra >= rb && ka < k {
                (k, mid) = (ka, lo);
                continue;
            }
            if rb > rm {
                (k, mid) = (kb, hi);
                continue;
            }
            if !rm.is_finite() {
                return Ok(None);
            }
            let (da, db) = (ka - k, kb - k);
            let denom = da * db * (da - db);
            let p = ((ra - rm) * db - (rb - rm) * da) / denom;
            let q = ((rb - rm) * da * da - (ra - rm) * db * db) / denom;
            let x = if p < 0.0 && ra.is_finite() && rb.is_finite() {
                (-q / (2.0 * p)).clamp(da, db)
            } else {
                0.0
            };
            if x != 0.0 {
                let v = self.fly(vehicle, k + x, azimuth_deg)?;
                if range(&v) >= rm {
                    (k, mid) = (k + x, v);
                }
            }
            if h <= PARABOLA_FINAL_DEG {
                break;
            }
            h /= 4.0;
        }
        Ok(mid.map(|f| (k, f)))
    }

    fn entry(&self, f: &Flight) -> Result<PoweredBurnout, BoostError> {
        let tb = f.boost.burnout_time_s;
        let mut profile = BoostProfile {
            alt_m: [0.0; PROFILE_INTERVALS + 1],
            downrange_m: [0.0; PROFILE_INTERVALS + 1],
        };
        for i in 0..=PROFILE_INTERVALS {
            let t = tb * i as f64 / PROFILE_INTERVALS as f64;
            let p: Geodetic = f
                .boost
                .geodetic_at(t)
                .ok_or_else(|| vehicle_error(&self.def, format!("no boost state at {t} s")))?;
            profile.alt_m[i] = p.h_m;
            profile.downrange_m[i] = geodesy::inverse(
                REFERENCE_SITE.lat_deg,
                REFERENCE_SITE.lon_deg,
                p.lat_deg,
                p.lon_deg,
            )
            .map_err(|e| vehicle_error(&self.def, e))?
            .distance_m;
        }
        Ok(PoweredBurnout {
            range_m: f.range_m,
            burn_time_s: tb,
            burnout_alt_m: f.boost.burnout.alt_m,
            burnout_downrange_m: profile.downrange_m[PROFILE_INTERVALS],
            burnout_speed_mps: f.boost.burnout.speed_mps,
            burnout_fpa_deg: f.boost.burnout.flight_path_angle_deg,
            coast_s: Some(f.coast_s),
            profile,
        })
    }

    /// Flies the node of rotation `w` (see the module's documentation).
    fn fly_node(&self, w: f64) -> Result<NodeTable, BoostError> {
        let az = geodesy::wrap_360_deg(w.clamp(-1.0, 1.0).asin().to_degrees());
        // The programmes in order away from the far end (ranges falling).
        let mut entries: Vec<PoweredBurnout> = Vec::new();
        match self.shape {
            ShapeChoice::MinEnergy => {
                for &(scale, kick) in self.scales.iter().rev() {
                    let v = self
                        .rocket
                        .with_stages_scaled(scale)
                        .map_err(|e| vehicle_error(&self.def, e))?;
                    if let Some((_, f)) = self.fly_max(&v, kick, az)? {
                        entries.push(self.entry(&f)?);
                    }
                }
            }
            ShapeChoice::Lofted | ShapeChoice::Depressed => {
                let Some((k_max, max)) = self.fly_max(&self.rocket, self.k_max_deg, az)? else {
                    return Err(vehicle_error(
                        &self.def,
                        format!("the full vehicle lands at no kick toward azimuth {az:.1}°"),
                    ));
                };
                entries.push(self.entry(&max)?);
                let kicks: Vec<f64> = if self.shape == ShapeChoice::Lofted {
                    self.kicks.iter().rev().copied().filter(|&k| k < k_max).collect()
                } else {
                    self.kicks.iter().copied().filter(|&k| k > k_max).collect()
                };
                for k in kicks {
                    if let Some(f) = self.fly(&self.rocket, k, az)? {
                        entries.push(self.entry(&f)?);
                    }
                }
            }
        }
        // Keep the chain whose range falls from the far end (the maximum-range end is flown best; near
        // the vertical a kick's range can grow again where the Earth's rotation carries the impact).
        let mut kept: Vec<PoweredBurnout> = Vec::with_capacity(entries.len());
        for e in entries {
            if kept.last().is_none_or(|l| e.range_m < l.range_m) {
                kept.push(e);
            }
        }
        kept.reverse();
        if kept.len() < 2 {
            return Err(vehicle_error(
                &self.def,
                format!("fewer than two programmes of its range table fly toward azimuth {az:.1}°"),
            ));
        }
        Ok(NodeTable { w, entries: kept })
    }
}
