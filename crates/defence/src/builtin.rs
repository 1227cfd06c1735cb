//! The scenarios shipped inside the binary: the 2008 US plan and the alternatives argued over in the
//! 2007–2009 dispute. Each is a scenario file under `crates/defence/scenarios/`, sourced parameter by
//! parameter, and loads by name ([`crate::scenario::Scenario::load`]).

use crate::scenario::{Scenario, ScenarioError};

/// Names of the built-in scenarios, in the order `shieldwatch study --list` shows them.
pub const NAMES: [&str; 7] = [
    "europe-2008",
    "europe-2008-sensors",
    "gabala-offer",
    "paa-2011",
    "paa-2015",
    "paa-2018",
    "north-korea-2008",
];

/// Every built-in scenario: its name and its TOML text, in the order of [`NAMES`].
pub const SCENARIOS: [(&str, &str); 7] = [
    (NAMES[0], crate::scenario::EUROPE_2008_TOML),
    (NAMES[1], include_str!("../scenarios/europe-2008-sensors.toml")),
    (NAMES[2], include_str!("../scenarios/gabala-offer.toml")),
    (NAMES[3], include_str!("../scenarios/paa-2011.toml")),
    (NAMES[4], include_str!("../scenarios/paa-2015.toml")),
    (NAMES[5], include_str!("../scenarios/paa-2018.toml")),
    (NAMES[6], include_str!("../scenarios/north-korea-2008.toml")),
];

/// The TOML text of the built-in scenario called `name`.
pub fn text(name: &str) -> Option<&'static str> {
    SCENARIOS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// Each built-in scenario's name and one-line summary (its `summary`, or its description when it has
/// none), loading every one: a built-in scenario that does not load is an error here, not a gap in the
/// list.
pub fn list() -> Result<Vec<(&'static str, String)>, ScenarioError> {
    SCENARIOS
        .iter()
        .map(|(name, _)| {
            let s = Scenario::load(name)?;
            let line = if s.meta.summary.trim().is_empty() {
                s.meta.description
            } else {
                s.meta.summary
            };
            Ok((*name, line))
        })
        .collect()
}
