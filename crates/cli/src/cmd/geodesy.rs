//! `shieldwatch geodesy`: WGS84 geodesics, look angles and radar horizon as JSON Lines
//! (`shared/DESIGN.md` §4).

use std::fmt;
use std::process::ExitCode;

use geodesy::Geodetic;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};

use crate::jsonl::scan::{Scan, Scanner, put};
use crate::jsonl::{self, Fast, Fields, Handler, Id, JsonlArgs, Out, fast_fields, num, set, string};

/// Reads requests from stdin, answers on stdout; exit status 2 when any line failed.
pub fn run(args: &JsonlArgs) -> anyhow::Result<ExitCode> {
    Ok(jsonl::run_stdio(&GeodesyCmd, args)?)
}

/// The `geodesy` command: one of four kinds of request per line.
pub struct GeodesyCmd;

/// A `geodesy` request, its fields read (points checked as far as reading goes).
#[derive(Debug, Clone, Copy)]
pub enum GeodesyRequest {
    /// The geodesic between two points.
    Inverse {
        lat1: f64,
        lon1: f64,
        lat2: f64,
        lon2: f64,
    },
    /// Where a geodesic from a point along an azimuth ends.
    Direct {
        lat1: f64,
        lon1: f64,
        azi1: f64,
        distance: f64,
    },
    /// Azimuth, elevation and range from an observer to a target.
    LookAngle { obs: Geodetic, tgt: Geodetic },
    /// The lowest height the observer sees above a ground point.
    MinVisibleAlt {
        obs: Geodetic,
        min_elevation: f64,
        tgt_lat: f64,
        tgt_lon: f64,
    },
}

/// The `kind` of a line.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Inverse,
    Direct,
    LookAngle,
    MinVisibleAlt,
}

impl Kind {
    /// The kind named `s`.
    fn from_name(s: &str) -> Option<Kind> {
        match s {
            "inverse" => Some(Kind::Inverse),
            "direct" => Some(Kind::Direct),
            "look_angle" => Some(Kind::LookAngle),
            "min_visible_alt" => Some(Kind::MinVisibleAlt),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Kind;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a kind")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Kind, E> {
                Kind::from_name(s).ok_or_else(|| E::custom("unknown kind"))
            }
        }
        d.deserialize_str(V)
    }
}

/// Every field a `geodesy` line may hold, as the fast path reads them.
#[derive(Debug, Default)]
struct GeodesyFields {
    kind: Option<Kind>,
    lat1_deg: Option<f64>,
    lon1_deg: Option<f64>,
    lat2_deg: Option<f64>,
    lon2_deg: Option<f64>,
    azi1_deg: Option<f64>,
    distance_m: Option<f64>,
    obs_lat_deg: Option<f64>,
    obs_lon_deg: Option<f64>,
    obs_h_m: Option<f64>,
    tgt_lat_deg: Option<f64>,
    tgt_lon_deg: Option<f64>,
    tgt_h_m: Option<f64>,
    min_elevation_deg: Option<f64>,
}

impl<'de> Fields<'de> for GeodesyFields {
    fn field<A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
        match key {
            "kind" => set(&mut self.kind, map)?,
            "lat1_deg" => set(&mut self.lat1_deg, map)?,
            "lon1_deg" => set(&mut self.lon1_deg, map)?,
            "lat2_deg" => set(&mut self.lat2_deg, map)?,
            "lon2_deg" => set(&mut self.lon2_deg, map)?,
            "azi1_deg" => set(&mut self.azi1_deg, map)?,
            "distance_m" => set(&mut self.distance_m, map)?,
            "obs_lat_deg" => set(&mut self.obs_lat_deg, map)?,
            "obs_lon_deg" => set(&mut self.obs_lon_deg, map)?,
            "obs_h_m" => set(&mut self.obs_h_m, map)?,
            "tgt_lat_deg" => set(&mut self.tgt_lat_deg, map)?,
            "tgt_lon_deg" => set(&mut self.tgt_lon_deg, map)?,
            "tgt_h_m" => set(&mut self.tgt_h_m, map)?,
            "min_elevation_deg" => set(&mut self.min_elevation_deg, map)?,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

impl<'a> Scan<'a> for GeodesyFields {
    const KEYS: &'static [&'static str] = &[
        "kind",
        "lat1_deg",
        "lon1_deg",
        "lat2_deg",
        "lon2_deg",
        "azi1_deg",
        "distance_m",
        "obs_lat_deg",
        "obs_lon_deg",
        "obs_h_m",
        "tgt_lat_deg",
        "tgt_lon_deg",
        "tgt_h_m",
        "min_elevation_deg",
    ];

    fn scan(&mut self, index: usize, s: &mut Scanner<'a>) -> Option<()> {
        // The arms follow the order of `KEYS`.
        match index {
            0 => put(&mut self.kind, s.str().and_then(Kind::from_name)),
            1 => put(&mut self.lat1_deg, s.f64()),
            2 => put(&mut self.lon1_deg, s.f64()),
            3 => put(&mut self.lat2_deg, s.f64()),
            4 => put(&mut self.lon2_deg, s.f64()),
            5 => put(&mut self.azi1_deg, s.f64()),
            6 => put(&mut self.distance_m, s.f64()),
            7 => put(&mut self.obs_lat_deg, s.f64()),
            8 => put(&mut self.obs_lon_deg, s.f64()),
            9 => put(&mut self.obs_h_m, s.f64()),
            10 => put(&mut self.tgt_lat_deg, s.f64()),
            11 => put(&mut self.tgt_lon_deg, s.f64()),
            12 => put(&mut self.tgt_h_m, s.f64()),
            13 => put(&mut self.min_elevation_deg, s.f64()),
            _ => None,
        }
    }
}

/// A point from its three fields, checked; the error names the JSON field rather than the library's
/// generic name.
fn point(lat: (f64, &str), lon: (f64, &str), h: (f64, &str)) -> Result<Geodetic, String> {
    Geodetic::try_new(lat.0, lon.0, h.0).map_err(|e| {
        let msg = e.to_string();
        msg.replacen("latitude", lat.1, 1)
            .replacen("longitude", lon.1, 1)
            .replacen("height", h.1, 1)
    })
}

const OBS: [&str; 3] = ["obs_lat_deg", "obs_lon_deg", "obs_h_m"];
const TGT: [&str; 3] = ["tgt_lat_deg", "tgt_lon_deg", "tgt_h_m"];

impl Handler for GeodesyCmd {
    type Request<'a> = GeodesyRequest;

    fn fast<'a>(&self, line: &'a str) -> Option<(Id<'a>, GeodesyRequest)> {
        match self.fast_line(line) {
            Fast::Read(id, req) => Some((id, req)),
            Fast::Missing(..) | Fast::Unread => None,
        }
    }

    fn fast_line<'a>(&self, line: &'a str) -> Fast<'a, GeodesyRequest> {
        let Some((id, f)) = fast_fields::<GeodesyFields>(line) else {
            return Fast::Unread;
        };
        /// Why the fast path does not answer: a field missing (named as `general` names the first one
        /// it asks for), or a point that fails its checks (left to the general path, which reports it).
        enum Not {
            Missing(&'static str),
            Unread,
        }
        let req = |x: Option<f64>, key: &'static str| x.ok_or(Not::Missing(key));
        let pt = |lat: Option<f64>, lon: Option<f64>, h: Option<f64>, names: [&'static str; 3]| {
            let (lat, lon, h) = (req(lat, names[0])?, req(lon, names[1])?, req(h, names[2])?);
            point((lat, names[0]), (lon, names[1]), (h, names[2])).map_err(|_| Not::Unread)
        };
        let read = || -> Result<GeodesyRequest, Not> {
            Ok(match f.kind.ok_or(Not::Missing("kind"))? {
                Kind::Inverse => GeodesyRequest::Inverse {
                    lat1: req(f.lat1_deg, "lat1_deg")?,
                    lon1: req(f.lon1_deg, "lon1_deg")?,
                    lat2: req(f.lat2_deg, "lat2_deg")?,
                    lon2: req(f.lon2_deg, "lon2_deg")?,
                },
                Kind::Direct => GeodesyRequest::Direct {
                    lat1: req(f.lat1_deg, "lat1_deg")?,
                    lon1: req(f.lon1_deg, "lon1_deg")?,
                    azi1: req(f.azi1_deg, "azi1_deg")?,
                    distance: req(f.distance_m, "distance_m")?,
                },
                Kind::LookAngle => GeodesyRequest::LookAngle {
                    obs: pt(f.obs_lat_deg, f.obs_lon_deg, f.obs_h_m, OBS)?,
                    tgt: pt(f.tgt_lat_deg, f.tgt_lon_deg, f.tgt_h_m, TGT)?,
                },
                Kind::MinVisibleAlt => GeodesyRequest::MinVisibleAlt {
                    obs: pt(f.obs_lat_deg, f.obs_lon_deg, f.obs_h_m, OBS)?,
                    min_elevation: req(f.min_elevation_deg, "min_elevation_deg")?,
                    tgt_lat: req(f.tgt_lat_deg, "tgt_lat_deg")?,
                    tgt_lon: req(f.tgt_lon_deg, "tgt_lon_deg")?,
                },
            })
        };
        match read() {
            Ok(r) => Fast::Read(id, r),
            Err(Not::Missing(key)) => Fast::Missing(id, key),
            Err(Not::Unread) => Fast::Unread,
        }
    }

    fn general(&self, req: &Map<String, Value>) -> Result<GeodesyRequest, String> {
        let field = |names: [&str; 3]| -> Result<Geodetic, String> {
            let (lat, lon, h) = (num(req, names[0])?, num(req, names[1])?, num(req, names[2])?);
            point((lat, names[0]), (lon, names[1]), (h, names[2]))
        };
        Ok(match string(req, "kind")? {
            "inverse" => GeodesyRequest::Inverse {
                lat1: num(req, "lat1_deg")?,
                lon1: num(req, "lon1_deg")?,
                lat2: num(req, "lat2_deg")?,
                lon2: num(req, "lon2_deg")?,
            },
            "direct" => GeodesyRequest::Direct {
                lat1: num(req, "lat1_deg")?,
                lon1: num(req, "lon1_deg")?,
                azi1: num(req, "azi1_deg")?,
                distance: num(req, "distance_m")?,
            },
            "look_angle" => GeodesyRequest::LookAngle {
                obs: field(OBS)?,
                tgt: field(TGT)?,
            },
            "min_visible_alt" => GeodesyRequest::MinVisibleAlt {
                obs: field(OBS)?,
                min_elevation: num(req, "min_elevation_deg")?,
                tgt_lat: num(req, "tgt_lat_deg")?,
                tgt_lon: num(req, "tgt_lon_deg")?,
            },
            other => {
                return Err(format!(
                    "unknown kind \"{other}\": expected one of inverse, direct, look_angle, min_visible_alt"
                ));
            }
        })
    }

    fn answer(&self, req: &GeodesyRequest, out: &mut Out<'_>) -> Result<(), String> {
        match *req {
            GeodesyRequest::Inverse {
                lat1,
                lon1,
                lat2,
                lon2,
            } => {
                let r = geodesy::inverse(lat1, lon1, lat2, lon2).map_err(|e| e.to_string())?;
                out.num("distance_m", r.distance_m);
                out.num("azi1_deg", r.azi1_deg);
                out.num("azi2_deg", r.azi2_deg);
            }
            GeodesyRequest::Direct {
                lat1,
                lon1,
                azi1,
                distance,
            } => {
                let r = geodesy::direct(lat1, lon1, azi1, distance).map_err(|e| e.to_string())?;
                out.num("lat2_deg", r.lat2_deg);
                out.num("lon2_deg", r.lon2_deg);
                out.num("azi2_deg", r.azi2_deg);
            }
            GeodesyRequest::LookAngle { obs, tgt } => {
                let la = geodesy::look_angle(obs, tgt);
                out.opt_num("azimuth_deg", la.azimuth_deg);
                out.num("elevation_deg", la.elevation_deg);
                out.num("slant_range_m", la.slant_range_m);
            }
            GeodesyRequest::MinVisibleAlt {
                obs,
                min_elevation,
                tgt_lat,
                tgt_lon,
            } => {
                let h = geodesy::min_visible_alt(obs, min_elevation, tgt_lat, tgt_lon)
                    .map_err(|e| e.to_string())?;
                out.opt_num("min_visible_alt_m", h);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
crate::jsonl::differential_tests!(
    GeodesyCmd,
    GeodesyFields,
    200,
    &[
        ("kind", "\"inverse\""),
        ("lat1_deg", "10"),
        ("lon1_deg", "20"),
        ("lat2_deg", "-30.5"),
        ("lon2_deg", "100"),
        ("azi1_deg", "45"),
        ("distance_m", "1e6"),
        ("obs_lat_deg", "49.7"),
        ("obs_lon_deg", "13.8"),
        ("obs_h_m", "700"),
        ("tgt_lat_deg", "35.7"),
        ("tgt_lon_deg", "51.4"),
        ("tgt_h_m", "100000"),
        ("min_elevation_deg", "1"),
    ]
);

#[cfg(test)]
mod missing_field_tests {
    use super::*;
    use crate::jsonl::differential::assert_missing_fields_named;

    /// A line without one or two fields, for every kind: the fast path names the one the general path
    /// names (a point out of range before a missing field is left to the general path, which names it).
    #[test]
    fn a_missing_field_is_named_as_the_general_path_names_it() {
        let obs = [
            ("obs_lat_deg", "49.7"),
            ("obs_lon_deg", "13.8"),
            ("obs_h_m", "700"),
        ];
        let cases: [(&str, Vec<(&str, &str)>); 4] = [
            (
                "inverse",
                vec![
                    ("lat1_deg", "10"),
                    ("lon1_deg", "20"),
                    ("lat2_deg", "-30"),
                    ("lon2_deg", "40"),
                ],
            ),
            (
                "direct",
                vec![
                    ("lat1_deg", "10"),
                    ("lon1_deg", "20"),
                    ("azi1_deg", "45"),
                    ("distance_m", "1e6"),
                ],
            ),
            (
                "look_angle",
                [
                    &obs[..],
                    &[
                        ("tgt_lat_deg", "35.7"),
                        ("tgt_lon_deg", "51.4"),
                        ("tgt_h_m", "1e5"),
                    ],
                ]
                .concat(),
            ),
            (
                "min_visible_alt",
                [
                    &obs[..],
                    &[
                        ("min_elevation_deg", "1"),
                        ("tgt_lat_deg", "35.7"),
                        ("tgt_lon_deg", "51.4"),
                    ],
                ]
                .concat(),
            ),
        ];
        for (kind, fields) in &cases {
            assert_missing_fields_named(&GeodesyCmd, &format!("\"kind\":\"{kind}\","), fields);
            // Without `kind`, that is the field named.
            let kind_value = format!("\"{kind}\"");
            let all = [("kind", kind_value.as_str()), fields[0]];
            assert_missing_fields_named(&GeodesyCmd, "", &all);
        }
        // An observer out of range with a target field missing: the general path names the range.
        let line = r#"{"id":1,"kind":"look_angle","obs_lat_deg":91,"obs_lon_deg":13.8,"obs_h_m":700,"tgt_lat_deg":35.7,"tgt_lon_deg":51.4}"#;
        assert!(matches!(GeodesyCmd.fast_line(line), Fast::Unread));
        crate::jsonl::differential::assert_paths_agree(&GeodesyCmd, line);
    }
}
