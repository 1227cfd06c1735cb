//! The seeded aim: a vehicle's range curves flown once ([`RangeTable`]) seed each shot, so that a shot
//! needs a few searching flights and one to three strict ones instead of a search from scratch.
//!
//! The table holds, for one vehicle and steering template, flown from a reference launch (the equator,
//! due north, at [`SEARCH_RTOL`], the launch azimuth held fixed):
//! - the full vehicle's range at kicks every [`TABLE_KICK_STEP_DEG`] and its maximum-range kick;
//! - the maximum-range kick and maximum range of the vehicle scaled ([`Vehicle::with_stages_scaled`]) by
//!   factors [`TABLE_SCALE_STEP`] apart, from a tenth to three times its size (fewer where it no longer
//!   lands or no longer comes down).
//!
//! A shot from another site toward another azimuth ranges differently (the Earth's rotation adds or
//! takes some hundreds of m/s): the table gives the starting point and the slopes, the shot's own flights
//! correct them. Minimum energy: rounds of (the maximum-range kick of the current scale by a parabola
//! through flights at a fixed launch azimuth, then a secant step of the scale on that maximum range);
//! once the scale moves by less than 1e-3 of itself, a round as the exhaustive search flies (each kick's
//! launch azimuth corrected, the strict tolerance), done when the scale then moves by less than 1e-4;
//! lofted and depressed: the full vehicle's maximum range here (the same parabola), then a secant on
//! the kick from the table's kick curve rescaled to it. Both end with the strict secant on the scale or
//! the kick (`polish`), as the fast search does.

use geodesy::Geodetic;

use super::{
    Aimer, BRANCH_STEP_DEG, KICK_MAX_DEG, KICK_MIN_DEG, MAX_RANGE_MARGIN_M, PARABOLA_FINAL_DEG, PoweredShape,
    PoweredShot, SEARCH_RTOL, Shot, Tier, beyond, finish, polish,
};
use crate::powered::{PoweredOptions, Programme, fly_boost};
use crate::trajectory::ground_geodesic;
use crate::{Error, Options, Vehicle, propagate_with};

/// Kick spacing of the table's kick curve, degrees.
pub const TABLE_KICK_STEP_DEG: f64 = 2.5;
/// Ratio between successive scales of the table.
pub const TABLE_SCALE_STEP: f64 = 1.3;
/// Scales tabulated: from 1 down to this and up to [`TABLE_SCALE_MAX`] (fewer where the vehicle no
/// longer lands, or no longer comes down).
const TABLE_SCALE_MIN: f64 = 0.1;
const TABLE_SCALE_MAX: f64 = 3.0;
/// The table's maximum-range kicks are final once a parabola's half-width is below this, degrees (a
/// seed: the shot's own flights refine it).
const TABLE_FINAL_DEG: f64 = 1.0;
/// Rounds of a seeded minimum-energy search before it leaves the shot to the unseeded searches.
const SEEDED_ROUNDS: usize = 8;
/// A seeded lofted or depressed shot whose target lies within this fraction of the maximum range leaves
/// the decision to the unseeded searches (the kick curve is flat there).
const NEAR_MAX_FRACTION: f64 = 0.01;
/// Half-width of the maximum-range parabolas of a seeded minimum-energy search's later rounds, degrees
/// (one parabola a round).
const FINE_HALF_WIDTH_DEG: f64 = 0.2;
/// The seeded kick secant hands over to the strict secant once the range is this close, metres.
const KICK_SECANT_M: f64 = 20.0;

/// A vehicle's range curves flown once, the seeds of [`aim_at_seeded`]. Built by [`RangeTable::build`].
#[derive(Debug, Clone, PartialEq)]
pub struct RangeTable {
    /// (kick, degrees; range, m) of the full vehicle, kick ascending.
    kicks: Vec<(f64, f64)>,
    /// The full vehicle's maximum-range kick (degrees) and its range (m).
    full_max: (f64, f64),
    /// (scale, maximum-range kick in degrees, maximum range in m), scale ascending.
    scales: Vec<(f64, f64, f64)>,
    /// Powered flights flown to build the table.
    flights: usize,
    /// Integrator steps of those flights.
    steps: usize,
}

/// The reference launch of the table: the equator, due north.
pub const REFERENCE_SITE: Geodetic = Geodetic {
    lat_deg: 0.0,
    lon_deg: 0.0,
    h_m: 0.0,
};
/// The launch azimuth of the table's reference launch, degrees (due north).
pub const REFERENCE_AZIMUTH_DEG: f64 = 0.0;

impl RangeTable {
    /// Flies the range curves of `vehicle` with the vertical rise and kick duration of `template` under
    /// `options` (model, gravity, atmosphere; the flights at [`SEARCH_RTOL`] or `options.rtol` if looser)
    /// from the reference launch. About a hundred flights.
    ///
    /// Errors: invalid inputs, an integration failure, or a vehicle whose full size lands at no kick.
    pub fn build(vehicle: &Vehicle, template: &Programme, options: &PoweredOptions) -> Result<Self, Error> {
        template.validate()?;
        let aimer = Aimer::new(REFERENCE_SITE, template, options, 0.0, REFERENCE_AZIMUTH_DEG);
        let az = REFERENCE_AZIMUTH_DEG;
        let n = ((KICK_MAX_DEG - KICK_MIN_DEG) / TABLE_KICK_STEP_DEG).ceil() as usize;
        let mut kicks = Vec::with_capacity(n + 1);
        for i in 0..=n {
            let k = (KICK_MIN_DEG + TABLE_KICK_STEP_DEG * i as f64).min(KICK_MAX_DEG);
            kicks.push((k, aimer.range_fixed(vehicle, k, az)?));
        }
        let best = kicks
            .iter()
            .copied()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap_or((KICK_MIN_DEG, 0.0));
        if best.1 <= 0.0 {
            return Err(Error::Targeting {
                reason: "the vehicle lands at no kick: no range table".into(),
            });
        }
        let full_max = parabola_max(
            |k| aimer.range_fixed(vehicle, k, az),
            best.0,
            TABLE_KICK_STEP_DEG,
            best.1,
            TABLE_FINAL_DEG,
        )?;
        let mut scales = vec![(1.0, full_max.0, full_max.1)];
        // Downward, then upward from the full vehicle, each scale's parabola seeded by its neighbour's
        // kick.
        for dir in [1.0 / TABLE_SCALE_STEP, TABLE_SCALE_STEP] {
            let (mut s, mut k) = (1.0, full_max.0);
            loop {
                s *= dir;
                if !(TABLE_SCALE_MIN..=TABLE_SCALE_MAX).contains(&s) {
                    break;
                }
                let v = vehicle.with_stages_scaled(s)?;
                let r0 = aimer.range_fixed(&v, k, az)?;
                if r0 <= 0.0 {
                    break;
                }
                let Ok((k_s, r_s)) =
                    parabola_max(|k| aimer.range_fixed(&v, k, az), k, 2.0, r0, TABLE_FINAL_DEG)
                else {
                    break;
                };
                scales.push((s, k_s, r_s));
                k = k_s;
            }
        }
        scales.sort_by(|a, b| a.0.total_cmp(&b.0));
        // Keep the part where the maximum range grows with the scale (it does, unless a flight near the
        // end of the span fails to come down).
        let mut kept: Vec<(f64, f64, f64)> = Vec::with_capacity(scales.len());
        for e in scales {
            if kept.last().is_none_or(|l| e.2 > l.2) {
                kept.push(e);
            }
        }
        Ok(RangeTable {
            kicks,
            full_max,
            scales: kept,
            flights: aimer.flights.get(),
            steps: aimer.steps.get(),
        })
    }

    /// The full vehicle's maximum-range kick (degrees) and range (m) from the reference launch.
    pub fn full_max(&self) -> (f64, f64) {
        self.full_max
    }

    /// The full vehicle's kick curve from the reference launch: (kick in degrees, range in m), kick
    /// ascending every [`TABLE_KICK_STEP_DEG`] (range 0 where the flight does not land).
    pub fn kicks(&self) -> &[(f64, f64)] {
        &self.kicks
    }

    /// The tabulated scales: (scale, maximum-range kick in degrees, maximum range in m), scale ascending.
    pub fn scales(&self) -> &[(f64, f64, f64)] {
        &self.scales
    }

    /// Powered flights flown to build the table and their integrator steps.
    pub fn cost(&self) -> (usize, usize) {
        (self.flights, self.steps)
    }

    /// The scale whose maximum range is `range_m`, its maximum-range kick and the slope of the maximum
    /// range against the scale (m per unit of scale), interpolated linearly between the two tabulated
    /// scales about it; `None` outside the table.
    fn minimum_energy_seed(&self, range_m: f64) -> Option<(f64, f64, f64)> {
        let i = self
            .scales
            .windows(2)
            .position(|w| w[0].2 <= range_m && range_m <= w[1].2)?;
        let (a, b) = (self.scales[i], self.scales[i + 1]);
        let t = (range_m - a.2) / (b.2 - a.2);
        let slope = (b.2 - a.2) / (b.0 - a.0);
        Some((a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1), slope))
    }

    /// The kick of the full vehicle whose range is `fraction` of its maximum range, on the steeper
    /// (lofted) or flatter (depressed) side of the maximum-range kick, and the slope of the range there
    /// (m per degree) as a fraction of the maximum range; `None` when the tabulated curve does not reach
    /// it on that side.
    fn kick_seed(&self, fraction: f64, lofted: bool) -> Option<(f64, f64)> {
        let r_max = self.full_max.1;
        let goal = fraction * r_max;
        let k_max = self.full_max.0;
        let side: Vec<(f64, f64)> = if lofted {
            self.kicks
                .iter()
                .copied()
                .filter(|p| p.0 < k_max)
                .chain(std::iter::once(self.full_max))
                .collect()
        } else {
            std::iter::once(self.full_max)
                .chain(self.kicks.iter().copied().filter(|p| p.0 > k_max))
                .collect()
        };
        side.windows(2).find_map(|w| {
            let (a, b) = (w[0], w[1]);
            let (lo, hi) = (a.1.min(b.1), a.1.max(b.1));
            if lo <= goal && goal <= hi && a.1 != b.1 {
                let t = (goal - a.1) / (b.1 - a.1);
                Some((a.0 + t * (b.0 - a.0), (b.1 - a.1) / (b.0 - a.0) / r_max))
            } else {
                None
            }
        })
    }
}

impl Aimer<'_> {
    /// The range (m) of `vehicle` flown with `kick_deg` toward the launch azimuth `azimuth_deg` as given
    /// (no correction), at the search tolerance; 0 when the flight does not land.
    fn range_fixed(&self, vehicle: &Vehicle, kick_deg: f64, azimuth_deg: f64) -> Result<f64, Error> {
        let options = PoweredOptions {
            rtol: SEARCH_RTOL.max(self.options.rtol),
            ..*self.options
        };
        let programme = Programme {
            kick_deg,
            azimuth_deg,
            ..*self.template
        };
        self.flights.set(self.flights.get() + 1);
        let boost = match fly_boost(vehicle, self.site, &programme, &options) {
            Ok(b) => {
                self.steps.set(self.steps.get() + b.steps());
                b
            }
            Err(Error::Powered { .. }) => return Ok(0.0),
            Err(e) => return Err(e),
        };
        let opts = Options {
            model: options.model,
            ..Options::default()
        };
        let coast = match propagate_with(&boost.burnout, options.gravity, &opts) {
            Ok(c) => c,
            Err(e) if e.is_no_impact() => return Ok(0.0),
            Err(e) => return Err(e),
        };
        Ok(ground_geodesic(&options.model, self.site, coast.impact().position).0)
    }
}

/// The maximum of `range` (a function of the kick, degrees) near `k` by successive parabolas through
/// three kicks `h` apart (`fk` is `range(k)`), walking toward the larger range when the middle one is
/// not the largest, the half-width divided by 4 each time until below `final_deg`: the kick and the range
/// there.
fn parabola_max<F: FnMut(f64) -> Result<f64, Error>>(
    mut range: F,
    k: f64,
    h: f64,
    fk: f64,
    final_deg: f64,
) -> Result<(f64, f64), Error> {
    let (mut k, mut h, mut fk) = (k.clamp(KICK_MIN_DEG, KICK_MAX_DEG), h, fk);
    for _ in 0..60 {
        let (a, b) = ((k - h).max(KICK_MIN_DEG), (k + h).min(KICK_MAX_DEG));
        let fa = if a < k { range(a)? } else { fk };
        let fb = if b > k { range(b)? } else { fk };
        if fa > fk && a < k {
            (k, fk) = (a, fa);
            h = (2.0 * h).min(8.0);
            continue;
        }
        if fb > fk && b > k {
            (k, fk) = (b, fb);
            h = (2.0 * h).min(8.0);
            continue;
        }
        // Next to the edge of the kicks that land (a neighbour does not land) no parabola is fitted:
        // the range is not continuous across the edge. The search narrows about its best flight.
        if fa <= 0.0 || fb <= 0.0 {
            if h <= final_deg {
                return Ok((k, fk));
            }
            h /= 4.0;
            continue;
        }
        let (da, db) = (a - k, b - k);
        let denom = da * db * (da - db);
        let (p, q) = if denom != 0.0 {
            (
                ((fa - fk) * db - (fb - fk) * da) / denom,
                ((fb - fk) * da * da - (fa - fk) * db * db) / denom,
            )
        } else {
            (0.0, 0.0)
        };
        let (x, f) = if p < 0.0 {
            let x = (-q / (2.0 * p)).clamp(da, db);
            (x, fk + q * x + p * x * x)
        } else {
            (0.0, fk)
        };
        if h <= final_deg {
            return Ok((k + x, f.max(fk)));
        }
        k += x;
        fk = range(k)?;
        h /= 4.0;
    }
    Err(Error::Targeting {
        reason: "the maximum-range kick search does not converge".into(),
    })
}

/// [`super::aim_at`] seeded by `table` (built for `vehicle` with the same template and options): the
/// same shot — within 1 m of the target, the kick and scale of the exhaustive search — from a few
/// flights at the search tolerance and one to three strict ones. Where the seeded search does not settle
/// (a target near the vehicle's maximum range, a table of another vehicle) the unseeded fast search and
/// then the exhaustive one ([`super::aim_at_exhaustive`]) take over, so the answer never depends on the
/// table, only its cost.
pub fn aim_at_seeded(
    vehicle: &Vehicle,
    table: &RangeTable,
    site: Geodetic,
    target: Geodetic,
    template: &Programme,
    shape: PoweredShape,
    options: &PoweredOptions,
) -> Result<PoweredShot, Error> {
    let (aimer, ground) = super::setup(site, target, template, options)?;
    if let Some(shot) = seeded(&aimer, vehicle, table, shape, ground)? {
        return Ok(shot);
    }
    match super::fast(&aimer, vehicle, shape, ground)? {
        Some(shot) => Ok(shot),
        None => super::exhaustive(&aimer, vehicle, shape, ground),
    }
}

/// The seeded search (see the module's documentation); `None` when it does not settle.
fn seeded(
    aimer: &Aimer,
    vehicle: &Vehicle,
    table: &RangeTable,
    shape: PoweredShape,
    ground: Geodetic,
) -> Result<Option<PoweredShot>, Error> {
    let goal = aimer.target_range_m;
    match shape {
        PoweredShape::MinimumEnergy => {
            let Some((mut s, mut k, mut slope)) = table.minimum_energy_seed(goal) else {
                return Ok(None);
            };
            let mut prev: Option<(f64, f64)> = None;
            let mut fine = false;
            for round in 0..SEEDED_ROUNDS {
                let sized = vehicle.with_stages_scaled(s)?;
                let tier = if fine { Tier::Strict } else { Tier::Search };
                // The launch azimuth that puts this scale's impact on the target's azimuth.
                let Some(centre) = aimer.shot(&sized, k, tier)? else {
                    return Ok(None);
                };
                let az = centre.programme.azimuth_deg;
                // While the scale moves by more than 1e-3 of itself, the kicks are flown at the centre's
                // launch azimuth and the search tolerance (one flight a kick). Then one or two rounds as
                // the exhaustive search flies: each kick's launch azimuth corrected (the impact azimuth
                // drifts with the kick, and with it the range by the Earth's rotation: enough to move the
                // maximum by a hundredth of a degree) at the strict tolerance (at the search's, an ICBM's
                // range is noisy by metres, as much again).
                let (k_new, r_max) = if fine {
                    parabola_max(
                        |k| aimer.range_at(&sized, k, Tier::Strict),
                        k,
                        FINE_HALF_WIDTH_DEG,
                        centre.range_m,
                        FINE_HALF_WIDTH_DEG,
                    )?
                } else {
                    parabola_max(
                        |k| aimer.range_fixed(&sized, k, az),
                        k,
                        if round == 0 { 1.0 } else { FINE_HALF_WIDTH_DEG },
                        centre.range_m,
                        FINE_HALF_WIDTH_DEG,
                    )?
                };
                let err = r_max - goal;
                if let Some((sp, ep)) = prev
                    && s != sp
                    && err != ep
                {
                    slope = (err - ep) / (s - sp);
                }
                if !(slope.is_finite() && slope > 0.0) {
                    return Ok(None);
                }
                prev = Some((s, err));
                let s_new = s - err / slope;
                if s_new.is_nan() || s_new <= 0.0 {
                    return Ok(None);
                }
                let step = (s_new - s).abs() / s;
                (s, k) = (s_new, k_new);
                if fine && step < 1e-4 {
                    // The strict secant on the scale at this kick (the range is flat in the kick here, and
                    // the maximum-range kick moves by thousandths of a degree for such a step).
                    let range_of = |s: f64| -> Result<Option<Shot>, Error> {
                        aimer.shot(&vehicle.with_stages_scaled(s)?, k, Tier::Strict)
                    };
                    return Ok(
                        match polish(aimer, range_of, s, slope, (0.5 * s, 2.0 * s), ground)? {
                            Some((s, shot)) => {
                                Some(finish(aimer, vehicle.with_stages_scaled(s)?, s, shot, ground)?)
                            }
                            None => None,
                        },
                    );
                }
                fine = fine || step < 1e-3;
            }
            Ok(None)
        }
        PoweredShape::Lofted | PoweredShape::Depressed => {
            let lofted = shape == PoweredShape::Lofted;
            let (k0, _) = table.full_max;
            let Some(centre) = aimer.shot(vehicle, k0, Tier::Search)? else {
                return Ok(None);
            };
            let az = centre.programme.azimuth_deg;
            let (k_max, r_max) = parabola_max(
                |k| aimer.range_fixed(vehicle, k, az),
                k0,
                1.0,
                centre.range_m,
                PARABOLA_FINAL_DEG,
            )?;
            if r_max < goal - MAX_RANGE_MARGIN_M {
                return Err(beyond(aimer, r_max));
            }
            if r_max < goal * (1.0 + NEAR_MAX_FRACTION) {
                return Ok(None);
            }
            // The table's kick curve rescaled to this maximum range; the kick offset of the maximum
            // carried over too.
            let Some((k_seed, rel_slope)) = table.kick_seed(goal / r_max, lofted) else {
                return Ok(None);
            };
            let mut k = (k_seed + (k_max - table.full_max.0)).clamp(KICK_MIN_DEG, KICK_MAX_DEG);
            let mut slope = rel_slope * r_max;
            let mut prev: Option<(f64, f64)> = None;
            let lim = if lofted {
                (KICK_MIN_DEG, k_max)
            } else {
                (k_max, KICK_MAX_DEG)
            };
            for _ in 0..12 {
                let r = aimer.range_fixed(vehicle, k, az)?;
                // A kick that does not land: the secant has left the branch of kicks that land.
                if r <= 0.0 {
                    return Ok(None);
                }
                let err = r - goal;
                if let Some((kp, ep)) = prev
                    && k != kp
                    && err != ep
                {
                    slope = (err - ep) / (k - kp);
                }
                let right_side = if lofted { slope > 0.0 } else { slope < 0.0 };
                if !(slope.is_finite() && right_side) {
                    return Ok(None);
                }
                if err.abs() <= KICK_SECANT_M {
                    // The kick must lie on the branch of kicks that land from the maximum-range kick,
                    // as the unseeded searches' does (`Aimer::branch_bracket`): every kick between
                    // the two, at most a branch step apart, lands beyond the target.
                    if !on_branch(aimer, vehicle, k_max, k, az, goal)? {
                        return Ok(None);
                    }
                    let fly = |k: f64| aimer.shot(vehicle, k, Tier::Strict);
                    return Ok(match polish(aimer, fly, k, slope, lim, ground)? {
                        Some((_, shot)) => Some(finish(aimer, vehicle.clone(), 1.0, shot, ground)?),
                        None => None,
                    });
                }
                prev = Some((k, err));
                k = (k - err / slope).clamp(lim.0, lim.1);
            }
            Ok(None)
        }
    }
}

/// Whether every kick strictly between `k_max` and `k`, at most [`BRANCH_STEP_DEG`] apart, lands beyond
/// `goal` (m) flown toward the launch azimuth `az` at the search tolerance: `k` is on the branch of kicks
/// that land from the maximum-range kick, not beyond an edge where the flights stop landing.
fn on_branch(
    aimer: &Aimer,
    vehicle: &Vehicle,
    k_max: f64,
    k: f64,
    az: f64,
    goal: f64,
) -> Result<bool, Error> {
    let n = ((k - k_max).abs() / BRANCH_STEP_DEG).ceil() as usize;
    for i in 1..n {
        let ki = k_max + (k - k_max) * i as f64 / n as f64;
        if aimer.range_fixed(vehicle, ki, az)? <= goal {
            return Ok(false);
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parabola_search_finds_the_maximum_of_an_asymmetric_curve_to_its_final_width() {
        // A skewed peak at 23.4567°: range = 1e7 − 2e4 (k − k₀)² − 300 (k − k₀)³ metres.
        let k0 = 23.4567;
        let f = |k: f64| {
            let x = k - k0;
            1e7 - 2e4 * x * x - 300.0 * x * x * x
        };
        let mut calls = 0;
        let (k, r) = parabola_max(
            |k| {
                calls += 1;
                Ok(f(k))
            },
            17.0,
            1.0,
            f(17.0),
            PARABOLA_FINAL_DEG,
        )
        .unwrap();
        // The cubic term moves a parabola's vertex by about (3·300 / 2·2e4) h² at half-width h.
        assert!((k - k0).abs() < 1e-3, "{k}");
        assert!((r - 1e7).abs() < 1.0, "{r}");
        assert!(calls < 30, "{calls}");
        // The walk goes downhill too, and stops at the end of the kick span.
        let (k, _) = parabola_max(|k| Ok(-k), 10.0, 1.0, -10.0, PARABOLA_FINAL_DEG).unwrap();
        assert!((k - KICK_MIN_DEG).abs() < 1e-9, "{k}");
    }
}
