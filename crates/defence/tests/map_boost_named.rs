//! Footprints and sweeps fly threats with the fixed boost whatever the interceptor's boost model: every
//! output of theirs (terminal summary, CSV, GeoJSON, SVG, report section) names both models, read back
//! here by the reader each format has (the csv crate, serde_json, the SVG's text elements).

use std::sync::atomic::AtomicBool;

use defence::boost::{BoostModel, MAP_THREAT_BOOST};
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

#[test]
fn footprint_outputs_name_the_interceptor_and_the_threat_boost() {
    let s = Scenario::load("europe-2008").unwrap();
    for boost in [BoostModel::Powered, BoostModel::Fixed] {
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
        assert!(column(&csv, "threat_boost").iter().all(|b| b == MAP_THREAT_BOOST));
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
            assert_eq!(f["properties"]["threat_boost"], MAP_THREAT_BOOST);
        }
        let texts = svg_texts(&maps::footprint_svg(&fp).unwrap());
        let wanted = format!(
            "{} interceptor boost, {MAP_THREAT_BOOST} threat boost",
            boost.name()
        );
        assert!(texts.iter().any(|t| t.contains(&wanted)), "{texts:?}");
        let summary = maps::footprint_summary(&fp);
        assert!(
            summary.contains(&format!(
                "{} interceptor boost; threats fly the fixed boost",
                boost.name()
            )),
            "{summary}"
        );
        let json = serde_json::to_value(&fp).unwrap();
        assert_eq!(
            (&json["boost"], &json["threat_boost"]),
            (
                &serde_json::json!(boost.name()),
                &serde_json::json!(MAP_THREAT_BOOST)
            )
        );
        let section = maps::footprint_section(&fp).unwrap().into_string();
        assert!(section.contains("only the study flies them powered"), "{section}");
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
    assert!(column(&csv, "threat_boost").iter().all(|b| b == MAP_THREAT_BOOST));
    let json = serde_json::to_value(&sw).unwrap();
    assert_eq!(
        (&json["boost"], &json["threat_boost"]),
        (
            &serde_json::json!("powered"),
            &serde_json::json!(MAP_THREAT_BOOST)
        )
    );
    let texts = svg_texts(&maps::sweep_svg(&sw).unwrap());
    assert!(
        texts
            .iter()
            .any(|t| t.contains("powered interceptor boost, fixed threat boost")),
        "{texts:?}"
    );
    let summary = maps::sweep_summary(&sw);
    assert!(
        summary.contains("powered interceptor boost; threats fly the fixed boost"),
        "{summary}"
    );
}
