//! Prints the engagement of one threat by the europe-2008 battery: `cargo run -p defence --example engage
//! -- Kozelsk Washington "Russian ICBM" [--all-round]`.

use defence::engagement::{Interceptor, Missile, engage, fly_threat, shoot_look_shoot};
use defence::radar::Radar;
use defence::scenario::Scenario;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (from, to, missile) = match args.as_slice() {
        [a, b, c, ..] => (a.as_str(), b.as_str(), c.as_str()),
        _ => ("Kozelsk", "Washington", "Russian ICBM"),
    };
    let all_round = args.iter().any(|a| a == "--all-round");
    let s = Scenario::load("europe-2008")?;
    let site = |n: &str| s.site(n).ok_or(format!("no site {n}"));
    let m = s
        .missiles
        .iter()
        .find(|m| m.name == missile)
        .ok_or("no such missile")?;
    let radar_def = &s.radars[0];
    let mut radar = Radar::from_def(radar_def, site(&radar_def.site)?)?;
    if all_round {
        radar.azimuth_half_width_deg = 180.0;
    }
    let icpt_def = &s.interceptors[0];
    let icpt = Interceptor::from_def(icpt_def, site(&icpt_def.site)?);
    let t0 = std::time::Instant::now();
    let threat = fly_threat(
        site(from)?,
        site(to)?,
        Missile::from_def(m),
        flight::Shape::MinEnergy,
        flight::Gravity::J2,
    )?;
    let t1 = t0.elapsed();
    let e = engage(&radar, &icpt, &threat);
    let t2 = t0.elapsed();
    println!(
        "{from} -> {to}: impact {:.0} s after launch, apogee {:.0} km, burnout speed {:.0} m/s (flown in {t1:?}, engaged in {:?})",
        threat.impact_time_s(),
        threat.apogee_alt_m() / 1e3,
        threat.burnout_state.speed_mps,
        t2 - t1
    );
    println!("radar track intervals: {:?}", e.track_intervals_s);
    match e.crossover() {
        Some(c) => println!(
            "crossover burnout speed {:.0} m/s: launch {:.0} s, intercept {:.0} s at {:.0} km, closing {:.0} m/s",
            c.required_speed_mps,
            c.launch_time_s,
            c.intercept_time_s,
            c.intercept_alt_m / 1e3,
            c.closing_speed_mps
        ),
        None => println!("never engageable (no track or no intercept point)"),
    }
    for v in [5400.0, 6300.0, 7000.0, 7700.0, 8300.0, 9000.0] {
        let w = e
            .window(v)
            .map(|(a, b)| format!("{:.0}-{:.0} s", a.intercept_time_s, b.intercept_time_s));
        let sls = e
            .commit_time_s
            .map_or(0, |c| shoot_look_shoot(&icpt, &threat, c, v));
        println!("  {v:.0} m/s: window {w:?}, shoot-look-shoot opportunities {sls}");
    }
    Ok(())
}
