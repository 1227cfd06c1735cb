//! `shieldwatch fly`: ballistic flight from a burnout state to impact, as JSON Lines
//! (`shared/DESIGN.md` §4).

use std::process::ExitCode;

use flight::{BurnoutState, Gravity};
use serde_json::{Map, Value, json};

use crate::jsonl::{self, Answer, answer, num, string};

/// Reads burnout states from stdin, answers on stdout; exit status 2 when any line failed.
pub fn run() -> anyhow::Result<ExitCode> {
    Ok(jsonl::run_stdio(handle)?)
}

/// Answers one request: `{id, lat_deg, lon_deg, alt_m, speed_mps, azimuth_deg, flight_path_angle_deg,
/// gravity}` → `{id, impact_lat_deg, impact_lon_deg, time_of_flight_s, apogee_alt_m, apogee_time_s,
/// ground_range_km, ground_azimuth_deg}`.
pub fn handle(req: &Map<String, Value>) -> Answer {
    let gravity: Gravity = string(req, "gravity")?
        .parse()
        .map_err(|e: flight::Error| format!("field `gravity`: {e}"))?;
    let b = BurnoutState {
        lat_deg: num(req, "lat_deg")?,
        lon_deg: num(req, "lon_deg")?,
        alt_m: num(req, "alt_m")?,
        speed_mps: num(req, "speed_mps")?,
        azimuth_deg: num(req, "azimuth_deg")?,
        flight_path_angle_deg: num(req, "flight_path_angle_deg")?,
    };
    let s = flight::propagate(&b, gravity)
        .map_err(|e| e.to_string())?
        .summary();
    Ok(answer([
        ("impact_lat_deg", json!(s.impact_lat_deg)),
        ("impact_lon_deg", json!(s.impact_lon_deg)),
        ("time_of_flight_s", json!(s.time_of_flight_s)),
        ("apogee_alt_m", json!(s.apogee_alt_m)),
        ("apogee_time_s", json!(s.apogee_time_s)),
        ("ground_range_km", json!(s.ground_range_m / 1e3)),
        ("ground_azimuth_deg", json!(s.ground_azimuth_deg)),
    ]))
}
