//! Threat targeting with a flown boost: the pitch programme (kick angle, launch azimuth) — and for a
//! minimum-energy shot the vehicle's size — that makes a rocket's powered-then-ballistic flight land on a
//! target, found by shooting.
//!
//! For one vehicle and kick, the launch azimuth is corrected until the impact lies on the geodesic
//! azimuth of the target (a fixed-point iteration: the impact azimuth follows the launch azimuth one for
//! one, offset by the Earth's rotation and the gravity turn). The range then depends on the kick alone:
//! it rises to a maximum at the vehicle's maximum-range kick and falls on either side. Hence the shapes
//! ([`PoweredShape`]):
//! - **lofted**: the full vehicle, the steeper of the two kicks that reach the target (less than the
//!   maximum-range kick);
//! - **depressed**: the full vehicle, the flatter of the two;
//! - **minimum energy**: the vehicle resized ([`Vehicle::with_stages_scaled`]: propellant and dry mass
//!   together, burn times kept) until its maximum range is the target's distance, flown at its
//!   maximum-range kick — the smallest vehicle of the family that reaches the target, as the ballistic
//!   minimum-energy trajectory is the slowest burnout state that does.

use geodesy::Geodetic;

use crate::error::{FirstError, in_range};
use crate::powered::{Boost, PoweredOptions, Programme, fly_boost};
use crate::roots::{brent, brent_min};
use crate::trajectory::ground_geodesic;
use crate::{Error, Options, Trajectory, Vehicle, propagate_with};

/// Kick angles searched, degrees.
const KICK_MIN_DEG: f64 = 0.2;
const KICK_MAX_DEG: f64 = 70.0;
/// Launch-azimuth convergence, degrees (2 cm across the track at 10 000 km).
const AZIMUTH_TOL_DEG: f64 = 1e-7;

/// The trajectory shape of a powered shot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoweredShape {
    /// The smallest vehicle of the family that reaches the target, at its maximum-range kick.
    MinimumEnergy,
    /// The full vehicle on the steeper kick that reaches the target.
    Lofted,
    /// The full vehicle on the flatter kick that reaches the target.
    Depressed,
}

/// A powered shot that lands on its target.
#[derive(Debug, Clone)]
pub struct PoweredShot {
    /// The vehicle flown (resized for a minimum-energy shot).
    pub vehicle: Vehicle,
    /// Its scale factor against the vehicle given (1 for lofted and depressed shots).
    pub scale: f64,
    /// The programme found.
    pub programme: Programme,
    /// The powered flight.
    pub boost: Boost,
    /// The ballistic flight from burnout to impact.
    pub coast: Trajectory,
    /// Distance from the impact point to the target, metres.
    pub miss_m: f64,
}

/// One flight and its impact, or why there is none.
struct Shot {
    boost: Boost,
    coast: Trajectory,
    programme: Programme,
    /// Ground distance (m) and azimuth (degrees) from the site to the impact.
    range_m: f64,
    azimuth_deg: f64,
}

struct Aimer<'a> {
    /// The last maximum-range kick found, degrees.
    last_max_kick_deg: std::cell::Cell<Option<f64>>,
    /// The last converged launch azimuth less the target's azimuth, degrees: the next search starts there.
    offset_deg: std::cell::Cell<f64>,
    site: Geodetic,
    template: &'a Programme,
    options: &'a PoweredOptions,
    target_range_m: f64,
    target_azimuth_deg: f64,
}

impl Aimer<'_> {
    /// Flies `vehicle` with `kick_deg`, its launch azimuth corrected until the impact lies on the
    /// target's azimuth. `None` when the flight falls back, does not come down, or no launch azimuth puts
    /// its impact on the target's azimuth (a near-vertical kick lands where the Earth's rotation carries
    /// it, whatever the azimuth: 30 corrections without convergence): no shot of this kick reaches
    /// along the target's azimuth.
    fn shot(&self, vehicle: &Vehicle, kick_deg: f64) -> Result<Option<Shot>, Error> {
        let model = self.options.model;
        let mut az = geodesy::wrap_360_deg(self.target_azimuth_deg + self.offset_deg.get());
        for _ in 0..30 {
            let programme = Programme {
                kick_deg,
                azimuth_deg: az,
                ..*self.template
            };
            let boost = match fly_boost(vehicle, self.site, &programme, self.options) {
                Ok(b) => b,
                Err(Error::Powered { .. }) => return Ok(None),
                Err(e) => return Err(e),
            };
            let opts = Options {
                model,
                ..Options::default()
            };
            let coast = match propagate_with(&boost.burnout, self.options.gravity, &opts) {
                Ok(c) => c,
                Err(e) if e.is_no_impact() => return Ok(None),
                Err(e) => return Err(e),
            };
            let impact = coast.impact().position;
            let (range_m, azimuth_deg) = ground_geodesic(&model, self.site, impact);
            let err = geodesy::wrap_180_deg(self.target_azimuth_deg - azimuth_deg);
            if err.abs() <= AZIMUTH_TOL_DEG {
                self.offset_deg
                    .set(geodesy::wrap_180_deg(az - self.target_azimuth_deg));
                return Ok(Some(Shot {
                    boost,
                    coast,
                    programme,
                    range_m,
                    azimuth_deg,
                }));
            }
            az = geodesy::wrap_360_deg(az + err);
        }
        Ok(None)
    }

    /// The range (m) of a kick, 0 when the flight does not land.
    fn range(&self, vehicle: &Vehicle, kick_deg: f64) -> Result<f64, Error> {
        Ok(self.shot(vehicle, kick_deg)?.map_or(0.0, |s| s.range_m))
    }

    /// The maximum-range kick (degrees) and its range (m).
    fn max_range(&self, vehicle: &Vehicle) -> Result<(f64, f64), Error> {
        // A coarse scan first (the range is unimodal in the kick, but flat near the ends), over the whole
        // span the first time, then around the last maximum (the vehicles searched differ in size only).
        // When the maximum of the narrow scan lies on its edge (the maximum-range kick moved by more than
        // the window between two sizes), the whole span is scanned again: the answer must not depend on
        // which vehicles were searched before.
        let scan = |lo: f64, hi: f64, n: usize| -> Result<(Vec<f64>, usize), Error> {
            let kicks: Vec<f64> = (0..=n).map(|i| lo + (hi - lo) * i as f64 / n as f64).collect();
            let ranges = kicks
                .iter()
                .map(|&k| self.range(vehicle, k))
                .collect::<Result<Vec<f64>, Error>>()?;
            let best = (0..=n)
                .max_by(|&a, &b| ranges[a].total_cmp(&ranges[b]))
                .unwrap_or(0);
            Ok((kicks, best))
        };
        let full = (KICK_MIN_DEG, KICK_MAX_DEG, 14);
        let (lo, hi, n) = match self.last_max_kick_deg.get() {
            None => full,
            Some(k) => ((k - 4.0).max(KICK_MIN_DEG), (k + 4.0).min(KICK_MAX_DEG), 4),
        };
        let (mut kicks, mut best) = scan(lo, hi, n)?;
        let mut n = n;
        let on_edge = (best == 0 && lo > KICK_MIN_DEG) || (best == n && hi < KICK_MAX_DEG);
        if on_edge {
            (kicks, best) = scan(full.0, full.1, full.2)?;
            n = full.2;
        }
        let (a, b) = (kicks[best.saturating_sub(1)], kicks[(best + 1).min(n)]);
        let failure = FirstError::default();
        let (k, neg) = brent_min(|k| -failure.value(self.range(vehicle, k)), a, b, 1e-5);
        failure.check()?;
        self.last_max_kick_deg.set(Some(k));
        Ok((k, -neg))
    }
}

/// Finds the programme (and for a minimum-energy shot the vehicle's scale) that lands `vehicle`, launched
/// from `site`, on `target` (its height is ignored: impact is on the ellipsoid), with the vertical rise
/// and kick duration of `template`.
///
/// Errors: a target beyond the vehicle's maximum range (lofted, depressed) or beyond the family's
/// (minimum energy), invalid inputs, or a search that does not converge to within 1 m.
pub fn aim_at(
    vehicle: &Vehicle,
    site: Geodetic,
    target: Geodetic,
    template: &Programme,
    shape: PoweredShape,
    options: &PoweredOptions,
) -> Result<PoweredShot, Error> {
    in_range(
        "lat_deg",
        target.lat_deg,
        -90.0,
        90.0,
        "a latitude in [-90, 90] degrees",
    )?;
    in_range("lon_deg", target.lon_deg, -1e3, 1e3, "a longitude in degrees")?;
    template.validate()?;
    let model = options.model;
    let ground = Geodetic { h_m: 0.0, ..target };
    let (target_range_m, target_azimuth_deg) = ground_geodesic(&model, site, ground);
    if target_range_m < 1e3 {
        return Err(Error::Targeting {
            reason: format!("the target is {target_range_m:.0} m from the launch site: too close to aim at"),
        });
    }
    let aimer = Aimer {
        offset_deg: std::cell::Cell::new(0.0),
        last_max_kick_deg: std::cell::Cell::new(None),
        site,
        template,
        options,
        target_range_m,
        target_azimuth_deg,
    };
    let (sized, scale, kick) = match shape {
        PoweredShape::Lofted | PoweredShape::Depressed => {
            let (k_max, r_max) = aimer.max_range(vehicle)?;
            if r_max < target_range_m {
                return Err(Error::Targeting {
                    reason: format!(
                        "the target is {:.0} km away, beyond the vehicle's maximum range of {:.0} km",
                        target_range_m / 1e3,
                        r_max / 1e3
                    ),
                });
            }
            let (a, b) = if shape == PoweredShape::Lofted {
                (KICK_MIN_DEG, k_max)
            } else {
                (k_max, KICK_MAX_DEG)
            };
            let failure = FirstError::default();
            let k = brent(
                |k| failure.value(aimer.range(vehicle, k)) - target_range_m,
                a,
                b,
                1e-9,
            );
            failure.check()?;
            let k = k.ok_or_else(|| Error::Targeting {
                reason: format!(
                    "no {} kick reaches the target",
                    if shape == PoweredShape::Lofted {
                        "steeper"
                    } else {
                        "flatter"
                    }
                ),
            })?;
            (vehicle.clone(), 1.0, k)
        }
        PoweredShape::MinimumEnergy => {
            let excess = |s: f64| -> Result<f64, Error> {
                let v = vehicle.with_stages_scaled(s)?;
                Ok(aimer.max_range(&v)?.1 - aimer.target_range_m)
            };
            // Bracket the scale: the maximum range grows with the vehicle.
            let (mut lo, mut hi) = (1.0, 1.0);
            if excess(1.0)? < 0.0 {
                while excess(hi)? < 0.0 {
                    hi *= 1.5;
                    if hi > 100.0 {
                        return Err(Error::Targeting {
                            reason: "the target is beyond the range of this vehicle even 100 times larger"
                                .into(),
                        });
                    }
                }
                lo = hi / 1.5;
            } else {
                while excess(lo)? >= 0.0 {
                    lo /= 1.5;
                    if lo < 1e-2 {
                        return Err(Error::Targeting {
                            reason: "the target is reached by a vehicle a hundred times smaller: too close"
                                .into(),
                        });
                    }
                }
                hi = lo * 1.5;
            }
            let failure = FirstError::default();
            let s = brent(|s| failure.value(excess(s)), lo, hi, 1e-9);
            failure.check()?;
            let s = s.ok_or_else(|| Error::Targeting {
                reason: "the minimum-energy vehicle size could not be bracketed".into(),
            })?;
            let sized = vehicle.with_stages_scaled(s)?;
            let (k, _) = aimer.max_range(&sized)?;
            (sized, s, k)
        }
    };
    let shot = aimer.shot(&sized, kick)?.ok_or_else(|| Error::Targeting {
        reason: "the solution found does not fly".into(),
    })?;
    let impact = shot.coast.impact().position;
    let miss_m = ground_geodesic(&model, impact, ground).0;
    // The minimum-energy shot sits on the flat top of the range curve: its range is held by the scale,
    // to within the kick's resolution there.
    if miss_m > 1.0 {
        return Err(Error::Targeting {
            reason: format!(
                "the shot lands {miss_m:.1} m from the target (range {:.1} km, azimuth {:.6}°)",
                shot.range_m / 1e3,
                shot.azimuth_deg
            ),
        });
    }
    Ok(PoweredShot {
        vehicle: sized,
        scale,
        programme: shot.programme,
        boost: shot.boost,
        coast: shot.coast,
        miss_m,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vehicle::{DragTable, Stage};

    /// A two-stage solid medium-range test rocket (not a claim about any real missile).
    fn mrbm() -> Vehicle {
        let cd = DragTable::try_new(
            vec![0.0, 0.8, 1.0, 1.2, 2.0, 4.0],
            vec![0.25, 0.3, 0.45, 0.5, 0.4, 0.3],
        )
        .unwrap();
        let stage = |prop: f64, dry: f64, burn: f64, isp: f64, ae: f64, area: f64| Stage {
            propellant_kg: prop,
            dry_kg: dry,
            burn_time_s: burn,
            isp_vac_s: isp,
            nozzle_exit_area_m2: ae,
            reference_area_m2: area,
            drag: cd.clone(),
            coast_after_s: 0.0,
        };
        Vehicle::try_new(
            vec![
                stage(14_000.0, 1_800.0, 60.0, 260.0, 0.6, 1.5),
                stage(4_000.0, 600.0, 50.0, 275.0, 0.3, 1.2),
            ],
            750.0,
        )
        .unwrap()
    }

    #[test]
    fn lands_minimum_energy_lofted_and_depressed_shots_on_the_target() {
        let semnan = Geodetic {
            lat_deg: 35.23,
            lon_deg: 53.92,
            h_m: 1_100.0,
        };
        let ankara = Geodetic {
            lat_deg: 39.93,
            lon_deg: 32.86,
            h_m: 0.0,
        };
        let template = Programme {
            vertical_rise_s: 8.0,
            kick_deg: 0.0,
            kick_duration_s: 10.0,
            azimuth_deg: 0.0,
        };
        let options = PoweredOptions {
            rtol: 1e-10,
            ..PoweredOptions::default()
        };
        let v = mrbm();
        let mut apogees = Vec::new();
        for shape in [
            PoweredShape::Lofted,
            PoweredShape::MinimumEnergy,
            PoweredShape::Depressed,
        ] {
            let s = aim_at(&v, semnan, ankara, &template, shape, &options).unwrap();
            assert!(s.miss_m <= 1.0, "{shape:?}: {}", s.miss_m);
            // Flown again from the programme found: it lands on the target.
            let b = fly_boost(&s.vehicle, semnan, &s.programme, &options).unwrap();
            let t = crate::propagate(&b.burnout, options.gravity).unwrap();
            let d = ground_geodesic(&options.model, t.impact().position, ankara).0;
            assert!(d < 1.0, "{shape:?}: lands {d} m away");
            if shape == PoweredShape::MinimumEnergy {
                assert!(s.scale < 1.0, "{}", s.scale);
            } else {
                assert_eq!(s.scale, 1.0);
            }
            apogees.push(s.coast.apogee().position.h_m);
        }
        assert!(apogees[0] > apogees[1] && apogees[1] > apogees[2], "{apogees:?}");
        // Beyond its reach.
        let london = Geodetic {
            lat_deg: 51.5,
            lon_deg: -0.13,
            h_m: 0.0,
        };
        let e = aim_at(&v, semnan, london, &template, PoweredShape::Lofted, &options).unwrap_err();
        assert!(
            e.to_string().contains("beyond the vehicle's maximum range"),
            "{e}"
        );
    }
}
