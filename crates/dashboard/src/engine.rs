//! The study behind the page: the scenario with the requested parameters, studied by the functions
//! `shieldwatch study` runs (`defence::study::engage_one` and `assemble` on the flights of `fly_one`),
//! through a `defence::prepared::Prepared`: the threats are flown once per scenario (none of the offered
//! parameters changes a flight), and the engagements are kept, so that a change only engages what it
//! changes. The answer is that of `shieldwatch study --speeds <the battery's value>` with the scenario's
//! values set to the requested ones.
//!
//! A newer request supersedes an older one still computing: the older stops between two trajectories
//! and is answered with HTTP 409.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use defence::params::{self, ParamDef};
use defence::prepared::{Prepared, PreparedError};
use defence::scenario::Scenario;
use defence::study::{Study, StudyOptions};
use defence::sweep;

use crate::DashboardError;
use crate::model::{
    CountryCount, ParamView, RadarView, SiteView, StudyRequest, StudyView, TrajectoryView, UsedValue,
    WindowView,
};

/// The keys of the parameters the page offers (every item of the section that has them).
pub const OFFERED: &[&str] = &[
    "burnout_speed_mps",
    "commit_delay_s",
    "reference_range_m",
    "azimuth_half_width_deg",
    "rcs_m2",
];

/// How many sets of flights (scenarios differing in what their threats fly) are kept.
const KEPT: usize = 2;

/// The scenario, the studies computed for it and the latest one.
pub struct Engine {
    base: Scenario,
    prepared: Mutex<Vec<Arc<Prepared>>>,
    /// The number of the latest request; an older one still computing stops.
    generation: AtomicU64,
    latest: Mutex<Option<Arc<Study>>>,
    radars: Mutex<Option<(String, Vec<RadarView>)>>,
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

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

impl Engine {
    /// An engine for a scenario (its values are the page's starting point).
    pub fn new(base: Scenario) -> Engine {
        Engine {
            base,
            prepared: Mutex::new(Vec::new()),
            generation: AtomicU64::new(0),
            latest: Mutex::new(None),
            radars: Mutex::new(None),
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
        self.scenario_with(&req.params)
    }

    /// The scenario with the given parameter values (path → value), checked as [`Engine::scenario_for`].
    pub fn scenario_with(
        &self,
        params: &std::collections::BTreeMap<String, f64>,
    ) -> Result<Scenario, DashboardError> {
        let mut s = self.base.clone();
        let values: Vec<(&str, f64)> = params.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        sweep::set_params(&mut s, &values).map_err(|e| DashboardError::Invalid(e.to_string()))?;
        Ok(s)
    }

    /// The study at the request's parameters (blocking: run it off the async runtime). A newer call
    /// supersedes this one: it then stops between two trajectories with [`DashboardError::Superseded`].
    pub fn study(&self, req: &StudyRequest) -> Result<StudyView, DashboardError> {
        let start = Instant::now();
        let id = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
        let cancel = || self.generation.load(Ordering::SeqCst) != id;
        let stopped = |e: PreparedError| match e {
            PreparedError::Cancelled => DashboardError::Superseded(
                "a newer study request superseded this one before it completed".into(),
            ),
            PreparedError::Study(e) => DashboardError::Invalid(e.to_string()),
            other => DashboardError::Internal(other.to_string()),
        };
        let s = self.scenario_for(req)?;
        let (prepared, flown) = self.prepared_for(&s, &cancel).map_err(stopped)?;
        // Windows at the battery's value and range ends only (`study::speeds` adds them).
        let result = prepared.study(&s, &[], &cancel).map_err(stopped)?;
        let view = self.view(&s, &result, flown, start)?;
        let mut latest = self
            .latest
            .lock()
            .map_err(|_| DashboardError::Internal("the latest study's lock is poisoned".into()))?;
        if cancel() {
            return Err(stopped(PreparedError::Cancelled));
        }
        *latest = Some(Arc::new(result));
        Ok(view)
    }

    /// The flights of `s`, flown now (`true`) or for an earlier request (`false`).
    fn prepared_for(
        &self,
        s: &Scenario,
        cancel: &(dyn Fn() -> bool + Sync),
    ) -> Result<(Arc<Prepared>, bool), PreparedError> {
        let poisoned = || {
            PreparedError::Study(defence::study::StudyError::Incomplete {
                scenario: s.meta.name.clone(),
                message: "the dashboard's flight cache is poisoned by an earlier panic".into(),
            })
        };
        if let Some(p) = self
            .prepared
            .lock()
            .map_err(|_| poisoned())?
            .iter()
            .find(|p| p.flies(s))
        {
            return Ok((p.clone(), false));
        }
        let p = Arc::new(Prepared::new(s, &StudyOptions::default(), cancel)?);
        let mut kept = self.prepared.lock().map_err(|_| poisoned())?;
        if kept.len() == KEPT {
            kept.remove(0);
        }
        kept.push(p.clone());
        Ok((p, true))
    }

    /// The radars as the globe draws them, kept for the radar parameters they were drawn for.
    fn radars(&self, s: &Scenario) -> Result<Vec<RadarView>, DashboardError> {
        let key = crate::globe::key(s);
        let mut kept = self
            .radars
            .lock()
            .map_err(|_| DashboardError::Internal("the radar rings' lock is poisoned".into()))?;
        if let Some((k, v)) = kept.as_ref()
            && *k == key
        {
            return Ok(v.clone());
        }
        let v = crate::globe::radars(s);
        *kept = Some((key, v.clone()));
        Ok(v)
    }

    fn view(
        &self,
        s: &Scenario,
        study: &Study,
        flown: bool,
        start: Instant,
    ) -> Result<StudyView, DashboardError> {
        let radars = self.radars(s)?;
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
        Ok(StudyView {
            scenario: study.scenario.clone(),
            boost: study.boost.name().to_string(),
            elapsed_ms: start.elapsed().as_secs_f64() * 1e3,
            flown,
            params,
            battery_speed_mps: speed,
            countries,
            trajectories,
            sites,
            radars,
        })
    }
}
