//! Two scenarios against the same threats (`shieldwatch compare A B`): what changes between two
//! deployments — engageable trajectories per assumed interceptor speed, crossover speeds, first-track
//! times, what the radars see of each launch area (of Russian territory in particular) — with the
//! parameters that differ listed first, and the files that show it (CSV, GeoJSON, SVG map, HTML) built
//! here and encoded by the render layer.
//!
//! # The same threats
//! [`prepare`] gives each scenario the union of both scenarios' threat families: A's families first,
//! then B's that A does not have (by name). A family, missile or launch/target site present in both
//! is flown with A's definition, and every such difference is listed among the differing parameters
//! (marked "not flown"). Each scenario keeps its own defence: its radars, batteries and their sites.
//! The two studies therefore fly identical trajectories, and every difference in their answers comes
//! from the defence.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::scenario::{Param, Role, Scenario, Site};
use crate::study::{Study, ThreatResult};

/// Why two scenarios cannot be compared.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CompareError {
    /// A site name means different places in the two scenarios where one of them is needed for the
    /// defence and the other for the threats.
    #[error(
        "site \"{name}\" is a defence site in {defence} and a launch or target site elsewhere in {other}; rename one to compare them"
    )]
    SiteClash {
        /// The site name.
        name: String,
        /// The scenario whose defence stands on it.
        defence: String,
        /// The scenario whose threats use a different site of that name.
        other: String,
    },
}

/// The two scenarios to fly: each with its own defence and the union of the threats.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Scenario A with the union of threats.
    pub a: Scenario,
    /// Scenario B with the union of threats.
    pub b: Scenario,
}

fn defence_sites(s: &Scenario) -> BTreeSet<&str> {
    s.radars
        .iter()
        .map(|r| r.site.as_str())
        .chain(s.interceptors.iter().map(|i| i.site.as_str()))
        .collect()
}

fn same_place(x: &Site, y: &Site) -> bool {
    x.lat_deg == y.lat_deg && x.lon_deg == y.lon_deg && x.h_m == y.h_m
}

/// Gives `a` and `b` the same threats (see the module documentation).
pub fn prepare(a: &Scenario, b: &Scenario) -> Result<Prepared, CompareError> {
    let mut threats = a.threats.clone();
    for t in &b.threats {
        if !threats.iter().any(|x| x.name == t.name) {
            threats.push(t.clone());
        }
    }
    let mut missiles = Vec::new();
    for t in &threats {
        if missiles
            .iter()
            .any(|m: &crate::scenario::MissileDef| m.name == t.missile)
        {
            continue;
        }
        // A threat of A names a missile of A; one of B only, a missile of B unless A has one so named.
        if let Some(m) = a.missiles.iter().chain(&b.missiles).find(|m| m.name == t.missile) {
            missiles.push(m.clone());
        }
    }
    // The vehicles the union's missiles fly under the powered boost, A's definition first.
    let mut threat_vehicles: Vec<crate::scenario::VehicleDef> = Vec::new();
    for m in &missiles {
        if let Some(name) = &m.vehicle
            && !threat_vehicles.iter().any(|v| &v.name == name)
            && let Some(v) = a.vehicles.iter().chain(&b.vehicles).find(|v| &v.name == name)
        {
            threat_vehicles.push(v.clone());
        }
    }
    // Launch and target sites of the union, A's definition first.
    let mut threat_sites: BTreeMap<String, Site> = BTreeMap::new();
    for t in &threats {
        for (name, role) in t
            .from
            .iter()
            .map(|n| (n, Role::Launch))
            .chain(t.to.iter().map(|n| (n, Role::Target)))
        {
            let Some(site) = a.site(name).or_else(|| b.site(name)) else {
                continue;
            };
            let entry = threat_sites.entry(name.clone()).or_insert_with(|| Site {
                roles: vec![],
                ..site.clone()
            });
            if !entry.roles.contains(&role) {
                entry.roles.push(role);
            }
        }
    }
    let with_threats = |s: &Scenario, label: &str, other: &str| -> Result<Scenario, CompareError> {
        let own = defence_sites(s);
        let mut sites: Vec<Site> = s
            .sites
            .iter()
            .filter(|x| own.contains(x.name.as_str()))
            .cloned()
            .map(|mut x| {
                x.roles.retain(|r| matches!(r, Role::Radar | Role::Interceptor));
                x
            })
            .collect();
        for (name, t) in &threat_sites {
            match sites.iter_mut().find(|x| &x.name == name) {
                Some(d) if same_place(d, t) => {
                    for r in &t.roles {
                        if !d.roles.contains(r) {
                            d.roles.push(*r);
                        }
                    }
                }
                Some(_) => {
                    return Err(CompareError::SiteClash {
                        name: name.clone(),
                        defence: label.to_string(),
                        other: other.to_string(),
                    });
                }
                None => sites.push(t.clone()),
            }
        }
        let mut out = s.clone();
        out.sites = sites;
        out.threats = threats.clone();
        out.missiles = missiles.clone();
        // A threat's vehicle joins the scenario unless one of that name is there already (a battery's).
        for v in &threat_vehicles {
            if !out.vehicles.iter().any(|x| x.name == v.name) {
                out.vehicles.push(v.clone());
            }
        }
        Ok(out)
    };
    let (na, nb) = (format!("A ({})", a.meta.name), format!("B ({})", b.meta.name));
    Ok(Prepared {
        a: with_threats(a, &na, &nb)?,
        b: with_threats(b, &nb, &na)?,
    })
}

/// A parameter (or a site, radar, battery, missile or threat family) that differs between A and B.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Difference {
    /// Dotted key, e.g. `radars.EMR.reference_range_m`, or `radars.Gabala` for a whole radar.
    pub key: String,
    /// Its value in A (value and `[low, high]` range), empty when A has none.
    pub a: String,
    /// Its value in B, empty when B has none.
    pub b: String,
    /// Whether the comparison flies this difference (`false` for threat definitions of B that A
    /// overrides: both scenarios fly A's).
    pub flown: bool,
    /// The sources of A's and B's values, joined by " | " when they differ.
    pub source: String,
}

fn param_text(p: &Param) -> String {
    match p.range {
        Some([lo, hi]) => format!("{} [{lo}, {hi}]", p.value),
        None => format!("{}", p.value),
    }
}

/// Every comparable item of a scenario: dotted key → (value text, source).
fn flatten(s: &Scenario) -> BTreeMap<String, (String, String)> {
    let mut m = BTreeMap::new();
    let mut put = |k: String, v: String, src: &str| {
        m.insert(k, (v, src.to_string()));
    };
    let site_text = |name: &str| {
        s.site(name).map_or_else(
            || name.to_string(),
            |x| format!("{name} ({:.4}, {:.4}, {} m)", x.lat_deg, x.lon_deg, x.h_m),
        )
    };
    let site_src = |name: &str| s.site(name).map_or(String::new(), |x| x.source.clone());
    for r in &s.radars {
        put(
            format!("radars.{}.site", r.name),
            site_text(&r.site),
            &site_src(&r.site),
        );
    }
    for i in &s.interceptors {
        put(
            format!("interceptors.{}.site", i.name),
            site_text(&i.site),
            &site_src(&i.site),
        );
    }
    // Every numeric parameter, from the one parameter table.
    for e in crate::params::entries(s) {
        put(e.path(), param_text(e.param), &e.param.source);
    }
    for t in &s.threats {
        put(
            format!("threats.{}", t.name),
            format!("{}: {} → {}", t.missile, t.from.join(", "), t.to.join(", ")),
            "",
        );
    }
    m
}

/// The items that differ between `a` and `b`, defence first (radars, then batteries), then the threat
/// definitions (which are flown as A has them where both have them).
///
/// Only vehicles a battery names are listed: a vehicle no battery names changes no answer, or flies a
/// threat, and threats are flown as A defines them, their vehicles included.
pub fn differences(a: &Scenario, b: &Scenario) -> Vec<Difference> {
    let (fa, fb) = (flatten(a), flatten(b));
    let named: BTreeSet<&str> = [a, b]
        .iter()
        .flat_map(|s| s.interceptors.iter().filter_map(|i| i.vehicle.as_deref()))
        .collect();
    let unused = |k: &str| {
        k.strip_prefix("vehicles.").is_some_and(|rest| {
            !named.iter().any(|n| {
                rest.strip_prefix(n)
                    .is_some_and(|r| r.is_empty() || r.starts_with('.'))
            })
        })
    };
    let keys: BTreeSet<&String> = fa.keys().chain(fb.keys()).filter(|k| !unused(k)).collect();
    let rank = |k: &str| match k.split('.').next() {
        Some("radars") => 0,
        Some("interceptors") => 1,
        Some("missiles") => 2,
        _ => 3,
    };
    let mut out: Vec<Difference> = keys
        .into_iter()
        .filter_map(|k| {
            let (va, sa) = fa.get(k).cloned().unwrap_or_default();
            let (vb, sb) = fb.get(k).cloned().unwrap_or_default();
            if va == vb {
                return None;
            }
            let defence = rank(k) < 2;
            // A threat item B has and A lacks is flown (it joins the union); one both have is flown as A's.
            let flown = defence || vb.is_empty() || va.is_empty();
            let source = if sa == sb || sb.is_empty() {
                sa
            } else if sa.is_empty() {
                sb
            } else {
                format!("{sa} | {sb}")
            };
            Some(Difference {
                key: k.clone(),
                a: va,
                b: vb,
                flown,
                source,
            })
        })
        .collect();
    out.sort_by(|x, y| rank(&x.key).cmp(&rank(&y.key)).then(x.key.cmp(&y.key)));
    out
}

/// How one trajectory's answer changes from A to B (radars as specified; crossover speeds as computed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Change {
    /// Engageable in both, with the same crossover speed (within 10 m/s).
    #[default]
    Same,
    /// Engageable in both; B needs a lower burnout speed.
    LowerInB,
    /// Engageable in both; A needs a lower burnout speed.
    LowerInA,
    /// Engageable only in B.
    OnlyB,
    /// Engageable only in A.
    OnlyA,
    /// Engageable in neither.
    Neither,
    /// Not flown (beyond the missile's range, or no trajectory).
    NotFlown,
}

impl Change {
    /// The kebab-case name used in the CSV and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Change::Same => "same",
            Change::LowerInB => "lower-in-b",
            Change::LowerInA => "lower-in-a",
            Change::OnlyB => "only-b",
            Change::OnlyA => "only-a",
            Change::Neither => "neither",
            Change::NotFlown => "not-flown",
        }
    }
}

/// One trajectory flown against both scenarios: a row of `compare.csv`. The CSV header is these
/// field names, in this order. Times are seconds since threat launch; speeds m/s; an empty field is
/// "never" (no track, or no speed engages).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TrajectoryRow {
    /// Threat family.
    pub threat: String,
    /// Missile type.
    pub missile: String,
    /// Trajectory shape.
    pub shape: String,
    /// Launch site.
    pub from: String,
    /// Launch country.
    pub from_country: String,
    /// Target.
    pub to: String,
    /// Ground range, km.
    #[serde(serialize_with = "to_decimals::<1, _>")]
    pub range_km: Option<f64>,
    /// Why the trajectory was not flown (empty when it was).
    pub skipped: String,
    /// First radar track in A, s.
    #[serde(serialize_with = "to_decimals::<3, _>")]
    pub first_track_a_s: Option<f64>,
    /// First radar track in B, s.
    #[serde(serialize_with = "to_decimals::<3, _>")]
    pub first_track_b_s: Option<f64>,
    /// B's first track minus A's, s (negative: B sees it earlier).
    #[serde(serialize_with = "to_decimals::<3, _>")]
    pub first_track_gain_s: Option<f64>,
    /// The radar of A that tracks first.
    pub first_radar_a: String,
    /// The radar of B that tracks first.
    pub first_radar_b: String,
    /// Crossover speed in A, radar as specified, m/s.
    #[serde(serialize_with = "to_decimals::<1, _>")]
    pub crossover_a_mps: Option<f64>,
    /// Crossover speed in B, radar as specified, m/s.
    #[serde(serialize_with = "to_decimals::<1, _>")]
    pub crossover_b_mps: Option<f64>,
    /// Crossover speed in A with every radar at the capable end of its ranges, m/s.
    #[serde(serialize_with = "to_decimals::<1, _>")]
    pub crossover_most_capable_a_mps: Option<f64>,
    /// Crossover speed in B with every radar at the capable end of its ranges, m/s.
    #[serde(serialize_with = "to_decimals::<1, _>")]
    pub crossover_most_capable_b_mps: Option<f64>,
    /// Whether A engages it with its batteries at their scenario speeds.
    pub engaged_at_scenario_speed_a: bool,
    /// Whether B engages it with its batteries at their scenario speeds.
    pub engaged_at_scenario_speed_b: bool,
    /// What changes from A to B.
    pub change: Change,
}

/// Engageable trajectories of one threat family at one assumed burnout speed: a row of
/// `compare-speeds.csv`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SpeedRow {
    /// Threat family.
    pub threat: String,
    /// Assumed interceptor burnout speed, m/s.
    pub speed_mps: f64,
    /// Trajectories flown.
    pub flown: usize,
    /// Engageable in A (radar as specified).
    pub engaged_a: usize,
    /// Engageable in B (radar as specified).
    pub engaged_b: usize,
    /// Engageable in A with the most capable radars.
    pub engaged_most_capable_a: usize,
    /// Engageable in B with the most capable radars.
    pub engaged_most_capable_b: usize,
}

/// What the radars of A and B see above one launch area: a row of `compare-coverage.csv`. Heights km
/// above the ellipsoid; empty: never seen.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CoverageRow {
    /// Launch area.
    pub site: String,
    /// Its country (ISO code).
    pub country: String,
    /// Latitude, degrees.
    pub lat_deg: f64,
    /// Longitude, degrees.
    pub lon_deg: f64,
    /// Warhead RCS assumed, m².
    pub rcs_m2: f64,
    /// Lowest warhead altitude A's radars see above it, km.
    #[serde(serialize_with = "to_decimals::<3, _>")]
    pub lowest_seen_a_km: Option<f64>,
    /// Lowest warhead altitude B's radars see above it, km.
    #[serde(serialize_with = "to_decimals::<3, _>")]
    pub lowest_seen_b_km: Option<f64>,
    /// As `lowest_seen_a_km` with A's radars at their most capable, km.
    #[serde(serialize_with = "to_decimals::<3, _>")]
    pub lowest_seen_most_capable_a_km: Option<f64>,
    /// As `lowest_seen_b_km` with B's radars at their most capable, km.
    #[serde(serialize_with = "to_decimals::<3, _>")]
    pub lowest_seen_most_capable_b_km: Option<f64>,
}

/// The whole comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// Scenario A's name.
    pub a: String,
    /// Scenario B's name.
    pub b: String,
    /// Scenario A's description.
    pub description_a: String,
    /// Scenario B's description.
    pub description_b: String,
    /// A's radars and batteries.
    pub defence_a: String,
    /// B's radars and batteries.
    pub defence_b: String,
    /// Gravity model of both studies.
    pub gravity: String,
    /// Assumed burnout speeds, m/s (the union of both studies').
    pub speeds_mps: Vec<f64>,
    /// What differs, defence first.
    pub differences: Vec<Difference>,
    /// Per threat family and speed.
    pub by_speed: Vec<SpeedRow>,
    /// Per trajectory.
    pub trajectories: Vec<TrajectoryRow>,
    /// Per launch area.
    pub coverage: Vec<CoverageRow>,
    /// The full study of A (with the union of threats); its tracks draw the map.
    pub study_a: Study,
    /// The full study of B.
    pub study_b: Study,
}

fn engaged_at(c: &crate::study::Cue, v: f64) -> bool {
    c.windows.iter().any(|w| w.speed_mps == v)
}

/// `serialize_with` for a row's measured numbers: `D` decimals in `compare.csv` and `compare.json`, as
/// in the study's files (0.1 m/s, 0.1 km of range, 1 ms, 1 m of height). The row keeps the full number,
/// so the tables round once, from the number the study rounds (a crossover of 6 364.6 m/s is 6.36 km/s
/// in both, not 6.37 through 6 365).
fn to_decimals<const D: i32, S: serde::Serializer>(x: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    let k = 10f64.powi(D);
    // `+ 0.0` turns a negative zero into zero.
    x.filter(|v| v.is_finite())
        .map(|v| (v * k).round() / k + 0.0)
        .serialize(s)
}

/// Metres to kilometres.
fn km(x: Option<f64>) -> Option<f64> {
    x.map(|m| m / 1e3)
}

/// What changes from A to B for one trajectory: crossover speeds compared as computed (within 10 m/s
/// they are the same).
fn change_of(ra: &ThreatResult, rb: &ThreatResult) -> Change {
    if ra.skipped.is_some() {
        return Change::NotFlown;
    }
    match (ra.specified.crossover_speed_mps, rb.specified.crossover_speed_mps) {
        (None, None) => Change::Neither,
        (Some(_), None) => Change::OnlyA,
        (None, Some(_)) => Change::OnlyB,
        (Some(x), Some(y)) if (x - y).abs() <= 10.0 => Change::Same,
        (Some(x), Some(y)) if y < x => Change::LowerInB,
        _ => Change::LowerInA,
    }
}

impl Comparison {
    /// The comparison of `original_a` and `original_b` from the studies of their [`prepare`]d forms
    /// (same trajectories, in the same order).
    pub fn new(original_a: &Scenario, original_b: &Scenario, study_a: Study, study_b: Study) -> Comparison {
        let mut speeds: Vec<f64> = study_a
            .speeds_mps
            .iter()
            .chain(&study_b.speeds_mps)
            .copied()
            .collect();
        speeds.sort_by(f64::total_cmp);
        speeds.dedup();
        let trajectories: Vec<TrajectoryRow> = study_a
            .threats
            .iter()
            .zip(&study_b.threats)
            .map(|(ra, rb)| TrajectoryRow {
                threat: ra.threat.clone(),
                missile: ra.missile.clone(),
                shape: ra.shape.name().to_string(),
                from: ra.from.clone(),
                from_country: ra.from_country.clone(),
                to: ra.to.clone(),
                range_km: km(Some(ra.range_m)).filter(|x| x.is_finite()),
                skipped: ra.skipped.clone().unwrap_or_default(),
                first_track_a_s: ra.specified.first_detection_s,
                first_track_b_s: rb.specified.first_detection_s,
                first_track_gain_s: ra
                    .specified
                    .first_detection_s
                    .zip(rb.specified.first_detection_s)
                    .map(|(x, y)| y - x),
                first_radar_a: ra.specified.first_radar.clone().unwrap_or_default(),
                first_radar_b: rb.specified.first_radar.clone().unwrap_or_default(),
                crossover_a_mps: ra.specified.crossover_speed_mps,
                crossover_b_mps: rb.specified.crossover_speed_mps,
                crossover_most_capable_a_mps: ra.most_capable.crossover_speed_mps,
                crossover_most_capable_b_mps: rb.most_capable.crossover_speed_mps,
                engaged_at_scenario_speed_a: ra.specified.engaged_at_scenario_speed,
                engaged_at_scenario_speed_b: rb.specified.engaged_at_scenario_speed,
                change: change_of(ra, rb),
            })
            .collect();
        let mut by_speed = Vec::new();
        for fam in crate::report::first_seen(study_a.threats.iter().map(|r| r.threat.as_str())) {
            let pairs: Vec<(&ThreatResult, &ThreatResult)> = study_a
                .threats
                .iter()
                .zip(&study_b.threats)
                .filter(|(r, _)| r.threat == fam && r.skipped.is_none())
                .collect();
            for &v in &speeds {
                let count = |f: &dyn Fn(&(&ThreatResult, &ThreatResult)) -> bool| {
                    pairs.iter().filter(|p| f(p)).count()
                };
                by_speed.push(SpeedRow {
                    threat: fam.to_string(),
                    speed_mps: v,
                    flown: pairs.len(),
                    engaged_a: count(&|(a, _)| engaged_at(&a.specified, v)),
                    engaged_b: count(&|(_, b)| engaged_at(&b.specified, v)),
                    engaged_most_capable_a: count(&|(a, _)| engaged_at(&a.most_capable, v)),
                    engaged_most_capable_b: count(&|(_, b)| engaged_at(&b.most_capable, v)),
                });
            }
        }
        let coverage = study_a
            .coverage
            .iter()
            .zip(&study_b.coverage)
            .map(|(ca, cb)| CoverageRow {
                site: ca.site.clone(),
                country: ca.country.clone(),
                lat_deg: ca.lat_deg,
                lon_deg: ca.lon_deg,
                rcs_m2: ca.rcs_m2,
                lowest_seen_a_km: km(ca.specified_alt_m),
                lowest_seen_b_km: km(cb.specified_alt_m),
                lowest_seen_most_capable_a_km: km(ca.most_capable_alt_m),
                lowest_seen_most_capable_b_km: km(cb.most_capable_alt_m),
            })
            .collect();
        let defence = |s: &Study| format!("radars {}; batteries {}", s.radar, s.interceptor);
        Comparison {
            a: original_a.meta.name.clone(),
            b: original_b.meta.name.clone(),
            description_a: original_a.meta.description.clone(),
            description_b: original_b.meta.description.clone(),
            defence_a: defence(&study_a),
            defence_b: defence(&study_b),
            gravity: study_a.gravity.clone(),
            speeds_mps: speeds,
            differences: differences(original_a, original_b),
            by_speed,
            trajectories,
            coverage,
            study_a,
            study_b,
        }
    }

    /// The highest assumed speed, m/s (what "engageable" means on the map).
    pub fn top_speed_mps(&self) -> f64 {
        self.speeds_mps.last().copied().unwrap_or(9000.0)
    }
}

fn opt(x: Option<f64>, digits: usize) -> String {
    x.map_or("never".into(), |v| format!("{v:.digits$}"))
}

/// The tables `shieldwatch compare` prints: the differing parameters first, then engageable
/// trajectories per speed, the trajectories whose answer changes, and what the radars see.
pub fn summary(c: &Comparison) -> String {
    // Tables at their natural width (a comparison's threat names and paired columns do not fit 80
    // columns without breaking every row into three lines); the prose between them is wrapped.
    let table = || {
        let mut t = comfy_table::Table::new();
        t.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
        t
    };
    let mut out = String::new();
    crate::report::prose(
        &mut out,
        &format!(
            "Comparison of A = {} and B = {} (the same {} trajectories flown against both, {} gravity)",
            c.a,
            c.b,
            c.trajectories.len(),
            c.gravity
        ),
    );
    crate::report::prose(&mut out, &format!("A: {}", c.defence_a));
    crate::report::prose(&mut out, &format!("B: {}", c.defence_b));
    out.push('\n');
    let mut t = table();
    t.set_header(vec!["parameter", "A", "B", "flown"]);
    for d in &c.differences {
        t.add_row(vec![
            d.key.clone(),
            if d.a.is_empty() { "—".into() } else { d.a.clone() },
            if d.b.is_empty() { "—".into() } else { d.b.clone() },
            if d.flown {
                "yes".into()
            } else {
                "no: A's".to_string()
            },
        ]);
    }
    if c.differences.is_empty() {
        out.push_str("Parameters that differ: none\n\n");
    } else {
        out.push_str(&format!(
            "Parameters that differ ({})\n{t}\n\n",
            c.differences.len()
        ));
    }

    let mut t = table();
    let mut header = vec!["threat".to_string(), "flown".to_string()];
    header.extend(c.speeds_mps.iter().map(|v| format!("{:.1} km/s", v / 1e3)));
    t.set_header(header);
    for f in crate::report::first_seen(c.by_speed.iter().map(|r| r.threat.as_str())) {
        let rows: Vec<&SpeedRow> = c.by_speed.iter().filter(|r| r.threat == f).collect();
        let mut row = vec![f.to_string(), rows.first().map_or(0, |r| r.flown).to_string()];
        row.extend(rows.iter().map(|r| format!("{} / {}", r.engaged_a, r.engaged_b)));
        t.add_row(row);
    }
    crate::report::prose(
        &mut out,
        "Engageable trajectories by assumed burnout speed (A / B, radars as specified)",
    );
    out.push_str(&format!("{t}\n\n"));

    // First tracks by launch area: the earliest and latest over its flown trajectories.
    let mut t = table();
    t.set_header(vec![
        "launch area",
        "trajectories",
        "first track s A",
        "first track s B",
        "first radar A",
        "first radar B",
    ]);
    let flown = c.trajectories.iter().filter(|r| r.change != Change::NotFlown);
    for area in crate::report::first_seen(flown.map(|r| r.from.as_str())) {
        let rows: Vec<&TrajectoryRow> = c
            .trajectories
            .iter()
            .filter(|r| r.from == area && r.change != Change::NotFlown)
            .collect();
        let span = |f: fn(&TrajectoryRow) -> Option<f64>| {
            let v: Vec<f64> = rows.iter().filter_map(|r| f(r)).collect();
            let (lo, hi) = v.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
                (a.min(*x), b.max(*x))
            });
            match v.len() {
                0 => "never".to_string(),
                n if n == rows.len() && format!("{lo:.0}") == format!("{hi:.0}") => format!("{lo:.0}"),
                n if n == rows.len() => format!("{lo:.0}–{hi:.0}"),
                n => format!("{lo:.0}–{hi:.0} ({n} seen)"),
            }
        };
        let radars = |f: fn(&TrajectoryRow) -> &str| {
            let mut v: Vec<&str> = rows.iter().map(|r| f(r)).filter(|x| !x.is_empty()).collect();
            v.sort_unstable();
            v.dedup();
            if v.is_empty() {
                "—".to_string()
            } else {
                v.join(", ")
            }
        };
        t.add_row(vec![
            area.to_string(),
            rows.len().to_string(),
            span(|r| r.first_track_a_s),
            span(|r| r.first_track_b_s),
            radars(|r| r.first_radar_a.as_str()),
            radars(|r| r.first_radar_b.as_str()),
        ]);
    }
    crate::report::prose(
        &mut out,
        "First radar track by launch area (seconds since launch, earliest–latest over its trajectories; radars as specified)",
    );
    out.push_str(&format!("{t}\n\n"));

    let crossover = crossover_cell;
    let changed: Vec<&TrajectoryRow> = c
        .trajectories
        .iter()
        .filter(|r| !matches!(r.change, Change::NotFlown | Change::Same | Change::Neither))
        .collect();
    let mut t = table();
    t.set_header(vec![
        "threat",
        "from",
        "to",
        "crossover km/s A",
        "crossover km/s B",
        "change",
    ]);
    for r in &changed {
        t.add_row(vec![
            r.threat.clone(),
            r.from.clone(),
            r.to.clone(),
            crossover(r.crossover_a_mps),
            crossover(r.crossover_b_mps),
            r.change.name().to_string(),
        ]);
    }
    let flown = c
        .trajectories
        .iter()
        .filter(|r| r.change != Change::NotFlown)
        .count();
    if changed.is_empty() {
        out.push_str(&format!(
            "Trajectories whose engagement changes: none of {flown} flown\n\n"
        ));
    } else {
        crate::report::prose(
            &mut out,
            &format!(
                "Trajectories whose engagement changes ({} of {flown} flown; crossover speed with the radars as specified)",
                changed.len()
            ),
        );
        out.push_str(&format!("{t}\n\n"));
    }
    if c.study_a.boost == crate::boost::BoostModel::Fixed {
        crate::report::prose(&mut out, crate::report::FIXED_BOOST_NOTE);
        out.push('\n');
    }

    let mut t = table();
    t.set_header(vec![
        "launch area",
        "country",
        "lowest seen km A",
        "lowest seen km B",
        "best A",
        "best B",
    ]);
    for r in &c.coverage {
        t.add_row(vec![
            r.site.clone(),
            r.country.clone(),
            opt(r.lowest_seen_a_km, 0),
            opt(r.lowest_seen_b_km, 0),
            opt(r.lowest_seen_most_capable_a_km, 0),
            opt(r.lowest_seen_most_capable_b_km, 0),
        ]);
    }
    crate::report::prose(
        &mut out,
        "What the radars see above each launch area (lowest visible warhead altitude; best = radars at their most capable)",
    );
    out.push_str(&format!("{t}\n"));
    let ru: Vec<&CoverageRow> = c.coverage.iter().filter(|r| r.country == "RU").collect();
    if !ru.is_empty() {
        let seen = |f: fn(&CoverageRow) -> Option<f64>| ru.iter().filter(|r| f(r).is_some()).count();
        crate::report::prose(
            &mut out,
            &format!(
                "Russian launch areas seen at any altitude: A {}/{n}, B {}/{n} (radars as specified); A {}/{n}, B {}/{n} (most capable)",
                seen(|r| r.lowest_seen_a_km),
                seen(|r| r.lowest_seen_b_km),
                seen(|r| r.lowest_seen_most_capable_a_km),
                seen(|r| r.lowest_seen_most_capable_b_km),
                n = ru.len()
            ),
        );
    }
    let skipped = c.trajectories.len() - flown;
    if skipped > 0 {
        out.push('\n');
        crate::report::prose(
            &mut out,
            &format!(
                "{skipped} trajectories not flown (beyond the missile's range or no solution): see compare.csv"
            ),
        );
    }
    out
}

/// `compare.csv`: one [`TrajectoryRow`] per trajectory.
pub fn trajectories_csv(c: &Comparison) -> Result<String, render::RenderError> {
    render::csv::to_csv(c.trajectories.iter().cloned())
}

/// `compare-speeds.csv`: one [`SpeedRow`] per threat family and assumed speed.
pub fn speeds_csv(c: &Comparison) -> Result<String, render::RenderError> {
    render::csv::to_csv(c.by_speed.iter().cloned())
}

/// `compare-coverage.csv`: one [`CoverageRow`] per launch area.
pub fn coverage_csv(c: &Comparison) -> Result<String, render::RenderError> {
    render::csv::to_csv(c.coverage.iter().cloned())
}

/// `compare-parameters.csv`: one [`Difference`] per differing item, defence first.
pub fn parameters_csv(c: &Comparison) -> Result<String, render::RenderError> {
    render::csv::to_csv(c.differences.iter().cloned())
}

/// A crossover speed as the terminal table and the HTML page show it, km/s: "never", or the speed to
/// 10 m/s, below the lowest assumed speed too (no special case: the powered flyout makes every speed
/// mean something), rounded once from the full number. `compare.csv` and `compare.json` give it to 0.1 m/s.
fn crossover_cell(x: Option<f64>) -> String {
    x.map_or_else(|| "never".to_string(), |v| format!("{:.2}", v / 1e3))
}

/// Colour and legend text of a trajectory's change on the map: the changes in saturated colours that
/// tell A (orange) from B (blue), the unchanged in greys (dark: engaged in both, light: in neither).
fn change_style(ch: Change) -> (&'static str, f64, &'static str) {
    match ch {
        Change::OnlyB => ("#1f6fb2", 1.8, "engageable only in B"),
        Change::OnlyA => ("#d35400", 1.8, "engageable only in A"),
        Change::LowerInB => ("#7d3c98", 1.4, "both; B needs a lower speed"),
        Change::LowerInA => ("#b9770e", 1.4, "both; A needs a lower speed"),
        Change::Same => ("#566573", 1.2, "both, same crossover speed"),
        Change::Neither | Change::NotFlown => ("#95a5a6", 0.9, "engageable in neither"),
    }
}

/// GeoJSON (RFC 7946, WGS84 lon/lat, heights m): each scenario's defence sites (`scenario` "A", "B"
/// or "both"), launch and target sites, and every flown track with its comparison row as properties.
pub fn geojson(c: &Comparison) -> Result<String, render::RenderError> {
    use geojson::Geometry;
    use serde_json::json;
    let mut features = Vec::new();
    for (name, (lat, lon, roles), label) in map_sites(c) {
        features.push(crate::report::feature(
            Geometry::new_point([lon, lat]),
            [
                ("kind", json!("site")),
                ("name", json!(name)),
                ("roles", json!(roles)),
                ("scenario", json!(label)),
            ],
        ));
    }
    for (r, row) in c.study_a.threats.iter().zip(&c.trajectories) {
        if r.skipped.is_some() {
            continue;
        }
        let mut f = geojson::Feature::from(Geometry::new_multi_line_string(render::map::split_antimeridian(
            r.track.iter().map(|p| [p.lon_deg, p.lat_deg, p.alt_m]),
        )));
        f.set_property("kind", "track");
        if let serde_json::Value::Object(map) = serde_json::to_value(row)? {
            for (k, v) in map {
                f.set_property(k, v);
            }
        }
        features.push(f);
    }
    Ok(serde_json::to_string_pretty(&geojson::FeatureCollection::new(
        features,
    ))?)
}

/// A site on the comparison's maps: name, (latitude, longitude in degrees, roles), and "A", "B" or
/// "both" for a defence site ("" otherwise).
type MapSite = (String, (f64, f64, Vec<String>), &'static str);

/// Every site of either study, for maps.
fn map_sites(c: &Comparison) -> Vec<MapSite> {
    let defence = |roles: &[String]| roles.iter().any(|r| r == "radar" || r == "interceptor");
    let mut out = Vec::new();
    for (name, v) in &c.study_a.sites {
        let in_b = c.study_b.sites.get(name).is_some_and(|w| defence(&w.2));
        let label = match (defence(&v.2), in_b) {
            (true, true) => "both",
            (true, false) => "A",
            (false, true) => "B",
            (false, false) => "",
        };
        out.push((name.clone(), v.clone(), label));
    }
    for (name, v) in &c.study_b.sites {
        if !c.study_a.sites.contains_key(name) {
            out.push((name.clone(), v.clone(), if defence(&v.2) { "B" } else { "" }));
        }
    }
    out
}

/// The centre (latitude, longitude in degrees) of a small cap holding every point: the mean direction,
/// then pulled towards the farthest point with shrinking steps (Bădoiu–Clarkson), which converges on
/// the centre of the smallest enclosing cap.
fn enclosing_centre(points: &[[f64; 2]]) -> (f64, f64) {
    let unit = |[lon, lat]: [f64; 2]| {
        let (l, p) = (lon.to_radians(), lat.to_radians());
        [p.cos() * l.cos(), p.cos() * l.sin(), p.sin()]
    };
    let norm = |v: [f64; 3]| {
        let n = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
        if n > 0.0 {
            [v[0] / n, v[1] / n, v[2] / n]
        } else {
            [1.0, 0.0, 0.0]
        }
    };
    let vs: Vec<[f64; 3]> = points.iter().map(|p| unit(*p)).collect();
    let mut c = norm(
        vs.iter()
            .fold([0.0; 3], |a, v| [a[0] + v[0], a[1] + v[1], a[2] + v[2]]),
    );
    for k in 1..200 {
        let dot = |v: &[f64; 3]| c[0] * v[0] + c[1] * v[1] + c[2] * v[2];
        let Some(far) = vs.iter().min_by(|a, b| dot(a).total_cmp(&dot(b))) else {
            break;
        };
        let t = 1.0 / (k as f64 + 1.0);
        c = norm([
            c[0] + t * (far[0] - c[0]),
            c[1] + t * (far[1] - c[1]),
            c[2] + t * (far[2] - c[2]),
        ]);
    }
    (
        c[2].atan2(c[0].hypot(c[1])).to_degrees(),
        c[1].atan2(c[0]).to_degrees(),
    )
}

/// SVG map of the comparison: every flown track coloured by what changes from A to B, the defence
/// sites of each scenario, launch and target sites, over Natural Earth land and borders.
pub fn map_svg(c: &Comparison) -> Result<String, render::RenderError> {
    use render::attrs;
    use render::map::{self, Frame, LegendKey};
    use render::xml::Xml;
    let sites = map_sites(c);
    let mut pts: Vec<[f64; 2]> = sites.iter().map(|(_, v, _)| [v.1, v.0]).collect();
    for r in c.study_a.threats.iter().filter(|r| r.skipped.is_none()) {
        pts.extend(r.track.iter().step_by(8).map(|p| [p.lon_deg, p.lat_deg]));
    }
    let projection = match map::suited_projection(&pts) {
        // An orthographic map shows one hemisphere: centre it on the smallest cap holding every point
        // rather than on their mean, which the many European tracks would pull away from America.
        map::Projection::Orthographic { .. } => {
            let (lat0, lon0) = enclosing_centre(&pts);
            map::Projection::Orthographic {
                lat0: lat0.round(),
                lon0: lon0.round(),
            }
        }
        other => other,
    };
    let (w, h) = (1000.0, 960.0);
    let f = Frame::fit(projection, pts.iter().copied(), (50.0, 100.0, 930.0, 640.0), 0.05)?;
    let (lat_lo, lat_hi) = pts
        .iter()
        .fold((90.0f64, -90.0f64), |(a, b), p| (a.min(p[1]), b.max(p[1])));
    let title = format!("{} (A) against {} (B): what changes", c.a, c.b);
    let mut s = Xml::new();
    crate::report::svg_open(&mut s, w, h, &title)?;
    s.leaf("text", &attrs!["x" => 50, "y" => 24, "font-size" => 16], &title)?;
    s.leaf(
        "text",
        &attrs!["x" => 50, "y" => 42, "font-size" => 11],
        &format!("A: {}", c.defence_a),
    )?;
    s.leaf(
        "text",
        &attrs!["x" => 50, "y" => 58, "font-size" => 11],
        &format!("B: {}", c.defence_b),
    )?;
    s.leaf(
        "text",
        &attrs!["x" => 50, "y" => 74, "font-size" => 11],
        &format!(
            "The same threat tracks flown against both; colour: whether each is engageable at some burnout speed up to {:.1} km/s (radars as specified).",
            c.top_speed_mps() / 1e3,
        ),
    )?;
    s.leaf(
        "text",
        &attrs!["x" => 50, "y" => 90, "font-size" => 11],
        &format!(
            "Ground tracks from launch to impact. {} projection; sphere R = 6371 km; land and borders: Natural Earth 1:110m.",
            projection.name()
        ),
    )?;
    crate::report::basemap(&mut s, &f, (lat_hi - lat_lo).max(30.0))?;
    s.open("g", &attrs!["clip-path" => "url(#mapframe)", "fill" => "none"])?;
    // Grey tracks underneath, changed ones on top.
    let mut order: Vec<(&ThreatResult, &TrajectoryRow)> = c
        .study_a
        .threats
        .iter()
        .zip(&c.trajectories)
        .filter(|(r, _)| r.skipped.is_none())
        .collect();
    order.sort_by_key(|(_, row)| match row.change {
        Change::Neither | Change::NotFlown => 0,
        Change::Same => 1,
        _ => 2,
    });
    for (r, row) in order {
        let (colour, width, _) = change_style(row.change);
        let line: Vec<[f64; 2]> = r.track.iter().map(|p| [p.lon_deg, p.lat_deg]).collect();
        s.open(
            "path",
            &attrs!["d" => f.path(&[line]), "stroke" => colour, "stroke-width" => width, "stroke-opacity" => 0.8],
        )?;
        s.leaf(
            "title",
            &[],
            &format!("{} → {} ({}): {}", r.from, r.to, r.missile, row.change.name()),
        )?;
        s.close()?;
    }
    s.close()?;
    let dots: Vec<(String, f64, f64, &str)> = sites
        .iter()
        .map(|(n, v, label)| {
            let colour = match *label {
                "A" => "#d35400",
                "B" => "#1f6fb2",
                "both" => "#1e8449",
                _ if v.2.iter().any(|r| r == "launch") => "#7b241c",
                _ => "#ffffff",
            };
            (n.clone(), v.0, v.1, colour)
        })
        .collect();
    crate::report::draw_sites(&mut s, &f, &dots)?;
    map::scale_bar(&mut s, &f)?;
    map::frame_close(&mut s, &f)?;
    let mut entries: Vec<(LegendKey, String)> = Vec::new();
    let mut seen = BTreeSet::new();
    for row in &c.trajectories {
        let (colour, width, text) = change_style(row.change);
        if row.change != Change::NotFlown && seen.insert(text) {
            entries.push((LegendKey::Line(colour.into(), width, String::new()), text.into()));
        }
    }
    // Only the kinds of site the map shows.
    let kinds = [
        ("#d35400", "#fff", format!("defence site of A only ({})", c.a)),
        ("#1f6fb2", "#fff", format!("defence site of B only ({})", c.b)),
        ("#1e8449", "#fff", "defence site of both".to_string()),
        ("#7b241c", "#fff", "launch site".to_string()),
        ("#ffffff", "#000", "target".to_string()),
    ];
    for (fill, stroke, text) in kinds {
        if dots.iter().any(|d| d.3 == fill) {
            entries.push((LegendKey::Dot(fill.into(), stroke.into()), text));
        }
    }
    // Below the map, where it hides no track.
    map::legend(&mut s, (f.x0, f.y0 + f.height + 36.0), &entries)?;
    s.close()?;
    s.finish()
}

/// The self-contained HTML page: differences, the map, the tables, both scenarios' descriptions.
pub fn html(c: &Comparison) -> Result<String, render::RenderError> {
    use maud::{PreEscaped, html};
    let map = map_svg(c)?;
    let fmt = |x: Option<f64>, d: usize| opt(x, d);
    let low = c.speeds_mps.first().copied().unwrap_or(0.0);
    let header = html! {
        p { "A = " b { (c.a) } ": " (c.description_a) }
        p { "B = " b { (c.b) } ": " (c.description_b) }
        p {
            "The same " (c.trajectories.len()) " trajectories (both scenarios' threat families) are flown against "
            "each deployment (" (c.gravity) " gravity). A: " (c.defence_a) ". B: " (c.defence_b) ". Times are seconds "
            "since threat launch; heights km above the WGS84 ellipsoid."
        }
        h2 { "Parameters that differ" }
        @if c.differences.is_empty() { p { "None." } } @else {
            table {
                tr { th { "parameter" } th { "A" } th { "B" } th { "flown" } th { "source" } }
                @for d in &c.differences {
                    tr {
                        td { (d.key) } td { (d.a) } td { (d.b) }
                        td { @if d.flown { "yes" } @else { "no: both fly A's" } }
                        td { (d.source) }
                    }
                }
            }
        }
        h2 { "Map" }
        (PreEscaped(map))
        h2 { "Engageable trajectories by assumed burnout speed (A / B)" }
        table {
            tr { th { "threat" } th { "speed km/s" } th { "flown" } th { "A" } th { "B" } th { "A (most capable radars)" } th { "B (most capable radars)" } }
            @for r in &c.by_speed {
                tr {
                    td { (r.threat) } td { (format!("{:.1}", r.speed_mps / 1e3)) } td { (r.flown) }
                    td { (r.engaged_a) } td { (r.engaged_b) } td { (r.engaged_most_capable_a) } td { (r.engaged_most_capable_b) }
                }
            }
        }
        h2 { "Every trajectory" }
        p {
            "Crossover speed: the lowest interceptor burnout speed that engages the trajectory, radars as "
            "specified, to 10 m/s (compare.csv keeps the full number); below "
            (format!("{:.1}", low / 1e3)) " km/s, every assumed speed engages."
        }
        table {
            tr { th { "threat" } th { "from" } th { "to" } th { "first track A s" } th { "first track B s" } th { "first radar A" } th { "first radar B" } th { "crossover A km/s" } th { "crossover B km/s" } th { "change" } }
            @for r in &c.trajectories {
                tr {
                    td { (r.threat) } td { (r.from) } td { (r.to) }
                    @if r.skipped.is_empty() {
                        td { (fmt(r.first_track_a_s, 0)) } td { (fmt(r.first_track_b_s, 0)) }
                        td { (r.first_radar_a) } td { (r.first_radar_b) }
                        td { (crossover_cell(r.crossover_a_mps)) } td { (crossover_cell(r.crossover_b_mps)) }
                        td { (r.change.name()) }
                    } @else {
                        td colspan="7" { "not flown: " (r.skipped) }
                    }
                }
            }
        }
        h2 { "What the radars see above each launch area" }
        table {
            tr { th { "launch area" } th { "country" } th { "lowest seen km A" } th { "lowest seen km B" } th { "most capable A" } th { "most capable B" } }
            @for r in &c.coverage {
                tr {
                    td { (r.site) } td { (r.country) }
                    td { (fmt(r.lowest_seen_a_km, 0)) } td { (fmt(r.lowest_seen_b_km, 0)) }
                    td { (fmt(r.lowest_seen_most_capable_a_km, 0)) } td { (fmt(r.lowest_seen_most_capable_b_km, 0)) }
                }
            }
        }
        h2 { "Summary" }
        pre { (summary(c)) }
    };
    Ok(crate::maps::html_page(
        &format!("shieldwatch compare: {} and {}", c.a, c.b),
        &[header],
    ))
}

/// Every file of a comparison's output folder.
pub fn compare_files(c: &Comparison) -> Result<Vec<render::OutputFile>, render::RenderError> {
    use render::OutputFile;
    let mut files = vec![
        OutputFile::new("compare.csv", trajectories_csv(c)?),
        OutputFile::new("compare-speeds.csv", speeds_csv(c)?),
        OutputFile::new("compare-coverage.csv", coverage_csv(c)?),
        OutputFile::new("compare-parameters.csv", parameters_csv(c)?),
        OutputFile::new("compare.geojson", geojson(c)?),
        OutputFile::new("compare.json", serde_json::to_string_pretty(c)?),
        OutputFile::new("summary.txt", summary(c)),
        OutputFile::new("report.html", html(c)?),
    ];
    files.extend(render::png::svg_and_png("map.svg", map_svg(c)?)?);
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// CIE L*a*b* (D65) of an sRGB `#rrggbb` colour.
    fn lab(hex: &str) -> [f64; 3] {
        let ch = |i: usize| {
            let c = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).unwrap()) / 255.0;
            if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        let (r, g, b) = (ch(1), ch(3), ch(5));
        let x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
        let y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
        let z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
        let f = |t: f64| {
            if t > 0.008856 {
                t.cbrt()
            } else {
                7.787 * t + 16.0 / 116.0
            }
        };
        [116.0 * f(y) - 16.0, 500.0 * (f(x) - f(y)), 200.0 * (f(y) - f(z))]
    }

    /// The map tells every kind of change apart at a glance: any two legend colours lie more than 25
    /// CIE76 units apart, and the unchanged kinds are greys (chroma under 15), so no unchanged track
    /// reads as a change (the red once used for "both, same" lay 24.5 units from "only in A").
    #[test]
    fn the_change_colours_are_distinct_and_the_unchanged_are_grey() {
        let all = [
            Change::OnlyA,
            Change::OnlyB,
            Change::LowerInA,
            Change::LowerInB,
            Change::Same,
            Change::Neither,
        ];
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                let (ca, cb) = (lab(change_style(*a).0), lab(change_style(*b).0));
                let d = ((ca[0] - cb[0]).powi(2) + (ca[1] - cb[1]).powi(2) + (ca[2] - cb[2]).powi(2)).sqrt();
                assert!(d > 25.0, "{a:?} and {b:?} are {d:.1} apart");
            }
        }
        for ch in [Change::Same, Change::Neither] {
            let c = lab(change_style(ch).0);
            assert!(c[1].hypot(c[2]) < 15.0, "{ch:?} is not a grey: {c:?}");
        }
        for ch in [Change::OnlyA, Change::OnlyB, Change::LowerInA, Change::LowerInB] {
            let c = lab(change_style(ch).0);
            assert!(c[1].hypot(c[2]) > 40.0, "{ch:?} is too dull for a change: {c:?}");
        }
    }

    #[test]
    fn a_crossover_below_the_lowest_speed_reads_as_every_speed_engaging() {
        assert_eq!(crossover_cell(None), "never");
        assert_eq!(crossover_cell(Some(4670.0)), "4.67");
        assert_eq!(crossover_cell(Some(5400.0)), "5.40");
        assert_eq!(crossover_cell(Some(6312.0)), "6.31");
    }
}
