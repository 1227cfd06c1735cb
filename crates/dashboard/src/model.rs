//! The dashboard's typed requests and answers (JSON, `serde`): what the page sends and what it is sent.
//!
//! Every request type refuses unknown fields, so a misspelt field is an error naming it rather than a
//! value silently ignored. Units are those of the field names (SI and degrees) unless a field says
//! otherwise (`_km`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `POST /api/study`: the scenario's parameters to change, by path (`section.name.key`, as
/// `shieldwatch sweep --param` takes them) → value in the parameter's unit. Parameters not named keep
/// the scenario's values.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StudyRequest {
    /// Parameter path → value.
    #[serde(default)]
    pub params: BTreeMap<String, f64>,
}

/// An error answer: the HTTP status says the kind, `error` what is wrong.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ErrorBody {
    /// What is wrong, one sentence for the user.
    pub error: String,
}

/// `GET /api/scenario`: the scenario and the parameters the page lets the user change.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ScenarioView {
    /// Scenario name.
    pub name: String,
    /// Scenario description.
    pub description: String,
    /// The disputed parameters the page offers, in scenario order.
    pub params: Vec<ParamView>,
}

/// One parameter the page offers, with its sourced range and physical limits.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ParamView {
    /// Path, `section.name.key`.
    pub path: String,
    /// What it is, for a label (e.g. "GBI-2 burnout speed").
    pub label: String,
    /// Unit of `value`, `range`, `limits` and the slider (`m/s`, `s`, `m`, `deg`, `m2`).
    pub unit: String,
    /// The scenario's value.
    pub value: f64,
    /// The disputed range the sources give, if any.
    pub range: Option<[f64; 2]>,
    /// The source of the value and range.
    pub source: String,
    /// The physical limits any value must lie within, as an interval (`(0, ∞)`, `[0, 360]`).
    pub limits: String,
    /// Slider: lowest value, in `unit`.
    pub slider_min: f64,
    /// Slider: highest value, in `unit`.
    pub slider_max: f64,
    /// Slider: step, in `unit`.
    pub slider_step: f64,
    /// Unit to show the value in (`km/s`, `km`, `s`, `deg`, `m²`).
    pub display_unit: String,
    /// Displayed value = value / `display_scale`.
    pub display_scale: f64,
}

/// `POST /api/study`: the study at the requested parameters, as the page shows it.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StudyView {
    /// Scenario name.
    pub scenario: String,
    /// The interceptor's boost model (`powered` or `fixed`).
    pub boost: String,
    /// Wall-clock time the server took for this answer, ms.
    pub elapsed_ms: f64,
    /// Whether the trajectories were engaged anew (`false`: only the interceptor burnout speed changed, to
    /// a speed already computed for these parameters, and every answer was read off the kept study).
    pub recomputed: bool,
    /// The offered parameters at the values used.
    pub params: Vec<UsedValue>,
    /// The first battery's burnout speed, m/s (the one "engageable" refers to).
    pub battery_speed_mps: f64,
    /// Per launch country: how many trajectories are engageable.
    pub countries: Vec<CountryCount>,
    /// Every threat trajectory of the scenario.
    pub trajectories: Vec<TrajectoryView>,
    /// Sites of the scenario.
    pub sites: Vec<SiteView>,
}

/// A parameter's value as used.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct UsedValue {
    /// Path, `section.name.key`.
    pub path: String,
    /// Value, in the parameter's unit.
    pub value: f64,
}

/// Engageable trajectories launched from one country.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CountryCount {
    /// Country of the launch sites (as the scenario gives it, e.g. `RU`).
    pub country: String,
    /// Trajectories some battery engages at its burnout speed, with the radars as specified.
    pub engageable: usize,
    /// Trajectories flown (within the missile's range).
    pub flown: usize,
    /// Trajectories of the scenario from this country.
    pub total: usize,
}

/// One threat trajectory as the page shows it.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TrajectoryView {
    /// Index in the study (stable for a scenario).
    pub id: usize,
    /// Threat family.
    pub threat: String,
    /// Missile type.
    pub missile: String,
    /// Trajectory shape (`min-energy`, `lofted`, `depressed`).
    pub shape: String,
    /// Launch site.
    pub from: String,
    /// Launch country.
    pub from_country: String,
    /// Target.
    pub to: String,
    /// Ground range launch → target, km.
    pub range_km: f64,
    /// Why the trajectory was not flown, if it was not.
    pub skipped: Option<String>,
    /// Launch → impact, s.
    pub flight_time_s: Option<f64>,
    /// Apogee height above the ellipsoid, km.
    pub apogee_km: Option<f64>,
    /// The threat's burnout, s after launch.
    pub threat_burnout_s: f64,
    /// Lowest burnout speed that engages it, radars as specified, m/s.
    pub crossover_mps: Option<f64>,
    /// The same with the radars at the capable end of their ranges, m/s.
    pub crossover_most_capable_mps: Option<f64>,
    /// Whether some battery engages it at its burnout speed (radars as specified).
    pub engageable: bool,
    /// First radar track, s after launch.
    pub first_track_s: Option<f64>,
    /// The radar that tracks it first.
    pub first_radar: Option<String>,
    /// Launch decision (first track + the battery's commit delay), s after launch.
    pub commit_s: Option<f64>,
    /// The engagement window at the battery's burnout speed.
    pub window: Option<WindowView>,
    /// Track, every 20 s: `[lon_deg, lat_deg, alt_m above the ellipsoid, t_s]`.
    pub track: Vec<[f64; 4]>,
}

/// An engagement window at one speed.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WindowView {
    /// Earliest intercept, s after threat launch.
    pub earliest_s: f64,
    /// Latest intercept, s after threat launch.
    pub latest_s: f64,
    /// Height of the earliest intercept, km.
    pub alt_km: f64,
    /// Earliest intercept point, degrees.
    pub lat_deg: f64,
    /// Earliest intercept point, degrees.
    pub lon_deg: f64,
    /// Shoot-look-shoot opportunities.
    pub shots: u32,
    /// Battery making the earliest intercept.
    pub battery: String,
}

/// A site of the scenario.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SiteView {
    /// Name.
    pub name: String,
    /// Latitude, degrees.
    pub lat_deg: f64,
    /// Longitude, degrees.
    pub lon_deg: f64,
    /// Roles (`interceptor`, `radar`, `launch`, `target`).
    pub roles: Vec<String>,
}
