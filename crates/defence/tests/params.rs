//! The one table of scenario parameters: the scenario checker, the sweeps and the study's parameter
//! list read the same rows, so they accept and refuse the same values with the same words.

use defence::params::{self, Limits, SourceRule};
use defence::scenario::{EUROPE_2008_TOML, Scenario};
use defence::study::{self, StudyOptions};
use defence::sweep::{self, SweepError};

fn europe() -> Scenario {
    Scenario::load("europe-2008").unwrap()
}

fn europe_toml() -> toml::Table {
    toml::from_str(EUROPE_2008_TOML).unwrap()
}

/// The first item of `section` in the parsed file, and its name.
fn first_item<'a>(t: &'a mut toml::Table, section: &str) -> (&'a mut toml::Table, String) {
    let item = t[section].as_array_mut().unwrap()[0].as_table_mut().unwrap();
    let name = item["name"].as_str().unwrap().to_string();
    (item, name)
}

/// Values just outside (and on the wrong side of) each end of the limits, and non-numbers.
fn outside(l: &Limits) -> Vec<f64> {
    let mut v = vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY];
    v.push(l.low - 1.0);
    v.push(l.low - l.low.abs() * 1e-9 - 1e-9);
    if l.low_open {
        v.push(l.low);
    }
    if l.high.is_finite() {
        v.push(l.high + 1.0);
        v.push(l.high * (1.0 + 1e-9) + 1e-9);
    }
    v
}

/// Values on the edges of the limits that both must accept.
fn inside(l: &Limits) -> Vec<f64> {
    let mut v = Vec::new();
    if !l.low_open {
        v.push(l.low);
    }
    v.push(l.low + 1e-6);
    if l.high.is_finite() {
        v.push(l.high);
    } else {
        v.push(1.0e12);
    }
    v
}

/// The scenario checker's verdict on `section[0].key = value` (range removed, so only the limits speak).
fn checker(section: &str, key: &str, value: f64) -> Result<(), defence::ScenarioError> {
    let mut t = europe_toml();
    let (item, _) = first_item(&mut t, section);
    let p = item[key].as_table_mut().unwrap();
    p.insert("value".into(), toml::Value::Float(value));
    p.remove("range");
    let text = toml::to_string(&t).unwrap();
    Scenario::parse(&text, "edited.toml").map(|_| ())
}

#[test]
fn every_numeric_parameter_of_the_file_has_a_row_and_every_row_a_field() {
    // Every `{ value = …, source = … }` table in every section of the built-in file is a row of the
    // table (a field added to a section without a row is caught here), and every row exists in the file.
    let t = europe_toml();
    let rows = params::table();
    let mut seen = 0;
    for (section, items) in &t {
        let Some(items) = items.as_array() else { continue };
        for item in items {
            for (key, v) in item.as_table().unwrap() {
                if v.as_table().is_some_and(|p| p.contains_key("value")) {
                    assert!(
                        rows.iter().any(|r| r.section == section && r.key == key),
                        "{section}.{key} is a parameter of the file but has no row in defence::params"
                    );
                    seen += 1;
                }
            }
        }
    }
    for r in &rows {
        let items = t[r.section].as_array().unwrap();
        assert!(
            r.optional || items.iter().all(|i| i.as_table().unwrap().contains_key(r.key)),
            "row {}.{} is missing from the file",
            r.section,
            r.key
        );
    }
    let s = europe();
    assert_eq!(params::entries(&s).len(), seen);
}

#[test]
fn every_sweep_path_and_every_study_parameter_is_a_row() {
    let s = europe();
    let rows = params::table();
    let paths = sweep::param_paths(&s);
    assert_eq!(paths, params::paths(&s));
    for p in &paths {
        let def = params::def_at(&s, p).unwrap();
        assert!(rows.contains(def), "{p}");
        assert!(
            p.ends_with(&format!(".{}", def.key)) && p.starts_with(def.section),
            "{p}"
        );
    }
    // Each item of each section carries each row once.
    let per_item: usize = ["radars", "interceptors", "missiles", "vehicles"]
        .iter()
        .map(|sec| {
            let n = match *sec {
                "radars" => s.radars.len(),
                "interceptors" => s.interceptors.len(),
                "vehicles" => s.vehicles.len(),
                _ => s.missiles.len(),
            };
            n * rows.iter().filter(|r| r.section == *sec).count()
        })
        .sum();
    assert_eq!(paths.len(), per_item);
    // The study's parameter list is the same list, in the same order, followed by the vehicles' stage
    // parameters (not rows: a stage has no name to address it by).
    let st = study::assemble(&s, &StudyOptions::default(), Vec::new()).unwrap();
    let keys: Vec<&str> = st.parameters.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(
        keys[..paths.len()],
        paths.iter().map(String::as_str).collect::<Vec<_>>()[..]
    );
    assert!(
        keys[paths.len()..]
            .iter()
            .all(|k| k.starts_with("vehicles.") && k.contains(".stages[")),
        "{keys:?}"
    );
    assert!(keys.iter().any(|k| k.ends_with(".kill_assessment_s")));
}

#[test]
fn checker_and_sweep_refuse_the_same_values_with_the_same_message() {
    let s = europe();
    let mut compared = 0;
    for row in params::table() {
        let mut t = europe_toml();
        let (_, name) = first_item(&mut t, row.section);
        let path = format!("{}.{name}.{}", row.section, row.key);
        for v in outside(&row.limits) {
            let e = checker(row.section, row.key, v).expect_err(&format!("checker accepted {path} = {v}"));
            assert_eq!(e.key, path);
            let mut sw = s.clone();
            let se = sweep::set_param(&mut sw, &path, v).expect_err(&format!("sweep accepted {path} = {v}"));
            assert!(matches!(se, SweepError::Invalid(_)), "{se}");
            assert_eq!(se.to_string(), format!("{}: {}", e.key, e.message));
            assert!(e.message.contains("physical limits"), "{e}");
            compared += 1;
        }
        for v in inside(&row.limits) {
            // The radar's elevations must also keep min below max: test each on its own side.
            let v = match row.key {
                "min_elevation_deg" => v.min(80.0),
                "max_elevation_deg" => v.max(2.0),
                _ => v,
            };
            checker(row.section, row.key, v).unwrap_or_else(|e| panic!("checker refused {path} = {v}: {e}"));
            let mut sw = s.clone();
            sweep::set_param(&mut sw, &path, v).unwrap_or_else(|e| panic!("sweep refused {path} = {v}: {e}"));
        }
    }
    assert!(compared > 100, "{compared}");
}

#[test]
fn kill_assessment_is_checked_like_every_parameter() {
    let e = checker("interceptors", "kill_assessment_s", -5.0).unwrap_err();
    assert_eq!(e.key, "interceptors.GBI-2.kill_assessment_s");
    assert_eq!(e.message, "value -5 is outside its physical limits [0, ∞) s");
    // Its range and source are checked too.
    let edit = |from: &str, to: &str| {
        let text = EUROPE_2008_TOML.replacen(from, to, 1);
        assert_ne!(text, EUROPE_2008_TOML, "{from} not found");
        Scenario::parse(&text, "bad.toml").unwrap_err().to_string()
    };
    let e = edit(
        "kill_assessment_s = { value = 60.0, range = [30.0, 120.0]",
        "kill_assessment_s = { value = 60.0, range = [-30.0, 120.0]",
    );
    assert!(
        e.contains("interceptors.GBI-2.kill_assessment_s") && e.contains("range [-30, 120]"),
        "{e}"
    );
    let e = edit(
        "kill_assessment_s = { value = 60.0, range = [30.0, 120.0], source = \"assumption: radar kill assessment and re-commit before a second shot (no public figure)\"",
        "kill_assessment_s = { value = 60.0, range = [30.0, 120.0], source = \"Jane's\"",
    );
    assert!(
        e.contains("interceptors.GBI-2.kill_assessment_s") && e.contains("names no year"),
        "{e}"
    );
}

#[test]
fn lowest_intercept_altitude_has_one_set_of_limits() {
    // The checker once allowed -1000 m and the sweep refused it; now both refuse with one message.
    let e = checker("interceptors", "min_intercept_alt_m", -500.0).unwrap_err();
    let mut s = europe();
    let se = sweep::set_param(&mut s, "interceptors.GBI-2.min_intercept_alt_m", -500.0).unwrap_err();
    assert_eq!(se.to_string(), format!("{}: {}", e.key, e.message));
    assert!(e.message.ends_with("[0, 100000000] m"), "{e}");
    sweep::set_param(&mut s, "interceptor.min_intercept_alt_m", 0.0).unwrap();
}

#[test]
fn relations_between_parameters_hold_in_sweeps_as_in_files() {
    let e = checker("radars", "min_elevation_deg", 86.0).unwrap_err();
    assert_eq!(e.key, "radars.EMR.min_elevation_deg");
    assert!(e.message.contains("below the maximum elevation"), "{e}");
    let mut s = europe();
    let se = sweep::set_param(&mut s, "radars.EMR.min_elevation_deg", 86.0).unwrap_err();
    assert!(se.to_string().contains("below the maximum elevation"), "{se}");
    // Two parameters set together are judged together: min 86 with max 89 is fine.
    let mut s = europe();
    sweep::set_params(
        &mut s,
        &[
            ("radars.EMR.min_elevation_deg", 86.0),
            ("radars.EMR.max_elevation_deg", 89.0),
        ],
    )
    .unwrap();
    assert_eq!(s.radars[0].min_elevation_deg.value, 86.0);
}

#[test]
fn sources_name_a_year_or_an_assumption() {
    let rule = SourceRule::PublicationOrAssumption;
    for ok in [
        "CRS RL34051 (Hildreth & Ek, 2007-09)",
        "Postol & Lewis 2007",
        "assumption: no public figure",
        "value assumed (T4 gap)",
    ] {
        rule.check(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
    }
    for bad in ["", "  ", "Jane's", "report 12345", "page 2100", "Wikipedia"] {
        assert!(rule.check(bad).is_err(), "{bad:?} accepted");
    }
    // Every parameter of the built-in scenario passes.
    for e in params::entries(&europe()) {
        rule.check(&e.param.source)
            .unwrap_or_else(|m| panic!("{}: {m}", e.path()));
    }
}

#[test]
fn a_burnout_speed_above_the_fastest_bound_flyout_is_refused_in_files_and_sweeps() {
    let e = checker("interceptors", "burnout_speed_mps", 90_000.0).unwrap_err();
    assert!(e.message.ends_with("(0, 11664] m/s"), "{e}");
    let mut s = europe();
    let se = sweep::set_param(&mut s, "interceptors.GBI-2.burnout_speed_mps", 90_000.0).unwrap_err();
    assert_eq!(se.to_string(), format!("{}: {}", e.key, e.message));
    sweep::set_param(&mut s, "interceptors.GBI-2.burnout_speed_mps", 11_000.0).unwrap();
}

#[test]
fn limits_read_as_intervals() {
    assert_eq!(params::POSITIVE.interval(), "(0, ∞)");
    assert_eq!(params::ELEVATION.interval(), "[-90, 90]");
    assert_eq!(params::HALF_WIDTH.interval(), "(0, 180]");
    assert!(!params::POSITIVE.contains(0.0) && params::NON_NEGATIVE.contains(0.0));
    assert!(!params::AZIMUTH.contains(f64::NAN) && params::AZIMUTH.contains(360.0));
}
