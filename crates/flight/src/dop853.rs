//! An adaptive Dormand–Prince 8(5,3) integrator with 7th-order dense output, for autonomous systems
//! y' = f(y): six components (position and velocity) for ballistic flight ([`integrate`]), any number
//! for other systems such as powered flight, whose state adds mass and time ([`integrate_system`]).
//!
//! The method, its error estimator (the 5th- and 3rd-order embedded estimates combined as in Hairer's
//! DOP853) and its dense output follow E. Hairer, S. P. Nørsett, G. Wanner, "Solving Ordinary Differential
//! Equations I", 2nd ed., §II.5–II.6. Step-size control is the standard one: h ← h · clamp(0.9 err^(−1/8),
//! 0.2, 10), with the error measured in the RMS norm weighted by `atol + rtol · |y|` per component.

use crate::dop853_tableau::{A, B, D, E3, E5};
use crate::ode::{IntegrationError, Tolerances};

/// A state vector: position (m) then velocity (m/s).
pub type State = [f64; 6];

/// One accepted step with its dense-output polynomial, for a system of `N` components.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment<const N: usize = 6> {
    /// Start time of the step, seconds.
    pub t0_s: f64,
    /// Step length, seconds (> 0).
    pub h_s: f64,
    /// State at the start of the step.
    pub y0: [f64; N],
    /// Coefficients of the interpolant (Hairer's `rcont` arrays, scaled by h).
    coeffs: [[f64; N]; 7],
}

impl<const N: usize> Segment<N> {
    /// End time of the step, seconds.
    pub fn t1_s(&self) -> f64 {
        self.t0_s + self.h_s
    }

    /// The interpolated state at `t_s` (7th-order accurate within the step; extrapolates outside).
    #[inline]
    pub fn eval(&self, t_s: f64) -> [f64; N] {
        let x = (t_s - self.t0_s) / self.h_s;
        let x1 = 1.0 - x;
        let mut y = [0.0; N];
        for (c, yc) in y.iter_mut().enumerate() {
            let f = &self.coeffs;
            // Hairer's contd8 nesting: y0 + x(F0 + x1(F1 + x(F2 + x1(F3 + x(F4 + x1(F5 + x F6)))))).
            let mut v = f[6][c] * x;
            v = (v + f[5][c]) * x1;
            v = (v + f[4][c]) * x;
            v = (v + f[3][c]) * x1;
            v = (v + f[2][c]) * x;
            v = (v + f[1][c]) * x1;
            v = (v + f[0][c]) * x;
            *yc = self.y0[c] + v;
        }
        y
    }
}

/// One accepted step: its end points and the stages from which its dense output is built on demand.
///
/// The integrator does not build the interpolant of every step (three more force evaluations and ~700
/// multiply-adds): callers that only need the step's end points, or a cheap cubic Hermite from the end
/// points and their derivatives to bracket an event, skip it; [`Step::dense`] builds it for the steps
/// that need it.
#[derive(Debug, Clone, PartialEq)]
pub struct Step<const N: usize = 6> {
    /// Start time of the step, seconds.
    pub t0_s: f64,
    /// Step length, seconds (> 0).
    pub h_s: f64,
    /// State at the start of the step.
    pub y0: [f64; N],
    /// State at the end of the step.
    pub y1: [f64; N],
    /// Stages k₀ … k₁₂ of the step (k₀ = f(y0), k₁₂ = f(y1)).
    k: [[f64; N]; 13],
}

impl<const N: usize> Step<N> {
    /// End time of the step, seconds.
    pub fn t1_s(&self) -> f64 {
        self.t0_s + self.h_s
    }

    /// The derivative f(y0) at the start of the step.
    pub fn f0(&self) -> &[f64; N] {
        &self.k[0]
    }

    /// The derivative f(y1) at the end of the step.
    pub fn f1(&self) -> &[f64; N] {
        &self.k[12]
    }

    /// The step's 7th-order dense output. `f` must be the right-hand side the step was computed with.
    pub fn dense<F: Fn(&[f64; N]) -> [f64; N]>(&self, f: &F) -> Segment<N> {
        let h = self.h_s;
        let (y, y_new) = (&self.y0, &self.y1);
        let mut k = [[0.0; N]; 16];
        k[..13].copy_from_slice(&self.k);
        k[13] = f(&combo::<13, N>(y, h, &k, &A[13]));
        k[14] = f(&combo::<14, N>(y, h, &k, &A[14]));
        k[15] = f(&combo::<15, N>(y, h, &k, &A[15]));
        let mut coeffs = [[0.0; N]; 7];
        for c in 0..N {
            let dy = y_new[c] - y[c];
            let bspl = h * k[0][c] - dy;
            coeffs[0][c] = dy;
            coeffs[1][c] = bspl;
            coeffs[2][c] = dy - h * k[12][c] - bspl;
        }
        for (i, drow) in D.iter().enumerate() {
            let mut acc = [0.0; N];
            for j in 0..16 {
                for c in 0..N {
                    acc[c] += drow[j] * k[j][c];
                }
            }
            for c in 0..N {
                coeffs[3 + i][c] = h * acc[c];
            }
        }
        Segment {
            t0_s: self.t0_s,
            h_s: h,
            y0: *y,
            coeffs,
        }
    }
}

/// y + h Σ_{j<M} w_j k_j. `M` is a constant so that the loops unroll and the weights (constants of the
/// tableau) fold into the code.
#[inline(always)]
fn combo<const M: usize, const N: usize>(y: &[f64; N], h: f64, k: &[[f64; N]; 16], w: &[f64]) -> [f64; N] {
    let mut acc = [0.0; N];
    for j in 0..M {
        let wj = w[j];
        for c in 0..N {
            acc[c] += wj * k[j][c];
        }
    }
    let mut out = *y;
    for c in 0..N {
        out[c] += h * acc[c];
    }
    out
}

/// Integrates the ballistic system y' = f(y) (position, velocity) from `y0` at t = 0, calling `on_step`
/// with each accepted [`Step`] until it returns `false` (stop) or `t_end_s` is reached. Returns the number
/// of accepted steps. Errors are weighted by `atol + rtol · |·|` with |·| the length of the position or
/// velocity vector ([`crate::ode`]).
pub fn integrate<F, S>(
    f: F,
    y0: State,
    t_end_s: f64,
    tol: &Tolerances,
    on_step: S,
) -> Result<usize, IntegrationError>
where
    F: Fn(&State) -> State,
    S: FnMut(&Step) -> bool,
{
    let scale = |y: &State| -> State {
        let (p, v) = magnitudes(y);
        let sp = tol.atol_pos_m + tol.rtol * p;
        let sv = tol.atol_vel_mps + tol.rtol * v;
        [sp, sp, sp, sv, sv, sv]
    };
    integrate_system(f, y0, t_end_s, tol, scale, on_step)
}

/// Integrates y' = f(y) of `N` components from `y0` at t = 0, calling `on_step` with each accepted
/// [`Step`] until it returns `false` (stop) or `t_end_s` is reached. Returns the number of accepted steps.
///
/// `scale` gives each component's error weight at a state (> 0, e.g. `atol + rtol · |y_c|`); a step's
/// error is measured with the larger of the weights at its two ends, in the RMS norm. Only
/// [`Tolerances::max_step_s`] and [`Tolerances::max_steps`] of `tol` are read here (and `rtol` for the
/// starting step); the weights are `scale`'s.
pub fn integrate_system<const N: usize, F, W, S>(
    f: F,
    y0: [f64; N],
    t_end_s: f64,
    tol: &Tolerances,
    scale: W,
    mut on_step: S,
) -> Result<usize, IntegrationError>
where
    F: Fn(&[f64; N]) -> [f64; N],
    W: Fn(&[f64; N]) -> [f64; N],
    S: FnMut(&Step<N>) -> bool,
{
    let mut t = 0.0f64;
    let mut y = y0;
    let mut k = [[0.0; N]; 16];
    k[0] = f(&y);
    let mut h = initial_step(&f, &y, &k[0], &scale(&y))
        .min(tol.max_step_s)
        .min(t_end_s);
    let mut accepted = 0usize;
    let mut steps = 0usize;
    let mut last_rejected = false;
    loop {
        if t >= t_end_s {
            return Ok(accepted);
        }
        steps += 1;
        if steps > tol.max_steps {
            return Err(IntegrationError::TooManySteps { t_s: t });
        }
        if h.is_nan() || h <= 1e-12 * t.abs().max(1.0) {
            return Err(IntegrationError::StepUnderflow { t_s: t });
        }
        let h_step = h.min(t_end_s - t);
        k[1] = f(&combo::<1, N>(&y, h_step, &k, &A[1]));
        k[2] = f(&combo::<2, N>(&y, h_step, &k, &A[2]));
        k[3] = f(&combo::<3, N>(&y, h_step, &k, &A[3]));
        k[4] = f(&combo::<4, N>(&y, h_step, &k, &A[4]));
        k[5] = f(&combo::<5, N>(&y, h_step, &k, &A[5]));
        k[6] = f(&combo::<6, N>(&y, h_step, &k, &A[6]));
        k[7] = f(&combo::<7, N>(&y, h_step, &k, &A[7]));
        k[8] = f(&combo::<8, N>(&y, h_step, &k, &A[8]));
        k[9] = f(&combo::<9, N>(&y, h_step, &k, &A[9]));
        k[10] = f(&combo::<10, N>(&y, h_step, &k, &A[10]));
        k[11] = f(&combo::<11, N>(&y, h_step, &k, &A[11]));
        let y_new = combo::<12, N>(&y, h_step, &k, &B);
        k[12] = f(&y_new);
        if !y_new.iter().all(|v| v.is_finite()) {
            return Err(IntegrationError::StepUnderflow { t_s: t });
        }
        let (sa, sb) = (scale(&y), scale(&y_new));
        let (mut s5, mut s3) = ([0.0; N], [0.0; N]);
        for j in 0..13 {
            for c in 0..N {
                s5[c] += E5[j] * k[j][c];
                s3[c] += E3[j] * k[j][c];
            }
        }
        let (mut e5, mut e3) = (0.0, 0.0);
        for c in 0..N {
            let sc = sa[c].max(sb[c]);
            e5 += (s5[c] / sc).powi(2);
            e3 += (s3[c] / sc).powi(2);
        }
        let err = if e5 == 0.0 && e3 == 0.0 {
            0.0
        } else {
            h_step.abs() * e5 / ((e5 + 0.01 * e3) * N as f64).sqrt()
        };
        if err <= 1.0 {
            let mut stages = [[0.0; N]; 13];
            stages.copy_from_slice(&k[..13]);
            let step = Step {
                t0_s: t,
                h_s: h_step,
                y0: y,
                y1: y_new,
                k: stages,
            };
            accepted += 1;
            t += h_step;
            y = y_new;
            k[0] = k[12];
            let go_on = on_step(&step);
            if !go_on {
                return Ok(accepted);
            }
            let mut factor = if err == 0.0 { 10.0 } else { 0.9 / eighth_root(err) };
            factor = factor.clamp(0.2, 10.0);
            if last_rejected {
                factor = factor.min(1.0);
            }
            last_rejected = false;
            h = (h_step * factor).min(tol.max_step_s);
        } else {
            let factor = (0.9 / eighth_root(err)).max(0.2);
            h = h_step * factor;
            last_rejected = true;
        }
    }
}

/// x^(1/8) for x > 0 (three square roots: cheaper than `powf`).
#[inline]
fn eighth_root(x: f64) -> f64 {
    x.sqrt().sqrt().sqrt()
}

/// The lengths of the position and velocity parts of a state.
#[inline]
fn magnitudes(y: &State) -> (f64, f64) {
    (
        (y[0] * y[0] + y[1] * y[1] + y[2] * y[2]).sqrt(),
        (y[3] * y[3] + y[4] * y[4] + y[5] * y[5]).sqrt(),
    )
}

/// Hairer's starting-step heuristic (HNW I, §II.4); `w` are the error weights at `y0`.
fn initial_step<const N: usize, F: Fn(&[f64; N]) -> [f64; N]>(
    f: &F,
    y0: &[f64; N],
    f0: &[f64; N],
    w: &[f64; N],
) -> f64 {
    let norm = |v: &[f64; N]| -> f64 {
        (v.iter().zip(w).map(|(x, wc)| (x / wc).powi(2)).sum::<f64>() / N as f64).sqrt()
    };
    let d0 = norm(y0);
    let d1 = norm(f0);
    let h0 = if d0 < 1e-5 || d1 < 1e-5 {
        1e-6
    } else {
        0.01 * d0 / d1
    };
    let mut y1 = *y0;
    for c in 0..N {
        y1[c] += h0 * f0[c];
    }
    let f1 = f(&y1);
    let mut diff = [0.0; N];
    for c in 0..N {
        diff[c] = f1[c] - f0[c];
    }
    let d2 = norm(&diff) / h0;
    // The local error of an order-8 method is ~ |y| (h/τ)⁹ for a solution that changes on the time scale
    // τ ≈ |f| / |f'| (measured here over the Euler step): in tolerance units, d0 (h/τ)⁹ ≤ 1. (Hairer's
    // (0.01 / max(d1, d2))^(1/8) takes τ as one unit of time, which for an orbit — τ of minutes, tight
    // tolerances — starts steps a thousand times too short and spends several steps growing them.)
    let h1 = if d1 <= 1e-15 && d2 <= 1e-15 {
        (h0 * 1e-3).max(1e-6)
    } else if d2 <= 1e-15 {
        100.0 * h0
    } else {
        0.5 * (d1 / d2) * d0.max(1.0).powf(-1.0 / 9.0)
    };
    (100.0 * h0).min(h1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The harmonic oscillator x'' = −x: the integrator and its dense output must follow cos/sin.
    #[test]
    fn harmonic_oscillator_and_dense_output() {
        let f = |y: &State| [y[3], y[4], y[5], -y[0], -y[1], -y[2]];
        let tol = Tolerances {
            rtol: 1e-12,
            atol_pos_m: 1e-12,
            atol_vel_mps: 1e-12,
            max_step_s: 10.0,
            max_steps: 10_000,
        };
        let mut worst: f64 = 0.0;
        let n = integrate(f, [1.0, 0.0, 0.0, 0.0, 1.0, 0.0], 20.0, &tol, |step| {
            let seg = step.dense(&f);
            let end = seg.eval(step.t1_s());
            assert!((0..6).all(|c| (end[c] - step.y1[c]).abs() < 1e-14), "{end:?}");
            assert_eq!(step.f1(), &f(&step.y1));
            for i in 0..=10 {
                let t = seg.t0_s + seg.h_s * i as f64 / 10.0;
                let y = seg.eval(t);
                worst = worst.max((y[0] - t.cos()).abs()).max((y[1] - t.sin()).abs());
                worst = worst.max((y[3] + t.sin()).abs());
            }
            true
        })
        .unwrap();
        assert!(n > 5 && n < 200, "{n} steps");
        assert!(worst < 1e-10, "dense output error {worst}");
    }
}
