//! The error type of the flight crate.

/// Why a flight computation refused its input or found no answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An input was NaN, infinite or outside its allowed range.
    #[error("{name} = {value} is invalid: {expected}")]
    InvalidInput {
        /// The name of the offending input.
        name: &'static str,
        /// The value given.
        value: f64,
        /// What was expected, for the message.
        expected: &'static str,
    },
    /// A gravity model name other than `point` or `j2`.
    #[error("unknown gravity \"{name}\": expected \"point\" or \"j2\"")]
    UnknownGravity {
        /// The name given.
        name: String,
    },
    /// The state has non-negative orbital energy: it escapes and never comes back.
    #[error("escape trajectory (specific orbital energy {energy_j_per_kg:.6e} J/kg ≥ 0): it never impacts")]
    Escape {
        /// Specific orbital energy v²/2 − μ/r, J/kg.
        energy_j_per_kg: f64,
    },
    /// The state is in orbit: its perigee lies above the surface.
    #[error("orbital state (perigee radius {perigee_radius_m:.1} m is above the surface): it never impacts")]
    Orbital {
        /// Perigee radius of the osculating orbit, metres from the Earth's centre.
        perigee_radius_m: f64,
    },
    /// No impact was found within the searched time.
    #[error("no impact within {searched_s:.1} s of burnout (orbital state?)")]
    NoImpact {
        /// Time searched, seconds after burnout.
        searched_s: f64,
    },
    /// The burnout point is on or below the surface and not climbing.
    #[error("burnout state is at or below the surface (height {alt_m} m) and not climbing")]
    StartsUnderground {
        /// Height of the burnout point, metres.
        alt_m: f64,
    },
    /// The integrator gave up (step limit or step-size underflow).
    #[error("integration failed at t = {t_s:.3} s after burnout: {reason}")]
    Integration {
        /// Time reached, seconds after burnout.
        t_s: f64,
        /// What went wrong.
        reason: &'static str,
    },
    /// Lambert's problem has no solution for these inputs.
    #[error("Lambert problem: {reason}")]
    Lambert {
        /// Why no solution exists.
        reason: String,
    },
    /// Targeting found no trajectory meeting the request.
    #[error("targeting: {reason}")]
    Targeting {
        /// Why no trajectory was found.
        reason: String,
    },
    /// A rocket vehicle's description is inconsistent.
    #[error("vehicle: {reason}")]
    Vehicle {
        /// What is wrong with it.
        reason: String,
    },
    /// A powered flight cannot be flown (too little thrust to lift off, or it strikes the ground).
    #[error("powered flight: {reason}")]
    Powered {
        /// What happened.
        reason: String,
    },
    /// The integrator of a powered flight gave up (step limit or step-size underflow).
    #[error("powered-flight integration failed {t_s:.3} s after liftoff: {reason}")]
    PoweredIntegration {
        /// Time reached, seconds after liftoff.
        t_s: f64,
        /// What went wrong.
        reason: &'static str,
    },
}

impl Error {
    /// Whether this error says that a trajectory never comes down (escape, orbit, no impact found in the
    /// searched time) — an answer about the state, not a failure.
    pub fn is_no_impact(&self) -> bool {
        matches!(
            self,
            Error::Escape { .. } | Error::Orbital { .. } | Error::NoImpact { .. }
        )
    }
}

/// Keeps the first error met inside a root finder's function, which sees NaN instead; the caller returns
/// it once the finder is done.
#[derive(Debug, Default)]
pub(crate) struct FirstError(std::cell::RefCell<Option<Error>>);

impl FirstError {
    /// The value of `r`, or NaN after keeping its error.
    pub(crate) fn value(&self, r: Result<f64, Error>) -> f64 {
        match r {
            Ok(v) => v,
            Err(e) => {
                self.0.borrow_mut().get_or_insert(e);
                f64::NAN
            }
        }
    }

    /// The error kept, if any.
    pub(crate) fn check(self) -> Result<(), Error> {
        match self.0.into_inner() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// Checks that `value` is finite.
pub(crate) fn finite(name: &'static str, value: f64) -> Result<f64, Error> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(Error::InvalidInput {
            name,
            value,
            expected: "a finite number",
        })
    }
}

/// Checks that `value` is finite and within [lo, hi].
pub(crate) fn in_range(
    name: &'static str,
    value: f64,
    lo: f64,
    hi: f64,
    expected: &'static str,
) -> Result<f64, Error> {
    finite(name, value)?;
    if value < lo || value > hi {
        return Err(Error::InvalidInput {
            name,
            value,
            expected,
        });
    }
    Ok(value)
}
