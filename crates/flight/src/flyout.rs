//! Steered flyout: the pitch programme (launch azimuth and kick angle) that makes a rocket's flight —
//! powered, then ballistic — pass through a given point, found by shooting.
//!
//! The residual of a programme is the miss at the flight's closest approach to the point (Earth-fixed
//! frame: the point turns with the Earth), resolved on the two axes across the flight's Earth-relative
//! velocity there; Newton's method with a finite-difference Jacobian drives both to zero from the best
//! member of a coarse fan of kicks toward the point's geodesic azimuth.

use geodesy::{Geodetic, Vec3};

use crate::powered::{Boost, PoweredOptions, Programme, fly_boost};
use crate::trajectory::ground_geodesic;
use crate::{Error, Options, Trajectory, Vehicle, propagate_with};

/// Sampling interval of the closest-approach search, seconds.
const SAMPLE_S: f64 = 2.0;

/// A flown flyout through a point.
#[derive(Debug, Clone)]
pub struct Flyout {
    /// The programme found.
    pub programme: Programme,
    /// The powered flight.
    pub boost: Boost,
    /// The ballistic flight after burnout (`None` when the point is reached during the boost or the
    /// burnout state does not come back down).
    pub coast: Option<Trajectory>,
    /// Time from liftoff to the closest approach, seconds.
    pub time_s: f64,
    /// Distance of the closest approach from the point, metres.
    pub miss_m: f64,
    /// Earth-relative velocity at the closest approach (Earth-fixed components), m/s.
    pub velocity_mps: Vec3,
}

/// A flight: boost, and the coast after it when there is one.
struct Flown {
    boost: Boost,
    coast: Option<Trajectory>,
}

impl Flown {
    fn fly(
        vehicle: &Vehicle,
        site: Geodetic,
        programme: &Programme,
        options: &PoweredOptions,
    ) -> Result<Self, Error> {
        let boost = fly_boost(vehicle, site, programme, options)?;
        let opts = Options {
            model: options.model,
            ..Options::default()
        };
        // An orbital or escaping burnout state has no impact; its path to the point is the boost alone.
        let coast = match propagate_with(&boost.burnout, options.gravity, &opts) {
            Ok(c) => Some(c),
            Err(e) if e.is_no_impact() => None,
            Err(e) => return Err(e),
        };
        Ok(Flown { boost, coast })
    }

    /// The end of the flight, seconds after liftoff.
    fn end_s(&self) -> f64 {
        self.boost.burnout_time_s + self.coast.as_ref().map_or(0.0, |c| c.time_of_flight_s())
    }

    /// Earth-fixed position and Earth-relative velocity at `t_s` after liftoff.
    fn at(&self, t_s: f64) -> Option<(Vec3, Vec3)> {
        if t_s <= self.boost.burnout_time_s {
            return self.boost.ecef_at(t_s);
        }
        let coast = self.coast.as_ref()?;
        coast.ecef_at(t_s - self.boost.burnout_time_s)
    }

    /// The closest approach to `target` (Earth-fixed, m): time after liftoff and distance.
    fn closest(&self, target: Vec3) -> (f64, f64) {
        let end = self.end_s();
        let n = ((end / SAMPLE_S).ceil() as usize).max(2);
        let dist = |t: f64| self.at(t).map_or(f64::INFINITY, |(r, _)| (r - target).norm());
        let (mut best_t, mut best_d) = (0.0, f64::INFINITY);
        for i in 0..=n {
            let t = end * i as f64 / n as f64;
            let d = dist(t);
            if d < best_d {
                (best_t, best_d) = (t, d);
            }
        }
        let h = end / n as f64;
        let (a, b) = ((best_t - h).max(0.0), (best_t + h).min(end));
        crate::roots::brent_min(dist, a, b, 1e-7)
    }
}

/// The residual of a flight: the miss vector at closest approach on two axes across the velocity there
/// (the first in the vertical plane of the velocity, the second horizontal), metres.
fn residual(flown: &Flown, target: Vec3, model: &crate::EarthModel) -> Option<([f64; 2], f64, f64)> {
    let (t, d) = flown.closest(target);
    let (r, v) = flown.at(t)?;
    let miss = target - r;
    let u = v.unit();
    let (_, normal) = model.height_and_normal(r);
    let across_h = u.cross(normal).unit();
    let across_v = across_h.cross(u);
    Some(([miss.dot(across_v), miss.dot(across_h)], t, d))
}

/// Finds the programme that flies `vehicle` from `site` through `target` (geodetic point, Earth-fixed),
/// with the vertical rise and kick duration of `template` (its kick angle and azimuth are solved for).
///
/// Errors: the point is out of the vehicle's reach from the site (no programme brings the flight within
/// `tolerance_m` of it), or invalid inputs.
pub fn steer_to(
    vehicle: &Vehicle,
    site: Geodetic,
    target: Geodetic,
    template: &Programme,
    options: &PoweredOptions,
    tolerance_m: f64,
) -> Result<Flyout, Error> {
    crate::error::in_range(
        "tolerance_m",
        tolerance_m,
        1e-6,
        1e6,
        "a tolerance in [1e-6, 1e6] m",
    )?;
    let model = options.model;
    let target_r = model.to_ecef(target);
    let (_, az0) = ground_geodesic(&model, site, Geodetic { h_m: 0.0, ..target });
    // A programme's flight and residual; `None` when it does not fly (a kick out of range, a vehicle that
    // falls back).
    type Eval = Option<(Flown, [f64; 2], f64, f64)>;
    let eval = |az: f64, kick: f64| -> Result<Eval, Error> {
        if !(0.0..90.0).contains(&kick) {
            return Ok(None);
        }
        let prog = Programme {
            azimuth_deg: az,
            kick_deg: kick,
            ..*template
        };
        let flown = match Flown::fly(vehicle, site, &prog, options) {
            Ok(f) => f,
            Err(Error::Powered { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        Ok(residual(&flown, target_r, &model).map(|(res, t, d)| (flown, res, t, d)))
    };
    // A coarse fan of kicks toward the point's azimuth.
    let mut best: Option<(f64, f64, f64)> = None;
    for i in 0..30 {
        let kick = 0.5 + 3.0 * i as f64;
        if let Some((_, _, _, d)) = eval(az0, kick)?
            && best.is_none_or(|(_, _, bd)| d < bd)
        {
            best = Some((az0, kick, d));
        }
    }
    let Some((mut az, mut kick, _)) = best else {
        return Err(Error::Targeting {
            reason: "no pitch kick toward the point gives a flyable trajectory".into(),
        });
    };
    let (mut flown, mut res, mut t, mut d) = eval(az, kick)?.ok_or_else(|| Error::Targeting {
        reason: "the flyout cannot be flown".into(),
    })?;
    for _ in 0..40 {
        if d <= tolerance_m {
            break;
        }
        // Jacobian by forward differences (degrees).
        let (da, dk) = (1e-4, 1e-4);
        let (Some(fa), Some(fk)) = (eval(az + da, kick)?, eval(az, kick + dk)?) else {
            break;
        };
        let j = [
            [(fa.1[0] - res[0]) / da, (fk.1[0] - res[0]) / dk],
            [(fa.1[1] - res[1]) / da, (fk.1[1] - res[1]) / dk],
        ];
        let det = j[0][0] * j[1][1] - j[0][1] * j[1][0];
        if det == 0.0 || !det.is_finite() {
            break;
        }
        let step_a = -(j[1][1] * res[0] - j[0][1] * res[1]) / det;
        let step_k = -(-j[1][0] * res[0] + j[0][0] * res[1]) / det;
        // Backtrack until the miss shrinks.
        let mut lambda = 1.0;
        let mut improved = false;
        for _ in 0..12 {
            if let Some(next) = eval(az + lambda * step_a, kick + lambda * step_k)?
                && next.3 < d
            {
                az += lambda * step_a;
                kick += lambda * step_k;
                (flown, res, t, d) = next;
                improved = true;
                break;
            }
            lambda *= 0.5;
        }
        if !improved {
            break;
        }
    }
    if d > tolerance_m {
        let reason = if d > 1e3 {
            format!(
                "the point is out of reach: the closest flyout passes {d:.0} m from it (azimuth {az:.2}°, kick {kick:.2}°)"
            )
        } else {
            format!("the search stalls {d:.3} m from the point, short of the {tolerance_m} m asked for")
        };
        return Err(Error::Targeting { reason });
    }
    let (_, velocity_mps) = flown.at(t).ok_or_else(|| Error::Targeting {
        reason: "closest approach outside the flight".into(),
    })?;
    Ok(Flyout {
        programme: Programme {
            azimuth_deg: az,
            kick_deg: kick,
            ..*template
        },
        boost: flown.boost,
        coast: flown.coast,
        time_s: t,
        miss_m: d,
        velocity_mps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Gravity;

    fn interceptor() -> Vehicle {
        crate::test_rockets::interceptor()
    }

    #[test]
    fn steers_through_points_near_and_far_and_refuses_the_unreachable() {
        let site = Geodetic {
            lat_deg: 54.48,
            lon_deg: 17.10,
            h_m: 60.0,
        };
        let template = Programme {
            vertical_rise_s: 6.0,
            kick_deg: 0.0,
            kick_duration_s: 8.0,
            azimuth_deg: 0.0,
        };
        let options = PoweredOptions::default();
        let v = interceptor();
        for (lat, lon, h) in [
            (55.5, 25.0, 250e3),
            (56.0, 35.0, 400e3),
            (54.0, 17.5, 120e3),
            (60.0, 10.0, 800e3),
        ] {
            let target = Geodetic {
                lat_deg: lat,
                lon_deg: lon,
                h_m: h,
            };
            let f = steer_to(&v, site, target, &template, &options, 1.0).unwrap();
            assert!(f.miss_m <= 1.0, "{}", f.miss_m);
            // Flown again with the programme found, independently of the search: it passes the point.
            let b = fly_boost(&v, site, &f.programme, &options).unwrap();
            let p = if f.time_s <= b.burnout_time_s {
                b.ecef_at(f.time_s).unwrap().0
            } else {
                let c = crate::propagate(&b.burnout, Gravity::J2).unwrap();
                c.ecef_at(f.time_s - b.burnout_time_s).unwrap().0
            };
            assert!((p - options.model.to_ecef(target)).norm() < 1.0 + 1e-6);
            assert!(f.time_s > 0.0 && f.velocity_mps.norm() > 1_000.0);
        }
        // Beyond the vehicle's reach: 300 km up over the antipodes.
        let far = Geodetic {
            lat_deg: -54.0,
            lon_deg: -163.0,
            h_m: 300e3,
        };
        let e = steer_to(&v, site, far, &template, &options, 1.0).unwrap_err();
        assert!(e.to_string().contains("out of reach"), "{e}");
    }
}
