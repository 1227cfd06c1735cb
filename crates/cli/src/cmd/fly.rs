//! `shieldwatch fly`: ballistic flight from a burnout state to impact, as JSON Lines
//! (`shared/DESIGN.md` §4).

use std::fmt;
use std::process::ExitCode;

use flight::{BurnoutState, Gravity};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};

use crate::jsonl::scan::{Scan, Scanner, put};
use crate::jsonl::{self, Fast, Fields, Handler, Id, JsonlArgs, Out, fast_fields, num, set, string};

/// Reads burnout states from stdin, answers on stdout; exit status 2 when any line failed.
pub fn run(args: &JsonlArgs) -> anyhow::Result<ExitCode> {
    Ok(jsonl::run_stdio(&Fly, args)?)
}

/// The `fly` command: `{id, lat_deg, lon_deg, alt_m, speed_mps, azimuth_deg, flight_path_angle_deg,
/// gravity}` → `{id, impact_lat_deg, impact_lon_deg, time_of_flight_s, apogee_alt_m, apogee_time_s,
/// ground_range_km, ground_azimuth_deg}`.
pub struct Fly;

/// A `fly` request: the burnout state (not yet validated: the library does it) and the gravity model.
#[derive(Debug, Clone, Copy)]
pub struct FlyRequest {
    burnout: BurnoutState,
    gravity: Gravity,
}

/// The fields of a `fly` line, as the fast path reads them.
#[derive(Debug, Default)]
struct FlyFields {
    gravity: Option<GravityField>,
    lat_deg: Option<f64>,
    lon_deg: Option<f64>,
    alt_m: Option<f64>,
    speed_mps: Option<f64>,
    azimuth_deg: Option<f64>,
    flight_path_angle_deg: Option<f64>,
}

impl<'de> Fields<'de> for FlyFields {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "gravity" => set(&mut self.gravity, map)?,
            "lat_deg" => set(&mut self.lat_deg, map)?,
            "lon_deg" => set(&mut self.lon_deg, map)?,
            "alt_m" => set(&mut self.alt_m, map)?,
            "speed_mps" => set(&mut self.speed_mps, map)?,
            "azimuth_deg" => set(&mut self.azimuth_deg, map)?,
            "flight_path_angle_deg" => set(&mut self.flight_path_angle_deg, map)?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

impl<'a> Scan<'a> for FlyFields {
    const KEYS: &'static [&'static str] = &[
        "lat_deg",
        "lon_deg",
        "alt_m",
        "speed_mps",
        "azimuth_deg",
        "flight_path_angle_deg",
        "gravity",
    ];

    fn scan(&mut self, index: usize, s: &mut Scanner<'a>) -> Option<()> {
        // The arms follow the order of `KEYS`.
        match index {
            0 => put(&mut self.lat_deg, s.f64()),
            1 => put(&mut self.lon_deg, s.f64()),
            2 => put(&mut self.alt_m, s.f64()),
            3 => put(&mut self.speed_mps, s.f64()),
            4 => put(&mut self.azimuth_deg, s.f64()),
            5 => put(&mut self.flight_path_angle_deg, s.f64()),
            6 => put(&mut self.gravity, s.str()?.parse().ok().map(GravityField)),
            _ => None,
        }
    }
}

/// `"point"` or `"j2"` (anything else is left to the general path, which names the problem).
#[derive(Debug)]
struct GravityField(Gravity);

impl<'de> Deserialize<'de> for GravityField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = GravityField;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("\"point\" or \"j2\"")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<GravityField, E> {
                s.parse().map(GravityField).map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

impl Handler for Fly {
    type Request<'a> = FlyRequest;

    fn fast<'a>(&self, line: &'a str) -> Option<(Id<'a>, FlyRequest)> {
        match self.fast_line(line) {
            Fast::Read(id, req) => Some((id, req)),
            Fast::Missing(..) | Fast::Unread => None,
        }
    }

    fn fast_line<'a>(&self, line: &'a str) -> Fast<'a, FlyRequest> {
        let Some((id, f)) = fast_fields::<FlyFields>(line) else {
            return Fast::Unread;
        };
        // Every field present is well formed (else the readers give up): a missing one is named in the
        // order `general` asks for them.
        let req = |x: Option<f64>, key: &'static str| x.ok_or(key);
        let read = || -> Result<FlyRequest, &'static str> {
            Ok(FlyRequest {
                gravity: f.gravity.as_ref().ok_or("gravity")?.0,
                burnout: BurnoutState {
                    lat_deg: req(f.lat_deg, "lat_deg")?,
                    lon_deg: req(f.lon_deg, "lon_deg")?,
                    alt_m: req(f.alt_m, "alt_m")?,
                    speed_mps: req(f.speed_mps, "speed_mps")?,
                    azimuth_deg: req(f.azimuth_deg, "azimuth_deg")?,
                    flight_path_angle_deg: req(f.flight_path_angle_deg, "flight_path_angle_deg")?,
                },
            })
        };
        match read() {
            Ok(r) => Fast::Read(id, r),
            Err(key) => Fast::Missing(id, key),
        }
    }

    fn general(&self, req: &Map<String, Value>) -> Result<FlyRequest, String> {
        let gravity: Gravity = string(req, "gravity")?
            .parse()
            .map_err(|e: flight::Error| format!("field `gravity`: {e}"))?;
        Ok(FlyRequest {
            gravity,
            burnout: BurnoutState {
                lat_deg: num(req, "lat_deg")?,
                lon_deg: num(req, "lon_deg")?,
                alt_m: num(req, "alt_m")?,
                speed_mps: num(req, "speed_mps")?,
                azimuth_deg: num(req, "azimuth_deg")?,
                flight_path_angle_deg: num(req, "flight_path_angle_deg")?,
            },
        })
    }

    fn answer(&self, req: &FlyRequest, out: &mut Out<'_>) -> Result<(), String> {
        let s = flight::fly(&req.burnout, req.gravity).map_err(|e| e.to_string())?;
        out.num("impact_lat_deg", s.impact_lat_deg);
        out.num("impact_lon_deg", s.impact_lon_deg);
        out.num("time_of_flight_s", s.time_of_flight_s);
        out.num("apogee_alt_m", s.apogee_alt_m);
        out.num("apogee_time_s", s.apogee_time_s);
        out.num("ground_range_km", s.ground_range_m / 1e3);
        out.num("ground_azimuth_deg", s.ground_azimuth_deg);
        Ok(())
    }
}

#[cfg(test)]
crate::jsonl::differential_tests!(
    Fly,
    FlyFields,
    150,
    &[
        ("lat_deg", "35.2"),
        ("lon_deg", "53.9"),
        ("alt_m", "150000"),
        ("speed_mps", "6000"),
        ("azimuth_deg", "315"),
        ("flight_path_angle_deg", "30"),
        ("gravity", "\"point\""),
    ]
);

#[cfg(test)]
mod missing_field_tests {
    use super::*;
    use crate::jsonl::differential::assert_missing_fields_named;

    /// A line without one or two fields: the fast path names the one the general path names.
    #[test]
    fn a_missing_field_is_named_as_the_general_path_names_it() {
        // In the order the general path asks for them.
        let fields = [
            ("gravity", "\"point\""),
            ("lat_deg", "35.2"),
            ("lon_deg", "53.9"),
            ("alt_m", "150000"),
            ("speed_mps", "6000"),
            ("azimuth_deg", "315"),
            ("flight_path_angle_deg", "30"),
        ];
        assert_missing_fields_named(&Fly, "", &fields);
    }
}
