//! The physical model: gravity, the figure of the Earth and its rotation (`shared/DESIGN.md` §3).
//!
//! [`EarthModel::contract`] is the fixed contract: μ, J2 and its reference radius, WGS84 ellipsoid, Earth
//! rotation about inertial +Z with the Earth-fixed and inertial frames coinciding at t = 0 (burnout).
//! Tests may use other models (a non-rotating sphere, say) to check textbook facts.

use geodesy::{Geodetic, Vec3, WGS84_A_M, WGS84_B_M, sincos_deg};

use crate::Error;

/// Gravitational parameter of the Earth μ, m³/s² (WGS84 / EGM96 value, fixed by `shared/DESIGN.md` §3).
pub const MU_M3PS2: f64 = 3.986_004_418e14;
/// Second zonal harmonic J2 (C20 = −J2, unnormalised), dimensionless (`shared/DESIGN.md` §3).
pub const J2: f64 = 1.082_626_68e-3;
/// Reference radius of the J2 term, metres (the WGS84 semi-major axis).
pub const J2_RADIUS_M: f64 = 6_378_137.0;
/// Earth rotation rate about inertial +Z, rad/s (re-exported from `geodesy`).
pub use geodesy::EARTH_ROTATION_RAD_PER_S;

/// Which gravity field accelerates the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Gravity {
    /// Central point mass: a = −μ r / |r|³.
    Point,
    /// Point mass plus the standard J2 zonal term (no other harmonics).
    J2,
}

impl Gravity {
    /// The contract spelling: `"point"` or `"j2"`.
    pub fn name(self) -> &'static str {
        match self {
            Gravity::Point => "point",
            Gravity::J2 => "j2",
        }
    }
}

impl std::str::FromStr for Gravity {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "point" => Ok(Gravity::Point),
            "j2" => Ok(Gravity::J2),
            other => Err(Error::UnknownGravity {
                name: other.to_string(),
            }),
        }
    }
}

impl std::fmt::Display for Gravity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The figure on which heights, impact and apogee are measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Figure {
    /// The WGS84 ellipsoid: heights are geodetic (along the ellipsoid normal).
    Wgs84,
    /// A sphere of the given radius (metres): latitudes are geocentric, heights radial. For tests.
    Sphere {
        /// Radius, metres.
        radius_m: f64,
    },
}

/// Gravity constants, figure and rotation of the Earth.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EarthModel {
    /// Gravitational parameter μ, m³/s².
    pub mu_m3ps2: f64,
    /// J2 coefficient (used with [`Gravity::J2`]).
    pub j2: f64,
    /// Reference radius of the J2 term, metres.
    pub j2_radius_m: f64,
    /// Rotation rate of the Earth-fixed frame about inertial +Z, rad/s.
    pub omega_rad_per_s: f64,
    /// The figure on which heights are measured.
    pub figure: Figure,
}

impl Default for EarthModel {
    fn default() -> Self {
        Self::contract()
    }
}

impl EarthModel {
    /// The model of `shared/DESIGN.md` §3 (used by `shieldwatch fly`).
    pub const fn contract() -> Self {
        EarthModel {
            mu_m3ps2: MU_M3PS2,
            j2: J2,
            j2_radius_m: J2_RADIUS_M,
            omega_rad_per_s: EARTH_ROTATION_RAD_PER_S,
            figure: Figure::Wgs84,
        }
    }

    /// A non-rotating spherical Earth of radius `radius_m` with the contract μ, for textbook checks.
    pub const fn non_rotating_sphere(radius_m: f64) -> Self {
        EarthModel {
            mu_m3ps2: MU_M3PS2,
            j2: J2,
            j2_radius_m: J2_RADIUS_M,
            omega_rad_per_s: 0.0,
            figure: Figure::Sphere { radius_m },
        }
    }

    /// Gravitational acceleration (m/s²) at the inertial (or Earth-fixed: the field is symmetric about Z)
    /// position `r_m`.
    #[inline]
    pub fn acceleration(&self, gravity: Gravity, r_m: Vec3) -> Vec3 {
        let r2 = r_m.norm_squared();
        let r = r2.sqrt();
        let k = -self.mu_m3ps2 / (r2 * r);
        match gravity {
            Gravity::Point => r_m * k,
            Gravity::J2 => {
                // a = −μ r/r³ − (3/2) J2 μ Re² / r⁵ [x (1 − 5z²/r²), y (1 − 5z²/r²), z (3 − 5z²/r²)].
                let q = 1.5 * self.j2 * self.j2_radius_m * self.j2_radius_m / r2;
                let z2 = 5.0 * r_m.z * r_m.z / r2;
                let kxy = k * (1.0 + q * (1.0 - z2));
                let kz = k * (1.0 + q * (3.0 - z2));
                Vec3::new(r_m.x * kxy, r_m.y * kxy, r_m.z * kz)
            }
        }
    }

    /// Rotation angle of the Earth-fixed frame at `t_s` seconds after burnout, radians.
    #[inline]
    pub fn earth_angle_rad(&self, t_s: f64) -> f64 {
        self.omega_rad_per_s * t_s
    }

    /// Inertial position (m) at `t_s` → Earth-fixed position (m): a rotation about Z by −ωt.
    #[inline]
    pub fn inertial_to_ecef(&self, r_inertial_m: Vec3, t_s: f64) -> Vec3 {
        geodesy::rotation::rotate_z(r_inertial_m, -self.earth_angle_rad(t_s))
    }

    /// Earth-fixed position (m) at `t_s` → inertial position (m).
    #[inline]
    pub fn ecef_to_inertial(&self, r_ecef_m: Vec3, t_s: f64) -> Vec3 {
        geodesy::rotation::rotate_z(r_ecef_m, self.earth_angle_rad(t_s))
    }

    /// Inertial state at `t_s` → Earth-fixed position (m) and Earth-relative velocity (m/s).
    #[inline]
    pub fn inertial_to_ecef_state(&self, r_inertial_m: Vec3, v_inertial_mps: Vec3, t_s: f64) -> (Vec3, Vec3) {
        let a = -self.earth_angle_rad(t_s);
        let r_e = geodesy::rotation::rotate_z(r_inertial_m, a);
        let v_e = geodesy::rotation::rotate_z(v_inertial_mps, a) - self.omega().cross(r_e);
        (r_e, v_e)
    }

    /// The angular velocity vector ω (rad/s) on the common Z axis.
    #[inline]
    pub fn omega(&self) -> Vec3 {
        Vec3::new(0.0, 0.0, self.omega_rad_per_s)
    }

    /// Earth-fixed position (m) → latitude, longitude (degrees, longitude in [−180, 180)) and height (m)
    /// on this model's figure.
    #[inline]
    pub fn to_geodetic(&self, r_ecef_m: Vec3) -> Geodetic {
        match self.figure {
            Figure::Wgs84 => geodesy::ecef_to_geodetic(r_ecef_m),
            Figure::Sphere { radius_m } => {
                let rxy = r_ecef_m.x.hypot(r_ecef_m.y);
                Geodetic {
                    lat_deg: r_ecef_m.z.atan2(rxy).to_degrees(),
                    lon_deg: geodesy::wrap_180_deg(r_ecef_m.y.atan2(r_ecef_m.x).to_degrees()),
                    h_m: r_ecef_m.norm() - radius_m,
                }
            }
        }
    }

    /// Latitude, longitude (degrees) and height (m) on this model's figure → Earth-fixed position (m).
    pub fn to_ecef(&self, p: Geodetic) -> Vec3 {
        match self.figure {
            Figure::Wgs84 => p.to_ecef(),
            Figure::Sphere { radius_m } => p.up() * (radius_m + p.h_m),
        }
    }

    /// Unit vectors east, north and up (the figure's outward normal) at `p`, Earth-fixed components.
    pub fn enu_axes(&self, p: Geodetic) -> (Vec3, Vec3, Vec3) {
        let (sphi, cphi) = sincos_deg(p.lat_deg);
        let (slam, clam) = sincos_deg(p.lon_deg);
        (
            Vec3::new(-slam, clam, 0.0),
            Vec3::new(-sphi * clam, -sphi * slam, cphi),
            Vec3::new(cphi * clam, cphi * slam, sphi),
        )
    }

    /// Largest distance of the figure's surface from the centre (equatorial radius), metres.
    pub fn max_surface_radius_m(&self) -> f64 {
        match self.figure {
            Figure::Wgs84 => WGS84_A_M,
            Figure::Sphere { radius_m } => radius_m,
        }
    }

    /// Smallest distance of the figure's surface from the centre (polar radius), metres.
    pub fn min_surface_radius_m(&self) -> f64 {
        match self.figure {
            Figure::Wgs84 => WGS84_B_M,
            Figure::Sphere { radius_m } => radius_m,
        }
    }

    /// Height above the figure (m) and its rate of change (m/s) for an inertial state at `t_s`.
    ///
    /// The rate is the Earth-relative velocity along the figure's normal at the sub-point, which is the
    /// exact time derivative of the geodetic height.
    #[inline]
    pub(crate) fn height_and_rate(&self, r_inertial_m: Vec3, v_inertial_mps: Vec3, t_s: f64) -> (f64, f64) {
        let (r_e, v_e) = self.inertial_to_ecef_state(r_inertial_m, v_inertial_mps, t_s);
        let g = self.to_geodetic(r_e);
        let (_, _, up) = self.enu_axes(g);
        (g.h_m, up.dot(v_e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn j2_pulls_harder_at_the_equator() {
        let m = EarthModel::contract();
        let r = Vec3::new(7.0e6, 0.0, 0.0);
        let p = m.acceleration(Gravity::Point, r).norm();
        let j = m.acceleration(Gravity::J2, r).norm();
        // At the equator the J2 term adds (3/2) J2 (Re/r)² of the point-mass pull.
        let expect = 1.5 * J2 * (J2_RADIUS_M / 7.0e6f64).powi(2);
        assert!(((j - p) / p - expect).abs() < 1e-12);
    }

    #[test]
    fn gravity_names_round_trip() {
        assert_eq!("j2".parse::<Gravity>().unwrap(), Gravity::J2);
        assert_eq!("point".parse::<Gravity>().unwrap(), Gravity::Point);
        assert!("J2x".parse::<Gravity>().is_err());
    }
}
