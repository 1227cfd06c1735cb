//! `compare`: two scenarios flown against the same threats. The expected differences follow from
//! geometry stated with each test, not from a previous run.

use defence::compare::{self, Change, CompareError, Comparison};
use defence::scenario::Scenario;
use defence::study::{self, Study, StudyOptions};
use rayon::prelude::*;

/// A built-in scenario with only the named threat families, each cut to the given launch sites and
/// targets (to keep the test short).
fn trimmed(name: &str, keep: &[(&str, &[&str], &[&str])]) -> Scenario {
    let mut s = Scenario::load(name).unwrap();
    s.threats.retain(|t| keep.iter().any(|k| k.0 == t.name));
    for t in &mut s.threats {
        let (_, from, to) = keep.iter().find(|k| k.0 == t.name).unwrap();
        t.from.retain(|f| from.contains(&f.as_str()));
        t.to.retain(|x| to.contains(&x.as_str()));
        assert_eq!(
            (t.from.len(), t.to.len()),
            (from.len(), to.len()),
            "{name}: {}",
            t.name
        );
    }
    assert_eq!(s.threats.len(), keep.len(), "{name}");
    s
}

fn run(s: &Scenario) -> Study {
    let opts = StudyOptions::default();
    let speeds = study::speeds(s, &opts);
    let threats = study::plan(s, &opts)
        .par_iter()
        .map(|item| study::run_one(s, &opts, &speeds, item).unwrap())
        .collect();
    study::assemble(s, &opts, threats).unwrap()
}

fn comparison(a: &Scenario, b: &Scenario) -> Comparison {
    let p = compare::prepare(a, b).unwrap();
    Comparison::new(a, b, run(&p.a), run(&p.b))
}

const IRAN_ICBM: &str = "Iran to Europe and the US (ICBM)";
const RUSSIA: &str = "Russia to the US (ICBM)";

/// The Gabala offer against the Czech radar. Geometry: Gabala stands 320-1 000 km from the Iranian
/// launch areas, so at its 2° minimum elevation the Earth hides a missile only below ~50 km: it
/// tracks the boost. Brdy is 3 000-3 400 km away, where a warhead must be ~1 000 km up before it
/// clears the horizon (README: 1 031 km over Tehran), i.e. well into midcourse. And both offered
/// radars look south (Gabala 115-225°, Armavir 55-295°), while the western Russian ICBM fields lie
/// north of them (azimuths 330-30°); the Czech radar's sector (55-175°) takes them in.
#[test]
fn a_radar_in_azerbaijan_sees_iranian_launches_earlier_than_one_in_the_czech_republic() {
    let keep: &[(&str, &[&str], &[&str])] = &[
        (
            IRAN_ICBM,
            &["Tehran", "Tabriz", "Semnan"],
            &["Berlin", "Washington"],
        ),
        (RUSSIA, &["Kozelsk", "Teykovo"], &["Washington"]),
    ];
    let a = trimmed("europe-2008", keep);
    let b = trimmed("gabala-offer", keep);
    let c = comparison(&a, &b);
    assert_eq!(c.trajectories.len(), 8);
    let iran: Vec<_> = c.trajectories.iter().filter(|r| r.from_country == "IR").collect();
    assert_eq!(iran.len(), 6);
    for r in &iran {
        let tb = r.first_track_b_s.expect("Gabala tracks every Iranian launch");
        assert!(
            tb < 200.0,
            "{} → {}: Gabala tracks the boost (200 s burn), got {tb}",
            r.from,
            r.to
        );
        assert_eq!(r.first_radar_b, "Gabala", "{} → {}", r.from, r.to);
        if let Some(ta) = r.first_track_a_s {
            assert!(
                ta > tb + 150.0,
                "{} → {}: Brdy {ta} s, Gabala {tb} s",
                r.from,
                r.to
            );
        }
        assert!(r.first_track_gain_s.is_none_or(|g| g < -150.0));
    }
    // What the radars see of Russian territory: the Czech radar sees the western fields, the offered
    // radars none.
    for site in ["Kozelsk", "Teykovo"] {
        let row = c.coverage.iter().find(|r| r.site == site).unwrap();
        assert_eq!(row.country, "RU");
        assert!(row.lowest_seen_a_km.is_some(), "{site}: {row:?}");
        assert!(row.lowest_seen_b_km.is_none(), "{site}: {row:?}");
        assert!(row.lowest_seen_most_capable_b_km.is_none(), "{site}: {row:?}");
    }
    for r in c.trajectories.iter().filter(|r| r.from_country == "RU") {
        assert!(r.first_track_b_s.is_none(), "{r:?}");
        assert!(r.crossover_b_mps.is_none() && r.crossover_most_capable_b_mps.is_none());
    }
    // The differences are the radars (first), nothing else: the battery and the threats are the same.
    assert!(!c.differences.is_empty());
    assert!(
        c.differences
            .iter()
            .all(|d| d.key.starts_with("radars.") && d.flown),
        "{:#?}",
        c.differences
    );
    let only = |k: &str| c.differences.iter().find(|d| d.key == k).unwrap();
    assert!(only("radars.EMR.site").b.is_empty() && only("radars.EMR.site").a.contains("Brdy"));
    assert!(only("radars.Gabala.site").a.is_empty() && only("radars.Gabala.site").b.contains("Gabala"));
    // The per-speed table counts what the rows say.
    let top = c.top_speed_mps();
    let row = c
        .by_speed
        .iter()
        .find(|r| r.threat == IRAN_ICBM && r.speed_mps == top)
        .unwrap();
    assert_eq!(row.flown, 6);
    let engaged_b = iran
        .iter()
        .filter(|r| r.crossover_b_mps.is_some_and(|v| v <= top))
        .count();
    assert_eq!(row.engaged_b, engaged_b);
}

/// North Korea's Taepodong-2 to the US west coast against the European site. Geometry: Musudan-ri to
/// Seattle, San Francisco or Los Angeles is a great circle over the Sea of Japan, the Kurils and the
/// North Pacific; Brdy is never closer than ~7 000 km to it, far beyond the EMR's 2 000 km at the capable
/// end of its range and below its horizon, and Redzikowo's interceptors would need to fly across
/// Eurasia. The US homeland sites are the ones placed for it: Shariki sees the launch, Fort Greely lies
/// under the track. Conversely the North Korean scenario's radars (Shemya, Beale, Shariki) cannot see an
/// Iranian missile flying to Berlin.
#[test]
fn no_european_site_engages_a_north_korean_icbm_bound_for_the_us_west_coast() {
    let a = trimmed("europe-2008", &[(IRAN_ICBM, &["Tehran"], &["Berlin"])]);
    let west = ["Seattle", "San Francisco", "Los Angeles"];
    let b = trimmed(
        "north-korea-2008",
        &[("North Korea to the US (Taepodong-2)", &["Musudan-ri"], &west)],
    );
    let c = comparison(&a, &b);
    assert_eq!(c.trajectories.len(), 4, "the union of both scenarios' threats");
    for r in c.trajectories.iter().filter(|r| r.from == "Musudan-ri") {
        assert!(west.contains(&r.to.as_str()));
        assert!(r.skipped.is_empty(), "{r:?}");
        assert!(r.first_track_a_s.is_none(), "the EMR never sees it: {r:?}");
        assert!(
            r.crossover_a_mps.is_none() && r.crossover_most_capable_a_mps.is_none(),
            "{r:?}"
        );
        assert!(!r.engaged_at_scenario_speed_a);
        assert!(
            r.first_track_b_s.is_some_and(|t| t < 300.0),
            "seen in boost by Shariki: {r:?}"
        );
        assert!(
            r.crossover_b_mps.is_some(),
            "the Alaskan and Californian GBIs reach it: {r:?}"
        );
        assert_eq!(r.change, Change::OnlyB);
    }
    for s in c.by_speed.iter().filter(|s| s.threat.starts_with("North Korea")) {
        assert_eq!((s.engaged_a, s.engaged_most_capable_a), (0, 0), "{s:?}");
    }
    let iran = c.trajectories.iter().find(|r| r.from == "Tehran").unwrap();
    assert!(
        iran.first_track_b_s.is_none() && iran.crossover_b_mps.is_none(),
        "{iran:?}"
    );
    assert_eq!(iran.change, Change::OnlyA);
    // Defence differences come first.
    let first_threat = c
        .differences
        .iter()
        .position(|d| !(d.key.starts_with("radars.") || d.key.starts_with("interceptors.")))
        .unwrap_or(c.differences.len());
    assert!(
        c.differences[first_threat..]
            .iter()
            .all(|d| !(d.key.starts_with("radars.") || d.key.starts_with("interceptors.")))
    );
    assert!(first_threat > 0);
    // The map's legend names only what the map shows: no defence site is shared, and the tracks are
    // engageable in one scenario only.
    let svg = compare::map_svg(&c).unwrap();
    for shown in [
        "defence site of A only (europe-2008)",
        "defence site of B only (north-korea-2008)",
        "launch site",
        "engageable only in A",
        "engageable only in B",
    ] {
        assert!(svg.contains(shown), "{shown}");
    }
    for absent in [
        "defence site of both",
        "both, same crossover speed",
        "engageable in neither",
    ] {
        assert!(!svg.contains(absent), "{absent}");
    }
    // A meridian label of the antimeridian has no hemisphere.
    assert!(
        !svg.contains(">180°W<") && !svg.contains(">180°E<"),
        "antimeridian label"
    );
}

/// The union of threats: a family both scenarios have is flown as A defines it, and the difference is
/// listed as not flown; a family only B has joins A's.
#[test]
fn both_scenarios_fly_the_same_threats_as_a_defines_them() {
    let a = trimmed("europe-2008", &[(IRAN_ICBM, &["Tehran"], &["Berlin"])]);
    let mut b = trimmed(
        "gabala-offer",
        &[
            (IRAN_ICBM, &["Tehran", "Tabriz"], &["Berlin"]),
            (RUSSIA, &["Kozelsk"], &["Washington"]),
        ],
    );
    b.missiles[0].rcs_m2.value = 0.3;
    let p = compare::prepare(&a, &b).unwrap();
    assert_eq!(p.a.threats, p.b.threats);
    assert_eq!(p.a.missiles, p.b.missiles);
    assert_eq!(p.a.threats.len(), 2);
    assert_eq!(
        p.a.threats[0].from,
        ["Tehran"],
        "A's definition of the shared family"
    );
    assert_eq!(p.a.radars, a.radars);
    assert_eq!(p.b.radars, b.radars);
    let d = compare::differences(&a, &b);
    let fam = d
        .iter()
        .find(|x| x.key == format!("threats.{IRAN_ICBM}"))
        .unwrap();
    assert!(!fam.flown);
    let rcs = d
        .iter()
        .find(|x| x.key.ends_with(".rcs_m2") && x.key.starts_with("missiles."))
        .unwrap();
    assert!(!rcs.flown && rcs.b.starts_with("0.3"), "{rcs:?}");
    let russia = d.iter().find(|x| x.key == format!("threats.{RUSSIA}")).unwrap();
    assert!(russia.flown && russia.a.is_empty());
    // Scenarios compared with themselves differ in nothing.
    assert!(compare::differences(&a, &a).is_empty());
}

#[test]
fn a_site_name_meaning_two_places_is_refused() {
    let a = trimmed("europe-2008", &[(IRAN_ICBM, &["Tehran"], &["Berlin"])]);
    let mut b = Scenario::load("gabala-offer").unwrap();
    b.threats.clear();
    // B's radar stands on a site called Berlin, somewhere else than A's target Berlin.
    for s in &mut b.sites {
        if s.name == "Gabala" {
            s.name = "Berlin".into();
        }
    }
    for r in &mut b.radars {
        if r.site == "Gabala" {
            r.site = "Berlin".into();
        }
    }
    b.sites.retain(|s| s.name != "Berlin" || s.lat_deg != 52.52);
    let e = compare::prepare(&a, &b).unwrap_err();
    assert!(
        matches!(e, CompareError::SiteClash { ref name, .. } if name == "Berlin"),
        "{e}"
    );
    assert!(e.to_string().contains("Berlin"));
}

/// The files, read back: typed CSV headers with every row, GeoJSON with every flown track.
#[test]
fn the_comparison_files_read_back() {
    let a = trimmed(
        "europe-2008",
        &[(IRAN_ICBM, &["Tehran"], &["Berlin", "Washington"])],
    );
    let b = trimmed(
        "gabala-offer",
        &[(IRAN_ICBM, &["Tehran"], &["Berlin", "Washington"])],
    );
    let c = comparison(&a, &b);
    let files = compare::compare_files(&c).unwrap();
    let get = |n: &str| {
        let f = files
            .iter()
            .find(|f| f.name == n)
            .unwrap_or_else(|| panic!("{n}"));
        String::from_utf8(f.bytes.clone()).unwrap()
    };
    let text = get("compare.csv");
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header[..6],
        ["threat", "missile", "shape", "from", "from_country", "to"]
    );
    assert_eq!(header.last().unwrap(), "change");
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    for row in &rows {
        let b: f64 = row[col("first_track_b_s")].parse().unwrap();
        assert!(b > 0.0);
        assert!(
            ["same", "lower-in-b", "lower-in-a", "only-a", "only-b", "neither"]
                .contains(&&row[col("change")])
        );
    }
    let text = get("compare-parameters.csv");
    let mut r = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(r.headers().unwrap(), vec!["key", "a", "b", "flown", "source"]);
    assert_eq!(r.records().count(), c.differences.len());
    let g: geojson::GeoJson = get("compare.geojson").parse().unwrap();
    let geojson::GeoJson::FeatureCollection(fc) = g else {
        panic!()
    };
    let tracks = fc
        .features
        .iter()
        .filter(|f| f.property("kind").and_then(|v| v.as_str()) == Some("track"))
        .count();
    assert_eq!(tracks, 2);
    let html = get("report.html");
    assert!(html.contains("Parameters that differ") && html.contains("<svg"));
    assert!(get("map.svg").contains("engageable"));
    assert!(files.iter().any(|f| f.name == "map.png"));

    // The page shows a crossover speed as the terminal does, below the lowest assumed speed too:
    // the number, never a clamped "< 5.4" (the powered flyout makes every speed mean something).
    let low = c.speeds_mps[0];
    assert_eq!(low, 5400.0);
    let mut c2 = c.clone();
    c2.trajectories[0].crossover_a_mps = Some(6312.0);
    c2.trajectories[0].crossover_b_mps = Some(4674.0);
    c2.trajectories[0].change = Change::LowerInB;
    let html = compare::html(&c2).unwrap();
    assert!(html.contains("<td>6.31</td><td>4.67</td>"), "{html}");
    assert!(!html.contains("&lt; 5.4"), "no clamped figure on the page");
    let text = compare::summary(&c2);
    let row = text
        .lines()
        .find(|l| l.contains("lower-in-b"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        row.contains("6.31") && row.contains("4.67") && !row.contains("< 5.4"),
        "{row}"
    );
}
