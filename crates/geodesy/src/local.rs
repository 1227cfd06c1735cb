//! Local east-north-up (ENU) frames, look angles and the radar-horizon question.
//!
//! "Up" is the ellipsoid normal at the observer (the geodetic vertical), so elevations are measured above
//! the local geodetic horizontal plane. No atmospheric refraction is modelled.

use crate::ellipsoid::{Geodetic, check_finite, check_lat, sincos_deg, wrap_360_deg};
use crate::{Error, Vec3, WGS84_A_M, WGS84_B_M};

/// A local east-north-up frame anchored at a geodetic point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Enu {
    /// Origin of the frame, ECEF metres.
    pub origin_ecef_m: Vec3,
    /// Unit vector pointing east, ECEF.
    pub east: Vec3,
    /// Unit vector pointing north (along the meridian, in the horizontal plane), ECEF.
    pub north: Vec3,
    /// Unit vector along the outward ellipsoid normal, ECEF.
    pub up: Vec3,
}

impl Enu {
    /// The ENU frame at `origin`.
    pub fn at(origin: Geodetic) -> Self {
        let (sphi, cphi) = sincos_deg(origin.lat_deg);
        let (slam, clam) = sincos_deg(origin.lon_deg);
        Enu {
            origin_ecef_m: origin.to_ecef(),
            east: Vec3::new(-slam, clam, 0.0),
            north: Vec3::new(-sphi * clam, -sphi * slam, cphi),
            up: Vec3::new(cphi * clam, cphi * slam, sphi),
        }
    }

    /// ECEF position (metres) → ENU coordinates (metres) relative to the frame origin.
    pub fn from_ecef(&self, p_ecef_m: Vec3) -> Vec3 {
        self.vector_from_ecef(p_ecef_m - self.origin_ecef_m)
    }

    /// ECEF direction or velocity → ENU components (rotation only, no translation).
    pub fn vector_from_ecef(&self, v: Vec3) -> Vec3 {
        Vec3::new(v.dot(self.east), v.dot(self.north), v.dot(self.up))
    }

    /// ENU coordinates (metres) → ECEF position (metres).
    pub fn to_ecef(&self, p_enu_m: Vec3) -> Vec3 {
        self.origin_ecef_m + self.vector_to_ecef(p_enu_m)
    }

    /// ENU direction or velocity → ECEF components (rotation only).
    pub fn vector_to_ecef(&self, v: Vec3) -> Vec3 {
        self.east * v.x + self.north * v.y + self.up * v.z
    }
}

/// Azimuth, elevation and slant range from an observer to a target.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LookAngle {
    /// Azimuth, degrees clockwise from geodetic north, in [0, 360); `None` when the target is straight
    /// overhead or underfoot (the horizontal component is below 1e-9 of the range) or coincides with the
    /// observer.
    pub azimuth_deg: Option<f64>,
    /// Elevation above the observer's geodetic horizontal plane, degrees in [−90, 90].
    pub elevation_deg: f64,
    /// Straight-line distance, metres.
    pub slant_range_m: f64,
}

/// Relative size of the horizontal component below which the azimuth is undefined (target overhead).
pub const OVERHEAD_TOLERANCE: f64 = 1e-9;

/// Look angles from `observer` to `target` (both geodetic), in the observer's ENU frame.
pub fn look_angle(observer: Geodetic, target: Geodetic) -> LookAngle {
    look_angle_ecef(&Enu::at(observer), target.to_ecef())
}

/// Look angles from the origin of `frame` to an ECEF target position (metres).
pub fn look_angle_ecef(frame: &Enu, target_ecef_m: Vec3) -> LookAngle {
    let v = frame.from_ecef(target_ecef_m);
    let horiz = v.x.hypot(v.y);
    let range = horiz.hypot(v.z);
    let azimuth_deg = if range == 0.0 || horiz <= OVERHEAD_TOLERANCE * range {
        None
    } else {
        Some(wrap_360_deg(v.x.atan2(v.y).to_degrees()))
    };
    let elevation_deg = if range == 0.0 {
        0.0
    } else {
        v.z.atan2(horiz).to_degrees()
    };
    LookAngle {
        azimuth_deg,
        elevation_deg,
        slant_range_m: range,
    }
}

/// Whether the straight segment between two ECEF points (metres) passes strictly inside the WGS84
/// ellipsoid, i.e. whether the Earth blocks the line of sight between them. Points on the surface
/// (height 0) do not block themselves; a relative tolerance of 1e-12 absorbs round-off.
pub fn earth_blocks(p1_ecef_m: Vec3, p2_ecef_m: Vec3) -> bool {
    closest_scaled_norm2(p1_ecef_m, p2_ecef_m) < 1.0 - 1e-12
}

/// Whether the Earth blocks the line of sight from `p1_ecef_m` to *every* point within `margin_m` metres
/// of `p2_ecef_m` (ECEF, metres): a conservative [`earth_blocks`] for a target known only to within a
/// distance. `false` means some point of that ball may be in sight; with `margin_m` = 0 it is
/// [`earth_blocks`].
///
/// Scaled to the unit sphere (x/a, y/a, z/b), moving the far end by `margin_m` moves every point of the
/// segment by at most `margin_m`/b, so a segment whose closest approach lies deeper than that below the
/// unit sphere stays blocked.
pub fn earth_blocks_within(p1_ecef_m: Vec3, p2_ecef_m: Vec3, margin_m: f64) -> bool {
    let lim = (1.0 - margin_m.max(0.0) / WGS84_B_M).max(0.0);
    closest_scaled_norm2(p1_ecef_m, p2_ecef_m) < lim * lim - 1e-12
}

/// The squared norm of the segment's closest approach to the centre, scaled to a unit sphere
/// (x/a, y/a, z/b), where the WGS84 ellipsoid is the unit sphere.
fn closest_scaled_norm2(p1_ecef_m: Vec3, p2_ecef_m: Vec3) -> f64 {
    let s = |v: Vec3| Vec3::new(v.x / WGS84_A_M, v.y / WGS84_A_M, v.z / WGS84_B_M);
    let a = s(p1_ecef_m);
    let d = s(p2_ecef_m) - a;
    let dd = d.norm_squared();
    if dd == 0.0 {
        return a.norm_squared();
    }
    let t = (-a.dot(d) / dd).clamp(0.0, 1.0);
    (a + d * t).norm_squared()
}

/// The lowest geodetic height (metres) above the ground point `target_lat_deg`, `target_lon_deg`, measured
/// along the ellipsoid normal there, at which an observer sees the point at an elevation of at least
/// `min_elevation_deg` above its geodetic horizon with an unobstructed line of sight.
///
/// Returns `Ok(Some(0.0))` when the ground point itself is seen, `Ok(None)` when no height is (for example
/// a point beyond the horizon whose normal never rises above the required elevation). There is no range
/// limit. Solved in closed form (the elevation condition is a quadratic in the height, whose roots are
/// polished by Newton steps on the unsquared condition), so it is exact to round-off.
pub fn min_visible_alt(
    observer: Geodetic,
    min_elevation_deg: f64,
    target_lat_deg: f64,
    target_lon_deg: f64,
) -> Result<Option<f64>, Error> {
    check_lat("observer latitude", observer.lat_deg)?;
    check_finite("observer longitude", observer.lon_deg)?;
    check_finite("observer height", observer.h_m)?;
    check_lat("target latitude", target_lat_deg)?;
    check_finite("target longitude", target_lon_deg)?;
    check_finite("minimum elevation", min_elevation_deg)?;
    if min_elevation_deg.abs() > 90.0 {
        return Err(Error::OutOfRange {
            name: "minimum elevation".to_string(),
            value: min_elevation_deg,
            range: "[-90, 90] degrees",
        });
    }
    let frame = Enu::at(observer);
    let o = frame.origin_ecef_m;
    let u = frame.up;
    let ground = Geodetic {
        lat_deg: target_lat_deg,
        lon_deg: target_lon_deg,
        h_m: 0.0,
    };
    let g = ground.to_ecef();
    let n = ground.up();
    let s = min_elevation_deg.to_radians().sin();

    // Elevation condition at height h, with D = G − O:
    //   e(h) = (D + h n)·u − s |D + h n| ≥ 0.
    let d = g - o;
    let e = |h: f64| (d + n * h).dot(u) - s * (d + n * h).norm();
    if e(0.0) >= -1e-9 * (1.0 + d.norm()) {
        if !earth_blocks(o, g) {
            return Ok(Some(0.0));
        }
        // High enough in elevation but behind the Earth's bulge (negative minimum elevations, observers
        // below the ellipsoid): the lowest clear height, if the elevation still holds there.
        return Ok(clear_height(o, g, n, 0.0, &e));
    }

    // Roots of the squared condition (A h² + B h + C = 0), kept when (D + h n)·u has the sign of s.
    let a0 = d.dot(u);
    let b0 = n.dot(u);
    let dn = d.dot(n);
    let qa = b0 * b0 - s * s;
    let qb = 2.0 * (a0 * b0 - s * s * dn);
    let qc = a0 * a0 - s * s * d.norm_squared();
    let mut roots = Vec::with_capacity(2);
    if qa.abs() < 1e-15 {
        if qb != 0.0 {
            roots.push(-qc / qb);
        }
    } else {
        let mut disc = qb * qb - 4.0 * qa * qc;
        if disc < 0.0 && disc > -1e-12 * qb * qb {
            // A double root lost to round-off (e.g. a target straight above the observer).
            disc = 0.0;
        }
        if disc >= 0.0 {
            let sq = disc.sqrt();
            let qq = -0.5 * (qb + qb.signum() * sq);
            if qq != 0.0 {
                roots.push(qc / qq);
            }
            roots.push(qq / qa);
        }
    }
    let polish = |mut h: f64| {
        for _ in 0..3 {
            let w = d + n * h;
            let wn = w.norm();
            let de = b0 - s * (w.dot(n)) / wn;
            if de == 0.0 || !de.is_finite() {
                break;
            }
            let step = e(h) / de;
            h -= step;
            if step.abs() < 1e-10 * (1.0 + h.abs()) {
                break;
            }
        }
        h
    };
    let mut candidates: Vec<f64> = roots
        .into_iter()
        .map(polish)
        .filter(|h| h.is_finite() && *h > 0.0)
        .collect();
    candidates.sort_by(f64::total_cmp);

    for h in candidates {
        // The elevation along the vertical is unimodal, so the first valid crossing starts the visible
        // interval; it is only usable if the line of sight is also clear there.
        if e(h) >= -1e-6 * (1.0 + (d + n * h).norm()) {
            if !earth_blocks(o, g + n * h) {
                return Ok(Some(h));
            }
            // Blocked by the Earth (only possible for negative minimum elevations or observers below the
            // ellipsoid): clearance improves with height, so search upward while elevation still holds.
            return Ok(clear_height(o, g, n, h, &e));
        }
    }
    Ok(None)
}

/// Bisection for the lowest height ≥ `h_lo` with a clear line of sight, provided the elevation condition
/// `e` still holds there.
fn clear_height(o: Vec3, g: Vec3, n: Vec3, h_lo: f64, e: &dyn Fn(f64) -> f64) -> Option<f64> {
    let mut hi = h_lo.max(1.0);
    let mut found = false;
    for _ in 0..60 {
        if !earth_blocks(o, g + n * hi) {
            found = true;
            break;
        }
        hi *= 2.0;
    }
    if !found {
        return None;
    }
    let mut lo = h_lo;
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if earth_blocks(o, g + n * mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (e(hi) >= -1e-6 * (1.0 + (g + n * hi - o).norm())).then_some(hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gd(lat: f64, lon: f64, h: f64) -> Geodetic {
        Geodetic {
            lat_deg: lat,
            lon_deg: lon,
            h_m: h,
        }
    }

    proptest::proptest! {
        /// A segment blocked within a margin stays blocked for every far end moved by up to the margin,
        /// and a margin of zero is the plain test.
        #[test]
        fn blocked_within_a_margin_is_blocked_for_every_point_of_the_ball(
            lat1 in -89.0f64..89.0, lon1 in -180.0f64..180.0, h1 in 0.0f64..5_000.0,
            lat2 in -89.0f64..89.0, lon2 in -180.0f64..180.0, h2 in 0.0f64..2_000_000.0,
            margin in 0.0f64..200_000.0,
            dir in proptest::array::uniform3(-1.0f64..1.0), frac in 0.0f64..1.0,
        ) {
            let p1 = gd(lat1, lon1, h1).to_ecef();
            let p2 = gd(lat2, lon2, h2).to_ecef();
            proptest::prop_assert_eq!(earth_blocks_within(p1, p2, 0.0), earth_blocks(p1, p2));
            let u = Vec3::new(dir[0], dir[1], dir[2]);
            proptest::prop_assume!(u.norm() > 1e-3);
            let q = p2 + u / u.norm() * (frac * margin);
            if earth_blocks_within(p1, p2, margin) {
                proptest::prop_assert!(earth_blocks(p1, q));
            }
        }
    }

    #[test]
    fn a_margin_unblocks_a_grazing_sight_line() {
        // From Brdy to a point 100 km up 2 500 km away, beyond the horizon: blocked, but a target known
        // only to within 400 km may be in sight.
        let p1 = gd(49.6, 13.7, 700.0).to_ecef();
        let p2 = gd(49.6, 49.0, 100_000.0).to_ecef();
        assert!(earth_blocks(p1, p2));
        assert!(earth_blocks_within(p1, p2, 1_000.0));
        assert!(!earth_blocks_within(p1, p2, 400_000.0));
    }

    #[test]
    fn straight_up_has_no_azimuth() {
        let la = look_angle(gd(49.6, 13.7, 700.0), gd(49.6, 13.7, 500_000.0));
        assert_eq!(la.azimuth_deg, None);
        assert!((la.elevation_deg - 90.0).abs() < 1e-9);
        assert!((la.slant_range_m - 499_300.0).abs() < 1e-6);
    }

    #[test]
    fn due_north_and_east() {
        let la = look_angle(gd(0.0, 0.0, 0.0), gd(1.0, 0.0, 0.0));
        assert!(la.azimuth_deg.unwrap().abs() < 1e-9 || (la.azimuth_deg.unwrap() - 360.0).abs() < 1e-9);
        let la = look_angle(gd(0.0, 0.0, 0.0), gd(0.0, 1.0, 0.0));
        assert!((la.azimuth_deg.unwrap() - 90.0).abs() < 1e-9);
        assert!(la.elevation_deg < 0.0);
    }

    #[test]
    fn ground_point_nearby_is_seen_from_a_mast() {
        let h = min_visible_alt(gd(50.0, 10.0, 100.0), 0.0, 50.0, 10.0).unwrap();
        // The ground point directly below is at −90°: not seen at ≥ 0°, but straight up it is.
        assert!(h.is_some());
        let h = min_visible_alt(gd(50.0, 10.0, 100.0), -90.0, 50.0, 10.0).unwrap();
        assert_eq!(h, Some(0.0));
    }

    #[test]
    fn far_side_of_the_earth_is_never_seen() {
        assert_eq!(
            min_visible_alt(gd(50.0, 10.0, 0.0), 0.0, -50.0, -170.0).unwrap(),
            None
        );
    }

    #[test]
    fn horizon_along_the_equator_is_exact() {
        // On the equator the ellipsoid section is a circle of radius a and the target's normal is radial,
        // so the lowest point seen at 0° from a ground observer lies on the tangent plane x = a:
        // (a + h) cos θ = a.
        let lon: f64 = 9.0;
        let h = min_visible_alt(gd(0.0, 0.0, 0.0), 0.0, 0.0, lon)
            .unwrap()
            .unwrap();
        let exact = WGS84_A_M / lon.to_radians().cos() - WGS84_A_M;
        assert!((h - exact).abs() < 1e-6, "{h} vs {exact}");
    }
}
