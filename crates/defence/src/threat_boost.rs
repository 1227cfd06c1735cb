//! Threats flown powered on maps: the burnout geometry and coast time of a missile's rocket as a function
//! of ground range, launch latitude and launch azimuth, flown once per vehicle, shape and node
//! ([`ThreatBoostTable`]), for the fast engine of footprints and sweeps.
//!
//! A footprint has thousands of grid points; aiming a powered shot at each ([`flight::aim::aim_at_seeded`],
//! tens of flights) would cost minutes. Over an axially symmetric Earth (WGS84, J2, the standard
//! atmosphere) the shots of one vehicle differ, though, only by their range, their launch latitude and
//! their launch azimuth: the latitude sets the gravity, the curvature and the Coriolis terms (the
//! sideways `2ωv sin φ` too), the azimuth with it the ground's speed along the track
//! (`cos φ · sin α` of the equatorial 465 m/s). So the table is flown at nodes of launch latitude and
//! launch azimuth, each node from (latitude, 0° E) toward its azimuth:
//! - latitudes: a read says how it takes its launch latitude ([`Latitudes`]): [pinned](Latitudes::Pinned)
//!   (a defended-area map's one launch site, a sweep's few) it is read exactly, one row of nodes flown at
//!   that latitude; [between nodes](Latitudes::BetweenNodes) (a threat-origin map's grid of launch points)
//!   it reads the two latitude nodes about it, every [`LAT_STEP_DEG`] up to ±[`LAT_LIMIT_DEG`],
//!   interpolated linearly. The two kinds of row are kept apart in the table ([`Row`]): a pinned row is
//!   never read by a read between nodes, even at a node's latitude, nor a node row by a pinned read;
//! - azimuths: every [`AZ_STEP_DEG`], interpolated linearly.
//!
//! A node is flown lazily, the first time a map reads it, and kept for the life of the table (the
//! tables themselves for the process): a map flies only the nodes about its own launch latitudes and
//! azimuths.
//!
//! The shot aimed at a target launches off the target's geodesic azimuth β (the study's shot corrects
//! its launch azimuth until the impact lies on β: the Earth turns under the flight, and the gravity turn
//! drifts across the track). Each flown boost keeps the geodesic azimuth of its impact less its launch
//! azimuth; a read starts at α = β and sets α to β less the offset read at α, until it moves by less than
//! 10⁻⁴° (two or three reads).
//!
//! At each node the programmes of the vehicle's range table ([`flight::aim::RangeTable`], the study's
//! seeds, flown once per process from the equator due north) are flown again, boost and J2 coast to
//! impact (the study's gravity, [`NODE_RTOL`]):
//! - **minimum energy**: the vehicle scaled by each tabulated factor at its maximum-range kick *at the
//!   node* (parabolas through flights about the tabulated kick, narrowed to 0.1°: the time of flight
//!   changes to first order with the kick where the range does not), reaching its maximum range there;
//! - **lofted** (**depressed**): the full vehicle at its maximum-range kick at the node and at each
//!   tabulated kick steeper (flatter) than it, and the midpoints between them (the coast time is far
//!   from linear in the range over a 2.5° kick step on the depressed side).
//!
//! Each such flight gives burn time, burnout height, downrange, Earth-relative speed and flight-path
//! angle, the height, downrange and azimuth off the launch azimuth every 1/[`PROFILE_INTERVALS`] of the
//! burn (the boost track the radars see), the ground range and azimuth of its impact and its coast time
//! from burnout to impact. A point's threat takes these at the same fraction of each node's reach (its
//! range over the reach interpolated between the nodes), interpolated linearly in range within a node and
//! in latitude and azimuth between nodes. Its boost track is laid from the launch point along the launch
//! azimuth plus the profile's offsets, its burnout point at the end of it, and its ballistic flight is
//! the fast engine's point-gravity conic from there to the target ([`crate::footprint::fast_threat_with`])
//! whose time of flight is the flown coast time (so the impact time is the flown one; the point-gravity
//! conic bends a little differently from the J2 coast in between). `tests/threat_boost.rs` holds the
//! result against the study's aimed powered shots ([`crate::engagement::fly_threat_powered`]) over 23
//! launch / target pairs from 5° S to 63° N, eastward, westward, northward and southward (Russian fields
//! at 51–63° N toward both US coasts, Yasny → Hawaii near the solid ICBM's reach), all three shapes, the
//! solid and liquid generic ICBMs and the Sejjil-class IRBM (the figures are in that file and
//! BENCHMARKS.md).
//!
//! Short of a node's nearest range (its smallest tabulated vehicle's maximum range, or its steepest or
//! flattest tabulated kick's range) the nearest programme's boost is held, as the interceptor's family
//! holds its slowest member; the conic then takes that programme's burnout flight-path angle.
//!
//! Not carried: the launch site's height (the nodes fly from the ellipsoid), and the J2 coast's bending
//! between burnout and impact (the conic is point gravity; its end points and time are the flown ones).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

use flight::trajectory::ground_geodesic;
use flight::{Boost, Options, PoweredOptions, Programme, Vehicle, fly_boost, propagate_with};
use geodesy::Geodetic;

use crate::boost::BoostError;
use crate::scenario::VehicleDef;
use crate::study::ShapeChoice;

/// The boost track is held every 1/`PROFILE_INTERVALS` of the burn time.
pub const PROFILE_INTERVALS: usize = 24;

/// Spacing of the latitude nodes, degrees (nodes at multiples of it, from −[`LAT_LIMIT_DEG`] to
/// [`LAT_LIMIT_DEG`]).
pub const LAT_STEP_DEG: f64 = 10.0;
/// The highest latitude node, degrees: launch latitudes nearer a pole read it (the launch azimuth is
/// ill-defined at the pole).
pub const LAT_LIMIT_DEG: f64 = 80.0;
/// Spacing of the launch-azimuth nodes, degrees (nodes at 0°, this, twice this, … below 360°).
pub const AZ_STEP_DEG: f64 = 30.0;
/// Number of launch-azimuth nodes.
pub const AZ_NODES: usize = (360.0 / AZ_STEP_DEG) as usize;
/// Relative tolerance of the nodes' flights (a node is ~100 flights with J2 coast for minimum energy; a map
/// flies a few to a dozen): at 10⁻⁶ the worst gaps of `tests/threat_boost.rs` against the study's aimed
/// shots are those at 10⁻⁷ (1.11 % in impact time, 3.2 km at burnout); 10⁻⁵ moves minimum-energy impact
/// times by up to 2.6 s.
pub const NODE_RTOL: f64 = 1e-6;
/// Iterations of the launch-azimuth correction of a read (the impact azimuth follows the launch azimuth
/// one for one, offset by a slowly varying amount).
const AZ_ITERATIONS: usize = 4;
/// A read's launch azimuth is final once a correction moves it by less than this, degrees.
const AZ_CONVERGED_DEG: f64 = 1e-4;

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
    /// Geodesic azimuth from the launch point less the launch azimuth, degrees in [−180, 180) (0 on the
    /// pad): the gravity turn's and the Earth's rotation's drift across the launch azimuth.
    pub az_off_deg: [f64; PROFILE_INTERVALS + 1],
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

    /// The azimuth offset (degrees, [`BoostProfile::az_off_deg`]) at the fraction `f` (clamped to
    /// [0, 1]) of the burn, interpolated linearly between samples.
    pub fn az_off_at(&self, f: f64) -> f64 {
        let x = f.clamp(0.0, 1.0) * PROFILE_INTERVALS as f64;
        let i = (x.floor() as usize).min(PROFILE_INTERVALS - 1);
        let w = x - i as f64;
        self.az_off_deg[i] + w * (self.az_off_deg[i + 1] - self.az_off_deg[i])
    }

    fn lerp(&self, other: &BoostProfile, w: f64) -> BoostProfile {
        let mut out = *self;
        for i in 0..=PROFILE_INTERVALS {
            out.alt_m[i] += w * (other.alt_m[i] - self.alt_m[i]);
            out.downrange_m[i] += w * (other.downrange_m[i] - self.downrange_m[i]);
            out.az_off_deg[i] += w * (other.az_off_deg[i] - self.az_off_deg[i]);
        }
        out
    }
}

/// The flown boost of the programme that reaches one range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PoweredBurnout {
    /// Ground range from launch to impact, m.
    pub range_m: f64,
    /// The launch azimuth flown, degrees in [0, 360).
    pub launch_azimuth_deg: f64,
    /// Geodesic azimuth from the launch point to the impact less the launch azimuth, degrees in
    /// [−180, 180): a shot aimed at a target on the geodesic azimuth β launches toward β less this.
    pub impact_az_off_deg: f64,
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
            launch_azimuth_deg: l(self.launch_azimuth_deg, other.launch_azimuth_deg),
            impact_az_off_deg: l(self.impact_az_off_deg, other.impact_az_off_deg),
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

/// How a read takes its launch latitude.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Latitudes {
    /// Exactly: one row of nodes flown at the launch latitude itself (a defended-area map's launch site,
    /// a sweep's launch sites: a few latitudes).
    Pinned,
    /// Between the two latitude nodes about it, every [`LAT_STEP_DEG`] (a threat-origin map's grid of
    /// launch points: any latitude).
    BetweenNodes,
}

/// A row of nodes (one launch latitude) in a table: kept apart by kind, so that a pinned latitude and a
/// latitude node never share nodes, whatever their values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Row {
    /// A latitude node, in millionths of a degree (a multiple of [`LAT_STEP_DEG`]).
    Node(i64),
    /// A pinned launch latitude, the bits of its `f64` (read exactly).
    Pinned(u64),
}

impl Row {
    /// The row's launch latitude, degrees.
    pub fn lat_deg(self) -> f64 {
        match self {
            Row::Node(micro) => micro as f64 * 1e-6,
            Row::Pinned(bits) => f64::from_bits(bits),
        }
    }

    /// The latitude node at `lat_deg` (rounded to a millionth of a degree).
    pub fn node(lat_deg: f64) -> Row {
        Row::Node((lat_deg * 1e6).round() as i64)
    }

    /// The pinned row of launch latitude `lat_deg` (exactly).
    pub fn pinned(lat_deg: f64) -> Row {
        Row::Pinned(lat_deg.to_bits())
    }
}

/// The flown boosts of one node (launch latitude and launch azimuth), range ascending.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeTable {
    /// The node's launch latitude, degrees.
    pub lat_deg: f64,
    /// The node's launch azimuth, degrees.
    pub azimuth_deg: f64,
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

/// A vehicle's flown boosts by range, launch latitude and launch azimuth for one trajectory shape (see the
/// module's documentation). The nodes are flown when first asked for.
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
    /// The nodes flown or being flown, by row (a latitude node or a pinned latitude) and azimuth index.
    nodes: Mutex<BTreeMap<(Row, usize), NodeCell>>,
}

type NodeCell = Arc<OnceLock<Result<Arc<NodeTable>, BoostError>>>;

type Cache = Mutex<HashMap<String, Arc<ThreatBoostTable>>>;

fn vehicle_error(def: &VehicleDef, e: impl std::fmt::Display) -> BoostError {
    BoostError::Vehicle {
        vehicle: def.name.clone(),
        reason: e.to_string(),
    }
}

/// One flight from a node: the boost, the ground range and geodesic azimuth of its impact and its coast
/// time.
struct Flight {
    boost: Boost,
    range_m: f64,
    impact_azimuth_deg: f64,
    coast_s: f64,
}

fn options() -> PoweredOptions {
    PoweredOptions {
        rtol: NODE_RTOL,
        ..PoweredOptions::default()
    }
}

impl ThreatBoostTable {
    /// The table of vehicle `def` for `shape`: set up once per vehicle and shape for the life of the
    /// process (the vehicle's range table too, shared with the study's shots); no node flown yet.
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

    /// Sets up the table of vehicle `def` for `shape` (not cached: [`ThreatBoostTable::get`]); its nodes
    /// are flown when first read.
    pub fn build(def: &VehicleDef, shape: ShapeChoice) -> Result<ThreatBoostTable, BoostError> {
        let rocket = def.vehicle().map_err(|e| vehicle_error(def, e))?;
        let study = PoweredOptions {
            rtol: crate::engagement::THREAT_RTOL,
            ..PoweredOptions::default()
        };
        let template = def.programme(0.0);
        let range =
            crate::engagement::range_table(&rocket, &template, &study).map_err(|e| vehicle_error(def, e))?;
        Ok(ThreatBoostTable {
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
            nodes: Mutex::new(BTreeMap::new()),
        })
    }

    fn poisoned(&self) -> BoostError {
        vehicle_error(
            &self.def,
            "the threat boost table is poisoned by an earlier panic",
        )
    }

    /// The node of row `row` (a latitude node or a pinned launch latitude) and launch azimuth
    /// `i` × [`AZ_STEP_DEG`] (`i` taken modulo [`AZ_NODES`]), flown on first use.
    pub fn node(&self, row: Row, i: usize) -> Result<Arc<NodeTable>, BoostError> {
        let key = (row, i % AZ_NODES);
        let cell = self
            .nodes
            .lock()
            .map_err(|_| self.poisoned())?
            .entry(key)
            .or_default()
            .clone();
        cell.get_or_init(|| {
            self.fly_node(row.lat_deg(), key.1 as f64 * AZ_STEP_DEG)
                .map(Arc::new)
        })
        .clone()
    }

    /// Nodes flown so far (or being flown).
    pub fn nodes_flown(&self) -> Result<usize, BoostError> {
        Ok(self.nodes.lock().map_err(|_| self.poisoned())?.len())
    }

    /// The first error of a node flown so far (a map reads its points with no trajectory there, and
    /// reports this after the map).
    pub fn failure(&self) -> Option<BoostError> {
        let nodes = match self.nodes.lock() {
            Ok(n) => n,
            Err(_) => return Some(self.poisoned()),
        };
        nodes
            .values()
            .find_map(|n| n.get().and_then(|r| r.as_ref().err().cloned()))
    }

    /// The rows of a read from `lat_deg` taken as `latitudes` says, (row, weight): the pinned row alone,
    /// or the two latitude nodes about it (the weight of the second 0 on a node).
    fn lat_rows(latitudes: Latitudes, lat_deg: f64) -> [(Row, f64); 2] {
        if latitudes == Latitudes::Pinned {
            let row = Row::pinned(lat_deg);
            return [(row, 1.0), (row, 0.0)];
        }
        let l = lat_deg.clamp(-LAT_LIMIT_DEG, LAT_LIMIT_DEG);
        let lo = (l / LAT_STEP_DEG).floor() * LAT_STEP_DEG;
        let t = (l - lo) / LAT_STEP_DEG;
        if t <= 0.0 {
            return [(Row::node(lo), 1.0), (Row::node(lo), 0.0)];
        }
        [(Row::node(lo), 1.0 - t), (Row::node(lo + LAT_STEP_DEG), t)]
    }

    /// The boost that reaches `range_m` from latitude `lat_deg` at the launch azimuth `alpha_deg`: the
    /// nodes about it (two latitudes, two azimuths) read at the same fraction of their reach,
    /// interpolated linearly in latitude and azimuth. `Ok(None)` beyond the reach interpolated there.
    fn read(
        &self,
        rows: &[(Row, f64); 2],
        alpha_deg: f64,
        range_m: f64,
    ) -> Result<Option<PoweredBurnout>, BoostError> {
        let a = geodesy::wrap_360_deg(alpha_deg);
        let x = a / AZ_STEP_DEG;
        let i = x.floor() as usize % AZ_NODES;
        let t = x - x.floor();
        let mut corners: Vec<(Arc<NodeTable>, f64)> = Vec::with_capacity(4);
        for &(row, wl) in rows {
            for (k, wa) in [(i, 1.0 - t), (i + 1, t)] {
                // On a node, that node alone (its neighbour is not flown for it).
                if wl * wa > 0.0 {
                    corners.push((self.node(row, k)?, wl * wa));
                }
            }
        }
        let reach: f64 = corners.iter().map(|(n, w)| w * n.range_span_m().1).sum();
        if range_m > reach {
            return Ok(None);
        }
        let f = range_m / reach;
        let mut acc: Option<(PoweredBurnout, f64)> = None;
        for (n, w) in &corners {
            let Some(e) = n.at(f * n.range_span_m().1) else {
                return Ok(None);
            };
            acc = Some(match acc {
                None => (e, *w),
                Some((sum, ws)) => (sum.lerp(&e, w / (ws + w)), ws + w),
            });
        }
        Ok(acc.map(|(mut out, _)| {
            out.range_m = range_m;
            out.launch_azimuth_deg = a;
            out
        }))
    }

    /// The boost that reaches `range_m` from latitude `lat_deg` (taken as `latitudes` says) toward a
    /// target on the geodesic azimuth `azimuth_deg`: read at the launch azimuth that lands on that azimuth
    /// (the target's less the impact's offset read there, iterated), its
    /// [`PoweredBurnout::launch_azimuth_deg`] that azimuth. `Ok(None)` beyond the reach interpolated
    /// there.
    pub fn at(
        &self,
        latitudes: Latitudes,
        lat_deg: f64,
        azimuth_deg: f64,
        range_m: f64,
    ) -> Result<Option<PoweredBurnout>, BoostError> {
        let rows = Self::lat_rows(latitudes, lat_deg);
        let mut alpha = azimuth_deg;
        let mut out = None;
        for _ in 0..AZ_ITERATIONS {
            let Some(b) = self.read(&rows, alpha, range_m)? else {
                return Ok(None);
            };
            let next = azimuth_deg - b.impact_az_off_deg;
            let moved = geodesy::wrap_180_deg(next - alpha).abs();
            out = Some(b);
            if moved < AZ_CONVERGED_DEG {
                break;
            }
            alpha = next;
        }
        Ok(out)
    }

    /// One flight of `vehicle` at `kick_deg` from `site` toward `azimuth_deg`, boost and J2 coast;
    /// `None` where it does not burn out or does not come down.
    fn fly(
        &self,
        vehicle: &Vehicle,
        kick_deg: f64,
        site: Geodetic,
        azimuth_deg: f64,
    ) -> Result<Option<Flight>, BoostError> {
        let options = options();
        let programme = Programme {
            kick_deg,
            azimuth_deg,
            ..self.template
        };
        let boost = match fly_boost(vehicle, site, &programme, &options) {
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
        let (range_m, impact_azimuth_deg) = ground_geodesic(&options.model, site, coast.impact().position);
        Ok(Some(Flight {
            boost,
            range_m,
            impact_azimuth_deg,
            coast_s: coast.time_of_flight_s(),
        }))
    }

    /// The maximum-range flight of `vehicle` from `site` toward `azimuth_deg` and its kick (degrees):
    /// parabolas through three flights about `kick_deg`, [`PARABOLA_HALF_WIDTH_DEG`] apart at first, moved
    /// toward the best flight while it lies at an end, then narrowed fourfold about the vertex down to
    /// [`PARABOLA_FINAL_DEG`]; `None` when no flight of the search lands.
    fn fly_max(
        &self,
        vehicle: &Vehicle,
        kick_deg: f64,
        site: Geodetic,
        azimuth_deg: f64,
    ) -> Result<Option<(f64, Flight)>, BoostError> {
        let range = |f: &Option<Flight>| f.as_ref().map_or(f64::NEG_INFINITY, |f| f.range_m);
        let (mut k, mut h) = (kick_deg.max(KICK_MIN_DEG), PARABOLA_HALF_WIDTH_DEG);
        let mut mid = self.fly(vehicle, k, site, azimuth_deg)?;
        for _ in 0..12 {
            let (ka, kb) = ((k - h).max(KICK_MIN_DEG), k + h);
            let lo = self.fly(vehicle, ka, site, azimuth_deg)?;
            let hi = self.fly(vehicle, kb, site, azimuth_deg)?;
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
                let v = self.fly(vehicle, k + x, site, azimuth_deg)?;
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

    fn entry(&self, f: &Flight, site: Geodetic, azimuth_deg: f64) -> Result<PoweredBurnout, BoostError> {
        let tb = f.boost.burnout_time_s;
        let mut profile = BoostProfile {
            alt_m: [0.0; PROFILE_INTERVALS + 1],
            downrange_m: [0.0; PROFILE_INTERVALS + 1],
            az_off_deg: [0.0; PROFILE_INTERVALS + 1],
        };
        for i in 0..=PROFILE_INTERVALS {
            let t = tb * i as f64 / PROFILE_INTERVALS as f64;
            let p: Geodetic = f
                .boost
                .geodetic_at(t)
                .ok_or_else(|| vehicle_error(&self.def, format!("no boost state at {t} s")))?;
            profile.alt_m[i] = p.h_m - site.h_m;
            let g = geodesy::inverse(site.lat_deg, site.lon_deg, p.lat_deg, p.lon_deg)
                .map_err(|e| vehicle_error(&self.def, e))?;
            profile.downrange_m[i] = g.distance_m;
            if g.distance_m > 1.0 {
                profile.az_off_deg[i] = geodesy::wrap_180_deg(g.azi1_deg - azimuth_deg);
            }
        }
        Ok(PoweredBurnout {
            range_m: f.range_m,
            launch_azimuth_deg: azimuth_deg,
            impact_az_off_deg: geodesy::wrap_180_deg(f.impact_azimuth_deg - azimuth_deg),
            burn_time_s: tb,
            burnout_alt_m: f.boost.burnout.alt_m,
            burnout_downrange_m: profile.downrange_m[PROFILE_INTERVALS],
            burnout_speed_mps: f.boost.burnout.speed_mps,
            burnout_fpa_deg: f.boost.burnout.flight_path_angle_deg,
            coast_s: Some(f.coast_s),
            profile,
        })
    }

    /// Flies the node of launch latitude `lat_deg` and launch azimuth `az` (see the module's
    /// documentation).
    fn fly_node(&self, lat_deg: f64, az: f64) -> Result<NodeTable, BoostError> {
        let site = Geodetic {
            lat_deg,
            lon_deg: 0.0,
            h_m: 0.0,
        };
        let at = || format!("from latitude {lat_deg:.4}° toward azimuth {az:.1}°");
        // The programmes in order away from the far end (ranges falling).
        let mut entries: Vec<PoweredBurnout> = Vec::new();
        match self.shape {
            ShapeChoice::MinEnergy => {
                for &(scale, kick) in self.scales.iter().rev() {
                    let v = self
                        .rocket
                        .with_stages_scaled(scale)
                        .map_err(|e| vehicle_error(&self.def, e))?;
                    if let Some((_, f)) = self.fly_max(&v, kick, site, az)? {
                        entries.push(self.entry(&f, site, az)?);
                    }
                }
            }
            ShapeChoice::Lofted | ShapeChoice::Depressed => {
                let Some((k_max, max)) = self.fly_max(&self.rocket, self.k_max_deg, site, az)? else {
                    return Err(vehicle_error(
                        &self.def,
                        format!("the full vehicle lands at no kick {}", at()),
                    ));
                };
                entries.push(self.entry(&max, site, az)?);
                let kicks: Vec<f64> = if self.shape == ShapeChoice::Lofted {
                    self.kicks.iter().rev().copied().filter(|&k| k < k_max).collect()
                } else {
                    self.kicks.iter().copied().filter(|&k| k > k_max).collect()
                };
                for k in kicks {
                    if let Some(f) = self.fly(&self.rocket, k, site, az)? {
                        entries.push(self.entry(&f, site, az)?);
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
                format!("fewer than two programmes of its range table fly {}", at()),
            ));
        }
        Ok(NodeTable {
            lat_deg,
            azimuth_deg: az,
            entries: kept,
        })
    }
}
