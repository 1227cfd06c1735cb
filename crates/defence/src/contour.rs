//! Polygons from a footprint grid: marching squares on a margin field.
//!
//! For an engagement map at burnout speed v the margin at a grid point is `v − crossover speed` (m/s;
//! strongly negative where nothing engages); for a radar coverage map at altitude h it is
//! `h − lowest visible altitude` (m). The region where the margin is positive is traced with marching
//! squares, the crossing on each grid edge placed by linear interpolation, saddles decided by the mean of
//! the four corners. The grid is padded with an outside border so every ring closes (rings are clipped
//! to the grid's bounds). Rings are oriented counter-clockwise around the inside in (longitude,
//! latitude), so outer rings have positive area and holes negative; each hole is attached to the
//! smallest outer ring that contains it. Coordinates are degrees: `[longitude, latitude]`, as GeoJSON.

use std::collections::HashMap;

use serde::Serialize;

use crate::footprint::{Cell, Grid, MapKind};

/// Margin standing for "nothing here", in the field's unit.
const OUTSIDE: f64 = -1.0e7;

/// The region above one level.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Contour {
    /// Burnout speed (m/s) or altitude (m) of the level.
    pub level: f64,
    /// Polygons: each a list of rings (the outer ring first, then holes), each ring a closed list of
    /// `[longitude, latitude]` points in degrees.
    pub polygons: Vec<Vec<Vec<[f64; 2]>>>,
    /// Fraction of grid points inside.
    pub fraction_inside: f64,
}

/// The margin of one cell at `level`.
pub fn margin(cell: &Cell, kind: MapKind, level: f64) -> f64 {
    let m = match kind {
        MapKind::RadarCoverage => cell.min_visible_alt_m.map(|h| level - h),
        _ => cell.crossover_speed_mps.map(|c| level - c),
    };
    m.map_or(OUTSIDE, |x| x.max(OUTSIDE))
}

/// Traces the region where [`margin`] is positive.
pub fn contour(grid: &Grid, cells: &[Cell], kind: MapKind, level: f64) -> Contour {
    let (ni, nj) = (grid.n_lat(), grid.n_lon());
    let field: Vec<f64> = cells.iter().map(|c| margin(c, kind, level)).collect();
    let inside = field.iter().filter(|m| **m > 0.0).count();
    let rings = trace(ni, nj, &field, |i, j| [grid.lon(j), grid.lat(i)]);
    Contour {
        level,
        polygons: nest(rings),
        fraction_inside: if field.is_empty() {
            0.0
        } else {
            inside as f64 / field.len() as f64
        },
    }
}

/// Edge key: (row, column, vertical?) in padded coordinates; a horizontal edge joins (i, j)–(i, j+1),
/// a vertical one (i, j)–(i+1, j).
type Key = (usize, usize, bool);

/// Marching squares over an `ni` × `nj` row-major field; `at(i, j)` gives a node's [x, y]. Returns closed
/// rings, inside on the left.
pub fn trace(
    ni: usize,
    nj: usize,
    field: &[f64],
    at: impl Fn(usize, usize) -> [f64; 2],
) -> Vec<Vec<[f64; 2]>> {
    // Padded field: indices shifted by one, border outside.
    let (pi, pj) = (ni + 2, nj + 2);
    let val = |i: usize, j: usize| -> f64 {
        if i == 0 || j == 0 || i > ni || j > nj {
            OUTSIDE
        } else {
            field[(i - 1) * nj + (j - 1)]
        }
    };
    let real = |i: usize, j: usize| i >= 1 && j >= 1 && i <= ni && j <= nj;
    let point = |k: Key| -> [f64; 2] {
        let (i, j, vertical) = k;
        let (i2, j2) = if vertical { (i + 1, j) } else { (i, j + 1) };
        let (a, b) = (val(i, j), val(i2, j2));
        match (real(i, j), real(i2, j2)) {
            (true, true) => {
                let t = (a / (a - b)).clamp(0.0, 1.0);
                let (p, q) = (at(i - 1, j - 1), at(i2 - 1, j2 - 1));
                [p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])]
            }
            (true, false) => at(i - 1, j - 1),
            (false, true) => at(i2 - 1, j2 - 1),
            (false, false) => [f64::NAN, f64::NAN],
        }
    };
    let mut next: HashMap<Key, Key> = HashMap::new();
    for i in 0..pi - 1 {
        for j in 0..pj - 1 {
            // Corners counter-clockwise in (x = column, y = row): c0 (i, j), c1 (i, j+1), c2 (i+1, j+1),
            // c3 (i+1, j). Edges between them, in the same order.
            let v = [val(i, j), val(i, j + 1), val(i + 1, j + 1), val(i + 1, j)];
            let ins = v.map(|x| x > 0.0);
            let count = ins.iter().filter(|b| **b).count();
            if count == 0 || count == 4 {
                continue;
            }
            let edges: [Key; 4] = [(i, j, false), (i, j + 1, true), (i + 1, j, false), (i, j, true)];
            // Crossings going round: edge e lies between corner e and corner e+1.
            let mut out_x = Vec::new(); // in → out
            let mut in_x = Vec::new(); // out → in
            for e in 0..4 {
                let (a, b) = (ins[e], ins[(e + 1) % 4]);
                if a && !b {
                    out_x.push(e);
                } else if !a && b {
                    in_x.push(e);
                }
            }
            let centre_inside = v.iter().sum::<f64>() / 4.0 > 0.0;
            for &eo in &out_x {
                // Pair with the next out→in crossing going round, or the previous one for a saddle
                // whose centre is outside.
                let pick_next = out_x.len() == 1 || centre_inside;
                let ei = if pick_next {
                    (1..4).map(|d| (eo + d) % 4).find(|e| in_x.contains(e))
                } else {
                    (1..4).map(|d| (eo + 4 - d) % 4).find(|e| in_x.contains(e))
                };
                if let Some(ei) = ei {
                    next.insert(edges[eo], edges[ei]);
                }
            }
        }
    }
    let mut rings = Vec::new();
    let mut keys: Vec<Key> = next.keys().copied().collect();
    keys.sort_unstable();
    for start in keys {
        if !next.contains_key(&start) {
            continue;
        }
        let mut ring = Vec::new();
        let mut k = start;
        while let Some(n) = next.remove(&k) {
            let p = point(k);
            if ring.last() != Some(&p) {
                ring.push(p);
            }
            k = n;
            if k == start {
                break;
            }
        }
        if ring.len() >= 3 {
            ring.push(ring[0]);
            rings.push(ring);
        }
    }
    rings
}

/// Signed area (positive counter-clockwise) of a closed ring.
pub fn signed_area(ring: &[[f64; 2]]) -> f64 {
    ring.windows(2)
        .map(|w| w[0][0] * w[1][1] - w[1][0] * w[0][1])
        .sum::<f64>()
        / 2.0
}

/// Whether `p` lies inside the closed ring (even-odd rule).
pub fn contains(ring: &[[f64; 2]], p: [f64; 2]) -> bool {
    let mut inside = false;
    for w in ring.windows(2) {
        let (a, b) = (w[0], w[1]);
        if (a[1] > p[1]) != (b[1] > p[1]) {
            let x = a[0] + (p[1] - a[1]) / (b[1] - a[1]) * (b[0] - a[0]);
            if p[0] < x {
                inside = !inside;
            }
        }
    }
    inside
}

fn nest(rings: Vec<Vec<[f64; 2]>>) -> Vec<Vec<Vec<[f64; 2]>>> {
    let (outer, holes): (Vec<_>, Vec<_>) = rings.into_iter().partition(|r| signed_area(r) > 0.0);
    let mut polys: Vec<Vec<Vec<[f64; 2]>>> = outer.into_iter().map(|r| vec![r]).collect();
    for h in holes {
        let probe = h[0];
        let owner = polys
            .iter_mut()
            .filter(|p| contains(&p[0], probe))
            .min_by(|a, b| signed_area(&a[0]).total_cmp(&signed_area(&b[0])));
        if let Some(p) = owner {
            p.push(h);
        }
    }
    polys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_disc_gives_one_counter_clockwise_ring_and_a_ring_with_a_hole_nests() {
        let n = 21;
        let f: Vec<f64> = (0..n * n)
            .map(|k| {
                let (i, j) = ((k / n) as f64 - 10.0, (k % n) as f64 - 10.0);
                25.0 - (i * i + j * j)
            })
            .collect();
        let rings = trace(n, n, &f, |i, j| [j as f64, i as f64]);
        assert_eq!(rings.len(), 1);
        let a = signed_area(&rings[0]);
        assert!((a - std::f64::consts::PI * 25.0).abs() < 3.0, "{a}");
        // An annulus: 4 < r² < 49.
        let g: Vec<f64> = (0..n * n)
            .map(|k| {
                let (i, j) = ((k / n) as f64 - 10.0, (k % n) as f64 - 10.0);
                let r2 = i * i + j * j;
                (r2 - 4.0).min(49.0 - r2)
            })
            .collect();
        let polys = nest(trace(n, n, &g, |i, j| [j as f64, i as f64]));
        assert_eq!(polys.len(), 1);
        assert_eq!(polys[0].len(), 2, "outer ring and one hole");
    }

    #[test]
    fn regions_touching_the_border_close_on_it() {
        let f = vec![1.0; 9];
        let rings = trace(3, 3, &f, |i, j| [j as f64, i as f64]);
        assert_eq!(rings.len(), 1);
        assert!((signed_area(&rings[0]) - 4.0).abs() < 1e-12);
    }
}
