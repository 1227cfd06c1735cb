//! Geodesics on the WGS84 ellipsoid: Karney's solution of the inverse and direct problems.
//!
//! The computation is delegated to the `geographiclib-rs` crate, a port of GeographicLib's `Geodesic`
//! class (C. F. F. Karney, "Algorithms for geodesics", J. Geodesy 87, 43–55, 2013), which is accurate to
//! about 15 nm for any pair of points, antipodal ones included. This module adds input checking and the
//! output conventions of `shared/DESIGN.md` §4: longitudes in [−180, 180), azimuths in [0, 360).

use std::sync::OnceLock;

use geographiclib_rs::{DirectGeodesic, Geodesic, GeodesicLine, InverseGeodesic, capability};

use crate::ellipsoid::{check_finite, check_lat, wrap_180_deg, wrap_360_deg};
use crate::{Error, WGS84_A_M, WGS84_F};

fn wgs84() -> &'static Geodesic {
    static G: OnceLock<Geodesic> = OnceLock::new();
    G.get_or_init(|| Geodesic::new(WGS84_A_M, WGS84_F))
}

/// The solution of the inverse problem between two points.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Inverse {
    /// Length of the geodesic, metres.
    pub distance_m: f64,
    /// Forward azimuth at point 1, degrees clockwise from north, [0, 360).
    pub azi1_deg: f64,
    /// Forward azimuth at point 2 (the direction of travel on arrival), degrees, [0, 360).
    pub azi2_deg: f64,
}

/// The solution of the direct problem.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Direct {
    /// Latitude of point 2, degrees.
    pub lat2_deg: f64,
    /// Longitude of point 2, degrees in [−180, 180).
    pub lon2_deg: f64,
    /// Forward azimuth at point 2, degrees, [0, 360).
    pub azi2_deg: f64,
}

/// Shortest geodesic from (`lat1_deg`, `lon1_deg`) to (`lat2_deg`, `lon2_deg`) on WGS84.
pub fn inverse(lat1_deg: f64, lon1_deg: f64, lat2_deg: f64, lon2_deg: f64) -> Result<Inverse, Error> {
    check_lat("lat1_deg", lat1_deg)?;
    check_finite("lon1_deg", lon1_deg)?;
    check_lat("lat2_deg", lat2_deg)?;
    check_finite("lon2_deg", lon2_deg)?;
    Ok(inverse_unchecked(lat1_deg, lon1_deg, lat2_deg, lon2_deg))
}

/// [`inverse`] without input checks, for hot loops whose inputs are already valid. Garbage in (NaN,
/// |lat| > 90°) gives NaN out, never a panic.
pub fn inverse_unchecked(lat1_deg: f64, lon1_deg: f64, lat2_deg: f64, lon2_deg: f64) -> Inverse {
    let (s12, azi1, azi2, _a12): (f64, f64, f64, f64) =
        wgs84().inverse(lat1_deg, lon1_deg, lat2_deg, lon2_deg);
    Inverse {
        distance_m: s12,
        azi1_deg: wrap_360_deg(azi1),
        azi2_deg: wrap_360_deg(azi2),
    }
}

/// The point reached by travelling `distance_m` metres (may be negative) along the geodesic that leaves
/// (`lat1_deg`, `lon1_deg`) at azimuth `azi1_deg` (degrees clockwise from north).
pub fn direct(lat1_deg: f64, lon1_deg: f64, azi1_deg: f64, distance_m: f64) -> Result<Direct, Error> {
    check_lat("lat1_deg", lat1_deg)?;
    check_finite("lon1_deg", lon1_deg)?;
    check_finite("azi1_deg", azi1_deg)?;
    check_finite("distance_m", distance_m)?;
    let (lat2, lon2, azi2): (f64, f64, f64) = wgs84().direct(lat1_deg, lon1_deg, azi1_deg, distance_m);
    Ok(Direct {
        lat2_deg: lat2,
        lon2_deg: wrap_180_deg(lon2),
        azi2_deg: wrap_360_deg(azi2),
    })
}

/// The geodesic leaving (`lat1_deg`, `lon1_deg`) at azimuth `azi1_deg`, set up once for [`direct`] to many
/// distances along it: each [`Line::direct`] is, to the bit, [`direct`] from the same start and azimuth
/// (the library's direct problem is this line's position at the distance).
#[derive(Debug, Clone, Copy)]
pub struct Line {
    line: GeodesicLine,
}

/// What [`direct`] asks of the library (its direct problem adds the distance input).
const DIRECT_CAPS: u64 =
    capability::LATITUDE | capability::LONGITUDE | capability::AZIMUTH | capability::DISTANCE_IN;

impl Line {
    /// The geodesic from (`lat1_deg`, `lon1_deg`) at azimuth `azi1_deg` (degrees clockwise from north).
    pub fn new(lat1_deg: f64, lon1_deg: f64, azi1_deg: f64) -> Result<Line, Error> {
        check_lat("lat1_deg", lat1_deg)?;
        check_finite("lon1_deg", lon1_deg)?;
        check_finite("azi1_deg", azi1_deg)?;
        Ok(Line {
            line: GeodesicLine::new(
                wgs84(),
                lat1_deg,
                lon1_deg,
                azi1_deg,
                Some(DIRECT_CAPS),
                None,
                None,
            ),
        })
    }

    /// The point `distance_m` metres (may be negative) along the line: [`direct`]'s answer.
    pub fn direct(&self, distance_m: f64) -> Result<Direct, Error> {
        check_finite("distance_m", distance_m)?;
        let (_a12, lat2, lon2, azi2, _s12, _m12, _mm12, _mm21, _ss12) =
            self.line._gen_position(false, distance_m, DIRECT_CAPS);
        Ok(Direct {
            lat2_deg: lat2,
            lon2_deg: wrap_180_deg(lon2),
            azi2_deg: wrap_360_deg(azi2),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_gives_direct_to_the_bit() {
        for (lat, lon, azi) in [
            (54.48, 17.1, 63.0),
            (-33.9, 151.2, 271.5),
            (89.9, 0.0, 180.0),
            (0.0, -179.9, 90.0),
        ] {
            let line = Line::new(lat, lon, azi).unwrap();
            for d in [0.0, 1.0, 250e3, 1.234_567e6, 19e6, -3e5] {
                assert_eq!(
                    line.direct(d).unwrap(),
                    direct(lat, lon, azi, d).unwrap(),
                    "{lat} {lon} {azi} {d}"
                );
            }
        }
        assert!(Line::new(91.0, 0.0, 0.0).is_err());
        assert!(Line::new(0.0, 0.0, 0.0).unwrap().direct(f64::NAN).is_err());
    }

    #[test]
    fn jfk_to_singapore() {
        // JFK (40.64, -73.78) to SIN (1.36, 103.99): 15 347.5 km (GeodSolve -i). The full reference suite
        // is in tests/reference.rs.
        let r = inverse(40.64, -73.78, 1.36, 103.99).unwrap();
        assert!((r.distance_m - 15_347_512.94).abs() < 0.01, "{r:?}");
    }

    #[test]
    fn rejects_bad_latitude() {
        assert!(matches!(
            inverse(91.0, 0.0, 0.0, 0.0),
            Err(Error::OutOfRange { .. })
        ));
        assert!(matches!(
            direct(0.0, f64::NAN, 0.0, 1.0),
            Err(Error::NotFinite { .. })
        ));
    }
}
