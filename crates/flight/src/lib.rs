//! Flight for shieldwatch: powered flight to burnout, burnout states, ballistic propagation, events, Kepler,
//! Lambert, targeting.
//!
//! # Brief overview
//! - [`model`]: the physical contract of `shared/DESIGN.md` §3 ([`EarthModel::contract`]: μ, J2, WGS84,
//!   Earth rotation) and the gravity choice [`Gravity`].
//! - [`BurnoutState`]: geodetic position, Earth-relative speed, azimuth and flight-path angle at burnout;
//!   [`BurnoutState::to_inertial`] adds ω × r.
//! - [`propagate`] → [`Trajectory`]: burnout to impact under point or J2 gravity, integrated by an adaptive
//!   Runge–Kutta–Nyström 12(10) method ([`rkn12`], the default) or Dormand–Prince 8(5,3) with dense output
//!   ([`dop853`], the cross-check; [`Integrator`] chooses, [`ode`] holds their shared tolerances), or in
//!   closed form for point gravity ([`conic`]: the Keplerian conic's impact and apogee located on it
//!   directly, in the universal variable of [`kepler`]). Impact and apogee are bracketed step by step and located by
//!   Newton's method on the path, [`Trajectory::altitude_crossings`] by Brent's method;
//!   [`Trajectory::summary`] is the `shieldwatch fly` answer.
//! - [`lambert()`]: Lambert's problem by Izzo's method, multi-revolution, prograde or retrograde.
//! - [`target`]: the burnout state that carries a warhead from a launch site to a target on the
//!   rotating Earth, for a minimum-energy, lofted or depressed trajectory.
//! - [`fly_boost`]: powered flight of a staged rocket ([`Vehicle`], [`vehicle`]) from liftoff to burnout
//!   with a vertical rise, pitch-over kick and gravity turn ([`Programme`]), drag in the U.S. Standard
//!   Atmosphere 1976 ([`atmosphere`]); its [`Boost::burnout`] is a [`BurnoutState`] for [`propagate`].
//! - [`flyout::steer_to`]: the pitch programme that flies a rocket through a given point (shooting);
//!   [`aim::aim_at`]: the one that lands it on a target, minimum-energy, lofted or depressed.
//!
//! Units are SI and degrees; names carry units and frames (`r_inertial_m`, `t_since_burnout_s`). The
//! inertial frame is Earth-centred with Z on the spin axis and coincides with the Earth-fixed frame at
//! burnout (t = 0).
//!
//! **Architecture invariant:** this crate depends on `geodesy` only, does no IO and knows nothing of radars,
//! batteries or the log (a [`Vehicle`] is any rocket, threat or interceptor). No flat-Earth formula is used anywhere.
//!
//! # Example
//! ```
//! use flight::{BurnoutState, Gravity, propagate};
//!
//! // A missile burning out 150 km above Semnan (Iran), heading north-west at 5 km/s, 35° above the horizon.
//! let burnout = BurnoutState::try_new(35.23, 53.92, 150e3, 5_000.0, 300.0, 35.0)?;
//! let trajectory = propagate(&burnout, Gravity::J2)?;
//! let s = trajectory.summary();
//! assert!(s.ground_range_m > 2_000e3 && s.ground_range_m < 4_000e3);
//! assert!(s.apogee_alt_m > 150e3 && s.apogee_time_s < s.time_of_flight_s);
//! // When does it climb through 500 km, and come back down?
//! let crossings = trajectory.altitude_crossings(500e3);
//! assert!(crossings.len() == 2 && crossings[0].ascending && !crossings[1].ascending);
//! # Ok::<(), flight::Error>(())
//! ```

pub mod aim;
pub mod atmosphere;
pub mod conic;
pub mod dop853;
mod dop853_tableau;
mod error;
pub mod flyout;
pub mod kepler;
pub mod lambert;
pub mod model;
pub mod ode;
pub mod powered;
pub mod rkn12;
mod rkn12_tableau;
pub mod roots;
mod state;
pub mod targeting;
#[doc(hidden)]
pub mod test_rockets;
pub mod trajectory;
pub mod vehicle;

pub use error::Error;
pub use lambert::{Lambert, LambertSolution, lambert};
pub use model::{EarthModel, Figure, Gravity, J2, J2_RADIUS_M, MU_M3PS2};
pub use ode::{Integrator, Tolerances};
pub use powered::{Boost, Losses, PoweredOptions, Programme, fly_boost, size_for_burnout_speed};
pub use state::{BurnoutState, InertialState, MIN_BURNOUT_ALT_M};
pub use targeting::{Shape, Solution, target, target_with};
pub use trajectory::{
    Crossing, Event, FlightSummary, Method, Options, TrackPoint, Trajectory, propagate, propagate_inertial,
    propagate_with,
};
pub use vehicle::{DragTable, Stage, Vehicle};

/// Helpers shared by the unit tests.
#[cfg(test)]
pub(crate) mod test_util {
    /// A xorshift64 generator of uniform numbers in [0, 1), seeded: reproducible random test cases.
    pub(crate) fn uniform(mut seed: u64) -> impl FnMut() -> f64 {
        move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 11) as f64 / (1u64 << 53) as f64
        }
    }
}
