//! `shieldwatch geodesy`: WGS84 geodesics, look angles and radar horizon as JSON Lines
//! (`shared/DESIGN.md` §4).

use std::process::ExitCode;

use geodesy::Geodetic;
use serde_json::{Map, Value, json};

use crate::jsonl::{self, Answer, answer, num, string};

/// Reads requests from stdin, answers on stdout; exit status 2 when any line failed.
pub fn run() -> anyhow::Result<ExitCode> {
    Ok(jsonl::run_stdio(handle)?)
}

/// Answers one request object.
pub fn handle(req: &Map<String, Value>) -> Answer {
    match string(req, "kind")? {
        "inverse" => {
            let r = geodesy::inverse(
                num(req, "lat1_deg")?,
                num(req, "lon1_deg")?,
                num(req, "lat2_deg")?,
                num(req, "lon2_deg")?,
            )
            .map_err(|e| e.to_string())?;
            Ok(answer([
                ("distance_m", json!(r.distance_m)),
                ("azi1_deg", json!(r.azi1_deg)),
                ("azi2_deg", json!(r.azi2_deg)),
            ]))
        }
        "direct" => {
            let r = geodesy::direct(
                num(req, "lat1_deg")?,
                num(req, "lon1_deg")?,
                num(req, "azi1_deg")?,
                num(req, "distance_m")?,
            )
            .map_err(|e| e.to_string())?;
            Ok(answer([
                ("lat2_deg", json!(r.lat2_deg)),
                ("lon2_deg", json!(r.lon2_deg)),
                ("azi2_deg", json!(r.azi2_deg)),
            ]))
        }
        "look_angle" => {
            let obs = point(req, "obs_lat_deg", "obs_lon_deg", "obs_h_m")?;
            let tgt = point(req, "tgt_lat_deg", "tgt_lon_deg", "tgt_h_m")?;
            let la = geodesy::look_angle(obs, tgt);
            Ok(answer([
                ("azimuth_deg", json!(la.azimuth_deg)),
                ("elevation_deg", json!(la.elevation_deg)),
                ("slant_range_m", json!(la.slant_range_m)),
            ]))
        }
        "min_visible_alt" => {
            let obs = point(req, "obs_lat_deg", "obs_lon_deg", "obs_h_m")?;
            let h = geodesy::min_visible_alt(
                obs,
                num(req, "min_elevation_deg")?,
                num(req, "tgt_lat_deg")?,
                num(req, "tgt_lon_deg")?,
            )
            .map_err(|e| e.to_string())?;
            Ok(answer([("min_visible_alt_m", json!(h))]))
        }
        other => Err(format!(
            "unknown kind \"{other}\": expected one of inverse, direct, look_angle, min_visible_alt"
        )),
    }
}

fn point(req: &Map<String, Value>, lat: &str, lon: &str, h: &str) -> Result<Geodetic, String> {
    let (lat_v, lon_v, h_v) = (num(req, lat)?, num(req, lon)?, num(req, h)?);
    Geodetic::try_new(lat_v, lon_v, h_v).map_err(|e| {
        // Name the JSON field rather than the library's generic name.
        let msg = e.to_string();
        msg.replacen("latitude", lat, 1)
            .replacen("longitude", lon, 1)
            .replacen("height", h, 1)
    })
}
