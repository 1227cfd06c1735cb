//! The flyouts of any commit follow from one free scan per battery and trajectory (`FlyoutMemo`): the
//! free flyout where the commit does not bind, a re-solve at the longest coast allowed where it does.
//! Held here against a constrained search from scratch (`flyout`: Brent's method over every coast the
//! commit allows, then the longest one) at the commit delays of the scenario (its value and the ends of
//! its sourced range), under the fixed and the powered boost; and a later commit never starts a window
//! earlier nor fires more shots. The re-solves the dashboard skips (`FlyoutMemo::deciding_flyouts`,
//! `first_within`: those whose free flyout already needs more than the speed asked or the crossover) are
//! held, over every trajectory of europe-2008's study, to change no crossover, window or count, with the
//! bound they rely on checked on every commit-bound flyout; and one memo through commits seen before and
//! new ones answers as a fresh one.

use defence::boost::BoostModel;
use defence::engagement::{
    FlyoutMemo, Interceptor, Missile, ThreatTrack, engage, engage_network, flyout, flyouts_after, grid_len,
    grid_time_s, shoot_look_shoot, shoot_look_shoot_memo,
};
use defence::radar::Radar;
use defence::scenario::Scenario;
use flight::{Gravity, Shape};

fn threat(s: &Scenario, from: &str, to: &str, missile: &str) -> ThreatTrack {
    let m = s.missiles.iter().find(|m| m.name == missile).unwrap();
    defence::engagement::fly_threat(
        s.site(from).unwrap(),
        s.site(to).unwrap(),
        Missile::from_def(m),
        Shape::MinEnergy,
        Gravity::J2,
    )
    .unwrap()
}

/// The scenario's first radar, all round (the upper end of its field of regard's range).
fn radar(s: &Scenario) -> Radar {
    let r = &s.radars[0];
    let mut radar = Radar::from_def(r, s.site(&r.site).unwrap()).unwrap();
    radar.azimuth_half_width_deg = 180.0;
    radar
}

/// The scenario's first battery under `model`.
fn battery(s: &Scenario, model: BoostModel) -> Interceptor {
    let d = &s.interceptors[0];
    Interceptor::with_boost(d, s.site(&d.site).unwrap(), model, s).unwrap()
}

/// The battery's commit delays: the lower end of the sourced range, the value, the upper end.
fn delays(s: &Scenario) -> [f64; 3] {
    let d = &s.interceptors[0].commit_delay_s;
    let [lo, hi] = d.range.expect("the commit delay is disputed");
    assert!(lo < d.value && d.value < hi);
    [lo, d.value, hi]
}

#[test]
fn flyouts_from_the_free_scan_equal_a_constrained_search_from_scratch() {
    let s = Scenario::load("europe-2008").unwrap();
    let radar = radar(&s);
    let (mut free_used, mut re_solved) = (0, 0);
    let mut worst = 0.0_f64;
    for model in [BoostModel::Fixed, BoostModel::Powered] {
        let icpt = battery(&s, model);
        for (from, to, m) in [
            ("Kozelsk", "Washington", "Russian ICBM"),
            ("Semnan", "Berlin", "Iranian IRBM"),
        ] {
            let t = threat(&s, from, to, m);
            let first = engage(&radar, &icpt, &t).first_detection_s.expect("tracked");
            let mut memo = FlyoutMemo::new();
            for delay in delays(&s) {
                let commit = first + delay;
                for k in (0..grid_len(&t)).step_by(3) {
                    let at = grid_time_s(&t, k);
                    let reused = memo.at(&icpt, &t, commit, k);
                    let scratch = flyout(&icpt, &t, commit, at);
                    let (Some(a), Some(b)) = (reused, scratch) else {
                        assert_eq!(
                            reused.is_some(),
                            scratch.is_some(),
                            "{model:?} {from} → {to}, commit {commit} s, intercept {at} s"
                        );
                        continue;
                    };
                    let free = memo.free(&icpt, &t);
                    if free.get(k).is_some_and(|f| f.launch_time_s >= commit) {
                        free_used += 1;
                    } else {
                        re_solved += 1;
                    }
                    assert!(a.launch_time_s >= commit - 1e-9, "{a:?} before commit {commit}");
                    assert_eq!(a.intercept_time_s, at);
                    let d = a.required_speed_mps - b.required_speed_mps;
                    worst = worst.max(d.abs());
                    assert!(
                        d.abs() <= 1e-3,
                        "{model:?} {from} → {to}, commit {commit} s, intercept {at} s: {} against {} m/s from scratch",
                        a.required_speed_mps,
                        b.required_speed_mps
                    );
                }
            }
        }
    }
    eprintln!("{free_used} free flyouts, {re_solved} re-solved, largest difference {worst:.2e} m/s");
    // Both ways of answering were taken.
    assert!(
        free_used > 20 && re_solved > 20,
        "{free_used} free, {re_solved} re-solved"
    );
}

#[test]
fn a_later_commit_never_starts_a_window_earlier_nor_fires_more_shots() {
    let s = Scenario::load("europe-2008").unwrap();
    let radar = radar(&s);
    let icpt = battery(&s, BoostModel::Powered);
    let speeds = [5400.0, 6300.0, 7700.0, 8300.0, 9000.0];
    let [lo, value, hi] = delays(&s);
    let mut moved = 0;
    for (from, to, m) in [
        ("Kozelsk", "Washington", "Russian ICBM"),
        ("Semnan", "Berlin", "Iranian IRBM"),
    ] {
        let t = threat(&s, from, to, m);
        let first = engage(&radar, &icpt, &t).first_detection_s.expect("tracked");
        // One memo through every commit, as the dashboard keeps it; each answer also from scratch.
        let mut memo = FlyoutMemo::new();
        let mut before: Option<(Vec<defence::engagement::Flyout>, Vec<u32>)> = None;
        for delay in [lo, value, 0.5 * (value + hi), hi] {
            let commit = first + delay;
            let flyouts = memo.flyouts_after(&icpt, &t, commit);
            assert_eq!(
                flyouts,
                flyouts_after(&icpt, &t, commit),
                "{from} → {to} at {delay} s"
            );
            let shots: Vec<u32> = speeds
                .iter()
                .map(|&v| shoot_look_shoot_memo(&icpt, &t, commit, v, &mut memo))
                .collect();
            let fresh: Vec<u32> = speeds
                .iter()
                .map(|&v| shoot_look_shoot(&icpt, &t, commit, v))
                .collect();
            assert_eq!(shots, fresh, "{from} → {to} at {delay} s");
            assert!(flyouts.iter().all(|f| f.launch_time_s >= commit - 1e-9));
            if let Some((earlier, earlier_shots)) = &before {
                // Every intercept time of the later commit was one of the earlier's, needing at least
                // the speed it needed then (to the searches' tolerance).
                for f in &flyouts {
                    let e = earlier
                        .iter()
                        .find(|e| e.intercept_time_s == f.intercept_time_s)
                        .expect("a later commit samples no new intercept time");
                    assert!(f.required_speed_mps >= e.required_speed_mps - 1e-3, "{f:?} {e:?}");
                    if f.required_speed_mps > e.required_speed_mps + 1.0 {
                        moved += 1;
                    }
                }
                for (i, &v) in speeds.iter().enumerate() {
                    let start = |fs: &[defence::engagement::Flyout]| {
                        fs.iter()
                            .find(|f| f.required_speed_mps <= v)
                            .map(|f| f.intercept_time_s)
                    };
                    match (start(earlier), start(&flyouts)) {
                        (Some(a), Some(b)) => assert!(b >= a, "{from} → {to} at {v} m/s: {b} before {a}"),
                        (None, Some(b)) => panic!("{from} → {to} at {v} m/s: a window at {b} s appeared"),
                        _ => {}
                    }
                    assert!(
                        shots[i] <= earlier_shots[i],
                        "{from} → {to} at {v} m/s: {shots:?}"
                    );
                }
            }
            before = Some((flyouts, shots));
        }
    }
    // The commits were not all alike: later ones bound some flyouts.
    assert!(moved > 0);
}

/// Every trajectory of europe-2008's study, flown as the study flies them, with the scenario's radars
/// at their values (the study's specified network) and its first battery under the study's boost.
fn study_threats(s: &Scenario) -> (Vec<ThreatTrack>, Vec<Radar>, Interceptor) {
    use defence::study::{self, StudyOptions};
    use rayon::prelude::*;
    let opts = StudyOptions::default();
    let threats = study::plan(s, &opts)
        .par_iter()
        .filter_map(|item| study::fly_one(s, &opts, item).unwrap().threat)
        .collect();
    let radars = s
        .radars
        .iter()
        .map(|r| Radar::from_def(r, s.site(&r.site).unwrap()).unwrap())
        .collect();
    let icpt = study::batteries(s, &opts).unwrap()[0].1.clone();
    (threats, radars, icpt)
}

/// Shoot-look-shoot as it was before any re-solve was skipped: every grid time from the earliest each
/// launch allows, in order, through `memo.at`.
fn shots_every_flyout(
    icpt: &Interceptor,
    t: &ThreatTrack,
    commit: f64,
    speed: f64,
    memo: &mut FlyoutMemo,
) -> u32 {
    let mut launch = commit;
    let mut shots = 0;
    while shots < icpt.count {
        let hit = (0..grid_len(t))
            .filter(|&k| grid_time_s(t, k) >= launch + icpt.burn_time_s + defence::engagement::MIN_COAST_S)
            .filter_map(|k| memo.at(icpt, t, launch, k))
            .find(|f| f.required_speed_mps <= speed);
        match hit {
            Some(f) => {
                shots += 1;
                launch = f.intercept_time_s + icpt.kill_assessment_s;
            }
            None => break,
        }
    }
    shots
}

/// The speeds the tests read windows and counts at: the battery's range ends and value, and between.
const SPEEDS: [f64; 6] = [5400.0, 6300.0, 7000.0, 7700.0, 8300.0, 9000.0];

#[test]
fn skipped_re_solves_change_no_crossover_window_or_count_of_europe_2008() {
    use defence::engagement::{Bounded, Engagement, REUSE_MARGIN_MPS};
    use rayon::prelude::*;
    let s = Scenario::load("europe-2008").unwrap();
    let (threats, radars, icpt) = study_threats(&s);
    assert!(threats.len() > 50, "{} trajectories", threats.len());
    // Per trajectory: (re-solves bounded, re-solves made for the deciding flyouts, least margin, m/s).
    let per: Vec<(usize, usize, f64)> = threats
        .par_iter()
        .map(|t| {
            let e = engage_network(&radars, &icpt, t);
            let Some(first) = e.first_detection_s else {
                return (0, 0, f64::INFINITY);
            };
            let mut every = FlyoutMemo::new();
            let mut deciding = FlyoutMemo::new();
            let (mut bounded, mut made, mut least) = (0, 0, f64::INFINITY);
            for delay in delays(&s) {
                let commit = first + delay;
                let all = every.flyouts_after(&icpt, t, commit);
                // The bound holds on every re-solve.
                let mut free_only = FlyoutMemo::with_free(every.free(&icpt, t));
                for f in &all {
                    let k = ((f.intercept_time_s - t.missile.burn_time_s) / 5.0).round() as usize;
                    assert_eq!(grid_time_s(t, k), f.intercept_time_s);
                    match free_only.bounded(&icpt, t, commit, k) {
                        Bounded::Known(g) => assert_eq!(g, Some(*f)),
                        Bounded::AtLeast(lo) => {
                            bounded += 1;
                            least = least.min(f.required_speed_mps - (lo + REUSE_MARGIN_MPS));
                            assert!(
                                f.required_speed_mps >= lo,
                                "{} → {}: {f:?} below {lo}",
                                t.from,
                                t.to
                            );
                        }
                    }
                }
                // The deciding flyouts answer as every flyout does.
                let before = deciding.len();
                let few = deciding.deciding_flyouts(&icpt, t, commit, &SPEEDS);
                made += deciding.len() - before;
                let whole = Engagement {
                    flyouts: all,
                    ..e.clone()
                };
                let part = Engagement {
                    flyouts: few,
                    ..e.clone()
                };
                assert_eq!(
                    part.crossover().map(|f| f.required_speed_mps),
                    whole.crossover().map(|f| f.required_speed_mps),
                    "{} → {} at {delay} s",
                    t.from,
                    t.to
                );
                for v in SPEEDS {
                    assert_eq!(
                        part.window(v),
                        whole.window(v),
                        "{} → {} at {delay} s, {v} m/s",
                        t.from,
                        t.to
                    );
                    assert_eq!(
                        shoot_look_shoot_memo(&icpt, t, commit, v, &mut deciding),
                        shots_every_flyout(&icpt, t, commit, v, &mut every),
                        "{} → {} at {delay} s, {v} m/s",
                        t.from,
                        t.to
                    );
                }
            }
            (bounded, made, least)
        })
        .collect();
    let bounded: usize = per.iter().map(|p| p.0).sum();
    let made: usize = per.iter().map(|p| p.1).sum();
    let least = per.iter().map(|p| p.2).fold(f64::INFINITY, f64::min);
    eprintln!(
        "{bounded} commit-bound flyouts, {made} re-solved for the deciding ones and their counts; a re-solve exceeds its free flyout by at least {least:.2e} m/s"
    );
    // Commits bound many flyouts; the margin was never nearly used.
    assert!(bounded > 1000, "{bounded}");
    assert!(least > -1e-2, "{least}");
}

#[test]
fn a_commit_seen_before_then_a_new_one_then_the_first_again_answer_as_from_scratch() {
    let s = Scenario::load("europe-2008").unwrap();
    let radar = radar(&s);
    let icpt = battery(&s, BoostModel::Powered);
    let [lo, value, hi] = delays(&s);
    for (from, to, m) in [
        ("Kozelsk", "Washington", "Russian ICBM"),
        ("Semnan", "Berlin", "Iranian IRBM"),
    ] {
        let t = threat(&s, from, to, m);
        let first = engage(&radar, &icpt, &t).first_detection_s.expect("tracked");
        let mut memo = FlyoutMemo::new();
        for delay in [value, hi, value, lo, value] {
            let commit = first + delay;
            let held = memo.len();
            let kept = memo.deciding_flyouts(&icpt, &t, commit, &SPEEDS);
            let shots: Vec<u32> = SPEEDS
                .iter()
                .map(|&v| shoot_look_shoot_memo(&icpt, &t, commit, v, &mut memo))
                .collect();
            let mut fresh = FlyoutMemo::new();
            assert_eq!(
                kept,
                fresh.deciding_flyouts(&icpt, &t, commit, &SPEEDS),
                "{from} → {to} at {delay} s"
            );
            let scratch: Vec<u32> = SPEEDS
                .iter()
                .map(|&v| shoot_look_shoot(&icpt, &t, commit, v))
                .collect();
            assert_eq!(shots, scratch, "{from} → {to} at {delay} s");
            if delay == value && held > 0 {
                // Seen before: nothing re-solved.
                assert_eq!(memo.len(), held, "{from} → {to}: re-solved again at {delay} s");
            }
        }
    }
}
