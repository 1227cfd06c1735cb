//! Renders a [`Study`] for people and tools: text tables, CSV, GeoJSON, KML, SVG plots and one
//! self-contained HTML report. Pure functions from a study to strings; writing files is the caller's job.

use std::fmt::Write as _;

use crate::study::{Study, ThreatResult};

fn km(m: f64) -> String {
    if m.is_finite() {
        format!("{:.0}", m / 1e3)
    } else {
        "–".into()
    }
}

fn opt_kms(v: Option<f64>, low: f64) -> String {
    match v {
        None => "never".into(),
        // Below the disputed range the fixed boost model (burnout height and downrange given for free)
        // makes the figure meaningless: say only that the whole range engages.
        Some(x) if x < low => format!("< {:.1}", low / 1e3),
        Some(x) => format!("{:.2}", x / 1e3),
    }
}

fn opt_km(v: Option<f64>) -> String {
    v.map_or("never".into(), |x| format!("{:.0}", x / 1e3))
}

/// Escapes text for XML and HTML.
pub fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The summary tables printed by `shieldwatch study`.
pub fn summary(study: &Study) -> String {
    use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Study of {} (radar {}, battery {}, {} gravity)\n",
        study.scenario, study.radar, study.interceptor, study.gravity
    );

    // (1) and (2): crossover speeds per launch site and target.
    let low = study.speeds_mps.first().copied().unwrap_or(0.0);
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED);
    t.set_header(vec![
        "threat",
        "from",
        "to",
        "range km",
        "flight s",
        "first track s (spec.)",
        "crossover km/s (spec.)",
        "first track s (best)",
        "crossover km/s (best)",
    ]);
    for r in study.threats.iter().filter(|r| r.skipped.is_none()) {
        t.add_row(vec![
            r.missile.clone(),
            r.shape.name().to_string(),
            r.from.clone(),
            r.to.clone(),
            km(r.range_m),
            format!("{:.0}", r.flight_time_s),
            r.specified
                .first_detection_s
                .map_or("never".into(), |x| format!("{x:.0}")),
            opt_kms(r.specified.crossover_speed_mps, low),
            r.most_capable
                .first_detection_s
                .map_or("never".into(), |x| format!("{x:.0}")),
            opt_kms(r.most_capable.crossover_speed_mps, low),
        ]);
    }
    let _ = writeln!(
        out,
        "Crossover speed: the lowest interceptor burnout speed that engages each trajectory\n(spec. = radar as specified; best = radar at the most capable end of its ranges)\n{t}\n"
    );

    // Answers per speed.
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED);
    let mut header = vec!["launch country".to_string(), "trajectories".to_string()];
    header.extend(study.speeds_mps.iter().map(|v| format!("{:.1} km/s", v / 1e3)));
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
    let _ = writeln!(
        out,
        "Engageable trajectories by assumed burnout speed (radar as specified / most capable)\n{t}\n"
    );

    // (3) coverage.
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED);
    t.set_header(vec![
        "launch area",
        "country",
        "distance km",
        "RCS m²",
        "lowest seen km (spec.)",
        "lowest seen km (best)",
    ]);
    for c in &study.coverage {
        t.add_row(vec![
            c.site.clone(),
            c.country.clone(),
            km(c.distance_m),
            format!("{}", c.rcs_m2),
            opt_km(c.specified_alt_m),
            opt_km(c.most_capable_alt_m),
        ]);
    }
    let _ = writeln!(
        out,
        "What the radar sees above each launch area (lowest visible warhead altitude)\n{t}"
    );
    let skipped = study.threats.iter().filter(|r| r.skipped.is_some()).count();
    if skipped > 0 {
        let _ = writeln!(
            out,
            "\n{skipped} trajectories not flown (beyond the missile's range or no solution): see engagements.csv"
        );
    }
    out
}

/// One CSV row per trajectory and speed.
pub fn engagements_csv(study: &Study) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "threat",
        "missile",
        "from",
        "from_country",
        "to",
        "range_km",
        "skipped",
        "flight_time_s",
        "apogee_km",
        "radar_variant",
        "first_detection_s",
        "first_detection_alt_km",
        "tracked_s",
        "crossover_speed_mps",
        "speed_mps",
        "engageable",
        "earliest_intercept_s",
        "latest_intercept_s",
        "intercept_alt_km",
        "closing_speed_mps",
        "shots",
    ]);
    let f = |x: Option<f64>| x.map_or(String::new(), |v| format!("{v:.3}"));
    for r in &study.threats {
        for (variant, cue) in [("specified", &r.specified), ("most_capable", &r.most_capable)] {
            for &v in &study.speeds_mps {
                let win = cue.windows.iter().find(|w| w.speed_mps == v);
                let _ = w.write_record([
                    r.threat.clone(),
                    r.missile.clone(),
                    r.shape.name().to_string(),
                    r.from.clone(),
                    r.from_country.clone(),
                    r.to.clone(),
                    format!("{:.1}", r.range_m / 1e3),
                    r.skipped.clone().unwrap_or_default(),
                    f(Some(r.flight_time_s).filter(|x| x.is_finite())),
                    f(Some(r.apogee_alt_m / 1e3).filter(|x| x.is_finite())),
                    variant.to_string(),
                    f(cue.first_detection_s),
                    f(cue.first_detection_alt_m.map(|x| x / 1e3)),
                    format!("{:.1}", cue.tracked_s),
                    f(cue.crossover_speed_mps),
                    format!("{v:.0}"),
                    win.is_some().to_string(),
                    f(win.map(|w| w.earliest_intercept_s)),
                    f(win.map(|w| w.latest_intercept_s)),
                    f(win.map(|w| w.earliest_alt_m / 1e3)),
                    f(win.map(|w| w.closing_speed_mps)),
                    win.map_or(String::new(), |w| w.shots.to_string()),
                ]);
            }
        }
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// Radar coverage of launch areas as CSV.
pub fn coverage_csv(study: &Study) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "site",
        "country",
        "lat_deg",
        "lon_deg",
        "distance_km",
        "rcs_m2",
        "lowest_visible_alt_km_specified",
        "lowest_visible_alt_km_most_capable",
    ]);
    for c in &study.coverage {
        let _ = w.write_record([
            c.site.clone(),
            c.country.clone(),
            c.lat_deg.to_string(),
            c.lon_deg.to_string(),
            format!("{:.1}", c.distance_m / 1e3),
            c.rcs_m2.to_string(),
            c.specified_alt_m
                .map_or(String::new(), |x| format!("{:.3}", x / 1e3)),
            c.most_capable_alt_m
                .map_or(String::new(), |x| format!("{:.3}", x / 1e3)),
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// Splits a track where it crosses the antimeridian, so maps do not draw a line across the world.
fn split_track(r: &ThreatResult) -> Vec<Vec<[f64; 3]>> {
    let mut parts = vec![Vec::new()];
    let mut prev: Option<f64> = None;
    for p in &r.track {
        if let Some(l) = prev
            && (p.lon_deg - l).abs() > 180.0
            && let Some(last) = parts.last()
            && !last.is_empty()
        {
            parts.push(Vec::new());
        }
        if let Some(last) = parts.last_mut() {
            last.push([p.lon_deg, p.lat_deg, p.alt_m]);
        }
        prev = Some(p.lon_deg);
    }
    parts.retain(|p| p.len() >= 2);
    parts
}

/// GeoJSON FeatureCollection: sites, threat tracks (3-D, metres) and earliest intercept points.
pub fn geojson(study: &Study) -> String {
    use serde_json::{Value, json};
    let mut features: Vec<Value> = Vec::new();
    for (name, (lat, lon, roles)) in &study.sites {
        features.push(
            json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"kind": "site", "name": name, "roles": roles}}),
        );
    }
    for r in study.threats.iter().filter(|r| r.skipped.is_none()) {
        let parts = split_track(r);
        features.push(
            json!({"type": "Feature", "geometry": {"type": "MultiLineString", "coordinates": parts},
            "properties": {"kind": "track", "threat": r.threat, "shape": r.shape.name(), "from": r.from, "to": r.to,
                "flight_time_s": r.flight_time_s, "apogee_km": r.apogee_alt_m / 1e3,
                "crossover_speed_mps_specified": r.specified.crossover_speed_mps,
                "crossover_speed_mps_most_capable": r.most_capable.crossover_speed_mps}}),
        );
        for w in &r.most_capable.windows {
            features.push(json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [w.intercept_lon_deg, w.intercept_lat_deg, w.earliest_alt_m]},
                "properties": {"kind": "intercept", "from": r.from, "to": r.to, "speed_mps": w.speed_mps,
                    "time_s": w.earliest_intercept_s, "closing_speed_mps": w.closing_speed_mps, "radar": "most_capable"}}));
        }
    }
    serde_json::to_string_pretty(&json!({"type": "FeatureCollection", "features": features}))
        .unwrap_or_default()
}

/// KML document: sites, 3-D tracks (absolute altitude) and intercept points, for Google Earth.
pub fn kml(study: &Study) -> String {
    let mut k = String::new();
    let _ = write!(
        k,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<kml xmlns=\"http://www.opengis.net/kml/2.2\"><Document><name>{}</name>\n",
        xml_escape(&study.scenario)
    );
    k.push_str(
        "<Style id=\"track\"><LineStyle><color>ff0000ff</color><width>2</width></LineStyle></Style>\n",
    );
    k.push_str("<Folder><name>Sites</name>\n");
    for (name, (lat, lon, roles)) in &study.sites {
        let _ = writeln!(
            k,
            "<Placemark><name>{}</name><description>{}</description><Point><coordinates>{lon},{lat},0</coordinates></Point></Placemark>",
            xml_escape(name),
            xml_escape(&roles.join(", "))
        );
    }
    k.push_str("</Folder><Folder><name>Threat tracks</name>\n");
    for r in study.threats.iter().filter(|r| r.skipped.is_none()) {
        for part in split_track(r) {
            let coords: Vec<String> = part
                .iter()
                .map(|p| format!("{},{},{:.0}", p[0], p[1], p[2]))
                .collect();
            let _ = writeln!(
                k,
                "<Placemark><name>{} → {}</name><styleUrl>#track</styleUrl><LineString><altitudeMode>absolute</altitudeMode><coordinates>{}</coordinates></LineString></Placemark>",
                xml_escape(&r.from),
                xml_escape(&r.to),
                coords.join(" ")
            );
        }
    }
    k.push_str("</Folder><Folder><name>Earliest intercepts (most capable radar)</name>\n");
    for r in study.threats.iter().filter(|r| r.skipped.is_none()) {
        for w in &r.most_capable.windows {
            let _ = writeln!(
                k,
                "<Placemark><name>{} → {} at {:.1} km/s</name><Point><altitudeMode>absolute</altitudeMode><coordinates>{},{},{:.0}</coordinates></Point></Placemark>",
                xml_escape(&r.from),
                xml_escape(&r.to),
                w.speed_mps / 1e3,
                w.intercept_lon_deg,
                w.intercept_lat_deg,
                w.earliest_alt_m
            );
        }
    }
    k.push_str("</Folder></Document></kml>\n");
    k
}

/// SVG: crossover speed per trajectory (dots: radar as specified; rings: most capable) against the
/// disputed burnout-speed range (shaded).
pub fn crossover_svg(study: &Study, speed_range: Option<[f64; 2]>) -> String {
    let rows: Vec<&ThreatResult> = study.threats.iter().filter(|r| r.skipped.is_none()).collect();
    let (w, row_h, left, top) = (900.0, 14.0, 260.0, 40.0);
    let h = top + row_h * rows.len() as f64 + 50.0;
    let (vmin, vmax) = (0.0, 12_000.0);
    let x = |v: f64| left + (v.clamp(vmin, vmax) - vmin) / (vmax - vmin) * (w - left - 20.0);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"10\">\n"
    );
    let _ = writeln!(
        s,
        "<text x=\"10\" y=\"18\" font-size=\"14\">Crossover interceptor burnout speed per trajectory (km/s)</text>"
    );
    if let Some([lo, hi]) = speed_range {
        let _ = writeln!(
            s,
            "<rect x=\"{:.1}\" y=\"{top}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#fde2b5\"/>",
            x(lo),
            x(hi) - x(lo),
            row_h * rows.len() as f64
        );
        let _ = writeln!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\">disputed range {:.1}–{:.1}</text>",
            x(lo),
            top - 4.0,
            lo / 1e3,
            hi / 1e3
        );
    }
    for k in 0..=12 {
        let v = k as f64 * 1000.0;
        let y1 = top + row_h * rows.len() as f64;
        let _ = writeln!(
            s,
            "<line x1=\"{0:.1}\" y1=\"{top}\" x2=\"{0:.1}\" y2=\"{y1:.1}\" stroke=\"#ddd\"/><text x=\"{0:.1}\" y=\"{1:.1}\" text-anchor=\"middle\">{k}</text>",
            x(v),
            y1 + 12.0
        );
    }
    for (i, r) in rows.iter().enumerate() {
        let y = top + row_h * (i as f64 + 0.7);
        let _ = writeln!(
            s,
            "<text x=\"{:.1}\" y=\"{y:.1}\" text-anchor=\"end\">{} → {}</text>",
            left - 6.0,
            xml_escape(&r.from),
            xml_escape(&r.to)
        );
        if let Some(v) = r.specified.crossover_speed_mps {
            let _ = writeln!(
                s,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\" fill=\"#c0392b\"><title>{:.2} km/s (radar as specified)</title></circle>",
                x(v),
                y - 3.0,
                v / 1e3
            );
        }
        if let Some(v) = r.most_capable.crossover_speed_mps {
            let _ = writeln!(
                s,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"5\" fill=\"none\" stroke=\"#2c3e50\"><title>{:.2} km/s (most capable radar)</title></circle>",
                x(v),
                y - 3.0,
                v / 1e3
            );
        }
    }
    let _ = writeln!(
        s,
        "<text x=\"10\" y=\"{:.1}\">filled: radar as specified; ring: radar at the capable end of its ranges; no mark: never engaged</text>",
        h - 10.0
    );
    s.push_str("</svg>\n");
    s
}

/// SVG: altitude against ground range from launch for every flown trajectory.
pub fn altitude_range_svg(study: &Study) -> String {
    let rows: Vec<&ThreatResult> = study.threats.iter().filter(|r| r.skipped.is_none()).collect();
    let (w, h, left, bottom) = (900.0, 420.0, 60.0, 40.0);
    let max_range = rows.iter().map(|r| r.range_m).fold(1.0, f64::max);
    let max_alt = rows.iter().map(|r| r.apogee_alt_m).fold(1.0, f64::max) * 1.1;
    let x = |d: f64| left + d / max_range * (w - left - 20.0);
    let y = |a: f64| h - bottom - a / max_alt * (h - bottom - 30.0);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"10\">\n"
    );
    let _ = writeln!(
        s,
        "<text x=\"10\" y=\"18\" font-size=\"14\">Altitude (km) against ground range from launch (km)</text>"
    );
    let _ = writeln!(
        s,
        "<line x1=\"{left}\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\" stroke=\"#000\"/><line x1=\"{left}\" y1=\"30\" x2=\"{left}\" y2=\"{0}\" stroke=\"#000\"/>",
        h - bottom,
        w - 20.0
    );
    let _ = writeln!(
        s,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{:.0}</text><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{:.0}</text>",
        w - 20.0,
        h - bottom + 14.0,
        max_range / 1e3,
        left - 4.0,
        34.0,
        max_alt / 1e3
    );
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
        let _ = writeln!(
            s,
            "<polyline fill=\"none\" stroke=\"{colour}\" stroke-opacity=\"0.5\" points=\"{}\"><title>{} → {}</title></polyline>",
            pts.join(" "),
            xml_escape(&r.from),
            xml_escape(&r.to)
        );
    }
    s.push_str("</svg>\n");
    s
}

/// SVG: timelines (seconds since launch) of the Russian trajectories and of the Iranian ones to the US:
/// flight (grey), radar track with the most capable radar (blue) and the engagement window at the
/// speed `speed_mps` (red).
pub fn timelines_svg(study: &Study, speed_mps: f64) -> String {
    let rows: Vec<&ThreatResult> = study
        .threats
        .iter()
        .filter(|r| {
            r.skipped.is_none() && (r.from_country == "RU" || r.to == "Washington" || r.to == "New York")
        })
        .collect();
    let (w, row_h, left, top) = (900.0, 14.0, 200.0, 40.0);
    let h = top + row_h * rows.len() as f64 + 40.0;
    let tmax = rows.iter().map(|r| r.flight_time_s).fold(60.0, f64::max);
    let x = |t: f64| left + t / tmax * (w - left - 20.0);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"10\">\n"
    );
    let _ = writeln!(
        s,
        "<text x=\"10\" y=\"18\" font-size=\"14\">Timelines: flight (grey), radar track (blue), engagement window at {:.1} km/s (red); seconds since launch</text>",
        speed_mps / 1e3
    );
    let mut k = 0.0;
    while k <= tmax {
        let _ = writeln!(
            s,
            "<line x1=\"{0:.1}\" y1=\"{top}\" x2=\"{0:.1}\" y2=\"{1:.1}\" stroke=\"#eee\"/><text x=\"{0:.1}\" y=\"{2:.1}\" text-anchor=\"middle\">{k:.0}</text>",
            x(k),
            h - 30.0,
            h - 18.0
        );
        k += 300.0;
    }
    for (i, r) in rows.iter().enumerate() {
        let y = top + row_h * i as f64;
        let _ = writeln!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{} → {}</text>",
            left - 6.0,
            y + 10.0,
            xml_escape(&r.from),
            xml_escape(&r.to)
        );
        let _ = writeln!(
            s,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"10\" fill=\"#ddd\"/>",
            x(0.0),
            y + 1.0,
            x(r.flight_time_s) - x(0.0)
        );
        if let Some(t0) = r.most_capable.first_detection_s {
            let t1 = t0 + r.most_capable.tracked_s;
            let _ = writeln!(
                s,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"4\" fill=\"#2980b9\"><title>first track {t0:.0} s</title></rect>",
                x(t0),
                y + 1.0,
                (x(t1) - x(t0)).max(1.0)
            );
        }
        if let Some(win) = r.most_capable.windows.iter().find(|w| w.speed_mps == speed_mps) {
            let _ = writeln!(
                s,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"5\" fill=\"#c0392b\"><title>intercepts {:.0}–{:.0} s</title></rect>",
                x(win.earliest_intercept_s),
                y + 6.0,
                (x(win.latest_intercept_s) - x(win.earliest_intercept_s)).max(1.0),
                win.earliest_intercept_s,
                win.latest_intercept_s
            );
        }
    }
    s.push_str("</svg>\n");
    s
}

/// SVG map (equirectangular) of sites and tracks over the study's extent.
pub fn map_svg(study: &Study) -> String {
    let mut lons: Vec<f64> = study.sites.values().map(|v| v.1).collect();
    let mut lats: Vec<f64> = study.sites.values().map(|v| v.0).collect();
    for r in &study.threats {
        for p in &r.track {
            lons.push(p.lon_deg);
            lats.push(p.lat_deg);
        }
    }
    let (lon0, lon1) = lons
        .iter()
        .fold((180.0f64, -180.0f64), |(a, b), &x| (a.min(x), b.max(x)));
    let (lat0, lat1) = lats
        .iter()
        .fold((90.0f64, -90.0f64), |(a, b), &x| (a.min(x), b.max(x)));
    let (lon0, lon1, lat0, lat1) = (
        lon0 - 5.0,
        lon1 + 5.0,
        (lat0 - 5.0).max(-90.0),
        (lat1 + 5.0).min(90.0),
    );
    let w = 1000.0;
    let h = (w * (lat1 - lat0) / (lon1 - lon0)).clamp(200.0, 800.0);
    let x = |lon: f64| (lon - lon0) / (lon1 - lon0) * w;
    let y = |lat: f64| (lat1 - lat) / (lat1 - lat0) * h;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h:.0}\" font-family=\"sans-serif\" font-size=\"9\" style=\"background:#eef4f8\">\n"
    );
    for k in ((lon0 / 10.0).ceil() as i32)..=((lon1 / 10.0).floor() as i32) {
        let _ = writeln!(
            s,
            "<line x1=\"{0:.1}\" y1=\"0\" x2=\"{0:.1}\" y2=\"{h:.0}\" stroke=\"#d0dce5\"/>",
            x(k as f64 * 10.0)
        );
    }
    for k in ((lat0 / 10.0).ceil() as i32)..=((lat1 / 10.0).floor() as i32) {
        let _ = writeln!(
            s,
            "<line x1=\"0\" y1=\"{0:.1}\" x2=\"{w}\" y2=\"{0:.1}\" stroke=\"#d0dce5\"/>",
            y(k as f64 * 10.0)
        );
    }
    for r in study.threats.iter().filter(|r| r.skipped.is_none()) {
        let engaged = r.most_capable.windows.iter().any(|w| w.speed_mps <= 9000.0);
        let colour = if engaged { "#c0392b" } else { "#7f8c8d" };
        for part in split_track(r) {
            let pts: Vec<String> = part
                .iter()
                .map(|p| format!("{:.1},{:.1}", x(p[0]), y(p[1])))
                .collect();
            let _ = writeln!(
                s,
                "<polyline fill=\"none\" stroke=\"{colour}\" stroke-opacity=\"0.6\" points=\"{}\"><title>{} → {}</title></polyline>",
                pts.join(" "),
                xml_escape(&r.from),
                xml_escape(&r.to)
            );
        }
    }
    for (name, (lat, lon, roles)) in &study.sites {
        let colour = if roles.iter().any(|r| r == "interceptor" || r == "radar") {
            "#27ae60"
        } else if roles.iter().any(|r| r == "launch") {
            "#c0392b"
        } else {
            "#2c3e50"
        };
        let _ = writeln!(
            s,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{colour}\"/><text x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            x(*lon),
            y(*lat),
            x(*lon) + 4.0,
            y(*lat) - 3.0,
            xml_escape(name)
        );
    }
    s.push_str("</svg>\n");
    s
}

/// One self-contained HTML report: map, plots, tables, and every parameter with its source.
pub fn html(study: &Study, speed_range: Option<[f64; 2]>) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>shieldwatch study: {0}</title>\n<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}}table{{border-collapse:collapse;font-size:12px}}td,th{{border:1px solid #ccc;padding:2px 6px;text-align:left}}pre{{font-size:11px;overflow:auto}}</style></head><body>\n<h1>shieldwatch study: {0}</h1>\n<p>{1}</p>\n<p>Radar {2}, interceptor battery {3}, {4} gravity. Times are seconds since threat launch.</p>\n",
        xml_escape(&study.scenario),
        xml_escape(&study.description),
        xml_escape(&study.radar),
        xml_escape(&study.interceptor),
        xml_escape(&study.gravity)
    );
    h.push_str("<h2>Map</h2>\n<p>Red tracks can be engaged at some speed up to 9 km/s with the radar at the capable end of its ranges; grey tracks cannot.</p>\n");
    h.push_str(&map_svg(study));
    h.push_str("<h2>Crossover speeds</h2>\n");
    h.push_str(&crossover_svg(study, speed_range));
    h.push_str("<h2>Timelines</h2>\n");
    let value_speed = study
        .speeds_mps
        .get(study.speeds_mps.len() / 2)
        .copied()
        .unwrap_or(7000.0);
    h.push_str(&timelines_svg(study, value_speed));
    h.push_str("<h2>Altitude and range</h2>\n");
    h.push_str(&altitude_range_svg(study));
    let _ = write!(
        h,
        "<h2>Summary</h2>\n<pre>{}</pre>\n",
        xml_escape(&summary(study))
    );
    h.push_str("<h2>Parameters and sources</h2>\n<table><tr><th>parameter</th><th>value</th><th>range</th><th>source</th></tr>\n");
    for p in &study.parameters {
        let range = p.range.map_or(String::new(), |[a, b]| format!("{a} – {b}"));
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            xml_escape(&p.key),
            p.value,
            range,
            xml_escape(&p.source)
        );
    }
    h.push_str("</table>\n</body></html>\n");
    h
}
