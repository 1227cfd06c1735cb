//! The rotating Earth: Earth-fixed (ECEF) ⇄ inertial frames.
//!
//! The inertial frame is Earth-centred with Z along the spin axis; the Earth-fixed frame rotates about Z at
//! [`EARTH_ROTATION_RAD_PER_S`] and **coincides with the inertial frame at t = 0** (`shared/DESIGN.md` §3).
//! No precession, nutation, polar motion or Earth-orientation parameters are modelled.

use crate::Vec3;

/// Earth rotation rate ω about inertial +Z, radians per second (WGS84, NGA TR8350.2 table 3.1).
pub const EARTH_ROTATION_RAD_PER_S: f64 = 7.292_115_146_7e-5;

/// The Earth's angular velocity vector ω, rad/s, in either frame (it lies on the common Z axis).
pub const EARTH_ANGULAR_VELOCITY: Vec3 = Vec3::new(0.0, 0.0, EARTH_ROTATION_RAD_PER_S);

/// Rotates `v` about +Z by `angle_rad` (right-handed).
pub fn rotate_z(v: Vec3, angle_rad: f64) -> Vec3 {
    let (s, c) = angle_rad.sin_cos();
    Vec3::new(c * v.x - s * v.y, s * v.x + c * v.y, v.z)
}

/// Earth-fixed position (metres) at time `t_s` seconds after the frames coincided → inertial position.
pub fn ecef_to_inertial_position(r_ecef_m: Vec3, t_s: f64) -> Vec3 {
    rotate_z(r_ecef_m, EARTH_ROTATION_RAD_PER_S * t_s)
}

/// Inertial position (metres) at time `t_s` → Earth-fixed position.
pub fn inertial_to_ecef_position(r_inertial_m: Vec3, t_s: f64) -> Vec3 {
    rotate_z(r_inertial_m, -EARTH_ROTATION_RAD_PER_S * t_s)
}

/// Earth-fixed position and Earth-relative velocity (m, m/s) at time `t_s` → inertial position and
/// velocity: v_i = R(ωt) (v_e + ω × r_e).
pub fn ecef_to_inertial_state(r_ecef_m: Vec3, v_ecef_mps: Vec3, t_s: f64) -> (Vec3, Vec3) {
    let angle = EARTH_ROTATION_RAD_PER_S * t_s;
    let v_abs = v_ecef_mps + EARTH_ANGULAR_VELOCITY.cross(r_ecef_m);
    (rotate_z(r_ecef_m, angle), rotate_z(v_abs, angle))
}

/// Inertial position and velocity (m, m/s) at time `t_s` → Earth-fixed position and Earth-relative
/// velocity: v_e = R(−ωt) v_i − ω × r_e.
pub fn inertial_to_ecef_state(r_inertial_m: Vec3, v_inertial_mps: Vec3, t_s: f64) -> (Vec3, Vec3) {
    let angle = -EARTH_ROTATION_RAD_PER_S * t_s;
    let r_e = rotate_z(r_inertial_m, angle);
    let v_e = rotate_z(v_inertial_mps, angle) - EARTH_ANGULAR_VELOCITY.cross(r_e);
    (r_e, v_e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_coincide_at_t0() {
        let r = Vec3::new(1.0, 2.0, 3.0);
        assert_eq!(ecef_to_inertial_position(r, 0.0), r);
    }

    #[test]
    fn a_ground_point_moves_east_in_inertial_space() {
        let r = Vec3::new(6_378_137.0, 0.0, 0.0);
        let (_, v) = ecef_to_inertial_state(r, Vec3::ZERO, 0.0);
        assert!((v.y - 465.1).abs() < 0.1, "{v:?}");
        // One sidereal day later it is back where it started.
        let day = std::f64::consts::TAU / EARTH_ROTATION_RAD_PER_S;
        let back = ecef_to_inertial_position(r, day);
        assert!((back - r).norm() < 1e-6);
    }

    #[test]
    fn state_round_trip() {
        let r = Vec3::new(3.0e6, -4.0e6, 4.5e6);
        let v = Vec3::new(1000.0, 2000.0, -3000.0);
        let (ri, vi) = ecef_to_inertial_state(r, v, 1234.5);
        let (r2, v2) = inertial_to_ecef_state(ri, vi, 1234.5);
        assert!((r2 - r).norm() < 1e-7);
        assert!((v2 - v).norm() < 1e-9);
    }
}
