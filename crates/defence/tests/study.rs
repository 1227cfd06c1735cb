//! Study-level properties: results do not depend on the order of sites in the file, and trajectory shapes
//! order as they should.

use defence::boost::BoostModel;
use defence::scenario::{EUROPE_2008_TOML, Scenario};
use defence::study::{self, ShapeChoice, StudyOptions};

/// The europe-2008 file with its `[[sites]]` blocks in reverse order.
fn reversed_sites() -> String {
    let head_end = EUROPE_2008_TOML.find("[[sites]]").unwrap();
    let tail_start = EUROPE_2008_TOML.find("[[radars]]").unwrap();
    let mut blocks: Vec<&str> = EUROPE_2008_TOML[head_end..tail_start]
        .split_inclusive("\n\n")
        .collect();
    blocks.reverse();
    format!(
        "{}{}{}",
        &EUROPE_2008_TOML[..head_end],
        blocks.concat(),
        &EUROPE_2008_TOML[tail_start..]
    )
}

#[test]
fn results_do_not_change_with_the_order_of_sites() {
    let a = Scenario::parse(EUROPE_2008_TOML, "a").unwrap();
    let b = Scenario::parse(&reversed_sites(), "b").unwrap();
    assert_ne!(a.sites[0].name, b.sites[0].name, "the order really differs");
    let opts = StudyOptions::default();
    let speeds = study::speeds(&a, &opts);
    let plan = study::plan(&a, &opts);
    let picks = [
        ("Russian ICBM", "Kozelsk", "Washington"),
        ("Russian ICBM", "Tatishchevo", "New York"),
        ("Iranian IRBM", "Tabriz", "Bucharest"),
        ("Iranian ICBM (hypothetical)", "Tehran", "Berlin"),
        ("Iranian IRBM", "Tehran", "Berlin"), // beyond range: skipped in both
    ];
    for (missile, from, to) in picks {
        let item = plan
            .iter()
            .find(|p| p.1 == missile && p.2 == from && p.3 == to)
            .unwrap();
        let ra = study::run_one(&a, &opts, &speeds, item).unwrap();
        let rb = study::run_one(&b, &opts, &speeds, item).unwrap();
        // Debug output compares skipped results too (their NaN fields are never equal under ==).
        assert_eq!(format!("{ra:?}"), format!("{rb:?}"), "{from} → {to}");
    }
    let sa = study::assemble(&a, &opts, vec![]).unwrap();
    let sb = study::assemble(&b, &opts, vec![]).unwrap();
    let mut ca = sa.coverage.clone();
    let mut cb = sb.coverage.clone();
    ca.sort_by(|x, y| x.site.cmp(&y.site));
    cb.sort_by(|x, y| x.site.cmp(&y.site));
    assert_eq!(ca, cb);
}

#[test]
fn lofted_flies_longer_and_higher_than_min_energy_and_depressed_shorter() {
    for boost in [BoostModel::Fixed, BoostModel::Powered] {
        shapes_under(boost);
    }
}

fn shapes_under(boost: BoostModel) {
    let s = Scenario::load("europe-2008").unwrap();
    let opts = StudyOptions {
        shapes: vec![
            ShapeChoice::MinEnergy,
            ShapeChoice::Lofted,
            ShapeChoice::Depressed,
        ],
        boost,
        ..StudyOptions::default()
    };
    let speeds = study::speeds(&s, &opts);
    let plan = study::plan(&s, &opts);
    let run = |shape| {
        let item = plan
            .iter()
            .find(|p| p.2 == "Teykovo" && p.3 == "New York" && p.4 == shape)
            .unwrap();
        study::run_one(&s, &opts, &speeds, item).unwrap()
    };
    let (me, lo, de) = (
        run(ShapeChoice::MinEnergy),
        run(ShapeChoice::Lofted),
        run(ShapeChoice::Depressed),
    );
    assert!(lo.flight_time_s > me.flight_time_s && me.flight_time_s > de.flight_time_s);
    if boost == BoostModel::Powered {
        // The flown rocket: lofted and depressed are the full vehicle on the steeper and flatter kick.
        assert!(lo.apogee_alt_m > me.apogee_alt_m && me.apogee_alt_m > de.apogee_alt_m);
        assert!(de.threat_burnout_speed_mps > me.threat_burnout_speed_mps);
        return;
    }
    // The fixed boost: lofted and depressed are 1.5 and 0.6 times the minimum-energy apogee.
    assert!((lo.apogee_alt_m / me.apogee_alt_m - 1.5).abs() < 1e-3);
    assert!((de.apogee_alt_m / me.apogee_alt_m - 0.6).abs() < 1e-3);
    // Lofted and depressed trajectories need more burnout speed than the minimum-energy one.
    assert!(lo.threat_burnout_speed_mps > me.threat_burnout_speed_mps);
    assert!(de.threat_burnout_speed_mps > me.threat_burnout_speed_mps);
}
