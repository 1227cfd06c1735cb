//! The one table of scenario parameters: every numeric parameter a scenario may carry, with its
//! section, key, unit, physical limits, source rule and accessors.
//!
//! The scenario checker ([`crate::scenario`]), the study's parameter list ([`crate::study`]) and the
//! sweep paths and their limits ([`crate::sweep`]) all read this table, so a parameter is checked,
//! reported and swept the same way everywhere.
//!
//! # Adding a parameter
//! Add the field (a [`Param`], or an `Option<Param>` for an optional one) to its section's struct in
//! [`crate::scenario`], and one row to that section's [`Section::PARAMS`] below:
//! ```text
//! param!(field_name, "unit", LIMITS),             // a required parameter
//! param!(optional field_name, "unit", LIMITS),    // an Option<Param>
//! ```
//! The row's key is the field's name, so the two cannot drift. A new section implements [`Section`] and
//! is added to [`for_each_section!`].
//!
//! # Paths
//! A parameter is addressed by `section.name.key` (e.g. `interceptors.GBI-2.burnout_speed_mps`,
//! `missiles.Iranian IRBM.burnout_alt_m`) or `section.key` for the first item of the section; the
//! section may be given in the singular (`interceptor.commit_delay_s`).

use crate::scenario::{InterceptorDef, MissileDef, Param, RadarDef, Scenario, VehicleDef};

/// The physical limits of a parameter: the values any scenario or sweep may give it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Lowest value (included unless `low_open`), in the parameter's unit.
    pub low: f64,
    /// Highest value, included (`f64::INFINITY`: unbounded above), in the parameter's unit.
    pub high: f64,
    /// Whether `low` itself is excluded.
    pub low_open: bool,
}

/// (0, ∞): lengths, speeds, durations and cross-sections that must be positive.
pub const POSITIVE: Limits = Limits {
    low: 0.0,
    high: f64::INFINITY,
    low_open: true,
};
/// (0, 11 664] m/s: an interceptor's burnout speed, up to the fastest flyout that stays bound to the
/// Earth ([`crate::reach::MAX_BALLISTIC_MPS`]: escape speed at the polar radius plus the ground's
/// rotation). A faster stage would leave on a hyperbolic orbit, which no interceptor rocket flies; a
/// value above it is a slip (an extra zero, km/s read as m/s), refused rather than "engaging" at
/// 90 km/s.
pub const BURNOUT_SPEED: Limits = Limits {
    low: 0.0,
    high: crate::reach::MAX_BALLISTIC_MPS,
    low_open: true,
};
/// Checks burnout speeds given on the command line (`flag` names the option) against
/// [`BURNOUT_SPEED`]; the error names the first value outside it.
pub fn check_burnout_speeds(flag: &str, values: &[f64]) -> Result<(), String> {
    match values.iter().find(|v| !BURNOUT_SPEED.contains(**v)) {
        None => Ok(()),
        Some(bad) => Err(format!(
            "{flag}: {bad} m/s is outside the burnout speeds an interceptor can have, {} m/s",
            BURNOUT_SPEED.interval()
        )),
    }
}

/// [0, ∞): delays, distances and heights that may be zero.
pub const NON_NEGATIVE: Limits = Limits {
    low: 0.0,
    high: f64::INFINITY,
    low_open: false,
};
/// [0, 360] degrees: azimuths clockwise from north.
pub const AZIMUTH: Limits = Limits {
    low: 0.0,
    high: 360.0,
    low_open: false,
};
/// (0, 180] degrees: half-widths of a field of regard (180 = all round).
pub const HALF_WIDTH: Limits = Limits {
    low: 0.0,
    high: 180.0,
    low_open: true,
};
/// [−90, 90] degrees: elevations above the local horizontal.
pub const ELEVATION: Limits = Limits {
    low: -90.0,
    high: 90.0,
    low_open: false,
};
/// [−1000, 1e8] m: heights above the WGS84 ellipsoid (a burnout point may lie below it only as
/// far as the Dead Sea shore).
pub const HEIGHT: Limits = Limits {
    low: -1_000.0,
    high: 1.0e8,
    low_open: false,
};
/// [0, 1e8] m: altitudes above the ellipsoid that cannot be negative (the lowest intercept altitude).
pub const ALTITUDE: Limits = Limits {
    low: 0.0,
    high: 1.0e8,
    low_open: false,
};
/// [0, 1e6]: numbers of things.
pub const COUNT: Limits = Limits {
    low: 0.0,
    high: 1.0e6,
    low_open: false,
};

impl Limits {
    /// Whether `x` lies within the limits (never for NaN or ±∞).
    pub fn contains(&self, x: f64) -> bool {
        x.is_finite() && x <= self.high && (x > self.low || (!self.low_open && x == self.low))
    }

    /// The limits as an interval, e.g. `(0, ∞)` or `[-90, 90]`.
    pub fn interval(&self) -> String {
        let high = if self.high == f64::INFINITY {
            "∞".to_string()
        } else {
            self.high.to_string()
        };
        let open = if self.low_open { "(" } else { "[" };
        format!(
            "{open}{}, {high}{}",
            self.low,
            if self.high == f64::INFINITY { ")" } else { "]" }
        )
    }
}

/// What a parameter's `source` must say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceRule {
    /// A publication with its year (a four-digit year 1900–2099 somewhere in the text), or the word
    /// "assumption" (or "assumed") with the reason.
    PublicationOrAssumption,
}

impl SourceRule {
    /// Checks a source text; the error says what is missing.
    pub fn check(self, source: &str) -> Result<(), String> {
        match self {
            SourceRule::PublicationOrAssumption => {
                let lower = source.to_lowercase();
                let has_year = source.as_bytes().windows(4).enumerate().any(|(i, w)| {
                    let digit_before = i > 0 && source.as_bytes()[i - 1].is_ascii_digit();
                    let digit_after = source.as_bytes().get(i + 4).is_some_and(u8::is_ascii_digit);
                    (w.starts_with(b"19") || w.starts_with(b"20"))
                        && w.iter().all(u8::is_ascii_digit)
                        && !digit_before
                        && !digit_after
                });
                if source.trim().is_empty() {
                    Err(
                        "source is empty: name a publication and its year, or say \"assumption\" and why"
                            .into(),
                    )
                } else if has_year || lower.contains("assum") {
                    Ok(())
                } else {
                    Err(format!(
                        "source \"{source}\" names no year: name a publication and its year, or say \"assumption\" and why"
                    ))
                }
            }
        }
    }
}

/// One row of the table, independent of the section's type.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParamDef {
    /// Section in the scenario file (`radars`, `interceptors`, `missiles`).
    pub section: &'static str,
    /// Key inside an item of the section (the struct field's name).
    pub key: &'static str,
    /// Unit of `value` and `range` (`m`, `m/s`, `s`, `deg`, `m2`, `1`).
    pub unit: &'static str,
    /// Physical limits of the value and of both range ends.
    pub limits: Limits,
    /// What the source must say.
    pub source: SourceRule,
    /// Whether an item of the section may leave it out.
    pub optional: bool,
}

impl ParamDef {
    /// Checks one value against the physical limits; the message is the same for a scenario file and a
    /// sweep, e.g. `value -1 is outside its physical limits (0, ∞) m/s`.
    pub fn check_value(&self, value: f64) -> Result<(), String> {
        if self.limits.contains(value) {
            Ok(())
        } else {
            Err(format!(
                "value {value} is outside its physical limits {} {}",
                self.limits.interval(),
                self.unit
            ))
        }
    }

    /// Checks a whole parameter as a scenario file gives it: the value, the source and the range (both
    /// ends within the limits, low ≤ high, the value inside).
    pub fn check(&self, p: &Param) -> Result<(), String> {
        self.check_value(p.value)?;
        self.source.check(&p.source)?;
        if let Some([a, b]) = p.range {
            if !self.limits.contains(a) || !self.limits.contains(b) {
                return Err(format!(
                    "range [{a}, {b}] is outside its physical limits {} {}",
                    self.limits.interval(),
                    self.unit
                ));
            }
            if a > b {
                return Err(format!("range [{a}, {b}] has its low end above its high end"));
            }
            if p.value < a || p.value > b {
                return Err(format!("value {} lies outside its range [{a}, {b}]", p.value));
            }
        }
        Ok(())
    }
}

/// A row with its accessors for items of type `T`.
#[derive(Debug, Clone, Copy)]
pub struct ParamRow<T> {
    /// What the row says about the parameter.
    pub def: ParamDef,
    /// The parameter of an item (`None`: an optional parameter the item leaves out).
    pub get: fn(&T) -> Option<&Param>,
    /// The same, for changing it.
    pub get_mut: fn(&mut T) -> Option<&mut Param>,
}

/// A section of a scenario whose items carry numeric parameters.
pub trait Section: Sized + 'static {
    /// Name in the scenario file (`[[radars]]` → `radars`).
    const SECTION: &'static str;
    /// Singular form accepted at the start of a path.
    const SINGULAR: &'static str;
    /// The section's rows of the table, in file order.
    const PARAMS: &'static [ParamRow<Self>];
    /// The item's name (unique in its section).
    fn name(&self) -> &str;
    /// The section's items in a scenario.
    fn items(s: &Scenario) -> &[Self];
    /// The same, for changing them.
    fn items_mut(s: &mut Scenario) -> &mut [Self];
    /// Checks relations between an item's parameters (after each has passed its own row's check):
    /// the key to blame and what is wrong.
    fn relations(&self) -> Result<(), (&'static str, String)> {
        Ok(())
    }
}

/// A row of the table for the struct field `$field`: `param!(field, "unit", LIMITS)`, or
/// `param!(optional field, "unit", LIMITS)` for an `Option<Param>` field.
macro_rules! param {
    ($field:ident, $unit:literal, $limits:expr) => {
        ParamRow {
            def: ParamDef {
                section: Self::SECTION,
                key: stringify!($field),
                unit: $unit,
                limits: $limits,
                source: SourceRule::PublicationOrAssumption,
                optional: false,
            },
            get: |item| Some(&item.$field),
            get_mut: |item| Some(&mut item.$field),
        }
    };
    (optional $field:ident, $unit:literal, $limits:expr) => {
        ParamRow {
            def: ParamDef {
                section: Self::SECTION,
                key: stringify!($field),
                unit: $unit,
                limits: $limits,
                source: SourceRule::PublicationOrAssumption,
                optional: true,
            },
            get: |item| item.$field.as_ref(),
            get_mut: |item| item.$field.as_mut(),
        }
    };
}

impl Section for RadarDef {
    const SECTION: &'static str = "radars";
    const SINGULAR: &'static str = "radar";
    const PARAMS: &'static [ParamRow<Self>] = &[
        param!(antenna_height_m, "m", NON_NEGATIVE),
        param!(boresight_azimuth_deg, "deg", AZIMUTH),
        param!(azimuth_half_width_deg, "deg", HALF_WIDTH),
        param!(min_elevation_deg, "deg", ELEVATION),
        param!(max_elevation_deg, "deg", ELEVATION),
        param!(reference_range_m, "m", POSITIVE),
        param!(reference_rcs_m2, "m2", POSITIVE),
    ];
    fn name(&self) -> &str {
        &self.name
    }
    fn items(s: &Scenario) -> &[Self] {
        &s.radars
    }
    fn items_mut(s: &mut Scenario) -> &mut [Self] {
        &mut s.radars
    }
    fn relations(&self) -> Result<(), (&'static str, String)> {
        if self.min_elevation_deg.value >= self.max_elevation_deg.value {
            return Err((
                "min_elevation_deg",
                format!(
                    "minimum elevation {} deg must be below the maximum elevation {} deg",
                    self.min_elevation_deg.value, self.max_elevation_deg.value
                ),
            ));
        }
        Ok(())
    }
}

impl Section for InterceptorDef {
    const SECTION: &'static str = "interceptors";
    const SINGULAR: &'static str = "interceptor";
    const PARAMS: &'static [ParamRow<Self>] = &[
        param!(count, "1", COUNT),
        param!(burnout_speed_mps, "m/s", BURNOUT_SPEED),
        param!(burn_time_s, "s", POSITIVE),
        param!(burnout_alt_m, "m", HEIGHT),
        param!(burnout_downrange_m, "m", NON_NEGATIVE),
        param!(commit_delay_s, "s", NON_NEGATIVE),
        param!(min_intercept_alt_m, "m", ALTITUDE),
        param!(kill_assessment_s, "s", NON_NEGATIVE),
    ];
    fn name(&self) -> &str {
        &self.name
    }
    fn items(s: &Scenario) -> &[Self] {
        &s.interceptors
    }
    fn items_mut(s: &mut Scenario) -> &mut [Self] {
        &mut s.interceptors
    }
}

impl Section for MissileDef {
    const SECTION: &'static str = "missiles";
    const SINGULAR: &'static str = "missile";
    const PARAMS: &'static [ParamRow<Self>] = &[
        param!(burn_time_s, "s", POSITIVE),
        param!(burnout_alt_m, "m", HEIGHT),
        param!(burnout_downrange_m, "m", NON_NEGATIVE),
        param!(rcs_m2, "m2", POSITIVE),
        param!(max_range_m, "m", POSITIVE),
    ];
    fn name(&self) -> &str {
        &self.name
    }
    fn items(s: &Scenario) -> &[Self] {
        &s.missiles
    }
    fn items_mut(s: &mut Scenario) -> &mut [Self] {
        &mut s.missiles
    }
}

/// [0, 89] degrees: the pitch-over kick of a vehicle's programme.
pub const KICK: Limits = Limits {
    low: 0.0,
    high: 89.0,
    low_open: false,
};

/// [0, 1e9] kg: a payload mass (the flight crate's limit for a vehicle).
pub const PAYLOAD: Limits = Limits {
    low: 0.0,
    high: 1.0e9,
    low_open: false,
};

/// A vehicle's own parameters (its stages' are checked by the scenario checker and listed by the study,
/// but are not rows: a stage has no name to address it by).
impl Section for VehicleDef {
    const SECTION: &'static str = "vehicles";
    const SINGULAR: &'static str = "vehicle";
    const PARAMS: &'static [ParamRow<Self>] = &[
        param!(payload_kg, "kg", PAYLOAD),
        param!(vertical_rise_s, "s", NON_NEGATIVE),
        param!(kick_duration_s, "s", NON_NEGATIVE),
        param!(kick_deg, "deg", KICK),
    ];
    fn name(&self) -> &str {
        &self.name
    }
    fn items(s: &Scenario) -> &[Self] {
        &s.vehicles
    }
    fn items_mut(s: &mut Scenario) -> &mut [Self] {
        &mut s.vehicles
    }
}

/// Runs `$body` once per section type, in file order, with `$t` bound to the type: the one list of
/// sections that carry parameters.
macro_rules! for_each_section {
    ($t:ident => $body:block) => {{
        {
            type $t = $crate::scenario::RadarDef;
            $body
        }
        {
            type $t = $crate::scenario::InterceptorDef;
            $body
        }
        {
            type $t = $crate::scenario::MissileDef;
            $body
        }
        {
            type $t = $crate::scenario::VehicleDef;
            $body
        }
    }};
}

/// Every row of the table, in file order.
pub fn table() -> Vec<ParamDef> {
    let mut out = Vec::new();
    for_each_section!(T => {
        out.extend(T::PARAMS.iter().map(|r| r.def));
    });
    out
}

/// A parameter present in a scenario.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    /// Its row of the table.
    pub def: &'a ParamDef,
    /// Name of the item that carries it.
    pub item: &'a str,
    /// The parameter.
    pub param: &'a Param,
}

impl Entry<'_> {
    /// Its path, `section.name.key`.
    pub fn path(&self) -> String {
        format!("{}.{}.{}", self.def.section, self.item, self.def.key)
    }
}

/// Every parameter the scenario gives, in file order (sections, then items, then rows).
pub fn entries(s: &Scenario) -> Vec<Entry<'_>> {
    let mut out = Vec::new();
    for_each_section!(T => {
        for item in T::items(s) {
            for row in T::PARAMS {
                if let Some(param) = (row.get)(item) {
                    out.push(Entry { def: &row.def, item: item.name(), param });
                }
            }
        }
    });
    out
}

/// Every parameter path of a scenario, in file order.
pub fn paths(s: &Scenario) -> Vec<String> {
    entries(s).iter().map(Entry::path).collect()
}

/// Why a path does not address a parameter.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PathError {
    /// No parameter at that path.
    #[error("unknown parameter path \"{path}\"; known paths: {known}")]
    Unknown {
        /// The path given.
        path: String,
        /// Every valid path, comma-separated.
        known: String,
    },
    /// An optional parameter the scenario leaves out.
    #[error("{path}: the scenario does not give this optional parameter, so it cannot be changed")]
    Absent {
        /// The path given.
        path: String,
    },
}

/// Where a path points: the section, the item's index in it and the row.
struct Location {
    section: &'static str,
    index: usize,
    def: &'static ParamDef,
    present: bool,
}

fn locate<T: Section>(s: &Scenario, section: &str, item: Option<&str>, key: &str) -> Option<Location> {
    if section != T::SECTION && section != T::SINGULAR {
        return None;
    }
    let row = T::PARAMS.iter().find(|r| r.def.key == key)?;
    let items = T::items(s);
    let index = match item {
        None => (!items.is_empty()).then_some(0)?,
        Some(n) => items.iter().position(|x| x.name() == n)?,
    };
    Some(Location {
        section: T::SECTION,
        index,
        def: &row.def,
        present: (row.get)(&items[index]).is_some(),
    })
}

/// The row of the table that `path` addresses in `s`.
pub fn def_at(s: &Scenario, path: &str) -> Result<&'static ParamDef, PathError> {
    locate_path(s, path).map(|l| l.def)
}

fn locate_path(s: &Scenario, path: &str) -> Result<Location, PathError> {
    let unknown = || PathError::Unknown {
        path: path.to_string(),
        known: paths(s).join(", "),
    };
    let (section, rest) = path.split_once('.').ok_or_else(unknown)?;
    let (item, key) = match rest.rsplit_once('.') {
        Some((n, k)) => (Some(n), k),
        None => (None, rest),
    };
    let mut found = None;
    for_each_section!(T => {
        found = found.or_else(|| locate::<T>(s, section, item, key));
    });
    let loc = found.ok_or_else(unknown)?;
    if loc.present {
        Ok(loc)
    } else {
        Err(PathError::Absent {
            path: path.to_string(),
        })
    }
}

/// The parameter at `path` and its row, for reading or changing.
pub fn param_mut<'a>(
    s: &'a mut Scenario,
    path: &str,
) -> Result<(&'static ParamDef, &'a mut Param), PathError> {
    let loc = locate_path(s, path)?;
    for_each_section!(T => {
        if T::SECTION == loc.section {
            let row = T::PARAMS.iter().find(|r| r.def.key == loc.def.key);
            let param = row.and_then(|r| (r.get_mut)(&mut T::items_mut(s)[loc.index]));
            return param.map(|p| (loc.def, p)).ok_or(PathError::Absent {
                path: path.to_string(),
            });
        }
    });
    Err(PathError::Absent {
        path: path.to_string(),
    })
}

/// The parameter at `path` and its row.
pub fn param<'a>(s: &'a Scenario, path: &str) -> Result<(&'static ParamDef, &'a Param), PathError> {
    let loc = locate_path(s, path)?;
    let mut out = None;
    for_each_section!(T => {
        if T::SECTION == loc.section {
            let row = T::PARAMS.iter().find(|r| r.def.key == loc.def.key);
            out = row.and_then(|r| (r.get)(&T::items(s)[loc.index]));
        }
    });
    out.map(|p| (loc.def, p)).ok_or(PathError::Absent {
        path: path.to_string(),
    })
}

/// Checks the relations between the parameters of the item that `path` addresses (e.g. a radar's
/// minimum elevation below its maximum), as the scenario checker does: the message says what is wrong.
pub fn check_relations(s: &Scenario, path: &str) -> Result<(), String> {
    let loc = locate_path(s, path).map_err(|e| e.to_string())?;
    let mut out = Ok(());
    for_each_section!(T => {
        if T::SECTION == loc.section {
            out = T::items(s)[loc.index].relations().map_err(|(_, m)| m);
        }
    });
    out
}
