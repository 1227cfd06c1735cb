//! Renders footprints and sweeps for people and tools: text tables, CSV, GeoJSON, KML, CZML (CesiumJS),
//! SVG heat maps over a Natural Earth coastline, SVG sensitivity plots and self-contained HTML reports.
//! Pure functions from results to strings; writing files is the caller's job.
//!
//! Coordinates are WGS84 degrees (GeoJSON and KML order: longitude, latitude), heights in metres above the
//! ellipsoid, speeds in m/s, times in seconds since threat launch (CZML: from an arbitrary epoch).

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::coastline;
use crate::footprint::{Footprint, MapKind, Status};
use crate::report::xml_escape;
use crate::sweep::{MonteCarlo, Sweep};

/// Epoch of CZML clocks (threat launch): arbitrary, fixed so outputs are reproducible.
pub const CZML_EPOCH: &str = "2008-01-01T00:00:00Z";

fn kind_name(k: MapKind) -> &'static str {
    match k {
        MapKind::DefendedArea => "defended area",
        MapKind::ThreatOrigin => "threat origin",
        MapKind::RadarCoverage => "radar coverage",
    }
}

fn title(fp: &Footprint) -> String {
    match fp.kind {
        MapKind::DefendedArea => format!(
            "Defended area: targets engageable against the {} launched from {} ({})",
            fp.missile.as_deref().unwrap_or("?"),
            fp.site.as_deref().unwrap_or("?"),
            fp.shape.name()
        ),
        MapKind::ThreatOrigin => format!(
            "Threat origin: launch points from which the {} aimed at {} can be engaged ({})",
            fp.missile.as_deref().unwrap_or("?"),
            fp.site.as_deref().unwrap_or("?"),
            fp.shape.name()
        ),
        MapKind::RadarCoverage => format!("Radar coverage of {}: lowest visible warhead altitude", fp.radar),
    }
}

fn level_label(fp: &Footprint, level: f64) -> String {
    match fp.kind {
        MapKind::RadarCoverage => format!("seen above {:.0} km", level / 1e3),
        _ => format!("engaged at {:.1} km/s", level / 1e3),
    }
}

fn opt(v: Option<f64>, scale: f64, digits: usize) -> String {
    v.map_or(String::new(), |x| format!("{:.*}", digits, x / scale))
}

/// Summary table printed by `shieldwatch footprint`.
pub fn footprint_summary(fp: &Footprint) -> String {
    use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
    let mut out = String::new();
    let _ = writeln!(out, "{}", title(fp));
    let _ = writeln!(
        out,
        "scenario {}, radar {}, battery {}, grid {}–{}°N × {}–{}°E every {}° ({} points)\n",
        fp.scenario,
        fp.radar,
        fp.interceptor,
        fp.grid.lat_min_deg,
        fp.grid.lat_max_deg,
        fp.grid.lon_min_deg,
        fp.grid.lon_max_deg,
        fp.grid.step_deg,
        fp.cells.len()
    );
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED);
    t.set_header(vec!["level", "share of grid points", "polygons"]);
    for c in &fp.contours {
        t.add_row(vec![
            level_label(fp, c.level),
            format!("{:.1} %", 100.0 * c.fraction_inside),
            c.polygons.len().to_string(),
        ]);
    }
    let _ = writeln!(out, "{t}");
    if fp.kind != MapKind::RadarCoverage {
        let count = |st: Status| fp.cells.iter().filter(|c| c.status == st).count();
        let _ = writeln!(
            out,
            "\npoints: {} engageable at some speed, {} seen but out of reach, {} never seen by the radar, {} beyond the missile's range, {} without a trajectory",
            count(Status::Reachable),
            count(Status::Unreachable),
            count(Status::NotSeen),
            count(Status::OutOfRange),
            count(Status::NoTrajectory)
        );
        if !fp.tracks.is_empty() {
            let mut t = Table::new();
            t.load_style(UTF8_FULL_CONDENSED);
            t.set_header(vec![
                "from",
                "to",
                "first track s",
                "earliest intercept s",
                "engaged",
            ]);
            for tr in &fp.tracks {
                t.add_row(vec![
                    tr.from.clone(),
                    tr.to.clone(),
                    opt(tr.first_detection_s, 1.0, 0),
                    opt(tr.earliest_intercept_s, 1.0, 0),
                    if tr.engaged { "yes" } else { "no" }.into(),
                ]);
            }
            let _ = writeln!(
                out,
                "\nscenario sites on the map at {:.1} km/s:\n{t}",
                fp.speed_mps / 1e3
            );
        }
    }
    out
}

/// One row per grid point.
pub fn footprint_csv(fp: &Footprint) -> String {
    let mut out = String::from(
        "lat_deg,lon_deg,status,crossover_speed_mps,engaged_at_speed,first_detection_s,flight_time_s,earliest_intercept_s,intercept_alt_m,min_visible_alt_m\n",
    );
    for c in &fp.cells {
        let st = serde_json::to_value(c.status)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{}",
            c.lat_deg,
            c.lon_deg,
            st,
            opt(c.crossover_speed_mps, 1.0, 1),
            c.engaged_at(fp.speed_mps),
            opt(c.first_detection_s, 1.0, 3),
            opt(c.flight_time_s, 1.0, 1),
            opt(c.earliest_intercept_s, 1.0, 1),
            opt(c.intercept_alt_m, 1.0, 0),
            opt(c.min_visible_alt_m, 1.0, 0),
        );
    }
    out
}

/// GeoJSON FeatureCollection: one MultiPolygon per level, the scenario sites, the sample tracks.
pub fn footprint_geojson(fp: &Footprint) -> String {
    let mut features = Vec::new();
    for c in &fp.contours {
        features.push(json!({
            "type": "Feature",
            "properties": {
                "kind": kind_name(fp.kind),
                "level": c.level,
                "label": level_label(fp, c.level),
                "fraction_inside": c.fraction_inside,
                "missile": fp.missile,
                "site": fp.site,
            },
            "geometry": {"type": "MultiPolygon", "coordinates": c.polygons},
        }));
    }
    for (name, lat, lon, roles) in &fp.sites {
        features.push(json!({
            "type": "Feature",
            "properties": {"name": name, "roles": roles},
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
        }));
    }
    for t in &fp.tracks {
        let coords: Vec<Value> = t.samples.iter().map(|s| json!([s[2], s[1], s[3]])).collect();
        features.push(json!({
            "type": "Feature",
            "properties": {"from": t.from, "to": t.to, "engaged": t.engaged},
            "geometry": {"type": "LineString", "coordinates": coords},
        }));
    }
    let doc = json!({"type": "FeatureCollection", "features": features});
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

fn kml_ring(ring: &[[f64; 2]]) -> String {
    ring.iter()
        .map(|p| format!("{:.5},{:.5},0", p[0], p[1]))
        .collect::<Vec<_>>()
        .join(" ")
}

/// KML document: one folder per level with its polygons, the sites, the tracks (3-D, absolute heights).
pub fn footprint_kml(fp: &Footprint) -> String {
    let mut o = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<kml xmlns=\"http://www.opengis.net/kml/2.2\">\n<Document>\n",
    );
    let _ = writeln!(o, "<name>{}</name>", xml_escape(&title(fp)));
    o.push_str("<Style id=\"area\"><LineStyle><color>ff0055ff</color><width>2</width></LineStyle><PolyStyle><color>400055ff</color></PolyStyle></Style>\n");
    for c in &fp.contours {
        let _ = writeln!(
            o,
            "<Folder><name>{}</name>",
            xml_escape(&level_label(fp, c.level))
        );
        for poly in &c.polygons {
            o.push_str("<Placemark><styleUrl>#area</styleUrl><Polygon><tessellate>1</tessellate>");
            for (k, ring) in poly.iter().enumerate() {
                let tag = if k == 0 {
                    "outerBoundaryIs"
                } else {
                    "innerBoundaryIs"
                };
                let _ = write!(
                    o,
                    "<{tag}><LinearRing><coordinates>{}</coordinates></LinearRing></{tag}>",
                    kml_ring(ring)
                );
            }
            o.push_str("</Polygon></Placemark>\n");
        }
        o.push_str("</Folder>\n");
    }
    o.push_str("<Folder><name>sites</name>\n");
    for (name, lat, lon, _) in &fp.sites {
        let _ = writeln!(
            o,
            "<Placemark><name>{}</name><Point><coordinates>{lon},{lat},0</coordinates></Point></Placemark>",
            xml_escape(name)
        );
    }
    o.push_str("</Folder>\n<Folder><name>tracks</name>\n");
    for t in &fp.tracks {
        let coords: Vec<String> = t
            .samples
            .iter()
            .map(|s| format!("{:.5},{:.5},{:.0}", s[2], s[1], s[3]))
            .collect();
        let _ = writeln!(
            o,
            "<Placemark><name>{} → {}</name><LineString><altitudeMode>absolute</altitudeMode><coordinates>{}</coordinates></LineString></Placemark>",
            xml_escape(&t.from),
            xml_escape(&t.to),
            coords.join(" ")
        );
    }
    o.push_str("</Folder>\n</Document>\n</kml>\n");
    o
}

fn iso(epoch_offset_s: f64) -> String {
    // Seconds after CZML_EPOCH (2008-01-01T00:00:00Z), under one day.
    let s = epoch_offset_s.max(0.0).round() as u64;
    format!(
        "2008-01-01T{:02}:{:02}:{:02}Z",
        s / 3600 % 24,
        s / 60 % 60,
        s % 60
    )
}

/// CZML (CesiumJS): a document packet with a clock over the longest flight, then one packet per track
/// with a time-tagged `cartographicDegrees` position (seconds since [`CZML_EPOCH`], longitude, latitude,
/// height), a path, and a point that turns green when engaged; sites as static points.
pub fn footprint_czml(fp: &Footprint) -> String {
    let end = fp
        .tracks
        .iter()
        .filter_map(|t| t.samples.last().map(|s| s[0]))
        .fold(60.0, f64::max);
    let mut packets = vec![json!({
        "id": "document",
        "name": title(fp),
        "version": "1.0",
        "clock": {
            "interval": format!("{CZML_EPOCH}/{}", iso(end)),
            "currentTime": CZML_EPOCH,
            "multiplier": 30,
            "range": "LOOP_STOP",
            "step": "SYSTEM_CLOCK_MULTIPLIER",
        },
    })];
    for (name, lat, lon, _) in &fp.sites {
        packets.push(json!({
            "id": format!("site/{name}"),
            "name": name,
            "position": {"cartographicDegrees": [lon, lat, 0.0]},
            "point": {"pixelSize": 6, "color": {"rgba": [255, 255, 255, 255]}},
            "label": {"text": name, "scale": 0.5, "pixelOffset": {"cartesian2": [0, -12]}},
        }));
    }
    for t in &fp.tracks {
        let last = t.samples.last().map_or(0.0, |s| s[0]);
        let mut pos = Vec::with_capacity(t.samples.len() * 4);
        for s in &t.samples {
            pos.extend([s[0], s[2], s[1], s[3]]);
        }
        let color = if t.engaged {
            [80, 220, 80, 255]
        } else {
            [230, 70, 50, 255]
        };
        packets.push(json!({
            "id": format!("track/{}/{}", t.from, t.to),
            "name": format!("{} → {}", t.from, t.to),
            "availability": format!("{CZML_EPOCH}/{}", iso(last)),
            "description": format!(
                "first radar track {} s, earliest intercept {} s, engaged: {}",
                opt(t.first_detection_s, 1.0, 0),
                opt(t.earliest_intercept_s, 1.0, 0),
                t.engaged
            ),
            "position": {"epoch": CZML_EPOCH, "interpolationAlgorithm": "LAGRANGE", "interpolationDegree": 3, "cartographicDegrees": pos},
            "point": {"pixelSize": 8, "color": {"rgba": color}},
            "path": {"leadTime": 0, "trailTime": 3600, "width": 2, "material": {"solidColor": {"color": {"rgba": color}}}},
        }));
    }
    serde_json::to_string_pretty(&Value::Array(packets)).unwrap_or_default()
}

/// A colour on a perceptually ordered ramp (dark blue → green → yellow), `x` in [0, 1].
fn ramp(x: f64) -> String {
    const STOPS: [(f64, [f64; 3]); 5] = [
        (0.0, [68.0, 1.0, 84.0]),
        (0.25, [59.0, 82.0, 139.0]),
        (0.5, [33.0, 145.0, 140.0]),
        (0.75, [94.0, 201.0, 98.0]),
        (1.0, [253.0, 231.0, 37.0]),
    ];
    let x = x.clamp(0.0, 1.0);
    let k = STOPS.iter().position(|s| s.0 >= x).unwrap_or(4).max(1);
    let (a, b) = (STOPS[k - 1], STOPS[k]);
    let t = (x - a.0) / (b.0 - a.0);
    let c: Vec<u8> = (0..3)
        .map(|i| (a.1[i] + t * (b.1[i] - a.1[i])).round() as u8)
        .collect();
    format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2])
}

/// Equirectangular projection of a box onto a `w` × `h` pixel area at (`x0`, `y0`).
struct Proj {
    lon0: f64,
    lat1: f64,
    sx: f64,
    sy: f64,
    x0: f64,
    y0: f64,
}

impl Proj {
    fn xy(&self, lon: f64, lat: f64) -> (f64, f64) {
        (
            self.x0 + (lon - self.lon0) * self.sx,
            self.y0 + (self.lat1 - lat) * self.sy,
        )
    }
    fn path(&self, ring: &[[f64; 2]]) -> String {
        let mut d = String::new();
        for (k, p) in ring.iter().enumerate() {
            let (x, y) = self.xy(p[0], p[1]);
            let _ = write!(d, "{}{x:.1},{y:.1}", if k == 0 { "M" } else { "L" });
        }
        d.push('Z');
        d
    }
    /// An open polyline, broken where it jumps across the antimeridian.
    fn line(&self, ring: &[[f64; 2]]) -> String {
        let mut d = String::new();
        let mut prev: Option<[f64; 2]> = None;
        for q in ring {
            let (x, y) = self.xy(q[0], q[1]);
            let jump = prev.is_none_or(|p| (p[0] - q[0]).abs() > 180.0);
            let _ = write!(d, "{}{x:.1},{y:.1}", if jump { "M" } else { "L" });
            prev = Some(*q);
        }
        d
    }
}

/// Heat map of the grid (crossover speed, or lowest visible altitude) with the coastline, the contour
/// polygons, the scenario sites and a colour bar.
pub fn footprint_svg(fp: &Footprint) -> String {
    let g = &fp.grid;
    let (w, x0, y0) = (820.0, 60.0, 50.0);
    let mid_lat = 0.5 * (g.lat_min_deg + g.lat_max_deg);
    let aspect = (g.lat_max_deg - g.lat_min_deg)
        / ((g.lon_max_deg - g.lon_min_deg) * mid_lat.to_radians().cos().max(0.2));
    let h = (w * aspect).clamp(200.0, 900.0);
    let p = Proj {
        lon0: g.lon_min_deg - 0.5 * g.step_deg,
        lat1: g.lat_max_deg + 0.5 * g.step_deg,
        sx: w / (g.lon_max_deg - g.lon_min_deg + g.step_deg),
        sy: h / (g.lat_max_deg - g.lat_min_deg + g.step_deg),
        x0,
        y0,
    };
    let coverage = fp.kind == MapKind::RadarCoverage;
    let unit = if coverage {
        "lowest visible altitude, km"
    } else {
        "crossover burnout speed, km/s"
    };
    // Colour range: the values present, rounded outwards to 0.5 km/s or 100 km.
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in fp.cells.iter().filter_map(|c| {
        if coverage {
            c.min_visible_alt_m
        } else {
            c.crossover_speed_mps
        }
    }) {
        lo = lo.min(v);
        hi = hi.max(v.min(if coverage { 5.0e6 } else { 15_000.0 }));
    }
    let q = if coverage { 100_000.0 } else { 500.0 };
    let (lo, hi) = if lo.is_finite() && hi.is_finite() {
        (
            (lo / q).floor() * q,
            ((hi / q).ceil() * q).max((lo / q).floor() * q + q),
        )
    } else {
        (0.0, 1.0)
    };
    let value = |c: &crate::footprint::Cell| {
        if coverage {
            c.min_visible_alt_m
        } else {
            c.crossover_speed_mps
        }
    };
    let scale = 1e3;
    let (tw, th) = (x0 + w + 140.0, y0 + h + 60.0);
    let mut o = String::new();
    let _ = writeln!(
        o,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{tw:.0}\" height=\"{th:.0}\" viewBox=\"0 0 {tw:.0} {th:.0}\" font-family=\"sans-serif\" font-size=\"12\">"
    );
    let _ = writeln!(o, "<title>{}</title>", xml_escape(&title(fp)));
    let _ = writeln!(
        o,
        "<text x=\"{x0}\" y=\"25\" font-size=\"15\">{}</text>",
        xml_escape(&title(fp))
    );
    let _ = writeln!(
        o,
        "<defs><clipPath id=\"frame\"><rect x=\"{x0}\" y=\"{y0}\" width=\"{w}\" height=\"{h:.1}\"/></clipPath></defs>"
    );
    let _ = writeln!(
        o,
        "<rect x=\"{x0}\" y=\"{y0}\" width=\"{w}\" height=\"{h:.1}\" fill=\"#d9d9d9\"/>"
    );
    o.push_str("<g clip-path=\"url(#frame)\">\n");
    let (cw, ch) = (g.step_deg * p.sx, g.step_deg * p.sy);
    for c in &fp.cells {
        let Some(v) = value(c) else { continue };
        let (x, y) = p.xy(c.lon_deg - 0.5 * g.step_deg, c.lat_deg + 0.5 * g.step_deg);
        let mut f = (v - lo) / (hi - lo);
        if fp.kind != MapKind::RadarCoverage {
            f = 1.0 - f; // fast interceptors needed = dark
        }
        let _ = writeln!(
            o,
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.2}\" height=\"{:.2}\" fill=\"{}\"/>",
            cw + 0.3,
            ch + 0.3,
            ramp(f)
        );
    }
    // Coastline.
    o.push_str("<g fill=\"none\" stroke=\"#222\" stroke-width=\"0.8\">\n");
    for ring in coastline::land() {
        let (mut a, mut b) = (f64::INFINITY, f64::NEG_INFINITY);
        let (mut c, mut d) = (f64::INFINITY, f64::NEG_INFINITY);
        for q in ring {
            a = a.min(q[0]);
            b = b.max(q[0]);
            c = c.min(q[1]);
            d = d.max(q[1]);
        }
        if b < g.lon_min_deg - 1.0
            || a > g.lon_max_deg + 1.0
            || d < g.lat_min_deg - 1.0
            || c > g.lat_max_deg + 1.0
        {
            continue;
        }
        let _ = writeln!(o, "<path d=\"{}\"/>", p.line(ring));
    }
    o.push_str("</g>\n");
    // Contours: dashed for all levels, the map's speed solid.
    for (k, c) in fp.contours.iter().enumerate() {
        let dash = if k % 2 == 0 {
            ""
        } else {
            " stroke-dasharray=\"6,3\""
        };
        let _ = writeln!(
            o,
            "<g fill=\"none\" stroke=\"#d62728\" stroke-width=\"{}\"{dash}><title>{}</title>",
            if (c.level - fp.speed_mps).abs() < 1e-6 {
                2.5
            } else {
                1.4
            },
            xml_escape(&level_label(fp, c.level))
        );
        for poly in &c.polygons {
            for ring in poly {
                let _ = writeln!(o, "<path d=\"{}\"/>", p.path(ring));
            }
        }
        o.push_str("</g>\n");
    }
    for (name, lat, lon, roles) in &fp.sites {
        if *lat < g.lat_min_deg || *lat > g.lat_max_deg || *lon < g.lon_min_deg || *lon > g.lon_max_deg {
            continue;
        }
        let (x, y) = p.xy(*lon, *lat);
        let fill = if roles.iter().any(|r| r == "interceptor" || r == "radar") {
            "#fff"
        } else {
            "#000"
        };
        let _ = writeln!(
            o,
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3.5\" fill=\"{fill}\" stroke=\"#000\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\">{}</text>",
            x + 5.0,
            y - 4.0,
            xml_escape(name)
        );
    }
    o.push_str("</g>\n");
    let _ = writeln!(
        o,
        "<rect x=\"{x0}\" y=\"{y0}\" width=\"{w}\" height=\"{h:.1}\" fill=\"none\" stroke=\"#000\"/>"
    );
    // Axes ticks.
    let tick = if g.lon_max_deg - g.lon_min_deg > 60.0 {
        10.0
    } else {
        5.0
    };
    let mut lon = (g.lon_min_deg / tick).ceil() * tick;
    while lon <= g.lon_max_deg {
        let (x, _) = p.xy(lon, g.lat_min_deg);
        let _ = writeln!(
            o,
            "<text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{lon}°</text>",
            y0 + h + 16.0
        );
        lon += tick;
    }
    let mut lat = (g.lat_min_deg / tick).ceil() * tick;
    while lat <= g.lat_max_deg {
        let (_, y) = p.xy(g.lon_min_deg, lat);
        let _ = writeln!(
            o,
            "<text x=\"{:.1}\" y=\"{y:.1}\" text-anchor=\"end\">{lat}°</text>",
            x0 - 6.0
        );
        lat += tick;
    }
    // Colour bar.
    let bx = x0 + w + 30.0;
    for k in 0..50 {
        let f = k as f64 / 49.0;
        let y = y0 + h * (1.0 - f) - h / 50.0;
        let shade = if fp.kind == MapKind::RadarCoverage {
            f
        } else {
            1.0 - f
        };
        let _ = writeln!(
            o,
            "<rect x=\"{bx}\" y=\"{y:.1}\" width=\"18\" height=\"{:.2}\" fill=\"{}\"/>",
            h / 50.0 + 0.5,
            ramp(shade)
        );
    }
    let _ = writeln!(
        o,
        "<text x=\"{:.0}\" y=\"{:.0}\">{:.1}</text>",
        bx + 22.0,
        y0 + 10.0,
        hi / scale
    );
    let _ = writeln!(
        o,
        "<text x=\"{:.0}\" y=\"{:.0}\">{:.1}</text>",
        bx + 22.0,
        y0 + h,
        lo / scale
    );
    let _ = writeln!(
        o,
        "<text transform=\"translate({:.0},{:.0}) rotate(-90)\" text-anchor=\"middle\">{}</text>",
        bx + 60.0,
        y0 + h / 2.0,
        unit
    );
    let _ = writeln!(
        o,
        "<text x=\"{x0}\" y=\"{:.0}\" font-size=\"10\">grey: no engagement (not seen, out of reach or out of range); red: contours at the listed levels; coastline: Natural Earth 1:110m</text>",
        y0 + h + 40.0
    );
    o.push_str("</svg>\n");
    o
}

const STYLE: &str = "body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;padding:.25em .6em;text-align:right}th{background:#eee}td:first-child,th:first-child{text-align:left}h2{margin-top:2em}code{background:#f3f3f3;padding:0 .2em}";

/// The HTML report section of a footprint (heading, map, level table, sample tracks).
pub fn footprint_section(fp: &Footprint) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "<h2>{}</h2>", xml_escape(&title(fp)));
    let _ = writeln!(
        o,
        "<p>Scenario <b>{}</b>; radar {}, battery {} at an assumed burnout speed of {:.2} km/s; grid {}–{}° N, {}–{}° E every {}° ({} points). Each point is flown and engaged on its own (fast engine: point-gravity conic, reach table computed once; see ARCHITECTURE.md).</p>",
        xml_escape(&fp.scenario),
        xml_escape(&fp.radar),
        xml_escape(&fp.interceptor),
        fp.speed_mps / 1e3,
        fp.grid.lat_min_deg,
        fp.grid.lat_max_deg,
        fp.grid.lon_min_deg,
        fp.grid.lon_max_deg,
        fp.grid.step_deg,
        fp.cells.len()
    );
    o.push_str(&footprint_svg(fp));
    o.push_str("<table><tr><th>level</th><th>share of grid points</th><th>polygons</th></tr>\n");
    for c in &fp.contours {
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td>{:.1} %</td><td>{}</td></tr>",
            xml_escape(&level_label(fp, c.level)),
            100.0 * c.fraction_inside,
            c.polygons.len()
        );
    }
    o.push_str("</table>\n");
    if !fp.tracks.is_empty() {
        o.push_str("<table><tr><th>from</th><th>to</th><th>first track s</th><th>earliest intercept s</th><th>engaged</th></tr>\n");
        for t in &fp.tracks {
            let _ = writeln!(
                o,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                xml_escape(&t.from),
                xml_escape(&t.to),
                opt(t.first_detection_s, 1.0, 0),
                opt(t.earliest_intercept_s, 1.0, 0),
                if t.engaged { "yes" } else { "no" }
            );
        }
        o.push_str("</table>\n");
    }
    o
}

/// A self-contained HTML page around report sections.
pub fn html_page(title: &str, sections: &[String]) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title><style>{STYLE}</style></head><body>\n<h1>{t}</h1>\n{}\n<p><small>Generated by shieldwatch. Map data: Natural Earth (public domain).</small></p></body></html>\n",
        sections.join("\n"),
        t = xml_escape(title)
    )
}

/// Summary table printed by `shieldwatch sweep`.
pub fn sweep_summary(sw: &Sweep) -> String {
    use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED);
    let mut header: Vec<String> = sw.axes.iter().map(|a| a.path.clone()).collect();
    if let Some(p) = sw.points.first() {
        header.extend(p.families.iter().map(|f| format!("{} engaged", f.0)));
    }
    t.set_header(header);
    for p in &sw.points {
        let mut row: Vec<String> = p.values.iter().map(|v| format!("{v}")).collect();
        row.extend(p.families.iter().map(|(_, e, n)| format!("{e}/{n}")));
        t.add_row(row);
    }
    format!(
        "Sweep of {} ({} trajectories)\n{t}\n",
        sw.scenario,
        sw.shape.name()
    )
}

/// One row per point and trajectory.
pub fn sweep_csv(sw: &Sweep) -> String {
    let mut out = String::new();
    for a in &sw.axes {
        let _ = write!(out, "{},", a.path.replace(',', ";"));
    }
    out.push_str("threat,from,to,flown,engaged,crossover_speed_mps\n");
    for p in &sw.points {
        for o in &p.outcomes {
            for v in &p.values {
                let _ = write!(out, "{v},");
            }
            let _ = writeln!(
                out,
                "\"{}\",\"{}\",\"{}\",{},{},{}",
                o.threat,
                o.from,
                o.to,
                o.flown,
                o.engaged,
                opt(o.crossover_speed_mps, 1.0, 1)
            );
        }
    }
    out
}

const PALETTE: [&str; 6] = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];

/// Sensitivity plot: one parameter → share engaged per threat family (lines); two parameters → heat map
/// of the share of all trajectories engaged.
pub fn sweep_svg(sw: &Sweep) -> String {
    let (x0, y0, w, h) = (80.0, 40.0, 620.0, 380.0);
    let mut o = String::new();
    let _ = writeln!(
        o,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"980\" height=\"500\" viewBox=\"0 0 980 500\" font-family=\"sans-serif\" font-size=\"12\">"
    );
    let share = |e: usize, n: usize| if n == 0 { 0.0 } else { e as f64 / n as f64 };
    match sw.axes.as_slice() {
        [a] => {
            let (lo, hi) = (
                a.values.first().copied().unwrap_or(0.0),
                a.values.last().copied().unwrap_or(1.0),
            );
            let x = |v: f64| x0 + (v - lo) / (hi - lo).max(1e-300) * w;
            let y = |f: f64| y0 + (1.0 - f) * h;
            let _ = writeln!(
                o,
                "<text x=\"{x0}\" y=\"22\" font-size=\"14\">Share of trajectories engaged vs {}</text>",
                xml_escape(&a.path)
            );
            let _ = writeln!(
                o,
                "<rect x=\"{x0}\" y=\"{y0}\" width=\"{w}\" height=\"{h}\" fill=\"none\" stroke=\"#000\"/>"
            );
            for k in 0..=4 {
                let f = k as f64 / 4.0;
                let _ = writeln!(
                    o,
                    "<line x1=\"{x0}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#ddd\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{:.0} %</text>",
                    x0 + w,
                    y(f),
                    y(f),
                    x0 - 6.0,
                    y(f) + 4.0,
                    f * 100.0
                );
            }
            for k in 0..=4 {
                let v = lo + (hi - lo) * k as f64 / 4.0;
                let _ = writeln!(
                    o,
                    "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                    x(v),
                    y0 + h + 16.0,
                    fmt_num(v)
                );
            }
            let _ = writeln!(
                o,
                "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                x0 + w / 2.0,
                y0 + h + 36.0,
                xml_escape(&a.path)
            );
            let n_fam = sw.points.first().map_or(0, |p| p.families.len());
            for f in 0..n_fam {
                let pts: Vec<String> = sw
                    .points
                    .iter()
                    .map(|p| {
                        let (_, e, n) = &p.families[f];
                        format!("{:.1},{:.1}", x(p.values[0]), y(share(*e, *n)))
                    })
                    .collect();
                let c = PALETTE[f % PALETTE.len()];
                let _ = writeln!(
                    o,
                    "<polyline points=\"{}\" fill=\"none\" stroke=\"{c}\" stroke-width=\"2\"/>",
                    pts.join(" ")
                );
                let name = sw
                    .points
                    .first()
                    .map_or(String::new(), |p| p.families[f].0.clone());
                let _ = writeln!(
                    o,
                    "<rect x=\"{}\" y=\"{}\" width=\"14\" height=\"3\" fill=\"{c}\"/><text x=\"{}\" y=\"{}\">{}</text>",
                    x0 + w + 15.0,
                    y0 + 10.0 + 20.0 * f as f64,
                    x0 + w + 34.0,
                    y0 + 14.0 + 20.0 * f as f64,
                    xml_escape(&name)
                );
            }
        }
        [a, b] => {
            let (na, nb) = (a.values.len(), b.values.len());
            let (cw, ch) = (w / nb as f64, h / na as f64);
            let _ = writeln!(
                o,
                "<text x=\"{x0}\" y=\"22\" font-size=\"14\">Share of all trajectories engaged</text>"
            );
            for (k, p) in sw.points.iter().enumerate() {
                let (i, j) = (k / nb, k % nb);
                let (e, n) = p.families.iter().fold((0, 0), |(e, n), f| (e + f.1, n + f.2));
                let f = share(e, n);
                let _ = writeln!(
                    o,
                    "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"><title>{} = {}, {} = {}: {:.0} %</title></rect>",
                    x0 + j as f64 * cw,
                    y0 + (na - 1 - i) as f64 * ch,
                    cw + 0.3,
                    ch + 0.3,
                    ramp(f),
                    xml_escape(&a.path),
                    fmt_num(p.values[0]),
                    xml_escape(&b.path),
                    fmt_num(p.values[1]),
                    100.0 * f
                );
            }
            for (j, v) in b.values.iter().enumerate() {
                let _ = writeln!(
                    o,
                    "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\" font-size=\"10\">{}</text>",
                    x0 + (j as f64 + 0.5) * cw,
                    y0 + h + 14.0,
                    fmt_num(*v)
                );
            }
            for (i, v) in a.values.iter().enumerate() {
                let _ = writeln!(
                    o,
                    "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"10\">{}</text>",
                    x0 - 4.0,
                    y0 + (na as f64 - i as f64 - 0.5) * ch + 4.0,
                    fmt_num(*v)
                );
            }
            let _ = writeln!(
                o,
                "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                x0 + w / 2.0,
                y0 + h + 34.0,
                xml_escape(&b.path)
            );
            let _ = writeln!(
                o,
                "<text transform=\"translate(14,{:.0}) rotate(-90)\" text-anchor=\"middle\">{}</text>",
                y0 + h / 2.0,
                xml_escape(&a.path)
            );
            for k in 0..50 {
                let f = k as f64 / 49.0;
                let _ = writeln!(
                    o,
                    "<rect x=\"{}\" y=\"{:.1}\" width=\"18\" height=\"{:.2}\" fill=\"{}\"/>",
                    x0 + w + 20.0,
                    y0 + h * (1.0 - f) - h / 50.0,
                    h / 50.0 + 0.5,
                    ramp(f)
                );
            }
            let _ = writeln!(
                o,
                "<text x=\"{}\" y=\"{}\">100 %</text><text x=\"{}\" y=\"{}\">0 %</text>",
                x0 + w + 42.0,
                y0 + 10.0,
                x0 + w + 42.0,
                y0 + h
            );
        }
        _ => {}
    }
    o.push_str("</svg>\n");
    o
}

fn fmt_num(v: f64) -> String {
    if v.abs() >= 1e5 {
        format!("{:.3e}", v)
    } else if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// Summary table printed by `shieldwatch sweep --monte-carlo`.
pub fn mc_summary(mc: &MonteCarlo) -> String {
    use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED);
    t.set_header(vec!["threat", "from", "to", "P(engaged)", "engaged / samples"]);
    for p in mc.pairs.iter().filter(|p| p.flown > 0) {
        t.add_row(vec![
            p.threat.clone(),
            p.from.clone(),
            p.to.clone(),
            format!("{:.2}", p.probability),
            format!("{}/{}", p.engaged, mc.samples),
        ]);
    }
    format!(
        "Monte Carlo over {} ({} samples, seed {}; {} parameters drawn uniformly within their ranges)\n{t}\n",
        mc.scenario,
        mc.samples,
        mc.seed,
        mc.parameters.len()
    )
}

/// One row per launch site → target pair.
pub fn mc_csv(mc: &MonteCarlo) -> String {
    let mut out = String::from("threat,from,to,flown_samples,engaged_samples,samples,probability\n");
    for p in &mc.pairs {
        let _ = writeln!(
            out,
            "\"{}\",\"{}\",\"{}\",{},{},{},{}",
            p.threat, p.from, p.to, p.flown, p.engaged, mc.samples, p.probability
        );
    }
    out
}

/// Engagement probability as a launch site × target matrix per threat family (SVG).
pub fn mc_svg(mc: &MonteCarlo) -> String {
    let mut froms: Vec<&str> = Vec::new();
    let mut tos: Vec<&str> = Vec::new();
    for p in mc.pairs.iter().filter(|p| p.flown > 0) {
        if !froms.contains(&p.from.as_str()) {
            froms.push(&p.from);
        }
        if !tos.contains(&p.to.as_str()) {
            tos.push(&p.to);
        }
    }
    let (x0, y0, cw, ch) = (110.0, 110.0, 34.0, 22.0);
    let (tw, th) = (
        x0 + cw * tos.len() as f64 + 120.0,
        y0 + ch * froms.len() as f64 + 40.0,
    );
    let mut o = String::new();
    let _ = writeln!(
        o,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{tw:.0}\" height=\"{th:.0}\" viewBox=\"0 0 {tw:.0} {th:.0}\" font-family=\"sans-serif\" font-size=\"11\">"
    );
    let _ = writeln!(
        o,
        "<text x=\"10\" y=\"20\" font-size=\"14\">P(engaged), {} samples, seed {}</text>",
        mc.samples, mc.seed
    );
    for (j, t) in tos.iter().enumerate() {
        let _ = writeln!(
            o,
            "<text transform=\"translate({:.1},{:.1}) rotate(-60)\">{}</text>",
            x0 + (j as f64 + 0.5) * cw,
            y0 - 4.0,
            xml_escape(t)
        );
    }
    for (i, f) in froms.iter().enumerate() {
        let _ = writeln!(
            o,
            "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            x0 - 4.0,
            y0 + (i as f64 + 0.7) * ch,
            xml_escape(f)
        );
    }
    for p in mc.pairs.iter().filter(|p| p.flown > 0) {
        let (Some(i), Some(j)) = (
            froms.iter().position(|f| *f == p.from),
            tos.iter().position(|t| *t == p.to),
        ) else {
            continue;
        };
        let _ = writeln!(
            o,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{cw}\" height=\"{ch}\" fill=\"{}\" stroke=\"#fff\"><title>{} → {} ({}): {:.2}</title></rect>",
            x0 + j as f64 * cw,
            y0 + i as f64 * ch,
            ramp(p.probability),
            xml_escape(&p.from),
            xml_escape(&p.to),
            xml_escape(&p.threat),
            p.probability
        );
    }
    o.push_str("</svg>\n");
    o
}

/// HTML report section of a sweep.
pub fn sweep_section(sw: &Sweep) -> String {
    let mut o = format!(
        "<h2>Sensitivity: {}</h2>\n",
        xml_escape(
            &sw.axes
                .iter()
                .map(|a| a.path.as_str())
                .collect::<Vec<_>>()
                .join(" × ")
        )
    );
    o.push_str(&sweep_svg(sw));
    o.push_str("<table><tr>");
    for a in &sw.axes {
        let _ = write!(o, "<th>{}</th>", xml_escape(&a.path));
    }
    if let Some(p) = sw.points.first() {
        for f in &p.families {
            let _ = write!(o, "<th>{} engaged</th>", xml_escape(&f.0));
        }
    }
    o.push_str("</tr>\n");
    for p in &sw.points {
        o.push_str("<tr>");
        for v in &p.values {
            let _ = write!(o, "<td>{}</td>", fmt_num(*v));
        }
        for (_, e, n) in &p.families {
            let _ = write!(o, "<td>{e}/{n}</td>");
        }
        o.push_str("</tr>\n");
    }
    o.push_str("</table>\n");
    o
}

/// HTML report section of a Monte Carlo run.
pub fn mc_section(mc: &MonteCarlo) -> String {
    let mut o = String::from("<h2>Monte Carlo: probability of engagement</h2>\n");
    let _ = writeln!(
        o,
        "<p>{} samples from seed {}; each draws these parameters uniformly within their ranges:</p><table><tr><th>parameter</th><th>low</th><th>high</th></tr>",
        mc.samples, mc.seed
    );
    for (p, [lo, hi]) in &mc.parameters {
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            xml_escape(p),
            fmt_num(*lo),
            fmt_num(*hi)
        );
    }
    o.push_str("</table>\n");
    o.push_str(&mc_svg(mc));
    o
}
