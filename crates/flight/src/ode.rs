//! What the two integrators ([`crate::rkn12`], [`crate::dop853`]) share: their error-control settings and
//! why they stop early.
//!
//! Both measure a step's error in the RMS norm of the six components (three of position, three of
//! velocity), each weighted by `atol + rtol · |·|`, where |·| is the length of the position or velocity
//! vector (largest of the step's two ends) — a norm that does not depend on the orientation of the axes.

/// Which integrator propagates a numerical trajectory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Integrator {
    /// The Runge–Kutta–Nyström 12(10) pair of Dormand, El-Mikkawy and Prince ([`crate::rkn12`]): made for
    /// r'' = a(r), which ballistic flight in the inertial frame is (gravity depends on position only).
    #[default]
    Rkn12,
    /// Dormand–Prince 8(5,3) with 7th-order dense output ([`crate::dop853`]), for y' = f(y): the
    /// cross-check of the first.
    Dop853,
}

/// Error-control settings of an integrator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerances {
    /// Relative tolerance (per step).
    pub rtol: f64,
    /// Absolute tolerance on position components, metres.
    pub atol_pos_m: f64,
    /// Absolute tolerance on velocity components, m/s.
    pub atol_vel_mps: f64,
    /// Largest step, seconds.
    pub max_step_s: f64,
    /// Largest number of steps (accepted and rejected) before giving up.
    pub max_steps: usize,
}

impl Tolerances {
    /// The defaults of `integrator`: tight enough for impact points within 0.1 mm of a reference made at
    /// much tighter tolerances, on short-range to ICBM-class flights (`tests/reference.rs`,
    /// `examples/fly_cases.rs`).
    ///
    /// RKN12 propagates its 12th-order solution and controls the error of its 10th-order one, which
    /// overestimates the error it makes by orders of magnitude: its `rtol` is looser for the same
    /// accuracy. Its steps may last up to 600 s: the geodetic height of a ballistic arc turns over (rises
    /// to a maximum, or falls to a minimum) at most once in that time, which event bracketing relies on
    /// (`trajectory`). DOP853's steps are capped at 120 s.
    pub fn for_integrator(integrator: Integrator) -> Self {
        match integrator {
            Integrator::Rkn12 => Tolerances {
                rtol: 1e-10,
                atol_pos_m: 1e-6,
                atol_vel_mps: 1e-9,
                max_step_s: 600.0,
                max_steps: 200_000,
            },
            Integrator::Dop853 => Tolerances {
                rtol: 1e-12,
                atol_pos_m: 1e-6,
                atol_vel_mps: 1e-9,
                max_step_s: 120.0,
                max_steps: 200_000,
            },
        }
    }
}

impl Default for Tolerances {
    /// The defaults of the default integrator, [`Integrator::Rkn12`].
    fn default() -> Self {
        Tolerances::for_integrator(Integrator::default())
    }
}

/// Why an integrator stopped early.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum IntegrationError {
    /// More steps than [`Tolerances::max_steps`].
    TooManySteps {
        /// Time reached, seconds.
        t_s: f64,
    },
    /// The step size fell below the resolution of the time variable, or the state became non-finite.
    StepUnderflow {
        /// Time reached, seconds.
        t_s: f64,
    },
}
