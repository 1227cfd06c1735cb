//! WGS84 geodesy for shieldwatch.
//!
//! # Brief overview
//! - [`ellipsoid`]: the WGS84 constants, [`Geodetic`] positions, exact geodetic ⇄ ECEF conversion.
//! - [`local`]: east-north-up frames ([`Enu`]), look angles ([`look_angle`]) and the radar-horizon
//!   question ([`min_visible_alt`]).
//! - [`geodesic`]: Karney's inverse and direct geodesic problems ([`inverse`], [`direct`]).
//! - [`rotation`]: the rotating Earth, Earth-fixed ⇄ inertial at time t (frames coincide at t = 0).
//! - [`Vec3`]: the small Cartesian vector every frame uses.
//!
//! Units are SI (metres, seconds) and degrees for angles unless a name says `_rad`. Frames are named in
//! each function: ECEF (Earth-centred, Earth-fixed, WGS84), inertial (Earth-centred, Z = spin axis) or ENU.
//!
//! **Architecture invariant:** this crate does no IO and knows nothing of flight, radars or the log.
//!
//! # Example
//! ```
//! use geodesy::{Geodetic, ecef_to_geodetic, inverse, look_angle};
//!
//! // Radar at Brdy (Czech Republic) looking at points 1000 km and 1200 km above Tehran: the first is
//! // still below its horizon, the second above.
//! let radar = Geodetic::try_new(49.635, 13.748, 700.0)?;
//! assert!(look_angle(radar, Geodetic::try_new(35.69, 51.39, 1_000_000.0)?).elevation_deg < 0.0);
//! let target = Geodetic::try_new(35.69, 51.39, 1_200_000.0)?;
//! assert!(look_angle(radar, target).elevation_deg > 0.0);
//!
//! // Geodesic distance Brdy → Tehran, about 3400 km.
//! let g = inverse(49.635, 13.748, 35.69, 51.39)?;
//! assert!((g.distance_m / 1e3 - 3_400.0).abs() < 100.0);
//!
//! // Round trip through ECEF.
//! let back = ecef_to_geodetic(target.to_ecef());
//! assert!((back.h_m - 1_200_000.0).abs() < 1e-6);
//! # Ok::<(), geodesy::Error>(())
//! ```

pub mod ellipsoid;
mod error;
pub mod geodesic;
pub mod local;
pub mod rotation;
pub mod vec3;

pub use ellipsoid::{
    Geodetic, WGS84_A_M, WGS84_B_M, WGS84_E2, WGS84_F, ecef_to_geodetic, geodetic_to_ecef, sincos_deg,
    wrap_180_deg, wrap_360_deg,
};
pub use error::Error;
pub use geodesic::{Direct, Inverse, direct, inverse};
pub use local::{
    Enu, LookAngle, earth_blocks, earth_blocks_within, look_angle, look_angle_ecef, min_visible_alt,
};
pub use rotation::{
    EARTH_ANGULAR_VELOCITY, EARTH_ROTATION_RAD_PER_S, ecef_to_inertial_position, ecef_to_inertial_state,
    inertial_to_ecef_position, inertial_to_ecef_state,
};
pub use vec3::Vec3;
