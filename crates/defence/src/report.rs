//! Renders a [`Study`] for people and tools: text tables, CSV, GeoJSON, KML, SVG plots and one
//! self-contained HTML report. Pure functions from a study to strings; writing files is the caller's job.

use render::map::Frame;
use render::xml::Xml;
use render::{RenderError, attrs};

use crate::study::{Study, ThreatResult};

fn km(m: f64) -> String {
    if m.is_finite() {
        format!("{:.0}", m / 1e3)
    } else {
        "–".into()
    }
}

fn opt_kms(v: Option<f64>) -> String {
    v.map_or("never".into(), |x| format!("{:.2}", x / 1e3))
}

/// The note a study, comparison or chart under the fixed boost carries: its crossover speeds are shown
/// as computed, but the fixed boost gives a slow interceptor its burnout height and downrange for free.
pub const FIXED_BOOST_NOTE: &str = "Note: under the fixed boost every interceptor burns out at the scenario's burnout height and downrange whatever its speed, which no slow rocket reaches: crossover speeds below the disputed range are not physical (use --boost powered)";

/// Columns of the terminal the summary is written for: its prose is wrapped to this width (its tables
/// are built to fit it; `tests/snapshots_outputs.rs` holds both to it).
pub const SUMMARY_COLUMNS: usize = 80;

/// Appends `text` to `out` word-wrapped to [`SUMMARY_COLUMNS`] (display width), ending with a newline.
pub(crate) fn prose(out: &mut String, text: &str) {
    out.push_str(&textwrap::fill(text, SUMMARY_COLUMNS));
    out.push('\n');
}

/// The distinct names of `names` in the order they first appear (threat families, launch areas:
/// the order a scenario lists them in, which every table of a summary keeps).
pub(crate) fn first_seen<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen: Vec<&str> = Vec::new();
    for n in names {
        if !seen.contains(&n) {
            seen.push(n);
        }
    }
    seen
}

/// A table for a terminal summary: condensed UTF-8 borders, cells wrapped so that the table is at most
/// [`SUMMARY_COLUMNS`] wide (a sweep's parameter paths would otherwise make it 150 columns).
pub(crate) fn terminal_table() -> comfy_table::Table {
    let mut t = comfy_table::Table::new();
    t.load_style(comfy_table::presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
        .set_width(SUMMARY_COLUMNS as u16);
    t
}

fn opt_km(v: Option<f64>) -> String {
    v.map_or("never".into(), |x| format!("{:.0}", x / 1e3))
}

/// Headings of the crossover tables of [`summary`], one table per missile and trajectory shape (named
/// above it); [`crossover_row`] gives one cell under each (the array types make a heading without a
/// cell, or a cell without a heading, a compile error). The two radar variants share a cell, "specified
/// / most capable", as in the table of engageable trajectories, so that a table fits an 80-column
/// terminal.
pub const CROSSOVER_HEADER: [&str; 6] = [
    "from",
    "to",
    "range\nkm",
    "flight\ns",
    "first track s\nspec. / best",
    "crossover km/s\nspec. / best",
];

/// A track shorter than this (s) is called brief in the summary: [`brief_track_notes`].
pub const BRIEF_TRACK_S: f64 = 10.0;

/// Under a crossover table, the trajectories engaged on a brief track (under [`BRIEF_TRACK_S`] of
/// radar visibility in all), for each radar variant, with their tracked time: the engagement model
/// lets a first track of any length commit the battery, which an analyst should see where it decides
/// the answer.
fn brief_track_notes(out: &mut String, rows: &[&ThreatResult]) {
    type Pick = fn(&ThreatResult) -> &crate::study::Cue;
    let variants: [(&str, Pick); 2] = [
        ("radar as specified", |r| &r.specified),
        ("radar at its most capable", |r| &r.most_capable),
    ];
    for (words, cue) in variants {
        let brief: Vec<String> = rows
            .iter()
            .filter(|r| cue(r).crossover_speed_mps.is_some() && cue(r).tracked_s < BRIEF_TRACK_S)
            .map(|r| format!("{} → {} {:.1} s", r.from, r.to, cue(r).tracked_s))
            .collect();
        if !brief.is_empty() {
            prose(
                out,
                &format!(
                    "Engaged on a track of under {BRIEF_TRACK_S:.0} s ({words}): {}. The radar sees the warhead only that long, at the edge of its coverage; these crossovers assume such a glimpse is enough to commit the battery (tracked_s in engagements.csv).",
                    brief.join(", ")
                ),
            );
        }
    }
}

/// One row of the crossover table, under [`CROSSOVER_HEADER`].
pub fn crossover_row(r: &ThreatResult) -> [String; 6] {
    let track = |x: Option<f64>| x.map_or("never".into(), |x| format!("{x:.0}"));
    [
        r.from.clone(),
        r.to.clone(),
        km(r.range_m),
        format!("{:.0}", r.flight_time_s),
        format!(
            "{} / {}",
            track(r.specified.first_detection_s),
            track(r.most_capable.first_detection_s)
        ),
        format!(
            "{} / {}",
            opt_kms(r.specified.crossover_speed_mps),
            opt_kms(r.most_capable.crossover_speed_mps)
        ),
    ]
}

/// The summary tables printed by `shieldwatch study`.
pub fn summary(study: &Study) -> String {
    use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
    let mut out = String::new();
    prose(
        &mut out,
        &format!(
            "Study of {} (radar {}, battery {}, {} gravity)",
            study.scenario, study.radar, study.interceptor, study.gravity
        ),
    );
    prose(&mut out, &format!("Boost model: {}", study.boost_model));
    if let Some(z) = &study.sized_interceptor {
        prose(
            &mut out,
            &format!(
                "Interceptor {} sized to {:.2} km/s: liftoff {:.0} kg ({:.0} kg propellant), burnout at {:.0} s, {:.0} km up, {:.0} km downrange, losses {:.0} m/s",
                z.vehicle,
                z.burnout_speed_mps / 1e3,
                z.liftoff_mass_kg,
                z.propellant_kg,
                z.burnout_time_s,
                z.burnout_alt_m / 1e3,
                z.burnout_downrange_m / 1e3,
                z.losses_mps
            ),
        );
    }
    out.push('\n');

    // (1) and (2): crossover speeds per launch site and target, one table per missile and shape in the
    // order the study flew them.
    prose(
        &mut out,
        "Crossover speed: the lowest interceptor burnout speed engaging each trajectory",
    );
    prose(
        &mut out,
        "(spec. = radar as specified; best = radar at the most capable end of its ranges)",
    );
    let flown: Vec<&ThreatResult> = study.threats.iter().filter(|r| r.skipped.is_none()).collect();
    let mut groups: Vec<(&str, &str, Vec<&ThreatResult>)> = Vec::new();
    for r in flown {
        let shape = r.shape.name();
        match groups
            .iter_mut()
            .find(|(m, s, _)| *m == r.missile.as_str() && *s == shape)
        {
            Some(g) => g.2.push(r),
            None => groups.push((r.missile.as_str(), shape, vec![r])),
        }
    }
    for (missile, shape, rows) in groups {
        let mut t = Table::new();
        t.load_style(UTF8_FULL_CONDENSED);
        t.set_header(CROSSOVER_HEADER.to_vec());
        for r in &rows {
            t.add_row(crossover_row(r).to_vec());
        }
        align_right(&mut t, 2..CROSSOVER_HEADER.len());
        let n = rows.len();
        let noun = if n == 1 { "trajectory" } else { "trajectories" };
        out.push_str(&format!("\n{missile}, {shape} ({n} {noun})\n{t}\n"));
        brief_track_notes(&mut out, &rows);
    }
    if study.boost == crate::boost::BoostModel::Fixed {
        prose(&mut out, FIXED_BOOST_NOTE);
    }
    out.push('\n');

    // Answers per speed.
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED);
    let mut header = vec!["launch\ncountry".to_string(), "flown".to_string()];
    header.extend(study.speeds_mps.iter().map(|v| format!("{:.1}\nkm/s", v / 1e3)));
    t.set_header(header);
    let mut countries: Vec<&str> = study.threats.iter().map(|r| r.from_country.as_str()).collect();
    countries.sort();
    countries.dedup();
    for c in countries {
        let flown: Vec<&ThreatResult> = study
            .threats
            .iter()
            .filter(|r| r.from_country == c && r.skipped.is_none())
            .collect();
        let mut row = vec![c.to_string(), flown.len().to_string()];
        for &v in &study.speeds_mps {
            let spec = flown
                .iter()
                .filter(|r| r.specified.windows.iter().any(|w| w.speed_mps == v))
                .count();
            let best = flown
                .iter()
                .filter(|r| r.most_capable.windows.iter().any(|w| w.speed_mps == v))
                .count();
            row.push(format!("{spec} / {best}"));
        }
        t.add_row(row);
    }
    align_right(&mut t, 1..2 + study.speeds_mps.len());
    prose(
        &mut out,
        "Engageable trajectories by burnout speed (radar as specified / most capable)",
    );
    out.push_str(&format!("{t}\n\n"));

    // (3) coverage.
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED);
    t.set_header(vec![
        "launch area",
        "country",
        "distance\nkm",
        "RCS\nm²",
        "lowest seen km\nspec. / best",
    ]);
    for c in &study.coverage {
        t.add_row(vec![
            c.site.clone(),
            c.country.clone(),
            km(c.distance_m),
            format!("{}", c.rcs_m2),
            format!("{} / {}", opt_km(c.specified_alt_m), opt_km(c.most_capable_alt_m)),
        ]);
    }
    align_right(&mut t, 2..5);
    out.push_str(&format!(
        "What the radar sees above each launch area (lowest visible warhead altitude)\n{t}\n"
    ));
    let skipped = study.threats.iter().filter(|r| r.skipped.is_some()).count();
    if skipped > 0 {
        out.push('\n');
        prose(
            &mut out,
            &format!(
                "{skipped} trajectories not flown (beyond the missile's range or no solution): see engagements.csv"
            ),
        );
    }
    out
}

/// Right-aligns the columns `cols` of `t` (numbers, so that their digits line up).
fn align_right(t: &mut comfy_table::Table, cols: std::ops::Range<usize>) {
    for i in cols {
        if let Some(c) = t.column_mut(i) {
            c.set_cell_alignment(comfy_table::CellAlignment::Right);
        }
    }
}

/// Rounds to `digits` decimals for tables meant for people and spreadsheets; `None` when not finite.
fn round(x: f64, digits: i32) -> Option<f64> {
    let k = 10f64.powi(digits);
    // `+ 0.0` turns a negative zero into zero, which spreadsheets and people read as it is.
    x.is_finite().then(|| (x * k).round() / k + 0.0)
}

/// One row of `engagements.csv`: a trajectory, a radar variant and an assumed interceptor burnout
/// speed. The CSV header is these field names, in this order (README, "Output files").
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct EngagementRow<'a> {
    /// Threat family name from the scenario.
    pub threat: &'a str,
    /// Missile type.
    pub missile: &'a str,
    /// Trajectory shape: min-energy, lofted or depressed.
    pub shape: &'static str,
    /// Launch site.
    pub from: &'a str,
    /// Launch site's country code.
    pub from_country: &'a str,
    /// Target site.
    pub to: &'a str,
    /// Launch site latitude, degrees (WGS84).
    pub from_lat_deg: f64,
    /// Launch site longitude, degrees.
    pub from_lon_deg: f64,
    /// Target latitude, degrees.
    pub to_lat_deg: f64,
    /// Target longitude, degrees.
    pub to_lon_deg: f64,
    /// Ground range launch → target, km.
    pub range_km: Option<f64>,
    /// Why the trajectory was not flown (empty when flown).
    pub skipped: Option<&'a str>,
    /// Time of flight, s.
    pub flight_time_s: Option<f64>,
    /// Apogee height above the ellipsoid, km.
    pub apogee_km: Option<f64>,
    /// `specified` (radar as specified) or `most_capable` (capable end of its ranges).
    pub radar_variant: &'static str,
    /// First radar track, s since launch (empty: never tracked).
    pub first_detection_s: Option<f64>,
    /// Warhead height at first track, km.
    pub first_detection_alt_km: Option<f64>,
    /// Total tracked time, s (empty: the trajectory was not flown).
    pub tracked_s: Option<f64>,
    /// Lowest burnout speed that engages this trajectory at all, m/s (empty: none).
    pub crossover_speed_mps: Option<f64>,
    /// The assumed interceptor burnout speed of this row, m/s.
    pub speed_mps: f64,
    /// Whether the trajectory is engageable at `speed_mps`.
    pub engageable: bool,
    /// Earliest intercept, s since threat launch.
    pub earliest_intercept_s: Option<f64>,
    /// Latest intercept, s since threat launch.
    pub latest_intercept_s: Option<f64>,
    /// Height of the earliest intercept, km.
    pub intercept_alt_km: Option<f64>,
    /// Latitude of the earliest intercept point, degrees.
    pub intercept_lat_deg: Option<f64>,
    /// Longitude of the earliest intercept point, degrees.
    pub intercept_lon_deg: Option<f64>,
    /// Closing speed at the earliest intercept, m/s.
    pub closing_speed_mps: Option<f64>,
    /// Shoot-look-shoot opportunities in the window.
    pub shots: Option<u32>,
}

/// The rows of `engagements.csv`: every trajectory × radar variant × assumed speed.
pub fn engagement_rows(study: &Study) -> Vec<EngagementRow<'_>> {
    let site = |name: &str| study.sites.get(name).map_or((f64::NAN, f64::NAN), |s| (s.0, s.1));
    let mut rows = Vec::new();
    for r in &study.threats {
        let (from_lat, from_lon) = site(&r.from);
        let (to_lat, to_lon) = site(&r.to);
        for (variant, cue) in [("specified", &r.specified), ("most_capable", &r.most_capable)] {
            for &v in &study.speeds_mps {
                let win = cue.windows.iter().find(|w| w.speed_mps == v);
                rows.push(EngagementRow {
                    threat: &r.threat,
                    missile: &r.missile,
                    shape: r.shape.name(),
                    from: &r.from,
                    from_country: &r.from_country,
                    to: &r.to,
                    from_lat_deg: from_lat,
                    from_lon_deg: from_lon,
                    to_lat_deg: to_lat,
                    to_lon_deg: to_lon,
                    range_km: round(r.range_m / 1e3, 1),
                    skipped: r.skipped.as_deref(),
                    flight_time_s: round(r.flight_time_s, 3),
                    apogee_km: round(r.apogee_alt_m / 1e3, 3),
                    radar_variant: variant,
                    first_detection_s: cue.first_detection_s.and_then(|x| round(x, 3)),
                    first_detection_alt_km: cue.first_detection_alt_m.and_then(|x| round(x / 1e3, 3)),
                    // A trajectory not flown has no track at all, not a track of 0 s.
                    tracked_s: r.skipped.is_none().then(|| round(cue.tracked_s, 1)).flatten(),
                    crossover_speed_mps: cue.crossover_speed_mps.and_then(|x| round(x, 1)),
                    speed_mps: v,
                    engageable: win.is_some(),
                    earliest_intercept_s: win.and_then(|w| round(w.earliest_intercept_s, 3)),
                    latest_intercept_s: win.and_then(|w| round(w.latest_intercept_s, 3)),
                    intercept_alt_km: win.and_then(|w| round(w.earliest_alt_m / 1e3, 3)),
                    intercept_lat_deg: win.and_then(|w| round(w.intercept_lat_deg, 5)),
                    intercept_lon_deg: win.and_then(|w| round(w.intercept_lon_deg, 5)),
                    closing_speed_mps: win.and_then(|w| round(w.closing_speed_mps, 1)),
                    shots: win.map(|w| w.shots),
                });
            }
        }
    }
    rows
}

/// `engagements.csv`: one row per trajectory, radar variant and speed ([`EngagementRow`]).
pub fn engagements_csv(study: &Study) -> Result<String, render::RenderError> {
    render::csv::to_csv(engagement_rows(study))
}

/// One row of `coverage.csv`: what the radar sees above a launch area.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct CoverageRow<'a> {
    /// Launch site.
    pub site: &'a str,
    /// Its country code.
    pub country: &'a str,
    /// Latitude, degrees (WGS84).
    pub lat_deg: f64,
    /// Longitude, degrees.
    pub lon_deg: f64,
    /// Geodesic distance from the radar, km.
    pub distance_km: Option<f64>,
    /// Warhead radar cross-section assumed, m².
    pub rcs_m2: f64,
    /// Lowest visible warhead height with the radar as specified, km (empty: never seen).
    pub lowest_visible_alt_km_specified: Option<f64>,
    /// The same with the radar at the capable end of its ranges, km.
    pub lowest_visible_alt_km_most_capable: Option<f64>,
}

/// `coverage.csv`: one row per launch area ([`CoverageRow`]).
pub fn coverage_csv(study: &Study) -> Result<String, render::RenderError> {
    render::csv::to_csv(study.coverage.iter().map(|c| CoverageRow {
        site: &c.site,
        country: &c.country,
        lat_deg: c.lat_deg,
        lon_deg: c.lon_deg,
        distance_km: round(c.distance_m / 1e3, 1),
        rcs_m2: c.rcs_m2,
        lowest_visible_alt_km_specified: c.specified_alt_m.and_then(|x| round(x / 1e3, 3)),
        lowest_visible_alt_km_most_capable: c.most_capable_alt_m.and_then(|x| round(x / 1e3, 3)),
    }))
}

/// A GeoJSON feature from a geometry and its properties.
pub(crate) fn feature(
    geometry: geojson::Geometry,
    properties: impl IntoIterator<Item = (&'static str, serde_json::Value)>,
) -> geojson::Feature {
    let mut f = geojson::Feature::from(geometry);
    for (k, v) in properties {
        f.set_property(k, v);
    }
    f
}

/// GeoJSON FeatureCollection (RFC 7946, WGS84 longitude/latitude, heights in metres): sites, threat
/// tracks (3-D) and earliest intercept points.
pub fn geojson(study: &Study) -> Result<String, RenderError> {
    use geojson::Geometry;
    use serde_json::json;
    let mut features = Vec::new();
    for (name, (lat, lon, roles)) in &study.sites {
        features.push(feature(
            Geometry::new_point([*lon, *lat]),
            [
                ("kind", json!("site")),
                ("name", json!(name)),
                ("roles", json!(roles)),
            ],
        ));
    }
    for r in study.threats.iter().filter(|r| r.skipped.is_none()) {
        features.push(feature(
            Geometry::new_multi_line_string(render::map::split_antimeridian(
                r.track.iter().map(|p| [p.lon_deg, p.lat_deg, p.alt_m]),
            )),
            [
                ("kind", json!("track")),
                ("threat", json!(r.threat)),
                ("shape", json!(r.shape.name())),
                ("from", json!(r.from)),
                ("to", json!(r.to)),
                ("flight_time_s", json!(r.flight_time_s)),
                ("apogee_km", json!(r.apogee_alt_m / 1e3)),
                (
                    "crossover_speed_mps_specified",
                    json!(r.specified.crossover_speed_mps),
                ),
                (
                    "crossover_speed_mps_most_capable",
                    json!(r.most_capable.crossover_speed_mps),
                ),
            ],
        ));
        for w in &r.most_capable.windows {
            features.push(feature(
                Geometry::new_point([w.intercept_lon_deg, w.intercept_lat_deg, w.earliest_alt_m]),
                [
                    ("kind", json!("intercept")),
                    ("from", json!(r.from)),
                    ("to", json!(r.to)),
                    ("speed_mps", json!(w.speed_mps)),
                    ("time_s", json!(w.earliest_intercept_s)),
                    ("closing_speed_mps", json!(w.closing_speed_mps)),
                    ("radar", json!("most_capable")),
                ],
            ));
        }
    }
    Ok(serde_json::to_string_pretty(&geojson::FeatureCollection::new(
        features,
    ))?)
}

/// KML document: sites, 3-D tracks (absolute altitude) and intercept points, for Google Earth; the
/// document's `<description>` and `<ExtendedData>` (`interceptor_boost`, `boost_model`) name the boost
/// model.
pub fn kml(study: &Study) -> Result<String, RenderError> {
    let mut k = Xml::with_declaration()?;
    k.open("kml", &attrs!["xmlns" => "http://www.opengis.net/kml/2.2"])?;
    k.open("Document", &[])?;
    k.leaf("name", &[], &study.scenario)?;
    k.leaf("description", &[], &format!("Boost model: {}", study.boost_model))?;
    k.open("Style", &attrs!["id" => "track"])?;
    k.open("LineStyle", &[])?;
    k.leaf("color", &[], "ff0000ff")?;
    k.leaf("width", &[], "2")?;
    k.close()?;
    k.close()?;
    crate::maps::kml_boost_data(
        &mut k,
        &[
            ("interceptor_boost", study.boost.name()),
            ("boost_model", &study.boost_model),
        ],
    )?;
    k.open("Folder", &[])?;
    k.leaf("name", &[], "Sites")?;
    for (name, (lat, lon, roles)) in &study.sites {
        k.open("Placemark", &[])?;
        k.leaf("name", &[], name)?;
        k.leaf("description", &[], &roles.join(", "))?;
        k.open("Point", &[])?;
        k.leaf("coordinates", &[], &format!("{lon},{lat},0"))?;
        k.close()?;
        k.close()?;
    }
    k.close()?;
    k.open("Folder", &[])?;
    k.leaf("name", &[], "Threat tracks")?;
    for r in study.threats.iter().filter(|r| r.skipped.is_none()) {
        for part in render::map::split_antimeridian(r.track.iter().map(|p| [p.lon_deg, p.lat_deg, p.alt_m])) {
            let coords: Vec<String> = part
                .iter()
                .map(|p| format!("{},{},{:.0}", p[0], p[1], p[2]))
                .collect();
            k.open("Placemark", &[])?;
            k.leaf("name", &[], &format!("{} → {}", r.from, r.to))?;
            k.leaf("styleUrl", &[], "#track")?;
            k.open("LineString", &[])?;
            k.leaf("altitudeMode", &[], "absolute")?;
            k.leaf("coordinates", &[], &coords.join(" "))?;
            k.close()?;
            k.close()?;
        }
    }
    k.close()?;
    k.open("Folder", &[])?;
    k.leaf("name", &[], "Earliest intercepts (most capable radar)")?;
    for r in study.threats.iter().filter(|r| r.skipped.is_none()) {
        for w in &r.most_capable.windows {
            k.open("Placemark", &[])?;
            k.leaf(
                "name",
                &[],
                &format!("{} → {} at {:.1} km/s", r.from, r.to, w.speed_mps / 1e3),
            )?;
            k.open("Point", &[])?;
            k.leaf("altitudeMode", &[], "absolute")?;
            k.leaf(
                "coordinates",
                &[],
                &format!(
                    "{},{},{:.0}",
                    w.intercept_lon_deg, w.intercept_lat_deg, w.earliest_alt_m
                ),
            )?;
            k.close()?;
            k.close()?;
        }
    }
    k.close()?;
    k.close()?;
    k.close()?;
    k.finish()
}

/// Opens an `<svg>` of `w` × `h` pixels with the project's font settings and a `<title>`.
pub(crate) fn svg_open(x: &mut Xml, w: f64, h: f64, title: &str) -> Result<(), RenderError> {
    x.open(
        "svg",
        &attrs![
            "xmlns" => "http://www.w3.org/2000/svg",
            "width" => format!("{w:.0}"),
            "height" => format!("{h:.0}"),
            "viewBox" => format!("0 0 {w:.0} {h:.0}"),
            "font-family" => "sans-serif",
            "font-size" => 10,
        ],
    )?;
    x.leaf("title", &[], title)?;
    x.empty(
        "rect",
        &attrs!["width" => "100%", "height" => "100%", "fill" => "#fff"],
    )?;
    Ok(())
}

fn f1(v: f64) -> String {
    format!("{v:.1}")
}

/// The assumptions line under a plot's title: radar, battery, gravity and what `rows` shows.
fn assumptions(s: &mut Xml, study: &Study, rows: &str) -> Result<(), RenderError> {
    s.leaf(
        "text",
        &attrs!["x" => 10, "y" => 33, "font-size" => 10, "fill" => "#444"],
        &format!(
            "Radar {}, battery {}, {} gravity; {rows}.",
            study.radar, study.interceptor, study.gravity
        ),
    )?;
    Ok(())
}

/// SVG: crossover speed per trajectory (dots: radar as specified; rings: most capable) against the
/// disputed burnout-speed range (shaded).
pub fn crossover_svg(study: &Study, speed_range: Option<[f64; 2]>) -> Result<String, RenderError> {
    let rows: Vec<&ThreatResult> = study.threats.iter().filter(|r| r.skipped.is_none()).collect();
    let (w, row_h, left, top) = (900.0, 14.0, 300.0, 56.0);
    let h = top + row_h * rows.len() as f64 + 50.0;
    let (vmin, vmax) = (0.0, 12_000.0);
    let x = |v: f64| left + (v.clamp(vmin, vmax) - vmin) / (vmax - vmin) * (w - left - 20.0);
    let title = format!(
        "{}: crossover interceptor burnout speed per trajectory (km/s)",
        study.scenario
    );
    let mut s = Xml::new();
    svg_open(&mut s, w, h, &title)?;
    s.leaf("text", &attrs!["x" => 10, "y" => 18, "font-size" => 14], &title)?;
    assumptions(
        &mut s,
        study,
        "every flown trajectory, the lowest burnout speed that engages it at all",
    )?;
    let y1 = top + row_h * rows.len() as f64;
    if let Some([lo, hi]) = speed_range {
        s.empty(
            "rect",
            &attrs!["x" => f1(x(lo)), "y" => top, "width" => f1(x(hi) - x(lo)), "height" => f1(y1 - top), "fill" => "#fde2b5"],
        )?;
        s.leaf(
            "text",
            &attrs!["x" => f1(x(lo)), "y" => f1(top - 4.0)],
            &format!("disputed range {:.1}–{:.1} km/s", lo / 1e3, hi / 1e3),
        )?;
    }
    for k in 0..=12 {
        let v = k as f64 * 1000.0;
        s.empty(
            "line",
            &attrs!["x1" => f1(x(v)), "y1" => top, "x2" => f1(x(v)), "y2" => f1(y1), "stroke" => "#ddd"],
        )?;
        s.leaf(
            "text",
            &attrs!["x" => f1(x(v)), "y" => f1(y1 + 12.0), "text-anchor" => "middle"],
            &k.to_string(),
        )?;
    }
    s.leaf(
        "text",
        &attrs!["x" => f1(x(6000.0)), "y" => f1(y1 + 26.0), "text-anchor" => "middle"],
        "interceptor burnout speed, km/s",
    )?;
    if study.boost == crate::boost::BoostModel::Fixed {
        s.leaf(
            "text",
            &attrs!["x" => 10, "y" => f1(y1 + 42.0), "font-size" => 10],
            FIXED_BOOST_NOTE,
        )?;
    }
    for (i, r) in rows.iter().enumerate() {
        let y = top + row_h * (i as f64 + 0.7);
        s.leaf(
            "text",
            &attrs!["x" => f1(left - 6.0), "y" => f1(y), "text-anchor" => "end"],
            &format!("{} → {} ({})", r.from, r.to, r.shape.name()),
        )?;
        if let Some(v) = r.specified.crossover_speed_mps {
            s.open(
                "circle",
                &attrs!["cx" => f1(x(v)), "cy" => f1(y - 3.0), "r" => 4, "fill" => "#c0392b"],
            )?;
            s.leaf("title", &[], &format!("{:.2} km/s (radar as specified)", v / 1e3))?;
            s.close()?;
        }
        if let Some(v) = r.most_capable.crossover_speed_mps {
            s.open(
                "circle",
                &attrs!["cx" => f1(x(v)), "cy" => f1(y - 3.0), "r" => 5, "fill" => "none", "stroke" => "#2c3e50"],
            )?;
            s.leaf("title", &[], &format!("{:.2} km/s (most capable radar)", v / 1e3))?;
            s.close()?;
        }
    }
    s.leaf(
        "text",
        &attrs!["x" => 10, "y" => f1(h - 10.0)],
        "filled: radar as specified; ring: radar at the capable end of its ranges; no mark: never engaged",
    )?;
    s.close()?;
    s.finish()
}

/// SVG: altitude against ground range from launch for every flown trajectory.
pub fn altitude_range_svg(study: &Study) -> Result<String, RenderError> {
    let rows: Vec<&ThreatResult> = study.threats.iter().filter(|r| r.skipped.is_none()).collect();
    let (w, h, left, bottom) = (900.0, 420.0, 60.0, 40.0);
    let max_range = rows.iter().map(|r| r.range_m).fold(1.0, f64::max);
    let max_alt = rows.iter().map(|r| r.apogee_alt_m).fold(1.0, f64::max) * 1.1;
    let x = |d: f64| left + d / max_range * (w - left - 20.0);
    let y = |a: f64| h - bottom - a / max_alt * (h - bottom - 44.0);
    let title = format!(
        "{}: altitude (km) against ground range from launch (km)",
        study.scenario
    );
    let mut s = Xml::new();
    svg_open(&mut s, w, h, &title)?;
    s.leaf("text", &attrs!["x" => 10, "y" => 18, "font-size" => 14], &title)?;
    assumptions(
        &mut s,
        study,
        "every flown trajectory, boost included; altitude above the WGS84 ellipsoid",
    )?;
    s.empty(
        "line",
        &attrs!["x1" => left, "y1" => h - bottom, "x2" => w - 20.0, "y2" => h - bottom, "stroke" => "#000"],
    )?;
    s.empty(
        "line",
        &attrs!["x1" => left, "y1" => 44, "x2" => left, "y2" => h - bottom, "stroke" => "#000"],
    )?;
    // Ticks every 1000 km of range and 250 km of altitude.
    let mut d = 0.0;
    while d <= max_range {
        s.leaf(
            "text",
            &attrs!["x" => f1(x(d)), "y" => f1(h - bottom + 14.0), "text-anchor" => "middle"],
            &format!("{:.0}", d / 1e3),
        )?;
        d += 1.0e6;
    }
    let mut a = 0.0;
    while a <= max_alt {
        s.leaf(
            "text",
            &attrs!["x" => f1(left - 4.0), "y" => f1(y(a) + 3.0), "text-anchor" => "end"],
            &format!("{:.0}", a / 1e3),
        )?;
        a += 250e3;
    }
    s.leaf(
        "text",
        &attrs!["x" => f1(w - 20.0), "y" => f1(h - 6.0), "text-anchor" => "end"],
        "ground range from launch, km",
    )?;
    for r in &rows {
        let Some(first) = r.track.first() else { continue };
        let pts: Vec<String> = r
            .track
            .iter()
            .map(|p| {
                let d =
                    geodesy::geodesic::inverse_unchecked(first.lat_deg, first.lon_deg, p.lat_deg, p.lon_deg)
                        .distance_m;
                format!("{:.1},{:.1}", x(d), y(p.alt_m))
            })
            .collect();
        let colour = if r.from_country == "RU" {
            "#c0392b"
        } else {
            "#2c3e50"
        };
        s.open(
            "polyline",
            &attrs!["fill" => "none", "stroke" => colour, "stroke-opacity" => 0.5, "points" => pts.join(" ")],
        )?;
        s.leaf("title", &[], &format!("{} → {}", r.from, r.to))?;
        s.close()?;
    }
    s.leaf(
        "text",
        &attrs!["x" => 10, "y" => f1(h - 6.0)],
        "red: launched from Russia; dark blue: other launch countries",
    )?;
    s.close()?;
    s.finish()
}

/// SVG: timelines (seconds since launch) of the Russian trajectories and of the Iranian ones to the US:
/// flight (grey), radar track with the most capable radar (blue) and the engagement window at the
/// speed `speed_mps` (red).
pub fn timelines_svg(study: &Study, speed_mps: f64) -> Result<String, RenderError> {
    let rows: Vec<&ThreatResult> = study
        .threats
        .iter()
        .filter(|r| {
            r.skipped.is_none() && (r.from_country == "RU" || r.to == "Washington" || r.to == "New York")
        })
        .collect();
    let (w, row_h, left, top) = (900.0, 14.0, 200.0, 48.0);
    let h = top + row_h * rows.len() as f64 + 40.0;
    let tmax = rows.iter().map(|r| r.flight_time_s).fold(60.0, f64::max);
    let x = |t: f64| left + t / tmax * (w - left - 20.0);
    let title = format!(
        "{}: flight (grey), radar track (blue), engagement window at {:.1} km/s (red); seconds since launch",
        study.scenario,
        speed_mps / 1e3
    );
    let mut s = Xml::new();
    svg_open(&mut s, w, h, &title)?;
    s.leaf("text", &attrs!["x" => 10, "y" => 18, "font-size" => 13], &title)?;
    assumptions(
        &mut s,
        study,
        "trajectories from Russia or to Washington and New York, radar at the capable end of its ranges",
    )?;
    let mut k = 0.0;
    while k <= tmax {
        s.empty(
            "line",
            &attrs!["x1" => f1(x(k)), "y1" => top, "x2" => f1(x(k)), "y2" => f1(h - 30.0), "stroke" => "#eee"],
        )?;
        s.leaf(
            "text",
            &attrs!["x" => f1(x(k)), "y" => f1(h - 18.0), "text-anchor" => "middle"],
            &format!("{k:.0}"),
        )?;
        k += 300.0;
    }
    for (i, r) in rows.iter().enumerate() {
        let y = top + row_h * i as f64;
        s.leaf(
            "text",
            &attrs!["x" => f1(left - 6.0), "y" => f1(y + 10.0), "text-anchor" => "end"],
            &format!("{} → {}", r.from, r.to),
        )?;
        s.empty(
            "rect",
            &attrs!["x" => f1(x(0.0)), "y" => f1(y + 1.0), "width" => f1(x(r.flight_time_s) - x(0.0)), "height" => 10, "fill" => "#ddd"],
        )?;
        if let Some(t0) = r.most_capable.first_detection_s {
            let t1 = t0 + r.most_capable.tracked_s;
            s.open(
                "rect",
                &attrs!["x" => f1(x(t0)), "y" => f1(y + 1.0), "width" => f1((x(t1) - x(t0)).max(1.0)), "height" => 4, "fill" => "#2980b9"],
            )?;
            s.leaf("title", &[], &format!("first track {t0:.0} s"))?;
            s.close()?;
        }
        if let Some(win) = r.most_capable.windows.iter().find(|w| w.speed_mps == speed_mps) {
            s.open(
                "rect",
                &attrs![
                    "x" => f1(x(win.earliest_intercept_s)),
                    "y" => f1(y + 6.0),
                    "width" => f1((x(win.latest_intercept_s) - x(win.earliest_intercept_s)).max(1.0)),
                    "height" => 5,
                    "fill" => "#c0392b",
                ],
            )?;
            s.leaf(
                "title",
                &[],
                &format!(
                    "intercepts {:.0}–{:.0} s",
                    win.earliest_intercept_s, win.latest_intercept_s
                ),
            )?;
            s.close()?;
        }
    }
    s.close()?;
    s.finish()
}

/// Colour of a site by role: defence (interceptor or radar) green, launch red, target dark blue.
fn site_colour(roles: &[String]) -> &'static str {
    if roles.iter().any(|r| r == "interceptor" || r == "radar") {
        "#1e8449"
    } else if roles.iter().any(|r| r == "launch") {
        "#c0392b"
    } else {
        "#1f3a5f"
    }
}

/// Draws Natural Earth land (filled where it can be one shape, else outlined), country borders and
/// the graticule into a fitted map frame.
pub(crate) fn basemap(x: &mut Xml, f: &Frame, span_deg: f64) -> Result<(), RenderError> {
    use render::map;
    map::frame_open(x, f, "#dfeaf2")?;
    let land = crate::coastline::land().map_err(RenderError::Other)?;
    let borders = crate::coastline::borders().map_err(RenderError::Other)?;
    x.open("g", &attrs!["clip-path" => "url(#mapframe)"])?;
    if let Some(((cx, cy), r)) = f.limb() {
        x.empty(
            "circle",
            &attrs!["cx" => f1(cx), "cy" => f1(cy), "r" => f1(r), "fill" => "#cfe0ec", "stroke" => "#8aa"],
        )?;
    }
    let mut filled = String::new();
    let mut outlined = Vec::new();
    for ring in land {
        match f.ring_path(ring) {
            Some(d) => filled.push_str(&d),
            None => outlined.push(ring.clone()),
        }
    }
    x.empty(
        "path",
        &attrs!["d" => filled, "fill" => "#f3efe6", "stroke" => "#6b6b6b", "stroke-width" => 0.6],
    )?;
    x.empty(
        "path",
        &attrs!["d" => f.path(&outlined), "fill" => "none", "stroke" => "#6b6b6b", "stroke-width" => 0.6],
    )?;
    x.empty(
        "path",
        &attrs!["d" => f.path(borders), "fill" => "none", "stroke" => "#9a8c98", "stroke-width" => 0.5, "stroke-dasharray" => "3,2"],
    )?;
    x.close()?;
    map::graticule(x, f, span_deg)?;
    Ok(())
}

/// Places and draws site points and their labels (labels that would collide are left out; every
/// point is drawn). `sites`: name, latitude, longitude (degrees), fill colour. Returns the boxes
/// (left, top, right, bottom, px) the points and labels take, for what is placed after them.
pub(crate) fn draw_sites(
    x: &mut Xml,
    f: &Frame,
    sites: &[(String, f64, f64, &str)],
) -> Result<Vec<(f64, f64, f64, f64)>, RenderError> {
    use render::map::{LabelPoint, place_labels, text_box};
    let mut shown = Vec::new();
    for (name, lat, lon, colour) in sites {
        if let Some(at) = f.xy(*lon, *lat).filter(|q| f.inside(*q)) {
            shown.push((
                LabelPoint {
                    at,
                    text: name.clone(),
                },
                *colour,
            ));
        }
    }
    for (p, colour) in &shown {
        x.open(
            "circle",
            &attrs!["cx" => f1(p.at.0), "cy" => f1(p.at.1), "r" => 3.5, "fill" => colour, "stroke" => if *colour == "#ffffff" { "#000" } else { "#fff" }, "stroke-width" => 0.8],
        )?;
        x.leaf("title", &[], &p.text)?;
        x.close()?;
    }
    let points: Vec<LabelPoint> = shown.iter().map(|s| s.0.clone()).collect();
    let bounds = (f.x0, f.y0, f.x0 + f.width, f.y0 + f.height);
    let mut taken: Vec<(f64, f64, f64, f64)> = points
        .iter()
        .map(|p| (p.at.0 - 4.0, p.at.1 - 4.0, p.at.0 + 4.0, p.at.1 + 4.0))
        .collect();
    for l in place_labels(&points, 10.0, bounds) {
        let text = &points[l.index].text;
        x.leaf(
            "text",
            &attrs!["x" => f1(l.x), "y" => f1(l.y), "text-anchor" => l.anchor, "font-size" => 10, "stroke" => "#fff", "stroke-width" => 2.5, "paint-order" => "stroke"],
            text,
        )?;
        taken.push(text_box(l.x, l.y, text.chars().count(), 10.0, l.anchor));
    }
    Ok(taken)
}

/// SVG map of the study: threat tracks (red when engageable at some speed up to 9 km/s with the radar
/// at the capable end of its ranges, grey otherwise) and sites over Natural Earth land and borders, in a
/// projection suited to the extent (orthographic for intercontinental tracks, conic for a continent),
/// with graticule, scale bar and legend.
pub fn map_svg(study: &Study) -> Result<String, RenderError> {
    use render::map::{self, LegendKey};
    let mut pts: Vec<[f64; 2]> = study.sites.values().map(|v| [v.1, v.0]).collect();
    for r in study.threats.iter().filter(|r| r.skipped.is_none()) {
        pts.extend(r.track.iter().step_by(8).map(|p| [p.lon_deg, p.lat_deg]));
    }
    let projection = map::suited_projection(&pts);
    let (w, h) = (1000.0, 760.0);
    let f = Frame::fit(projection, pts.iter().copied(), (50.0, 70.0, 930.0, 640.0), 0.05)?;
    let (lat_lo, lat_hi) = pts
        .iter()
        .fold((90.0f64, -90.0f64), |(a, b), p| (a.min(p[1]), b.max(p[1])));
    let title = format!("{}: threat tracks and sites", study.scenario);
    let mut s = Xml::new();
    svg_open(&mut s, w, h, &title)?;
    s.leaf("text", &attrs!["x" => 50, "y" => 24, "font-size" => 16], &title)?;
    s.leaf(
        "text",
        &attrs!["x" => 50, "y" => 42, "font-size" => 11],
        &format!(
            "Radar {}, battery {}, {} gravity; tracks in red can be engaged at some burnout speed up to 9 km/s with the radar at the capable end of its ranges.",
            study.radar, study.interceptor, study.gravity
        ),
    )?;
    s.leaf(
        "text",
        &attrs!["x" => 50, "y" => 58, "font-size" => 11],
        &format!(
            "Ground tracks of the warhead from launch to impact. {} projection centred {}; sphere R = 6371 km. Land and borders: Natural Earth 1:110m.",
            projection.name(),
            match projection {
                map::Projection::Orthographic { lat0, lon0 }
                | map::Projection::AzimuthalEquidistant { lat0, lon0 } => format!("{lat0:.0}°N {lon0:.0}°E"),
                map::Projection::LambertConformalConic { lat0, lon0, lat1, lat2 } =>
                    format!("{lat0:.0}°N {lon0:.0}°E, standard parallels {lat1:.0}° and {lat2:.0}°"),
                _ => String::new(),
            }
        ),
    )?;
    basemap(&mut s, &f, (lat_hi - lat_lo).max(30.0))?;
    s.open("g", &attrs!["clip-path" => "url(#mapframe)", "fill" => "none"])?;
    for r in study.threats.iter().filter(|r| r.skipped.is_none()) {
        let engaged = r.most_capable.windows.iter().any(|w| w.speed_mps <= 9000.0);
        let (colour, width) = if engaged {
            ("#c0392b", 1.4)
        } else {
            ("#7f8c8d", 1.0)
        };
        let line: Vec<[f64; 2]> = r.track.iter().map(|p| [p.lon_deg, p.lat_deg]).collect();
        s.open(
            "path",
            &attrs!["d" => f.path(&[line]), "stroke" => colour, "stroke-width" => width, "stroke-opacity" => 0.75],
        )?;
        s.leaf("title", &[], &format!("{} → {} ({})", r.from, r.to, r.missile))?;
        s.close()?;
    }
    s.close()?;
    let sites: Vec<(String, f64, f64, &str)> = study
        .sites
        .iter()
        .map(|(n, (lat, lon, roles))| (n.clone(), *lat, *lon, site_colour(roles)))
        .collect();
    draw_sites(&mut s, &f, &sites)?;
    map::scale_bar(&mut s, &f)?;
    map::frame_close(&mut s, &f)?;
    map::legend(
        &mut s,
        (f.x0 + f.width - 250.0, f.y0 + 8.0),
        &[
            (
                LegendKey::Line("#c0392b".into(), 1.4, String::new()),
                "track engageable at ≤ 9 km/s".into(),
            ),
            (
                LegendKey::Line("#7f8c8d".into(), 1.0, String::new()),
                "track never engaged".into(),
            ),
            (
                LegendKey::Dot("#1e8449".into(), "#fff".into()),
                "interceptor or radar site".into(),
            ),
            (
                LegendKey::Dot("#c0392b".into(), "#fff".into()),
                "launch site".into(),
            ),
            (LegendKey::Dot("#1f3a5f".into(), "#fff".into()), "target".into()),
            (
                LegendKey::Line("#9a8c98".into(), 0.5, "3,2".into()),
                "country border".into(),
            ),
        ],
    )?;
    s.close()?;
    s.finish()
}

/// One self-contained HTML report (no external resources): map, plots, tables, every parameter with
/// its source, and the footprint `sections` after them. `speed_range` is shaded on the crossover
/// plot and `value_speed` is the timelines' speed (m/s), as in [`study_files`]' SVG files, so the
/// report and `timelines.svg` show one chart.
pub fn html(
    study: &Study,
    speed_range: Option<[f64; 2]>,
    value_speed: f64,
    sections: &[maud::Markup],
) -> Result<String, RenderError> {
    use maud::{DOCTYPE, PreEscaped, html};
    // Every SVG below was written by the XML writer, which escapes every text and attribute.
    let svgs = [
        ("Map", map_svg(study)?),
        ("Crossover speeds", crossover_svg(study, speed_range)?),
        ("Timelines", timelines_svg(study, value_speed)?),
        ("Altitude and range", altitude_range_svg(study)?),
    ];
    let title = format!("shieldwatch study: {}", study.scenario);
    Ok(html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { (title) }
                style { (PreEscaped("body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}pre{font-size:11px;overflow:auto}svg{max-width:100%;height:auto}")) }
            }
            body {
                h1 { (title) }
                p { (study.description) }
                p {
                    "Radar " (study.radar) ", interceptor battery " (study.interceptor) ", " (study.gravity)
                    " gravity. Times are seconds since threat launch; speeds m/s or km/s as labelled; heights above the WGS84 ellipsoid."
                }
                p { "Boost model: " (study.boost_model) }
                @for (heading, svg) in &svgs {
                    h2 { (heading) }
                    @if *heading == "Map" {
                        p { "Red tracks can be engaged at some speed up to 9 km/s with the radar at the capable end of its ranges; grey tracks cannot." }
                    }
                    (PreEscaped(svg))
                }
                h2 { "Summary" }
                pre { (summary(study)) }
                h2 { "Parameters and sources" }
                table {
                    tr { th { "parameter" } th { "value" } th { "range" } th { "source" } }
                    @for p in &study.parameters {
                        tr {
                            td { (p.key) }
                            td { (p.value) }
                            td { (p.range.map_or(String::new(), |[a, b]| format!("{a} – {b}"))) }
                            td { (p.source) }
                        }
                    }
                }
                @if !sections.is_empty() {
                    h2 { "Footprints" }
                    @for s in sections { (s) }
                }
                p { small { "Generated by shieldwatch. Map data: Natural Earth 1:110m (public domain)." } }
            }
        }
    }
    .into_string())
}

/// Every file of a study's output folder: tables (CSV), maps and plots (SVG), GeoJSON, KML, the JSON
/// results, the text summary and the HTML report with the footprint `maps` appended.
/// `speed_range` is the disputed burnout-speed range shaded on the crossover plot and `value_speed` the
/// speed of the timelines, both m/s.
pub fn study_files(
    study: &Study,
    speed_range: Option<[f64; 2]>,
    value_speed: f64,
    maps: &[crate::footprint::Footprint],
) -> Result<Vec<render::OutputFile>, render::RenderError> {
    use render::OutputFile;
    let sections: Vec<maud::Markup> = maps
        .iter()
        .map(crate::maps::footprint_section)
        .collect::<Result<_, _>>()?;
    let page = html(study, speed_range, value_speed, &sections)?;
    let mut files = vec![
        OutputFile::new("study.json", serde_json::to_string_pretty(study)?),
        OutputFile::new("engagements.csv", engagements_csv(study)?),
        OutputFile::new("coverage.csv", coverage_csv(study)?),
        OutputFile::new("study.geojson", geojson(study)?),
        OutputFile::new("study.kml", kml(study)?),
        OutputFile::new("report.html", page),
        OutputFile::new("summary.txt", summary(study)),
    ];
    let svgs = [
        ("crossover.svg", crossover_svg(study, speed_range)?),
        ("altitude-range.svg", altitude_range_svg(study)?),
        ("timelines.svg", timelines_svg(study, value_speed)?),
        ("map.svg", map_svg(study)?),
    ];
    for (name, svg) in svgs {
        files.extend(render::png::svg_and_png(name, svg)?);
    }
    for fp in maps {
        let name = match fp.kind {
            crate::footprint::MapKind::RadarCoverage => "footprint-radar-coverage.svg",
            _ => "footprint-defended-area.svg",
        };
        files.extend(render::png::svg_and_png(name, crate::maps::footprint_svg(fp)?)?);
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    #[test]
    fn first_seen_keeps_the_order_of_first_appearance() {
        let names = ["Iran ICBM", "Iran IRBM", "Iran ICBM", "Russia", "Iran IRBM"];
        assert_eq!(super::first_seen(names), ["Iran ICBM", "Iran IRBM", "Russia"]);
        assert!(super::first_seen(std::iter::empty::<&str>()).is_empty());
    }
}
