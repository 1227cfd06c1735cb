//! The WGS84 ellipsoid and conversions between geodetic coordinates and Earth-centred, Earth-fixed (ECEF)
//! Cartesian coordinates.
//!
//! Constants are those of NGA.STND.0036 / TR8350.2 "World Geodetic System 1984" (a = 6 378 137 m,
//! 1/f = 298.257 223 563), fixed by `shared/DESIGN.md` §3.
//!
//! The ECEF → geodetic conversion is the closed-form solution of Vermeille (J. Geodesy 2002, 2004) in the
//! formulation of Karney ("Geodesics on an ellipsoid of revolution", 2011, and GeographicLib's
//! `Geocentric`), which is exact to round-off everywhere: at the poles, at the centre of the Earth and far
//! out in space.

use crate::{Error, Vec3};

/// WGS84 semi-major axis, metres (NGA TR8350.2, table 3.1).
pub const WGS84_A_M: f64 = 6_378_137.0;
/// WGS84 flattening (NGA TR8350.2, table 3.1).
pub const WGS84_F: f64 = 1.0 / 298.257_223_563;
/// WGS84 semi-minor axis, metres (derived: a (1 − f)).
pub const WGS84_B_M: f64 = WGS84_A_M * (1.0 - WGS84_F);
/// WGS84 first eccentricity squared (derived: f (2 − f)).
pub const WGS84_E2: f64 = WGS84_F * (2.0 - WGS84_F);

/// A position given by geodetic latitude and longitude on the WGS84 ellipsoid and height above it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Geodetic {
    /// Geodetic latitude, degrees, in [−90, 90].
    pub lat_deg: f64,
    /// Longitude, degrees east (any finite value is accepted; outputs are in [−180, 180)).
    pub lon_deg: f64,
    /// Height above the ellipsoid along its normal, metres.
    pub h_m: f64,
}

impl Geodetic {
    /// A checked geodetic position: finite values and |latitude| ≤ 90°.
    pub fn try_new(lat_deg: f64, lon_deg: f64, h_m: f64) -> Result<Self, Error> {
        check_lat("latitude", lat_deg)?;
        check_finite("longitude", lon_deg)?;
        check_finite("height", h_m)?;
        Ok(Geodetic {
            lat_deg,
            lon_deg,
            h_m,
        })
    }

    /// The ECEF position of this point, metres.
    pub fn to_ecef(self) -> Vec3 {
        geodetic_to_ecef(self.lat_deg, self.lon_deg, self.h_m)
    }

    /// The outward ellipsoid normal ("geodetic up") at this point, a unit vector in ECEF.
    pub fn up(self) -> Vec3 {
        let (sphi, cphi) = sincos_deg(self.lat_deg);
        let (slam, clam) = sincos_deg(self.lon_deg);
        Vec3::new(cphi * clam, cphi * slam, sphi)
    }
}

/// Checks that `value` is a finite latitude in [−90°, 90°].
pub(crate) fn check_lat(name: &str, value: f64) -> Result<(), Error> {
    check_finite(name, value)?;
    if value.abs() > 90.0 {
        return Err(Error::OutOfRange {
            name: name.to_string(),
            value,
            range: "[-90, 90] degrees",
        });
    }
    Ok(())
}

/// Checks that `value` is finite.
pub(crate) fn check_finite(name: &str, value: f64) -> Result<(), Error> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(Error::NotFinite {
            name: name.to_string(),
        })
    }
}

/// Sine and cosine of an angle in degrees, exact at multiples of 90° (so that the poles and the
/// meridians 0°, ±90°, 180° give exact zeros).
pub fn sincos_deg(x_deg: f64) -> (f64, f64) {
    // Reduce to [-45, 45] around a multiple of 90, as GeographicLib's Math::sincosd does.
    let r = rem_360(x_deg);
    let q = (r / 90.0).round();
    let rd = (r - 90.0 * q).to_radians();
    let (s, c) = rd.sin_cos();
    let (s, c) = match (q as i64).rem_euclid(4) {
        0 => (s, c),
        1 => (c, -s),
        2 => (-s, -c),
        _ => (-c, s),
    };
    // Avoid negative zeros in the reduced results for tidy output.
    (s + 0.0, c + 0.0)
}

/// `x % 360.0` (C's `fmod`), without the library call when |x| < 360°, where it is `x` itself (signed
/// zeros, NaN and infinities included: those take the library call).
#[inline]
fn rem_360(x: f64) -> f64 {
    if x.abs() < 360.0 { x } else { fmod_360(x) }
}

/// `x % 360.0` out of line: written inline, the compiler may compute the remainder (a library call,
/// ~35 instructions) on both branches of [`rem_360`] and select, since a remainder has no side effect.
#[cold]
#[inline(never)]
fn fmod_360(x: f64) -> f64 {
    x % 360.0
}

/// `x.rem_euclid(360.0)` by [`rem_360`]: the same bits.
#[inline]
fn rem_euclid_360(x: f64) -> f64 {
    let r = rem_360(x);
    if r < 0.0 { r + 360.0 } else { r }
}

/// Normalises a longitude or azimuth difference to [−180, 180), degrees.
pub fn wrap_180_deg(x_deg: f64) -> f64 {
    let y = rem_euclid_360(x_deg + 180.0) - 180.0;
    // rem_euclid can return exactly 360.0 for tiny negative inputs through rounding.
    if y >= 180.0 { y - 360.0 } else { y }
}

/// Normalises an azimuth to [0, 360), degrees.
pub fn wrap_360_deg(x_deg: f64) -> f64 {
    let y = rem_euclid_360(x_deg);
    if y >= 360.0 { 0.0 } else { y }
}

/// Geodetic (latitude, longitude in degrees; height in metres) → ECEF position in metres.
pub fn geodetic_to_ecef(lat_deg: f64, lon_deg: f64, h_m: f64) -> Vec3 {
    let (sphi, cphi) = sincos_deg(lat_deg);
    let (slam, clam) = sincos_deg(lon_deg);
    // Prime-vertical radius of curvature N = a / sqrt(1 − e² sin²φ).
    let n = WGS84_A_M / (1.0 - WGS84_E2 * sphi * sphi).sqrt();
    let r = (n + h_m) * cphi;
    Vec3::new(r * clam, r * slam, (n * (1.0 - WGS84_E2) + h_m) * sphi)
}

/// ECEF position in metres → geodetic latitude and longitude (degrees) and height (metres).
///
/// Exact to round-off everywhere (see the module doc). On the polar axis the longitude is 0; at the centre
/// of the Earth the latitude is ±90° with height −b.
pub fn ecef_to_geodetic(p: Vec3) -> Geodetic {
    let a = WGS84_A_M;
    let f = WGS84_F;
    let e2 = WGS84_E2;
    let e2m = (1.0 - f) * (1.0 - f);
    let e2a = e2.abs();
    let e4a = e2 * e2;

    let r_xy = p.x.hypot(p.y);
    let (slam, clam) = if r_xy != 0.0 {
        (p.y / r_xy, p.x / r_xy)
    } else {
        (0.0, 1.0)
    };

    let (sphi, cphi, h);
    let p2 = (r_xy / a) * (r_xy / a);
    let q = e2m * (p.z / a) * (p.z / a);
    let r = (p2 + q - e4a) / 6.0;
    if !(e4a * q == 0.0 && r <= 0.0) {
        // Outside the evolute: the quartic has a unique positive root.
        let s = e4a * p2 * q / 4.0;
        let r2 = r * r;
        let r3 = r * r2;
        let disc = s * (2.0 * r3 + s);
        let mut u = r;
        if disc >= 0.0 {
            let mut t3 = s + r3;
            // Pick the sign of the square root to avoid cancellation.
            t3 += if t3 < 0.0 { -disc.sqrt() } else { disc.sqrt() };
            let t = t3.cbrt();
            u += t + if t != 0.0 { r2 / t } else { 0.0 };
        } else {
            // Three real roots: take the trigonometric solution.
            let ang = (-disc).sqrt().atan2(-(s + r3));
            u += 2.0 * r * (ang / 3.0).cos();
        }
        let v = (u * u + e4a * q).sqrt();
        let uv = if u < 0.0 { e4a * q / (v - u) } else { u + v };
        let w = (e2a * (uv - q) / (2.0 * v)).max(0.0);
        let k = uv / ((uv + w * w).sqrt() + w);
        let k1 = k;
        let k2 = k + e2;
        let d = k1 * r_xy / k2;
        let hyp = (p.z / k1).hypot(r_xy / k2);
        sphi = (p.z / k1) / hyp;
        cphi = (r_xy / k2) / hyp;
        h = (1.0 - e2m / k1) * d.hypot(p.z);
    } else {
        // Inside the evolute, on the equatorial plane near the centre: the point lies on the minor axis
        // side; several normals pass through it, pick the one through the nearest pole side.
        let zz = ((e4a - p2) / e2m).sqrt();
        let xx = p2.sqrt();
        let hyp = zz.hypot(xx);
        sphi = if p.z < 0.0 { -zz / hyp } else { zz / hyp };
        cphi = xx / hyp;
        h = -a * e2m * hyp / e2a;
    }
    Geodetic {
        lat_deg: sphi.atan2(cphi).to_degrees(),
        lon_deg: wrap_180_deg(slam.atan2(clam).to_degrees()),
        h_m: h,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reductions without `fmod` give `fmod`'s bits: at the edges (±360° and its neighbours, signed
    /// zeros, non-finite values) and over a sweep of angles in every range.
    #[test]
    fn reductions_match_fmod_bit_for_bit() {
        let mut xs = vec![
            0.0,
            -0.0,
            1e-300,
            -1e-300,
            180.0,
            -180.0,
            359.99999999999994,
            360.0,
            360.00000000000006,
            -360.0,
            -359.99999999999994,
            720.0,
            1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        let mut x = 1e-3_f64;
        while x < 1e6 {
            xs.extend([x, -x, x.next_up(), -x.next_down()]);
            x *= 1.0137;
        }
        for &x in &xs {
            let same = |a: f64, b: f64| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
            assert!(same(rem_360(x), x % 360.0), "rem_360({x})");
            assert!(
                same(rem_euclid_360(x), x.rem_euclid(360.0)),
                "rem_euclid_360({x})"
            );
        }
    }

    #[test]
    fn equator_prime_meridian() {
        let p = geodetic_to_ecef(0.0, 0.0, 0.0);
        assert_eq!(p, Vec3::new(WGS84_A_M, 0.0, 0.0));
        let g = ecef_to_geodetic(p);
        assert_eq!(g.lat_deg, 0.0);
        assert_eq!(g.lon_deg, 0.0);
        assert!(g.h_m.abs() < 1e-9);
    }

    #[test]
    fn north_pole_is_on_the_axis() {
        let p = geodetic_to_ecef(90.0, 123.0, 1000.0);
        assert_eq!(p.x, 0.0);
        assert_eq!(p.y, 0.0);
        assert!((p.z - (WGS84_B_M + 1000.0)).abs() < 1e-8);
        let g = ecef_to_geodetic(p);
        assert_eq!(g.lat_deg, 90.0);
        assert!((g.h_m - 1000.0).abs() < 1e-8);
    }

    #[test]
    fn centre_of_earth() {
        let g = ecef_to_geodetic(Vec3::ZERO);
        assert!((g.h_m + WGS84_B_M).abs() < 1e-6, "{g:?}");
    }

    #[test]
    fn wraps() {
        assert_eq!(wrap_180_deg(180.0), -180.0);
        assert_eq!(wrap_180_deg(-180.0), -180.0);
        assert_eq!(wrap_180_deg(190.0), -170.0);
        assert_eq!(wrap_360_deg(-1e-20), 0.0);
        assert_eq!(wrap_360_deg(-90.0), 270.0);
        assert_eq!(wrap_360_deg(360.0), 0.0);
    }

    #[test]
    fn sincos_exact_at_quadrants() {
        assert_eq!(sincos_deg(90.0), (1.0, 0.0));
        assert_eq!(sincos_deg(180.0), (0.0, -1.0));
        assert_eq!(sincos_deg(-90.0), (-1.0, 0.0));
        assert_eq!(sincos_deg(270.0), (-1.0, 0.0));
    }
}
