//! The radar model: where a radar can look and how far it can see.
//!
//! A radar stands at a geodetic position (site plus antenna height) and covers a field of regard: azimuths
//! within `azimuth_half_width_deg` of its boresight and elevations between `min_elevation_deg` and
//! `max_elevation_deg` above its geodetic horizon (no refraction). The Earth blocks lines of sight that
//! pass inside the WGS84 ellipsoid. Detection range follows the radar equation at fixed power, aperture
//! and dwell: range ∝ RCS^(1/4), scaled from a reference range for a reference RCS.

use geodesy::{Enu, Geodetic, Vec3, earth_blocks, look_angle_ecef, min_visible_alt, wrap_180_deg};

use crate::scenario::{RadarDef, Site};

/// Why a radar was rejected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RadarError {
    /// A parameter was out of its valid range.
    #[error("radar parameter {name} = {value} is invalid: {why}")]
    Invalid {
        /// Parameter name.
        name: &'static str,
        /// Value given.
        value: f64,
        /// What it must be.
        why: &'static str,
    },
}

/// A radar's position, field of regard and sensitivity.
#[derive(Debug, Clone, PartialEq)]
pub struct Radar {
    /// Name, for reports.
    pub name: String,
    /// Antenna position (geodetic, height above the ellipsoid).
    pub position: Geodetic,
    /// Boresight azimuth, degrees clockwise from north.
    pub boresight_azimuth_deg: f64,
    /// Half-width of the field of regard in azimuth, degrees (180 = all round).
    pub azimuth_half_width_deg: f64,
    /// Lowest elevation of the field of regard, degrees above the geodetic horizon.
    pub min_elevation_deg: f64,
    /// Highest elevation of the field of regard, degrees.
    pub max_elevation_deg: f64,
    /// Detection range for a target of `reference_rcs_m2`, metres.
    pub reference_range_m: f64,
    /// Radar cross-section for which `reference_range_m` holds, m².
    pub reference_rcs_m2: f64,
    frame: Enu,
}

/// Whether, and if not why not, a radar sees a point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// In the field of regard, above the horizon and within detection range.
    Visible,
    /// The line of sight passes through the Earth.
    EarthBlocked,
    /// Below the minimum elevation.
    BelowMinElevation,
    /// Above the maximum elevation (the cone overhead).
    AboveMaxElevation,
    /// Outside the azimuth limits of the field of regard.
    OutsideAzimuth,
    /// Farther than the detection range for the target's RCS.
    BeyondRange,
}

impl Radar {
    /// A checked radar. Angles in degrees, distances in metres, RCS in m².
    #[allow(clippy::too_many_arguments)]
    pub fn try_new(
        name: &str,
        position: Geodetic,
        boresight_azimuth_deg: f64,
        azimuth_half_width_deg: f64,
        min_elevation_deg: f64,
        max_elevation_deg: f64,
        reference_range_m: f64,
        reference_rcs_m2: f64,
    ) -> Result<Radar, RadarError> {
        let bad = |name, value, why| Err(RadarError::Invalid { name, value, why });
        if !(position.lat_deg.is_finite() && position.lat_deg.abs() <= 90.0) {
            return bad("latitude", position.lat_deg, "must be in [-90, 90] degrees");
        }
        if !position.lon_deg.is_finite() || !position.h_m.is_finite() {
            return bad("longitude/height", position.lon_deg, "must be finite");
        }
        if !boresight_azimuth_deg.is_finite() {
            return bad("boresight_azimuth_deg", boresight_azimuth_deg, "must be finite");
        }
        if !(azimuth_half_width_deg > 0.0 && azimuth_half_width_deg <= 180.0) {
            return bad(
                "azimuth_half_width_deg",
                azimuth_half_width_deg,
                "must be in (0, 180]",
            );
        }
        if !(min_elevation_deg >= -90.0 && min_elevation_deg < max_elevation_deg && max_elevation_deg <= 90.0)
        {
            return bad(
                "min_elevation_deg",
                min_elevation_deg,
                "must be below max_elevation_deg, both in [-90, 90]",
            );
        }
        if !(reference_range_m > 0.0 && reference_range_m.is_finite()) {
            return bad("reference_range_m", reference_range_m, "must be positive");
        }
        if !(reference_rcs_m2 > 0.0 && reference_rcs_m2.is_finite()) {
            return bad("reference_rcs_m2", reference_rcs_m2, "must be positive");
        }
        Ok(Radar {
            name: name.to_string(),
            position,
            boresight_azimuth_deg,
            azimuth_half_width_deg,
            min_elevation_deg,
            max_elevation_deg,
            reference_range_m,
            reference_rcs_m2,
            frame: Enu::at(position),
        })
    }

    /// The radar of a scenario definition standing on `site`, with every parameter at its `value`.
    pub fn from_def(def: &RadarDef, site: &Site) -> Result<Radar, RadarError> {
        Radar::try_new(
            &def.name,
            Geodetic {
                lat_deg: site.lat_deg,
                lon_deg: site.lon_deg,
                h_m: site.h_m + def.antenna_height_m.value,
            },
            def.boresight_azimuth_deg.value,
            def.azimuth_half_width_deg.value,
            def.min_elevation_deg.value,
            def.max_elevation_deg.value,
            def.reference_range_m.value,
            def.reference_rcs_m2.value,
        )
    }

    /// The antenna's ECEF position, metres.
    pub fn position_ecef_m(&self) -> Vec3 {
        self.frame.origin_ecef_m
    }

    /// Detection range for a target of radar cross-section `rcs_m2`, metres: R_ref (σ / σ_ref)^(1/4).
    pub fn detection_range_m(&self, rcs_m2: f64) -> f64 {
        self.reference_range_m * (rcs_m2 / self.reference_rcs_m2).powf(0.25)
    }

    /// Whether the radar sees a target of RCS `rcs_m2` at ECEF position `target_ecef_m` (metres).
    pub fn visibility(&self, target_ecef_m: Vec3, rcs_m2: f64) -> Visibility {
        let la = look_angle_ecef(&self.frame, target_ecef_m);
        if la.elevation_deg < self.min_elevation_deg {
            return Visibility::BelowMinElevation;
        }
        if la.elevation_deg > self.max_elevation_deg {
            return Visibility::AboveMaxElevation;
        }
        if let Some(az) = la.azimuth_deg
            && self.azimuth_half_width_deg < 180.0
            && wrap_180_deg(az - self.boresight_azimuth_deg).abs() > self.azimuth_half_width_deg
        {
            return Visibility::OutsideAzimuth;
        }
        if la.slant_range_m > self.detection_range_m(rcs_m2) {
            return Visibility::BeyondRange;
        }
        if earth_blocks(self.frame.origin_ecef_m, target_ecef_m) {
            return Visibility::EarthBlocked;
        }
        Visibility::Visible
    }

    /// True when [`Radar::visibility`] is [`Visibility::Visible`].
    pub fn sees(&self, target_ecef_m: Vec3, rcs_m2: f64) -> bool {
        self.visibility(target_ecef_m, rcs_m2) == Visibility::Visible
    }

    /// The intervals of time in [`t0_s`, `t1_s`] during which the radar sees a target whose ECEF position
    /// (metres) at time t (seconds) is `track(t)`. The track is sampled every `step_s` seconds and each
    /// change of visibility located by bisection to 1 ms, so intervals shorter than `step_s` can be missed.
    pub fn track_intervals(
        &self,
        track: &dyn Fn(f64) -> Vec3,
        t0_s: f64,
        t1_s: f64,
        step_s: f64,
        rcs_m2: f64,
    ) -> Vec<(f64, f64)> {
        let mut out = Vec::new();
        if !(t1_s > t0_s && step_s > 0.0) {
            return out;
        }
        let seen = |t: f64| self.sees(track(t), rcs_m2);
        let edge = |mut a: f64, mut b: f64, sa: bool| {
            while b - a > 1e-3 {
                let m = 0.5 * (a + b);
                if seen(m) == sa {
                    a = m;
                } else {
                    b = m;
                }
            }
            if sa { a } else { b }
        };
        let n = ((t1_s - t0_s) / step_s).ceil() as usize;
        let mut prev_t = t0_s;
        let mut prev = seen(t0_s);
        let mut start = prev.then_some(t0_s);
        for i in 1..=n {
            let t = (t0_s + i as f64 * step_s).min(t1_s);
            let now = seen(t);
            if now != prev {
                let e = edge(prev_t, t, prev);
                if now {
                    start = Some(e);
                } else if let Some(s) = start.take() {
                    out.push((s, e));
                }
            }
            prev = now;
            prev_t = t;
        }
        if let Some(s) = start {
            out.push((s, t1_s));
        }
        out
    }

    /// The first time the radar sees the track (see [`Radar::track_intervals`]).
    pub fn first_detection_s(
        &self,
        track: &dyn Fn(f64) -> Vec3,
        t0_s: f64,
        t1_s: f64,
        step_s: f64,
        rcs_m2: f64,
    ) -> Option<f64> {
        self.track_intervals(track, t0_s, t1_s, step_s, rcs_m2)
            .first()
            .map(|iv| iv.0)
    }

    /// The lowest height (metres above the ellipsoid, along the normal) above the ground point
    /// (`lat_deg`, `lon_deg`) at which the radar sees a target of RCS `rcs_m2`: within its field of regard,
    /// above its minimum elevation and horizon, and within detection range. `None` when no height is seen.
    /// Located to 1 m, or to 1 mm when the limiting constraint is the horizon or the range.
    pub fn lowest_visible_alt_m(&self, lat_deg: f64, lon_deg: f64, rcs_m2: f64) -> Option<f64> {
        let ground = Geodetic {
            lat_deg,
            lon_deg,
            h_m: 0.0,
        };
        let g = ground.to_ecef();
        let n = ground.up();
        let at = |h: f64| g + n * h;
        // Horizon and minimum elevation, in closed form.
        let h0 = min_visible_alt(self.position, self.min_elevation_deg, lat_deg, lon_deg).ok()??;
        // Range: |D + h n| ≤ R is an interval in h.
        let d = g - self.frame.origin_ecef_m;
        let r = self.detection_range_m(rcs_m2);
        let dn = d.dot(n);
        let disc = dn * dn - d.norm_squared() + r * r;
        if disc < 0.0 {
            return None;
        }
        let (hr1, hr2) = (-dn - disc.sqrt(), -dn + disc.sqrt());
        let lo = h0.max(hr1).max(0.0);
        if hr2 < lo {
            return None;
        }
        // The closed-form horizon height sits exactly on the elevation limit; test 1 mm above it so that
        // round-off cannot put it a hair below.
        if self.sees(at(lo), rcs_m2) || self.sees(at(lo + 1e-3), rcs_m2) {
            return Some(lo);
        }
        // Azimuth or maximum-elevation limits: scan upward, then bisect the first transition.
        let samples = 2000;
        let step = (hr2 - lo) / samples as f64;
        let mut prev = lo;
        for i in 1..=samples {
            let h = lo + step * i as f64;
            if self.sees(at(h), rcs_m2) {
                let (mut a, mut b) = (prev, h);
                while b - a > 1.0 {
                    let m = 0.5 * (a + b);
                    if self.sees(at(m), rcs_m2) {
                        b = m;
                    } else {
                        a = m;
                    }
                }
                return Some(b);
            }
            prev = h;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_round(h_m: f64) -> Radar {
        let pos = Geodetic {
            lat_deg: 49.635,
            lon_deg: 13.748,
            h_m,
        };
        Radar::try_new("test", pos, 115.0, 180.0, 0.0, 90.0, 2.0e6, 0.01).unwrap()
    }

    #[test]
    fn range_scales_with_fourth_root_of_rcs() {
        let r = all_round(0.0);
        assert!((r.detection_range_m(0.01) - 2.0e6).abs() < 1e-6);
        assert!((r.detection_range_m(0.16) - 4.0e6).abs() < 1e-6);
        assert!((r.detection_range_m(0.01 / 16.0) - 1.0e6).abs() < 1e-6);
    }

    #[test]
    fn a_target_straight_overhead_is_seen_at_the_reference_range() {
        let r = all_round(500.0);
        let up = |h: f64| {
            Geodetic {
                lat_deg: 49.635,
                lon_deg: 13.748,
                h_m: 500.0 + h,
            }
            .to_ecef()
        };
        assert!(r.sees(up(2.0e6 - 1.0), 0.01));
        assert!(r.sees(up(2.0e6 - 1e-6), 0.01));
        assert_eq!(r.visibility(up(2.0e6 + 1.0), 0.01), Visibility::BeyondRange);
    }

    #[test]
    fn rejects_bad_parameters() {
        let pos = Geodetic {
            lat_deg: 95.0,
            lon_deg: 0.0,
            h_m: 0.0,
        };
        assert!(Radar::try_new("x", pos, 0.0, 60.0, 0.0, 90.0, 1e6, 1.0).is_err());
        let pos = Geodetic {
            lat_deg: 0.0,
            lon_deg: 0.0,
            h_m: 0.0,
        };
        assert!(Radar::try_new("x", pos, 0.0, 0.0, 0.0, 90.0, 1e6, 1.0).is_err());
        assert!(Radar::try_new("x", pos, 0.0, 60.0, 10.0, 5.0, 1e6, 1.0).is_err());
        assert!(Radar::try_new("x", pos, 0.0, 60.0, 0.0, 90.0, -1.0, 1.0).is_err());
    }

    #[test]
    fn azimuth_limits_apply_across_north() {
        let pos = Geodetic {
            lat_deg: 0.0,
            lon_deg: 0.0,
            h_m: 0.0,
        };
        let r = Radar::try_new("x", pos, 350.0, 20.0, 0.0, 90.0, 1e7, 1.0).unwrap();
        let at = |lat: f64, lon: f64| {
            Geodetic {
                lat_deg: lat,
                lon_deg: lon,
                h_m: 300_000.0,
            }
            .to_ecef()
        };
        assert!(r.sees(at(3.0, 0.5), 1.0), "azimuth ~10° is within 350° ± 20°");
        assert_eq!(r.visibility(at(0.0, 3.0), 1.0), Visibility::OutsideAzimuth);
    }

    #[test]
    fn lowest_visible_altitude_is_the_horizon_when_unlimited() {
        let r = all_round(718.0);
        let h = r.lowest_visible_alt_m(35.69, 51.39, 1e6).unwrap();
        let want = min_visible_alt(r.position, 0.0, 35.69, 51.39).unwrap().unwrap();
        assert_eq!(h, want);
        // With the reference RCS the range limit (2000 km) hides Tehran (3400 km away) entirely.
        assert_eq!(r.lowest_visible_alt_m(35.69, 51.39, 0.01), None);
    }

    #[test]
    fn track_intervals_find_rise_and_set() {
        let r = all_round(0.0);
        // A point rising straight up 100 km east of the radar at 1 km/s, then falling.
        let base = geodesy::direct(49.635, 13.748, 90.0, 100_000.0).unwrap();
        let track = |t: f64| {
            let h = if t < 500.0 {
                1000.0 * t
            } else {
                1000.0 * (1000.0 - t)
            };
            Geodetic {
                lat_deg: base.lat2_deg,
                lon_deg: base.lon2_deg,
                h_m: h,
            }
            .to_ecef()
        };
        let iv = r.track_intervals(&track, 0.0, 1000.0, 5.0, 1.0);
        assert_eq!(iv.len(), 1, "{iv:?}");
        let (rise, set) = iv[0];
        // Seen once above the radar's horizon: about 785 m up at 100 km (d²/2R), i.e. t ≈ 0.8 s.
        assert!(rise > 0.5 && rise < 1.2, "{rise}");
        assert!((set - (1000.0 - rise)).abs() < 0.01, "{set}");
    }
}
