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

mod table;
pub use table::{
    REFERENCE_AZIMUTH_DEG, REFERENCE_SITE, RangeTable, TABLE_KICK_STEP_DEG, TABLE_SCALE_STEP, aim_at_seeded,
};

/// Kick angles searched, degrees.
const KICK_MIN_DEG: f64 = 0.2;
const KICK_MAX_DEG: f64 = 70.0;
/// Launch-azimuth convergence, degrees (2 cm across the track at 10 000 km).
const AZIMUTH_TOL_DEG: f64 = 1e-7;
/// Relative tolerance of the fast search's flights (the final flights use the caller's).
pub const SEARCH_RTOL: f64 = 1e-8;
/// Launch-azimuth convergence of the fast search's flights, degrees (0.2 m across the track at
/// 10 000 km).
pub const SEARCH_AZIMUTH_TOL_DEG: f64 = 1e-6;
/// The fast search's maximum-range kick is final once a parabola's half-width is below this, degrees.
const PARABOLA_FINAL_DEG: f64 = 0.1;
/// A minimum-energy search is done once the maximum-range kick moves by less than this between two
/// scales, degrees.
pub const KICK_CONVERGED_DEG: f64 = 0.01;
/// Largest number of scale / kick rounds of a minimum-energy fast search.
const MAX_ROUNDS: usize = 8;
/// The final secant stops once the impact is this close to the target, metres.
pub const POLISH_MISS_M: f64 = 0.1;
/// Largest number of final flights of the fast search.
const POLISH_ITERATIONS: usize = 8;
/// A fast search whose maximum range falls short of the target by less than this leaves the decision to
/// the exhaustive search, metres.
const MAX_RANGE_MARGIN_M: f64 = 100.0;
/// An exhaustive search whose answer ranges farther than this from the target (a minimum-energy
/// scale's maximum range, a lofted or depressed kick's range) has converged on a jump of the range (the
/// flights stop landing there), not on a root, metres.
const JUMP_M: f64 = 1_000.0;
/// Intervals of the first scan of the kick span for the maximum-range kick.
const SCAN_INTERVALS: usize = 14;
/// The scan of the kick span is refined (its step halved) while fewer than three of its kicks land,
/// down to this step, degrees: a small vehicle lands only within a few degrees of kick, narrower than
/// the first scan's 4.9° step.
const SCAN_FINEST_STEP_DEG: f64 = 0.3;
/// Step of the walk along the kicks that land, from the maximum-range kick outward, that brackets a
/// lofted or depressed shot's kick, degrees.
const BRANCH_STEP_DEG: f64 = 1.0;
/// The edge of the kicks that land is located to this, degrees.
const EDGE_TOL_DEG: f64 = 1e-6;

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
    /// Powered flights the search flew (each launch-azimuth correction counts).
    pub flights: usize,
    /// Integrator steps of those flights.
    pub steps: usize,
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

/// Two kicks (degrees) and their ranges (m) about a lofted or depressed shot's kick, both landing, one
/// beyond the target and one short of it ([`Aimer::branch_bracket`]).
#[derive(Debug, Clone, Copy)]
struct Bracket {
    lo: (f64, f64),
    hi: (f64, f64),
}

/// How one kick's shot ends ([`Aimer::shot_from`]).
enum Landing {
    /// It lands on the target's azimuth.
    Lands(Box<Shot>),
    /// The flight falls back or does not come down.
    DoesNotLand,
    /// It lands, but no launch azimuth within the iteration puts the impact on the target's azimuth.
    OffAzimuth,
}

/// Where the walk along the branch of kicks that land ends ([`Aimer::branch_bracket`]).
enum BranchEnd {
    /// Two landing kicks about the target's range.
    Bracket(Bracket),
    /// The branch ends (or reaches the end of the kick span) before the range falls to the target's:
    /// the reason, an "out of reach" sentence for the user.
    OutOfReach(String),
}

impl BranchEnd {
    /// The bracket, or the "out of reach" answer as a targeting error.
    fn bracket(self) -> Result<Bracket, Error> {
        match self {
            BranchEnd::Bracket(b) => Ok(b),
            BranchEnd::OutOfReach(reason) => Err(Error::Targeting { reason }),
        }
    }
}

impl Bracket {
    /// The range (m) at kick `k`: the bracket's own where `k` is one of its ends (as flown when it was
    /// found: a second flight of the same kick could answer differently at an edge), else `fly(k)`.
    fn range<F: Fn(f64) -> Result<f64, Error>>(&self, k: f64, fly: F) -> Result<f64, Error> {
        if k == self.lo.0 {
            Ok(self.lo.1)
        } else if k == self.hi.0 {
            Ok(self.hi.1)
        } else {
            fly(k)
        }
    }
}

/// How precisely a flight of the search is flown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tier {
    /// The options given (the final flights, and every flight of the exhaustive search).
    Strict,
    /// [`SEARCH_RTOL`] and [`SEARCH_AZIMUTH_TOL_DEG`]: the fast search's flights.
    Search,
}

struct Aimer<'a> {
    /// Powered flights flown so far (each launch-azimuth correction counts).
    flights: std::cell::Cell<usize>,
    /// Integrator steps of those flights.
    steps: std::cell::Cell<usize>,
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

impl<'a> Aimer<'a> {
    /// An aimer from `site` toward a target `target_range_m` away on the geodesic azimuth
    /// `target_azimuth_deg`, no flight flown yet.
    fn new(
        site: Geodetic,
        template: &'a Programme,
        options: &'a PoweredOptions,
        target_range_m: f64,
        target_azimuth_deg: f64,
    ) -> Self {
        Aimer {
            flights: std::cell::Cell::new(0),
            steps: std::cell::Cell::new(0),
            offset_deg: std::cell::Cell::new(0.0),
            last_max_kick_deg: std::cell::Cell::new(None),
            site,
            template,
            options,
            target_range_m,
            target_azimuth_deg,
        }
    }

    /// Flies `vehicle` with `kick_deg`, its launch azimuth corrected until the impact lies on the
    /// target's azimuth. `None` when the flight falls back, does not come down, or no launch azimuth puts
    /// its impact on the target's azimuth (a near-vertical kick lands where the Earth's rotation carries
    /// it, whatever the azimuth: 30 corrections without convergence): no shot of this kick reaches
    /// along the target's azimuth.
    ///
    /// The launch-azimuth iteration starts from the last converged offset (the search's flights differ
    /// little); should it not converge from there, it starts again from the target's azimuth, so that
    /// whether a kick lands does not depend on the flights flown before it.
    fn shot(&self, vehicle: &Vehicle, kick_deg: f64, tier: Tier) -> Result<Option<Shot>, Error> {
        let start = self.offset_deg.get();
        let landing = match self.shot_from(vehicle, kick_deg, tier, start)? {
            Landing::OffAzimuth if start != 0.0 => self.shot_from(vehicle, kick_deg, tier, 0.0)?,
            landing => landing,
        };
        Ok(match landing {
            Landing::Lands(shot) => Some(*shot),
            Landing::DoesNotLand | Landing::OffAzimuth => None,
        })
    }

    /// [`Aimer::shot`] with the launch azimuth's iteration started at `offset_deg` from the target's
    /// azimuth.
    fn shot_from(
        &self,
        vehicle: &Vehicle,
        kick_deg: f64,
        tier: Tier,
        offset_deg: f64,
    ) -> Result<Landing, Error> {
        let model = self.options.model;
        let search = PoweredOptions {
            rtol: SEARCH_RTOL.max(self.options.rtol),
            ..*self.options
        };
        let (options, az_tol) = match tier {
            Tier::Strict => (self.options, AZIMUTH_TOL_DEG),
            Tier::Search => (&search, SEARCH_AZIMUTH_TOL_DEG),
        };
        let mut az = geodesy::wrap_360_deg(self.target_azimuth_deg + offset_deg);
        let mut prev: Option<(f64, f64)> = None;
        for _ in 0..30 {
            let programme = Programme {
                kick_deg,
                azimuth_deg: az,
                ..*self.template
            };
            self.flights.set(self.flights.get() + 1);
            let boost = match fly_boost(vehicle, self.site, &programme, options) {
                Ok(b) => {
                    self.steps.set(self.steps.get() + b.steps());
                    b
                }
                Err(Error::Powered { .. }) => return Ok(Landing::DoesNotLand),
                Err(e) => return Err(e),
            };
            let opts = Options {
                model,
                ..Options::default()
            };
            let coast = match propagate_with(&boost.burnout, self.options.gravity, &opts) {
                Ok(c) => c,
                Err(e) if e.is_no_impact() => return Ok(Landing::DoesNotLand),
                Err(e) => return Err(e),
            };
            let impact = coast.impact().position;
            let (range_m, azimuth_deg) = ground_geodesic(&model, self.site, impact);
            let err = geodesy::wrap_180_deg(self.target_azimuth_deg - azimuth_deg);
            if err.abs() <= az_tol {
                self.offset_deg
                    .set(geodesy::wrap_180_deg(az - self.target_azimuth_deg));
                return Ok(Landing::Lands(Box::new(Shot {
                    boost,
                    coast,
                    programme,
                    range_m,
                    azimuth_deg,
                })));
            }
            // A secant step on the azimuth error once two flights are known (the impact azimuth follows
            // the launch azimuth nearly one for one: the first step assumes exactly that).
            let step = match prev {
                Some((az_p, err_p)) if err != err_p => {
                    let d = geodesy::wrap_180_deg(az - az_p);
                    let st = -err * d / (err - err_p);
                    if st.is_finite() && st.abs() <= 30.0 {
                        st
                    } else {
                        err
                    }
                }
                _ => err,
            };
            prev = Some((az, err));
            az = geodesy::wrap_360_deg(az + step);
        }
        Ok(Landing::OffAzimuth)
    }

    /// The range (m) at evenly spaced kicks over [`lo`, `hi`] (0 where the flight does not land), flown at
    /// `tier`: `n` intervals first, the step then halved (the kicks flown kept) while fewer than three
    /// kicks land and the step is above [`SCAN_FINEST_STEP_DEG`]. The kicks and their ranges.
    fn scan(
        &self,
        vehicle: &Vehicle,
        lo: f64,
        hi: f64,
        n: usize,
        tier: Tier,
    ) -> Result<(Vec<f64>, Vec<f64>), Error> {
        let at = |n: usize, i: usize| lo + (hi - lo) * i as f64 / n as f64;
        let mut n = n.max(1);
        let mut ranges = (0..=n)
            .map(|i| self.range_at(vehicle, at(n, i), tier))
            .collect::<Result<Vec<f64>, Error>>()?;
        while ranges.iter().filter(|&&r| r > 0.0).count() < 3 && (hi - lo) / n as f64 > SCAN_FINEST_STEP_DEG {
            let mut finer = Vec::with_capacity(2 * n + 1);
            for (i, &r) in ranges.iter().enumerate() {
                if i > 0 {
                    finer.push(self.range_at(vehicle, at(2 * n, 2 * i - 1), tier)?);
                }
                finer.push(r);
            }
            ranges = finer;
            n *= 2;
        }
        Ok(((0..=n).map(|i| at(n, i)).collect(), ranges))
    }

    /// The kicks that bracket a lofted (`lofted`) or depressed shot's kick on the branch of kicks that
    /// land, walking from the maximum-range kick `k_max` toward steeper (lofted) or flatter kicks by
    /// [`BRANCH_STEP_DEG`], flown at `tier`: two kicks that both land, one beyond the target and one
    /// short of it (in kick order). Where the flights stop landing before their range falls to the
    /// target's (flown flatter the vehicle goes into orbit or falls back; flown steeper it no longer
    /// comes down on the target's azimuth) the edge is located by bisection, and the answer is an "out of
    /// reach" error: no flight of this shape that stays on the branch reaches the target. The range
    /// curve is not continuous across such an edge, so no root is sought across it.
    fn branch_bracket(
        &self,
        vehicle: &Vehicle,
        k_max: f64,
        lofted: bool,
        tier: Tier,
    ) -> Result<BranchEnd, Error> {
        let goal = self.target_range_m;
        let (dir, end) = if lofted {
            (-1.0, KICK_MIN_DEG)
        } else {
            (1.0, KICK_MAX_DEG)
        };
        let ordered = |a: (f64, f64), b: (f64, f64)| {
            if a.0 <= b.0 {
                Bracket { lo: a, hi: b }
            } else {
                Bracket { lo: b, hi: a }
            }
        };
        let shape = if lofted { "lofted" } else { "depressed" };
        let mut prev = k_max;
        let mut r_prev = self.range_at(vehicle, k_max, tier)?;
        loop {
            let k = if lofted {
                (prev + dir * BRANCH_STEP_DEG).max(end)
            } else {
                (prev + dir * BRANCH_STEP_DEG).min(end)
            };
            if k == prev {
                return Ok(BranchEnd::OutOfReach(format!(
                    "out of reach: the target is {:.0} km away, closer than the {} kick of {end}° lands: no {shape} shot reaches it",
                    goal / 1e3,
                    if lofted { "steepest" } else { "flattest" }
                )));
            }
            let r = self.range_at(vehicle, k, tier)?;
            if r > 0.0 {
                if r <= goal {
                    return Ok(BranchEnd::Bracket(ordered((prev, r_prev), (k, r))));
                }
                (prev, r_prev) = (k, r);
                continue;
            }
            // The flights stop landing between `prev` and `k`: the edge by bisection.
            let (mut inside, mut outside) = (prev, k);
            while (outside - inside).abs() > EDGE_TOL_DEG {
                let mid = 0.5 * (inside + outside);
                let r = self.range_at(vehicle, mid, tier)?;
                if r <= 0.0 {
                    outside = mid;
                } else if r <= goal {
                    return Ok(BranchEnd::Bracket(ordered((inside, r_prev), (mid, r))));
                } else {
                    (inside, r_prev) = (mid, r);
                }
            }
            return Ok(BranchEnd::OutOfReach(format!(
                "out of reach: flown {} than a kick of {inside:.4}° the vehicle no longer lands ({}) while its range is still beyond the target's {:.0} km: no {shape} shot reaches it",
                if lofted { "steeper" } else { "flatter" },
                if lofted {
                    "its impact no longer follows the launch azimuth"
                } else {
                    "it goes into orbit or falls back"
                },
                goal / 1e3
            )));
        }
    }

    /// The range (m) of a kick, 0 when the flight does not land.
    fn range(&self, vehicle: &Vehicle, kick_deg: f64) -> Result<f64, Error> {
        self.range_at(vehicle, kick_deg, Tier::Strict)
    }

    /// The range (m) of a kick flown at `tier`, 0 when the flight does not land.
    fn range_at(&self, vehicle: &Vehicle, kick_deg: f64, tier: Tier) -> Result<f64, Error> {
        Ok(self.shot(vehicle, kick_deg, tier)?.map_or(0.0, |s| s.range_m))
    }

    /// The maximum-range kick (degrees) and its range (m).
    fn max_range(&self, vehicle: &Vehicle) -> Result<(f64, f64), Error> {
        // A coarse scan first (the range is unimodal in the kick, but flat near the ends), over the whole
        // span the first time, then around the last maximum (the vehicles searched differ in size only).
        // When the maximum of the narrow scan lies on its edge (the maximum-range kick moved by more than
        // the window between two sizes), the whole span is scanned again: the answer must not depend on
        // which vehicles were searched before.
        // The scan is refined where fewer than three of its kicks land (`Aimer::scan`).
        let scan = |lo: f64, hi: f64, n: usize| -> Result<(Vec<f64>, usize), Error> {
            let (kicks, ranges) = self.scan(vehicle, lo, hi, n, Tier::Strict)?;
            let best = (0..kicks.len())
                .max_by(|&a, &b| ranges[a].total_cmp(&ranges[b]))
                .unwrap_or(0);
            Ok((kicks, best))
        };
        let full = (KICK_MIN_DEG, KICK_MAX_DEG, SCAN_INTERVALS);
        let (lo, hi, n) = match self.last_max_kick_deg.get() {
            None => full,
            Some(k) => ((k - 4.0).max(KICK_MIN_DEG), (k + 4.0).min(KICK_MAX_DEG), 4),
        };
        let (mut kicks, mut best) = scan(lo, hi, n)?;
        let on_edge = (best == 0 && lo > KICK_MIN_DEG) || (best + 1 == kicks.len() && hi < KICK_MAX_DEG);
        if on_edge {
            (kicks, best) = scan(full.0, full.1, full.2)?;
        }
        let n = kicks.len() - 1;
        let (a, b) = (kicks[best.saturating_sub(1)], kicks[(best + 1).min(n)]);
        let failure = FirstError::default();
        let (k, neg) = brent_min(|k| -failure.value(self.range(vehicle, k)), a, b, 1e-5);
        failure.check()?;
        self.last_max_kick_deg.set(Some(k));
        Ok((k, -neg))
    }

    /// The maximum-range kick (degrees) and its range (m) at the search tolerance: successive parabolas
    /// through three kicks, moving toward the larger range when the middle one is not the largest, the
    /// half-width divided by 4 each time until below [`PARABOLA_FINAL_DEG`]. From `seed_deg` (half-width
    /// 1°), else from the best of a scan of the whole kick span (half-width one scan step).
    fn max_range_fast(&self, vehicle: &Vehicle, seed_deg: Option<f64>) -> Result<(f64, f64), Error> {
        let mut memo: Vec<(f64, f64)> = Vec::new();
        let (mut k, mut h) = match seed_deg {
            Some(k) => (k.clamp(KICK_MIN_DEG, KICK_MAX_DEG), 1.0),
            None => {
                // The scan is refined where fewer than three of its kicks land (`Aimer::scan`).
                let (kicks, ranges) =
                    self.scan(vehicle, KICK_MIN_DEG, KICK_MAX_DEG, SCAN_INTERVALS, Tier::Search)?;
                let mut best = (KICK_MIN_DEG, f64::NEG_INFINITY);
                for (&k, &r) in kicks.iter().zip(&ranges) {
                    memo.push((k, r));
                    if r > best.1 {
                        best = (k, r);
                    }
                }
                (best.0, kicks[1] - kicks[0])
            }
        };
        let mut range = |k: f64| -> Result<f64, Error> {
            if let Some(&(_, r)) = memo.iter().find(|(x, _)| *x == k) {
                return Ok(r);
            }
            let r = self.range_at(vehicle, k, Tier::Search)?;
            memo.push((k, r));
            Ok(r)
        };
        let mut fk = range(k)?;
        for _ in 0..100 {
            let (a, b) = ((k - h).max(KICK_MIN_DEG), (k + h).min(KICK_MAX_DEG));
            let (fa, fb) = (range(a)?, range(b)?);
            // Toward the larger range, the stride doubling while the walk goes on.
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
                if h <= PARABOLA_FINAL_DEG {
                    self.last_max_kick_deg.set(Some(k));
                    return Ok((k, fk));
                }
                h /= 4.0;
                continue;
            }
            // The vertex of the parabola through the three, inside [a, b].
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
            // f ≈ fk + q x + p x² about k (x = kick − k): vertex at −q / 2p when p < 0.
            let (x, f) = if p < 0.0 {
                let x = (-q / (2.0 * p)).clamp(da, db);
                (x, fk + q * x + p * x * x)
            } else {
                (0.0, fk)
            };
            if h <= PARABOLA_FINAL_DEG {
                self.last_max_kick_deg.set(Some(k + x));
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

    /// The scale of `vehicle` whose flight with `kick_deg` reaches the target at the search tolerance
    /// (Brent to 1e-9 relative), bracketed from `s0` by factors of `step`; `None` when no bracket is
    /// found within a hundredfold of the vehicle either way.
    fn scale_reaching(
        &self,
        vehicle: &Vehicle,
        kick_deg: f64,
        s0: f64,
        step: f64,
    ) -> Result<Option<f64>, Error> {
        let excess = |s: f64| -> Result<f64, Error> {
            Ok(self.range_at(&vehicle.with_stages_scaled(s)?, kick_deg, Tier::Search)? - self.target_range_m)
        };
        let (mut lo, mut hi) = (s0, s0);
        if excess(s0)? < 0.0 {
            while excess(hi * step)? < 0.0 {
                hi *= step;
                if hi > 100.0 {
                    return Ok(None);
                }
            }
            lo = hi;
            hi *= step;
        } else {
            while excess(lo / step)? >= 0.0 {
                lo /= step;
                if lo < 1e-2 {
                    return Ok(None);
                }
            }
            hi = lo;
            lo /= step;
        }
        // One more step outward on either side: an end found next to the root (where the search's
        // noise could flip its sign when flown again) does not bound the bracket.
        let (lo, hi) = (lo / step, hi * step);
        let failure = FirstError::default();
        let s = brent(|s| failure.value(excess(s)), lo, hi, 1e-9 * hi);
        failure.check()?;
        Ok(s)
    }

    /// The slope of `range` (m per unit of x) at `x` by a central difference of half-width `dx`.
    fn slope<F: Fn(f64) -> Result<f64, Error>>(&self, range: F, x: f64, dx: f64) -> Result<f64, Error> {
        Ok((range(x + dx)? - range(x - dx)?) / (2.0 * dx))
    }
}

/// Finds the programme (and for a minimum-energy shot the vehicle's scale) that lands `vehicle`, launched
/// from `site`, on `target` (its height is ignored: impact is on the ellipsoid), with the vertical rise
/// and kick duration of `template`.
///
/// The fast search: every flight of the search phase is flown at [`SEARCH_RTOL`] (launch azimuth to
/// [`SEARCH_AZIMUTH_TOL_DEG`]); the maximum-range kick is found by successive parabolas through three
/// kicks (a coarse scan of the kick span first); a minimum-energy shot alternates between the scale that
/// reaches the target at a fixed kick (Brent) and the maximum-range kick of that scale, until the kick
/// moves by less than [`KICK_CONVERGED_DEG`] (the range is flat in the kick there, so the scale is
/// unchanged to second order); a lofted or depressed shot finds its kick by Brent at the search
/// tolerance. Only the final flights use `options.rtol`: a secant on the scale (minimum energy) or the
/// kick (lofted, depressed), from the search's answer, until the impact is within [`POLISH_MISS_M`] of
/// the target. Should that not converge, the exhaustive search ([`aim_at_exhaustive`]) is run instead.
/// `tests/aim_fast.rs` holds both to the same shot.
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
    let (aimer, ground) = setup(site, target, template, options)?;
    match fast(&aimer, vehicle, shape, ground)? {
        Some(shot) => Ok(shot),
        None => exhaustive(&aimer, vehicle, shape, ground),
    }
}

/// [`aim_at`] by the exhaustive search: every flight at `options.rtol`; the maximum-range kick by a
/// scan and Brent's minimisation to 1e-5°; a minimum-energy shot's scale by Brent (to 1e-9) on the
/// maximum range of each scale; a lofted or depressed shot's kick by Brent (to 1e-9°). About a thousand
/// flights for a minimum-energy shot: the reference [`aim_at`]'s fast search is checked against.
pub fn aim_at_exhaustive(
    vehicle: &Vehicle,
    site: Geodetic,
    target: Geodetic,
    template: &Programme,
    shape: PoweredShape,
    options: &PoweredOptions,
) -> Result<PoweredShot, Error> {
    let (aimer, ground) = setup(site, target, template, options)?;
    exhaustive(&aimer, vehicle, shape, ground)
}

/// The maximum range of `vehicle` launched from `site` with the vertical rise and kick duration of
/// `template`, its impact on the geodesic azimuth `azimuth_deg` (degrees clockwise from north) from the
/// site: the maximum-range kick (degrees) and the range (m), found as [`aim_at`]'s fast search finds
/// them (a scan, then parabolas, at [`SEARCH_RTOL`]).
pub fn max_range_toward(
    vehicle: &Vehicle,
    site: Geodetic,
    azimuth_deg: f64,
    template: &Programme,
    options: &PoweredOptions,
) -> Result<(f64, f64), Error> {
    in_range("azimuth_deg", azimuth_deg, -720.0, 720.0, "an azimuth in degrees")?;
    template.validate()?;
    let aimer = Aimer {
        flights: std::cell::Cell::new(0),
        steps: std::cell::Cell::new(0),
        offset_deg: std::cell::Cell::new(0.0),
        last_max_kick_deg: std::cell::Cell::new(None),
        site,
        template,
        options,
        target_range_m: 0.0,
        target_azimuth_deg: geodesy::wrap_360_deg(azimuth_deg),
    };
    aimer.max_range_fast(vehicle, None)
}

/// Checks the inputs and sets up the search: the aimer and the target on the ellipsoid.
fn setup<'a>(
    site: Geodetic,
    target: Geodetic,
    template: &'a Programme,
    options: &'a PoweredOptions,
) -> Result<(Aimer<'a>, Geodetic), Error> {
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
        flights: std::cell::Cell::new(0),
        steps: std::cell::Cell::new(0),
        offset_deg: std::cell::Cell::new(0.0),
        last_max_kick_deg: std::cell::Cell::new(None),
        site,
        template,
        options,
        target_range_m,
        target_azimuth_deg,
    };
    Ok((aimer, ground))
}

/// The error of a target beyond the maximum range `r_max_m`.
fn beyond(aimer: &Aimer, r_max_m: f64) -> Error {
    if r_max_m <= 0.0 {
        return Error::Targeting {
            reason: format!(
                "out of reach: the vehicle lands at no kick (the target is {:.0} km away)",
                aimer.target_range_m / 1e3
            ),
        };
    }
    Error::Targeting {
        reason: format!(
            "out of reach: the target is {:.0} km away, beyond the vehicle's maximum range of {:.0} km",
            aimer.target_range_m / 1e3,
            r_max_m / 1e3
        ),
    }
}

/// The exhaustive search (see [`aim_at_exhaustive`]).
fn exhaustive(
    aimer: &Aimer,
    vehicle: &Vehicle,
    shape: PoweredShape,
    ground: Geodetic,
) -> Result<PoweredShot, Error> {
    let target_range_m = aimer.target_range_m;
    let (sized, scale, kick) = match shape {
        PoweredShape::Lofted | PoweredShape::Depressed => {
            let (k_max, r_max) = aimer.max_range(vehicle)?;
            if r_max < target_range_m {
                return Err(beyond(aimer, r_max));
            }
            // The bracket on the branch of kicks that land: no root is sought across the edge where
            // the flights stop landing (the range is not continuous there).
            let lofted = shape == PoweredShape::Lofted;
            let bracket = aimer
                .branch_bracket(vehicle, k_max, lofted, Tier::Strict)?
                .bracket()?;
            let (a, b) = (bracket.lo.0, bracket.hi.0);
            let failure = FirstError::default();
            let k = brent(
                |k| failure.value(bracket.range(k, |k| aimer.range(vehicle, k))) - target_range_m,
                a,
                b,
                1e-9,
            );
            failure.check()?;
            let k = k.ok_or_else(|| Error::Targeting {
                reason: format!(
                    "no {} kick reaches the target",
                    if lofted { "steeper" } else { "flatter" }
                ),
            })?;
            (vehicle.clone(), 1.0, k)
        }
        PoweredShape::MinimumEnergy => {
            // Each scale's excess is flown once (a second search of the same scale could start from
            // another kick and answer differently where the family stops landing, so that the bracket
            // found would no longer be one).
            let memo = std::cell::RefCell::new(Vec::<(f64, f64)>::new());
            let excess = |s: f64| -> Result<f64, Error> {
                if let Some(&(_, e)) = memo.borrow().iter().find(|(x, _)| *x == s) {
                    return Ok(e);
                }
                let v = vehicle.with_stages_scaled(s)?;
                let e = aimer.max_range(&v)?.1 - aimer.target_range_m;
                memo.borrow_mut().push((s, e));
                Ok(e)
            };
            // Bracket the scale: the maximum range grows with the vehicle.
            let (mut lo, mut hi) = (1.0, 1.0);
            if excess(1.0)? < 0.0 {
                while excess(hi)? < 0.0 {
                    hi *= 1.5;
                    if hi > 100.0 {
                        return Err(Error::Targeting {
                            reason: "out of reach: the target is beyond the range of this vehicle even 100 times larger"
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
                            reason: "out of reach: the target is reached by a vehicle a hundred times smaller: too close"
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
            let (k, r) = aimer.max_range(&sized)?;
            // Where the family's maximum range jumps over the target's (below some size the vehicle
            // no longer lands at any kick, or no longer lifts off), Brent converges on the jump: no
            // member of the family reaches the target at its maximum-range kick.
            if (r - target_range_m).abs() > JUMP_M {
                return Err(Error::Targeting {
                    reason: format!(
                        "out of reach: the target is {:.0} km away, closer than the smallest vehicle of the family that still lands reaches ({:.0} km at {:.4} times its size): no minimum-energy shot reaches it",
                        target_range_m / 1e3,
                        r.max(0.0) / 1e3,
                        s
                    ),
                });
            }
            (sized, s, k)
        }
    };
    let shot = aimer.shot(&sized, kick, Tier::Strict)?;
    // Brent converges on a jump as on a root: where the range jumps over the target's between two kicks
    // that land (flights between them stop landing, or land on another branch), no kick on the branch
    // reaches the target.
    let jumped = shot
        .as_ref()
        .is_none_or(|s| (s.range_m - aimer.target_range_m).abs() > JUMP_M);
    if jumped && shape != PoweredShape::MinimumEnergy {
        return Err(Error::Targeting {
            reason: format!(
                "out of reach: the range of the flights jumps over the target's {:.0} km about a kick of {kick:.4}° (the flights stop landing there): no {} shot reaches it",
                aimer.target_range_m / 1e3,
                if shape == PoweredShape::Lofted {
                    "lofted"
                } else {
                    "depressed"
                }
            ),
        });
    }
    let shot = shot.ok_or_else(|| Error::Targeting {
        reason: "the solution found does not fly".into(),
    })?;
    finish(aimer, sized, scale, shot, ground)
}

/// The shot as found, checked to land within 1 m of `ground`.
fn finish(
    aimer: &Aimer,
    sized: Vehicle,
    scale: f64,
    shot: Shot,
    ground: Geodetic,
) -> Result<PoweredShot, Error> {
    let impact = shot.coast.impact().position;
    let miss_m = ground_geodesic(&aimer.options.model, impact, ground).0;
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
        flights: aimer.flights.get(),
        steps: aimer.steps.get(),
    })
}

/// The fast search (see [`aim_at`]); `None` when its final secant does not converge.
fn fast(
    aimer: &Aimer,
    vehicle: &Vehicle,
    shape: PoweredShape,
    ground: Geodetic,
) -> Result<Option<PoweredShot>, Error> {
    let goal = aimer.target_range_m;
    match shape {
        PoweredShape::Lofted | PoweredShape::Depressed => {
            let (k_max, r_max) = aimer.max_range_fast(vehicle, None)?;
            // Within the search's resolution of the maximum, the exhaustive search decides.
            if r_max < goal - MAX_RANGE_MARGIN_M {
                return Err(beyond(aimer, r_max));
            }
            // The bracket on the branch of kicks that land; where that branch ends before reaching the
            // target, the exhaustive search decides (at the strict tolerance).
            let lofted = shape == PoweredShape::Lofted;
            let BranchEnd::Bracket(bracket) = aimer.branch_bracket(vehicle, k_max, lofted, Tier::Search)?
            else {
                return Ok(None);
            };
            let (a, b) = (bracket.lo.0, bracket.hi.0);
            let failure = FirstError::default();
            let k = brent(
                |k| failure.value(bracket.range(k, |k| aimer.range_at(vehicle, k, Tier::Search))) - goal,
                a,
                b,
                1e-7,
            );
            failure.check()?;
            let Some(k) = k else { return Ok(None) };
            let fly = |k: f64| aimer.shot(vehicle, k, Tier::Strict);
            let slope = aimer.slope(|k| aimer.range_at(vehicle, k, Tier::Search), k, 1e-3)?;
            Ok(match polish(aimer, fly, k, slope, (a, b), ground)? {
                Some((_, shot)) => Some(finish(aimer, vehicle.clone(), 1.0, shot, ground)?),
                None => None,
            })
        }
        PoweredShape::MinimumEnergy => {
            let (mut k, _) = aimer.max_range_fast(vehicle, None)?;
            let mut s = 1.0;
            let mut step = 1.5;
            let mut converged = false;
            for _ in 0..MAX_ROUNDS {
                let Some(s_new) = aimer.scale_reaching(vehicle, k, s, step)? else {
                    return Ok(None);
                };
                s = s_new;
                step = 1.02;
                let sized = vehicle.with_stages_scaled(s)?;
                let (k_new, _) = aimer.max_range_fast(&sized, Some(k))?;
                let moved = (k_new - k).abs();
                k = k_new;
                if moved < KICK_CONVERGED_DEG {
                    converged = true;
                    break;
                }
            }
            if !converged {
                return Ok(None);
            }
            let Some(s) = aimer.scale_reaching(vehicle, k, s, 1.001)? else {
                return Ok(None);
            };
            let range_of = |s: f64, tier: Tier| -> Result<Option<Shot>, Error> {
                aimer.shot(&vehicle.with_stages_scaled(s)?, k, tier)
            };
            let slope = aimer.slope(
                |s| Ok(range_of(s, Tier::Search)?.map_or(0.0, |x| x.range_m)),
                s,
                1e-6 * s,
            )?;
            Ok(
                match polish(
                    aimer,
                    |s| range_of(s, Tier::Strict),
                    s,
                    slope,
                    (0.5 * s, 2.0 * s),
                    ground,
                )? {
                    Some((s, shot)) => Some(finish(aimer, vehicle.with_stages_scaled(s)?, s, shot, ground)?),
                    None => None,
                },
            )
        }
    }
}

/// Secant iterations from `x0` (first step by `slope`, m of range per unit of x) on flights `fly`, held
/// within `bounds`, until the impact lies within [`POLISH_MISS_M`] of `ground`: the parameter and its
/// shot, or `None` after [`POLISH_ITERATIONS`] flights, when a flight does not land or when a step
/// would leave the bounds from a bound.
fn polish<F: Fn(f64) -> Result<Option<Shot>, Error>>(
    aimer: &Aimer,
    fly: F,
    x0: f64,
    slope: f64,
    bounds: (f64, f64),
    ground: Geodetic,
) -> Result<Option<(f64, Shot)>, Error> {
    let model = &aimer.options.model;
    let mut prev: Option<(f64, f64)> = None;
    let mut x = x0;
    for _ in 0..POLISH_ITERATIONS {
        let Some(shot) = fly(x)? else { return Ok(None) };
        let miss = ground_geodesic(model, shot.coast.impact().position, ground).0;
        let err = shot.range_m - aimer.target_range_m;
        if miss <= POLISH_MISS_M {
            return Ok(Some((x, shot)));
        }
        let s = match prev {
            Some((xp, ep)) if x != xp && err != ep => (err - ep) / (x - xp),
            _ => slope,
        };
        if !(s.is_finite() && s != 0.0) {
            return Ok(None);
        }
        prev = Some((x, err));
        // Within the bounds (a kick's bracket on the branch that lands, a scale's factor-of-two
        // neighbourhood): a secant step that leaves them is cut back to them, and one that stays on the
        // bound it already sits on gives up.
        let next = (x - err / s).clamp(bounds.0, bounds.1);
        if next == x {
            return Ok(None);
        }
        x = next;
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A two-stage solid medium-range test rocket (not a claim about any real missile).
    fn mrbm() -> Vehicle {
        crate::test_rockets::solid_mrbm()
    }

    /// The APS generic liquid ICBM of `europe-2008` scaled to 0.46 of its size: it lands only for kicks
    /// of about 0.5–4.5°, narrower than the first scan's 4.9° step.
    #[test]
    fn the_maximum_range_searches_find_a_landing_window_narrower_than_the_first_scan_step() {
        let liquid = crate::test_rockets::aps_liquid_icbm();
        let small = liquid.with_stages_scaled(0.46).unwrap();
        let template = Programme {
            vertical_rise_s: 8.0,
            kick_deg: 5.0,
            kick_duration_s: 10.0,
            azimuth_deg: 0.0,
        };
        let options = PoweredOptions {
            rtol: 1e-10,
            ..PoweredOptions::default()
        };
        let tehran = Geodetic {
            lat_deg: 35.69,
            lon_deg: 51.39,
            h_m: 1_200.0,
        };
        let beijing = Geodetic {
            lat_deg: 39.9,
            lon_deg: 116.4,
            h_m: 0.0,
        };
        let (aimer, _) = setup(tehran, beijing, &template, &options).unwrap();
        // Flown every 0.1°: the maximum is 5 516 km at 2.4°.
        for (k, r) in [
            aimer.max_range(&small).unwrap(),
            aimer.max_range_fast(&small, None).unwrap(),
        ] {
            assert!((2.0..3.0).contains(&k), "{k}°");
            assert!(r > 5_500e3, "{r} m");
        }
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
