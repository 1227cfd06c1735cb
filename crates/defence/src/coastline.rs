//! Land outlines for map backgrounds: Natural Earth 1:110m land polygons (public domain), as shipped in
//! the npm package `world-atlas` 2.0.2 (`land-110m.json`, TopoJSON; provenance and licence in
//! `data/README.md`). Decoded here into rings of `[longitude, latitude]` degrees.

use std::sync::OnceLock;

/// The TopoJSON text, embedded in the binary.
pub const LAND_110M_TOPOJSON: &str = include_str!("../data/land-110m.json");

/// Land polygons as closed rings of `[longitude, latitude]` (degrees), decoded once.
pub fn land() -> &'static [Vec<[f64; 2]>] {
    static LAND: OnceLock<Vec<Vec<[f64; 2]>>> = OnceLock::new();
    LAND.get_or_init(|| decode(LAND_110M_TOPOJSON).unwrap_or_default())
}

/// Decodes every polygon ring of the first object of a quantised TopoJSON topology.
pub fn decode(text: &str) -> Option<Vec<Vec<[f64; 2]>>> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    let tr = v.get("transform")?;
    let num = |x: &serde_json::Value| x.as_f64();
    let scale = [num(&tr["scale"][0])?, num(&tr["scale"][1])?];
    let translate = [num(&tr["translate"][0])?, num(&tr["translate"][1])?];
    let arcs: Vec<Vec<[f64; 2]>> = v
        .get("arcs")?
        .as_array()?
        .iter()
        .map(|arc| {
            let (mut x, mut y) = (0.0, 0.0);
            arc.as_array()
                .map(|pts| {
                    pts.iter()
                        .filter_map(|p| {
                            x += p.get(0)?.as_f64()?;
                            y += p.get(1)?.as_f64()?;
                            Some([x * scale[0] + translate[0], y * scale[1] + translate[1]])
                        })
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect();
    let object = v.get("objects")?.as_object()?.values().next()?;
    let mut rings = Vec::new();
    let geometries = object
        .get("geometries")
        .and_then(|g| g.as_array())
        .cloned()
        .unwrap_or_else(|| vec![object.clone()]);
    for g in &geometries {
        let polys: Vec<&serde_json::Value> = match g.get("type").and_then(|t| t.as_str()) {
            Some("Polygon") => vec![g.get("arcs")?],
            Some("MultiPolygon") => g.get("arcs")?.as_array()?.iter().collect(),
            _ => continue,
        };
        for poly in polys {
            for ring in poly.as_array()? {
                let mut out: Vec<[f64; 2]> = Vec::new();
                for idx in ring.as_array()? {
                    let i = idx.as_i64()?;
                    let (k, reversed) = if i < 0 {
                        ((!i) as usize, true)
                    } else {
                        (i as usize, false)
                    };
                    let arc = arcs.get(k)?;
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
    Some(rings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn land_decodes_to_closed_rings_within_the_globe() {
        let l = land();
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
}
