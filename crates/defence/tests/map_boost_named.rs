//! Footprints and sweeps fly threats powered under the powered boost model (the missile's rocket, from its
//! flown range table: [`defence::threat_boost`]) and with the fixed boost under the fixed one: every
//! output of theirs (terminal summary, CSV, GeoJSON, KML, CZML, SVG, report section) names both models,
//! read back here by the reader each format has (the csv crate, serde_json, quick-xml, the SVG's text
//! elements), and the powered threats are really flown (their flight times are the table's).

use std::sync::atomic::AtomicBool;

use defence::boost::BoostModel;
use defence::engagement::Missile;
use defence::footprint::{self, Grid, MapKind, Request};
use defence::maps;
use defence::scenario::Scenario;
use defence::study::ShapeChoice;
use defence::sweep::{self, Axis};

/// The (header, rows) of a CSV text, read by the csv crate.
fn csv_rows(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let header = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

/// The values of column `name` of a CSV text.
fn column(text: &str, name: &str) -> Vec<String> {
    let (header, rows) = csv_rows(text);
    let i = header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name}: {header:?}"));
    rows.into_iter().map(|r| r[i].clone()).collect()
}

/// The text content of every `<text>` element of an SVG document.
fn svg_texts(svg: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = svg;
    while let Some(i) = rest.find("<text") {
        rest = &rest[i..];
        let open_end = rest.find('>').unwrap();
        let close = rest.find("</text>").unwrap();
        out.push(rest[open_end + 1..close].to_string());
        rest = &rest[close..];
    }
    out
}

/// The `<description>` of the KML `<Document>` and its `<ExtendedData>` as (name, value) pairs, read by
/// quick-xml.
fn kml_document_data(kml: &str) -> (String, Vec<(String, String)>) {
    use quick_xml::events::Event;
    let mut r = quick_xml::Reader::from_str(kml);
    let mut path: Vec<String> = Vec::new();
    let mut description = String::new();
    let mut data = Vec::new();
    let mut name = String::new();
    loop {
        match r.read_event().unwrap() {
            Event::Start(e) => {
                let tag = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
                if tag == "Data" {
                    let a = e.try_get_attribute("name").unwrap().unwrap();
                    name = a
                        .normalized_value(quick_xml::XmlVersion::Explicit1_0)
                        .unwrap()
                        .into_owned();
                }
                path.push(tag);
            }
            Event::End(_) => {
                path.pop();
            }
            e @ (Event::Text(_) | Event::GeneralRef(_)) => {
                let text = match e {
                    Event::Text(t) => t.xml10_content().unwrap().into_owned(),
                    Event::GeneralRef(g) => match g.resolve_char_ref().unwrap() {
                        Some(c) => c.to_string(),
                        None => quick_xml::escape::resolve_predefined_entity(&g.decode().unwrap())
                            .unwrap()
                            .to_string(),
                    },
                    _ => unreachable!(),
                };
                let p: Vec<&str> = path.iter().map(String::as_str).collect();
                match p.as_slice() {
                    ["kml", "Document", "description"] => description.push_str(&text),
                    ["kml", "Document", "ExtendedData", "Data", "value"] => data.push((name.clone(), text)),
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    (description, data)
}

#[test]
fn footprint_outputs_name_the_interceptor_and_the_threat_boost() {
    let s = Scenario::load("europe-2008").unwrap();
    let mut flight_times = Vec::new();
    for boost in [BoostModel::Powered, BoostModel::Fixed] {
        // Every missile of the scenario names a vehicle: under the powered model the threats fly powered.
        let threat = boost.name();
        let req = Request {
            kind: MapKind::DefendedArea,
            site: Some("Tehran".into()),
            missile: None,
            shape: ShapeChoice::MinEnergy,
            grid: Grid::try_new(48.0, 52.0, 8.0, 12.0, 2.0).unwrap(),
            speed_mps: None,
            rcs_m2: None,
            levels: vec![6300.0, 8300.0],
            boost,
        };
        let fp = footprint::compute(&s, &req, None, &|_| {}, &AtomicBool::new(false)).unwrap();
        let csv = maps::footprint_csv(&fp).unwrap();
        let ib = column(&csv, "interceptor_boost");
        assert_eq!(ib.len(), 9);
        assert!(ib.iter().all(|b| b == boost.name()), "{ib:?}");
        assert!(column(&csv, "threat_boost").iter().all(|b| b == threat));
        let gj: serde_json::Value = serde_json::from_str(&maps::footprint_geojson(&fp).unwrap()).unwrap();
        let contours: Vec<_> = gj["features"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["geometry"]["type"] == "MultiPolygon")
            .collect();
        assert!(!contours.is_empty());
        for f in contours {
            assert_eq!(f["properties"]["interceptor_boost"], boost.name());
            assert_eq!(f["properties"]["threat_boost"], threat);
        }
        let texts = svg_texts(&maps::footprint_svg(&fp).unwrap());
        let wanted = format!("{} interceptor boost, {threat} threat boost", boost.name());
        assert!(texts.iter().any(|t| t.contains(&wanted)), "{texts:?}");
        let summary = maps::footprint_summary(&fp);
        assert_fits_a_terminal(&summary);
        let summary = one_line(&summary);
        let words = match boost {
            BoostModel::Powered => "threats fly powered (each missile's rocket",
            BoostModel::Fixed => "threats fly the fixed boost",
        };
        assert!(
            summary.contains(&format!("{} interceptor boost; {words}", boost.name())),
            "{summary}"
        );
        let json = serde_json::to_value(&fp).unwrap();
        assert_eq!(
            (&json["boost"], &json["threat_boost"]),
            (&serde_json::json!(boost.name()), &serde_json::json!(threat))
        );
        let section = maps::footprint_section(&fp).unwrap().into_string();
        assert!(section.contains(words), "{section}");
        let (description, data) = kml_document_data(&maps::footprint_kml(&fp).unwrap());
        assert_eq!(
            data,
            vec![
                ("interceptor_boost".to_string(), boost.name().to_string()),
                ("threat_boost".to_string(), threat.to_string())
            ]
        );
        assert!(description.contains(words), "{description}");
        let czml: serde_json::Value = serde_json::from_str(&maps::footprint_czml(&fp).unwrap()).unwrap();
        let doc = &czml[0];
        assert_eq!(doc["id"], "document");
        assert_eq!(doc["properties"]["interceptor_boost"], boost.name());
        assert_eq!(doc["properties"]["threat_boost"], threat);
        assert!(doc["description"].as_str().unwrap().contains(words), "{doc}");
        flight_times.push(
            fp.cells
                .iter()
                .map(|c| c.flight_time_s.unwrap())
                .collect::<Vec<f64>>(),
        );
        // The powered map's threats are the table's: the same flight time as the threat flown here.
        if boost == BoostModel::Powered {
            let m = s
                .missiles
                .iter()
                .find(|m| Some(&m.name) == fp.missile.as_ref())
                .unwrap();
            let table = footprint::threat_table(&s, &m.name, ShapeChoice::MinEnergy, boost)
                .unwrap()
                .unwrap();
            let tehran = s.site("Tehran").unwrap();
            let launch = geodesy::Geodetic {
                lat_deg: tehran.lat_deg,
                lon_deg: tehran.lon_deg,
                h_m: tehran.h_m,
            };
            for c in &fp.cells {
                let th = footprint::fast_threat_with(
                    launch,
                    c.lat_deg,
                    c.lon_deg,
                    Missile::from_def(m),
                    m.max_range_m.value,
                    ShapeChoice::MinEnergy,
                    Some((&table, defence::threat_boost::Latitudes::Pinned)),
                )
                .unwrap();
                assert_eq!(c.flight_time_s, Some(th.impact_time_s()));
            }
        }
    }
    // The two models fly different threats: the scenario's fixed burnout (200 km up after 178 s) against
    // the flown rocket's, whose burnout height, downrange and flight-path angle follow the range. Every
    // point's time of flight moves by more than 10 s.
    for (p, f) in flight_times[0].iter().zip(&flight_times[1]) {
        assert!((p - f).abs() > 10.0, "powered {p} s against fixed {f} s");
    }
}

#[test]
fn sweep_outputs_name_the_interceptor_and_the_threat_boost() {
    let s = Scenario::load("europe-2008").unwrap();
    let speed = Axis::linspace(&s, "interceptors.GBI-2.burnout_speed_mps", 5400.0, 9000.0, 2).unwrap();
    let sw = sweep::sweep(
        &s,
        &[speed],
        ShapeChoice::MinEnergy,
        BoostModel::Powered,
        &|_| {},
        &AtomicBool::new(false),
    )
    .unwrap();
    let csv = maps::sweep_csv(&sw).unwrap();
    let ib = column(&csv, "interceptor_boost");
    assert!(!ib.is_empty() && ib.iter().all(|b| b == "powered"), "{ib:?}");
    assert!(column(&csv, "threat_boost").iter().all(|b| b == "powered"));
    let json = serde_json::to_value(&sw).unwrap();
    assert_eq!(
        (&json["boost"], &json["threat_boost"]),
        (&serde_json::json!("powered"), &serde_json::json!("powered"))
    );
    let texts = svg_texts(&maps::sweep_svg(&sw).unwrap());
    assert!(
        texts
            .iter()
            .any(|t| t.contains("powered interceptor boost, powered threat boost")),
        "{texts:?}"
    );
    let summary = maps::sweep_summary(&sw);
    assert_fits_a_terminal(&summary);
    let summary = one_line(&summary);
    assert!(
        summary.contains("powered interceptor boost; threats fly powered"),
        "{summary}"
    );
}

/// The summary's words on one line (the summary is word-wrapped to the terminal).
fn one_line(summary: &str) -> String {
    summary.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every line of a terminal summary, prose and tables, fits an 80-column terminal.
fn assert_fits_a_terminal(summary: &str) {
    for line in summary.lines() {
        assert!(
            line.chars().count() <= defence::report::SUMMARY_COLUMNS,
            "{} columns: {line}\n{summary}",
            line.chars().count()
        );
    }
}

/// A scenario site the radars never track, and so never intercepted, reads "never" and "none" in the
/// footprint's terminal table, its report section's table and its CZML description — not a blank cell.
#[test]
fn a_site_never_tracked_reads_never_in_every_footprint_output() {
    let s = Scenario::load("europe-2008").unwrap();
    let req = Request {
        kind: MapKind::DefendedArea,
        site: Some("Tehran".into()),
        missile: None,
        shape: ShapeChoice::MinEnergy,
        grid: Grid::try_new(48.0, 52.0, 8.0, 12.0, 2.0).unwrap(),
        speed_mps: None,
        rcs_m2: None,
        levels: vec![6300.0],
        boost: BoostModel::Fixed,
    };
    let mut fp = footprint::compute(&s, &req, None, &|_| {}, &AtomicBool::new(false)).unwrap();
    fp.tracks = vec![footprint::Track {
        from: "Tehran".into(),
        to: "Nowhere Seen".into(),
        engaged: false,
        first_detection_s: None,
        earliest_intercept_s: None,
        samples: vec![[0.0, 35.69, 51.39, 1200.0], [600.0, 50.0, 10.0, 0.0]],
    }];
    let summary = maps::footprint_summary(&fp);
    let row = summary
        .lines()
        .find(|l| l.contains("Nowhere"))
        .unwrap_or_else(|| panic!("{summary}"));
    let cells: Vec<&str> = row.split(['│', '┆']).map(str::trim).collect();
    assert!(cells.contains(&"never") && cells.contains(&"none"), "{row}");

    let section = maps::footprint_section(&fp).unwrap().into_string();
    let at = section.find("Nowhere Seen").expect("the track's row");
    let row_end = at + section[at..].find("</tr>").expect("the row ends");
    let row = &section[at..row_end];
    assert!(
        row.contains("<td>never</td>") && row.contains("<td>none</td>"),
        "{row}"
    );
    assert!(!row.contains("<td></td>"), "{row}");

    let czml: serde_json::Value = serde_json::from_str(&maps::footprint_czml(&fp).unwrap()).unwrap();
    let description = czml
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "track/Tehran/Nowhere Seen")
        .expect("the track's packet")["description"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        description,
        "first radar track: never, earliest intercept: none, engaged: false"
    );
}
