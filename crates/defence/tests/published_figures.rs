//! Published figures the scenario's flown vehicles are held to, where the open literature gives a number
//! that could be retrieved. Each test's name carries the source and the tolerance.
//!
//! Retrieved and asserted:
//! - the US National Research Council's 2012 report "Making Sense of Ballistic Missile Defense", as
//!   reported at its release (Wired's Danger Room, 11 September 2012, reposted at
//!   <https://csc.asu.edu/2012/09/11/report-blasts-militarys-dreams-of-destroying-missiles-at-launch/>):
//!   for an Iranian liquid-fuelled ICBM launched at the US the council estimates "about four minutes of
//!   boost time", for a solid-fuelled one a minute less;
//! - IEEE Spectrum, March 2005 (<http://www.spectrum.ieee.org/mar05/1585/missile>), in a piece on the APS
//!   boost-phase study's space-based interceptors: "The boost phase for a liquid-fuel intercontinental
//!   ballistic missile (ICBM) lasts some 250 seconds, while a solid-fuel ICBM may burn out in 170
//!   seconds." (the burn times of the APS study's generic ICBMs, SOURCES T8, now read in a retrievable
//!   text);
//! - FTG-03a, 28 September 2007, the Missile Defense Advocacy Alliance's alert of the day
//!   (<https://missiledefenseadvocacy.org/resources/alerts-archive/volume-5-2007/7th-gbi-test-successful/>,
//!   SOURCES G10, an advocacy source): the GBI "launched at 1:16pm PDT" from Vandenberg; "Six minutes
//!   after launch, at 1:22pm PDT, the interceptor [...] collided with the target missile 120km into
//!   space"; the target was launched "a few thousand miles away from Kodiak, Alaska at 1:00pm PDT". The
//!   intercept point's ground position is not published: the test asks whether the flown three-stage GBI
//!   class (europe-2008's vehicle, sized to the 8.3 km/s of north-korea-2008's Vandenberg battery) arrives at 120 km
//!   altitude 6 min after launch at a plausible distance from Vandenberg toward Kodiak (assumed geometry:
//!   the intercept lies on the geodesic from Vandenberg toward Kodiak, the target coming down from the
//!   north-west).
//! - The Economist on the APS study's release (July 2003, <http://www.economist.com/node/1922985>): the
//!   boost phase lasts "a mere three or four minutes";
//! - everything2.com's "ICBM" entry (community-written, LOW confidence, held only for want of a study's
//!   figure): a booster that "accelerates the payload to a velocity of 6-7 km/s", the payload "reaching
//!   a maximum height of about 1,000km" — held against the generic ICBMs' minimum-energy shots at
//!   7 800 and 10 100 km; the gap recorded (10 100 km: 7.15–7.18 km/s, above the band's top).
//!
//! Retrieved but not asserted, the scenario having no such vehicle or the figure no burnout state:
//! Minuteman III "travels to approximately 15,000 mph at an altitude of 700 miles" (Associated Press,
//! 27 July 2011; a peak figure, not a burnout state); the first three-stage GBI booster flight of August
//! 2003 travelled about 5,300 km to a peak altitude of nearly 1,900 km (Arms Control Today, September
//! 2003; payload not published); the Unha-3's first stage "fired for around 100 seconds" (a KAIST
//! professor's estimate, Daily NK, 13 April 2012); IFT-8 (14 October 2002, a surrogate two-stage booster
//! from Kwajalein, not the scenario's GBI) hit the Minuteman "six minutes later" (Associated Press in the
//! Berkeley Daily Planet, 15 October 2002); the July 2001 intercept flash "144 miles above the earth's
//! surface" (CBS News; the surrogate booster again); FTG-02 (1 September 2006): the interceptor launched
//! "17 minutes after the mock warhead" and both "disintegrated more than 100 miles above the Earth and a
//! few hundred miles west of Vandenberg", the interceptor's flight lasting "13 minutes" (USA Today, 1
//! September 2006; 13 minutes does not fit an intercept a few hundred miles out, so not asserted); FTG-11
//! (25 March 2019) and FTG-15 (30 May 2017): launch sites and a target "4,000 miles away", no intercept
//! time or altitude (Yahoo News / The National Interest, Washington Examiner, Air & Space Forces).
//!
//! Not retrieved (no number found in the stored pages or documentation, searched 2026-12-07): the APS
//! boost-phase study's (Rev. Mod. Phys. 76, S1, 2004) burnout altitudes and speeds of its generic ICBMs
//! (only the burn times above), Wilkening (2004), the intercept altitude and time of FTG-05, FTG-06a or
//! FTG-15, and the burnout speeds of Trident and Peacekeeper. Searched again 2026-12-07 (later): the APS
//! study's burnout altitudes and speeds, Sessler et al.'s "Countermeasures" (2000), Wilkening's boost-
//! phase papers and the NRC 2012 report's own tables — none found with a number; FTG-06b (22 June 2014)
//! only in press reports without an intercept time or altitude (the target launched from Kwajalein, the
//! interceptor "set to launch" twenty minutes later: Noozhawk, 17 June 2014; "minutes after": West
//! Hawaii Today, 23 June 2014).

use defence::boost::size_interceptor;
use defence::scenario::Scenario;
use flight::flyout::steer_to;
use flight::{PoweredOptions, fly_boost};
use geodesy::Geodetic;

/// The flown burnout time (s) of scenario vehicle `name` with its reference programme toward the east,
/// from Semnan's latitude.
fn burnout_time_s(s: &Scenario, name: &str) -> f64 {
    let v = s.vehicle(name).unwrap();
    let site = Geodetic {
        lat_deg: 35.2,
        lon_deg: 53.9,
        h_m: 1_100.0,
    };
    fly_boost(
        &v.vehicle().unwrap(),
        site,
        &v.programme(90.0),
        &PoweredOptions::default(),
    )
    .unwrap()
    .burnout_time_s
}

#[test]
fn generic_liquid_icbm_boost_lasts_about_four_minutes_nrc_2012_within_20_s() {
    let s = Scenario::load("europe-2008").unwrap();
    let t = burnout_time_s(&s, "APS generic liquid ICBM");
    assert!((t - 240.0).abs() <= 20.0, "{t} s");
}

#[test]
fn generic_solid_icbm_boost_lasts_about_a_minute_less_nrc_2012_within_20_s() {
    let s = Scenario::load("europe-2008").unwrap();
    let solid = burnout_time_s(&s, "APS generic solid ICBM");
    let liquid = burnout_time_s(&s, "APS generic liquid ICBM");
    assert!((solid - 180.0).abs() <= 20.0, "{solid} s");
    assert!(
        (liquid - solid - 60.0).abs() <= 20.0,
        "{liquid} s against {solid} s"
    );
}

#[test]
fn generic_liquid_icbm_boost_lasts_some_250_s_ieee_spectrum_2005_within_15_s() {
    let s = Scenario::load("europe-2008").unwrap();
    let t = burnout_time_s(&s, "APS generic liquid ICBM");
    assert!((t - 250.0).abs() <= 15.0, "{t} s");
}

#[test]
fn generic_solid_icbm_burns_out_in_170_s_ieee_spectrum_2005_within_15_s() {
    let s = Scenario::load("europe-2008").unwrap();
    let t = burnout_time_s(&s, "APS generic solid ICBM");
    assert!((t - 170.0).abs() <= 15.0, "{t} s");
}

/// The ground distance (m) from Vandenberg toward Kodiak at which the flown three-stage GBI of
/// north-korea-2008's Vandenberg battery passes 120 km of altitude `time_s` after launch (bisection on
/// the distance of the point it is steered through), with its burnout time (s).
fn ftg03a_distance_m(time_s: f64) -> (f64, f64) {
    let s = Scenario::load("north-korea-2008").unwrap();
    let battery = s
        .interceptors
        .iter()
        .find(|i| i.name == "GBI-3 Vandenberg")
        .unwrap();
    let site = s.site(&battery.site).unwrap();
    let silo = Geodetic {
        lat_deg: site.lat_deg,
        lon_deg: site.lon_deg,
        h_m: site.h_m,
    };
    // The battery names no vehicle; the three-stage GBI class is europe-2008's.
    let europe = Scenario::load("europe-2008").unwrap();
    let def = europe.vehicle("GBI three-stage class").unwrap();
    let sized = size_interceptor(def, silo, battery.burnout_speed_mps.value).unwrap();
    // Kodiak launch complex (Narrow Cape), 57.43° N, 152.34° W.
    let azimuth = geodesy::inverse(silo.lat_deg, silo.lon_deg, 57.43, -152.34)
        .unwrap()
        .azi1_deg;
    let options = PoweredOptions {
        rtol: 1e-10,
        ..PoweredOptions::default()
    };
    let arrival = |d: f64| {
        let p = geodesy::direct(silo.lat_deg, silo.lon_deg, azimuth, d).unwrap();
        let point = Geodetic {
            lat_deg: p.lat2_deg,
            lon_deg: p.lon2_deg,
            h_m: 120e3,
        };
        let f = steer_to(
            &sized.vehicle,
            silo,
            point,
            &def.programme(azimuth),
            &options,
            1.0,
        )
        .unwrap_or_else(|e| panic!("{d} m: {e}"));
        f.time_s
    };
    let (mut lo, mut hi) = (100e3, 2_500e3);
    assert!(arrival(lo) < time_s, "{} s at {lo} m", arrival(lo));
    assert!(arrival(hi) > time_s, "{} s at {hi} m", arrival(hi));
    while hi - lo > 1e3 {
        let mid = 0.5 * (lo + hi);
        if arrival(mid) < time_s {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (0.5 * (lo + hi), sized.burnout_time_s)
}

#[test]
fn ftg03a_intercept_six_minutes_after_launch_at_120_km_mdaa_2007_reachable_between_100_and_2500_km_out() {
    let (d, burnout_s) = ftg03a_distance_m(360.0);
    println!(
        "FTG-03a: the flown GBI passes 120 km of altitude at 6 min {:.0} km out",
        d / 1e3
    );
    // The kill vehicle intercepts on the coast: burnout comes well before the intercept.
    assert!(burnout_s < 300.0, "{burnout_s} s");
    assert!((100e3..2_500e3).contains(&d), "{d} m");
}

/// The study's minimum-energy powered shot of the scenario's `missile` from `from` to `to`, flown with
/// the vehicle `vehicle`: its Earth-relative burnout speed (m/s) and its apogee height (m).
fn minimum_energy_shot(s: &Scenario, missile: &str, vehicle: &str, from: &str, to: &str) -> (f64, f64) {
    let m = s.missiles.iter().find(|m| m.name == missile).unwrap();
    let v = s.vehicle(vehicle).unwrap();
    let t = defence::engagement::fly_threat_powered(
        s.site(from).unwrap(),
        s.site(to).unwrap(),
        defence::engagement::Missile::from_def(m),
        v,
        flight::aim::PoweredShape::MinimumEnergy,
        flight::Gravity::J2,
    )
    .unwrap();
    (t.burnout_state.speed_mps, t.trajectory.apogee().position.h_m)
}

/// The flown generic ICBMs' minimum-energy shots at intercontinental range: Kozelsk → Washington
/// (7 800 km) and Semnan → Washington (10 100 km), each vehicle: (case, burnout speed m/s, apogee m).
fn intercontinental_shots() -> Vec<(String, f64, f64)> {
    let s = Scenario::load("europe-2008").unwrap();
    let mut out = Vec::new();
    for vehicle in ["APS generic solid ICBM", "APS generic liquid ICBM"] {
        for from in ["Kozelsk", "Semnan"] {
            let (speed, apogee) =
                minimum_energy_shot(&s, "Iranian ICBM (hypothetical)", vehicle, from, "Washington");
            let case = format!("{vehicle} {from} → Washington");
            println!(
                "{case}: burnout {:.2} km/s, apogee {:.0} km",
                speed / 1e3,
                apogee / 1e3
            );
            out.push((case, speed, apogee));
        }
    }
    out
}

// The Economist, on the APS boost-phase study's release of 15 July 2003 (July 2003,
// <http://www.economist.com/node/1922985>; SOURCES T8 cites it): the boost phase "is short, lasting a
// mere three or four minutes". Held: both generic ICBMs burn out between 180 − 10 and 240 + 10 s.
#[test]
fn generic_icbms_boost_lasts_three_or_four_minutes_economist_2003_within_10_s() {
    let s = Scenario::load("europe-2008").unwrap();
    for name in ["APS generic solid ICBM", "APS generic liquid ICBM"] {
        let t = burnout_time_s(&s, name);
        assert!((170.0..=250.0).contains(&t), "{name}: {t} s");
    }
}

// everything2.com, "ICBM" (a community-written encyclopaedia entry, undated; LOW confidence, not a
// study: no stated basis, kept because no study's burnout figures could be retrieved): "A two- or
// three-stage booster burns for a few minutes, and accelerates the payload to a velocity of 6-7 km/s
// [...] The payload then travels [...] for about 20 minutes, reaching a maximum height of about
// 1,000km." Held: the flown generic ICBMs' minimum-energy shots at 7 800 and 10 100 km burn out at
// 6–7 km/s within 0.3 km/s. The gap recorded: at 10 100 km both burn out at 7.15–7.18 km/s (Earth-
// relative), above the band's top by up to 0.18 km/s; at 7 800 km 6.54–6.59 km/s, inside it.
#[test]
fn generic_icbms_burn_out_at_6_to_7_km_s_everything2_icbm_low_confidence_within_0_3_km_s() {
    for (case, speed, _) in intercontinental_shots() {
        assert!((5_700.0..=7_300.0).contains(&speed), "{case}: {speed} m/s");
    }
}

// The same entry (LOW confidence, see above): "reaching a maximum height of about 1,000km". Held:
// the minimum-energy shots' apogees within 30 % of 1 000 km (flown: 1 075–1 236 km).
#[test]
fn generic_icbms_minimum_energy_apogee_about_1000_km_everything2_icbm_low_confidence_within_30_percent() {
    for (case, _, apogee) in intercontinental_shots() {
        assert!((700e3..=1_300e3).contains(&apogee), "{case}: {apogee} m");
    }
}
