//! Two-body (point-mass) motion in closed form, by universal variables.
//!
//! The formulation is the classical one (R. Bate, D. Mueller, J. White, "Fundamentals of
//! Astrodynamics", 1971, ch. 4; H. Curtis, "Orbital Mechanics for Engineering Students", §3.7): Kepler's
//! equation in the universal anomaly χ with the Stumpff functions C(z), S(z), z = αχ², solved by a
//! safeguarded Newton iteration (it keeps a bracket and bisects when Newton would leave it), then the
//! Lagrange f and g coefficients. It is valid for ellipses, parabolas and hyperbolas alike.

use geodesy::Vec3;

use crate::InertialState;

/// Stumpff functions C(z) = (1 − cos √z)/z and S(z) = (√z − sin √z)/√z³ (hyperbolic forms for z < 0,
/// series near 0).
pub fn stumpff(z: f64) -> (f64, f64) {
    if z.abs() < 1e-3 {
        // Series to z⁴: the truncation error is below 1e-17 for |z| < 1e-3.
        let c = 0.5 - z / 24.0 + z * z / 720.0 - z * z * z / 40_320.0 + z * z * z * z / 3_628_800.0;
        let s =
            1.0 / 6.0 - z / 120.0 + z * z / 5_040.0 - z * z * z / 362_880.0 + z * z * z * z / 39_916_800.0;
        (c, s)
    } else if z > 0.0 {
        let sz = z.sqrt();
        ((1.0 - sz.cos()) / z, (sz - sz.sin()) / (sz * sz * sz))
    } else {
        let sz = (-z).sqrt();
        ((sz.cosh() - 1.0) / -z, (sz.sinh() - sz) / (sz * sz * sz))
    }
}

/// A two-body orbit from an initial inertial state, evaluated at any time by [`KeplerOrbit::state_at`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KeplerOrbit {
    /// Gravitational parameter, m³/s².
    pub mu_m3ps2: f64,
    /// State at t = 0.
    pub initial: InertialState,
    r0: f64,
    sqrt_mu: f64,
    rv0: f64,
    alpha: f64,
}

impl KeplerOrbit {
    /// The orbit through `initial` (inertial, at t = 0) around a point mass `mu_m3ps2`.
    pub fn new(initial: InertialState, mu_m3ps2: f64) -> Self {
        let r0 = initial.r_inertial_m.norm();
        let v0 = initial.v_inertial_mps.norm_squared();
        KeplerOrbit {
            mu_m3ps2,
            initial,
            r0,
            sqrt_mu: mu_m3ps2.sqrt(),
            rv0: initial.r_inertial_m.dot(initial.v_inertial_mps),
            alpha: 2.0 / r0 - v0 / mu_m3ps2,
        }
    }

    /// Reciprocal of the semi-major axis α = 2/r − v²/μ, 1/m (> 0 for ellipses).
    pub fn alpha_per_m(&self) -> f64 {
        self.alpha
    }

    /// Orbital period (s) for an ellipse, `None` otherwise.
    pub fn period_s(&self) -> Option<f64> {
        (self.alpha > 0.0).then(|| std::f64::consts::TAU / (self.sqrt_mu * self.alpha * self.alpha.sqrt()))
    }

    /// Time (s, > 0) from t = 0 to the next periapsis passage, for an ellipse.
    pub fn time_to_next_periapsis_s(&self) -> Option<f64> {
        let period = self.period_s()?;
        let a = 1.0 / self.alpha;
        // Eccentric anomaly from e cos E = 1 − r/a, e sin E = r·v / √(μ a).
        let ecos = 1.0 - self.r0 / a;
        let esin = self.rv0 / (self.sqrt_mu * a.sqrt());
        let e_anom = esin.atan2(ecos);
        let e = ecos.hypot(esin);
        let m = e_anom - e * e_anom.sin();
        let n = std::f64::consts::TAU / period;
        let mut dt = (-m).rem_euclid(std::f64::consts::TAU) / n;
        if dt <= 0.0 {
            dt = period;
        }
        Some(dt)
    }

    /// Kepler's equation in χ: returns (F(χ), F'(χ) = r(χ)) with F(χ) = √μ t(χ).
    #[inline]
    fn kepler_fn(&self, chi: f64) -> (f64, f64, f64, f64) {
        let z = self.alpha * chi * chi;
        let (c, s) = stumpff(z);
        let a1 = self.rv0 / self.sqrt_mu;
        let b1 = 1.0 - self.alpha * self.r0;
        let chi2 = chi * chi;
        let f = a1 * chi2 * c + b1 * chi2 * chi * s + self.r0 * chi;
        let df = a1 * chi * (1.0 - z * s) + b1 * chi2 * c + self.r0;
        (f, df, c, s)
    }

    /// Solves for the universal anomaly at `t_s`.
    fn solve_chi(&self, t_s: f64) -> f64 {
        let target = self.sqrt_mu * t_s;
        if target == 0.0 {
            return 0.0;
        }
        // F is increasing (F' = r > 0). Bracket the root, starting from the elliptic guess.
        let mut chi = if self.alpha > 0.0 {
            self.sqrt_mu * self.alpha * t_s
        } else {
            t_s.signum() * (self.sqrt_mu * t_s.abs() / self.r0.max(1.0)).max(1.0).sqrt()
        };
        if self.alpha < 0.0 {
            // Hyperbola: the logarithmic guess (Vallado, "Fundamentals of Astrodynamics and Applications",
            // algorithm 8), far better than the square root when the orbit is strongly hyperbolic.
            let a = 1.0 / self.alpha;
            let mu = self.sqrt_mu * self.sqrt_mu;
            let arg = -2.0 * mu * self.alpha * t_s
                / (self.rv0 + t_s.signum() * (-mu * a).sqrt() * (1.0 - self.r0 * self.alpha));
            let guess = t_s.signum() * (-a).sqrt() * arg.ln();
            if guess.is_finite() && guess != 0.0 {
                chi = guess;
            }
        }
        if !chi.is_finite() {
            chi = 0.0;
        }
        let (mut lo, mut hi) = (f64::NEG_INFINITY, f64::INFINITY);
        if t_s > 0.0 {
            lo = 0.0;
        } else {
            hi = 0.0;
        }
        for _ in 0..200 {
            let (f, df, _, _) = self.kepler_fn(chi);
            let g = f - target;
            if g < 0.0 {
                lo = lo.max(chi);
            } else {
                hi = hi.min(chi);
            }
            let mut next = chi - g / df;
            // With one side of the bracket still open, never jump more than 4× outwards: on a hyperbola
            // F grows exponentially, and a wild Newton step would overflow it.
            let reach = 4.0 * chi.abs().max(1.0);
            if hi.is_infinite() && next > reach {
                next = reach;
            } else if lo.is_infinite() && next < -reach {
                next = -reach;
            }
            if !(next > lo && next < hi && next.is_finite()) {
                next = if lo.is_finite() && hi.is_finite() {
                    0.5 * (lo + hi)
                } else if lo.is_finite() {
                    // Grow the bracket upwards.
                    (lo.abs() * 2.0).max(lo + 1.0)
                } else {
                    (hi.abs() * -2.0).min(hi - 1.0)
                };
            }
            let done = (next - chi).abs() <= 4.0 * f64::EPSILON * chi.abs().max(1e-300);
            chi = next;
            if done || (hi - lo) <= 4.0 * f64::EPSILON * chi.abs() {
                break;
            }
        }
        chi
    }

    /// The time (s), inertial position (m), velocity (m/s) and distance from the centre (m) at the
    /// universal anomaly `chi` (√m) from t = 0: Kepler's equation and the Lagrange coefficients evaluated
    /// directly, without solving for χ (the conic's events are located in χ, [`crate::conic`]).
    pub fn at_chi(&self, chi: f64) -> (f64, Vec3, Vec3, f64) {
        let (f_chi, r, c, s) = self.kepler_fn(chi);
        let t_s = f_chi / self.sqrt_mu;
        let chi2 = chi * chi;
        let f = 1.0 - chi2 / self.r0 * c;
        let g = t_s - chi2 * chi * s / self.sqrt_mu;
        let r0v = self.initial.r_inertial_m;
        let v0v = self.initial.v_inertial_mps;
        let z = self.alpha * chi2;
        let fdot = self.sqrt_mu / (r * self.r0) * chi * (z * s - 1.0);
        let gdot = 1.0 - chi2 / r * c;
        (t_s, r0v * f + v0v * g, r0v * fdot + v0v * gdot, r)
    }

    /// The inertial position (m) and velocity (m/s) at `t_s` seconds after t = 0.
    pub fn state_at(&self, t_s: f64) -> (Vec3, Vec3) {
        let chi = self.solve_chi(t_s);
        let (_, r, c, s) = self.kepler_fn(chi);
        let chi2 = chi * chi;
        let f = 1.0 - chi2 / self.r0 * c;
        let g = t_s - chi2 * chi * s / self.sqrt_mu;
        let r0v = self.initial.r_inertial_m;
        let v0v = self.initial.v_inertial_mps;
        let rv = r0v * f + v0v * g;
        let z = self.alpha * chi2;
        let fdot = self.sqrt_mu / (r * self.r0) * chi * (z * s - 1.0);
        let gdot = 1.0 - chi2 / r * c;
        (rv, r0v * fdot + v0v * gdot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn circular_orbit_returns_after_one_period() {
        let mu = crate::MU_M3PS2;
        let r = 7.0e6;
        let v = (mu / r).sqrt();
        let s = InertialState {
            r_inertial_m: Vec3::new(r, 0.0, 0.0),
            v_inertial_mps: Vec3::new(0.0, v, 0.0),
        };
        let k = KeplerOrbit::new(s, mu);
        let p = k.period_s().unwrap();
        let (r1, v1) = k.state_at(p);
        assert!((r1 - s.r_inertial_m).norm() < 1e-5, "{r1:?}");
        assert!((v1 - s.v_inertial_mps).norm() < 1e-8);
        let (rq, _) = k.state_at(p / 4.0);
        assert!((rq - Vec3::new(0.0, r, 0.0)).norm() < 1e-5, "{rq:?}");
    }

    #[test]
    fn energy_is_conserved_on_a_hyperbola() {
        let mu = crate::MU_M3PS2;
        let s = InertialState {
            r_inertial_m: Vec3::new(7.0e6, 1.0e6, -2.0e5),
            v_inertial_mps: Vec3::new(1.0e3, 12.0e3, 3.0e3),
        };
        let k = KeplerOrbit::new(s, mu);
        let e0 = s.energy_j_per_kg(mu);
        for t in [-5000.0, -10.0, 1.0, 100.0, 10_000.0, 1e5] {
            let (r, v) = k.state_at(t);
            let e = 0.5 * v.norm_squared() - mu / r.norm();
            assert!(((e - e0) / e0).abs() < 1e-11, "t {t}: {e} vs {e0}");
        }
    }
}
