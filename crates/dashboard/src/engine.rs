//! The study behind the page: the scenario with the requested parameters, run by `defence::study`
//! exactly as `shieldwatch study` runs it, with one saving.
//!
//! The required interceptor burnout speed along a trajectory does not depend on the battery's own
//! burnout speed (that speed is only the threshold the answer is read off, and a powered battery's
//! vehicle family is flown the same whatever it is sized to), so every study is kept, keyed by every
//! other parameter, with the speeds it has windows at (the battery's value and the ends of its disputed
//! range). A request that changes only the burnout speed of a single-battery scenario, to one of those
//! speeds, is answered by reading the windows already computed; any other change engages every
//! trajectory anew. Either way the answer is that of `shieldwatch study` with the scenario's value set to
//! the requested one. (Windows at more speeds would make every other change slower: shoot-look-shoot is
//! counted anew at each speed.)

use std::sync::{Arc, Mutex};
use std::time::Instant;

use defence::params::{self, ParamDef};
use defence::scenario::Scenario;
use defence::study::{self, Cue, Study, StudyOptions, ThreatResult};
use defence::sweep;
use rayon::prelude::*;

use crate::DashboardError;
use crate::model::{
    CountryCount, ParamView, SiteView, StudyRequest, StudyView, TrajectoryView, UsedValue, WindowView,
};

/// The keys of the parameters the page offers (every item of the section that has them).
pub const OFFERED: &[&str] = &[
    "burnout_speed_mps",
    "commit_delay_s",
    "reference_range_m",
    "azimuth_half_width_deg",
    "rcs_m2",
];

/// How many studies (distinct parameter sets, burnout speeds aside) are kept.
const KEPT: usize = 8;

/// A study kept for reuse.
struct Kept {
    /// Every parameter but the batteries' burnout speeds, as (path, value bits).
    key: Vec<(String, u64)>,
    /// Speeds at which the kept trajectories carry windows, m/s.
    speeds: Vec<f64>,
    /// The trajectories.
    threats: Arc<Vec<ThreatResult>>,
}

/// The scenario, the studies computed for it and the latest one.
pub struct Engine {
    base: Scenario,
    kept: Mutex<Vec<Kept>>,
    latest: Mutex<Option<Arc<Study>>>,
}

/// A label for a parameter: the item's name and what the key means.
fn label(item: &str, key: &str) -> String {
    let what = match key {
        "burnout_speed_mps" => "burnout speed",
        "commit_delay_s" => "commit delay",
        "reference_range_m" => "detection range",
        "azimuth_half_width_deg" => "field of regard (half-width)",
        "rcs_m2" => "radar cross-section",
        other => other,
    };
    format!("{item} {what}")
}

/// Unit to show a parameter in, and the scale from its own unit.
fn display(unit: &str) -> (&'static str, f64) {
    match unit {
        "m/s" => ("km/s", 1000.0),
        "m" => ("km", 1000.0),
        "s" => ("s", 1.0),
        "deg" => ("deg", 1.0),
        "m2" => ("m²", 1.0),
        _ => ("", 1.0),
    }
}

/// A slider over the disputed range and a quarter of its width either side (the value ± half when the
/// parameter has no range), clipped to the physical limits, in steps of a power of ten near a twentieth
/// of the range.
pub fn slider(def: &ParamDef, value: f64, range: Option<[f64; 2]>) -> (f64, f64, f64) {
    let [lo, hi] = range.unwrap_or([value, value]);
    let width = if hi > lo { hi - lo } else { value.abs().max(1.0) };
    let step = 10f64.powf((width / 20.0).log10().floor());
    let mut min = ((lo.min(value) - width / 4.0) / step).floor() * step;
    let mut max = ((hi.max(value) + width / 4.0) / step).ceil() * step;
    if !def.limits.contains(min) {
        min = if def.limits.low_open {
            def.limits.low + step
        } else {
            def.limits.low
        };
    }
    if !def.limits.contains(max) {
        max = def.limits.high;
    }
    (min, max, step)
}

/// Every parameter but the batteries' burnout speeds.
fn key(s: &Scenario) -> Vec<(String, u64)> {
    params::entries(s)
        .iter()
        .filter(|e| e.def.key != "burnout_speed_mps")
        .map(|e| (e.path(), e.param.value.to_bits()))
        .collect()
}

/// Whether a cue has a window at `speed`.
fn engaged_at(c: &Cue, speed: f64) -> bool {
    c.windows.iter().any(|w| w.speed_mps == speed)
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

impl Engine {
    /// An engine for a scenario (its values are the page's starting point).
    pub fn new(base: Scenario) -> Engine {
        Engine {
            base,
            kept: Mutex::new(Vec::new()),
            latest: Mutex::new(None),
        }
    }

    /// The scenario as loaded.
    pub fn scenario(&self) -> &Scenario {
        &self.base
    }

    /// The parameters the page offers.
    pub fn scenario_view(&self) -> crate::model::ScenarioView {
        let params = params::entries(&self.base)
            .into_iter()
            .filter(|e| OFFERED.contains(&e.def.key))
            .map(|e| {
                let (slider_min, slider_max, slider_step) = slider(e.def, e.param.value, e.param.range);
                let (display_unit, display_scale) = display(e.def.unit);
                ParamView {
                    path: e.path(),
                    label: label(e.item, e.def.key),
                    unit: e.def.unit.to_string(),
                    value: e.param.value,
                    range: e.param.range,
                    source: e.param.source.clone(),
                    limits: e.def.limits.interval(),
                    slider_min,
                    slider_max,
                    slider_step,
                    display_unit: display_unit.to_string(),
                    display_scale,
                }
            })
            .collect();
        crate::model::ScenarioView {
            name: self.base.meta.name.clone(),
            description: self.base.meta.description.clone(),
            params,
        }
    }

    /// The latest study computed, if any.
    pub fn latest(&self) -> Result<Option<Arc<Study>>, DashboardError> {
        Ok(self
            .latest
            .lock()
            .map_err(|_| DashboardError::Internal("the latest study's lock is poisoned".into()))?
            .clone())
    }

    /// The scenario with the request's values, checked against the parameters' physical limits by the
    /// same code (and with the same messages) as `shieldwatch sweep --param`.
    pub fn scenario_for(&self, req: &StudyRequest) -> Result<Scenario, DashboardError> {
        let mut s = self.base.clone();
        let values: Vec<(&str, f64)> = req.params.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        sweep::set_params(&mut s, &values).map_err(|e| DashboardError::Invalid(e.to_string()))?;
        Ok(s)
    }

    /// The study at the request's parameters (blocking: run it off the async runtime).
    pub fn study(&self, req: &StudyRequest) -> Result<StudyView, DashboardError> {
        let start = Instant::now();
        let s = self.scenario_for(req)?;
        // Windows at the battery's value and range ends only (`study::speeds` adds them).
        let opts = StudyOptions {
            speeds_mps: Vec::new(),
            ..StudyOptions::default()
        };
        let speeds = study::speeds(&s, &opts);
        let key = key(&s);
        let reused = self.reuse(&s, &key)?;
        let recomputed = reused.is_none();
        let threats = match reused {
            Some(t) => t,
            None => {
                study::battery(&s, &opts).map_err(|e| DashboardError::Invalid(e.to_string()))?;
                let threats = study::plan(&s, &opts)
                    .par_iter()
                    .map(|item| study::run_one(&s, &opts, &speeds, item))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| DashboardError::Invalid(e.to_string()))?;
                let mut kept = self
                    .kept
                    .lock()
                    .map_err(|_| DashboardError::Internal("the study cache's lock is poisoned".into()))?;
                if kept.len() == KEPT {
                    kept.remove(0);
                }
                kept.push(Kept {
                    key,
                    speeds: speeds.clone(),
                    threats: Arc::new(threats.clone()),
                });
                threats
            }
        };
        let result =
            study::assemble(&s, &opts, threats).map_err(|e| DashboardError::Invalid(e.to_string()))?;
        let view = self.view(&s, &result, recomputed, start);
        *self
            .latest
            .lock()
            .map_err(|_| DashboardError::Internal("the latest study's lock is poisoned".into()))? =
            Some(Arc::new(result));
        Ok(view)
    }

    /// The kept trajectories of a study with the same parameters but the battery's burnout speed, read
    /// off at the new speed; `None` when there is none, the scenario has several batteries (whose
    /// windows are combined) or the speed is not one the kept study has windows at.
    fn reuse(
        &self,
        s: &Scenario,
        key: &[(String, u64)],
    ) -> Result<Option<Vec<ThreatResult>>, DashboardError> {
        let [battery] = s.interceptors.as_slice() else {
            return Ok(None);
        };
        let speed = battery.burnout_speed_mps.value;
        let kept = self
            .kept
            .lock()
            .map_err(|_| DashboardError::Internal("the study cache's lock is poisoned".into()))?;
        let Some(k) = kept.iter().find(|k| k.key == key && k.speeds.contains(&speed)) else {
            return Ok(None);
        };
        let mut threats = (*k.threats).clone();
        for t in &mut threats {
            if t.skipped.is_none() {
                t.specified.engaged_at_scenario_speed = engaged_at(&t.specified, speed);
                t.most_capable.engaged_at_scenario_speed = engaged_at(&t.most_capable, speed);
            }
        }
        Ok(Some(threats))
    }

    fn view(&self, s: &Scenario, study: &Study, recomputed: bool, start: Instant) -> StudyView {
        let speed = s
            .interceptors
            .first()
            .map_or(f64::NAN, |i| i.burnout_speed_mps.value);
        let commit_delay = |battery: Option<&str>| {
            s.interceptors
                .iter()
                .find(|i| battery.is_none_or(|b| b == i.name))
                .map_or(0.0, |i| i.commit_delay_s.value)
        };
        let missile_burn = |name: &str| {
            s.missiles
                .iter()
                .find(|m| m.name == name)
                .map_or(f64::NAN, |m| m.burn_time_s.value)
        };
        let trajectories: Vec<TrajectoryView> = study
            .threats
            .iter()
            .enumerate()
            .map(|(id, t)| {
                let window = t
                    .specified
                    .windows
                    .iter()
                    .find(|w| w.speed_mps == speed)
                    .map(|w| WindowView {
                        earliest_s: w.earliest_intercept_s,
                        latest_s: w.latest_intercept_s,
                        alt_km: w.earliest_alt_m / 1e3,
                        lat_deg: w.intercept_lat_deg,
                        lon_deg: w.intercept_lon_deg,
                        shots: w.shots,
                        battery: w.battery.clone(),
                    });
                let battery = window.as_ref().map(|w| w.battery.as_str());
                TrajectoryView {
                    id,
                    threat: t.threat.clone(),
                    missile: t.missile.clone(),
                    shape: t.shape.name().to_string(),
                    from: t.from.clone(),
                    from_country: t.from_country.clone(),
                    to: t.to.clone(),
                    range_km: t.range_m / 1e3,
                    skipped: t.skipped.clone(),
                    flight_time_s: finite(t.flight_time_s),
                    apogee_km: finite(t.apogee_alt_m / 1e3),
                    threat_burnout_s: missile_burn(&t.missile),
                    crossover_mps: t.specified.crossover_speed_mps,
                    crossover_most_capable_mps: t.most_capable.crossover_speed_mps,
                    engageable: t.specified.engaged_at_scenario_speed,
                    first_track_s: t.specified.first_detection_s,
                    first_radar: t.specified.first_radar.clone(),
                    commit_s: t.specified.first_detection_s.map(|f| f + commit_delay(battery)),
                    window,
                    track: t
                        .track
                        .iter()
                        .map(|p| [p.lon_deg, p.lat_deg, p.alt_m, p.t_s])
                        .collect(),
                }
            })
            .collect();
        let mut countries: Vec<CountryCount> = Vec::new();
        for t in &trajectories {
            let i = match countries.iter().position(|c| c.country == t.from_country) {
                Some(i) => i,
                None => {
                    countries.push(CountryCount {
                        country: t.from_country.clone(),
                        engageable: 0,
                        flown: 0,
                        total: 0,
                    });
                    countries.len() - 1
                }
            };
            let c = &mut countries[i];
            c.total += 1;
            c.flown += usize::from(t.skipped.is_none());
            c.engageable += usize::from(t.engageable);
        }
        let params = params::entries(s)
            .into_iter()
            .filter(|e| OFFERED.contains(&e.def.key))
            .map(|e| UsedValue {
                path: e.path(),
                value: e.param.value,
            })
            .collect();
        let sites = study
            .sites
            .iter()
            .map(|(name, (lat, lon, roles))| SiteView {
                name: name.clone(),
                lat_deg: *lat,
                lon_deg: *lon,
                roles: roles.clone(),
            })
            .collect();
        StudyView {
            scenario: study.scenario.clone(),
            boost: study.boost.name().to_string(),
            elapsed_ms: start.elapsed().as_secs_f64() * 1e3,
            recomputed,
            params,
            battery_speed_mps: speed,
            countries,
            trajectories,
            sites,
        }
    }
}
