//! Renders footprints and sweeps for people and tools: text tables, CSV, GeoJSON, KML, CZML (CesiumJS),
//! SVG heat maps over a Natural Earth coastline, SVG sensitivity plots and self-contained HTML reports.
//! Pure functions from results to strings; writing files is the caller's job.
//!
//! Coordinates are WGS84 degrees (GeoJSON and KML order: longitude, latitude), heights in metres above the
//! ellipsoid, speeds in m/s, times in seconds since threat launch (CZML: from an arbitrary epoch).

use render::{OutputFile, RenderError};
use serde::Serialize;
use serde_json::{Value, json};

use crate::boost::threat_boost_words;
use crate::footprint::{Footprint, MapKind, Status};
use crate::report::{prose, terminal_table};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use render::attrs;
use render::xml::Xml;

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

/// "radar R, battery B", or with several "radars R1, R2, batteries B1, B2" (the map is their union).
fn network_words(fp: &Footprint) -> String {
    let many = |names: &str| names.split(", ").count() > 1;
    format!(
        "radar{} {}, batter{} {}",
        if many(&fp.radar) { "s" } else { "" },
        fp.radar,
        if many(&fp.interceptor) { "ies" } else { "y" },
        fp.interceptor
    )
}

/// What a map over several radars or batteries shows, or nothing for one of each.
fn union_note(fp: &Footprint) -> Option<&'static str> {
    let many = |names: &str| names.split(", ").count() > 1;
    (many(&fp.radar) || many(&fp.interceptor)).then_some(
        "Every radar and battery of the scenario: the radars share their tracks, so the earliest track of \
         any radar cues every battery, and a point counts as engaged when any battery engages it (its \
         crossover is the lowest of the batteries', every battery assumed at the same burnout speed); \
         radar coverage is the lowest altitude any radar sees.",
    )
}

/// The fill of grid points never engaged (or, on a coverage map, never seen).
const NEVER_GREY: &str = "#b0b0b0";

fn level_label(fp: &Footprint, level: f64) -> String {
    match fp.kind {
        MapKind::RadarCoverage => format!("seen above {:.0} km", level / 1e3),
        _ => format!("engaged at {:.1} km/s", level / 1e3),
    }
}

/// Summary table printed by `shieldwatch footprint`.
pub fn footprint_summary(fp: &Footprint) -> String {
    let mut out = String::new();
    prose(&mut out, &title(fp));
    prose(
        &mut out,
        &format!(
            "scenario {}, {} ({} interceptor boost; {}), grid {}–{}°N × {}–{}°E every {}° ({} points)",
            fp.scenario,
            network_words(fp),
            fp.boost.name(),
            threat_boost_words(fp.threat_boost.name()),
            fp.grid.lat_min_deg,
            fp.grid.lat_max_deg,
            fp.grid.lon_min_deg,
            fp.grid.lon_max_deg,
            fp.grid.step_deg,
            fp.cells.len()
        ),
    );
    if let Some(rcs) = fp.rcs_m2 {
        prose(
            &mut out,
            &format!(
                "for a warhead of radar cross-section {rcs} m² (--rcs; by default the smallest of the scenario's missiles)"
            ),
        );
    }
    out.push('\n');
    if let Some(note) = union_note(fp) {
        prose(&mut out, note);
        out.push('\n');
    }
    let mut t = terminal_table();
    t.set_header(vec!["level", "share of grid points", "polygons"]);
    for c in &fp.contours {
        t.add_row(vec![
            level_label(fp, c.level),
            format!("{:.1} %", 100.0 * c.fraction_inside),
            c.polygons.len().to_string(),
        ]);
    }
    out.push_str(&format!("{t}\n"));
    if fp.kind != MapKind::RadarCoverage {
        let count = |st: Status| fp.cells.iter().filter(|c| c.status == st).count();
        out.push('\n');
        prose(
            &mut out,
            &format!(
                "points: {} engageable at some speed, {} seen but out of reach, {} never seen by the radar, {} beyond the missile's range, {} without a trajectory",
                count(Status::Reachable),
                count(Status::Unreachable),
                count(Status::NotSeen),
                count(Status::OutOfRange),
                count(Status::NoTrajectory)
            ),
        );
        if !fp.tracks.is_empty() {
            let mut t = terminal_table();
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
                    tr.first_detection_s.map_or("never".into(), |t| format!("{t:.0}")),
                    tr.earliest_intercept_s
                        .map_or("none".into(), |t| format!("{t:.0}")),
                    if tr.engaged { "yes" } else { "no" }.into(),
                ]);
            }
            out.push('\n');
            prose(
                &mut out,
                &format!("scenario sites on the map at {:.1} km/s:", fp.speed_mps / 1e3),
            );
            out.push_str(&format!("{t}\n"));
        }
    }
    out
}

/// One row of `footprint.csv`: a grid point. The header is these field names.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FootprintRow {
    /// Latitude, degrees (WGS84).
    pub lat_deg: f64,
    /// Longitude, degrees.
    pub lon_deg: f64,
    /// reachable, unreachable, not-seen, out-of-range, no-trajectory or coverage.
    pub status: &'static str,
    /// Lowest interceptor burnout speed that engages, m/s (empty: none).
    pub crossover_speed_mps: Option<f64>,
    /// Whether it is engaged at the map's assumed speed.
    pub engaged_at_speed: bool,
    /// First radar track, s since launch.
    pub first_detection_s: Option<f64>,
    /// Time of flight, s.
    pub flight_time_s: Option<f64>,
    /// Earliest intercept at the assumed speed, s since launch.
    pub earliest_intercept_s: Option<f64>,
    /// Height of that intercept, m.
    pub intercept_alt_m: Option<f64>,
    /// Radar coverage map: lowest visible warhead height, m.
    pub min_visible_alt_m: Option<f64>,
    /// The interceptor's boost model: powered or fixed.
    pub interceptor_boost: &'static str,
    /// The threats' boost model: powered or fixed.
    pub threat_boost: &'static str,
}

/// The contours' dash patterns, in level order: solid, dashed, dotted, dash-dot, long dash, sparse dots.
const CONTOUR_DASHES: [&str; 6] = ["none", "6,3", "2,2", "9,3,2,3", "14,4", "1,4"];

/// Each contour's level written on the map once, in the contour's colour over a white halo: at a point
/// of its longest outer ring inside the map, spread along the ring by the level's place among the levels,
/// clear of `taken` (the boxes of the sites, their names and the legend, px), 40 px from the labels
/// already placed and 10 px from every other level's line, so that the levels can be told apart without
/// the legend (which lists them in one entry). A level with no free point on its ring is left
/// unlabelled.
fn contour_labels(
    o: &mut Xml,
    f: &render::map::Frame,
    fp: &Footprint,
    coverage: bool,
    taken: &[(f64, f64, f64, f64)],
) -> Result<(), RenderError> {
    let n = fp.contours.len();
    let mut placed: Vec<(f64, f64)> = Vec::new();
    // Every contour's projected vertices in 10 px buckets: a label stays 10 px from the other levels'
    // lines, so that it does not sit where several contours run together (the grid's edge, the
    // missile's range) and name a line that is not its own.
    const BUCKET: f64 = 10.0;
    let key = |(x, y): (f64, f64)| ((x / BUCKET).floor() as i64, (y / BUCKET).floor() as i64);
    /// A vertex of contour `.0` at (`.1`, `.2`) px.
    type Vertex = (usize, f64, f64);
    let mut lines: std::collections::HashMap<(i64, i64), Vec<Vertex>> = Default::default();
    for (k, c) in fp.contours.iter().enumerate() {
        for [lon, lat] in c.polygons.iter().flatten().flatten() {
            if let Some(p) = f.xy(*lon, *lat) {
                lines.entry(key(p)).or_default().push((k, p.0, p.1));
            }
        }
    }
    let near_other = |k: usize, (x, y): (f64, f64)| {
        let (i, j) = key((x, y));
        (i - 1..=i + 1).any(|a| {
            (j - 1..=j + 1).any(|b| {
                lines.get(&(a, b)).is_some_and(|v| {
                    v.iter()
                        .any(|&(kk, px, py)| kk != k && (px - x).hypot(py - y) < 10.0)
                })
            })
        })
    };
    let frame = (f.x0, f.y0, f.x0 + f.width, f.y0 + f.height);
    for (k, c) in fp.contours.iter().enumerate() {
        let Some(ring) = c
            .polygons
            .iter()
            .filter_map(|p| p.first())
            .max_by_key(|r| r.len())
        else {
            continue;
        };
        if ring.len() < 4 {
            continue;
        }
        let start = ring.len() * (k + 1) / (n + 1);
        let text = if coverage {
            format!("{:.0}", c.level / 1e3)
        } else {
            format!("{:.1}", c.level / 1e3)
        };
        let free = |(x, y): (f64, f64)| {
            let b = render::map::text_box(x, y + 3.5, text.chars().count(), 10.0, "middle");
            let b = (b.0 - 2.0, b.1 - 1.0, b.2 + 2.0, b.3 + 1.0);
            b.0 >= frame.0
                && b.1 >= frame.1
                && b.2 <= frame.2
                && b.3 <= frame.3
                && !taken.iter().any(|t| render::map::overlaps(*t, b))
                && placed.iter().all(|q| (x - q.0).hypot(y - q.1) > 40.0)
                && !near_other(k, (x, y))
        };
        let spot = (0..ring.len())
            .map(|i| ring[(start + i) % ring.len()])
            .filter_map(|[lon, lat]| f.xy(lon, lat))
            .find(|&p| free(p));
        let Some((x, y)) = spot else { continue };
        placed.push((x, y));
        o.leaf(
            "text",
            &attrs!["x" => f1(x), "y" => f1(y + 3.5), "text-anchor" => "middle", "font-size" => 10, "font-weight" => "bold", "fill" => "#d62728", "stroke" => "#ffffff", "stroke-width" => 2.5, "paint-order" => "stroke", "class" => "contour-label"],
            &text,
        )?;
    }
    Ok(())
}

fn rounded(v: Option<f64>, digits: i32) -> Option<f64> {
    let k = 10f64.powi(digits);
    v.filter(|x| x.is_finite()).map(|x| (x * k).round() / k + 0.0)
}

/// `footprint.csv`: one row per grid point ([`FootprintRow`]).
pub fn footprint_csv(fp: &Footprint) -> Result<String, RenderError> {
    render::csv::to_csv(fp.cells.iter().map(|c| FootprintRow {
        lat_deg: c.lat_deg,
        lon_deg: c.lon_deg,
        status: c.status.name(),
        crossover_speed_mps: rounded(c.crossover_speed_mps, 1),
        engaged_at_speed: c.engaged_at(fp.speed_mps),
        first_detection_s: rounded(c.first_detection_s, 3),
        flight_time_s: rounded(c.flight_time_s, 1),
        earliest_intercept_s: rounded(c.earliest_intercept_s, 1),
        intercept_alt_m: rounded(c.intercept_alt_m, 0),
        min_visible_alt_m: rounded(c.min_visible_alt_m, 0),
        interceptor_boost: fp.boost.name(),
        threat_boost: fp.threat_boost.name(),
    }))
}

/// GeoJSON FeatureCollection (RFC 7946): one MultiPolygon per level, the scenario sites, the sample
/// tracks (3-D, metres).
pub fn footprint_geojson(fp: &Footprint) -> Result<String, RenderError> {
    use crate::report::feature;
    use geojson::Geometry;
    let mut features = Vec::new();
    for c in &fp.contours {
        features.push(feature(
            Geometry::new_multi_polygon(c.polygons.iter().map(|p| p.iter().map(|r| r.iter().copied()))),
            [
                ("kind", json!(kind_name(fp.kind))),
                ("level", json!(c.level)),
                ("label", json!(level_label(fp, c.level))),
                ("fraction_inside", json!(c.fraction_inside)),
                ("missile", json!(fp.missile)),
                ("site", json!(fp.site)),
                ("interceptor_boost", json!(fp.boost.name())),
                ("threat_boost", json!(fp.threat_boost.name())),
            ],
        ));
    }
    for (name, lat, lon, roles) in &fp.sites {
        features.push(feature(
            Geometry::new_point([*lon, *lat]),
            [("name", json!(name)), ("roles", json!(roles))],
        ));
    }
    for t in &fp.tracks {
        features.push(feature(
            Geometry::new_line_string(t.samples.iter().map(|s| [s[2], s[1], s[3]])),
            [
                ("from", json!(t.from)),
                ("to", json!(t.to)),
                ("engaged", json!(t.engaged)),
            ],
        ));
    }
    Ok(serde_json::to_string_pretty(&geojson::FeatureCollection::new(
        features,
    ))?)
}

fn kml_ring(ring: &[[f64; 2]]) -> String {
    ring.iter()
        .map(|p| format!("{:.5},{:.5},0", p[0], p[1]))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The boost models as a KML `<ExtendedData>` element (KML 2.2 §9.3; after a feature's styles): one
/// `<Data>` per `(name, value)`, e.g. `interceptor_boost` and `threat_boost`. Every KML the project writes
/// names its boost models this way (footprints here, the study in [`crate::report::kml`]).
pub(crate) fn kml_boost_data(o: &mut Xml, data: &[(&str, &str)]) -> Result<(), RenderError> {
    o.open("ExtendedData", &[])?;
    for (name, value) in data {
        o.open("Data", &attrs!["name" => *name])?;
        o.leaf("value", &[], value)?;
        o.close()?;
    }
    o.close()?;
    Ok(())
}

/// The boost models of a footprint in one sentence (KML and CZML descriptions).
fn boost_sentence(fp: &Footprint) -> String {
    format!(
        "{} interceptor boost; {}.",
        fp.boost.name(),
        threat_boost_words(fp.threat_boost.name())
    )
}

/// KML document: one folder per level with its polygons, the sites, the tracks (3-D, absolute heights);
/// the document's `<description>` and `<ExtendedData>` name the boost models.
pub fn footprint_kml(fp: &Footprint) -> Result<String, RenderError> {
    let mut o = Xml::with_declaration()?;
    o.open("kml", &attrs!["xmlns" => "http://www.opengis.net/kml/2.2"])?;
    o.open("Document", &[])?;
    o.leaf("name", &[], &title(fp))?;
    o.leaf("description", &[], &boost_sentence(fp))?;
    o.open("Style", &attrs!["id" => "area"])?;
    o.open("LineStyle", &[])?;
    o.leaf("color", &[], "ff0055ff")?;
    o.leaf("width", &[], "2")?;
    o.close()?;
    o.open("PolyStyle", &[])?;
    o.leaf("color", &[], "400055ff")?;
    o.close()?;
    o.close()?;
    kml_boost_data(
        &mut o,
        &[
            ("interceptor_boost", fp.boost.name()),
            ("threat_boost", fp.threat_boost.name()),
        ],
    )?;
    for c in &fp.contours {
        o.open("Folder", &[])?;
        o.leaf("name", &[], &level_label(fp, c.level))?;
        for poly in &c.polygons {
            o.open("Placemark", &[])?;
            o.leaf("styleUrl", &[], "#area")?;
            o.open("Polygon", &[])?;
            o.leaf("tessellate", &[], "1")?;
            for (k, ring) in poly.iter().enumerate() {
                o.open(
                    if k == 0 {
                        "outerBoundaryIs"
                    } else {
                        "innerBoundaryIs"
                    },
                    &[],
                )?;
                o.open("LinearRing", &[])?;
                o.leaf("coordinates", &[], &kml_ring(ring))?;
                o.close()?;
                o.close()?;
            }
            o.close()?;
            o.close()?;
        }
        o.close()?;
    }
    o.open("Folder", &[])?;
    o.leaf("name", &[], "sites")?;
    for (name, lat, lon, _) in &fp.sites {
        o.open("Placemark", &[])?;
        o.leaf("name", &[], name)?;
        o.open("Point", &[])?;
        o.leaf("coordinates", &[], &format!("{lon},{lat},0"))?;
        o.close()?;
        o.close()?;
    }
    o.close()?;
    o.open("Folder", &[])?;
    o.leaf("name", &[], "tracks")?;
    for t in &fp.tracks {
        let coords: Vec<String> = t
            .samples
            .iter()
            .map(|s| format!("{:.5},{:.5},{:.0}", s[2], s[1], s[3]))
            .collect();
        o.open("Placemark", &[])?;
        o.leaf("name", &[], &format!("{} → {}", t.from, t.to))?;
        o.open("LineString", &[])?;
        o.leaf("altitudeMode", &[], "absolute")?;
        o.leaf("coordinates", &[], &coords.join(" "))?;
        o.close()?;
        o.close()?;
    }
    o.close()?;
    o.close()?;
    o.close()?;
    o.finish()
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

/// CZML (CesiumJS): a document packet with a clock over the longest flight (its `description` and
/// `properties` — `interceptor_boost`, `threat_boost` — name the boost models), then one packet per track
/// with a time-tagged `cartographicDegrees` position (seconds since [`CZML_EPOCH`], longitude, latitude,
/// height), a path, and a point that turns green when engaged; sites as static points.
pub fn footprint_czml(fp: &Footprint) -> Result<String, RenderError> {
    let end = fp
        .tracks
        .iter()
        .filter_map(|t| t.samples.last().map(|s| s[0]))
        .fold(60.0, f64::max);
    let mut packets = vec![json!({
        "id": "document",
        "name": title(fp),
        "version": "1.0",
        "description": boost_sentence(fp),
        "properties": {
            "interceptor_boost": fp.boost.name(),
            "threat_boost": fp.threat_boost.name(),
        },
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
                "first radar track: {}, earliest intercept: {}, engaged: {}",
                t.first_detection_s.map_or("never".into(), |s| format!("{s:.0} s")),
                t.earliest_intercept_s.map_or("none".into(), |s| format!("{s:.0} s")),
                t.engaged
            ),
            "position": {"epoch": CZML_EPOCH, "interpolationAlgorithm": "LAGRANGE", "interpolationDegree": 3, "cartographicDegrees": pos},
            "point": {"pixelSize": 8, "color": {"rgba": color}},
            "path": {"leadTime": 0, "trailTime": 3600, "width": 2, "material": {"solidColor": {"color": {"rgba": color}}}},
        }));
    }
    Ok(serde_json::to_string_pretty(&Value::Array(packets))?)
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

fn f1(v: f64) -> String {
    format!("{v:.1}")
}

/// Heat map of the grid (crossover speed, or lowest visible altitude) over Natural Earth land and
/// borders, with the contour polygons, the scenario sites, a colour bar, a legend, a graticule and a
/// scale bar. Radar coverage is drawn in an azimuthal equidistant projection centred on the radar (true
/// range from it in every direction), the engagement maps in a Lambert conformal conic fitted to the
/// grid.
pub fn footprint_svg(fp: &Footprint) -> Result<String, RenderError> {
    use render::map::{self, Frame, LegendKey, Projection};
    let g = &fp.grid;
    let coverage = fp.kind == MapKind::RadarCoverage;
    let corners: Vec<[f64; 2]> = (0..=8)
        .flat_map(|i| {
            let t = i as f64 / 8.0;
            let lon = g.lon_min_deg + t * (g.lon_max_deg - g.lon_min_deg);
            let lat = g.lat_min_deg + t * (g.lat_max_deg - g.lat_min_deg);
            [
                [lon, g.lat_min_deg],
                [lon, g.lat_max_deg],
                [g.lon_min_deg, lat],
                [g.lon_max_deg, lat],
            ]
        })
        .collect();
    let radar_at = fp
        .sites
        .iter()
        .find(|s| s.3.iter().any(|r| r == "radar"))
        .map(|s| (s.1, s.2));
    let projection = match (coverage, radar_at) {
        (true, Some((lat0, lon0))) => Projection::AzimuthalEquidistant { lat0, lon0 },
        _ => match map::suited_projection(&corners) {
            p @ Projection::LambertConformalConic { .. } => p,
            _ => map::suited_projection(&corners[..4]),
        },
    };
    let (x0, y0, w, h) = (60.0, 86.0, 820.0, 600.0);
    let f = Frame::fit(projection, corners.iter().copied(), (x0, y0, w, h), 0.02)?;
    let unit = if coverage {
        "lowest visible altitude, km"
    } else {
        "crossover burnout speed, km/s"
    };
    let value = |c: &crate::footprint::Cell| {
        if coverage {
            c.min_visible_alt_m
        } else {
            c.crossover_speed_mps
        }
    };
    // Colour range: the values present, rounded outwards to 0.5 km/s or 100 km.
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in fp.cells.iter().filter_map(value) {
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
    let shade = |v: f64| {
        let t = (v - lo) / (hi - lo);
        if coverage { t } else { 1.0 - t } // fast interceptors needed = dark
    };
    let (tw, th) = (x0 + w + 150.0, y0 + h + 60.0);
    let heading = title(fp);
    let mut o = Xml::new();
    o.open(
        "svg",
        &attrs![
            "xmlns" => "http://www.w3.org/2000/svg",
            "width" => tw,
            "height" => th,
            "viewBox" => format!("0 0 {tw} {th}"),
            "font-family" => "sans-serif",
            "font-size" => 12,
        ],
    )?;
    o.leaf("title", &[], &heading)?;
    o.empty(
        "rect",
        &attrs!["width" => "100%", "height" => "100%", "fill" => "#fff"],
    )?;
    o.leaf("text", &attrs!["x" => x0, "y" => 24, "font-size" => 15], &heading)?;
    o.leaf(
        "text",
        &attrs!["x" => x0, "y" => 42, "font-size" => 11],
        &format!(
            "Scenario {}; {}{}; {} interceptor boost, {} threat boost.",
            fp.scenario,
            network_words(fp),
            match fp.rcs_m2 {
                Some(rcs) if coverage => format!("; warhead radar cross-section {rcs} m²"),
                _ if coverage => String::new(),
                _ => format!(" at an assumed {:.2} km/s", fp.speed_mps / 1e3),
            },
            fp.boost.name(),
            fp.threat_boost.name(),
        ),
    )?;
    // The grid and projection on a line of their own: with the network and both boost models the
    // subtitle is wider than the picture.
    o.leaf(
        "text",
        &attrs!["x" => x0, "y" => 58, "font-size" => 11],
        &format!(
            "Grid every {}° ({} points); {} projection, sphere R = 6371 km.",
            g.step_deg,
            fp.cells.len(),
            projection.name()
        ),
    )?;
    o.leaf(
        "text",
        &attrs!["x" => x0, "y" => 74, "font-size" => 11],
        if coverage {
            "Colour: lowest warhead altitude the radar sees above each point (km); grey: not seen at any altitude; no refraction, clutter or discrimination."
        } else {
            "Colour: lowest interceptor burnout speed that engages a threat at each point (km/s); grey: never engaged (unseen, or out of reach); blank: beyond the missile's range."
        },
    )?;
    crate::report::basemap(&mut o, &f, g.lat_max_deg - g.lat_min_deg)?;
    o.open("g", &attrs!["clip-path" => "url(#mapframe)"])?;
    let hs = 0.5 * g.step_deg;
    // A point with no value is drawn grey when it is a real "never": the radar never sees it, or no
    // flyout reaches the warhead at any speed. Beyond the missile's range, or with no trajectory,
    // it is left blank.
    let never = |c: &crate::footprint::Cell| {
        use crate::footprint::Status;
        value(c).is_none() && matches!(c.status, Status::NotSeen | Status::Unreachable | Status::Coverage)
    };
    for c in &fp.cells {
        let fill = match value(c) {
            Some(v) => ramp(shade(v)),
            None if never(c) => NEVER_GREY.to_owned(),
            None => continue,
        };
        let quad = [
            (c.lon_deg - hs, c.lat_deg - hs),
            (c.lon_deg + hs, c.lat_deg - hs),
            (c.lon_deg + hs, c.lat_deg + hs),
            (c.lon_deg - hs, c.lat_deg + hs),
        ];
        let pts: Option<Vec<String>> = quad
            .iter()
            .map(|(lon, lat)| f.xy(*lon, *lat).map(|(x, y)| format!("{x:.1},{y:.1}")))
            .collect();
        let Some(pts) = pts else { continue };
        o.empty(
            "polygon",
            &attrs!["points" => pts.join(" "), "fill" => fill.as_str(), "fill-opacity" => 0.85, "stroke" => fill.as_str(), "stroke-width" => 0.3],
        )?;
    }
    // Contours: a dash pattern each (in level order, repeating after six), the map's speed thicker,
    // and each labelled with its level on the map.
    let assumed = |level: f64| !coverage && (level - fp.speed_mps).abs() < 1e-6;
    for (k, c) in fp.contours.iter().enumerate() {
        let width = if assumed(c.level) { 2.5 } else { 1.4 };
        o.open(
            "g",
            &attrs!["fill" => "none", "stroke" => "#d62728", "stroke-width" => width, "stroke-dasharray" => CONTOUR_DASHES[k % CONTOUR_DASHES.len()]],
        )?;
        o.leaf("title", &[], &level_label(fp, c.level))?;
        let rings: Vec<Vec<[f64; 2]>> = c.polygons.iter().flatten().cloned().collect();
        o.empty("path", &attrs!["d" => f.path(&rings)])?;
        o.close()?;
    }
    o.close()?;
    let sites: Vec<(String, f64, f64, &str)> = fp
        .sites
        .iter()
        .map(|(n, lat, lon, roles)| {
            let colour = if roles.iter().any(|r| r == "interceptor" || r == "radar") {
                "#ffffff"
            } else {
                "#000000"
            };
            (n.clone(), *lat, *lon, colour)
        })
        .collect();
    let mut taken = crate::report::draw_sites(&mut o, &f, &sites)?;
    taken.push(map::scale_bar(&mut o, &f)?);
    map::frame_close(&mut o, &f)?;
    // Colour bar.
    let bx = x0 + w + 30.0;
    let n = 50;
    for k in 0..n {
        let t = k as f64 / (n - 1) as f64;
        let v = lo + t * (hi - lo);
        let y = y0 + h * (1.0 - t) - h / n as f64;
        o.empty(
            "rect",
            &attrs!["x" => bx, "y" => f1(y), "width" => 18, "height" => format!("{:.2}", h / n as f64 + 0.5), "fill" => ramp(shade(v))],
        )?;
    }
    o.leaf(
        "text",
        &attrs!["x" => bx + 22.0, "y" => y0 + 10.0],
        &format!("{:.1}", hi / 1e3),
    )?;
    o.leaf(
        "text",
        &attrs!["x" => bx + 22.0, "y" => y0 + h],
        &format!("{:.1}", lo / 1e3),
    )?;
    o.leaf(
        "text",
        &attrs!["transform" => format!("translate({:.0},{:.0}) rotate(-90)", bx + 62.0, y0 + h / 2.0), "text-anchor" => "middle"],
        unit,
    )?;
    // Every contour level in one entry (a line each would cover the map), and the assumed speed's
    // thicker line in another.
    let levels: Vec<String> = fp
        .contours
        .iter()
        .map(|c| {
            if coverage {
                format!("{:.0}", c.level / 1e3)
            } else {
                format!("{:.1}", c.level / 1e3)
            }
        })
        .collect();
    let mut entries: Vec<(LegendKey, String)> = Vec::new();
    if !levels.is_empty() {
        entries.push((
            LegendKey::Line("#d62728".into(), 1.4, String::new()),
            if coverage {
                format!("contours: seen above {} km", levels.join(", "))
            } else {
                format!("contours at {} km/s", levels.join(", "))
            },
        ));
    }
    if fp.contours.iter().any(|c| assumed(c.level)) {
        entries.push((
            LegendKey::Line("#d62728".into(), 2.5, String::new()),
            format!("contour at the assumed {:.1} km/s", fp.speed_mps / 1e3),
        ));
    }
    if fp.cells.iter().any(never) {
        entries.push((
            LegendKey::Area(NEVER_GREY.into()),
            if coverage {
                "not seen at any altitude".into()
            } else {
                "never engaged".into()
            },
        ));
    }
    entries.extend([
        (
            LegendKey::Dot("#ffffff".into(), "#000".into()),
            "interceptor or radar site".into(),
        ),
        (
            LegendKey::Dot("#000000".into(), "#fff".into()),
            "other scenario site".into(),
        ),
        (
            LegendKey::Line("#9a8c98".into(), 0.5, "3,2".into()),
            "country border".into(),
        ),
    ]);
    map::legend(&mut o, (x0 + 8.0, y0 + 8.0), &entries)?;
    let (lw, lh) = map::legend_size(&entries);
    taken.push((x0 + 8.0, y0 + 8.0, x0 + 8.0 + lw, y0 + 8.0 + lh));
    contour_labels(&mut o, &f, fp, coverage, &taken)?;
    o.leaf(
        "text",
        &attrs!["x" => x0, "y" => y0 + h + 40.0, "font-size" => 10],
        "Contours in red at the listed levels, each with its own dash and its level written on it. Land and borders: Natural Earth 1:110m.",
    )?;
    o.close()?;
    o.finish()
}

const STYLE: &str = "body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;padding:.25em .6em;text-align:right}th{background:#eee}td:first-child,th:first-child{text-align:left}h2{margin-top:2em}code{background:#f3f3f3;padding:0 .2em}";

/// The HTML report section of a footprint (heading, map, level table, sample tracks).
pub fn footprint_section(fp: &Footprint) -> Result<Markup, RenderError> {
    let svg = footprint_svg(fp)?;
    let g = &fp.grid;
    Ok(html! {
        h2 { (title(fp)) }
        p {
            "Scenario " b { (fp.scenario) } "; " (network_words(fp))
            " at an assumed burnout speed of " (format!("{:.2}", fp.speed_mps / 1e3)) " km/s; grid "
            (g.lat_min_deg) "–" (g.lat_max_deg) "° N, " (g.lon_min_deg) "–" (g.lon_max_deg) "° E every "
            (g.step_deg) "° (" (fp.cells.len()) " points). Each point is flown and engaged on its own (fast "
            "engine: point-gravity conic, reach table computed once; see ARCHITECTURE.md). Interceptor boost "
            "model: " (fp.boost.name()) "; " (threat_boost_words(fp.threat_boost.name())) "."
        }
        @if let Some(note) = union_note(fp) {
            p { (note) }
        }
        // The SVG was written by the XML writer, which escapes every text and attribute.
        (PreEscaped(svg))
        table {
            tr { th { "level" } th { "share of grid points" } th { "polygons" } }
            @for c in &fp.contours {
                tr {
                    td { (level_label(fp, c.level)) }
                    td { (format!("{:.1} %", 100.0 * c.fraction_inside)) }
                    td { (c.polygons.len()) }
                }
            }
        }
        @if !fp.tracks.is_empty() {
            table {
                tr { th { "from" } th { "to" } th { "first track s" } th { "earliest intercept s" } th { "engaged" } }
                @for t in &fp.tracks {
                    tr {
                        td { (t.from) } td { (t.to) }
                        td { (t.first_detection_s.map_or("never".into(), |s| format!("{s:.0}"))) }
                        td { (t.earliest_intercept_s.map_or("none".into(), |s| format!("{s:.0}"))) }
                        td { (if t.engaged { "yes" } else { "no" }) }
                    }
                }
            }
        }
    })
}

/// A self-contained HTML page (no external resources) around report sections.
pub fn html_page(title: &str, sections: &[Markup]) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { (title) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                h1 { (title) }
                @for s in sections { (s) }
                p { small { "Generated by shieldwatch. Map data: Natural Earth (public domain)." } }
            }
        }
    }
    .into_string()
}

/// Summary table printed by `shieldwatch sweep`.
pub fn sweep_summary(sw: &Sweep) -> String {
    let mut t = terminal_table();
    // A parameter's path broken after its dots, so that a narrow column wraps it between its parts.
    let mut header: Vec<String> = sw.axes.iter().map(|a| a.path.replace('.', ".\n")).collect();
    if let Some(p) = sw.points.first() {
        header.extend(p.families.iter().map(|f| format!("{} engaged", f.0)));
    }
    t.set_header(header);
    // Each parameter's column at least as wide as the longest part of its path (plus the cell padding).
    for (i, axis) in sw.axes.iter().enumerate() {
        let widest = axis
            .path
            .split('.')
            .map(|p| p.chars().count() + 1)
            .max()
            .unwrap_or(1);
        if let Some(column) = t.column_mut(i) {
            column.set_constraint(comfy_table::ColumnConstraint::LowerBoundary(
                comfy_table::Width::Fixed(u16::try_from(widest + 2).unwrap_or(u16::MAX)),
            ));
        }
    }
    for p in &sw.points {
        let mut row: Vec<String> = p.values.iter().map(|v| format!("{v}")).collect();
        row.extend(p.families.iter().map(|(_, e, n)| format!("{e}/{n}")));
        t.add_row(row);
    }
    let mut out = String::new();
    prose(
        &mut out,
        &format!(
            "Sweep of {} ({} trajectories, {} interceptor boost; {})",
            sw.scenario,
            sw.shape.name(),
            sw.boost.name(),
            threat_boost_words(sw.threat_boost)
        ),
    );
    out.push_str(&format!("{t}\n"));
    out
}

/// The fixed columns of `sweep.csv`, after one column per swept parameter (named by its path).
#[derive(Debug, Clone, Default, Serialize)]
pub struct SweepRow<'a> {
    /// Threat family.
    pub threat: &'a str,
    /// Launch site.
    pub from: &'a str,
    /// Target.
    pub to: &'a str,
    /// Whether the trajectory was flown (within range, trajectory found).
    pub flown: bool,
    /// Engaged at the battery's burnout speed.
    pub engaged: bool,
    /// Lowest burnout speed that engages, m/s.
    pub crossover_speed_mps: Option<f64>,
    /// The interceptor's boost model: powered or fixed.
    pub interceptor_boost: &'a str,
    /// The threat's boost model: powered or fixed.
    pub threat_boost: &'a str,
}

/// Names of [`SweepRow`]'s columns.
const SWEEP_COLUMNS: [&str; 8] = [
    "threat",
    "from",
    "to",
    "flown",
    "engaged",
    "crossover_speed_mps",
    "interceptor_boost",
    "threat_boost",
];

/// `sweep.csv`: one row per point and trajectory; the parameter values first, one column per axis.
pub fn sweep_csv(sw: &Sweep) -> Result<String, RenderError> {
    let mut header: Vec<&str> = sw.axes.iter().map(|a| a.path.as_str()).collect();
    header.extend(SWEEP_COLUMNS);
    let rows = sw.points.iter().flat_map(|p| {
        p.outcomes.iter().map(|o| {
            (
                &p.values,
                SweepRow {
                    threat: &o.threat,
                    from: &o.from,
                    to: &o.to,
                    flown: o.flown,
                    engaged: o.engaged,
                    crossover_speed_mps: rounded(o.crossover_speed_mps, 1),
                    interceptor_boost: sw.boost.name(),
                    threat_boost: o.threat_boost.name(),
                },
            )
        })
    });
    render::csv::to_csv_with_header(&header, rows)
}

const PALETTE: [&str; 6] = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];

/// Sensitivity plot: one parameter → share engaged per threat family (lines); two parameters → heat map
/// of the share of all trajectories engaged.
pub fn sweep_svg(sw: &Sweep) -> Result<String, RenderError> {
    let (x0, y0, w, h) = (80.0, 62.0, 620.0, 380.0);
    let mut o = Xml::new();
    let paths: Vec<&str> = sw.axes.iter().map(|a| a.path.as_str()).collect();
    let heading = format!(
        "{}: share of trajectories engaged against {} ({} trajectories)",
        sw.scenario,
        paths.join(" × "),
        sw.shape.name()
    );
    let assumptions = format!(
        "Engaged: intercepted at the battery's own burnout speed (its scenario value unless swept); {} \
         interceptor boost, {} threat boost; radar as specified; every other parameter at its scenario value.",
        sw.boost.name(),
        sw.threat_boost
    );
    o.open(
        "svg",
        &attrs![
            "xmlns" => "http://www.w3.org/2000/svg",
            "width" => 1000,
            "height" => 520,
            "viewBox" => "0 0 1000 520",
            "font-family" => "sans-serif",
            "font-size" => 12,
        ],
    )?;
    o.leaf("title", &[], &heading)?;
    o.empty(
        "rect",
        &attrs!["width" => "100%", "height" => "100%", "fill" => "#fff"],
    )?;
    o.leaf("text", &attrs!["x" => 10, "y" => 22, "font-size" => 14], &heading)?;
    o.leaf(
        "text",
        &attrs!["x" => 10, "y" => 40, "fill" => "#444"],
        &assumptions,
    )?;
    let share = |e: usize, n: usize| if n == 0 { 0.0 } else { e as f64 / n as f64 };
    match sw.axes.as_slice() {
        [a] => {
            let (lo, hi) = (
                a.values.first().copied().unwrap_or(0.0),
                a.values.last().copied().unwrap_or(1.0),
            );
            let x = |v: f64| x0 + (v - lo) / (hi - lo).max(1e-300) * w;
            let y = |f: f64| y0 + (1.0 - f) * h;
            o.empty(
                "rect",
                &attrs!["x" => x0, "y" => y0, "width" => w, "height" => h, "fill" => "none", "stroke" => "#000"],
            )?;
            for k in 0..=4 {
                let f = k as f64 / 4.0;
                o.empty(
                    "line",
                    &attrs!["x1" => x0, "x2" => x0 + w, "y1" => f1(y(f)), "y2" => f1(y(f)), "stroke" => "#ddd"],
                )?;
                o.leaf(
                    "text",
                    &attrs!["x" => x0 - 6.0, "y" => f1(y(f) + 4.0), "text-anchor" => "end"],
                    &format!("{:.0} %", f * 100.0),
                )?;
            }
            for v in round_ticks(lo, hi) {
                o.empty(
                    "line",
                    &attrs!["x1" => f1(x(v)), "x2" => f1(x(v)), "y1" => y0 + h, "y2" => y0 + h + 4.0, "stroke" => "#000"],
                )?;
                o.leaf(
                    "text",
                    &attrs!["x" => f1(x(v)), "y" => y0 + h + 16.0, "text-anchor" => "middle"],
                    &fmt_num(v),
                )?;
            }
            o.leaf(
                "text",
                &attrs!["x" => f1(x0 + w / 2.0), "y" => y0 + h + 36.0, "text-anchor" => "middle"],
                &a.path,
            )?;
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
                o.empty(
                    "polyline",
                    &attrs!["points" => pts.join(" "), "fill" => "none", "stroke" => c, "stroke-width" => 2],
                )?;
                let name = sw
                    .points
                    .first()
                    .map_or(String::new(), |p| p.families[f].0.clone());
                o.empty(
                    "rect",
                    &attrs!["x" => x0 + w + 15.0, "y" => y0 + 10.0 + 20.0 * f as f64, "width" => 14, "height" => 3, "fill" => c],
                )?;
                o.leaf(
                    "text",
                    &attrs!["x" => x0 + w + 34.0, "y" => y0 + 14.0 + 20.0 * f as f64],
                    &name,
                )?;
            }
        }
        [a, b] => {
            let (na, nb) = (a.values.len(), b.values.len());
            let (cw, ch) = (w / nb as f64, h / na as f64);
            for (k, p) in sw.points.iter().enumerate() {
                let (i, j) = (k / nb, k % nb);
                let (e, n) = p.families.iter().fold((0, 0), |(e, n), f| (e + f.1, n + f.2));
                let f = share(e, n);
                o.open(
                    "rect",
                    &attrs![
                        "x" => f1(x0 + j as f64 * cw),
                        "y" => f1(y0 + (na - 1 - i) as f64 * ch),
                        "width" => f1(cw + 0.3),
                        "height" => f1(ch + 0.3),
                        "fill" => ramp(f),
                    ],
                )?;
                o.leaf(
                    "title",
                    &[],
                    &format!(
                        "{} = {}, {} = {}: {:.0} %",
                        a.path,
                        fmt_num(p.values[0]),
                        b.path,
                        fmt_num(p.values[1]),
                        100.0 * f
                    ),
                )?;
                o.close()?;
            }
            for (j, v) in b.values.iter().enumerate() {
                o.leaf(
                    "text",
                    &attrs!["x" => f1(x0 + (j as f64 + 0.5) * cw), "y" => y0 + h + 14.0, "text-anchor" => "middle", "font-size" => 10],
                    &fmt_num(*v),
                )?;
            }
            for (i, v) in a.values.iter().enumerate() {
                o.leaf(
                    "text",
                    &attrs!["x" => x0 - 4.0, "y" => f1(y0 + (na as f64 - i as f64 - 0.5) * ch + 4.0), "text-anchor" => "end", "font-size" => 10],
                    &fmt_num(*v),
                )?;
            }
            o.leaf(
                "text",
                &attrs!["x" => f1(x0 + w / 2.0), "y" => y0 + h + 34.0, "text-anchor" => "middle"],
                &b.path,
            )?;
            o.leaf(
                "text",
                &attrs!["transform" => format!("translate(14,{:.0}) rotate(-90)", y0 + h / 2.0), "text-anchor" => "middle"],
                &a.path,
            )?;
            for k in 0..50 {
                let f = k as f64 / 49.0;
                o.empty(
                    "rect",
                    &attrs!["x" => x0 + w + 20.0, "y" => f1(y0 + h * (1.0 - f) - h / 50.0), "width" => 18, "height" => format!("{:.2}", h / 50.0 + 0.5), "fill" => ramp(f)],
                )?;
            }
            o.leaf(
                "text",
                &attrs!["x" => x0 + w + 42.0, "y" => y0 + 10.0],
                "100 % engaged",
            )?;
            o.leaf("text", &attrs!["x" => x0 + w + 42.0, "y" => y0 + h], "0 %")?;
        }
        _ => {}
    }
    o.close()?;
    o.finish()
}

/// Axis ticks at round values (1, 2 or 5 times a power of ten apart, four to ten of them) from `lo` to
/// `hi`; the two ends alone when the span is empty or not finite.
fn round_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let span = hi - lo;
    if !(span.is_finite() && span > 0.0) {
        return vec![lo, hi];
    }
    let mag = 10f64.powf((span / 4.0).log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * mag)
        .find(|st| span / st <= 10.0 && span / st >= 4.0)
        .unwrap_or(mag);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
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
    let mut out = String::new();
    prose(
        &mut out,
        &format!(
            "Monte Carlo over {} ({} samples, seed {}; {} parameters drawn uniformly within their ranges; {} interceptor boost, {} threat boost)",
            mc.scenario,
            mc.samples,
            mc.seed,
            mc.parameters.len(),
            mc.boost.name(),
            mc.threat_boost
        ),
    );
    // One table per threat family, named above it (the family's name would take a third of the width
    // of every row).
    let flown: Vec<_> = mc.pairs.iter().filter(|p| p.flown > 0).collect();
    for family in crate::report::first_seen(flown.iter().map(|p| p.threat.as_str())) {
        let mut t = terminal_table();
        t.set_header(vec!["from", "to", "P(engaged)", "engaged / samples"]);
        for p in flown.iter().filter(|p| p.threat == family) {
            t.add_row(vec![
                p.from.clone(),
                p.to.clone(),
                format!("{:.2}", p.probability),
                format!("{}/{}", p.engaged, mc.samples),
            ]);
        }
        out.push('\n');
        prose(&mut out, &format!("{family}:"));
        out.push_str(&format!("{t}\n"));
    }
    out
}

/// One row of `montecarlo.csv`: a launch site → target pair.
#[derive(Debug, Clone, Default, Serialize)]
pub struct McRow<'a> {
    /// Threat family.
    pub threat: &'a str,
    /// Launch site.
    pub from: &'a str,
    /// Target.
    pub to: &'a str,
    /// Samples in which it was flown.
    pub flown_samples: usize,
    /// Samples in which it was engaged.
    pub engaged_samples: usize,
    /// Number of samples.
    pub samples: usize,
    /// engaged_samples / samples.
    pub probability: f64,
}

/// `montecarlo.csv`: one row per launch site → target pair ([`McRow`]).
pub fn mc_csv(mc: &MonteCarlo) -> Result<String, RenderError> {
    render::csv::to_csv(mc.pairs.iter().map(|p| McRow {
        threat: &p.threat,
        from: &p.from,
        to: &p.to,
        flown_samples: p.flown,
        engaged_samples: p.engaged,
        samples: mc.samples,
        probability: p.probability,
    }))
}

/// Engagement probability as a launch site × target matrix per threat family (SVG).
pub fn mc_svg(mc: &MonteCarlo) -> Result<String, RenderError> {
    let flown = || mc.pairs.iter().filter(|p| p.flown > 0);
    let froms = crate::report::first_seen(flown().map(|p| p.from.as_str()));
    let tos = crate::report::first_seen(flown().map(|p| p.to.as_str()));
    let (x0, y0, cw, ch) = (110.0, 124.0, 34.0, 22.0);
    let (tw, th) = (
        (x0 + cw * tos.len() as f64 + 120.0).max(620.0),
        y0 + ch * froms.len() as f64 + 40.0,
    );
    let heading = format!(
        "{}: P(engaged) per launch site and target, {} samples, seed {}",
        mc.scenario, mc.samples, mc.seed
    );
    let mut o = Xml::new();
    o.open(
        "svg",
        &attrs![
            "xmlns" => "http://www.w3.org/2000/svg",
            "width" => format!("{tw:.0}"),
            "height" => format!("{th:.0}"),
            "viewBox" => format!("0 0 {tw:.0} {th:.0}"),
            "font-family" => "sans-serif",
            "font-size" => 11,
        ],
    )?;
    o.leaf("title", &[], &heading)?;
    o.empty(
        "rect",
        &attrs!["width" => "100%", "height" => "100%", "fill" => "#fff"],
    )?;
    o.leaf("text", &attrs!["x" => 10, "y" => 20, "font-size" => 13], &heading)?;
    o.leaf(
        "text",
        &attrs!["x" => 10, "y" => 36, "font-size" => 10],
        "Rows: launch sites; columns: targets; colour from dark (0) to yellow (1); blank: never flown.",
    )?;
    o.leaf(
        "text",
        &attrs!["x" => 10, "y" => 50, "font-size" => 10],
        &format!(
            "Each sample draws {} uniformly within {} sourced range{}; {} interceptor boost, {} threat boost; \
             engaged: intercepted at the sample's battery burnout speed, radar as specified.",
            match mc.parameters.len() {
                1 => "1 parameter".to_string(),
                n => format!("{n} parameters"),
            },
            if mc.parameters.len() == 1 { "its" } else { "their" },
            if mc.parameters.len() == 1 { "" } else { "s" },
            mc.boost.name(),
            mc.threat_boost
        ),
    )?;
    for (j, t) in tos.iter().enumerate() {
        o.leaf(
            "text",
            &attrs!["transform" => format!("translate({:.1},{:.1}) rotate(-60)", x0 + (j as f64 + 0.5) * cw, y0 - 4.0)],
            t,
        )?;
    }
    for (i, f) in froms.iter().enumerate() {
        o.leaf(
            "text",
            &attrs!["x" => x0 - 4.0, "y" => f1(y0 + (i as f64 + 0.7) * ch), "text-anchor" => "end"],
            f,
        )?;
    }
    for p in mc.pairs.iter().filter(|p| p.flown > 0) {
        let (Some(i), Some(j)) = (
            froms.iter().position(|f| *f == p.from),
            tos.iter().position(|t| *t == p.to),
        ) else {
            continue;
        };
        o.open(
            "rect",
            &attrs!["x" => f1(x0 + j as f64 * cw), "y" => f1(y0 + i as f64 * ch), "width" => cw, "height" => ch, "fill" => ramp(p.probability), "stroke" => "#fff"],
        )?;
        o.leaf(
            "title",
            &[],
            &format!("{} → {} ({}): {:.2}", p.from, p.to, p.threat, p.probability),
        )?;
        o.close()?;
    }
    o.close()?;
    o.finish()
}

/// HTML report section of a sweep.
pub fn sweep_section(sw: &Sweep) -> Result<Markup, RenderError> {
    let svg = sweep_svg(sw)?;
    let families: Vec<&str> = sw
        .points
        .first()
        .map(|p| p.families.iter().map(|f| f.0.as_str()).collect())
        .unwrap_or_default();
    Ok(html! {
        h2 { "Sensitivity: " (sw.axes.iter().map(|a| a.path.as_str()).collect::<Vec<_>>().join(" × ")) }
        // The SVG was written by the XML writer, which escapes every text and attribute.
        (PreEscaped(svg))
        table {
            tr {
                @for a in &sw.axes { th { (a.path) } }
                @for f in &families { th { (f) " engaged" } }
            }
            @for p in &sw.points {
                tr {
                    @for v in &p.values { td { (fmt_num(*v)) } }
                    @for (_, e, n) in &p.families { td { (e) "/" (n) } }
                }
            }
        }
    })
}

/// HTML report section of a Monte Carlo run.
pub fn mc_section(mc: &MonteCarlo) -> Result<Markup, RenderError> {
    let svg = mc_svg(mc)?;
    Ok(html! {
        h2 { "Monte Carlo: probability of engagement" }
        p { (mc.samples) " samples from seed " (mc.seed) "; each draws these parameters uniformly within their ranges:" }
        table {
            tr { th { "parameter" } th { "low" } th { "high" } }
            @for (p, [lo, hi]) in &mc.parameters {
                tr { td { (p) } td { (fmt_num(*lo)) } td { (fmt_num(*hi)) } }
            }
        }
        (PreEscaped(svg))
    })
}

/// Every file of a footprint's output folder.
pub fn footprint_files(fp: &Footprint) -> Result<Vec<OutputFile>, RenderError> {
    let mut files = vec![
        OutputFile::new("footprint.json", serde_json::to_string_pretty(fp)?),
        OutputFile::new("footprint.csv", footprint_csv(fp)?),
        OutputFile::new("footprint.geojson", footprint_geojson(fp)?),
        OutputFile::new("footprint.kml", footprint_kml(fp)?),
        OutputFile::new("footprint.czml", footprint_czml(fp)?),
        OutputFile::new(
            "report.html",
            html_page(
                &format!("shieldwatch footprint — {}", fp.scenario),
                &[footprint_section(fp)?],
            ),
        ),
    ];
    files.extend(render::png::svg_and_png("footprint.svg", footprint_svg(fp)?)?);
    Ok(files)
}

/// Every file of a sweep's output folder.
pub fn sweep_files(sw: &Sweep) -> Result<Vec<OutputFile>, RenderError> {
    let mut files = vec![
        OutputFile::new("sweep.json", serde_json::to_string_pretty(sw)?),
        OutputFile::new("sweep.csv", sweep_csv(sw)?),
        OutputFile::new(
            "report.html",
            html_page(
                &format!("shieldwatch sweep — {}", sw.scenario),
                &[sweep_section(sw)?],
            ),
        ),
    ];
    files.extend(render::png::svg_and_png("sensitivity.svg", sweep_svg(sw)?)?);
    Ok(files)
}

/// Every file of a Monte Carlo run's output folder.
pub fn mc_files(mc: &MonteCarlo) -> Result<Vec<OutputFile>, RenderError> {
    let mut files = vec![
        OutputFile::new("montecarlo.json", serde_json::to_string_pretty(mc)?),
        OutputFile::new("montecarlo.csv", mc_csv(mc)?),
        OutputFile::new(
            "report.html",
            html_page(
                &format!("shieldwatch Monte Carlo — {}", mc.scenario),
                &[mc_section(mc)?],
            ),
        ),
    ];
    files.extend(render::png::svg_and_png("montecarlo.svg", mc_svg(mc)?)?);
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::round_ticks;

    #[test]
    fn sweep_axis_ticks_are_round_values_within_the_span() {
        assert_eq!(
            round_ticks(30.0, 600.0),
            vec![100.0, 200.0, 300.0, 400.0, 500.0, 600.0]
        );
        assert_eq!(
            round_ticks(5400.0, 9000.0),
            vec![5500.0, 6000.0, 6500.0, 7000.0, 7500.0, 8000.0, 8500.0, 9000.0]
        );
        for (lo, hi) in [(0.0, 1.0), (0.5, 3.5), (-2.0, 7.0), (1e5, 2e5), (0.01, 0.05)] {
            let t = round_ticks(lo, hi);
            assert!((4..=11).contains(&t.len()), "{lo}..{hi}: {t:?}");
            assert!(
                t.iter().all(|v| *v >= lo - 1e-9 && *v <= hi + 1e-9),
                "{lo}..{hi}: {t:?}"
            );
        }
        assert_eq!(round_ticks(5.0, 5.0), vec![5.0, 5.0]);
    }
}
