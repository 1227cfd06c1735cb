//! The SM-3 burnout speeds of the phased-approach scenarios: each is a disputed value with its range and
//! the publications behind it, and the study reports every trajectory at both ends of every range, so the
//! sensitivity of the answer to the dispute is in the report.

use defence::scenario::Scenario;
use defence::study::{self, StudyOptions};
use rayon::prelude::*;

#[test]
fn every_sm3_speed_is_a_sourced_range_the_study_reports_at_both_ends() {
    for name in ["paa-2011", "paa-2015", "paa-2018"] {
        let s = Scenario::load(name).unwrap();
        let speeds = study::speeds(&s, &StudyOptions::default());
        for i in &s.interceptors {
            let p = &i.burnout_speed_mps;
            let (lo, hi) = p.span_of_values();
            assert!(lo < p.value && p.value < hi, "{name}: {} is not disputed", i.name);
            assert!(
                p.source.contains("Sankaran") && p.source.contains("Arms Control Today"),
                "{name}: {}",
                i.name
            );
            // The IIB's planned 5.5 km/s bounds every earlier block from above.
            assert!(hi <= 5_500.0, "{name}: {}", i.name);
            for v in [lo, p.value, hi] {
                assert!(speeds.contains(&v), "{name}: {v} m/s is not reported");
            }
        }
    }
}

/// paa-2018 against the hypothetical Iranian ICBM aimed at western and central Europe from Tabriz and
/// Tehran: the nearer targets (Berlin, Warsaw) need ~1.5-2 km/s, the farther ones (Madrid, Lisbon) about
/// 4 km/s, so the answer moves across the SM-3 ranges: more trajectories are engaged at the top of the
/// ranges (5.5 km/s) than at the bottom (2.7 km/s), and never fewer at a higher speed.
#[test]
fn the_paa_2018_answer_moves_across_the_sm3_speed_ranges() {
    let mut s = Scenario::load("paa-2018").unwrap();
    s.threats.retain(|t| t.name == "Iran to Europe and the US (ICBM)");
    let keep = [
        "Berlin", "Paris", "London", "Rome", "Madrid", "Warsaw", "Oslo", "Lisbon",
    ];
    for t in &mut s.threats {
        t.from.retain(|f| ["Tabriz", "Tehran"].contains(&f.as_str()));
        t.to.retain(|x| keep.contains(&x.as_str()));
    }
    let opts = StudyOptions::default();
    let speeds = study::speeds(&s, &opts);
    let threats: Vec<_> = study::plan(&s, &opts)
        .par_iter()
        .map(|item| study::run_one(&s, &opts, &speeds, item).unwrap())
        .collect();
    let engaged = |v: f64| {
        threats
            .iter()
            .filter(|r| r.specified.windows.iter().any(|w| w.speed_mps == v))
            .count()
    };
    let counts: Vec<(f64, usize)> = speeds.iter().map(|&v| (v, engaged(v))).collect();
    for w in counts.windows(2) {
        assert!(w[0].1 <= w[1].1, "{counts:?}");
    }
    let low = engaged(2_700.0);
    let high = engaged(5_500.0);
    assert!(high > low, "{counts:?}");
}
