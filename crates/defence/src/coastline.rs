//! Map backgrounds: Natural Earth 1:110m land polygons and country borders (public domain), as shipped
//! in the npm package `world-atlas` 2.0.2 (`land-110m.json` and `countries-110m.json`, TopoJSON;
//! provenance, checksums and licence in `data/README.md`). Decoded here into rings and lines of
//! `[longitude, latitude]` degrees.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use serde_json::Value;

/// The land TopoJSON text, embedded in the binary.
pub const LAND_110M_TOPOJSON: &str = include_str!("../data/land-110m.json");
/// The countries TopoJSON text, embedded in the binary.
pub const COUNTRIES_110M_TOPOJSON: &str = include_str!("../data/countries-110m.json");

/// A line or closed ring of `[longitude, latitude]`, degrees.
pub type Line = Vec<[f64; 2]>;

/// Land polygons as closed rings, decoded once. An error only if the embedded data is damaged.
pub fn land() -> Result<&'static [Line], String> {
    static LAND: OnceLock<Result<Vec<Line>, String>> = OnceLock::new();
    LAND.get_or_init(|| decode(LAND_110M_TOPOJSON))
        .as_deref()
        .map_err(|e| format!("land-110m.json: {e}"))
}

/// Land borders between countries: every arc of `countries-110m.json` shared by two countries (so
/// coastlines are not drawn twice), decoded once.
pub fn borders() -> Result<&'static [Line], String> {
    static BORDERS: OnceLock<Result<Vec<Line>, String>> = OnceLock::new();
    BORDERS
        .get_or_init(|| decode_shared_arcs(COUNTRIES_110M_TOPOJSON))
        .as_deref()
        .map_err(|e| format!("countries-110m.json: {e}"))
}

/// A quantised TopoJSON topology: its arcs in degrees and its first object's geometries.
struct Topology {
    arcs: Vec<Line>,
    geometries: Vec<Value>,
}

fn topology(text: &str) -> Result<Topology, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let missing = |what: &str| format!("no {what}");
    let tr = v.get("transform").ok_or_else(|| missing("transform"))?;
    let num = |x: &Value, what: &str| x.as_f64().ok_or_else(|| missing(what));
    let scale = [num(&tr["scale"][0], "scale")?, num(&tr["scale"][1], "scale")?];
    let translate = [
        num(&tr["translate"][0], "translate")?,
        num(&tr["translate"][1], "translate")?,
    ];
    let mut arcs = Vec::new();
    for arc in v
        .get("arcs")
        .and_then(Value::as_array)
        .ok_or_else(|| missing("arcs"))?
    {
        let (mut x, mut y) = (0.0, 0.0);
        let mut line = Vec::new();
        for p in arc.as_array().ok_or_else(|| missing("arc points"))? {
            x += num(&p[0], "arc x")?;
            y += num(&p[1], "arc y")?;
            line.push([x * scale[0] + translate[0], y * scale[1] + translate[1]]);
        }
        arcs.push(line);
    }
    let object = v
        .get("objects")
        .and_then(Value::as_object)
        .and_then(|o| o.values().next())
        .ok_or_else(|| missing("object"))?;
    let geometries = match object.get("geometries").and_then(Value::as_array) {
        Some(g) => g.clone(),
        None => vec![object.clone()],
    };
    Ok(Topology { arcs, geometries })
}

/// The polygons of a geometry: each a list of rings, each a list of arc indexes (negative: reversed).
fn polygons(g: &Value) -> Result<Vec<Vec<Vec<i64>>>, String> {
    let ring = |r: &Value| -> Result<Vec<i64>, String> {
        r.as_array()
            .ok_or("ring is not an array")?
            .iter()
            .map(|i| {
                i.as_i64()
                    .ok_or_else(|| "arc index is not an integer".to_string())
            })
            .collect()
    };
    let poly = |p: &Value| -> Result<Vec<Vec<i64>>, String> {
        p.as_array()
            .ok_or("polygon is not an array")?
            .iter()
            .map(ring)
            .collect()
    };
    match g.get("type").and_then(Value::as_str) {
        Some("Polygon") => Ok(vec![poly(g.get("arcs").ok_or("no arcs")?)?]),
        Some("MultiPolygon") => g
            .get("arcs")
            .and_then(Value::as_array)
            .ok_or("no arcs")?
            .iter()
            .map(poly)
            .collect(),
        _ => Ok(vec![]),
    }
}

fn arc_of(i: i64) -> (usize, bool) {
    if i < 0 {
        ((!i) as usize, true)
    } else {
        (i as usize, false)
    }
}

/// Decodes every polygon ring of the first object of a quantised TopoJSON topology.
pub fn decode(text: &str) -> Result<Vec<Line>, String> {
    let t = topology(text)?;
    let mut rings = Vec::new();
    for g in &t.geometries {
        for poly in polygons(g)? {
            for ring in poly {
                let mut out: Line = Vec::new();
                for i in ring {
                    let (k, reversed) = arc_of(i);
                    let arc = t.arcs.get(k).ok_or_else(|| format!("arc {k} out of range"))?;
                    let pts: Box<dyn Iterator<Item = &[f64; 2]>> = if reversed {
                        Box::new(arc.iter().rev())
                    } else {
                        Box::new(arc.iter())
                    };
                    for (n, p) in pts.enumerate() {
                        if n == 0 && !out.is_empty() {
                            continue;
                        }
                        out.push(*p);
                    }
                }
                if out.len() >= 4 {
                    rings.push(out);
                }
            }
        }
    }
    Ok(rings)
}

/// The arcs used by two or more geometries of the first object (borders between countries).
pub fn decode_shared_arcs(text: &str) -> Result<Vec<Line>, String> {
    let t = topology(text)?;
    let mut users = vec![BTreeSet::new(); t.arcs.len()];
    for (gi, g) in t.geometries.iter().enumerate() {
        for poly in polygons(g)? {
            for i in poly.into_iter().flatten() {
                let (k, _) = arc_of(i);
                users
                    .get_mut(k)
                    .ok_or_else(|| format!("arc {k} out of range"))?
                    .insert(gi);
            }
        }
    }
    Ok(t.arcs
        .into_iter()
        .zip(users)
        .filter(|(a, u)| u.len() >= 2 && a.len() >= 2)
        .map(|(a, _)| a)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn land_decodes_to_closed_rings_within_the_globe() {
        let l = land().unwrap();
        assert!(l.len() > 100, "{} rings", l.len());
        for r in l {
            let (a, b) = (r[0], r[r.len() - 1]);
            assert!(
                (a[0] - b[0]).abs() < 1e-9 && (a[1] - b[1]).abs() < 1e-9,
                "ring not closed"
            );
            assert!(
                r.iter()
                    .all(|p| p[0].abs() <= 180.0 + 1e-9 && p[1].abs() <= 90.0 + 1e-9)
            );
        }
        // Some ring contains Berlin (52.5 N, 13.4 E), none contains the mid-Atlantic (30 N, 40 W).
        assert!(l.iter().any(|r| crate::contour::contains(r, [13.4, 52.5])));
        assert!(!l.iter().any(|r| crate::contour::contains(r, [-40.0, 30.0])));
    }

    #[test]
    fn borders_run_between_countries_not_along_coasts() {
        let b = borders().unwrap();
        assert!(b.len() > 200, "{} border arcs", b.len());
        // The Czech–Polish border passes near 50.3 N, 16.3 E; nothing of it lies in the open Atlantic.
        let near = |lon: f64, lat: f64, d: f64| {
            b.iter()
                .flatten()
                .any(|p| (p[0] - lon).abs() < d && (p[1] - lat).abs() < d)
        };
        assert!(near(16.3, 50.3, 0.5));
        assert!(!near(-40.0, 30.0, 5.0));
        // A coastline-only country (Iceland, 65 N 18 W) has no border arc.
        assert!(!near(-18.0, 65.0, 2.0));
        assert!(decode_shared_arcs("{}").is_err());
        assert!(decode("not json").is_err());
    }
}
