//! Every scenario shipped with the binary loads, says what it is, sources what it claims, and runs.

use defence::builtin::{NAMES, SCENARIOS, list};
use defence::scenario::{BUILT_IN, Role, Scenario};
use defence::study::{self, StudyOptions};

#[test]
fn every_built_in_scenario_loads_under_its_own_name_with_a_summary() {
    assert_eq!(BUILT_IN, NAMES.as_slice());
    assert_eq!(SCENARIOS.map(|(n, _)| n), NAMES);
    let listed = list().unwrap();
    assert_eq!(listed.len(), NAMES.len());
    for ((name, line), want) in listed.iter().zip(NAMES) {
        assert_eq!(*name, want);
        let s = Scenario::load(name).unwrap();
        assert_eq!(
            s.meta.name, *name,
            "the file's [scenario] name is the name it loads by"
        );
        assert!(
            !s.meta.summary.is_empty(),
            "{name}: a one-line summary for --list"
        );
        assert!(
            !line.contains('\n') && line.len() < 200,
            "{name}: one line: {line}"
        );
        assert!(!s.radars.is_empty() && !s.interceptors.is_empty() && !s.threats.is_empty());
        // Every site says where its coordinates come from, naming a publication, dataset or gazetteer.
        for site in &s.sites {
            assert!(site.source.len() > 20, "{name}: {}: {}", site.name, site.source);
        }
    }
}

/// The defence of each alternative is where the dispute put it (roles and countries), so a wrong
/// copy or a swapped site cannot pass.
#[test]
fn the_alternatives_have_the_defences_the_dispute_named() {
    let defence = |name: &str| {
        let s = Scenario::load(name).unwrap();
        let mut out: Vec<(String, String)> = s
            .radars
            .iter()
            .map(|r| {
                (
                    format!("radar {}", r.name),
                    s.site(&r.site).unwrap().country.clone(),
                )
            })
            .chain(s.interceptors.iter().map(|i| {
                (
                    format!("battery {}", i.name),
                    s.site(&i.site).unwrap().country.clone(),
                )
            }))
            .collect();
        out.sort();
        out
    };
    let pairs = |v: &[(&str, &str)]| {
        let mut v: Vec<(String, String)> = v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
        v.sort();
        v
    };
    assert_eq!(
        defence("gabala-offer"),
        pairs(&[
            ("radar Gabala", "AZ"),
            ("radar Armavir", "RU"),
            ("battery GBI-2", "PL")
        ])
    );
    assert_eq!(
        defence("europe-2008-sensors"),
        pairs(&[
            ("radar EMR", "CZ"),
            ("radar Fylingdales UEWR", "GB"),
            ("radar Thule UEWR", "GL"),
            ("radar Vardø XBR", "NO"),
            ("battery GBI-2", "PL")
        ])
    );
    let paa = defence("paa-2018");
    for want in [
        ("battery SM-3 IB Deveselu", "RO"),
        ("battery SM-3 IIA Redzikowo", "PL"),
        ("radar AN/TPY-2 Kürecik", "TR"),
    ] {
        assert!(paa.contains(&(want.0.to_string(), want.1.to_string())), "{paa:?}");
    }
    // The phases only add: each phase's batteries are a superset of the previous one's sites.
    let sites = |name: &str| {
        let s = Scenario::load(name).unwrap();
        s.interceptors.iter().map(|i| i.site.clone()).collect::<Vec<_>>()
    };
    assert_eq!(sites("paa-2011").len(), 1);
    assert_eq!(sites("paa-2015").len(), 2);
    assert_eq!(sites("paa-2018").len(), 3);
    let nk = Scenario::load("north-korea-2008").unwrap();
    let launch: Vec<&str> = nk
        .sites
        .iter()
        .filter(|s| s.roles.contains(&Role::Launch))
        .map(|s| s.country.as_str())
        .collect();
    assert!(
        !launch.is_empty() && launch.iter().all(|c| *c == "KP"),
        "{launch:?}"
    );
    assert_eq!(
        defence("north-korea-2008")
            .iter()
            .filter(|(k, _)| k.starts_with("battery"))
            .map(|(_, c)| c.as_str())
            .collect::<Vec<_>>(),
        ["US", "US"]
    );
}

/// Every shipped scenario runs: one trajectory of each of its threat families (the first launch site
/// to the nearest target within the missile's range) is flown and engaged by every battery, cued by
/// every radar, and the study assembles. Answers are physical: first tracks inside the flight, a
/// crossover speed only where a radar tracks the warhead, the first radar one of the scenario's.
#[test]
fn every_built_in_scenario_runs() {
    for name in NAMES {
        let s = Scenario::load(name).unwrap();
        let opts = StudyOptions::default();
        let speeds = study::speeds(&s, &opts);
        let mut results = Vec::new();
        for t in &s.threats {
            let from = s.site(&t.from[0]).unwrap();
            let range = s
                .missiles
                .iter()
                .find(|m| m.name == t.missile)
                .unwrap()
                .max_range_m
                .value;
            let to =
                t.to.iter()
                    .map(|n| {
                        let x = s.site(n).unwrap();
                        let d = geodesy::inverse(from.lat_deg, from.lon_deg, x.lat_deg, x.lon_deg)
                            .unwrap()
                            .distance_m;
                        (d, n)
                    })
                    .filter(|(d, _)| *d < range)
                    .min_by(|a, b| a.0.total_cmp(&b.0))
                    .map(|(_, n)| n.clone())
                    .unwrap_or_else(|| panic!("{name}: {}: no target within range", t.name));
            let item = (
                t.name.clone(),
                t.missile.clone(),
                from.name.clone(),
                to,
                study::ShapeChoice::MinEnergy,
            );
            let r = study::run_one(&s, &opts, &speeds, &item).unwrap();
            assert!(r.skipped.is_none(), "{name}: {item:?}: {:?}", r.skipped);
            for cue in [&r.specified, &r.most_capable] {
                if let Some(t0) = cue.first_detection_s {
                    assert!(t0 >= 0.0 && t0 < r.flight_time_s, "{name}: {t0}");
                    let radar = cue.first_radar.as_deref().unwrap();
                    assert!(s.radars.iter().any(|x| x.name == radar), "{name}: {radar}");
                } else {
                    assert!(cue.crossover_speed_mps.is_none() && cue.first_radar.is_none());
                }
                for w in &cue.windows {
                    assert!(s.interceptors.iter().any(|i| i.name == w.battery));
                    assert!(w.earliest_intercept_s <= w.latest_intercept_s);
                }
            }
            // The capable end of the ranges never sees later than the radars as specified.
            if let (Some(a), Some(b)) = (r.specified.first_detection_s, r.most_capable.first_detection_s) {
                assert!(b <= a + 1e-6, "{name}: {a} {b}");
            }
            results.push(r);
        }
        let st = study::assemble(&s, &opts, results).unwrap();
        assert_eq!(st.scenario, name);
        assert_eq!(st.radar.split(", ").count(), s.radars.len());
        assert_eq!(st.interceptor.split(", ").count(), s.interceptors.len());
        assert!(!st.coverage.is_empty());
    }
}
