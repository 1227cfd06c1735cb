//! Point gravity in closed form: the Keplerian conic from burnout, its impact on the rotating WGS84
//! ellipsoid and its apogee, with no numerical integration (`shared/DESIGN.md` §3, `gravity: "point"`).
//!
//! Under point gravity the path is the two-body ellipse through the burnout state. It is parametrised
//! by the universal anomaly χ = √a ψ ([`KeplerOrbit::at_chi`], here written in ψ: one sine and cosine
//! per point), ψ the eccentric anomaly swept since burnout: the time follows from Kepler's equation in
//! closed form, so no Kepler equation is solved.
//! Both the figure's implicit function E = (x² + y²)/a² + z²/b² − 1 and the geodetic height are
//! symmetric about the spin axis, so they are the same in the inertial and the Earth-fixed frame: the
//! Earth's rotation enters only through the impact's longitude (the Earth-fixed frame is the inertial one
//! turned by −ωt) and the Earth-relative velocity.
//!
//! - **Impact**: the first ψ > 0 at which E goes from positive to zero. Along the ellipse, E is a
//!   trigonometric polynomial of degree 2 in ψ, so its second derivative is bounded by a constant M
//!   known from its coefficients. From a point where E > 0 the march steps to where the pessimistic
//!   quadratic E + E′δ − Mδ²/2 vanishes: it can never pass a root, and near a simple root its steps are
//!   Newton's (quadratic convergence). Where the conic is farther from the centre than the equatorial
//!   radius E is positive: those arcs (all but a window around the periapsis, in closed form) are
//!   skipped. One revolution searched without a root means the conic never meets the ellipsoid.
//! - **Apogee**: the largest geodetic height up to the impact (or the burnout point's, when the flight
//!   only falls). For an eccentric conic (a·e ≥ [`UNIMODAL_AE_M`], every ballistic flight) the height has
//!   one maximum, near the apoapsis, whose position is in closed form: Newton's method on the exact
//!   height rate, safeguarded in a bracket, starts there and needs two or three steps. A nearly circular
//!   conic (grazing the equatorial bulge), on which the Earth's flattening can give the height several
//!   maxima, is sampled first.

use std::f64::consts::{PI, TAU};

use geodesy::{Geodetic, Vec3};

use crate::kepler::KeplerOrbit;
use crate::model::longitude_deg;
use crate::trajectory::{Event, event_from, event_on_surface, height_rate_exact};
use crate::{EarthModel, Error, Gravity, InertialState};

/// Below this a·e (semi-major axis times eccentricity, metres: half the difference between apoapsis and
/// periapsis radii), the apogee is searched by sampling: the height's variation from the Earth's
/// flattening (21 km between equator and pole) could then give it more than one maximum.
pub const UNIMODAL_AE_M: f64 = 300e3;
/// The apogee's last Newton step, when this short (seconds), is applied by Taylor's formula to the last
/// evaluation: the time left wrong by it is ~|h‴/2ḧ| step², below a nanosecond.
const TAYLOR_FINISH_S: f64 = 2e-3;
/// Convergence of the impact march, radians of eccentric anomaly (~1e−10 s of flight).
const MARCH_TOL_RAD: f64 = 1e-13;
/// The impact march's last step, when this short (radians of eccentric anomaly, ~1e−4 s of flight), is
/// applied by Taylor's formula to the last evaluation: near the root the steps are Newton's, so the root
/// is then known to ~1e−14 rad, and the point there to ~|j| dt³/6, far below a nanometre.
const MARCH_FINISH_RAD: f64 = 1e-7;
/// Spacing of the height-rate samples on a nearly circular conic, radians of eccentric anomaly.
const SAMPLE_RAD: f64 = 0.02;

/// A point of the conic.
#[derive(Debug, Clone, Copy)]
struct Point {
    t_s: f64,
    r: Vec3,
    v: Vec3,
    /// |r|, metres.
    rn: f64,
}

/// The conic from burnout with what event location needs.
struct Conic<'a> {
    model: &'a EarthModel,
    /// The ellipse r(ψ) = `centre` + `u` cos ψ + `w` sin ψ (metres).
    centre: Vec3,
    u: Vec3,
    w: Vec3,
    /// Kepler's equation in ψ: √μ t = `k_cos` (1 − cos ψ) + `k_sin` (ψ − sin ψ) + `k_lin` ψ, i.e.
    /// σ0 a, (a − r0) √a and r0 √a (σ0 = r0·v0/√μ).
    k_cos: f64,
    k_sin: f64,
    k_lin: f64,
    /// 1/√μ.
    inv_sqrt_mu: f64,
    /// dt/dψ = |r| · `dt_dpsi_per_m`.
    dt_dpsi_per_m: f64,
    /// Bound on |d²E/dψ²| along the whole ellipse.
    e_curvature: f64,
    /// Eccentric anomaly swept from burnout to the next periapsis, in (0, 2π].
    psi_periapsis: f64,
    /// Half-width (rad) of the window around each periapsis where |r| ≤ the equatorial radius.
    half_window: f64,
    /// Whether the apogee's latitude and longitude are wanted (else NaN: two arc tangents fewer).
    place: bool,
}

impl Conic<'_> {
    /// The point at eccentric anomaly ψ from burnout: the universal-variable solution with χ = √a ψ
    /// (Stumpff's functions of z = ψ² are (1 − cos ψ)/ψ² and (ψ − sin ψ)/ψ³), written with one sine and
    /// cosine and no division but the velocity's.
    fn at(&self, psi: f64) -> Point {
        let (s, c) = psi.sin_cos();
        let r = self.centre + self.u * c + self.w * s;
        let rn = r.norm();
        let t_s = (self.k_cos * (1.0 - c) + self.k_sin * (psi - s) + self.k_lin * psi) * self.inv_sqrt_mu;
        let v = (self.w * c - self.u * s) * (1.0 / (rn * self.dt_dpsi_per_m));
        Point { t_s, r, v, rn }
    }

    /// The point `dpsi` (radians, a short step) after `p`, by Taylor's formula in time under point
    /// gravity: r + v dt + g dt²/2, v + g dt, with dt = dpsi · dt/dψ at `p`.
    fn taylor(&self, p: &Point, dpsi: f64) -> Point {
        let dt = dpsi * p.rn * self.dt_dpsi_per_m;
        let g = p.r * (-self.model.mu_m3ps2 / (p.rn * p.rn * p.rn));
        let r = p.r + p.v * dt + g * (0.5 * dt * dt);
        Point {
            t_s: p.t_s + dt,
            r,
            v: p.v + g * dt,
            rn: r.norm(),
        }
    }

    /// E and dE/dψ at `p`.
    fn outside(&self, p: &Point) -> (f64, f64) {
        let (e, edot) = self.model.outside_and_rate(p.r, p.v);
        (e, edot * p.rn * self.dt_dpsi_per_m)
    }

    /// The first ψ in (0, end] where E goes from positive to zero; `None` when it never does (the conic
    /// misses the ellipsoid or only touches it from inside). The height is a function of the inertial
    /// position alone (the ellipsoid is symmetric about the rotation axis), so the flight repeats itself
    /// every revolution: `end` is the end of the first periapsis window ahead when burnout lies outside
    /// every window, and otherwise at least one whole revolution (2π), so that the part of burnout's own
    /// window flown before burnout is searched on the next pass.
    fn first_impact(&self, start: &Point) -> Option<(f64, Point)> {
        let m = self.e_curvature;
        let (pp, w) = (self.psi_periapsis, self.half_window);
        // The arcs between the windows around successive periapses are outside the circumscribed
        // sphere: E > 0 there. `gap` is the one before the periapsis ahead, `next_gap` the one after.
        let gap = (pp - TAU + w, pp - w);
        let next_gap = (gap.0 + TAU, gap.1 + TAU);
        let burnout_in_a_window = !(gap.0 < 0.0 && 0.0 < gap.1);
        let end = if burnout_in_a_window {
            (pp + w).max(TAU)
        } else {
            pp + w
        };
        let in_gap = |psi: f64| {
            if psi > gap.0 && psi < gap.1 {
                Some(gap.1)
            } else if psi > next_gap.0 && psi < next_gap.1 {
                Some(next_gap.1)
            } else {
                None
            }
        };
        let mut psi = 0.0;
        let mut p = *start;
        let (mut e, mut de) = self.outside(&p);
        for _ in 0..10_000 {
            let above = e > 0.0 || (e == 0.0 && de > 0.0);
            if let Some(gap_end) = in_gap(psi).filter(|_| above) {
                psi = gap_end;
            } else {
                let step = if above {
                    // E(ψ + δ) ≥ E + E′δ − Mδ²/2 > 0 for δ below this root.
                    (de + (de * de + 2.0 * m * e).sqrt()) / m
                } else {
                    // E(ψ + δ) ≤ E + E′δ + Mδ²/2 < 0 for δ below this root (the flight is climbing
                    // out from under the ground).
                    ((-de + (de * de - 2.0 * m * e).max(0.0).sqrt()) / m).max(MARCH_TOL_RAD)
                };
                if !step.is_finite() {
                    return None;
                }
                if above && step <= MARCH_FINISH_RAD {
                    let psi_root = psi + step;
                    return (psi_root <= end).then(|| (psi_root, self.taylor(&p, step)));
                }
                psi += step;
            }
            if psi > end {
                return None;
            }
            p = self.at(psi);
            let was_above = above;
            (e, de) = self.outside(&p);
            if was_above && e <= 0.0 {
                // Landed on the root itself (to rounding).
                return Some((psi, p));
            }
        }
        None
    }

    /// The exact height rate and its derivative at ψ, with the point.
    fn height_rate(&self, psi: f64) -> (Point, crate::trajectory::HeightRate) {
        let p = self.at(psi);
        let x = height_rate_exact(self.model, Gravity::Point, p.r, p.v);
        (p, x)
    }

    /// The height's maximum in the bracket [`lo`, `hi`] (height rate > 0 at `lo`, < 0 at `hi`) by
    /// Newton's method on the exact rate from `guess`, safeguarded by bisection; the event there.
    fn turn(&self, mut lo: f64, mut hi: f64, guess: f64) -> Event {
        let mut psi = guess.clamp(lo, hi);
        for _ in 0..100 {
            let (p, x) = self.height_rate(psi);
            if x.hdot > 0.0 {
                lo = psi;
            } else {
                hi = psi;
            }
            let dt = -x.hdot / x.hddot;
            let dt_dpsi = p.rn * self.dt_dpsi_per_m;
            let next = psi + dt / dt_dpsi;
            if x.hddot < 0.0 && dt.abs() <= TAYLOR_FINISH_S && next > lo && next < hi {
                // Finish by Taylor's formula from this evaluation, the point as well as the height and
                // latitude (errors of order dt³ in the height and the position, dt² in the latitude and
                // the velocity: far below a micrometre, 1e−12 rad and 1e−7 m/s), without another
                // evaluation of the conic.
                let q = self.taylor(&p, dt / dt_dpsi);
                let h_m = x.h + (x.hdot + 0.5 * x.hddot * dt) * dt;
                let position = if self.place {
                    Geodetic {
                        lat_deg: (x.sin_lat.atan2(x.cos_lat) + x.lat_rate * dt).to_degrees(),
                        lon_deg: longitude_deg(self.model.inertial_to_ecef(q.r, q.t_s)),
                        h_m,
                    }
                } else {
                    Geodetic {
                        lat_deg: f64::NAN,
                        lon_deg: f64::NAN,
                        h_m,
                    }
                };
                return Event {
                    t_since_burnout_s: q.t_s,
                    r_inertial_m: q.r,
                    v_inertial_mps: q.v,
                    position,
                };
            }
            let inside = next.is_finite() && next > lo && next < hi;
            let next = if inside { next } else { 0.5 * (lo + hi) };
            if (next - psi).abs() <= 1e-15 || hi - lo <= 1e-15 {
                psi = next;
                break;
            }
            psi = next;
        }
        let p = self.at(psi);
        event_from(self.model, p.t_s, p.r, p.v)
    }
}

/// Impact and apogee of the point-gravity conic through `state` (inertial, t = 0). `rate_sign` is the
/// sign of the height rate at burnout from the cheap stand-in (+1, −1, or 0 when it cannot tell) and
/// `exact_at_burnout` gives the exact height and rate there, asked for only when needed. The state must be
/// bound (negative energy). With `place` false the apogee's latitude and longitude may be left NaN (the
/// flight's summary needs only its time and height). Errors: the conic never meets the ellipsoid
/// ([`Error::NoImpact`], with the time span searched).
pub(crate) fn impact_and_apogee(
    model: &EarthModel,
    state: &InertialState,
    orbit: &KeplerOrbit,
    rate_sign: i8,
    exact_at_burnout: impl Fn() -> (f64, f64),
    place: bool,
) -> Result<(Event, Event), Error> {
    let mu = model.mu_m3ps2;
    let sqrt_mu = mu.sqrt();
    let (r0v, v0v) = (state.r_inertial_m, state.v_inertial_mps);
    let r0 = r0v.norm();
    let alpha = orbit.alpha_per_m();
    let a = 1.0 / alpha;
    let sqrt_a = a.sqrt();
    let sigma0 = r0v.dot(v0v) / sqrt_mu;
    // Eccentric anomaly at burnout: e cos E0 = 1 − r0/a, e sin E0 = σ0/√a.
    let (ecos, esin) = (1.0 - r0 * alpha, sigma0 / sqrt_a);
    let ecc = (ecos * ecos + esin * esin).sqrt();
    let e0 = esin.atan2(ecos);
    let psi_periapsis = if e0 < 0.0 {
        -e0
    } else if e0 > 0.0 {
        TAU - e0
    } else {
        TAU
    };
    // |r| = a (1 − e cos E) ≤ a_eq where cos E ≥ (1 − a_eq/a)/e.
    let k = (1.0 - model.max_surface_radius_m() * alpha) / ecc;
    let half_window = if k.is_nan() || k <= -1.0 {
        PI
    } else {
        k.min(1.0).acos()
    };
    // r(ψ) = R0 + U cos ψ + W sin ψ, so E is a trigonometric polynomial of degree 2 in ψ; its second
    // derivative is bounded by |first harmonic| + 4 |second harmonic|.
    let p_vec = r0v * (-a / r0) + v0v * (sigma0 * a / sqrt_mu);
    let (centre, u, w) = (r0v + p_vec, -p_vec, v0v * (r0 * sqrt_a / sqrt_mu));
    let (ia2, ib2) = model.inverse_axes_squared();
    let dot_d = |x: Vec3, y: Vec3| (x.x * y.x + x.y * y.y) * ia2 + x.z * y.z * ib2;
    let (c1, s1) = (2.0 * dot_d(centre, u), 2.0 * dot_d(centre, w));
    let (c2, s2) = (0.5 * (dot_d(u, u) - dot_d(w, w)), dot_d(u, w));
    let amplitude = |c: f64, s: f64| (c * c + s * s).sqrt();
    let e_curvature = (amplitude(c1, s1) + 4.0 * amplitude(c2, s2)) * (1.0 + 1e-12) + f64::MIN_POSITIVE;
    let conic = Conic {
        model,
        centre,
        u,
        w,
        k_cos: sigma0 * a,
        k_sin: (a - r0) * sqrt_a,
        k_lin: r0 * sqrt_a,
        inv_sqrt_mu: 1.0 / sqrt_mu,
        dt_dpsi_per_m: sqrt_a / sqrt_mu,
        e_curvature,
        psi_periapsis,
        half_window,
        place,
    };
    let start = Point {
        t_s: 0.0,
        r: r0v,
        v: v0v,
        rn: r0,
    };
    let Some((psi_imp, imp)) = conic.first_impact(&start) else {
        // The span the sampling search of earlier versions covered (the same message for the same state).
        let searched_s = orbit.time_to_next_periapsis_s().unwrap_or(0.0) + orbit.period_s().unwrap_or(0.0);
        return Err(Error::NoImpact { searched_s });
    };
    let impact = event_on_surface(model, imp.t_s, imp.r, imp.v);

    // The apogee: the burnout point unless the height rises above it before the impact.
    let at_burnout = || event_from(model, 0.0, r0v, v0v);
    let psi_apo = psi_periapsis - PI;
    let eccentric = a * ecc >= UNIMODAL_AE_M && psi_apo > 0.0 && psi_apo < psi_imp;
    let climbing = || match rate_sign {
        0 => exact_at_burnout().1 > 0.0,
        s => s > 0,
    };
    let apogee = if eccentric && climbing() {
        conic.turn(0.0, psi_imp, psi_apo)
    } else {
        let (h0, hdot0) = exact_at_burnout();
        // Sample the height rate; refine every maximum; keep the highest (or the burnout point).
        let n = ((psi_imp / SAMPLE_RAD).ceil() as usize).clamp(16, 100_000);
        let mut best: Option<Event> = None;
        let mut best_h = h0;
        let mut prev = (0.0, hdot0);
        for i in 1..=n {
            let psi = psi_imp * i as f64 / n as f64;
            let rate = if i == n {
                // At the impact the height falls (or, grazing, is flat).
                -1.0
            } else {
                conic.height_rate(psi).1.hdot
            };
            if prev.1 > 0.0 && rate <= 0.0 {
                let ev = conic.turn(prev.0, psi, 0.5 * (prev.0 + psi));
                if ev.position.h_m > best_h {
                    best_h = ev.position.h_m;
                    best = Some(ev);
                }
            }
            prev = (psi, rate);
        }
        best.unwrap_or_else(at_burnout)
    };
    Ok((impact, apogee))
}
