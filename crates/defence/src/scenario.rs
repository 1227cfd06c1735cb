//! Scenario files: the sites, sensors, interceptors and threats of a deployment, in TOML.
//!
//! # Format
//! ```toml
//! [scenario]
//! name = "example"
//! description = "…"
//!
//! [[sites]]
//! name = "Redzikowo"
//! lat_deg = 54.47889
//! lon_deg = 17.1075
//! h_m = 66.0               # above the WGS84 ellipsoid
//! roles = ["interceptor"]  # any of: interceptor, radar, launch, target
//! country = "PL"
//! source = "Słupsk-Redzikowo airfield, Polish AIP via Wikipedia (2024)"
//!
//! [[radars]]
//! name = "EMR"
//! site = "Brdy"
//! reference_range_m = { value = 2.0e6, range = [1.0e6, 2.0e6], source = "…" }
//! …
//! ```
//! Every numeric parameter is a table `{ value, source, range = [low, high] }` (`range` optional, for
//! disputed values; `value` must lie inside it). Unknown keys are errors. Every error names the file, the
//! line and column, and the key. Each parameter's unit, physical limits and source rule are its row in
//! [`crate::params`].

use std::collections::BTreeSet;
use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::params::Section;

/// The built-in `europe-2008` scenario (TOML source).
pub const EUROPE_2008_TOML: &str = include_str!("../scenarios/europe-2008.toml");

/// Names of the scenarios built into the binary ([`crate::builtin::SCENARIOS`] holds their text).
pub const BUILT_IN: &[&str] = &crate::builtin::NAMES;

/// A numeric parameter with its provenance.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Param {
    /// The value used by default, in the unit the key names.
    pub value: f64,
    /// Where the value comes from: publication and year, or "assumption" with the reason.
    pub source: String,
    /// Low and high ends of the published or assumed range, when the value is disputed.
    #[serde(default)]
    pub range: Option<[f64; 2]>,
}

impl Param {
    /// The parameter's value and range ends (or just the value when there is no range).
    pub fn span_of_values(&self) -> (f64, f64) {
        self.range.map_or((self.value, self.value), |[lo, hi]| (lo, hi))
    }
}

/// What a site is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Interceptor silos.
    Interceptor,
    /// A radar.
    Radar,
    /// A missile launch area.
    Launch,
    /// A defended or threatened target.
    Target,
}

/// A named place.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Site {
    /// Unique name.
    pub name: String,
    /// Geodetic latitude, degrees.
    pub lat_deg: f64,
    /// Longitude, degrees east.
    pub lon_deg: f64,
    /// Height above the WGS84 ellipsoid, metres.
    #[serde(default)]
    pub h_m: f64,
    /// What the site is used for.
    pub roles: Vec<Role>,
    /// ISO 3166 country code or region, for grouping in reports.
    #[serde(default)]
    pub country: String,
    /// Where the coordinates come from.
    pub source: String,
    /// The public sources the coordinates were checked against, each with the point it gives; how far
    /// apart they lie is the site's stated uncertainty (the built-in scenarios name at least two per
    /// site, `tests/site_sources.rs`). Optional.
    #[serde(default)]
    pub sources: Vec<SiteSource>,
}

/// One public source of a site's coordinates and the point it gives.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteSource {
    /// The source: publication or data set, with its date.
    pub cite: String,
    /// Latitude it gives, degrees.
    pub lat_deg: f64,
    /// Longitude it gives, degrees east.
    pub lon_deg: f64,
}

/// A radar (see [`crate::radar`] for the model).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RadarDef {
    /// Unique name.
    pub name: String,
    /// Name of the site it stands on.
    pub site: String,
    /// Face height above the site, metres.
    pub antenna_height_m: Param,
    /// Boresight azimuth, degrees clockwise from north.
    pub boresight_azimuth_deg: Param,
    /// Half-width of the field of regard in azimuth, degrees (180 = all round).
    pub azimuth_half_width_deg: Param,
    /// Lowest elevation at which it tracks, degrees.
    pub min_elevation_deg: Param,
    /// Highest elevation of the field of regard, degrees.
    pub max_elevation_deg: Param,
    /// Detection range for a target of `reference_rcs_m2`, metres.
    pub reference_range_m: Param,
    /// Radar cross-section for which `reference_range_m` holds, m².
    pub reference_rcs_m2: Param,
}

/// An interceptor battery.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterceptorDef {
    /// Unique name.
    pub name: String,
    /// Name of the site of its silos.
    pub site: String,
    /// Number of interceptors emplaced.
    pub count: Param,
    /// Speed at burnout relative to the launch frame, m/s.
    pub burnout_speed_mps: Param,
    /// Duration of powered flight, s.
    pub burn_time_s: Param,
    /// Height at burnout, m.
    pub burnout_alt_m: Param,
    /// Ground range covered during powered flight, m.
    pub burnout_downrange_m: Param,
    /// Delay from the first radar track to launch, s.
    pub commit_delay_s: Param,
    /// Lowest intercept altitude (the kill vehicle works outside the atmosphere), m.
    pub min_intercept_alt_m: Param,
    /// Time from an intercept to the launch of the next interceptor when the first has missed
    /// (kill assessment and re-commit), s: spaces shoot-look-shoot opportunities.
    pub kill_assessment_s: Param,
    /// Name of the rocket ([`VehicleDef`]) flown by the powered boost model; `burn_time_s`,
    /// `burnout_alt_m` and `burnout_downrange_m` are then used only by the fixed boost model.
    #[serde(default)]
    pub vehicle: Option<String>,
}

/// One stage of a rocket (see [`flight::vehicle::Stage`]).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageDef {
    /// Propellant burnt, kg.
    pub propellant_kg: Param,
    /// Dry mass dropped at the stage's burnout, kg.
    pub dry_kg: Param,
    /// Burn time (constant mass flow), s.
    pub burn_time_s: Param,
    /// Vacuum specific impulse, s.
    pub isp_vac_s: Param,
    /// Nozzle exit area (thrust is lower by ambient pressure times this area), m².
    pub nozzle_exit_area_m2: Param,
    /// Reference area of the stack while this stage is its lowest, m².
    pub reference_area_m2: Param,
    /// Drag coefficient of the stack while this stage is its lowest: held at every Mach number, or scaled
    /// by Mach number with [`StageDef::drag_mach_curve`].
    pub drag_cd: Param,
    /// Coast after this stage's burnout before the next stage ignites, s.
    pub coast_after_s: Param,
    /// Optional drag rise with Mach number: the drag coefficient at Mach M is `drag_cd` times the curve's
    /// factor at M (linear between points, held beyond the ends), so `drag_cd`'s range still sweeps the
    /// whole curve up and down.
    #[serde(default)]
    pub drag_mach_curve: Option<DragCurve>,
}

/// A drag coefficient's shape by Mach number ([`StageDef::drag_mach_curve`]), as multiples of a stage's
/// `drag_cd`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DragCurve {
    /// Mach numbers of the points, strictly increasing.
    pub mach: Vec<f64>,
    /// The drag coefficient at each point as a multiple of the stage's `drag_cd` (dimensionless, ≥ 0).
    pub factor: Vec<f64>,
    /// Where the curve's shape comes from: publication and year, or "assumption" with the reason.
    pub source: String,
}

impl StageDef {
    /// The stage's drag coefficient by Mach number: `drag_cd` times the curve's factors, or `drag_cd`
    /// held at every Mach number.
    pub fn drag_table(&self) -> Result<flight::DragTable, flight::Error> {
        match &self.drag_mach_curve {
            None => flight::DragTable::constant(self.drag_cd.value),
            Some(c) => flight::DragTable::try_new(
                c.mach.clone(),
                c.factor.iter().map(|f| f * self.drag_cd.value).collect(),
            ),
        }
    }
}

/// A rocket for the powered boost model: stages, payload and its reference pitch programme.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VehicleDef {
    /// Unique name.
    pub name: String,
    /// Payload carried by the last stage (kill vehicle or re-entry vehicle), kg.
    pub payload_kg: Param,
    /// Vertical rise from liftoff before the pitch-over kick, s.
    pub vertical_rise_s: Param,
    /// Duration of the kick, s.
    pub kick_duration_s: Param,
    /// Kick angle of the reference programme (the one at which an interceptor's burnout speed is
    /// defined), degrees from the vertical.
    pub kick_deg: Param,
    /// Stages, lowest first.
    pub stages: Vec<StageDef>,
}

impl VehicleDef {
    /// The flight crate's vehicle of these parameter values.
    pub fn vehicle(&self) -> Result<flight::Vehicle, flight::Error> {
        let stages = self
            .stages
            .iter()
            .map(|s| {
                Ok(flight::Stage {
                    propellant_kg: s.propellant_kg.value,
                    dry_kg: s.dry_kg.value,
                    burn_time_s: s.burn_time_s.value,
                    isp_vac_s: s.isp_vac_s.value,
                    nozzle_exit_area_m2: s.nozzle_exit_area_m2.value,
                    reference_area_m2: s.reference_area_m2.value,
                    drag: s.drag_table()?,
                    coast_after_s: s.coast_after_s.value,
                })
            })
            .collect::<Result<Vec<_>, flight::Error>>()?;
        flight::Vehicle::try_new(stages, self.payload_kg.value)
    }

    /// The reference pitch programme toward `azimuth_deg`.
    pub fn programme(&self, azimuth_deg: f64) -> flight::Programme {
        flight::Programme {
            vertical_rise_s: self.vertical_rise_s.value,
            kick_deg: self.kick_deg.value,
            kick_duration_s: self.kick_duration_s.value,
            azimuth_deg,
        }
    }
}

/// A ballistic missile type.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MissileDef {
    /// Unique name.
    pub name: String,
    /// Duration of powered flight, s.
    pub burn_time_s: Param,
    /// Height at burnout, m.
    pub burnout_alt_m: Param,
    /// Ground range covered during powered flight, m.
    pub burnout_downrange_m: Param,
    /// Radar cross-section of the warhead (re-entry vehicle), m².
    pub rcs_m2: Param,
    /// Maximum range, m (trajectories beyond it are not flown).
    pub max_range_m: Param,
    /// The `[[vehicles]]` entry whose rocket the powered boost model flies for this missile (`None`:
    /// the fixed boost of `burn_time_s`, `burnout_alt_m` and `burnout_downrange_m` under either model).
    #[serde(default)]
    pub vehicle: Option<String>,
}

/// A family of threat trajectories: every launch site to every target with one missile type.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThreatDef {
    /// Unique name.
    pub name: String,
    /// Missile type.
    pub missile: String,
    /// Launch site names.
    pub from: Vec<String>,
    /// Target site names.
    pub to: Vec<String>,
}

/// Descriptive header.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    /// Short name.
    pub name: String,
    /// One paragraph on what the scenario represents.
    pub description: String,
    /// One line naming the scenario's question (for `shieldwatch study --list`); empty when not given.
    #[serde(default)]
    pub summary: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    scenario: Meta,
    #[serde(default)]
    sites: Vec<Spanned<Site>>,
    #[serde(default)]
    radars: Vec<Spanned<RadarDef>>,
    #[serde(default)]
    interceptors: Vec<Spanned<InterceptorDef>>,
    #[serde(default)]
    missiles: Vec<Spanned<MissileDef>>,
    #[serde(default)]
    threats: Vec<Spanned<ThreatDef>>,
    #[serde(default)]
    vehicles: Vec<Spanned<VehicleDef>>,
}

/// A validated scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Header.
    pub meta: Meta,
    /// All sites, in file order.
    pub sites: Vec<Site>,
    /// Radars.
    pub radars: Vec<RadarDef>,
    /// Interceptor batteries.
    pub interceptors: Vec<InterceptorDef>,
    /// Missile types.
    pub missiles: Vec<MissileDef>,
    /// Threat families.
    pub threats: Vec<ThreatDef>,
    /// Rockets for the powered boost model.
    pub vehicles: Vec<VehicleDef>,
}

/// Why a scenario was rejected: the file, position and key, and what is wrong. Shown as
/// `file:line:column: key: message`, leaving out the position when there is none (line 0: the file could
/// not be read, or the TOML error has no place) and the key when none applies.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}{}{}: {message}", place(*line, *column), if key.is_empty() { String::new() } else { format!(": {key}") })]
pub struct ScenarioError {
    /// File name (or `<built-in NAME>`).
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// Dotted key of the offending item, e.g. `sites[2].lat_deg` or `radars.EMR.site`.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

/// `:line:column` of an error, or nothing when it has no position (line 0).
fn place(line: usize, column: usize) -> String {
    if line == 0 {
        String::new()
    } else {
        format!(":{line}:{column}")
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rfind('\n').map_or(offset, |i| offset - i - 1) + 1;
    (line, column)
}

struct Checker<'a> {
    file: &'a str,
    text: &'a str,
}

impl Checker<'_> {
    fn err(&self, span: Range<usize>, key: impl Into<String>, message: impl Into<String>) -> ScenarioError {
        let (line, column) = line_col(self.text, span.start);
        ScenarioError {
            file: self.file.to_string(),
            line,
            column,
            key: key.into(),
            message: message.into(),
        }
    }

    /// Locates `key =` inside the item's span, for a sharper position than the item's start.
    fn key_span(&self, item: Range<usize>, key: &str) -> Range<usize> {
        // For `[[table]]` items the span may cover only the header: search to the next header instead.
        let start = item.start.min(self.text.len());
        let next_header = self.text[start..]
            .match_indices("\n[")
            .map(|(i, _)| start + i)
            .find(|&i| i > start + 2)
            .unwrap_or(self.text.len());
        let end = item.end.max(next_header).min(self.text.len());
        let body = &self.text[start..end];
        let mut from = 0;
        while let Some(i) = body[from..].find(key) {
            let at = from + i;
            let before_ok = at == 0 || !is_key_char(body.as_bytes()[at - 1]);
            let rest = body[at + key.len()..].trim_start();
            if before_ok && rest.starts_with('=') {
                return item.start + at..item.start + at + key.len();
            }
            from = at + key.len();
        }
        item
    }

    /// Checks every parameter of one item against its row of [`crate::params`], then the relations
    /// between them.
    fn params<T: Section>(&self, item: Range<usize>, owner: &str, d: &T) -> Result<(), ScenarioError> {
        let e =
            |key: &str, m: String| self.err(self.key_span(item.clone(), key), format!("{owner}.{key}"), m);
        for row in T::PARAMS {
            match (row.get)(d) {
                Some(p) => row.def.check(p).map_err(|m| e(row.def.key, m))?,
                None if row.def.optional => {}
                None => return Err(e(row.def.key, "missing parameter".into())),
            }
        }
        d.relations().map_err(|(key, m)| e(key, m))
    }

    /// Checks a stage's drag curve: as many factors as Mach numbers, at least two points, Mach numbers in
    /// [0, 100] strictly increasing, each factor a non-negative number, and a source.
    fn drag_curve(&self, item: Range<usize>, owner: &str, curve: &DragCurve) -> Result<(), ScenarioError> {
        const KEY: &str = "drag_mach_curve";
        let e = |m: String| self.err(self.key_span(item.clone(), KEY), format!("{owner}.{KEY}"), m);
        if curve.mach.len() != curve.factor.len() || curve.mach.len() < 2 {
            return Err(e(format!(
                "a drag curve needs as many factors as Mach numbers, at least two (got {} Mach numbers and {} factors)",
                curve.mach.len(),
                curve.factor.len()
            )));
        }
        if let Some(m) = curve
            .mach
            .iter()
            .find(|m| !(m.is_finite() && (0.0..=100.0).contains(*m)))
        {
            return Err(e(format!("Mach number {m} is outside [0, 100]")));
        }
        if let Some(w) = curve.mach.windows(2).find(|w| w[1] <= w[0]) {
            return Err(e(format!(
                "the Mach numbers must increase strictly ({} is followed by {})",
                w[0], w[1]
            )));
        }
        for &f in &curve.factor {
            let p = Param {
                value: f,
                source: curve.source.clone(),
                range: None,
            };
            self.param(item.clone(), owner, KEY, "1", &p, crate::params::NON_NEGATIVE)?;
        }
        Ok(())
    }

    /// Checks one parameter that the parameter table does not hold (a vehicle's) as a table row with
    /// `limits` and `unit` would.
    fn param(
        &self,
        item: Range<usize>,
        owner: &str,
        key: &'static str,
        unit: &'static str,
        p: &Param,
        limits: crate::params::Limits,
    ) -> Result<(), ScenarioError> {
        let def = crate::params::ParamDef {
            section: "vehicles",
            key,
            unit,
            limits,
            source: crate::params::SourceRule::PublicationOrAssumption,
            optional: false,
        };
        def.check(p)
            .map_err(|m| self.err(self.key_span(item, key), format!("{owner}.{key}"), m))
    }
}

fn is_key_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

impl Scenario {
    /// Loads a built-in scenario by name (see [`BUILT_IN`]) or, failing that, a TOML file at `name`.
    pub fn load(name: &str) -> Result<Scenario, ScenarioError> {
        match crate::builtin::text(name) {
            Some(text) => Scenario::parse(text, &format!("<built-in {name}>")),
            None => {
                let path = name;
                let text = std::fs::read_to_string(Path::new(path)).map_err(|e| ScenarioError {
                    file: path.to_string(),
                    line: 0,
                    column: 0,
                    key: String::new(),
                    message: format!(
                        "cannot read scenario file ({e}); built-in scenarios are: {}",
                        BUILT_IN.join(", ")
                    ),
                })?;
                Scenario::parse(&text, path)
            }
        }
    }

    /// Parses and validates scenario TOML. `file` names the source in error messages.
    pub fn parse(text: &str, file: &str) -> Result<Scenario, ScenarioError> {
        let raw: RawScenario = toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map_or((0, 0), |s| line_col(text, s.start));
            ScenarioError {
                file: file.to_string(),
                line,
                column,
                key: String::new(),
                message: e.message().to_string(),
            }
        })?;
        let c = Checker { file, text };

        let mut names = BTreeSet::new();
        for s in &raw.sites {
            let (span, site) = (s.span(), s.get_ref());
            let owner = format!("sites.{}", site.name);
            if !names.insert(site.name.clone()) {
                return Err(c.err(c.key_span(span, "name"), owner, "duplicate site name"));
            }
            if !site.lat_deg.is_finite() || site.lat_deg.abs() > 90.0 {
                let m = format!("latitude {} is outside [-90, 90] degrees", site.lat_deg);
                return Err(c.err(c.key_span(span, "lat_deg"), format!("{owner}.lat_deg"), m));
            }
            if !site.lon_deg.is_finite() || site.lon_deg.abs() > 360.0 {
                let m = format!("longitude {} is outside [-360, 360] degrees", site.lon_deg);
                return Err(c.err(c.key_span(span, "lon_deg"), format!("{owner}.lon_deg"), m));
            }
            if !site.h_m.is_finite() || !(-1_000.0..=10_000.0).contains(&site.h_m) {
                let m = format!("height {} m is outside [-1000, 10000] m", site.h_m);
                return Err(c.err(c.key_span(span, "h_m"), format!("{owner}.h_m"), m));
            }
            if site.source.trim().is_empty() {
                return Err(c.err(
                    c.key_span(span, "source"),
                    format!("{owner}.source"),
                    "source is empty",
                ));
            }
            for (i, src) in site.sources.iter().enumerate() {
                let bad = if src.cite.trim().is_empty() {
                    Some("cite is empty".to_string())
                } else if !src.lat_deg.is_finite() || src.lat_deg.abs() > 90.0 {
                    Some(format!("latitude {} is outside [-90, 90] degrees", src.lat_deg))
                } else if !src.lon_deg.is_finite() || src.lon_deg.abs() > 360.0 {
                    Some(format!(
                        "longitude {} is outside [-360, 360] degrees",
                        src.lon_deg
                    ))
                } else {
                    None
                };
                if let Some(m) = bad {
                    return Err(c.err(c.key_span(span, "sources"), format!("{owner}.sources[{i}]"), m));
                }
            }
        }
        let site_with = |name: &str, role: Role| {
            raw.sites
                .iter()
                .any(|s| s.get_ref().name == name && s.get_ref().roles.contains(&role))
        };
        let site_ref = |span: Range<usize>, owner: &str, key: &str, name: &str, role: Role| {
            if site_with(name, role) {
                Ok(())
            } else if names.contains(name) {
                Err(c.err(
                    c.key_span(span, key),
                    format!("{owner}.{key}"),
                    format!("site \"{name}\" does not have the role {role:?}"),
                ))
            } else {
                Err(c.err(
                    c.key_span(span, key),
                    format!("{owner}.{key}"),
                    format!("no site named \"{name}\""),
                ))
            }
        };

        let mut unique = BTreeSet::new();
        let mut dup = |span: Range<usize>, kind: &str, name: &str| {
            if unique.insert(format!("{kind}/{name}")) {
                Ok(())
            } else {
                Err(c.err(
                    c.key_span(span, "name"),
                    format!("{kind}.{name}"),
                    format!("duplicate {kind} name"),
                ))
            }
        };
        for r in &raw.radars {
            let (span, d) = (r.span(), r.get_ref());
            let o = format!("radars.{}", d.name);
            dup(span.clone(), "radars", &d.name)?;
            site_ref(span.clone(), &o, "site", &d.site, Role::Radar)?;
            c.params(span, &o, d)?;
        }
        for v in &raw.vehicles {
            let (span, d) = (v.span(), v.get_ref());
            let o = format!("vehicles.{}", d.name);
            dup(span.clone(), "vehicles", &d.name)?;
            use crate::params::{Limits, NON_NEGATIVE, POSITIVE};
            const ISP: Limits = Limits {
                low: 1.0,
                high: 10_000.0,
                low_open: false,
            };
            c.params(span.clone(), &o, d)?;
            if d.stages.is_empty() {
                return Err(c.err(span, format!("{o}.stages"), "a vehicle needs at least one stage"));
            }
            for (k, st) in d.stages.iter().enumerate() {
                let so = format!("{o}.stages[{k}]");
                for (key, unit, p, limits) in [
                    ("propellant_kg", "kg", &st.propellant_kg, POSITIVE),
                    ("dry_kg", "kg", &st.dry_kg, NON_NEGATIVE),
                    ("burn_time_s", "s", &st.burn_time_s, POSITIVE),
                    ("isp_vac_s", "s", &st.isp_vac_s, ISP),
                    ("nozzle_exit_area_m2", "m2", &st.nozzle_exit_area_m2, NON_NEGATIVE),
                    ("reference_area_m2", "m2", &st.reference_area_m2, NON_NEGATIVE),
                    ("drag_cd", "1", &st.drag_cd, NON_NEGATIVE),
                    ("coast_after_s", "s", &st.coast_after_s, NON_NEGATIVE),
                ] {
                    c.param(span.clone(), &so, key, unit, p, limits)?;
                }
                if let Some(curve) = &st.drag_mach_curve {
                    c.drag_curve(span.clone(), &so, curve)?;
                }
            }
            if let Err(e) = d.vehicle() {
                return Err(c.err(span, o, e.to_string()));
            }
        }
        for i in &raw.interceptors {
            let (span, d) = (i.span(), i.get_ref());
            let o = format!("interceptors.{}", d.name);
            dup(span.clone(), "interceptors", &d.name)?;
            site_ref(span.clone(), &o, "site", &d.site, Role::Interceptor)?;
            c.params(span.clone(), &o, d)?;
            if let Some(v) = &d.vehicle
                && !raw.vehicles.iter().any(|x| &x.get_ref().name == v)
            {
                let m = format!("no vehicle named \"{v}\"");
                return Err(c.err(c.key_span(span, "vehicle"), format!("{o}.vehicle"), m));
            }
        }
        for m in &raw.missiles {
            let (span, d) = (m.span(), m.get_ref());
            let o = format!("missiles.{}", d.name);
            dup(span.clone(), "missiles", &d.name)?;
            c.params(span.clone(), &o, d)?;
            if let Some(v) = &d.vehicle
                && !raw.vehicles.iter().any(|x| &x.get_ref().name == v)
            {
                let m = format!("no vehicle named \"{v}\"");
                return Err(c.err(c.key_span(span, "vehicle"), format!("{o}.vehicle"), m));
            }
        }
        for t in &raw.threats {
            let (span, d) = (t.span(), t.get_ref());
            let o = format!("threats.{}", d.name);
            dup(span.clone(), "threats", &d.name)?;
            if !raw.missiles.iter().any(|m| m.get_ref().name == d.missile) {
                let m = format!("no missile named \"{}\"", d.missile);
                return Err(c.err(c.key_span(span, "missile"), format!("{o}.missile"), m));
            }
            if d.from.is_empty() || d.to.is_empty() {
                let m = "a threat needs at least one launch site (`from`) and one target (`to`)";
                return Err(c.err(span, o, m));
            }
            for f in &d.from {
                site_ref(span.clone(), &o, "from", f, Role::Launch)?;
            }
            for f in &d.to {
                site_ref(span.clone(), &o, "to", f, Role::Target)?;
            }
        }

        Ok(Scenario {
            meta: raw.scenario,
            sites: raw.sites.into_iter().map(Spanned::into_inner).collect(),
            radars: raw.radars.into_iter().map(Spanned::into_inner).collect(),
            interceptors: raw.interceptors.into_iter().map(Spanned::into_inner).collect(),
            missiles: raw.missiles.into_iter().map(Spanned::into_inner).collect(),
            threats: raw.threats.into_iter().map(Spanned::into_inner).collect(),
            vehicles: raw.vehicles.into_iter().map(Spanned::into_inner).collect(),
        })
    }

    /// The site called `name`.
    pub fn site(&self, name: &str) -> Option<&Site> {
        self.sites.iter().find(|s| s.name == name)
    }

    /// The vehicle called `name`.
    pub fn vehicle(&self, name: &str) -> Option<&VehicleDef> {
        self.vehicles.iter().find(|v| v.name == name)
    }
}
