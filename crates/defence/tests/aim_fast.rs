//! The fast threat aim (`flight::aim::aim_at`: a search at a loose tolerance, the strict tolerance only
//! for the final flights) against the exhaustive one (`aim_at_exhaustive`: every flight strict, Brent on
//! the maximum range of each scale): the same shot for the scenario's threat rockets — the impact points
//! within 1 m of each other, the vehicle's scale within 1e-6, the kick within 0.02°, the launch azimuth
//! within 1e-3° — minimum-energy shots in under half the integrator steps.

use defence::engagement::THREAT_RTOL;
use defence::scenario::Scenario;
use flight::aim::{PoweredShape, PoweredShot, aim_at, aim_at_exhaustive};
use geodesy::Geodetic;

fn geo(s: &Scenario, name: &str) -> Geodetic {
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
fn the_fast_aim_finds_the_exhaustive_searchs_shot_within_1_m_minimum_energy_in_under_half_the_steps() {
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
    ] {
        let m = s.missiles.iter().find(|m| m.name == missile).unwrap();
        let vdef = s.vehicle(m.vehicle.as_deref().unwrap()).unwrap();
        let vehicle = vdef.vehicle().unwrap();
        let (site, target) = (geo(&s, from), geo(&s, to));
        let programme = vdef.programme(0.0);
        let fast = aim_at(&vehicle, site, target, &programme, shape, &options).unwrap();
        let slow = aim_at_exhaustive(&vehicle, site, target, &programme, shape, &options).unwrap();
        let case = format!("{missile} {from}-{to} {shape:?}");
        assert!(
            fast.miss_m <= 1.0 && slow.miss_m <= 1.0,
            "{case}: {} {}",
            fast.miss_m,
            slow.miss_m
        );
        let gap = impact_gap_m(&fast, &slow);
        assert!(gap <= 1.0, "{case}: impacts {gap} m apart");
        assert!(
            (fast.scale / slow.scale - 1.0).abs() <= 1e-6,
            "{case}: scale {} against {}",
            fast.scale,
            slow.scale
        );
        let dk = (fast.programme.kick_deg - slow.programme.kick_deg).abs();
        assert!(dk <= 0.02, "{case}: kick {dk}° apart");
        let da = geodesy::wrap_180_deg(fast.programme.azimuth_deg - slow.programme.azimuth_deg).abs();
        assert!(da <= 1e-3, "{case}: azimuth {da}° apart");
        // The burnout points of the two shots lie close together (the kick's resolution on the flat top
        // of the minimum-energy range curve moves it a little).
        let (bf, bs) = (&fast.boost.burnout, &slow.boost.burnout);
        let burnout_gap = geodesy::inverse(bf.lat_deg, bf.lon_deg, bs.lat_deg, bs.lon_deg)
            .unwrap()
            .distance_m;
        assert!(
            burnout_gap <= 1_000.0 && (bf.alt_m - bs.alt_m).abs() <= 1_000.0,
            "{case}: burnouts {burnout_gap} m apart, heights {} m",
            bf.alt_m - bs.alt_m
        );
        // What makes it fast: for the study's minimum-energy shots, under half the integrator steps
        // (flights at the search's looser tolerance; each counted with its launch-azimuth corrections).
        // Lofted and depressed shots cost about what the exhaustive search costs.
        if shape == PoweredShape::MinimumEnergy {
            assert!(
                fast.steps * 2 < slow.steps,
                "{case}: {} steps against {}",
                fast.steps,
                slow.steps
            );
        }
        eprintln!(
            "{case}: fast {} flights / {} steps, exhaustive {} / {}; impacts {gap:.3} m apart, kick {dk:.4}°, burnout {burnout_gap:.1} m",
            fast.flights, fast.steps, slow.flights, slow.steps
        );
    }
}
