//! Capability analysis for shieldwatch: the "potential" half of the product (`shared/DESIGN.md` §5).
//!
//! # Layout
//! - [`scenario`]: scenario files (TOML) — sites, radars, interceptor batteries, missiles, threats —
//!   every numeric parameter with a `source` and optionally a disputed `range`; the built-in
//!   `europe-2008` scenario; [`builtin`]: every scenario shipped with the binary (the US plan and the
//!   alternatives of the 2007–2009 dispute).
//! - [`params`]: the one table of scenario parameters (section, key, unit, physical limits, source
//!   rule, accessors) that the scenario checker, the study's parameter list and the sweeps read.
//! - [`radar`]: radar coverage — field of regard, Earth horizon and minimum elevation, detection range
//!   scaling with RCS^(1/4), first detection and track intervals along a trajectory, and the lowest
//!   visible altitude above any ground point.
//!
//! - [`boost`]: the interceptor's boost phase, fixed or powered (the scenario's rocket sized to a burnout
//!   speed and flown by the flight crate).
//! - [`engagement`]: threat trajectories with a boost phase, radar cue, interceptor flyout (Lambert on the
//!   rotating Earth), required burnout speed, engagement windows, crossover speeds, shoot-look-shoot.
//!
//! - [`reach`]: interceptor reach computed once per battery (a lazily filled table of required burnout
//!   speed by intercept point and coast time).
//! - [`footprint`]: defended-area, threat-origin and radar-coverage maps over a grid (fast engine, parallel).
//! - [`contour`]: polygons from grids (marching squares).
//! - [`compare`]: two scenarios against the same threats — what changes, and the files that show it.
//! - [`sweep`]: parameter sweeps (one or two parameters) and Monte Carlo over disputed ranges.
//! - [`maps`]: footprint and sweep exports (CSV, GeoJSON, KML, CZML, SVG heat maps with a coastline,
//!   HTML); [`coastline`]: Natural Earth land outlines shipped with the crate.
//!
//! **Architecture invariant:** no IO except reading a scenario file the caller names; nothing about the
//! transparency log.

pub mod boost;
pub mod builtin;
pub mod coastline;
pub mod compare;
pub mod contour;
pub mod engagement;
pub mod footprint;
pub mod maps;
pub mod params;
pub mod prepared;
pub mod radar;
pub mod reach;
pub mod report;
pub mod scenario;
pub mod study;
pub mod sweep;
pub mod threat_boost;

pub use radar::{Radar, RadarError};
pub use scenario::{Param, Scenario, ScenarioError, Site};
