//! Parameter sweeps (`shieldwatch sweep`): how the answer moves with the disputed numbers.
//!
//! A parameter is addressed by its path in the scenario, `section.name.key` (for example
//! `interceptors.GBI-2.burnout_speed_mps`, `radars.EMR.reference_range_m`,
//! `missiles.Iranian IRBM.burnout_alt_m`), or `section.key` for the first item of the section. For every
//! value (one parameter) or pair of values (two parameters) every threat trajectory of the scenario is
//! flown and engaged with the fast engine of [`crate::footprint`]; the result counts, per threat family,
//! the trajectories the deployment engages. A Monte Carlo run instead draws every disputed parameter (or
//! the ones named) uniformly within its `range`, `samples` times from a seed, and reports for each
//! launch site and target the probability that the deployment engages it.
//!
//! Draws come from SplitMix64 seeded with `seed` and the sample index, so a run is reproducible on any
//! machine and independent of the number of threads.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;
use serde::Serialize;

use crate::boost::BoostModel;
use crate::engagement::Missile;
use crate::footprint::{self, FootprintError, engage_after, fast_threat_with};
use crate::params::{self, PathError};
use crate::reach::ReachTable;
use crate::scenario::{Param, Scenario};
use crate::study::ShapeChoice;
use crate::threat_boost::{Latitudes, ThreatBoostTable};
use geodesy::Geodetic;

/// Why a sweep could not run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SweepError {
    /// No parameter at that path.
    #[error("unknown parameter path \"{path}\"; known paths: {known}")]
    UnknownPath {
        /// The path given.
        path: String,
        /// Every valid path, comma-separated.
        known: String,
    },
    /// A value outside the parameter's physical limits, or a malformed range.
    #[error("{0}")]
    Invalid(String),
    /// The scenario lacks something.
    #[error(transparent)]
    Scenario(#[from] FootprintError),
    /// Cancelled (Ctrl-C).
    #[error("cancelled")]
    Cancelled,
}

/// Every numeric parameter path of a scenario, in file order (the rows of [`crate::params`]).
pub fn param_paths(s: &Scenario) -> Vec<String> {
    params::paths(s)
}

impl From<PathError> for SweepError {
    fn from(e: PathError) -> Self {
        match e {
            PathError::Unknown { path, known } => SweepError::UnknownPath { path, known },
            other => SweepError::Invalid(other.to_string()),
        }
    }
}

/// The parameter at `path`, for reading or changing.
pub fn param_mut<'a>(s: &'a mut Scenario, path: &str) -> Result<&'a mut Param, SweepError> {
    Ok(params::param_mut(s, path)?.1)
}

/// Checks `value` against the physical limits of the parameter at `path` (its row of
/// [`crate::params`]); the message is the scenario checker's, prefixed with the path.
pub fn check_value(s: &Scenario, path: &str, value: f64) -> Result<(), SweepError> {
    let def = params::def_at(s, path)?;
    def.check_value(value)
        .map_err(|m| SweepError::Invalid(format!("{path}: {m}")))
}

/// Sets the parameter at `path` to `value` after checking its physical limits and the relations
/// between its item's parameters; the parameter keeps its `source` (with " [swept]" appended once) and
/// its range.
pub fn set_param(s: &mut Scenario, path: &str, value: f64) -> Result<(), SweepError> {
    set_params(s, &[(path, value)])
}

/// Sets several parameters at once (every value checked against its limits first), then checks the
/// relations of every item changed, so that a pair such as a radar's minimum and maximum elevation can
/// move together.
pub fn set_params(s: &mut Scenario, values: &[(&str, f64)]) -> Result<(), SweepError> {
    for &(path, value) in values {
        check_value(s, path, value)?;
        let p = param_mut(s, path)?;
        p.value = value;
        if !p.source.ends_with(" [swept]") {
            p.source.push_str(" [swept]");
        }
    }
    for &(path, value) in values {
        params::check_relations(s, path)
            .map_err(|m| SweepError::Invalid(format!("{path} = {value}: {m}")))?;
    }
    Ok(())
}

/// One axis of a sweep: a parameter path and the values it takes.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Axis {
    /// Parameter path.
    pub path: String,
    /// Values, in the parameter's unit.
    pub values: Vec<f64>,
}

impl Axis {
    /// `steps` evenly spaced values from `from` to `to` inclusive, checked against the parameter's
    /// limits and the scenario's paths.
    pub fn linspace(s: &Scenario, path: &str, from: f64, to: f64, steps: usize) -> Result<Axis, SweepError> {
        params::def_at(s, path)?;
        if steps < 2 {
            return Err(SweepError::Invalid(format!(
                "{path}: a sweep needs at least 2 steps"
            )));
        }
        if from.partial_cmp(&to) != Some(std::cmp::Ordering::Less) {
            return Err(SweepError::Invalid(format!(
                "{path}: the range {from}..{to} must go from a lower to a higher value"
            )));
        }
        check_value(s, path, from)?;
        check_value(s, path, to)?;
        let values = (0..steps)
            .map(|i| from + (to - from) * i as f64 / (steps - 1) as f64)
            .collect();
        Ok(Axis {
            path: path.to_string(),
            values,
        })
    }
}

/// The outcome of one threat trajectory.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PairOutcome {
    /// Threat family.
    pub threat: String,
    /// Launch site.
    pub from: String,
    /// Target.
    pub to: String,
    /// Flown (within range, trajectory found).
    pub flown: bool,
    /// Engaged by some battery at its own burnout speed.
    pub engaged: bool,
    /// Lowest burnout speed that engages, m/s: the lowest of the batteries'.
    pub crossover_speed_mps: Option<f64>,
    /// The threat's boost model: powered when the interceptor's is and its missile names a vehicle
    /// ([`footprint::threat_table`]), fixed otherwise.
    pub threat_boost: BoostModel,
}

/// One point of a sweep.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SweepPoint {
    /// Parameter values, in axis order.
    pub values: Vec<f64>,
    /// Per threat family: (name, engaged, flown).
    pub families: Vec<(String, usize, usize)>,
    /// Every trajectory.
    pub outcomes: Vec<PairOutcome>,
}

/// A finished sweep.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Sweep {
    /// Scenario name.
    pub scenario: String,
    /// Trajectory family.
    pub shape: ShapeChoice,
    /// The interceptor's boost model.
    pub boost: BoostModel,
    /// The threats' boost model: `powered`, `fixed`, or `mixed` when some of the scenario's threats fly
    /// powered and others (whose missile names no vehicle) the fixed boost ([`threats_boost`]).
    pub threat_boost: &'static str,
    /// One or two axes.
    pub axes: Vec<Axis>,
    /// Points, the last axis varying fastest.
    pub points: Vec<SweepPoint>,
}

/// Reach tables shared across points with the same battery geometry.
#[derive(Debug, Default)]
pub struct TableCache(Mutex<Vec<Arc<ReachTable>>>);

impl TableCache {
    fn get(&self, icpt: &crate::engagement::Interceptor) -> Arc<ReachTable> {
        let mut v = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(t) = v.iter().find(|t| t.serves(icpt)) {
            return t.clone();
        }
        let t = Arc::new(ReachTable::new(icpt));
        if v.len() >= 8 {
            v.remove(0);
        }
        v.push(t.clone());
        t
    }
}

/// Engages every threat trajectory of the scenario (as it stands) with the fast engine and the whole
/// defence, as the study does ([`footprint::network`]): the first track of any radar cues every battery;
/// the crossover is the lowest of the batteries', and a trajectory is engaged when some battery engages
/// it at its own burnout speed. A battery whose entry names no vehicle flies the fixed boost under the
/// powered model, as in the study.
pub fn evaluate(
    s: &Scenario,
    shape: ShapeChoice,
    boost: BoostModel,
    cache: &TableCache,
) -> Result<Vec<PairOutcome>, SweepError> {
    let net = footprint::network(s, boost)?;
    let batteries: Vec<(&crate::engagement::Interceptor, Arc<ReachTable>)> =
        net.batteries.iter().map(|(_, b)| (b, cache.get(b))).collect();
    let mut out = Vec::new();
    for t in &s.threats {
        let Some(mdef) = s.missiles.iter().find(|m| m.name == t.missile) else {
            continue;
        };
        let missile = Missile::from_def(mdef);
        let powered = footprint::threat_table(s, &mdef.name, shape, boost)?;
        let threat_boost = if powered.is_some() {
            BoostModel::Powered
        } else {
            BoostModel::Fixed
        };
        for from in &t.from {
            for to in &t.to {
                let (Some(a), Some(b)) = (s.site(from), s.site(to)) else {
                    continue;
                };
                let launch = Geodetic {
                    lat_deg: a.lat_deg,
                    lon_deg: a.lon_deg,
                    h_m: a.h_m,
                };
                let th = fast_threat_with(
                    launch,
                    b.lat_deg,
                    b.lon_deg,
                    missile,
                    mdef.max_range_m.value,
                    shape,
                    // The sweep's launch points are a few sites: each latitude is read exactly.
                    powered.as_deref().map(|t| (t, Latitudes::Pinned)),
                );
                let (flown, crossover, engaged) = match th {
                    Ok(th) => {
                        let first = footprint::network_first_detection_s(&net.radars, &th);
                        let (mut best, mut engaged) = (None::<f64>, false);
                        for (icpt, table) in &batteries {
                            let speed = icpt.burnout_speed_mps;
                            if let Some((c, _, _)) = engage_after(first, icpt, table, &th, speed).crossover {
                                best = Some(best.map_or(c, |b| b.min(c)));
                                engaged |= c <= speed;
                            }
                        }
                        (true, best, engaged)
                    }
                    Err(_) => (false, None, false),
                };
                if let Some(e) = powered.as_deref().and_then(ThreatBoostTable::failure) {
                    return Err(FootprintError::from(e).into());
                }
                out.push(PairOutcome {
                    threat: t.name.clone(),
                    from: from.clone(),
                    to: to.clone(),
                    flown,
                    engaged,
                    crossover_speed_mps: crossover,
                    threat_boost,
                });
            }
        }
    }
    Ok(out)
}

/// The threats' boost model of a sweep or Monte Carlo run of `s` under the interceptor boost `model`:
/// `powered` when every threat's missile names a vehicle and `model` is powered, `fixed` when none flies
/// powered, `mixed` otherwise (each row of `sweep.csv` names its own).
pub fn threats_boost(s: &Scenario, model: BoostModel) -> &'static str {
    let powered: Vec<bool> = s
        .threats
        .iter()
        .map(|t| {
            model == BoostModel::Powered
                && s.missiles
                    .iter()
                    .find(|m| m.name == t.missile)
                    .is_some_and(|m| m.vehicle.is_some())
        })
        .collect();
    if powered.iter().all(|&p| p) && !powered.is_empty() {
        "powered"
    } else if powered.iter().any(|&p| p) {
        "mixed"
    } else {
        "fixed"
    }
}

fn families(s: &Scenario, outcomes: &[PairOutcome]) -> Vec<(String, usize, usize)> {
    s.threats
        .iter()
        .map(|t| {
            let of = outcomes.iter().filter(|o| o.threat == t.name && o.flown);
            let (e, n) = of.fold((0, 0), |(e, n), o| (e + usize::from(o.engaged), n + 1));
            (t.name.clone(), e, n)
        })
        .collect()
}

/// Sweeps one or two axes; `progress(1)` after each point; `cancel` stops early.
pub fn sweep(
    s: &Scenario,
    axes: &[Axis],
    shape: ShapeChoice,
    boost: BoostModel,
    progress: &(dyn Fn(usize) + Sync),
    cancel: &AtomicBool,
) -> Result<Sweep, SweepError> {
    if axes.is_empty() || axes.len() > 2 {
        return Err(SweepError::Invalid(
            "sweep one or two parameters at a time".into(),
        ));
    }
    if axes.len() == 2 && axes[0].path == axes[1].path {
        return Err(SweepError::Invalid("the two swept parameters must differ".into()));
    }
    let combos: Vec<Vec<f64>> = match axes {
        [a] => a.values.iter().map(|&v| vec![v]).collect(),
        [a, b] => a
            .values
            .iter()
            .flat_map(|&x| b.values.iter().map(move |&y| vec![x, y]))
            .collect(),
        _ => vec![],
    };
    let cache = TableCache::default();
    let points: Vec<Result<SweepPoint, SweepError>> = combos
        .par_iter()
        .map(|vals| {
            if cancel.load(Ordering::Relaxed) {
                return Err(SweepError::Cancelled);
            }
            let mut sc = s.clone();
            let assigned: Vec<(&str, f64)> = axes
                .iter()
                .zip(vals)
                .map(|(ax, &v)| (ax.path.as_str(), v))
                .collect();
            set_params(&mut sc, &assigned)?;
            let outcomes = evaluate(&sc, shape, boost, &cache)?;
            progress(1);
            Ok(SweepPoint {
                values: vals.clone(),
                families: families(&sc, &outcomes),
                outcomes,
            })
        })
        .collect();
    Ok(Sweep {
        scenario: s.meta.name.clone(),
        shape,
        boost,
        threat_boost: threats_boost(s, boost),
        axes: axes.to_vec(),
        points: points.into_iter().collect::<Result<_, _>>()?,
    })
}

/// SplitMix64 (Steele, Lea & Flood 2014): a small, well-mixed generator that is fully specified here, so
/// seeds give the same draws everywhere.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator for sample `index` of the run seeded with `seed`.
    pub fn new(seed: u64, index: u64) -> Self {
        let mut g = SplitMix64(seed ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03));
        g.next_u64();
        g
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform draw in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The engagement probability of one launch site → target pair.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PairProbability {
    /// Threat family.
    pub threat: String,
    /// Launch site.
    pub from: String,
    /// Target.
    pub to: String,
    /// Samples in which it was flown (within the sampled range).
    pub flown: usize,
    /// Samples in which it was engaged.
    pub engaged: usize,
    /// engaged / samples.
    pub probability: f64,
}

/// A Monte Carlo run.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MonteCarlo {
    /// Scenario name.
    pub scenario: String,
    /// Seed.
    pub seed: u64,
    /// Number of samples.
    pub samples: usize,
    /// The interceptor's boost model.
    pub boost: BoostModel,
    /// The threats' boost model: `powered`, `fixed`, or `mixed` when some of the scenario's threats fly
    /// powered and others (whose missile names no vehicle) the fixed boost ([`threats_boost`]).
    pub threat_boost: &'static str,
    /// Parameters drawn, with their ranges.
    pub parameters: Vec<(String, [f64; 2])>,
    /// Per pair, in scenario order.
    pub pairs: Vec<PairProbability>,
}

/// Draws every parameter of `paths` (default: every parameter with a `range`) uniformly within its range,
/// `samples` times from `seed`, and counts engagements.
#[allow(clippy::too_many_arguments)]
pub fn monte_carlo(
    s: &Scenario,
    paths: Option<&[String]>,
    samples: usize,
    seed: u64,
    shape: ShapeChoice,
    boost: BoostModel,
    progress: &(dyn Fn(usize) + Sync),
    cancel: &AtomicBool,
) -> Result<MonteCarlo, SweepError> {
    if samples == 0 || samples > 1_000_000 {
        return Err(SweepError::Invalid(format!(
            "--samples {samples} must be in 1..=1000000"
        )));
    }
    let all = param_paths(s);
    let chosen: Vec<String> = match paths {
        Some(p) => p.to_vec(),
        None => all,
    };
    let mut ranged = Vec::new();
    for path in &chosen {
        let (_, p) = params::param(s, path)?;
        match (p.range, paths.is_some()) {
            (Some(r), _) => ranged.push((path.clone(), r)),
            (None, true) => {
                return Err(SweepError::Invalid(format!(
                    "{path} has no range in the scenario to draw from"
                )));
            }
            (None, false) => {}
        }
    }
    let cache = TableCache::default();
    let runs: Vec<Result<Vec<PairOutcome>, SweepError>> = (0..samples)
        .into_par_iter()
        .map(|k| {
            if cancel.load(Ordering::Relaxed) {
                return Err(SweepError::Cancelled);
            }
            let mut rng = SplitMix64::new(seed, k as u64);
            let mut sc = s.clone();
            let drawn: Vec<(&str, f64)> = ranged
                .iter()
                .map(|(path, [lo, hi])| (path.as_str(), lo + (hi - lo) * rng.next_f64()))
                .collect();
            set_params(&mut sc, &drawn)?;
            let o = evaluate(&sc, shape, boost, &cache)?;
            progress(1);
            Ok(o)
        })
        .collect();
    let runs: Vec<Vec<PairOutcome>> = runs.into_iter().collect::<Result<_, _>>()?;
    let mut pairs: Vec<PairProbability> = runs
        .first()
        .map(|r| {
            r.iter()
                .map(|o| PairProbability {
                    threat: o.threat.clone(),
                    from: o.from.clone(),
                    to: o.to.clone(),
                    flown: 0,
                    engaged: 0,
                    probability: 0.0,
                })
                .collect()
        })
        .unwrap_or_default();
    for r in &runs {
        for (p, o) in pairs.iter_mut().zip(r) {
            p.flown += usize::from(o.flown);
            p.engaged += usize::from(o.engaged);
        }
    }
    for p in &mut pairs {
        p.probability = p.engaged as f64 / samples as f64;
    }
    Ok(MonteCarlo {
        scenario: s.meta.name.clone(),
        seed,
        boost,
        threat_boost: threats_boost(s, boost),
        samples,
        parameters: ranged,
        pairs,
    })
}
