//! `shieldwatch lambert`: Lambert's problem (Izzo's method) as JSON Lines (`shared/DESIGN.md` §4).
//!
//! The contract fields `v1_mps`, `v2_mps` hold the zero-revolution solution, which always exists. When
//! `max_revs` > 0 a `solutions` array follows with every solution found, zero-revolution first, then for
//! each N = 1, 2, … the left and right branches: `{revs, branch, v1_mps, v2_mps}`. A `max_revs` for which
//! the time of flight is too short (no N-revolution transfer exists for N = `max_revs`) is an error line
//! that names the largest N that fits.

use std::process::ExitCode;

use geodesy::Vec3;
use serde::de::MapAccess;
use serde_json::{Map, Value};

use crate::jsonl::scan::{Scan, Scanner, put};
use crate::jsonl::{self, Fast, Fields, Handler, Id, JsonlArgs, Out, fast_fields, num, set};

/// Largest `max_revs` accepted (the problem has at most ~tof/period revolutions anyway).
const MAX_REVS_LIMIT: u64 = 1000;

/// Reads Lambert problems from stdin, answers on stdout; exit status 2 when any line failed.
pub fn run(args: &JsonlArgs) -> anyhow::Result<ExitCode> {
    Ok(jsonl::run_stdio(&LambertCmd, args)?)
}

/// The `lambert` command: `{id, r1_m, r2_m, tof_s, mu_m3ps2, prograde, max_revs}` → `{id, v1_mps,
/// v2_mps}` (plus `solutions` when `max_revs` > 0).
pub struct LambertCmd;

/// A Lambert problem as read from a line (`max_revs` not yet checked against its limit).
#[derive(Debug, Clone, Copy)]
pub struct LambertRequest {
    r1: Vec3,
    r2: Vec3,
    tof: f64,
    mu: f64,
    prograde: bool,
    max_revs: u64,
}

/// The fields of a `lambert` line, as the fast path reads them.
#[derive(Debug, Default)]
struct LambertFields {
    r1_m: Option<[f64; 3]>,
    r2_m: Option<[f64; 3]>,
    tof_s: Option<f64>,
    mu_m3ps2: Option<f64>,
    prograde: Option<bool>,
    max_revs: Option<u64>,
}

impl<'de> Fields<'de> for LambertFields {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "r1_m" => set(&mut self.r1_m, map)?,
            "r2_m" => set(&mut self.r2_m, map)?,
            "tof_s" => set(&mut self.tof_s, map)?,
            "mu_m3ps2" => set(&mut self.mu_m3ps2, map)?,
            "prograde" => set(&mut self.prograde, map)?,
            "max_revs" => set(&mut self.max_revs, map)?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

impl<'a> Scan<'a> for LambertFields {
    const KEYS: &'static [&'static str] = &["r1_m", "r2_m", "tof_s", "mu_m3ps2", "prograde", "max_revs"];

    fn scan(&mut self, index: usize, s: &mut Scanner<'a>) -> Option<()> {
        // The arms follow the order of `KEYS`.
        match index {
            0 => put(&mut self.r1_m, s.array3()),
            1 => put(&mut self.r2_m, s.array3()),
            2 => put(&mut self.tof_s, s.f64()),
            3 => put(&mut self.mu_m3ps2, s.f64()),
            4 => put(&mut self.prograde, s.bool()),
            5 => put(&mut self.max_revs, s.u64()),
            _ => None,
        }
    }
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

impl Handler for LambertCmd {
    type Request<'a> = LambertRequest;

    fn fast<'a>(&self, line: &'a str) -> Option<(Id<'a>, LambertRequest)> {
        match self.fast_line(line) {
            Fast::Read(id, req) => Some((id, req)),
            Fast::Missing(..) | Fast::Unread => None,
        }
    }

    fn fast_line<'a>(&self, line: &'a str) -> Fast<'a, LambertRequest> {
        let Some((id, f)) = fast_fields::<LambertFields>(line) else {
            return Fast::Unread;
        };
        // Every field present is well formed (else the readers give up): a missing one is named in the
        // order `general` asks for them.
        let read = || -> Result<LambertRequest, &'static str> {
            Ok(LambertRequest {
                r1: Vec3::from_array(f.r1_m.ok_or("r1_m")?),
                r2: Vec3::from_array(f.r2_m.ok_or("r2_m")?),
                tof: f.tof_s.ok_or("tof_s")?,
                mu: f.mu_m3ps2.ok_or("mu_m3ps2")?,
                prograde: f.prograde.ok_or("prograde")?,
                max_revs: f.max_revs.unwrap_or(0),
            })
        };
        match read() {
            Ok(r) => Fast::Read(id, r),
            Err(key) => Fast::Missing(id, key),
        }
    }

    fn general(&self, req: &Map<String, Value>) -> Result<LambertRequest, String> {
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
            Some(v) => v.as_u64().ok_or_else(max_revs_error)?,
        };
        Ok(LambertRequest {
            r1,
            r2,
            tof,
            mu,
            prograde,
            max_revs,
        })
    }

    fn answer(&self, req: &LambertRequest, out: &mut Out<'_>) -> Result<(), String> {
        if req.max_revs > MAX_REVS_LIMIT {
            return Err(max_revs_error());
        }
        let max_revs = req.max_revs as u32;
        let tof = req.tof;
        let sol = flight::lambert(req.r1, req.r2, tof, req.mu, req.prograde, max_revs)
            .map_err(|e| e.to_string())?;
        if sol.max_revs_found < max_revs {
            return Err(format!(
                "max_revs = {max_revs} is too high for this time of flight: tof_s = {tof} allows at most \
                 {} complete revolution(s) from r1_m to r2_m",
                sol.max_revs_found
            ));
        }
        let first = sol.solutions.first().ok_or_else(|| "no solution".to_string())?;
        out.vec3("v1_mps", first.v1_mps.to_array());
        out.vec3("v2_mps", first.v2_mps.to_array());
        if max_revs > 0 {
            out.key("solutions");
            out.raw(b"[");
            for (i, s) in sol.solutions.iter().enumerate() {
                out.raw(if i == 0 { b"{\"revs\":" } else { b",{\"revs\":" });
                out.u64(u64::from(s.revs));
                out.raw(b",\"branch\":");
                out.plain_str(s.branch.name());
                out.vec3("v1_mps", s.v1_mps.to_array());
                out.vec3("v2_mps", s.v2_mps.to_array());
                out.raw(b"}");
            }
            out.raw(b"]");
        }
        Ok(())
    }
}

fn max_revs_error() -> String {
    format!("field `max_revs` must be an integer in [0, {MAX_REVS_LIMIT}]")
}

#[cfg(test)]
crate::jsonl::differential_tests!(
    LambertCmd,
    LambertFields,
    200,
    &[
        ("r1_m", "[7000000,0,0]"),
        ("r2_m", "[0,7100000.5,10]"),
        ("tof_s", "3000"),
        ("mu_m3ps2", "398600441800000"),
        ("prograde", "true"),
        ("max_revs", "0"),
    ]
);

#[cfg(test)]
mod missing_field_tests {
    use super::*;
    use crate::jsonl::differential::assert_missing_fields_named;

    /// A line without one or two fields: the fast path names the one the general path names.
    #[test]
    fn a_missing_field_is_named_as_the_general_path_names_it() {
        // In the order the general path asks for them (`max_revs` may be left out).
        let fields = [
            ("r1_m", "[6778137.0,0.0,0.0]"),
            ("r2_m", "[0.0,7178137.0,0.0]"),
            ("tof_s", "1500"),
            ("mu_m3ps2", "398600441800000.0"),
            ("prograde", "true"),
        ];
        assert_missing_fields_named(&LambertCmd, "\"max_revs\":0,", &fields);
        assert_missing_fields_named(&LambertCmd, "", &fields);
    }
}
