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

/// Bound (rad) on the angle between the ellipsoid normal through a point and the gradient of the
/// ellipsoid's implicit function there (see [`EarthModel::height_sign_and_rate_proxy`]).
const PROXY_ANGLE_RAD: f64 = 0.01;

/// The cube root of `x` ≥ 1. Heikkinen's formula takes the cube root of numbers within a few per cent
/// of 1 for every point outside ~50 km of the Earth's centre, where two Newton steps from the cubic
/// Taylor polynomial reach it to an ulp or two (tested); anything else goes to the library function.
#[inline]
fn cbrt_from_one(x: f64) -> f64 {
    if !(1.0..=1.1).contains(&x) {
        return x.cbrt();
    }
    // 1 + d/3 − d²/9 + 5d³/81 is within 10d⁴/243 ≤ 4.2e−6 of (1 + d)^(1/3) for d ≤ 0.1; each Newton
    // step squares the relative error: 4e−6 → 2e−11 → below an ulp.
    let d = x - 1.0;
    let mut y = 1.0 + d * (1.0 / 3.0 + d * (-1.0 / 9.0 + d * (5.0 / 81.0)));
    for _ in 0..2 {
        y -= (y * y * y - x) / (3.0 * y * y);
    }
    y
}

/// The longitude (degrees in [−180, 180)) of an Earth-fixed point; 0 on the spin axis, as in
/// [`EarthModel::to_geodetic`].
#[inline]
pub(crate) fn longitude_deg(r_ecef_m: Vec3) -> f64 {
    if r_ecef_m.x == 0.0 && r_ecef_m.y == 0.0 {
        0.0
    } else {
        geodesy::wrap_180_deg(r_ecef_m.y.atan2(r_ecef_m.x).to_degrees())
    }
}

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
        // One division and one square root (the divider is the bottleneck of a force evaluation).
        let inv_r2 = 1.0 / r_m.norm_squared();
        let inv_r = inv_r2.sqrt();
        let k = -self.mu_m3ps2 * inv_r2 * inv_r;
        match gravity {
            Gravity::Point => r_m * k,
            Gravity::J2 => {
                // a = −μ r/r³ − (3/2) J2 μ Re² / r⁵ [x (1 − 5z²/r²), y (1 − 5z²/r²), z (3 − 5z²/r²)].
                let q = 1.5 * self.j2 * self.j2_radius_m * self.j2_radius_m * inv_r2;
                let z2 = 5.0 * r_m.z * r_m.z * inv_r2;
                let kxy = k * (1.0 + q * (1.0 - z2));
                let kz = k * (1.0 + q * (3.0 - z2));
                Vec3::new(r_m.x * kxy, r_m.y * kxy, r_m.z * kz)
            }
        }
    }

    /// The jerk (m/s³) and snap (m/s⁴) of a free-flight path through inertial position `r_m` with velocity
    /// `v_mps` and acceleration `a_mps2` (= the acceleration at `r_m`): the first and second time
    /// derivatives of the acceleration along r(t) = r + v t + a t²/2 + …, exact (to rounding), by
    /// evaluating the force on truncated Taylor series in t.
    pub fn jerk_and_snap(&self, gravity: Gravity, r_m: Vec3, v_mps: Vec3, a_mps2: Vec3) -> (Vec3, Vec3) {
        let x = Series::path(r_m.x, v_mps.x, a_mps2.x);
        let y = Series::path(r_m.y, v_mps.y, a_mps2.y);
        let z = Series::path(r_m.z, v_mps.z, a_mps2.z);
        let inv_r2 = (x * x + y * y + z * z).recip();
        let k = inv_r2 * inv_r2.sqrt() * -self.mu_m3ps2;
        let (ax, ay, az) = match gravity {
            Gravity::Point => (x * k, y * k, z * k),
            Gravity::J2 => {
                let q = inv_r2 * (1.5 * self.j2 * self.j2_radius_m * self.j2_radius_m);
                let z2 = z * z * inv_r2 * 5.0;
                let kxy = k * (q * (z2 * -1.0 + 1.0) + 1.0);
                let kz = k * (q * (z2 * -1.0 + 3.0) + 1.0);
                (x * kxy, y * kxy, z * kz)
            }
        };
        (
            Vec3::new(ax.1, ay.1, az.1),
            Vec3::new(2.0 * ax.2, 2.0 * ay.2, 2.0 * az.2),
        )
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

    /// [`EarthModel::to_ecef`] and [`EarthModel::enu_axes`] of `p` together (the same values), from one
    /// evaluation of the sines and cosines of its latitude and longitude.
    pub fn ecef_and_enu_axes(&self, p: Geodetic) -> (Vec3, (Vec3, Vec3, Vec3)) {
        let (sphi, cphi) = sincos_deg(p.lat_deg);
        let (slam, clam) = sincos_deg(p.lon_deg);
        let up = Vec3::new(cphi * clam, cphi * slam, sphi);
        let r = match self.figure {
            Figure::Wgs84 => {
                // As geodesy::geodetic_to_ecef: N = a / sqrt(1 − e² sin²φ).
                let n = WGS84_A_M / (1.0 - geodesy::WGS84_E2 * sphi * sphi).sqrt();
                let rc = (n + p.h_m) * cphi;
                Vec3::new(
                    rc * clam,
                    rc * slam,
                    (n * (1.0 - geodesy::WGS84_E2) + p.h_m) * sphi,
                )
            }
            Figure::Sphere { radius_m } => p.up() * (radius_m + p.h_m),
        };
        let axes = (
            Vec3::new(-slam, clam, 0.0),
            Vec3::new(-sphi * clam, -sphi * slam, cphi),
            up,
        );
        (r, axes)
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

    /// Height above the figure (m) and its rate of change (m/s) for an inertial state at any time.
    ///
    /// The rate is the Earth-relative velocity along the figure's normal at the sub-point, which is the
    /// exact time derivative of the geodetic height. Both figures are symmetric about Z, so neither needs
    /// the Earth-fixed frame: height and normal rotate with the position, and the Earth-relative velocity
    /// along the normal is (v − ω × r) · n in the inertial frame itself.
    #[inline]
    pub(crate) fn height_and_rate(&self, r_inertial_m: Vec3, v_inertial_mps: Vec3) -> (f64, f64) {
        let (h, up) = self.height_and_normal(r_inertial_m);
        let v_rel = v_inertial_mps - self.omega().cross(r_inertial_m);
        (h, up.dot(v_rel))
    }

    /// Earth-fixed position (m) → latitude, longitude and height on this model's figure, by the same
    /// closed form as [`EarthModel::height_and_normal`] (the latitude is the normal's elevation): agrees
    /// with [`EarthModel::to_geodetic`] to ~1e−13° and a micrometre (tested) at a third of the cost. For
    /// points more than ~50 km from the Earth's centre (every point of a flight).
    #[inline]
    pub(crate) fn geodetic_of_fast(&self, r_ecef_m: Vec3) -> Geodetic {
        match self.figure {
            Figure::Sphere { .. } => self.to_geodetic(r_ecef_m),
            Figure::Wgs84 => {
                let (h, n) = self.height_and_normal(r_ecef_m);
                Geodetic {
                    lat_deg: n.z.atan2((n.x * n.x + n.y * n.y).sqrt()).to_degrees(),
                    lon_deg: longitude_deg(r_ecef_m),
                    h_m: h,
                }
            }
        }
    }

    /// Latitude, longitude and height of an Earth-fixed point on or within metres of the figure's surface,
    /// whose implicit function is `outside` there, without the general geodetic solution: on the surface
    /// the normal is the implicit function's gradient ∇E, so tan φ = (z/b²) / (p/a²), and the height is
    /// E / |∇E| to first order (off by ~h²/R: a picometre for a micrometre). Agrees with
    /// [`EarthModel::geodetic_of_fast`] to 1e−11° within ten micrometres of the surface (tested); the
    /// latitude's error grows with the height, ~1e−9 rad per kilometre.
    #[inline]
    pub(crate) fn surface_geodetic(&self, r_ecef_m: Vec3, outside: f64) -> Geodetic {
        let (ia2, ib2) = self.inverse_axes_squared();
        let r = r_ecef_m;
        let gp = (r.x * r.x + r.y * r.y).sqrt() * ia2;
        let gz = r.z * ib2;
        Geodetic {
            lat_deg: gz.atan2(gp).to_degrees(),
            lon_deg: longitude_deg(r),
            h_m: outside / (2.0 * (gp * gp + gz * gz).sqrt()),
        }
    }

    /// Cheap stand-ins for the height and its rate at an inertial state, for bracketing events:
    /// returns (`outside`, `rate_sign`) where `outside` has the sign of the height exactly (it is the
    /// figure's implicit function (x² + y²)/a² + z²/b² − 1) and `rate_sign` is the sign of dh/dt (+1 or
    /// −1), or 0 where the stand-in cannot tell. The stand-in rate is the Earth-relative velocity along
    /// the gradient of the implicit function rather than along the ellipsoid normal; both directions
    /// are within 0.0034 rad of the radial one (the largest difference between geodetic and geocentric
    /// latitude), so where the stand-in exceeds 0.01 rad times the speed it has dh/dt's sign (tested).
    /// No square root, no division by a variable: a fraction of the cost of
    /// [`EarthModel::height_and_rate`].
    #[inline]
    pub(crate) fn height_sign_and_rate_proxy(&self, r_inertial_m: Vec3, v_inertial_mps: Vec3) -> (f64, i8) {
        let (ia2, ib2) = self.inverse_axes_squared();
        let r = r_inertial_m;
        let v_rel = v_inertial_mps - self.omega().cross(r);
        let outside = self.outside(r);
        let grad = Vec3::new(r.x * ia2, r.y * ia2, r.z * ib2);
        let d = grad.dot(v_rel);
        let sign = if d * d > PROXY_ANGLE_RAD * PROXY_ANGLE_RAD * grad.norm_squared() * v_rel.norm_squared() {
            if d > 0.0 { 1 } else { -1 }
        } else {
            0
        };
        (outside, sign)
    }

    /// Radii of curvature of the figure's meridian (M) and prime vertical (N), metres, where the normal's
    /// Z component (the sine of the geodetic latitude) is `sin_lat`.
    #[inline]
    pub(crate) fn radii_of_curvature(&self, sin_lat: f64) -> (f64, f64) {
        match self.figure {
            Figure::Wgs84 => {
                let w2 = 1.0 - geodesy::WGS84_E2 * sin_lat * sin_lat;
                let n = WGS84_A_M / w2.sqrt();
                (n * (1.0 - geodesy::WGS84_E2) / w2, n)
            }
            Figure::Sphere { radius_m } => (radius_m, radius_m),
        }
    }

    /// 1/a² and 1/b² of the figure (a sphere: both 1/R²).
    #[inline]
    pub(crate) fn inverse_axes_squared(&self) -> (f64, f64) {
        match self.figure {
            Figure::Wgs84 => (1.0 / (WGS84_A_M * WGS84_A_M), 1.0 / (WGS84_B_M * WGS84_B_M)),
            Figure::Sphere { radius_m } => (1.0 / (radius_m * radius_m), 1.0 / (radius_m * radius_m)),
        }
    }

    /// The figure's implicit function E = (x² + y²)/a² + z²/b² − 1 at an inertial position and its rate
    /// dE/dt = ∇E · v (1/s) along an inertial velocity. E vanishes exactly where the height does and has
    /// its sign (the figure is symmetric about Z, so the inertial and Earth-fixed positions give the same
    /// E); no square root or division, so locating the impact as a root of E costs a fraction of
    /// locating it as a root of the height, with the same answer.
    #[inline]
    pub(crate) fn outside_and_rate(&self, r_inertial_m: Vec3, v_inertial_mps: Vec3) -> (f64, f64) {
        let (ia2, ib2) = self.inverse_axes_squared();
        let (r, v) = (r_inertial_m, v_inertial_mps);
        (
            self.outside(r),
            2.0 * ((r.x * v.x + r.y * v.y) * ia2 + r.z * v.z * ib2),
        )
    }

    /// The first and second time derivatives (1/s, 1/s²) of the figure's implicit function E along an
    /// inertial path through `r_inertial_m` with velocity `v_inertial_mps` and acceleration
    /// `a_inertial_mps2`. dE/dt is ∇E · v, which has the sign of the rate stand-in of
    /// [`EarthModel::height_sign_and_rate_proxy`] (∇E · (ω × r) = 0).
    #[inline]
    pub(crate) fn outside_rate_and_derivative(
        &self,
        r_inertial_m: Vec3,
        v_inertial_mps: Vec3,
        a_inertial_mps2: Vec3,
    ) -> (f64, f64) {
        let (ia2, ib2) = self.inverse_axes_squared();
        let (r, v, a) = (r_inertial_m, v_inertial_mps, a_inertial_mps2);
        (
            2.0 * ((r.x * v.x + r.y * v.y) * ia2 + r.z * v.z * ib2),
            2.0 * ((v.x * v.x + v.y * v.y + r.x * a.x + r.y * a.y) * ia2 + (v.z * v.z + r.z * a.z) * ib2),
        )
    }

    /// The figure's implicit function (x² + y²)/a² + z²/b² − 1 at a position (inertial or Earth-fixed).
    #[inline]
    fn outside(&self, r_m: Vec3) -> f64 {
        let (ia2, ib2) = self.inverse_axes_squared();
        (r_m.x * r_m.x + r_m.y * r_m.y) * ia2 + r_m.z * r_m.z * ib2 - 1.0
    }

    /// Height above the figure (m) and the figure's outward unit normal through the position `r_m`
    /// (Earth-fixed or inertial: the figure is symmetric about Z, so both rotate together).
    ///
    /// For WGS84 this is Heikkinen's closed-form solution of the geodetic problem (M. Heikkinen,
    /// "Geschlossene Formeln zur Berechnung räumlicher geodätischer Koordinaten aus rechtwinkligen
    /// Koordinaten", Z. Vermessungswesen 107, 1982), written without trigonometric functions: the
    /// normal's direction comes from the same quantities as tan φ. It agrees with
    /// [`geodesy::ecef_to_geodetic`] to well below a micrometre from 1 km under the ellipsoid to beyond
    /// the Moon (tested), and costs a fraction of a full conversion to degrees; it is the hot path of
    /// event location. Positions within ~50 km of the Earth's centre are outside its domain (never reached
    /// by a flight that stops at the surface).
    #[inline]
    pub(crate) fn height_and_normal(&self, r_m: Vec3) -> (f64, Vec3) {
        match self.figure {
            Figure::Sphere { radius_m } => {
                let r = r_m.norm();
                (r - radius_m, r_m / r)
            }
            Figure::Wgs84 => {
                const A: f64 = WGS84_A_M;
                const B: f64 = WGS84_B_M;
                const E2: f64 = geodesy::WGS84_E2;
                const EP2: f64 = (A * A - B * B) / (B * B);
                let (x, y, z) = (r_m.x, r_m.y, r_m.z);
                let p2 = x * x + y * y;
                let p = p2.sqrt();
                if p < 1e-9 * A {
                    // On the spin axis: the normal is the axis.
                    return (
                        z.abs() - B,
                        Vec3::new(0.0, 0.0, if z >= 0.0 { 1.0 } else { -1.0 }),
                    );
                }
                let z2 = z * z;
                let f = 54.0 * B * B * z2;
                let g = p2 + (1.0 - E2) * z2 - E2 * (A * A - B * B);
                let c = E2 * E2 * f * p2 / (g * g * g);
                let s = cbrt_from_one(1.0 + c + (c * c + 2.0 * c).sqrt());
                let k = s + 1.0 + 1.0 / s;
                let pp = f / (3.0 * k * k * g * g);
                let q = (1.0 + 2.0 * E2 * E2 * pp).sqrt();
                // One division for 1/q, 1/(1 + q) and 1/(q (1 + q)).
                let inv_q1q = 1.0 / (q * (1.0 + q));
                let (inv_q, inv_1q) = ((1.0 + q) * inv_q1q, q * inv_q1q);
                let r0 = -pp * E2 * p * inv_1q
                    + (0.5 * A * A * (1.0 + inv_q) - pp * (1.0 - E2) * z2 * inv_q1q - 0.5 * pp * p2)
                        .max(0.0)
                        .sqrt();
                let d = p - E2 * r0;
                let u = (d * d + z2).sqrt();
                let v = (d * d + (1.0 - E2) * z2).sqrt();
                let b2_av = B * B / (A * v);
                let z0 = b2_av * z;
                let h = u * (1.0 - b2_av);
                // tan φ = (z + e'² z0) / p: the normal is (cos φ cos λ, cos φ sin λ, sin φ).
                let nz = z + EP2 * z0;
                let inv = 1.0 / (nz * nz + p2).sqrt();
                let cphi_over_p = inv; // cos φ / p
                (h, Vec3::new(x * cphi_over_p, y * cphi_over_p, nz * inv))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The joint position and axes are the separate functions' values, bit for bit, on both figures.
    #[test]
    fn ecef_and_enu_axes_match_the_separate_functions() {
        let mut rnd = crate::test_util::uniform(0x0ddb_a11c_af3e_5eedu64);
        for m in [EarthModel::contract(), EarthModel::non_rotating_sphere(6_371e3)] {
            for _ in 0..1_000 {
                let p = Geodetic {
                    lat_deg: 180.0 * rnd() - 90.0,
                    lon_deg: 720.0 * rnd() - 360.0,
                    h_m: 1e6 * rnd() - 1e3,
                };
                assert_eq!(m.ecef_and_enu_axes(p), (m.to_ecef(p), m.enu_axes(p)), "{p:?}");
            }
        }
    }

    /// Within ten micrometres of the surface (an impact is located to a few), the shortcut from the implicit function's gradient agrees with
    /// the closed-form geodetic solution, at all latitudes.
    #[test]
    fn surface_geodetic_matches_the_closed_form() {
        let m = EarthModel::contract();
        let mut rnd = crate::test_util::uniform(0x51ed_270b_1f3c_4a77u64);
        for _ in 0..20_000 {
            let p = Geodetic {
                lat_deg: 180.0 * rnd() - 90.0,
                lon_deg: 360.0 * rnd() - 180.0,
                h_m: 2e-5 * rnd() - 1e-5,
            };
            let r = p.to_ecef();
            let e =
                (r.x * r.x + r.y * r.y) / (WGS84_A_M * WGS84_A_M) + r.z * r.z / (WGS84_B_M * WGS84_B_M) - 1.0;
            let fast = m.surface_geodetic(r, e);
            let exact = m.geodetic_of_fast(r);
            assert!(
                (fast.lat_deg - exact.lat_deg).abs() < 1e-11,
                "{p:?}: {fast:?} vs {exact:?}"
            );
            assert!(
                (fast.lon_deg - exact.lon_deg).abs() < 1e-12,
                "{p:?}: {fast:?} vs {exact:?}"
            );
            // Both are at the rounding of coordinates of ~6e6 m (an ulp is ~1e−9 m).
            assert!(
                (fast.h_m - exact.h_m).abs() < 5e-9,
                "{p:?}: {fast:?} vs {exact:?}"
            );
        }
    }

    /// The exact jerk and snap agree with central differences of the force along the path (which carry
    /// their own error of ~1e-7 of the terms), under both gravity models.
    #[test]
    fn jerk_and_snap_match_finite_differences() {
        let m = EarthModel::contract();
        for gravity in [Gravity::Point, Gravity::J2] {
            let r = Vec3::new(3_000e3, -4_500e3, 4_200e3);
            let v = Vec3::new(4_000.0, 2_500.0, 3_100.0);
            let a = m.acceleration(gravity, r);
            let (j, s) = m.jerk_and_snap(gravity, r, v, a);
            let e = 1e-2;
            let (vp, vm) = (
                m.acceleration(gravity, r + v * e),
                m.acceleration(gravity, r - v * e),
            );
            let (ap, am) = (
                m.acceleration(gravity, r + a * e),
                m.acceleration(gravity, r - a * e),
            );
            let j_fd = (vp - vm) / (2.0 * e);
            let s_fd = (vp + vm - a * 2.0) / (e * e) + (ap - am) / (2.0 * e);
            assert!(
                (j - j_fd).norm() < 1e-7 * j.norm(),
                "{gravity:?}: jerk {j:?} vs {j_fd:?}"
            );
            assert!(
                (s - s_fd).norm() < 1e-4 * s.norm(),
                "{gravity:?}: snap {s:?} vs {s_fd:?}"
            );
        }
    }

    #[test]
    fn fast_cube_root_matches_the_library() {
        for i in 0..=10_000 {
            let x = 1.0 + 0.1 * i as f64 / 10_000.0;
            let (a, b) = (cbrt_from_one(x), x.cbrt());
            assert!((a - b).abs() <= 2.0 * f64::EPSILON, "{x}: {a} vs {b}");
        }
        assert_eq!(cbrt_from_one(27.0), 3.0);
    }

    /// The stand-ins' signs are the height's and its rate's, from 1 km under
    /// the ground to 5 000 km up, at all latitudes and in all directions.
    #[test]
    fn height_proxy_is_bounded() {
        let m = EarthModel::contract();
        let mut rnd = crate::test_util::uniform(0x9e37_79b9_7f4a_7c15u64);
        let mut worst: f64 = 0.0;
        let mut undecided = 0;
        for _ in 0..20_000 {
            let p = Geodetic {
                lat_deg: 180.0 * rnd() - 90.0,
                lon_deg: 360.0 * rnd() - 180.0,
                h_m: -1_000.0 + 5.0e6 * rnd().powi(3),
            };
            let r = p.to_ecef();
            let v = Vec3::new(rnd() - 0.5, rnd() - 0.5, rnd() - 0.5) * 16_000.0;
            let (h, hdot) = m.height_and_rate(r, v);
            let (outside, sign) = m.height_sign_and_rate_proxy(r, v);
            if h.abs() > 1e-6 {
                assert_eq!(h > 0.0, outside > 0.0, "{p:?}");
            }
            if sign != 0 {
                assert_eq!(sign > 0, hdot > 0.0, "{p:?}");
            } else {
                undecided += 1;
            }
            // The bound behind the sign: the stand-in rate is within 0.0069 rad times the speed.
            let (a2, b2) = (WGS84_A_M * WGS84_A_M, WGS84_B_M * WGS84_B_M);
            let grad = Vec3::new(r.x / a2, r.y / a2, r.z / b2);
            let v_rel = v - m.omega().cross(r);
            let rate = grad.dot(v_rel) / grad.norm();
            worst = worst.max((rate - hdot).abs() / v_rel.norm());
        }
        assert!(undecided < 400, "{undecided} of 20 000 undecided");
        assert!(worst > 1e-3 && worst < 0.0069, "largest angle {worst}");
    }

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
    fn fast_height_and_normal_agree_with_the_exact_conversion() {
        let m = EarthModel::contract();
        let mut worst: (f64, f64, f64) = (0.0, 0.0, 0.0);
        for i in 0..=180 {
            let lat = -90.0 + i as f64;
            for lon in [-180.0, -97.3, 0.0, 12.5, 133.0] {
                for h in [-1_000.0, 0.0, 1.0, 8_848.0, 1e5, 1e6, 6.4e6, 3.6e7, 4e8] {
                    let p = Geodetic {
                        lat_deg: lat,
                        lon_deg: lon,
                        h_m: h,
                    };
                    let r = m.to_ecef(p);
                    let (hf, n) = m.height_and_normal(r);
                    let exact = m.to_geodetic(r);
                    let (_, _, up) = m.enu_axes(exact);
                    worst.0 = worst.0.max((hf - exact.h_m).abs());
                    worst.1 = worst.1.max((n - up).norm());
                    let fast = m.geodetic_of_fast(r);
                    let dlon = geodesy::wrap_180_deg(fast.lon_deg - exact.lon_deg).abs();
                    worst.2 = worst.2.max((fast.lat_deg - exact.lat_deg).abs()).max(dlon);
                    worst.0 = worst.0.max((fast.h_m - exact.h_m).abs());
                }
            }
        }
        assert!(worst.0 < 1e-6 && worst.1 < 1e-14 && worst.2 < 1e-12, "{worst:?}");
    }

    #[test]
    fn gravity_names_round_trip() {
        assert_eq!("j2".parse::<Gravity>().unwrap(), Gravity::J2);
        assert_eq!("point".parse::<Gravity>().unwrap(), Gravity::Point);
        assert!("J2x".parse::<Gravity>().is_err());
    }
}

/// A truncated Taylor series c₀ + c₁ t + c₂ t² in time, with the arithmetic the force needs: evaluating
/// the force on the series of a path gives the series of the acceleration along it.
#[derive(Debug, Clone, Copy)]
struct Series(f64, f64, f64);

impl Series {
    /// The series of a coordinate with value `x`, rate `v` and second derivative `a`.
    fn path(x: f64, v: f64, a: f64) -> Self {
        Series(x, v, 0.5 * a)
    }

    fn recip(self) -> Self {
        let y0 = 1.0 / self.0;
        let y1 = -self.1 * y0 * y0;
        let y2 = -(self.1 * y1 + self.2 * y0) * y0;
        Series(y0, y1, y2)
    }

    fn sqrt(self) -> Self {
        let y0 = self.0.sqrt();
        let y1 = self.1 / (2.0 * y0);
        let y2 = (self.2 - y1 * y1) / (2.0 * y0);
        Series(y0, y1, y2)
    }
}

impl std::ops::Add for Series {
    type Output = Series;
    fn add(self, o: Series) -> Series {
        Series(self.0 + o.0, self.1 + o.1, self.2 + o.2)
    }
}

impl std::ops::Mul for Series {
    type Output = Series;
    fn mul(self, o: Series) -> Series {
        Series(
            self.0 * o.0,
            self.0 * o.1 + self.1 * o.0,
            self.0 * o.2 + self.1 * o.1 + self.2 * o.0,
        )
    }
}

impl std::ops::Mul<f64> for Series {
    type Output = Series;
    fn mul(self, k: f64) -> Series {
        Series(self.0 * k, self.1 * k, self.2 * k)
    }
}

impl std::ops::Add<f64> for Series {
    type Output = Series;
    fn add(self, k: f64) -> Series {
        Series(self.0 + k, self.1, self.2)
    }
}
