//! The flyouts of any commit follow from one free scan per battery and trajectory (`FlyoutMemo`): the
//! free flyout where the commit does not bind, a re-solve at the longest coast allowed where it does.
//! Held here against a constrained search from scratch (`flyout`: Brent's method over every coast the
//! commit allows, then the longest one) at the commit delays of the scenario (its value and the ends of
//! its sourced range), under the fixed and the powered boost; and a later commit never starts a window
//! earlier nor fires more shots.

use defence::boost::BoostModel;
use defence::engagement::{
    FlyoutMemo, Interceptor, Missile, ThreatTrack, engage, flyout, flyouts_after, grid_len, grid_time_s,
    shoot_look_shoot, shoot_look_shoot_memo,
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
