//! `shieldwatch lambert`: Lambert's problem (Izzo's method) as JSON Lines (`shared/DESIGN.md` §4).
//!
//! The contract fields `v1_mps`, `v2_mps` hold the zero-revolution solution, which always exists. When
//! `max_revs` > 0 a `solutions` array follows with every solution found, zero-revolution first, then for
//! each N = 1, 2, … the left and right branches: `{revs, branch, v1_mps, v2_mps}`. A `max_revs` for which
//! the time of flight is too short (no N-revolution transfer exists for N = `max_revs`) is an error line
//! that names the largest N that fits.

use std::process::ExitCode;

use geodesy::Vec3;
use serde_json::{Map, Value, json};

use crate::jsonl::{self, Answer, answer, num};

/// Largest `max_revs` accepted (the problem has at most ~tof/period revolutions anyway).
const MAX_REVS_LIMIT: u64 = 1000;

/// Reads Lambert problems from stdin, answers on stdout; exit status 2 when any line failed.
pub fn run() -> anyhow::Result<ExitCode> {
    Ok(jsonl::run_stdio(handle)?)
}

fn vec3(req: &Map<String, Value>, key: &str) -> Result<Vec3, String> {
    let arr = match req.get(key) {
        None => return Err(format!("missing field `{key}`")),
        Some(Value::Array(a)) if a.len() == 3 => a,
        Some(_) => return Err(format!("field `{key}` must be an array of 3 numbers")),
    };
    let mut out = [0.0; 3];
    for (o, v) in out.iter_mut().zip(arr) {
        *o = v
            .as_f64()
            .filter(|x| x.is_finite())
            .ok_or_else(|| format!("field `{key}` must be an array of 3 finite numbers"))?;
    }
    Ok(Vec3::from_array(out))
}

/// Answers one request: `{id, r1_m, r2_m, tof_s, mu_m3ps2, prograde, max_revs}` → `{id, v1_mps, v2_mps}`
/// (plus `solutions` when `max_revs` > 0).
pub fn handle(req: &Map<String, Value>) -> Answer {
    let r1 = vec3(req, "r1_m")?;
    let r2 = vec3(req, "r2_m")?;
    let tof = num(req, "tof_s")?;
    let mu = num(req, "mu_m3ps2")?;
    let prograde = match req.get("prograde") {
        None => return Err("missing field `prograde`".to_string()),
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err("field `prograde` must be true or false".to_string()),
    };
    let max_revs = match req.get("max_revs") {
        None => 0,
        Some(v) => match v.as_u64() {
            Some(n) if n <= MAX_REVS_LIMIT => n as u32,
            _ => {
                return Err(format!(
                    "field `max_revs` must be an integer in [0, {MAX_REVS_LIMIT}]"
                ));
            }
        },
    };
    let sol = flight::lambert(r1, r2, tof, mu, prograde, max_revs).map_err(|e| e.to_string())?;
    if sol.max_revs_found < max_revs {
        return Err(format!(
            "max_revs = {max_revs} is too high for this time of flight: tof_s = {tof} allows at most \
             {} complete revolution(s) from r1_m to r2_m",
            sol.max_revs_found
        ));
    }
    let first = sol.solutions.first().ok_or_else(|| "no solution".to_string())?;
    let mut out = answer([
        ("v1_mps", json!(first.v1_mps.to_array())),
        ("v2_mps", json!(first.v2_mps.to_array())),
    ]);
    if max_revs > 0 {
        let all: Vec<Value> = sol
            .solutions
            .iter()
            .map(|s| {
                json!({
                    "revs": s.revs,
                    "branch": s.branch.name(),
                    "v1_mps": s.v1_mps.to_array(),
                    "v2_mps": s.v2_mps.to_array(),
                })
            })
            .collect();
        out.insert("solutions".into(), Value::Array(all));
    }
    Ok(out)
}
