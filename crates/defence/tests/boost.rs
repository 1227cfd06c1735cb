//! The powered boost: the interceptor's vehicle sized to its disputed burnout speed, its family's burnout
//! geometry, and crossover speeds that a flown interceptor can physically reach.

use defence::boost::{BoostCurve, BoostModel, size_interceptor};
use defence::footprint::{self, Grid, MapKind, Request};
use defence::scenario::Scenario;
use defence::study::ShapeChoice;
use geodesy::Geodetic;
use std::sync::atomic::AtomicBool;

fn europe() -> Scenario {
    Scenario::load("europe-2008").unwrap()
}

fn redzikowo(s: &Scenario) -> Geodetic {
    let x = s.site("Redzikowo").unwrap();
    Geodetic {
        lat_deg: x.lat_deg,
        lon_deg: x.lon_deg,
        h_m: x.h_m,
    }
}

#[test]
fn the_interceptor_sized_to_each_disputed_speed_reaches_it_within_1_mm_per_s_and_is_larger_when_faster() {
    let s = europe();
    let vdef = s.vehicle("GBI two-stage class").unwrap();
    let site = redzikowo(&s);
    let mut last: Option<(f64, f64, f64)> = None;
    for v in [5400.0, 6300.0, 7700.0, 9000.0] {
        let z = size_interceptor(vdef, site, v).unwrap();
        assert!(
            (z.burnout_speed_mps - v).abs() < 1e-3,
            "{v}: {}",
            z.burnout_speed_mps
        );
        // Scaling keeps burn times: burnout 120 s after liftoff whatever the speed.
        assert!((z.burnout_time_s - 120.0).abs() < 1e-9, "{}", z.burnout_time_s);
        assert!(z.liftoff_mass_kg > z.propellant_kg && z.losses_mps > 0.0);
        if let Some((m, h, d)) = last {
            assert!(z.liftoff_mass_kg > m, "a faster interceptor is a larger one");
            // Higher or farther: a faster member climbs, or turns over more at the same kick.
            assert!(z.burnout_alt_m > h || z.burnout_downrange_m > d, "{z:?}");
        }
        last = Some((z.liftoff_mass_kg, z.burnout_alt_m, z.burnout_downrange_m));
    }
}

#[test]
fn the_family_curve_matches_the_sized_vehicle_within_2_km_and_is_flown_at_rtol_1e_8_accurately() {
    let s = europe();
    let vdef = s.vehicle("GBI two-stage class").unwrap();
    let site = redzikowo(&s);
    let curve = BoostCurve::fly(vdef, site).unwrap();
    let (lo, hi) = curve.speed_span_mps();
    assert!(lo < 2000.0 && hi > 9_900.0, "family span {lo}–{hi} m/s");
    assert_eq!(curve.burn_time_s, 120.0);
    for v in [3000.0, 5400.0, 7000.0, 9000.0] {
        let z = size_interceptor(vdef, site, v).unwrap();
        let (h, d) = curve.burnout_at(90.0, v);
        assert!(
            (h - z.burnout_alt_m).abs() < 2e3,
            "{v}: {h} vs {}",
            z.burnout_alt_m
        );
        assert!(
            (d - z.burnout_downrange_m).abs() < 2e3,
            "{v}: {d} vs {}",
            z.burnout_downrange_m
        );
    }
    // Held beyond every sector's span.
    for az in [0.0, 90.0, 222.0] {
        assert_eq!(curve.burnout_at(az, 0.0), curve.burnout_at(az, 1.0));
        assert_eq!(curve.burnout_at(az, 1e5), curve.burnout_at(az, 2e5));
    }
}

/// Burnout speed, height and downrange of `vehicle` flown from `site` toward `azimuth_deg` with the
/// reference programme of `def`, at rtol 1e-12.
fn flown(
    def: &defence::scenario::VehicleDef,
    vehicle: &flight::Vehicle,
    site: Geodetic,
    azimuth_deg: f64,
) -> (f64, f64, f64) {
    let opts = flight::PoweredOptions {
        rtol: 1e-12,
        ..flight::PoweredOptions::default()
    };
    let b = flight::fly_boost(vehicle, site, &def.programme(azimuth_deg), &opts).unwrap();
    let d = geodesy::inverse(site.lat_deg, site.lon_deg, b.burnout.lat_deg, b.burnout.lon_deg)
        .unwrap()
        .distance_m;
    (b.burnout.speed_mps, b.burnout.alt_m, d)
}

#[test]
fn the_fan_follows_vehicles_flown_toward_other_azimuths_within_200_m_where_the_earths_rotation_moves_burnout_by_kilometres()
 {
    let s = europe();
    let vdef = s.vehicle("GBI two-stage class").unwrap();
    let site = redzikowo(&s);
    let curve = BoostCurve::fly(vdef, site).unwrap();
    for v in [5400.0, 9000.0] {
        let z = size_interceptor(vdef, site, v).unwrap();
        // Between sectors (45°, 195°, 322.5°) and on them (90°, 270°).
        let mut by_az = Vec::new();
        for az in [45.0, 90.0, 195.0, 270.0, 322.5] {
            let (speed, h, d) = flown(vdef, &z.vehicle, site, az);
            let (fh, fd) = curve.burnout_at(az, speed);
            assert!(
                (fh - h).abs() < 200.0,
                "{v} toward {az}: fan {fh} m vs flown {h} m"
            );
            assert!(
                (fd - d).abs() < 200.0,
                "{v} toward {az}: fan {fd} m vs flown {d} m"
            );
            by_az.push((az, speed, h, d));
        }
        // The Earth's rotation: toward the east the same vehicle burns out higher and nearer than toward
        // the west (Coriolis lift), by far more than the fan's tolerance, so a fan flown toward one
        // azimuth only fails the check above.
        let (east, west) = (by_az[1], by_az[3]);
        assert!(east.2 - west.2 > 1e3, "{v}: east {east:?} west {west:?}");
        assert!(west.3 - east.3 > 3e3, "{v}: east {east:?} west {west:?}");
        let (eh, ed) = curve.burnout_at(90.0, v);
        let (wh, wd) = curve.burnout_at(270.0, v);
        assert!(
            eh - wh > 1e3 && wd - ed > 3e3,
            "{v}: fan east {eh} m {ed} m, west {wh} m {wd} m"
        );
    }
}

#[test]
fn a_battery_without_a_vehicle_cannot_fly_the_powered_boost_and_says_so() {
    let mut s = europe();
    s.interceptors[0].vehicle = None;
    let e = footprint::setup(&s, BoostModel::Powered).unwrap_err();
    assert!(e.to_string().contains("no vehicle for the powered boost"), "{e}");
    assert!(footprint::setup(&s, BoostModel::Fixed).is_ok());
}

fn request(kind: MapKind, site: &str, grid: Grid, boost: BoostModel) -> Request {
    Request {
        kind,
        site: Some(site.into()),
        missile: None,
        shape: ShapeChoice::MinEnergy,
        grid,
        speed_mps: None,
        rcs_m2: None,
        levels: vec![5400.0, 7000.0, 9000.0],
        boost,
    }
}

#[test]
fn powered_fast_engine_agrees_with_the_exact_fixed_point_of_the_study_engine_within_200_m_per_s() {
    let s = europe();
    let grid = Grid::try_new(40.0, 64.0, -8.0, 30.0, 8.0).unwrap();
    let fp = footprint::compute(
        &s,
        &request(MapKind::DefendedArea, "Tehran", grid, BoostModel::Powered),
        None,
        &|_| {},
        &AtomicBool::new(false),
    )
    .unwrap();
    let (_, missile, _) = footprint::pick_missile(&s, "Tehran", true, None).unwrap();
    let t = s.site("Tehran").unwrap();
    let launch = Geodetic {
        lat_deg: t.lat_deg,
        lon_deg: t.lon_deg,
        h_m: t.h_m,
    };
    let mut compared = 0;
    let mut worst: f64 = 0.0;
    for c in fp.cells.iter() {
        let target = Geodetic {
            lat_deg: c.lat_deg,
            lon_deg: c.lon_deg,
            h_m: 0.0,
        };
        let n = footprint::naive_cell(
            &s,
            launch,
            target,
            missile,
            ShapeChoice::MinEnergy,
            BoostModel::Powered,
        )
        .unwrap();
        assert_eq!(c.status, n.status, "{c:?} vs {n:?}");
        if let (Some(a), Some(b)) = (c.crossover_speed_mps, n.crossover_speed_mps) {
            worst = worst.max((a - b).abs());
            compared += 1;
            // Physically possible: the crossover is at least the minimum-energy speed from the burnout
            // point of the family member of that speed to the intercept point, less the Earth's rotation
            // speed (Earth-relative against inertial).
            assert!(b > 1000.0, "{n:?}");
        }
    }
    assert!(compared >= 10, "{compared}");
    // The worst point needs 8.8 km/s (40° N 24° E against the powered threat from Tehran), where the
    // reach table interpolates the fixed point between speed levels 2 km/s apart: 170 m/s, 2 %.
    assert!(
        worst < 200.0,
        "worst difference {worst} m/s over {compared} points"
    );
}

/// A Monte Carlo draw within the scenario's ranges (sample 97 of `sweep europe-2008 --monte-carlo
/// --seed 1`): a long vertical rise and a 5.7° kick make the family's small members fall back, so the
/// first member that flies northward is already near the family's top speed and the next one gains
/// less than the ladder's stop. The ladder must keep going until it holds two members (it stopped at
/// one, and the whole Monte Carlo run failed with "fewer than two members … lift off toward 0°").
#[test]
fn a_programme_whose_small_members_fall_back_still_gives_every_sector_a_family() {
    let mut s = europe();
    defence::sweep::set_params(
        &mut s,
        &[
            ("vehicles.GBI two-stage class.payload_kg", 64.764_934_378),
            ("vehicles.GBI two-stage class.vertical_rise_s", 9.963_325_591),
            ("vehicles.GBI two-stage class.kick_duration_s", 13.967_227_158),
            ("vehicles.GBI two-stage class.kick_deg", 5.694_055_326),
        ],
    )
    .unwrap();
    let vdef = s.vehicle("GBI two-stage class").unwrap();
    let curve = BoostCurve::fly(vdef, redzikowo(&s)).expect("every sector has a family");
    let (lo, hi) = curve.speed_span_mps();
    // Northward the slowest members still fly (the family spans the disputed 5.4–9 km/s and beyond).
    assert!(lo < 5_400.0 && hi > 9_000.0, "family span {lo}–{hi} m/s");
}
