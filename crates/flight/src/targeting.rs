//! Targeting on the rotating Earth: the burnout state that carries a warhead from a launch site to a
//! target, for a chosen trajectory shape.
//!
//! For a trial time of flight T the target's Earth-fixed position is rotated into the inertial frame at T
//! (the Earth turns under the missile) and Lambert's problem ([`crate::lambert()`]) from the burnout point
//! gives the point-gravity burnout velocity, short way round. With J2 that velocity is then corrected by
//! Newton shooting (finite-difference Jacobian of the J2-propagated position at T with respect to the
//! burnout velocity) until the J2 trajectory passes within a millimetre of the target at T. The time of
//! flight itself is chosen by the shape: the minimum Earth-relative burnout speed (Brent minimisation), or
//! a given apogee height or flight-path angle (Brent root finding; both grow with T, so the answer is
//! unique, lofted above the minimum-energy value and depressed below it). Every answer is checked by a
//! full propagation with event location: it must first reach the ground at the target.

use geodesy::{Geodetic, Vec3};

use crate::ode::Tolerances;
use crate::rkn12;
use crate::roots::{brent, brent_min};
use crate::trajectory::{Options, ground_geodesic, propagate_inertial};
use crate::{BurnoutState, EarthModel, Error, Gravity, InertialState, Trajectory, lambert};

/// The requested trajectory shape.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Shape {
    /// The smallest Earth-relative burnout speed that reaches the target.
    MinEnergy,
    /// The trajectory whose apogee (largest geodetic height) is `alt_m` metres: lofted when above the
    /// minimum-energy apogee, depressed when below.
    Apogee {
        /// Apogee height above the ellipsoid, metres.
        alt_m: f64,
    },
    /// The trajectory whose burnout flight-path angle (above the local geodetic horizontal) is `deg`
    /// degrees: lofted when steeper than the minimum-energy one, depressed when flatter.
    FlightPathAngle {
        /// Flight-path angle at burnout, degrees.
        deg: f64,
    },
}

/// How a solution compares with the minimum-energy trajectory to the same target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The minimum-energy trajectory itself.
    MinEnergy,
    /// Longer time of flight, higher apogee, steeper climb.
    Lofted,
    /// Shorter time of flight, lower apogee, flatter climb.
    Depressed,
}

impl Kind {
    /// `"min-energy"`, `"lofted"` or `"depressed"`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::MinEnergy => "min-energy",
            Kind::Lofted => "lofted",
            Kind::Depressed => "depressed",
        }
    }
}

/// A targeting answer.
#[derive(Debug, Clone)]
pub struct Solution {
    /// The burnout state (Earth-relative speed, azimuth and flight-path angle at the launch point).
    pub burnout: BurnoutState,
    /// Time from burnout to arrival at the target, seconds.
    pub time_of_flight_s: f64,
    /// Apogee height above the ellipsoid, metres.
    pub apogee_alt_m: f64,
    /// Time of apogee after burnout, seconds.
    pub apogee_time_s: f64,
    /// Geodesic distance from the burnout sub-point to the target, metres.
    pub ground_range_m: f64,
    /// Distance between the propagated impact point and the target, metres (a check: ~mm).
    pub miss_distance_m: f64,
    /// Lofted or depressed relative to the minimum-energy trajectory.
    pub kind: Kind,
    /// Time of flight of the minimum-energy trajectory, seconds (for reference).
    pub min_energy_time_of_flight_s: f64,
    /// The full trajectory, burnout to impact.
    pub trajectory: Trajectory,
}

/// Finds the burnout state from `launch` (latitude, longitude and burnout height) to the ground point
/// `target_lat_deg`, `target_lon_deg` for `shape` under `gravity`, with the contract Earth model.
pub fn target(
    launch: Geodetic,
    target_lat_deg: f64,
    target_lon_deg: f64,
    shape: Shape,
    gravity: Gravity,
) -> Result<Solution, Error> {
    target_with(
        launch,
        target_lat_deg,
        target_lon_deg,
        shape,
        gravity,
        &Options::default(),
    )
}

struct Problem<'a> {
    model: EarthModel,
    gravity: Gravity,
    tol: &'a Tolerances,
    r1: Vec3,
    target_ecef: Vec3,
}

impl Problem<'_> {
    /// The inertial burnout state reaching the target at `t_s`.
    fn solve(&self, t_s: f64) -> Result<InertialState, Error> {
        let r2 = self.model.ecef_to_inertial(self.target_ecef, t_s);
        let prograde = self.r1.cross(r2).z >= 0.0;
        let sol = lambert(self.r1, r2, t_s, self.model.mu_m3ps2, prograde, 0)?;
        let v1 = sol.solutions[0].v1_mps;
        let v1 = match self.gravity {
            Gravity::Point => v1,
            Gravity::J2 => self.shoot(r2, t_s, v1)?,
        };
        let s = InertialState {
            r_inertial_m: self.r1,
            v_inertial_mps: v1,
        };
        if s.energy_j_per_kg(self.model.mu_m3ps2) >= 0.0 {
            return Err(Error::Targeting {
                reason: format!("time of flight {t_s:.1} s needs an escape trajectory"),
            });
        }
        Ok(s)
    }

    /// The position at `t_s` of the flight from the burnout point with inertial velocity `v1`: RKN12,
    /// whose last step ends at `t_s` exactly.
    fn position_at(&self, v1: Vec3, t_s: f64) -> Result<Vec3, Error> {
        let (model, gravity) = (self.model, self.gravity);
        let accel = |r: Vec3| model.acceleration(gravity, r);
        let mut end = None;
        rkn12::integrate(accel, self.r1, v1, t_s, self.tol, |step| {
            end = Some(step.r1);
            Some(f64::INFINITY)
        })
        .map_err(|_| Error::Targeting {
            reason: "integration failed while shooting".to_string(),
        })?;
        end.ok_or_else(|| Error::Targeting {
            reason: "no integration step".to_string(),
        })
    }

    /// Newton shooting on the burnout velocity so that the propagated position at `t_s` is `r2`.
    fn shoot(&self, r2: Vec3, t_s: f64, mut v: Vec3) -> Result<Vec3, Error> {
        const DV: f64 = 1e-2;
        for _ in 0..12 {
            let r = self.position_at(v, t_s)?;
            let miss = r - r2;
            if miss.norm() < 1e-4 {
                return Ok(v);
            }
            let mut cols = [Vec3::ZERO; 3];
            for (k, col) in cols.iter_mut().enumerate() {
                let mut dv = Vec3::ZERO;
                match k {
                    0 => dv.x = DV,
                    1 => dv.y = DV,
                    _ => dv.z = DV,
                }
                *col = (self.position_at(v + dv, t_s)? - r) / DV;
            }
            let step = solve3(cols, -miss).ok_or_else(|| Error::Targeting {
                reason: "singular shooting Jacobian".to_string(),
            })?;
            v += step;
        }
        Err(Error::Targeting {
            reason: "J2 shooting did not converge".to_string(),
        })
    }
}

/// Solves [c0 c1 c2] x = b by Cramer's rule.
fn solve3(c: [Vec3; 3], b: Vec3) -> Option<Vec3> {
    let det = c[0].dot(c[1].cross(c[2]));
    if det == 0.0 || !det.is_finite() {
        return None;
    }
    Some(Vec3::new(
        b.dot(c[1].cross(c[2])) / det,
        c[0].dot(b.cross(c[2])) / det,
        c[0].dot(c[1].cross(b)) / det,
    ))
}

/// [`target`] with an explicit Earth model and tolerances.
pub fn target_with(
    launch: Geodetic,
    target_lat_deg: f64,
    target_lon_deg: f64,
    shape: Shape,
    gravity: Gravity,
    options: &Options,
) -> Result<Solution, Error> {
    let model = options.model;
    let tgt = Geodetic::try_new(target_lat_deg, target_lon_deg, 0.0).map_err(|_| Error::InvalidInput {
        name: "target",
        value: target_lat_deg,
        expected: "a finite latitude in [-90, 90] and longitude",
    })?;
    let launch =
        Geodetic::try_new(launch.lat_deg, launch.lon_deg, launch.h_m).map_err(|_| Error::InvalidInput {
            name: "launch",
            value: launch.lat_deg,
            expected: "a finite latitude in [-90, 90], longitude and height",
        })?;
    if launch.h_m < crate::MIN_BURNOUT_ALT_M {
        return Err(Error::InvalidInput {
            name: "burnout_alt_m",
            value: launch.h_m,
            expected: "a height of at least -1000 m",
        });
    }
    let (range_m, _) = ground_geodesic(&model, Geodetic { h_m: 0.0, ..launch }, tgt);
    if range_m < 1_000.0 {
        return Err(Error::Targeting {
            reason: format!("target is only {range_m:.1} m from the launch point"),
        });
    }
    let point = Problem {
        model,
        gravity: Gravity::Point,
        tol: &options.tolerances,
        r1: model.to_ecef(launch),
        target_ecef: model.to_ecef(tgt),
    };
    let prob = Problem { gravity, ..point };
    let speed = |p: &Problem, t: f64| -> f64 {
        p.solve(t)
            .map(|s| BurnoutState::from_inertial(&p.model, &s).speed_mps)
            .unwrap_or(f64::INFINITY)
    };

    // Minimum-energy time of flight of the non-rotating problem (Izzo's x = 0) as the starting scale.
    let r1 = point.r1;
    let r2 = point.target_ecef;
    let c = (r2 - r1).norm();
    let s = 0.5 * (c + r1.norm() + r2.norm());
    let lam = (1.0 - c / s).max(0.0).sqrt();
    let t00 = lam.acos() + lam * (1.0 - lam * lam).sqrt();
    let t_scale = t00 / (2.0 * model.mu_m3ps2 / (s * s * s)).sqrt();

    let (t_me, _) = brent_min(|t| speed(&point, t), 0.4 * t_scale, 2.0 * t_scale, 1e-3);
    let t_me = if gravity == Gravity::J2 {
        brent_min(|t| speed(&prob, t), 0.97 * t_me, 1.03 * t_me, 1e-3).0
    } else {
        t_me
    };

    let t_sol = match shape {
        Shape::MinEnergy => t_me,
        Shape::Apogee { alt_m } => {
            crate::error::finite("apogee_alt_m", alt_m)?;
            let f = |t: f64| -> f64 {
                prob.solve(t)
                    .and_then(|st| propagate_inertial(&st, gravity, options))
                    .map(|tr| tr.apogee().position.h_m - alt_m)
                    .unwrap_or(f64::NAN)
            };
            solve_monotone(f, t_me, "apogee height")?
        }
        Shape::FlightPathAngle { deg } => {
            crate::error::in_range(
                "flight_path_angle_deg",
                deg,
                -90.0,
                90.0,
                "an angle in [-90, 90] degrees",
            )?;
            let f = |t: f64| -> f64 {
                prob.solve(t)
                    .map(|st| BurnoutState::from_inertial(&model, &st).flight_path_angle_deg - deg)
                    .unwrap_or(f64::NAN)
            };
            solve_monotone(f, t_me, "flight-path angle")?
        }
    };
    let state = prob.solve(t_sol)?;
    let traj = propagate_inertial(&state, gravity, options)?;
    let imp = traj.impact().position;
    let miss = (model.to_ecef(Geodetic { h_m: 0.0, ..imp }) - point.target_ecef).norm();
    if miss > 100.0 {
        return Err(Error::Targeting {
            reason: format!(
                "the trajectory hits the ground {:.0} km before the target (too depressed?)",
                miss / 1e3
            ),
        });
    }
    let rel = (t_sol - t_me) / t_me;
    let kind = if rel.abs() < 1e-6 {
        crate::targeting::Kind::MinEnergy
    } else if rel > 0.0 {
        Kind::Lofted
    } else {
        Kind::Depressed
    };
    Ok(Solution {
        burnout: BurnoutState::from_inertial(&model, &state),
        time_of_flight_s: t_sol,
        apogee_alt_m: traj.apogee().position.h_m,
        apogee_time_s: traj.apogee().t_since_burnout_s,
        ground_range_m: range_m,
        miss_distance_m: miss,
        kind,
        min_energy_time_of_flight_s: t_me,
        trajectory: traj,
    })
}

/// The root of an increasing function of the time of flight, bracketed by expanding from `t0`. NaN marks
/// times with no valid trajectory.
fn solve_monotone(f: impl Fn(f64) -> f64, t0: f64, what: &str) -> Result<f64, Error> {
    let fail = |why: &str| Error::Targeting {
        reason: format!("no trajectory with that {what}: {why}"),
    };
    let f0 = f(t0);
    if f0.is_nan() {
        return Err(fail("minimum-energy trajectory failed"));
    }
    if f0 == 0.0 {
        return Ok(t0);
    }
    let (mut a, mut fa) = (t0, f0);
    let mut b = t0;
    let mut fb = f0;
    for _ in 0..60 {
        if (fa > 0.0) != (fb > 0.0) {
            break;
        }
        if f0 < 0.0 {
            a = b;
            fa = fb;
            b *= 1.25;
            fb = f(b);
            if fb.is_nan() {
                return Err(fail("requested value is out of reach (escape)"));
            }
        } else {
            b = a;
            fb = fa;
            let next = a * 0.85;
            let fnext = f(next);
            if fnext.is_nan() {
                // Walk back towards the last valid time to find the depressed limit.
                return Err(fail(
                    "requested value is below the most depressed trajectory that reaches the target",
                ));
            }
            a = next;
            fa = fnext;
        }
    }
    if (fa > 0.0) == (fb > 0.0) {
        return Err(fail("could not bracket"));
    }
    brent(f, a.min(b), a.max(b), 1e-6).ok_or_else(|| fail("root finding failed"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_energy_10000_km_on_a_non_rotating_sphere_needs_about_7_2_km_s() {
        // Textbook: on a sphere of radius R, the minimum burnout speed for a ground-to-ground range angle
        // Ψ is v² = μ/R · 2 sin(Ψ/2)/(1 + sin(Ψ/2)); for 10 000 km (Ψ = 89.9°) that is 7.2 km/s.
        let r = 6_371_000.0;
        let model = EarthModel::non_rotating_sphere(r);
        let opts = Options {
            model,
            ..Options::default()
        };
        let psi_deg = (10_000e3 / r).to_degrees();
        let launch = Geodetic {
            lat_deg: 0.0,
            lon_deg: 0.0,
            h_m: 0.0,
        };
        let sol = target_with(launch, 0.0, psi_deg, Shape::MinEnergy, Gravity::Point, &opts).unwrap();
        let half = (psi_deg.to_radians() / 2.0).sin();
        let expect = (model.mu_m3ps2 / r * 2.0 * half / (1.0 + half)).sqrt();
        assert!(
            (sol.burnout.speed_mps - expect).abs() < 0.01,
            "{} vs {expect}",
            sol.burnout.speed_mps
        );
        assert!((sol.burnout.speed_mps - 7_200.0).abs() < 50.0);
        // The optimal flight-path angle is 45° − Ψ/4.
        assert!((sol.burnout.flight_path_angle_deg - (45.0 - psi_deg / 4.0)).abs() < 1e-3);
        assert!((sol.ground_range_m - 10_000e3).abs() < 1e-3);
    }
}
