//! The fast threat aim (`flight::aim::aim_at`: a search at a loose tolerance, the strict tolerance only
//! for the final flights) against the exhaustive one (`aim_at_exhaustive`: every flight strict, Brent on
//! the maximum range of each scale): the same shot for the scenario's threat rockets — the impact points
//! within 1 m of each other, the vehicle's scale within 1e-6, the kick within 0.02°, the launch azimuth
//! within 1e-3° — minimum-energy shots in under half the integrator steps. The seeded aim
//! (`aim_at_seeded`: a range table flown once per vehicle seeds each shot) finds the same shot, over the
//! scenario's threats and launches at other latitudes and in other directions (the Earth's rotation
//! moves the ranges the table was flown for), the study's minimum-energy shots in under a fifth of the
//! fast aim's steps.

use defence::engagement::THREAT_RTOL;
use defence::scenario::Scenario;
use flight::aim::{PoweredShape, PoweredShot, RangeTable, aim_at, aim_at_exhaustive, aim_at_seeded};
use geodesy::Geodetic;

fn geo(s: &Scenario, name: &str) -> Geodetic {
    if let Some((lat, lon)) = name.split_once(',') {
        return Geodetic {
            lat_deg: lat.parse().unwrap(),
            lon_deg: lon.parse().unwrap(),
            h_m: 0.0,
        };
    }
    let site = s.site(name).unwrap();
    Geodetic {
        lat_deg: site.lat_deg,
        lon_deg: site.lon_deg,
        h_m: site.h_m,
    }
}

fn impact_gap_m(a: &PoweredShot, b: &PoweredShot) -> f64 {
    let (pa, pb) = (a.coast.impact().position, b.coast.impact().position);
    geodesy::inverse(pa.lat_deg, pa.lon_deg, pb.lat_deg, pb.lon_deg)
        .unwrap()
        .distance_m
}

#[test]
fn the_fast_and_seeded_aims_find_the_exhaustive_searchs_shot_within_1_m_in_fewer_steps() {
    let s = Scenario::load("europe-2008").unwrap();
    let options = flight::PoweredOptions {
        rtol: THREAT_RTOL,
        ..flight::PoweredOptions::default()
    };
    for (missile, from, to, shape) in [
        (
            "Iranian ICBM (hypothetical)",
            "Semnan",
            "Berlin",
            PoweredShape::MinimumEnergy,
        ),
        (
            "Russian ICBM",
            "Kozelsk",
            "Washington",
            PoweredShape::MinimumEnergy,
        ),
        ("Iranian IRBM", "Tabriz", "Bucharest", PoweredShape::MinimumEnergy),
        (
            "Iranian ICBM (hypothetical)",
            "Semnan",
            "London",
            PoweredShape::Lofted,
        ),
        ("Russian ICBM", "Kozelsk", "Washington", PoweredShape::Depressed),
        // Other latitudes and directions: the southern hemisphere eastward and westward, the Arctic.
        (
            "Russian ICBM",
            "-33.9,18.4",
            "-31.9,115.9",
            PoweredShape::MinimumEnergy,
        ),
        ("Russian ICBM", "-33.9,18.4", "-22.9,-43.2", PoweredShape::Lofted),
        (
            "Iranian IRBM",
            "69.6,18.9",
            "64.1,-21.9",
            PoweredShape::MinimumEnergy,
        ),
        ("Iranian IRBM", "1.3,103.8", "-6.2,106.8", PoweredShape::Depressed),
    ] {
        let m = s.missiles.iter().find(|m| m.name == missile).unwrap();
        let vdef = s.vehicle(m.vehicle.as_deref().unwrap()).unwrap();
        let vehicle = vdef.vehicle().unwrap();
        let (site, target) = (geo(&s, from), geo(&s, to));
        let programme = vdef.programme(0.0);
        let fast = aim_at(&vehicle, site, target, &programme, shape, &options).unwrap();
        let slow = aim_at_exhaustive(&vehicle, site, target, &programme, shape, &options).unwrap();
        let case = format!("{missile} {from}-{to} {shape:?}");
        let table = RangeTable::build(&vehicle, &programme, &options).unwrap();
        let seeded = aim_at_seeded(&vehicle, &table, site, target, &programme, shape, &options).unwrap();
        check_same(&case, "fast", &fast, &slow);
        check_same(&case, "seeded", &seeded, &slow);
        if shape == PoweredShape::MinimumEnergy && !from.contains(',') {
            assert!(
                seeded.steps * 5 < fast.steps,
                "{case}: seeded {} steps against the fast aim's {}",
                seeded.steps,
                fast.steps
            );
        }
        eprintln!(
            "{case}: seeded {} flights / {} steps (table {:?})",
            seeded.flights,
            seeded.steps,
            table.cost()
        );
        check_same(&case, "fast", &fast, &slow);
        // What makes it fast: for the study's minimum-energy shots, under half the integrator steps
        // (flights at the search's looser tolerance; each counted with its launch-azimuth corrections).
        // Lofted and depressed shots cost about what the exhaustive search costs.
        if shape == PoweredShape::MinimumEnergy && !from.contains(',') {
            assert!(
                fast.steps * 2 < slow.steps,
                "{case}: {} steps against {}",
                fast.steps,
                slow.steps
            );
        }
        eprintln!(
            "{case}: fast {} flights / {} steps, exhaustive {} / {}",
            fast.flights, fast.steps, slow.flights, slow.steps
        );
    }
}

/// `a` (found by the aim `name`) is the exhaustive search's shot `b`: impacts within 1 m, the scale within
/// 1e-6, the kick within 0.02°, the launch azimuth within 1e-3°, the burnouts within 1 km.
fn check_same(case: &str, name: &str, a: &PoweredShot, b: &PoweredShot) {
    eprintln!(
        "{case} {name}: kick {:.4}° against {:.4}°, scale {:.9} against {:.9}, azimuth {:.6}° against {:.6}°",
        a.programme.kick_deg,
        b.programme.kick_deg,
        a.scale,
        b.scale,
        a.programme.azimuth_deg,
        b.programme.azimuth_deg
    );
    assert!(
        a.miss_m <= 1.0 && b.miss_m <= 1.0,
        "{case} {name}: {} {}",
        a.miss_m,
        b.miss_m
    );
    let gap = impact_gap_m(a, b);
    assert!(gap <= 1.0, "{case} {name}: impacts {gap} m apart");
    assert!(
        (a.scale / b.scale - 1.0).abs() <= 1e-6,
        "{case} {name}: scale {} against {}",
        a.scale,
        b.scale
    );
    let dk = (a.programme.kick_deg - b.programme.kick_deg).abs();
    assert!(dk <= 0.02, "{case} {name}: kick {dk}° apart");
    let da = geodesy::wrap_180_deg(a.programme.azimuth_deg - b.programme.azimuth_deg).abs();
    assert!(da <= 1e-3, "{case} {name}: azimuth {da}° apart");
    // The burnout points of the two shots lie close together (the kick's resolution on the flat top
    // of the minimum-energy range curve moves it a little).
    let (bf, bs) = (&a.boost.burnout, &b.boost.burnout);
    let burnout_gap = geodesy::inverse(bf.lat_deg, bf.lon_deg, bs.lat_deg, bs.lon_deg)
        .unwrap()
        .distance_m;
    assert!(
        burnout_gap <= 1_000.0 && (bf.alt_m - bs.alt_m).abs() <= 1_000.0,
        "{case} {name}: burnouts {burnout_gap} m apart, heights {} m",
        bf.alt_m - bs.alt_m
    );
}
