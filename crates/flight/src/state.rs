//! Burnout states (the `fly` contract input) and inertial states.

use geodesy::{Geodetic, Vec3, wrap_360_deg};

use crate::error::{finite, in_range};
use crate::{EarthModel, Error};

/// Lowest accepted burnout height, metres (1 km below the ellipsoid).
pub const MIN_BURNOUT_ALT_M: f64 = -1_000.0;

/// Position and velocity in the inertial frame (Earth-centred, Z = spin axis, coinciding with the
/// Earth-fixed frame at burnout, t = 0).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InertialState {
    /// Position, metres, inertial.
    pub r_inertial_m: Vec3,
    /// Velocity, m/s, inertial.
    pub v_inertial_mps: Vec3,
}

impl InertialState {
    /// Specific orbital energy v²/2 − μ/r, J/kg, under point-mass gravity `mu_m3ps2`.
    pub fn energy_j_per_kg(&self, mu_m3ps2: f64) -> f64 {
        0.5 * self.v_inertial_mps.norm_squared() - mu_m3ps2 / self.r_inertial_m.norm()
    }

    /// Perigee radius (m) of the osculating point-mass orbit.
    pub fn perigee_radius_m(&self, mu_m3ps2: f64) -> f64 {
        let h = self.r_inertial_m.cross(self.v_inertial_mps);
        let e_vec = self.v_inertial_mps.cross(h) / mu_m3ps2 - self.r_inertial_m.unit();
        let p = h.norm_squared() / mu_m3ps2;
        p / (1.0 + e_vec.norm())
    }
}

/// A burnout state as `shared/DESIGN.md` §3 defines it: where the powered flight ends and with which
/// Earth-relative velocity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BurnoutState {
    /// Geodetic latitude of the burnout point, degrees in [−90, 90].
    pub lat_deg: f64,
    /// Longitude of the burnout point, degrees east.
    pub lon_deg: f64,
    /// Height above the WGS84 ellipsoid, metres (≥ −1000).
    pub alt_m: f64,
    /// Earth-relative speed, m/s (≥ 0).
    pub speed_mps: f64,
    /// Azimuth of the Earth-relative velocity, degrees clockwise from geodetic north.
    pub azimuth_deg: f64,
    /// Flight-path angle above the local geodetic horizontal plane, degrees in [−90, 90].
    pub flight_path_angle_deg: f64,
}

impl BurnoutState {
    /// A checked burnout state: finite values, |lat| ≤ 90°, height ≥ −1 km, speed ≥ 0, |fpa| ≤ 90°.
    pub fn try_new(
        lat_deg: f64,
        lon_deg: f64,
        alt_m: f64,
        speed_mps: f64,
        azimuth_deg: f64,
        flight_path_angle_deg: f64,
    ) -> Result<Self, Error> {
        let s = BurnoutState {
            lat_deg,
            lon_deg,
            alt_m,
            speed_mps,
            azimuth_deg,
            flight_path_angle_deg,
        };
        s.validate()?;
        Ok(s)
    }

    /// Checks the fields (see [`BurnoutState::try_new`]).
    pub fn validate(&self) -> Result<(), Error> {
        in_range(
            "lat_deg",
            self.lat_deg,
            -90.0,
            90.0,
            "a latitude in [-90, 90] degrees",
        )?;
        finite("lon_deg", self.lon_deg)?;
        in_range(
            "alt_m",
            self.alt_m,
            MIN_BURNOUT_ALT_M,
            f64::MAX,
            "a height of at least -1000 m above the ellipsoid",
        )?;
        in_range("speed_mps", self.speed_mps, 0.0, f64::MAX, "a non-negative speed")?;
        finite("azimuth_deg", self.azimuth_deg)?;
        in_range(
            "flight_path_angle_deg",
            self.flight_path_angle_deg,
            -90.0,
            90.0,
            "an angle in [-90, 90] degrees",
        )?;
        Ok(())
    }

    /// The burnout point.
    pub fn position(&self) -> Geodetic {
        Geodetic {
            lat_deg: self.lat_deg,
            lon_deg: self.lon_deg,
            h_m: self.alt_m,
        }
    }

    /// Earth-fixed position (m) and Earth-relative velocity (m/s) on `model`'s figure.
    pub fn to_ecef(&self, model: &EarthModel) -> (Vec3, Vec3) {
        let (r, (e, n, u)) = model.ecef_and_enu_axes(self.position());
        let (sg, cg) = geodesy::sincos_deg(self.flight_path_angle_deg);
        let (sa, ca) = geodesy::sincos_deg(self.azimuth_deg);
        let v = (e * (cg * sa) + n * (cg * ca) + u * sg) * self.speed_mps;
        (r, v)
    }

    /// The inertial state at burnout (t = 0, frames coincide): v_inertial = v_relative + ω × r.
    pub fn to_inertial(&self, model: &EarthModel) -> InertialState {
        let (r, v) = self.to_ecef(model);
        InertialState {
            r_inertial_m: r,
            v_inertial_mps: v + model.omega().cross(r),
        }
    }

    /// The burnout state of an Earth-fixed position (m) and Earth-relative velocity (m/s).
    pub fn from_ecef(model: &EarthModel, r_ecef_m: Vec3, v_ecef_mps: Vec3) -> Self {
        let p = model.to_geodetic(r_ecef_m);
        let (e, n, u) = model.enu_axes(p);
        let (ve, vn, vu) = (v_ecef_mps.dot(e), v_ecef_mps.dot(n), v_ecef_mps.dot(u));
        let horiz = ve.hypot(vn);
        BurnoutState {
            lat_deg: p.lat_deg,
            lon_deg: p.lon_deg,
            alt_m: p.h_m,
            speed_mps: v_ecef_mps.norm(),
            azimuth_deg: wrap_360_deg(ve.atan2(vn).to_degrees()),
            flight_path_angle_deg: vu.atan2(horiz).to_degrees(),
        }
    }

    /// The burnout state of an inertial state at burnout (t = 0).
    pub fn from_inertial(model: &EarthModel, s: &InertialState) -> Self {
        let v_rel = s.v_inertial_mps - model.omega().cross(s.r_inertial_m);
        Self::from_ecef(model, s.r_inertial_m, v_rel)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_through_inertial() {
        let m = EarthModel::contract();
        let b = BurnoutState::try_new(35.0, 51.0, 200e3, 6500.0, 315.0, 30.0).unwrap();
        let s = b.to_inertial(&m);
        let back = BurnoutState::from_inertial(&m, &s);
        assert!((back.lat_deg - 35.0).abs() < 1e-12);
        assert!((back.lon_deg - 51.0).abs() < 1e-12);
        assert!((back.alt_m - 200e3).abs() < 1e-6);
        assert!((back.speed_mps - 6500.0).abs() < 1e-9);
        assert!((back.azimuth_deg - 315.0).abs() < 1e-10);
        assert!((back.flight_path_angle_deg - 30.0).abs() < 1e-10);
    }

    #[test]
    fn rejects_bad_fields() {
        assert!(BurnoutState::try_new(0.0, 0.0, -1001.0, 1.0, 0.0, 0.0).is_err());
        assert!(BurnoutState::try_new(0.0, 0.0, 0.0, -1.0, 0.0, 0.0).is_err());
        assert!(BurnoutState::try_new(f64::NAN, 0.0, 0.0, 1.0, 0.0, 0.0).is_err());
        assert!(BurnoutState::try_new(0.0, 0.0, 0.0, 1.0, 0.0, 91.0).is_err());
    }
}
