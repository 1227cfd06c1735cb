//! A stage's drag rise with Mach number in the scenario file (`drag_mach_curve`): the flight uses
//! `drag_cd` times the curve's factor at each Mach number, a flat curve flies exactly as no curve, more
//! drag costs burnout speed, the study lists the curve's points with their source, and each kind of bad
//! curve is one clear error naming the key and its line.

use defence::scenario::{EUROPE_2008_TOML, Scenario};
use flight::{PoweredOptions, fly_boost};
use geodesy::Geodetic;

const VEHICLE: &str = "APS generic liquid ICBM";
const KEY: &str = "vehicles.APS generic liquid ICBM.stages[0].drag_mach_curve";

/// europe-2008 with `curve` (a TOML inline table's inside) on the first stage of the liquid ICBM.
fn with_curve(curve: &str) -> String {
    let start = EUROPE_2008_TOML
        .find(&format!("name = \"{VEHICLE}\""))
        .expect("the liquid ICBM");
    let stage = start
        + EUROPE_2008_TOML[start..]
            .find("[[vehicles.stages]]\n")
            .expect("its first stage");
    let at = stage + "[[vehicles.stages]]\n".len();
    format!(
        "{}drag_mach_curve = {{ {curve} }}\n{}",
        &EUROPE_2008_TOML[..at],
        &EUROPE_2008_TOML[at..]
    )
}

fn parse(curve: &str) -> Scenario {
    Scenario::parse(&with_curve(curve), "curve.toml").expect("a valid scenario")
}

fn rejected(curve: &str) -> String {
    Scenario::parse(&with_curve(curve), "curve.toml")
        .expect_err("a bad curve is refused")
        .to_string()
}

/// Burnout speed (m/s) and drag loss (m/s) of the liquid ICBM of `s` flown north-east from Tehran on
/// its reference programme.
fn burnout(s: &Scenario) -> (f64, f64) {
    let def = s.vehicle(VEHICLE).expect("the vehicle");
    let vehicle = def.vehicle().expect("a vehicle");
    let site = Geodetic {
        lat_deg: 35.69,
        lon_deg: 51.39,
        h_m: 1_200.0,
    };
    let b = fly_boost(&vehicle, site, &def.programme(45.0), &PoweredOptions::default()).expect("it flies");
    (b.burnout.speed_mps, b.losses.drag_mps)
}

const RISE: &str = r#"mach = [0.0, 0.8, 1.1, 2.0, 5.0], factor = [0.8, 1.0, 1.6, 1.1, 0.7], source = "assumption: a test curve""#;

#[test]
fn the_drag_coefficient_is_drag_cd_times_the_curve_between_its_points_and_held_beyond() {
    let s = parse(RISE);
    let def = s.vehicle(VEHICLE).expect("the vehicle");
    let cd = def.stages[0].drag_cd.value;
    let v = def.vehicle().expect("a vehicle");
    let table = &v.stages()[0].drag;
    for (mach, factor) in [
        (0.0, 0.8),
        (0.4, 0.9),
        (0.8, 1.0),
        (0.95, 1.3),
        (1.1, 1.6),
        (2.0, 1.1),
        (3.5, 0.9),
        (5.0, 0.7),
        (12.0, 0.7),
    ] {
        let want = cd * factor;
        assert!(
            (table.cd(mach) - want).abs() < 1e-12,
            "Mach {mach}: {} against {want}",
            table.cd(mach)
        );
    }
    // The second stage, without a curve, keeps its coefficient at every Mach number.
    let second = &v.stages()[1].drag;
    assert_eq!(second.cd(0.0), def.stages[1].drag_cd.value);
    assert_eq!(second.cd(3.0), def.stages[1].drag_cd.value);
}

#[test]
fn a_flat_curve_flies_exactly_as_no_curve() {
    let plain = Scenario::parse(EUROPE_2008_TOML, "plain.toml").expect("europe-2008");
    let flat = parse(r#"mach = [0.0, 1.0, 3.0], factor = [1.0, 1.0, 1.0], source = "assumption: flat""#);
    assert_eq!(burnout(&plain), burnout(&flat));
}

#[test]
fn more_drag_at_any_mach_costs_burnout_speed_and_less_gains_it() {
    let plain = Scenario::parse(EUROPE_2008_TOML, "plain.toml").expect("europe-2008");
    let (v0, d0) = burnout(&plain);
    let (v_rise, d_rise) = burnout(&parse(
        r#"mach = [0.0, 0.8, 1.1, 2.0], factor = [1.0, 1.0, 2.0, 1.0], source = "assumption: transonic rise""#,
    ));
    let (v_low, d_low) = burnout(&parse(
        r#"mach = [0.0, 10.0], factor = [0.5, 0.5], source = "assumption: half the drag""#,
    ));
    assert!(d0 > 0.0, "the first stage flies through air: drag loss {d0} m/s");
    assert!(
        d_rise > d0 && v_rise < v0,
        "a transonic rise: {d_rise} vs {d0} m/s drag, {v_rise} vs {v0} m/s"
    );
    assert!(
        d_low < d0 && v_low > v0,
        "half the drag: {d_low} vs {d0} m/s drag, {v_low} vs {v0} m/s"
    );
    // Halving the coefficient halves the drag loss to first order (the trajectory moves a little).
    assert!((d_low / d0 - 0.5).abs() < 0.1, "drag loss ratio {}", d_low / d0);
}

#[test]
fn the_study_lists_each_point_of_the_curve_with_its_source() {
    let s = parse(RISE);
    let text = with_curve(RISE);
    let rows = defence::study::used_parameters(&s);
    let points: Vec<_> = rows
        .iter()
        .filter(|r| r.key.starts_with(&format!("{KEY}.")))
        .collect();
    assert_eq!(points.len(), 5, "{points:?}");
    assert!(points.iter().all(|p| p.source == "assumption: a test curve"));
    assert_eq!(points[2].key, format!("{KEY}.factor_at_mach_1.1"));
    assert_eq!(points[2].value, 1.6);
    assert!(text.contains("drag_mach_curve"));
}

#[test]
fn each_bad_curve_is_one_error_naming_the_key_and_its_line() {
    for (curve, says) in [
        (
            r#"mach = [0.0, 1.0], factor = [1.0], source = "assumption: x""#,
            "as many factors as Mach numbers",
        ),
        (
            r#"mach = [1.0], factor = [1.0], source = "assumption: x""#,
            "at least two",
        ),
        (
            r#"mach = [0.0, 2.0, 1.0], factor = [1.0, 1.0, 1.0], source = "assumption: x""#,
            "increase strictly (2 is followed by 1)",
        ),
        (
            r#"mach = [-1.0, 1.0], factor = [1.0, 1.0], source = "assumption: x""#,
            "Mach number -1 is outside [0, 100]",
        ),
        (
            r#"mach = [0.0, 1.0], factor = [1.0, -0.5], source = "assumption: x""#,
            "-0.5",
        ),
        (r#"mach = [0.0, 1.0], factor = [1.0, 1.0], source = """#, "source"),
    ] {
        let e = rejected(curve);
        assert!(e.starts_with("curve.toml:"), "{curve}: {e}");
        assert!(e.contains(KEY), "{curve}: {e}");
        assert!(e.contains(says), "{curve}: expected {says:?} in {e}");
    }
    // A misspelt key inside the curve is refused, not ignored.
    let e = rejected(r#"mach = [0.0, 1.0], factors = [1.0, 1.0], source = "assumption: x""#);
    assert!(e.contains("factors"), "{e}");
}
