//! An adaptive Runge–Kutta–Nyström 12(10) integrator for r'' = a(r) in three dimensions: ballistic flight
//! in the inertial frame, where gravity (point or J2, symmetric about the spin axis) depends on the
//! position alone.
//!
//! The method is RKN12(10)17M of J. R. Dormand, M. E. A. El-Mikkawy and P. J. Prince, "High-order embedded
//! Runge-Kutta-Nystrom formulae", IMA J. Numer. Anal. 7 (1987) 423–430: 17 stages, a 12th-order solution
//! that is propagated (local extrapolation) and an embedded 10th-order one whose difference estimates the
//! error. A Nyström method integrates the second-order equation directly, so each stage combines positions
//! only; at the tight tolerances of impact-point work it takes far larger steps than first-order methods
//! of lower order (about a third of DOP853's on the reference flights, for the same accuracy).
//!
//! Step-size control is the standard one, h ← h · clamp(0.9 err^(−1/11), 0.2, 10), in the norm of
//! [`crate::ode`]. The method has no dense output: a state inside a step is computed exactly (to the
//! method's accuracy) by one step of the method from the step's start ([`Step::state_at`]), and the
//! quintic Hermite interpolant of the step's end points ([`Step::hermite`]) serves as a cheap guess.

use geodesy::Vec3;

use crate::ode::{IntegrationError, Tolerances};
use crate::rkn12_tableau::{A, B, BP, C, E, EP};

const STAGES: usize = 17;

/// One accepted step: its start and end states and the accelerations there (the end's is the next
/// step's first stage).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    /// Start time of the step, seconds.
    pub t0_s: f64,
    /// Step length, seconds (> 0).
    pub h_s: f64,
    /// Position at the start, m.
    pub r0: Vec3,
    /// Velocity at the start, m/s.
    pub v0: Vec3,
    /// Acceleration at the start, m/s².
    pub a0: Vec3,
    /// Position at the end, m.
    pub r1: Vec3,
    /// Velocity at the end, m/s.
    pub v1: Vec3,
    /// Acceleration at the end (the next step's first stage), m/s².
    pub a1: Vec3,
}

impl Step {
    /// End time of the step, seconds.
    pub fn t1_s(&self) -> f64 {
        self.t0_s + self.h_s
    }

    /// Position and velocity at `t_s` ∈ [t0, t1]: one step of the method from the step's start, as
    /// accurate as the step itself (16 evaluations of `accel`, which must be the step's own). The step's
    /// end points are returned as they are.
    pub fn state_at<F: Fn(Vec3) -> Vec3>(&self, t_s: f64, accel: &F) -> (Vec3, Vec3) {
        if t_s == self.t0_s {
            return (self.r0, self.v0);
        }
        if t_s == self.t1_s() {
            return (self.r1, self.v1);
        }
        let tau = t_s - self.t0_s;
        let k = stages(accel, self.r0, self.v0, self.a0, tau);
        let (r, v, _, _) = combine(self.r0, self.v0, tau, &k);
        (r, v)
    }

    /// Position and velocity at `t_s` on the quintic Hermite interpolant of the step's end points (their
    /// positions, velocities and accelerations). Cheap, and accurate to O(h⁶): r ω⁶ h⁶ / 46 080 in the
    /// middle of the step (ω the orbital rate), about 10 m for a 600 s step of a low orbit, far less near
    /// its ends and in shorter steps — a first guess, not an answer.
    pub fn hermite(&self, t_s: f64) -> (Vec3, Vec3) {
        let h = self.h_s;
        let s = (t_s - self.t0_s) / h;
        // P(s) = p0 + m0 s + c0 s²/2 + α s³ + β s⁴ + γ s⁵ with P, P', P'' matching at s = 0 and 1.
        let (m0, c0) = (self.v0 * h, self.a0 * (h * h));
        let (m1, c1) = (self.v1 * h, self.a1 * (h * h));
        let d1 = self.r1 - self.r0 - m0 - c0 * 0.5;
        let d2 = m1 - m0 - c0;
        let d3 = c1 - c0;
        let e2 = d2 - d1 * 3.0;
        let e3 = d3 - d1 * 6.0;
        let gamma = (e3 - e2 * 6.0) * 0.5;
        let beta = e2 - gamma * 2.0;
        let alpha = d1 - beta - gamma;
        let p = self.r0 + (m0 + (c0 * 0.5 + (alpha + (beta + gamma * s) * s) * s) * s) * s;
        let dp = m0 + (c0 + (alpha * 3.0 + (beta * 4.0 + gamma * (5.0 * s)) * s) * s) * s;
        (p, dp * (1.0 / h))
    }
}

/// The stages f_0 … f_16 of a step of length `h` from (r0, v0), with f_0 = `a0` = a(r0).
#[inline(always)]
fn stages<F: Fn(Vec3) -> Vec3>(accel: &F, r0: Vec3, v0: Vec3, a0: Vec3, h: f64) -> [Vec3; STAGES] {
    let mut k = [Vec3::ZERO; STAGES];
    k[0] = a0;
    let hv = v0 * h;
    let h2 = h * h;
    macro_rules! stage {
        ($($n:literal)*) => {$(
            k[$n] = accel(position::<$n>(r0, hv, h2, &k));
        )*};
    }
    stage!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16);
    k
}

/// Stage `N`'s position r0 + c_N h v0 + h² Σ_{j<N} A[N][j] f_j. `N` is a constant so that the loop
/// unrolls and the tableau's weights fold into the code.
#[inline(always)]
fn position<const N: usize>(r0: Vec3, hv: Vec3, h2: f64, k: &[Vec3; STAGES]) -> Vec3 {
    let row = &A[N];
    let mut s = Vec3::ZERO;
    for j in 0..N {
        if row[j] != 0.0 {
            s += k[j] * row[j];
        }
    }
    r0 + hv * C[N] + s * h2
}

/// The 12th-order solution (position, velocity) and the error estimates (position, velocity).
#[inline(always)]
fn combine(r0: Vec3, v0: Vec3, h: f64, k: &[Vec3; STAGES]) -> (Vec3, Vec3, Vec3, Vec3) {
    let (mut sb, mut sbp, mut se, mut sep) = (Vec3::ZERO, Vec3::ZERO, Vec3::ZERO, Vec3::ZERO);
    for j in 0..STAGES {
        if B[j] != 0.0 {
            sb += k[j] * B[j];
        }
        if BP[j] != 0.0 {
            sbp += k[j] * BP[j];
        }
        if E[j] != 0.0 {
            se += k[j] * E[j];
        }
        if EP[j] != 0.0 {
            sep += k[j] * EP[j];
        }
    }
    let h2 = h * h;
    (r0 + v0 * h + sb * h2, v0 + sbp * h, se * h2, sep * h)
}

/// Integrates r'' = `accel`(r) from (`r0`, `v0`) at t = 0, calling `on_step` with each accepted [`Step`]
/// until it returns `None` (stop) or `t_end_s` is reached (the last step ends there exactly). `on_step`
/// returns `Some(cap)` to go on with a next step of at most `cap` seconds (`f64::INFINITY`: no cap) —
/// a caller that knows the path ends soon (an impact) spares the integrator a long step far past it,
/// which its error control would likely reject. Returns the number of accepted steps.
pub fn integrate<F, S>(
    accel: F,
    r0: Vec3,
    v0: Vec3,
    t_end_s: f64,
    tol: &Tolerances,
    mut on_step: S,
) -> Result<usize, IntegrationError>
where
    F: Fn(Vec3) -> Vec3,
    S: FnMut(&Step) -> Option<f64>,
{
    let (mut t, mut r, mut v) = (0.0f64, r0, v0);
    let mut a = accel(r);
    let mut h = initial_step(r, a, tol).min(tol.max_step_s).min(t_end_s);
    let mut accepted = 0usize;
    let mut attempts = 0usize;
    let mut last_rejected = false;
    loop {
        if t >= t_end_s {
            return Ok(accepted);
        }
        attempts += 1;
        if attempts > tol.max_steps {
            return Err(IntegrationError::TooManySteps { t_s: t });
        }
        if h.is_nan() || h <= 1e-12 * t.abs().max(1.0) {
            return Err(IntegrationError::StepUnderflow { t_s: t });
        }
        let last = h >= t_end_s - t;
        let h_step = if last { t_end_s - t } else { h };
        let k = stages(&accel, r, v, a, h_step);
        let (r1, v1, er, ev) = combine(r, v, h_step, &k);
        if !(r1.is_finite() && v1.is_finite()) {
            return Err(IntegrationError::StepUnderflow { t_s: t });
        }
        // The squared error norm (no square root: the controller takes its 22nd root instead of the norm's
        // 11th).
        let sp = tol.atol_pos_m + tol.rtol * r.norm_squared().max(r1.norm_squared()).sqrt();
        let sv = tol.atol_vel_mps + tol.rtol * v.norm_squared().max(v1.norm_squared()).sqrt();
        let err2 = (er.norm_squared() / (sp * sp) + ev.norm_squared() / (sv * sv)) * (1.0 / 6.0);
        if err2 <= 1.0 {
            let a1 = accel(r1);
            let step = Step {
                t0_s: t,
                h_s: h_step,
                r0: r,
                v0: v,
                a0: a,
                r1,
                v1,
                a1,
            };
            accepted += 1;
            t = if last { t_end_s } else { t + h_step };
            (r, v, a) = (r1, v1, a1);
            let Some(cap) = on_step(&step) else {
                return Ok(accepted);
            };
            let mut factor = if err2 == 0.0 {
                10.0
            } else {
                0.9 * err2.powf(-1.0 / 22.0)
            };
            factor = factor.clamp(0.2, 10.0);
            if last_rejected {
                factor = factor.min(1.0);
            }
            last_rejected = false;
            h = (h_step * factor).min(tol.max_step_s).min(cap.max(1e-3));
        } else {
            h = h_step * (0.9 * err2.powf(-1.0 / 22.0)).max(0.2);
            last_rejected = true;
        }
    }
}

/// The first step: the solution changes on the time scale τ = √(|r| / |a|) (about 13 minutes near the
/// ground), and the local error of a 12th-order step is ~ |r| (h/τ)¹³, so h = τ · rtol^(1/13) meets the
/// tolerance to within the method's error constant, which the controller then corrects.
fn initial_step(r: Vec3, a: Vec3, tol: &Tolerances) -> f64 {
    let (rn, an) = (r.norm(), a.norm());
    let rel = (tol.rtol + tol.atol_pos_m / rn.max(1e-300)).clamp(1e-16, 1.0);
    if an > 0.0 && rn > 0.0 {
        1.5 * (rn / an).sqrt() * rel.powf(1.0 / 13.0)
    } else {
        1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MU: f64 = 3.986004418e14;

    fn kepler_accel(r: Vec3) -> Vec3 {
        let r2 = r.norm_squared();
        r * (-MU / (r2 * r2.sqrt()))
    }

    /// A circular orbit: the integrator must follow it for several periods, and both `state_at` and the
    /// Hermite interpolant must agree with the closed form inside the steps (Hermite far less closely).
    #[test]
    fn circular_orbit_state_at_and_hermite() {
        let r = 7_000e3;
        let w = (MU / (r * r * r)).sqrt();
        let exact = |t: f64| {
            let (s, c) = (w * t).sin_cos();
            (
                Vec3::new(r * c, r * s, 0.0),
                Vec3::new(-r * w * s, r * w * c, 0.0),
            )
        };
        let period = std::f64::consts::TAU / w;
        let tol = Tolerances::default();
        let (mut worst, mut worst_mid) = (0.0f64, 0.0f64);
        let (mut worst_hermite, mut worst_hermite_v) = (0.0f64, 0.0f64);
        let mut last_t = 0.0;
        let n = integrate(
            kepler_accel,
            exact(0.0).0,
            exact(0.0).1,
            3.0 * period,
            &tol,
            |step| {
                assert!(step.h_s <= tol.max_step_s && step.t0_s == last_t);
                last_t = step.t1_s();
                assert_eq!(step.a1, kepler_accel(step.r1));
                worst = worst.max((step.r1 - exact(step.t1_s()).0).norm());
                for i in 1..4 {
                    let t = step.t0_s + step.h_s * i as f64 / 4.0;
                    let (re, ve) = exact(t);
                    let (rs, vs) = step.state_at(t, &kepler_accel);
                    worst_mid = worst_mid.max((rs - re).norm()).max((vs - ve).norm() * 1e3);
                    let (rh, vh) = step.hermite(t);
                    worst_hermite = worst_hermite.max((rh - re).norm());
                    worst_hermite_v = worst_hermite_v.max((vh - ve).norm());
                }
                assert_eq!(step.hermite(step.t0_s).0, step.r0);
                assert!((step.hermite(step.t1_s()).0 - step.r1).norm() < 1e-6);
                assert_eq!(step.state_at(step.t1_s(), &kepler_accel), (step.r1, step.v1));
                Some(f64::INFINITY)
            },
        )
        .unwrap();
        assert_eq!(last_t, 3.0 * period);
        assert!(n > 10 && n < 100, "{n} steps");
        assert!(worst < 1e-3, "end point error {worst} m after three periods");
        assert!(worst_mid < 1e-3, "state_at error {worst_mid}");
        // The quintic's error, r ω⁶ h⁶ / (720 · 64) in mid-step, is ~11 m for these 600 s steps.
        assert!(
            worst_hermite > 1.0 && worst_hermite < 20.0,
            "Hermite error {worst_hermite} m"
        );
        assert!(
            worst_hermite_v < 0.2,
            "Hermite velocity error {worst_hermite_v} m/s"
        );
    }

    /// The quintic Hermite interpolant reproduces a quintic exactly.
    #[test]
    fn hermite_is_exact_on_quintics() {
        let p = |t: f64| {
            Vec3::new(
                1.0 + 2.0 * t - 0.5 * t * t + 0.1 * t.powi(3) - 0.02 * t.powi(4) + 0.003 * t.powi(5),
                -3.0 * t + t.powi(5) * 1e-3,
                7.0 - t.powi(4) * 1e-2,
            )
        };
        let dp = |t: f64| {
            Vec3::new(
                2.0 - t + 0.3 * t * t - 0.08 * t.powi(3) + 0.015 * t.powi(4),
                -3.0 + 5e-3 * t.powi(4),
                -4e-2 * t.powi(3),
            )
        };
        let ddp = |t: f64| {
            Vec3::new(
                -1.0 + 0.6 * t - 0.24 * t * t + 0.06 * t.powi(3),
                2e-2 * t.powi(3),
                -0.12 * t * t,
            )
        };
        let (t0, t1): (f64, f64) = (2.0, 5.0);
        let step = Step {
            t0_s: t0,
            h_s: t1 - t0,
            r0: p(t0),
            v0: dp(t0),
            a0: ddp(t0),
            r1: p(t1),
            v1: dp(t1),
            a1: ddp(t1),
        };
        for i in 0..=12 {
            let t = t0 + (t1 - t0) * i as f64 / 12.0;
            let (r, v) = step.hermite(t);
            assert!((r - p(t)).norm() < 1e-12, "{t}");
            assert!((v - dp(t)).norm() < 1e-12, "{t}");
        }
    }

    /// Twelfth order: halving a fixed step divides the error over an eccentric orbit by ~2¹².
    #[test]
    fn convergence_order() {
        let (rp, e): (f64, f64) = (7_000e3, 0.3);
        let a_axis = rp / (1.0 - e);
        let period = std::f64::consts::TAU * (a_axis.powi(3) / MU).sqrt();
        let v_p = (MU * (1.0 + e) / rp).sqrt();
        let error = |steps: usize| {
            let h = period / steps as f64;
            let (mut r, mut v) = (Vec3::new(rp, 0.0, 0.0), Vec3::new(0.0, v_p, 0.0));
            for _ in 0..steps {
                let k = stages(&kepler_accel, r, v, kepler_accel(r), h);
                (r, v, _, _) = combine(r, v, h, &k);
            }
            (r - Vec3::new(rp, 0.0, 0.0)).norm()
        };
        let rate = (error(16) / error(32)).log2();
        assert!(rate > 11.0, "observed order {rate}");
    }

    #[test]
    fn too_many_steps_is_an_error() {
        let tol = Tolerances {
            max_steps: 3,
            ..Tolerances::default()
        };
        let r = Vec3::new(7_000e3, 0.0, 0.0);
        let v = Vec3::new(0.0, 7_500.0, 0.0);
        let e = integrate(kepler_accel, r, v, 1e6, &tol, |_| Some(f64::INFINITY)).unwrap_err();
        assert!(matches!(e, IntegrationError::TooManySteps { .. }));
    }
}
