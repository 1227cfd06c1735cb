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
    /// Whether the threats were flown for this request (`false`: they were flown for an earlier one,
    /// and only what the changed parameters change was engaged anew).
    pub flown: bool,
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
    /// The radars, with their field of regard and horizon for the globe ([`crate::globe`]).
    pub radars: Vec<RadarView>,
}

/// A radar as the globe draws it.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RadarView {
    /// Name.
    pub name: String,
    /// Antenna latitude, degrees.
    pub lat_deg: f64,
    /// Antenna longitude, degrees.
    pub lon_deg: f64,
    /// Boresight azimuth, degrees clockwise from north.
    pub boresight_azimuth_deg: f64,
    /// Half-width of the field of regard, degrees.
    pub azimuth_half_width_deg: f64,
    /// Detection range for `rcs_m2`, km.
    pub detection_range_km: f64,
    /// The warhead RCS the rings are drawn for (the scenario's smallest), m².
    pub rcs_m2: f64,
    /// The target height the rings are drawn for, km above the ellipsoid.
    pub ring_alt_km: f64,
    /// Where the radar as specified sees a target at that height: a closed ring `[lon, lat]`, degrees.
    pub field_of_regard: Vec<[f64; 2]>,
    /// Where a target at that height rises above the radar's minimum elevation: a closed ring
    /// `[lon, lat]`, degrees.
    pub horizon: Vec<[f64; 2]>,
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

/// `GET /api/verification`: what the verification view reads, as `shieldwatch dashboard` was started.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct VerificationView {
    /// The trust file (`--trust`), if one was given.
    pub trust: Option<TrustView>,
    /// The logs read (`--log`), in the order given; `GET /api/logs/{i}/…` takes their position.
    pub logs: Vec<String>,
    /// The monitor's alert folder (`--monitor-dir`), if one was given.
    pub monitor_dir: Option<String>,
    /// The sensors' reporting period (`--period-s`), s: a longer interval between two readings is a gap.
    pub period_s: u64,
}

/// `GET /api/trust`: the trust file, as data. The browser checks evidence against these keys and
/// nothing else.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TrustView {
    /// The file, as given on the command line.
    pub path: String,
    /// The log's verifier key (`<name>+<hex id>+<base64>`, c2sp.org/signed-note).
    pub log_key: String,
    /// The witnesses' verifier keys (c2sp.org/tlog-cosignature).
    pub witness_keys: Vec<String>,
    /// How many distinct witnesses must have cosigned a checkpoint.
    pub min_cosignatures: usize,
    /// The roster's trust anchors (they all sign roster version 1).
    pub anchors: Vec<String>,
    /// The agreed rules (built-in name or path), as the trust file names them.
    pub rules: String,
    /// Those rules as `shieldwatch verify evidence` loads them, which the browser replays evidence through.
    pub agreed: AgreedRules,
}

/// The agreed rules of a trust file: the agreement's parameters and every rule's text, in file order.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AgreedRules {
    /// The `[agreement]` table, as JSON (rules see it as `agreement`).
    pub agreement: serde_json::Value,
    /// The rules.
    pub rules: Vec<verify::rules::RuleText>,
}

/// A check and what it found.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CheckView {
    /// Whether the check passed.
    pub ok: bool,
    /// What was checked, or why it failed.
    pub detail: String,
}

/// `GET /api/logs/{i}/status`: a log's latest checkpoint, checked against the trust file.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LogStatus {
    /// The log's URL.
    pub url: String,
    /// The checkpoint's origin line.
    pub origin: String,
    /// Tree size (entries).
    pub size: u64,
    /// Root hash, base64.
    pub root: String,
    /// The checkpoint as served (signed note text with every signature line).
    pub checkpoint: String,
    /// The log's signature against the trust file's log key.
    pub log_signature: CheckView,
    /// Every cosignature: by each witness of the trust file, then any other signature line.
    pub cosignatures: Vec<CosignatureView>,
    /// Valid cosignatures by distinct trusted witnesses.
    pub valid_cosignatures: usize,
    /// The trust file's quorum.
    pub min_cosignatures: usize,
    /// When the dashboard read the checkpoint, Unix seconds.
    pub read_s: u64,
}

/// One witness cosignature on a checkpoint.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CosignatureView {
    /// The witness's key name.
    pub name: String,
    /// Whether the key is one of the trust file's witness keys.
    pub trusted: bool,
    /// Whether a cosignature by that trusted key verifies.
    pub verified: bool,
    /// The cosignature's time, Unix seconds (as claimed when it does not verify).
    pub time_s: Option<u64>,
    /// Seconds between that time and `read_s`.
    pub age_s: Option<i64>,
    /// What was checked, or why it failed.
    pub detail: String,
}

/// `GET /api/logs/{i}/timelines`: the sensors' readings in a log, read through its tiles and checked
/// to hash to the root of its checkpoint (verified with the trust file's log key).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TimelinesView {
    /// The log's URL.
    pub url: String,
    /// Tree size of the checkpoint the entries were read under.
    pub size: u64,
    /// Reporting period, s: an interval between two readings longer than this is a gap.
    pub period_s: u64,
    /// One timeline per signer, sorted by name.
    pub sensors: Vec<SensorTimeline>,
    /// Indexes of roster versions.
    pub rosters: Vec<u64>,
    /// Entries that are neither a roster nor a statement of the agreed schema.
    pub undecodable: Vec<Undecodable>,
}

/// One signer's statements in log order.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SensorTimeline {
    /// The signer (sensor or inspector ID).
    pub sensor: String,
    /// The site of its first statement.
    pub site: String,
    /// Statement kind (`radar`, `silo`, `inspection`, `notice`).
    pub kind: String,
    /// Whether it reports periodically (radar and silo telemetry), so that gaps mean something.
    pub periodic: bool,
    /// Its statements, in log order.
    pub readings: Vec<ReadingView>,
    /// Gaps between consecutive readings (in log order): longer than the reporting period, or with
    /// sequence numbers skipped (readings made and withheld).
    pub gaps: Vec<GapView>,
}

/// One statement on a timeline.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ReadingView {
    /// Log index.
    pub index: u64,
    /// The sensor's sequence number.
    pub seq: u64,
    /// The statement's time, Unix ms (the sensor's clock).
    pub time_ms: i64,
}

/// A gap in a sensor's readings.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GapView {
    /// Time of the reading before the gap, Unix ms.
    pub from_ms: i64,
    /// Time of the reading after it, Unix ms.
    pub to_ms: i64,
    /// Length, s.
    pub length_s: f64,
    /// Sequence numbers skipped between the two readings (0: none, the gap is in time only).
    pub missing_seq: u64,
}

/// A log entry that does not decode.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Undecodable {
    /// Log index.
    pub index: u64,
    /// Why.
    pub reason: String,
}

/// `GET /api/alerts`: the alert files of the monitor's folder.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AlertsView {
    /// The folder.
    pub dir: String,
    /// The alerts, by file name.
    pub alerts: Vec<AlertSummary>,
}

/// One alert file.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AlertSummary {
    /// File name (`alert-<n>-<index>-<kind>.json`); `GET /api/alerts/{file}` serves it as written.
    pub file: String,
    /// Its schema (`shieldwatch/evidence/v1` or `shieldwatch/log-evidence/v1`), if it has one.
    pub schema: Option<String>,
    /// The alert kind (`rule:<id>`, `gap`, `split_view`, …).
    pub kind: String,
    /// The accused log index (evidence bundles).
    pub index: Option<u64>,
    /// What the monitor found.
    pub summary: String,
    /// The sensor concerned, if any.
    pub sensor: Option<String>,
    /// Why the file could not be read as an alert, if it could not.
    pub error: Option<String>,
}

/// Which footprint map (`shieldwatch footprint --map`).
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum FootprintMap {
    /// For a launch site: the targets the deployment can engage.
    DefendedArea,
    /// For a defended point: the launch points from which incoming missiles can be engaged.
    ThreatOrigin,
    /// The lowest warhead altitude the radars see over each point.
    RadarCoverage,
}

/// A threat trajectory family (`shieldwatch footprint --shape`).
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum FootprintShape {
    /// Minimum burnout speed.
    MinEnergy,
    /// Lofted.
    Lofted,
    /// Depressed.
    Depressed,
}

/// `POST /api/footprints`: a footprint map to compute (the options of `shieldwatch footprint`), at the
/// scenario with `params` changed as in [`StudyRequest`]. Omitted fields take the command's defaults.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FootprintRequest {
    /// Which map.
    pub map: FootprintMap,
    /// The launch site (defended area) or defended point (threat origin), by scenario site name
    /// [default: Tehran, Berlin]; must be absent for radar coverage.
    #[serde(default)]
    pub site: Option<String>,
    /// Missile type [default: the longest-ranged among the threats from (to) the site].
    #[serde(default)]
    pub missile: Option<String>,
    /// Grid bounds, degrees `[south, north, west, east]` [default: the command's for the map].
    #[serde(default)]
    pub bounds_deg: Option<[f64; 4]>,
    /// Grid spacing, degrees [default 0.5].
    #[serde(default)]
    pub resolution_deg: Option<f64>,
    /// Threat trajectory family [default: minimum energy].
    #[serde(default)]
    pub shape: Option<FootprintShape>,
    /// Parameter path → value, as in [`StudyRequest`].
    #[serde(default)]
    pub params: BTreeMap<String, f64>,
}

/// Where a footprint job is.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum JobState {
    /// Computing.
    Running,
    /// Asked to stop (DELETE, or a newer job); still finishing the rows under way.
    Cancelling,
    /// Stopped before completing: no map.
    Cancelled,
    /// Complete: the map is at `/api/footprints/{id}/footprint.geojson` and `…/map.svg`.
    Done,
    /// Failed; `error` says why.
    Failed,
}

/// One contour level of a finished footprint.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FootprintLevelView {
    /// Burnout speed (m/s) or, for radar coverage, altitude (m).
    pub level: f64,
    /// Fraction of the grid's points inside.
    pub fraction_inside: f64,
    /// How many polygons the level has.
    pub polygons: usize,
}

/// `POST /api/footprints`, `GET` and `DELETE /api/footprints/{id}`: a footprint job and its progress.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FootprintJobView {
    /// The job's number.
    pub id: u64,
    /// Where it is.
    pub state: JobState,
    /// Grid points computed so far.
    pub done_points: usize,
    /// Grid points in all.
    pub total_points: usize,
    /// Wall-clock time since the job started (until it ended), ms.
    pub elapsed_ms: f64,
    /// Which map.
    pub map: FootprintMap,
    /// The fixed site, if the map has one.
    pub site: Option<String>,
    /// Why it failed, when it did.
    pub error: Option<String>,
    /// When done: the missile flown (engagement maps).
    pub missile: Option<String>,
    /// When done: the interceptor burnout speed assumed, m/s.
    pub speed_mps: Option<f64>,
    /// When done: the contour levels.
    pub levels: Vec<FootprintLevelView>,
}
