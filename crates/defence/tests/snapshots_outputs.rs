//! Snapshot tests of the files people open: `engagements.csv` of a 2-threat study and `footprint.csv`
//! of a 3×3 footprint. A changed column, order or value shows up in review as a snapshot diff
//! (`tests/snapshots/`; update with `INSTA_UPDATE=always cargo test -p defence --test snapshots_outputs`
//! or `cargo insta review`).

use std::sync::atomic::AtomicBool;

use defence::footprint::{self, Grid, MapKind, Request};
use defence::scenario::Scenario;
use defence::study::{self, ShapeChoice, StudyOptions};

#[test]
fn two_threat_study_tables() {
    let s = Scenario::load("europe-2008").unwrap();
    let opts = StudyOptions::default();
    let speeds = study::speeds(&s, &opts);
    let plan = study::plan(&s, &opts);
    let threats: Vec<_> = [("Kozelsk", "Washington"), ("Tabriz", "Bucharest")]
        .iter()
        .map(|(from, to)| {
            let item = plan.iter().find(|p| p.2 == *from && p.3 == *to).unwrap();
            study::run_one(&s, &opts, &speeds, item).unwrap()
        })
        .collect();
    let result = study::assemble(&s, &opts, threats).unwrap();
    insta::assert_snapshot!(
        "engagements_two_threats",
        defence::report::engagements_csv(&result).unwrap()
    );
    let summary = defence::report::summary(&result);
    let table: String = summary
        .lines()
        .skip_while(|l| !l.starts_with("Crossover speed"))
        .take_while(|l| !l.starts_with("Engageable"))
        .map(|l| format!("{l}\n"))
        .collect();
    insta::assert_snapshot!("crossover_table_two_threats", table.trim_end());
    // Every line fits an 80-column terminal: the tables are built to it and the prose is word-wrapped
    // to it (a terminal would break a longer line mid-word). Counted in characters: the box-drawing
    // characters are one column each.
    for line in summary.lines() {
        assert!(
            line.chars().count() <= 80,
            "{} columns: {line}",
            line.chars().count()
        );
    }
    // Wrapping keeps every word: the summary's prose, joined again, still says the boost model.
    let joined = summary.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(joined.contains(&result.boost_model), "{joined}");
    // The boost-model sentence ends with one full stop wherever it is written (the report's paragraph
    // and the KML's description once appended a second one).
    assert!(result.boost_model.ends_with('.') && !result.boost_model.ends_with(".."));
    let html = defence::report::html(&result, None, 7000.0, &[]).unwrap();
    let kml = defence::report::kml(&result).unwrap();
    // The KML writer escapes the apostrophe of "interceptor's".
    let in_kml = result.boost_model.replace('\'', "&apos;");
    for (what, text, said) in [
        ("report.html", &html, &result.boost_model),
        ("KML", &kml, &in_kml),
    ] {
        assert!(text.contains(said.as_str()), "{what} states the boost model");
        assert!(!text.contains(&format!("{said}.")), "{what}: a second full stop");
    }
}

#[test]
fn three_by_three_footprint_table() {
    let s = Scenario::load("europe-2008").unwrap();
    let req = Request {
        kind: MapKind::DefendedArea,
        site: Some("Tehran".into()),
        missile: None,
        shape: ShapeChoice::MinEnergy,
        grid: Grid::try_new(48.0, 52.0, 8.0, 12.0, 2.0).unwrap(),
        speed_mps: None,
        rcs_m2: None,
        levels: vec![6300.0, 8300.0],
        boost: defence::boost::BoostModel::default(),
    };
    let fp = footprint::compute(&s, &req, None, &|_| {}, &AtomicBool::new(false)).unwrap();
    assert_eq!(fp.cells.len(), 9);
    insta::assert_snapshot!("footprint_3x3", defence::maps::footprint_csv(&fp).unwrap());
}
