//! The headline study of a scenario (`shieldwatch study`): which threats the deployment can engage, at
//! which assumed interceptor burnout speed, and what its radar sees.
//!
//! The study answers three questions (`shared/DESIGN.md` §5):
//! 1. which threat trajectories the deployment can engage, with engagement windows, at the scenario's
//!    parameter values and at the ends of the disputed interceptor burnout-speed range;
//! 2. for each trajectory, the *crossover speed*: the lowest interceptor burnout speed that engages it at
//!    all, once with the radar as specified and once with the radar at its most capable within its
//!    ranges (all-round field of regard, longest reference range, lowest minimum elevation);
//! 3. what the radar sees of each launch area: the lowest visible altitude above it for the warhead of the
//!    missiles launched there, and for each trajectory when the radar first tracks it.
//!
//! Every trajectory is flown once (minimum energy, with J2 unless asked otherwise); the required
//! interceptor speed along it is computed once per radar variant, and every speed's answer is read off it.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

use flight::{Gravity, Shape};
use geodesy::Geodetic;
use serde::Serialize;

use crate::boost::{BoostModel, size_interceptor};
use crate::engagement::{
    Engagement, FlyoutMemo, Interceptor, Missile, ThreatTrack, engage_network_memo, fly_threat,
    fly_threat_powered, shoot_look_shoot_memo,
};
use crate::radar::Radar;
use crate::scenario::{Role, Scenario};

/// Which trajectory shapes a study flies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ShapeChoice {
    /// Minimum burnout speed.
    MinEnergy,
    /// Apogee [`LOFT_FACTOR`] times the minimum-energy apogee.
    Lofted,
    /// Apogee [`DEPRESS_FACTOR`] times the minimum-energy apogee.
    Depressed,
}

/// Apogee of a lofted trajectory relative to the minimum-energy one.
pub const LOFT_FACTOR: f64 = 1.5;
/// Apogee of a depressed trajectory relative to the minimum-energy one.
pub const DEPRESS_FACTOR: f64 = 0.6;

impl ShapeChoice {
    /// "min-energy", "lofted" or "depressed".
    pub fn name(self) -> &'static str {
        match self {
            ShapeChoice::MinEnergy => "min-energy",
            ShapeChoice::Lofted => "lofted",
            ShapeChoice::Depressed => "depressed",
        }
    }
}

/// Study settings.
#[derive(Debug, Clone)]
pub struct StudyOptions {
    /// Gravity model for threat trajectories.
    pub gravity: Gravity,
    /// Trajectory shapes to fly for every launch site and target.
    pub shapes: Vec<ShapeChoice>,
    /// Interceptor burnout speeds to report windows for, m/s (the scenario's value and range ends are
    /// always added).
    pub speeds_mps: Vec<f64>,
    /// The interceptor's boost model.
    pub boost: BoostModel,
    /// The batteries, set up once (their powered families flown) and shared by every trajectory.
    pub battery: BatteryCache,
}

/// The study's interceptor batteries (name, battery) in scenario order, set up on first use, with the
/// name of the scenario they belong to: an options value used for another scenario gets that one's
/// batteries, set up anew (never the first one's).
#[derive(Debug, Clone, Default)]
pub struct BatteryCache(pub(crate) Arc<OnceLock<(String, BatteriesResult)>>);

/// The batteries set up for a scenario, shared, or why they could not be.
pub type BatteriesResult = Result<Arc<Batteries>, StudyError>;

/// A scenario's batteries: (name, battery) in scenario order.
pub type Batteries = Vec<(String, Interceptor)>;

impl Default for StudyOptions {
    fn default() -> Self {
        // MDA's 5.4 and 6.3 km/s, the critics' 7.7 and 8.3 km/s, and 9 km/s (shared/SOURCES.md G3/G4).
        StudyOptions {
            gravity: Gravity::J2,
            shapes: vec![ShapeChoice::MinEnergy],
            speeds_mps: vec![5400.0, 6300.0, 7000.0, 7700.0, 8300.0, 9000.0],
            boost: BoostModel::default(),
            battery: BatteryCache::default(),
        }
    }
}

/// Why a study failed before producing results.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum StudyError {
    /// The scenario lacks something the study needs.
    #[error("scenario {scenario}: {message}")]
    Incomplete {
        /// Scenario name.
        scenario: String,
        /// What is missing.
        message: String,
    },
}

/// A point on a map (for exports).
#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct TrackSample {
    /// Seconds since launch.
    pub t_s: f64,
    /// Latitude, degrees.
    pub lat_deg: f64,
    /// Longitude, degrees.
    pub lon_deg: f64,
    /// Height above the ellipsoid, m.
    pub alt_m: f64,
}

/// The window at one speed.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Window {
    /// Interceptor burnout speed, m/s.
    pub speed_mps: f64,
    /// Earliest intercept, seconds since threat launch.
    pub earliest_intercept_s: f64,
    /// Latest intercept, seconds since threat launch.
    pub latest_intercept_s: f64,
    /// Height of the earliest intercept, m.
    pub earliest_alt_m: f64,
    /// Closing speed at the earliest intercept, m/s.
    pub closing_speed_mps: f64,
    /// Earliest intercept point latitude, degrees.
    pub intercept_lat_deg: f64,
    /// Earliest intercept point longitude, degrees.
    pub intercept_lon_deg: f64,
    /// Sequential shots possible (shoot-look-shoot), at most the battery's count.
    pub shots: u32,
    /// The battery that makes this earliest intercept (the scenario's first one that does, when several
    /// batteries can).
    pub battery: String,
}

/// One radar variant's answer for one trajectory.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Cue {
    /// First track, seconds since launch (`None`: never seen).
    pub first_detection_s: Option<f64>,
    /// Height of the warhead at first track, m.
    pub first_detection_alt_m: Option<f64>,
    /// Total tracked time, s.
    pub tracked_s: f64,
    /// Lowest burnout speed that engages at all, m/s (`None`: none does).
    pub crossover_speed_mps: Option<f64>,
    /// Engagement windows at the study speeds where there is one.
    pub windows: Vec<Window>,
    /// The radar that tracks the warhead first (it cues every battery; `None`: never seen).
    pub first_radar: Option<String>,
    /// Whether some battery engages the trajectory at its own burnout speed as the scenario gives it.
    pub engaged_at_scenario_speed: bool,
}

/// One threat trajectory.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ThreatResult {
    /// Threat family name.
    pub threat: String,
    /// Missile type.
    pub missile: String,
    /// Trajectory shape.
    pub shape: ShapeChoice,
    /// Launch site.
    pub from: String,
    /// Launch country.
    pub from_country: String,
    /// Target.
    pub to: String,
    /// Ground range launch → target, m.
    pub range_m: f64,
    /// Why the trajectory was not flown (beyond the missile's range, or no solution).
    pub skipped: Option<String>,
    /// Time of flight launch → impact, s.
    pub flight_time_s: f64,
    /// Apogee height, m.
    pub apogee_alt_m: f64,
    /// Burnout speed of the threat, m/s.
    pub threat_burnout_speed_mps: f64,
    /// With the radar as specified.
    pub specified: Cue,
    /// With the radar at its most capable within its ranges.
    pub most_capable: Cue,
    /// Sampled track (every 20 s), for maps.
    pub track: Vec<TrackSample>,
}

/// What the radar sees above one site.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Coverage {
    /// Site name.
    pub site: String,
    /// Country.
    pub country: String,
    /// Latitude, degrees.
    pub lat_deg: f64,
    /// Longitude, degrees.
    pub lon_deg: f64,
    /// RCS assumed, m² (of the missiles launched there, or the smallest in the scenario).
    pub rcs_m2: f64,
    /// Distance from the nearest radar, m.
    pub distance_m: f64,
    /// Lowest visible altitude with the radar as specified, m (`None`: never seen).
    pub specified_alt_m: Option<f64>,
    /// Lowest visible altitude with the most capable radar, m.
    pub most_capable_alt_m: Option<f64>,
}

/// A parameter as used, with its source (for the report).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct UsedParam {
    /// Dotted key.
    pub key: String,
    /// Value used.
    pub value: f64,
    /// Range, if disputed.
    pub range: Option<[f64; 2]>,
    /// Source.
    pub source: String,
}

/// The full study.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Study {
    /// Scenario name.
    pub scenario: String,
    /// Scenario description.
    pub description: String,
    /// Radars of the cueing network (names joined by ", "; the first to track a warhead cues every
    /// battery).
    pub radar: String,
    /// Interceptor batteries (names joined by ", ").
    pub interceptor: String,
    /// Gravity model.
    pub gravity: String,
    /// The interceptor's boost model.
    pub boost: BoostModel,
    /// What the boost model means, one sentence.
    pub boost_model: String,
    /// The battery's vehicle sized to its burnout speed (powered boost only).
    pub sized_interceptor: Option<SizedSummary>,
    /// Speeds at which windows are reported, m/s.
    pub speeds_mps: Vec<f64>,
    /// Every threat trajectory.
    pub threats: Vec<ThreatResult>,
    /// Radar coverage of launch areas.
    pub coverage: Vec<Coverage>,
    /// Parameters used, with sources.
    pub parameters: Vec<UsedParam>,
    /// Sites (name → [lat, lon, roles]) for maps.
    pub sites: BTreeMap<String, (f64, f64, Vec<String>)>,
}

/// The interceptor vehicle sized to the battery's burnout speed (powered boost).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SizedSummary {
    /// Vehicle name.
    pub vehicle: String,
    /// Burnout speed it is sized to (the battery's value), m/s.
    pub burnout_speed_mps: f64,
    /// Scale of its stages against the scenario's vehicle.
    pub scale: f64,
    /// Liftoff mass, kg.
    pub liftoff_mass_kg: f64,
    /// Propellant of all stages, kg.
    pub propellant_kg: f64,
    /// Time from liftoff to burnout, s.
    pub burnout_time_s: f64,
    /// Burnout height, m.
    pub burnout_alt_m: f64,
    /// Ground distance from the silo to the burnout sub-point, m.
    pub burnout_downrange_m: f64,
    /// Gravity, drag, steering and back-pressure losses, m/s.
    pub losses_mps: f64,
}

/// The study's interceptor batteries, (name, battery) in scenario order, with the boost model of `opts`,
/// set up once. Under the powered boost, a battery whose scenario entry names no vehicle keeps the fixed
/// boost (the study's summary names it, [`fixed_boost_batteries`]); one naming a vehicle the scenario does
/// not define is an error.
pub fn batteries(s: &Scenario, opts: &StudyOptions) -> BatteriesResult {
    let (name, cached) = opts
        .battery
        .0
        .get_or_init(|| (s.meta.name.clone(), set_up_batteries(s, opts.boost)));
    if *name == s.meta.name {
        cached.clone()
    } else {
        set_up_batteries(s, opts.boost)
    }
}

fn set_up_batteries(s: &Scenario, boost: BoostModel) -> BatteriesResult {
    let incomplete = |m: String| StudyError::Incomplete {
        scenario: s.meta.name.clone(),
        message: m,
    };
    if s.interceptors.is_empty() {
        return Err(incomplete("it has no interceptor battery".into()));
    }
    let mut out = Vec::with_capacity(s.interceptors.len());
    for idef in &s.interceptors {
        let site = s
            .site(&idef.site)
            .ok_or_else(|| incomplete(format!("no site {}", idef.site)))?;
        let icpt = Interceptor::with_boost(idef, site, battery_boost(idef, boost), s)
            .map_err(|e| incomplete(e.to_string()))?;
        out.push((idef.name.clone(), icpt));
    }
    Ok(Arc::new(out))
}

/// The boost model a battery flies under the study's `boost`: the fixed one when it names no vehicle.
pub(crate) fn battery_boost(idef: &crate::scenario::InterceptorDef, boost: BoostModel) -> BoostModel {
    if idef.vehicle.is_some() {
        boost
    } else {
        BoostModel::Fixed
    }
}

/// The study's first interceptor battery (the one footprints and sweeps use), as [`batteries`] sets it
/// up.
pub fn battery(s: &Scenario, opts: &StudyOptions) -> Result<Interceptor, StudyError> {
    let all = batteries(s, opts)?;
    all.first()
        .map(|(_, b)| b.clone())
        .ok_or_else(|| StudyError::Incomplete {
            scenario: s.meta.name.clone(),
            message: "it has no interceptor battery".into(),
        })
}

/// The batteries that fly the fixed boost under the powered model because their scenario entry names no
/// vehicle (empty under `--boost fixed`, where every battery does).
pub fn fixed_boost_batteries(s: &Scenario, opts: &StudyOptions) -> Vec<String> {
    s.interceptors
        .iter()
        .filter(|i| battery_boost(i, opts.boost) != opts.boost)
        .map(|i| i.name.clone())
        .collect()
}

/// One trajectory of a study: threat name, missile name, launch site, target, shape.
pub type PlanItem = (String, String, String, String, ShapeChoice);

/// The list of trajectories a study flies.
pub fn plan(s: &Scenario, opts: &StudyOptions) -> Vec<PlanItem> {
    let mut out = Vec::new();
    for t in &s.threats {
        for f in &t.from {
            for to in &t.to {
                for &shape in &opts.shapes {
                    out.push((t.name.clone(), t.missile.clone(), f.clone(), to.clone(), shape));
                }
            }
        }
    }
    out
}

fn most_capable(s: &Scenario, r: &Radar) -> Radar {
    let mut m = r.clone();
    if let Some(d) = s.radars.iter().find(|d| d.name == r.name) {
        m.azimuth_half_width_deg = d.azimuth_half_width_deg.span_of_values().1;
        m.reference_range_m = d.reference_range_m.span_of_values().1;
        m.min_elevation_deg = d.min_elevation_deg.span_of_values().0;
        m.max_elevation_deg = d.max_elevation_deg.span_of_values().1;
    }
    m
}

fn cue(
    e: &Engagement,
    threat: &crate::engagement::ThreatTrack,
    icpt: &Interceptor,
    battery: &str,
    speeds: &[f64],
    shots: &dyn Fn(f64, &[f64]) -> Vec<u32>,
) -> Cue {
    let first_alt = e
        .first_detection_s
        .map(|t| geodesy::ecef_to_geodetic(threat.ecef_at(t)).h_m);
    let found: Vec<_> = speeds
        .iter()
        .filter_map(|&v| e.window(v).map(|(a, b)| (v, a, b)))
        .collect();
    let counts = match e.commit_time_s {
        Some(c) => shots(c, &found.iter().map(|x| x.0).collect::<Vec<f64>>()),
        None => vec![0; found.len()],
    };
    let windows = found
        .into_iter()
        .zip(counts)
        .map(|((v, a, b), shots)| {
            let p = geodesy::ecef_to_geodetic(threat.ecef_at(a.intercept_time_s));
            Window {
                speed_mps: v,
                earliest_intercept_s: a.intercept_time_s,
                latest_intercept_s: b.intercept_time_s,
                earliest_alt_m: a.intercept_alt_m,
                closing_speed_mps: a.closing_speed_mps,
                intercept_lat_deg: p.lat_deg,
                intercept_lon_deg: p.lon_deg,
                shots,
                battery: battery.to_string(),
            }
        })
        .collect();
    Cue {
        first_detection_s: e.first_detection_s,
        first_detection_alt_m: first_alt,
        tracked_s: e.track_intervals_s.iter().map(|(a, b)| b - a).sum(),
        crossover_speed_mps: e.crossover().map(|f| f.required_speed_mps),
        windows,
        first_radar: None,
        engaged_at_scenario_speed: e.window(icpt.burnout_speed_mps).is_some(),
    }
}

/// One answer from the answers of every battery (in scenario order) cued by the same radar network:
/// the lowest crossover speed, and at each speed the window with the earliest intercept (its latest
/// intercept the latest of any battery, its shots those of the battery making the earliest intercept).
fn combine(cues: Vec<Cue>) -> Option<Cue> {
    let mut it = cues.into_iter();
    let mut out = it.next()?;
    for c in it {
        out.crossover_speed_mps = match (out.crossover_speed_mps, c.crossover_speed_mps) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        out.engaged_at_scenario_speed |= c.engaged_at_scenario_speed;
        for w in c.windows {
            match out.windows.iter_mut().find(|x| x.speed_mps == w.speed_mps) {
                Some(x) => {
                    let latest = x.latest_intercept_s.max(w.latest_intercept_s);
                    if w.earliest_intercept_s < x.earliest_intercept_s {
                        *x = w;
                    }
                    x.latest_intercept_s = latest;
                }
                None => out.windows.push(w),
            }
        }
    }
    out.windows.sort_by(|a, b| a.speed_mps.total_cmp(&b.speed_mps));
    Some(out)
}

/// The radars of a scenario, each with every parameter at its value, and at the most capable end of its
/// ranges.
fn radars(s: &Scenario) -> Result<(Vec<Radar>, Vec<Radar>), String> {
    let mut spec = Vec::new();
    for d in &s.radars {
        let site = s.site(&d.site).ok_or_else(|| format!("no site {}", d.site))?;
        spec.push(Radar::from_def(d, site).map_err(|e| e.to_string())?);
    }
    let best = spec.iter().map(|r| most_capable(s, r)).collect();
    Ok((spec, best))
}

/// The radar of `radars` that tracks `threat` first, and when (seconds since launch).
fn first_radar(
    radars: &[Radar],
    threat: &crate::engagement::ThreatTrack,
    engage: &dyn Engage,
) -> Option<String> {
    radars
        .iter()
        .filter_map(|r| Some((engage.track_intervals(r, threat).first()?.0, r)))
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, r)| r.name.clone())
}

/// Runs one trajectory of the plan: [`fly_one`], then [`engage_one`].
pub fn run_one(
    s: &Scenario,
    opts: &StudyOptions,
    speeds: &[f64],
    item: &PlanItem,
) -> Result<ThreatResult, StudyError> {
    if s.radars.is_empty() {
        return Err(StudyError::Incomplete {
            scenario: s.meta.name.clone(),
            message: "it has no radar".into(),
        });
    }
    engage_one(s, opts, speeds, &fly_one(s, opts, item)?, &Direct::default())
}

/// A trajectory of the plan flown, before any radar or battery looks at it ([`fly_one`]).
#[derive(Debug, Clone)]
pub struct Flown {
    /// The result with the flight's fields and track filled and both cues empty.
    pub result: ThreatResult,
    /// The flight; `None` when it was not flown (`result.skipped` says why).
    pub threat: Option<ThreatTrack>,
}

/// How [`engage_one`] engages a flown threat: by a battery (its index in the scenario) cued by a radar
/// network. [`Direct`] computes; a cache may answer for parameters it has seen.
pub trait Engage: Sync {
    /// [`crate::engagement::engage_network`] of `net`, `icpt` and `threat`, or an engagement whose
    /// crossover speed and windows at each of `speeds_mps` are the same (its flyouts may be fewer:
    /// [`FlyoutMemo::deciding_flyouts`]).
    fn engagement(
        &self,
        net: &[Radar],
        battery: usize,
        icpt: &Interceptor,
        threat: &ThreatTrack,
        speeds_mps: &[f64],
    ) -> Engagement;
    /// [`crate::engagement::shoot_look_shoot`] of `icpt` on `threat` from `commit_s`, at `speed_mps`, for the engagement
    /// of `net`.
    fn shots(
        &self,
        net: &[Radar],
        battery: usize,
        icpt: &Interceptor,
        threat: &ThreatTrack,
        commit_s: f64,
        speed_mps: f64,
    ) -> u32;
    /// [`crate::engagement::track_intervals`] of `radar` against `threat`: by default computed.
    fn track_intervals(&self, radar: &Radar, threat: &ThreatTrack) -> Vec<(f64, f64)> {
        crate::engagement::track_intervals(radar, threat)
    }
    /// [`Engage::shots`] at each of `speeds_mps` from the same commit, in order: by default one call
    /// each.
    fn shots_at(
        &self,
        net: &[Radar],
        battery: usize,
        icpt: &Interceptor,
        threat: &ThreatTrack,
        commit_s: f64,
        speeds_mps: &[f64],
    ) -> Vec<u32> {
        speeds_mps
            .iter()
            .map(|&v| self.shots(net, battery, icpt, threat, commit_s, v))
            .collect()
    }
}

/// [`Engage`] by computing, for one trajectory: the flyouts of each battery ([`FlyoutMemo`]: its free
/// scan and the flyouts re-solved where a launch time binds) are computed once and shared by both radar
/// networks' engagements and every shoot-look-shoot count.
#[derive(Default)]
pub struct Direct {
    memos: Mutex<HashMap<usize, FlyoutMemo>>,
}

impl Direct {
    /// `f` with the memo of `battery` (a fresh one, used and dropped, if the lock was poisoned by a panic).
    fn with_memo<R>(&self, battery: usize, f: impl FnOnce(&mut FlyoutMemo) -> R) -> R {
        match self.memos.lock() {
            Ok(mut memos) => f(memos.entry(battery).or_default()),
            Err(_) => f(&mut FlyoutMemo::new()),
        }
    }
}

impl Engage for Direct {
    /// Every flyout of [`engage_network`](crate::engagement::engage_network), whatever the speeds.
    fn engagement(
        &self,
        net: &[Radar],
        battery: usize,
        icpt: &Interceptor,
        threat: &ThreatTrack,
        _: &[f64],
    ) -> Engagement {
        self.with_memo(battery, |memo| engage_network_memo(net, icpt, threat, memo))
    }

    fn shots(
        &self,
        _: &[Radar],
        battery: usize,
        icpt: &Interceptor,
        threat: &ThreatTrack,
        commit_s: f64,
        speed_mps: f64,
    ) -> u32 {
        self.with_memo(battery, |memo| {
            shoot_look_shoot_memo(icpt, threat, commit_s, speed_mps, memo)
        })
    }
}

/// Flies one trajectory of the plan (the part of [`run_one`] that no radar, battery or warhead RCS
/// changes).
pub fn fly_one(s: &Scenario, opts: &StudyOptions, item: &PlanItem) -> Result<Flown, StudyError> {
    let incomplete = |m: String| StudyError::Incomplete {
        scenario: s.meta.name.clone(),
        message: m,
    };
    let (threat_name, missile_name, from, to, shape) = item;
    let site = |n: &str| s.site(n).ok_or_else(|| incomplete(format!("no site {n}")));
    let mdef = s
        .missiles
        .iter()
        .find(|m| &m.name == missile_name)
        .ok_or_else(|| incomplete(format!("no missile {missile_name}")))?;
    let (fs, ts) = (site(from)?, site(to)?);
    let range_m =
        geodesy::inverse(fs.lat_deg, fs.lon_deg, ts.lat_deg, ts.lon_deg).map_or(f64::NAN, |g| g.distance_m);
    let empty = Cue {
        first_detection_s: None,
        first_detection_alt_m: None,
        tracked_s: 0.0,
        crossover_speed_mps: None,
        windows: vec![],
        first_radar: None,
        engaged_at_scenario_speed: false,
    };
    let mut result = ThreatResult {
        threat: threat_name.clone(),
        missile: missile_name.clone(),
        shape: *shape,
        from: from.clone(),
        from_country: fs.country.clone(),
        to: to.clone(),
        range_m,
        skipped: None,
        flight_time_s: f64::NAN,
        apogee_alt_m: f64::NAN,
        threat_burnout_speed_mps: f64::NAN,
        specified: empty.clone(),
        most_capable: empty,
        track: vec![],
    };
    if range_m > mdef.max_range_m.value {
        result.skipped = Some(format!(
            "{:.0} km is beyond the {missile_name}'s {:.0} km range",
            range_m / 1e3,
            mdef.max_range_m.value / 1e3
        ));
        return Ok(Flown { result, threat: None });
    }
    let missile = Missile::from_def(mdef);
    let powered = powered_vehicle(s, mdef, opts.boost)?;
    let flown = if let Some(vdef) = powered {
        let shape = match shape {
            ShapeChoice::MinEnergy => flight::aim::PoweredShape::MinimumEnergy,
            ShapeChoice::Lofted => flight::aim::PoweredShape::Lofted,
            ShapeChoice::Depressed => flight::aim::PoweredShape::Depressed,
        };
        fly_threat_powered(fs, ts, missile, vdef, shape, opts.gravity)
    } else {
        fly_threat(fs, ts, missile, Shape::MinEnergy, opts.gravity).and_then(|me| {
            let factor = match shape {
                ShapeChoice::MinEnergy => return Ok(me),
                ShapeChoice::Lofted => LOFT_FACTOR,
                ShapeChoice::Depressed => DEPRESS_FACTOR,
            };
            fly_threat(
                fs,
                ts,
                missile,
                Shape::Apogee {
                    alt_m: factor * me.apogee_alt_m(),
                },
                opts.gravity,
            )
        })
    };
    let threat = match flown {
        Ok(t) => t,
        Err(e) => {
            result.skipped = Some(e.to_string());
            return Ok(Flown { result, threat: None });
        }
    };
    result.flight_time_s = threat.impact_time_s();
    result.apogee_alt_m = threat.apogee_alt_m();
    result.threat_burnout_speed_mps = threat.burnout_state.speed_mps;
    let mut t = 0.0;
    let end = threat.impact_time_s();
    while t <= end + 1e-9 {
        let g = geodesy::ecef_to_geodetic(threat.ecef_at(t));
        result.track.push(TrackSample {
            t_s: t,
            lat_deg: g.lat_deg,
            lon_deg: g.lon_deg,
            alt_m: g.h_m,
        });
        t = if t + 20.0 > end && t < end { end } else { t + 20.0 };
    }
    Ok(Flown {
        result,
        threat: Some(threat),
    })
}

/// Engages a flown trajectory with the scenario's radars and batteries (the part of [`run_one`] after
/// [`fly_one`]); `engage` computes, or recalls, each engagement. The threat's warhead RCS is the
/// scenario's (the flight does not depend on it).
pub fn engage_one(
    s: &Scenario,
    opts: &StudyOptions,
    speeds: &[f64],
    flown: &Flown,
    engage: &dyn Engage,
) -> Result<ThreatResult, StudyError> {
    let incomplete = |m: String| StudyError::Incomplete {
        scenario: s.meta.name.clone(),
        message: m,
    };
    if s.radars.is_empty() {
        return Err(incomplete("it has no radar".into()));
    }
    let (radars, best) = radars(s).map_err(incomplete)?;
    let batteries = batteries(s, opts)?;
    let mut result = flown.result.clone();
    let Some(threat) = &flown.threat else {
        return Ok(result);
    };
    let mut threat = threat.clone();
    if let Some(m) = s.missiles.iter().find(|m| m.name == result.missile) {
        threat.missile.rcs_m2 = m.rcs_m2.value;
    }
    let answer = |net: &[Radar]| {
        let cues = batteries
            .iter()
            .enumerate()
            .map(|(i, (name, icpt))| {
                let shots = |commit: f64, v: &[f64]| engage.shots_at(net, i, icpt, &threat, commit, v);
                // The windows are read at these speeds ([`cue`]).
                let mut read_at = speeds.to_vec();
                read_at.push(icpt.burnout_speed_mps);
                cue(
                    &engage.engagement(net, i, icpt, &threat, &read_at),
                    &threat,
                    icpt,
                    name,
                    speeds,
                    &shots,
                )
            })
            .collect();
        combine(cues).map(|mut c| {
            c.first_radar = first_radar(net, &threat, engage);
            c
        })
    };
    let none = || incomplete("it has no interceptor battery".into());
    result.specified = answer(&radars).ok_or_else(none)?;
    result.most_capable = answer(&best).ok_or_else(none)?;
    Ok(result)
}

/// The vehicle that flies `mdef` under the boost `model`: its named vehicle under the powered model, none
/// (the fixed boost) otherwise or when it names none.
fn powered_vehicle<'a>(
    s: &'a Scenario,
    mdef: &crate::scenario::MissileDef,
    model: BoostModel,
) -> Result<Option<&'a crate::scenario::VehicleDef>, StudyError> {
    match (&mdef.vehicle, model) {
        (Some(name), BoostModel::Powered) => {
            s.vehicle(name).map(Some).ok_or_else(|| StudyError::Incomplete {
                scenario: s.meta.name.clone(),
                message: format!(
                    "missile {} names no vehicle \"{name}\" of the scenario",
                    mdef.name
                ),
            })
        }
        _ => Ok(None),
    }
}

/// The missiles whose threats fly powered under `model` (those naming a vehicle), in scenario order.
pub fn powered_missiles(s: &Scenario, model: BoostModel) -> Vec<String> {
    s.missiles
        .iter()
        .filter(|m| model == BoostModel::Powered && m.vehicle.is_some())
        .map(|m| m.name.clone())
        .collect()
}

/// The speeds a study reports: the requested ones plus the battery's value and range ends, sorted.
pub fn speeds(s: &Scenario, opts: &StudyOptions) -> Vec<f64> {
    let mut v = opts.speeds_mps.clone();
    for i in &s.interceptors {
        let (lo, hi) = i.burnout_speed_mps.span_of_values();
        v.extend([lo, i.burnout_speed_mps.value, hi]);
    }
    v.sort_by(f64::total_cmp);
    v.dedup();
    v
}

/// Every parameter the study uses, with its value, range and source, as the report lists them: the
/// parameter table's rows, then each vehicle stage's (and each point of a stage's drag curve).
pub fn used_parameters(s: &Scenario) -> Vec<UsedParam> {
    let mut parameters: Vec<UsedParam> = crate::params::entries(s)
        .iter()
        .map(|e| UsedParam {
            key: e.path(),
            value: e.param.value,
            range: e.param.range,
            source: e.param.source.clone(),
        })
        .collect();
    // The vehicles' stage parameters follow: they are not rows of the parameter table (a stage has no
    // name to address it by), so sweeps cannot reach them.
    let push = |parameters: &mut Vec<UsedParam>, owner: &str, key: &str, p: &crate::scenario::Param| {
        parameters.push(UsedParam {
            key: format!("{owner}.{key}"),
            value: p.value,
            range: p.range,
            source: p.source.clone(),
        });
    };
    for v in &s.vehicles {
        let o = format!("vehicles.{}", v.name);
        for (k, st) in v.stages.iter().enumerate() {
            let so = format!("{o}.stages[{k}]");
            push(&mut parameters, &so, "propellant_kg", &st.propellant_kg);
            push(&mut parameters, &so, "dry_kg", &st.dry_kg);
            push(&mut parameters, &so, "burn_time_s", &st.burn_time_s);
            push(&mut parameters, &so, "isp_vac_s", &st.isp_vac_s);
            push(
                &mut parameters,
                &so,
                "nozzle_exit_area_m2",
                &st.nozzle_exit_area_m2,
            );
            push(&mut parameters, &so, "reference_area_m2", &st.reference_area_m2);
            push(&mut parameters, &so, "drag_cd", &st.drag_cd);
            push(&mut parameters, &so, "coast_after_s", &st.coast_after_s);
            if let Some(curve) = &st.drag_mach_curve {
                // One row per point: the factor on `drag_cd` at that Mach number.
                for (m, f) in curve.mach.iter().zip(&curve.factor) {
                    parameters.push(UsedParam {
                        key: format!("{so}.drag_mach_curve.factor_at_mach_{m}"),
                        value: *f,
                        range: None,
                        source: curve.source.clone(),
                    });
                }
            }
        }
    }
    parameters
}

/// Radar coverage of every launch site and the scenario's header data; `threats` come from [`run_one`].
pub fn assemble(s: &Scenario, opts: &StudyOptions, threats: Vec<ThreatResult>) -> Result<Study, StudyError> {
    let incomplete = |m: String| StudyError::Incomplete {
        scenario: s.meta.name.clone(),
        message: m,
    };
    if s.radars.is_empty() {
        return Err(incomplete("it has no radar".into()));
    }
    if s.interceptors.is_empty() {
        return Err(incomplete("it has no interceptor battery".into()));
    }
    let (radars, best) = radars(s).map_err(incomplete)?;
    // The lowest altitude any radar of the network sees above a point.
    let lowest = |net: &[Radar], lat: f64, lon: f64, rcs: f64| {
        net.iter()
            .filter_map(|r| r.lowest_visible_alt_m(lat, lon, rcs))
            .min_by(f64::total_cmp)
    };
    let min_rcs = s
        .missiles
        .iter()
        .map(|m| m.rcs_m2.value)
        .fold(f64::INFINITY, f64::min);
    let coverage = s
        .sites
        .iter()
        .filter(|site| site.roles.contains(&Role::Launch))
        .map(|site| {
            let rcs = s
                .threats
                .iter()
                .filter(|t| t.from.contains(&site.name))
                .filter_map(|t| s.missiles.iter().find(|m| m.name == t.missile))
                .map(|m| m.rcs_m2.value)
                .fold(f64::INFINITY, f64::min);
            let rcs = if rcs.is_finite() { rcs } else { min_rcs };
            Coverage {
                site: site.name.clone(),
                country: site.country.clone(),
                lat_deg: site.lat_deg,
                lon_deg: site.lon_deg,
                rcs_m2: rcs,
                // f64::min skips NaN, so a failed geodesic counts as no distance.
                distance_m: radars
                    .iter()
                    .map(|r| {
                        geodesy::inverse(r.position.lat_deg, r.position.lon_deg, site.lat_deg, site.lon_deg)
                            .map_or(f64::NAN, |g| g.distance_m)
                    })
                    .fold(f64::NAN, f64::min),
                specified_alt_m: lowest(&radars, site.lat_deg, site.lon_deg, rcs),
                most_capable_alt_m: lowest(&best, site.lat_deg, site.lon_deg, rcs),
            }
        })
        .collect();
    let parameters = used_parameters(s);
    // The sized vehicle shown is the first battery's (the one footprints and sweeps use).
    let idef = &s.interceptors[0];
    let isite = s
        .site(&idef.site)
        .ok_or_else(|| incomplete(format!("no site {}", idef.site)))?;
    let sized_interceptor = match (opts.boost, idef.vehicle.as_deref().and_then(|n| s.vehicle(n))) {
        (BoostModel::Powered, Some(vdef)) => {
            let site = Geodetic {
                lat_deg: isite.lat_deg,
                lon_deg: isite.lon_deg,
                h_m: isite.h_m,
            };
            let speed = idef.burnout_speed_mps.value;
            let z = size_interceptor(vdef, site, speed).map_err(|e| incomplete(e.to_string()))?;
            Some(SizedSummary {
                vehicle: vdef.name.clone(),
                burnout_speed_mps: speed,
                scale: z.scale,
                liftoff_mass_kg: z.liftoff_mass_kg,
                propellant_kg: z.propellant_kg,
                burnout_time_s: z.burnout_time_s,
                burnout_alt_m: z.burnout_alt_m,
                burnout_downrange_m: z.burnout_downrange_m,
                losses_mps: z.losses_mps,
            })
        }
        _ => None,
    };
    let sites = s
        .sites
        .iter()
        .map(|x| {
            (
                x.name.clone(),
                (
                    x.lat_deg,
                    x.lon_deg,
                    x.roles.iter().map(|r| format!("{r:?}").to_lowercase()).collect(),
                ),
            )
        })
        .collect();
    Ok(Study {
        scenario: s.meta.name.clone(),
        description: s.meta.description.clone(),
        radar: s
            .radars
            .iter()
            .map(|r| r.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        interceptor: s
            .interceptors
            .iter()
            .map(|i| i.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        gravity: opts.gravity.name().to_string(),
        boost: opts.boost,
        boost_model: {
            let fixed = fixed_boost_batteries(s, opts);
            let mut text = opts.boost.describe().to_string();
            if opts.boost == BoostModel::Powered {
                let flown = powered_missiles(s, opts.boost);
                text.push_str(&if flown.is_empty() {
                    "; threats keep the fixed boost (no missile names a vehicle)".to_string()
                } else if flown.len() == s.missiles.len() {
                    format!(
                        "; threats are flown too, aimed by shooting on the pitch programme to land within {} m: {}",
                        crate::engagement::POWERED_MISS_M,
                        flown.join(", ")
                    )
                } else {
                    format!(
                        "; threats of {} are flown too, aimed by shooting on the pitch programme to land within {} m; the others keep the fixed boost",
                        flown.join(", "),
                        crate::engagement::POWERED_MISS_M
                    )
                });
            }
            if !fixed.is_empty() {
                text.push_str(&format!(
                    ". Batteries naming no vehicle keep the fixed boost: {}",
                    fixed.join(", ")
                ));
            }
            text.push('.');
            text
        },
        sized_interceptor,
        speeds_mps: speeds(s, opts),
        threats,
        coverage,
        parameters,
        sites,
    })
}
