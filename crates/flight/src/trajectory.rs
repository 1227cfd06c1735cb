//! Ballistic propagation from burnout to impact, with event location: impact, apogee and altitude
//! crossings (`shared/DESIGN.md` §3).
//!
//! The state is integrated in the inertial frame (the gravity field is symmetric about Z, so it is the
//! same in both frames); heights are measured on the Earth-fixed figure, whose frame is the inertial one
//! rotated by −ωt. Impact is the first downward zero of the geodetic height h(t), apogee the largest
//! maximum of h(t) found as a downward zero of dh/dt (the Earth-relative velocity along the ellipsoid
//! normal), which locates its time far better than maximising h itself. On the closed-form Kepler orbit
//! (point gravity) they are located on the conic itself, without integration ([`crate::conic`]); on an
//! integrator's path they are
//! bracketed step by step and located by Newton's method — for RKN12 on Taylor expansions about exact
//! states of the path (`NystromScan`), for DOP853 on its dense output (`StepScan`).

use std::sync::OnceLock;

use geodesy::{Geodetic, Vec3, wrap_180_deg, wrap_360_deg};

use crate::conic;
use crate::dop853::{self, Segment, Step};
use crate::kepler::KeplerOrbit;
use crate::model::{Figure, longitude_deg};
use crate::ode::{IntegrationError, Integrator, Tolerances};
use crate::rkn12;
use crate::roots::{brent, newton_bracketed};
use crate::{BurnoutState, EarthModel, Error, Gravity, InertialState};

/// Largest interval between the samples of the height that bracket altitude crossings
/// ([`Trajectory::altitude_crossings`]), seconds: a ballistic arc cannot cross a height twice within a
/// minute but around its apogee, which is one of the samples.
const CROSSING_SAMPLE_S: f64 = 60.0;
/// Time resolution of event location, seconds.
const EVENT_XTOL_S: f64 = 1e-9;

/// How the path is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Method {
    /// Kepler in closed form for point gravity, the integrator for J2.
    #[default]
    Auto,
    /// The integrator ([`Options::integrator`]), whatever the gravity.
    Numerical,
    /// Closed-form Kepler (point gravity only: J2 requests fail).
    Kepler,
}

/// Propagation settings.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Options {
    /// The Earth model (the contract one by default).
    pub model: EarthModel,
    /// Integrator tolerances (by default those of the default integrator: see
    /// [`Tolerances::for_integrator`]).
    pub tolerances: Tolerances,
    /// Closed form or numerical.
    pub method: Method,
    /// The integrator of the numerical method.
    pub integrator: Integrator,
}

impl Options {
    /// The default options with `integrator` and its default tolerances.
    pub fn with_integrator(integrator: Integrator) -> Self {
        Options {
            integrator,
            tolerances: Tolerances::for_integrator(integrator),
            ..Options::default()
        }
    }
}

/// A point of the trajectory at which something happens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Event {
    /// Time after burnout, seconds.
    pub t_since_burnout_s: f64,
    /// Inertial position, metres.
    pub r_inertial_m: Vec3,
    /// Inertial velocity, m/s.
    pub v_inertial_mps: Vec3,
    /// Latitude, longitude (in [−180, 180)) and height on the model's figure of the Earth-fixed position.
    pub position: Geodetic,
}

/// A crossing of a given height.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Crossing {
    /// Time after burnout, seconds.
    pub t_since_burnout_s: f64,
    /// True when climbing through the height, false when descending.
    pub ascending: bool,
}

/// One sample of the track, Earth-fixed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrackPoint {
    /// Time after burnout, seconds.
    pub t_since_burnout_s: f64,
    /// Latitude, degrees.
    pub lat_deg: f64,
    /// Longitude, degrees in [−180, 180).
    pub lon_deg: f64,
    /// Height above the figure, metres.
    pub alt_m: f64,
    /// Earth-relative speed, m/s.
    pub speed_rel_mps: f64,
    /// Inertial speed, m/s.
    pub speed_inertial_mps: f64,
}

/// The answer of `shieldwatch fly` (`shared/DESIGN.md` §4).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FlightSummary {
    /// Geodetic latitude of the impact point, degrees.
    pub impact_lat_deg: f64,
    /// Longitude of the impact point, degrees in [−180, 180).
    pub impact_lon_deg: f64,
    /// Time from burnout to impact, seconds.
    pub time_of_flight_s: f64,
    /// Largest geodetic height, metres.
    pub apogee_alt_m: f64,
    /// Time of the largest height after burnout, seconds.
    pub apogee_time_s: f64,
    /// Geodesic distance from the burnout sub-point to the impact point, metres.
    pub ground_range_m: f64,
    /// Azimuth of that geodesic at the burnout sub-point, degrees in [0, 360).
    pub ground_azimuth_deg: f64,
}

#[derive(Debug, Clone)]
enum Path {
    /// DOP853 steps, with dense output.
    Dense(Vec<LazySegment>),
    /// RKN12 steps.
    Nystrom(Vec<rkn12::Step>),
    Kepler(KeplerOrbit),
}

/// A ballistic trajectory from burnout (t = 0) to impact, continuous in time.
#[derive(Debug, Clone)]
pub struct Trajectory {
    model: EarthModel,
    gravity: Gravity,
    burnout: InertialState,
    /// The burnout sub-point as given, when the flight started from a geodetic burnout state (the ground
    /// geodesic of [`Trajectory::summary`] leaves from it; else it is found from the inertial position).
    start: Option<Geodetic>,
    path: Path,
    impact: Event,
    apogee: Event,
}

/// Propagates a contract burnout state (`shared/DESIGN.md` §3) to impact under `gravity`.
pub fn propagate(burnout: &BurnoutState, gravity: Gravity) -> Result<Trajectory, Error> {
    propagate_with(burnout, gravity, &Options::default())
}

/// [`propagate`] with an explicit model, tolerances and method.
pub fn propagate_with(
    burnout: &BurnoutState,
    gravity: Gravity,
    options: &Options,
) -> Result<Trajectory, Error> {
    burnout.validate()?;
    let mut traj = propagate_inertial(&burnout.to_inertial(&options.model), gravity, options)?;
    traj.start = Some(Geodetic {
        lat_deg: burnout.lat_deg,
        lon_deg: burnout.lon_deg,
        h_m: burnout.alt_m,
    });
    Ok(traj)
}

/// The `fly` answer ([`Trajectory::summary`]) for a contract burnout state under `gravity`, with the
/// default options: the same numbers as `propagate(burnout, gravity)?.summary()`, without keeping the
/// integrator's steps that the trajectory keeps for later queries of its path.
pub fn fly(burnout: &BurnoutState, gravity: Gravity) -> Result<FlightSummary, Error> {
    burnout.validate()?;
    let options = Options::default();
    let mut traj =
        propagate_inertial_keeping(&burnout.to_inertial(&options.model), gravity, &options, false)?;
    traj.start = Some(Geodetic {
        lat_deg: burnout.lat_deg,
        lon_deg: burnout.lon_deg,
        h_m: burnout.alt_m,
    });
    Ok(traj.summary())
}

/// Propagates an inertial state at burnout (t = 0, frames coincide) to impact.
pub fn propagate_inertial(
    state: &InertialState,
    gravity: Gravity,
    options: &Options,
) -> Result<Trajectory, Error> {
    propagate_inertial_keeping(state, gravity, options, true)
}

/// [`propagate_inertial`]; with `keep_path` false the RKN12 steps are not kept (the trajectory then
/// answers its events and [`Trajectory::summary`], but no query of a state inside its path).
fn propagate_inertial_keeping(
    state: &InertialState,
    gravity: Gravity,
    options: &Options,
    keep_path: bool,
) -> Result<Trajectory, Error> {
    let model = options.model;
    let mu = model.mu_m3ps2;
    if !(state.r_inertial_m.is_finite() && state.v_inertial_mps.is_finite()) {
        return Err(Error::InvalidInput {
            name: "state",
            value: f64::NAN,
            expected: "a finite position and velocity",
        });
    }
    let energy = state.energy_j_per_kg(mu);
    if energy >= 0.0 {
        return Err(Error::Escape {
            energy_j_per_kg: energy,
        });
    }
    let rp = state.perigee_radius_m(mu);
    // With J2 the osculating perigee wobbles by up to ~J2·Re ≈ 7 km: leave a margin, the time limit
    // below catches the rest.
    let margin = if gravity == Gravity::J2 { 30e3 } else { 0.0 };
    if rp > model.max_surface_radius_m() + margin {
        return Err(Error::Orbital { perigee_radius_m: rp });
    }
    // The stand-ins give the height's sign exactly: the exact height is needed here only at or under the
    // ground (and later, by the paths that use it).
    let proxy0 = model.height_sign_and_rate_proxy(state.r_inertial_m, state.v_inertial_mps);
    let mut exact0 = None;
    if proxy0.0 <= 0.0 {
        let (h0, hdot0) = model.height_and_rate(state.r_inertial_m, state.v_inertial_mps);
        if h0 <= 0.0 && hdot0 <= 0.0 {
            return Err(Error::StartsUnderground { alt_m: h0 });
        }
        exact0 = Some((h0, hdot0));
    }
    let exact_at_burnout =
        || exact0.unwrap_or_else(|| model.height_and_rate(state.r_inertial_m, state.v_inertial_mps));
    let kepler = KeplerOrbit::new(*state, mu);
    let period = kepler.period_s().unwrap_or(f64::INFINITY);
    // The integrators' time limit: an impact comes within an orbit's period, or never.
    let t_cap = if period.is_finite() { 1.5 * period } else { 1e6 };
    let use_kepler = match options.method {
        Method::Auto => gravity == Gravity::Point,
        Method::Numerical => false,
        Method::Kepler => {
            if gravity != Gravity::Point {
                return Err(Error::InvalidInput {
                    name: "method",
                    value: f64::NAN,
                    expected: "the Kepler method only with point gravity",
                });
            }
            true
        }
    };
    let (path, impact, apogees) = if use_kepler {
        // The conic in closed form: impact and apogee located on it directly (`conic`).
        // The burnout height and its rate are needed only where the stand-in cannot tell whether the
        // flight starts by climbing, or when it does not.
        let (impact, apogee) =
            conic::impact_and_apogee(&model, state, &kepler, proxy0.1, exact_at_burnout, keep_path)?;
        return Ok(Trajectory {
            model,
            gravity,
            burnout: *state,
            start: None,
            path: Path::Kepler(kepler),
            impact,
            apogee,
        });
    } else if options.integrator == Integrator::Dop853 {
        let f = rhs(model, gravity);
        let y0 = to_y(state);
        let (h0, hdot0) = exact_at_burnout();
        let mut step_scan = StepScan::new(model, gravity, y0, h0, hdot0);
        let mut segments: Vec<LazySegment> = Vec::with_capacity(32);
        dop853::integrate(&f, y0, t_cap, &options.tolerances, |step| {
            segments.push(LazySegment::new(step.clone()));
            if let Some(seg) = segments.last() {
                step_scan.step(seg, &f);
            }
            step_scan.impact.is_none()
        })
        .map_err(integration_error)?;
        (Path::Dense(segments), step_scan.impact, step_scan.apogees)
    } else {
        let accel = |r: Vec3| model.acceleration(gravity, r);
        // Without the path, only `fly`'s summary is asked of the trajectory: no apogee latitude or longitude.
        let mut scan = NystromScan::new(model, gravity, proxy0, exact0, keep_path);
        let mut steps: Vec<rkn12::Step> = if keep_path {
            Vec::with_capacity(16)
        } else {
            Vec::new()
        };
        let mut searched_s = 0.0;
        rkn12::integrate(
            accel,
            state.r_inertial_m,
            state.v_inertial_mps,
            t_cap,
            &options.tolerances,
            |step| {
                if keep_path {
                    steps.push(*step);
                }
                searched_s = step.t1_s();
                scan.step(step, &accel);
                scan.impact.is_none().then(|| scan.next_step_cap())
            },
        )
        .map_err(integration_error)?;
        let Some(impact) = scan.impact else {
            return Err(Error::NoImpact { searched_s });
        };
        // The highest local maximum before the impact, unless the burnout point is higher (which needs
        // the flight to fall first: when it starts rising, the first maximum is higher).
        let floor = if proxy0.1 > 0 {
            f64::NEG_INFINITY
        } else {
            exact_at_burnout().0
        };
        let apogee = scan
            .apogee
            .filter(|a| a.position.h_m > floor)
            .unwrap_or_else(|| event_from(&model, 0.0, state.r_inertial_m, state.v_inertial_mps));
        return Ok(Trajectory {
            model,
            gravity,
            burnout: *state,
            start: None,
            path: Path::Nystrom(steps),
            impact,
            apogee,
        });
    };
    let mut traj = Trajectory {
        model,
        gravity,
        burnout: *state,
        start: None,
        path,
        impact: event_placeholder(),
        apogee: event_placeholder(),
    };
    let Some(t_imp) = impact else {
        let searched_s = traj.path_end_s();
        return Err(Error::NoImpact { searched_s });
    };
    traj.impact = traj.event_at(t_imp);
    let mut best = (0.0, exact_at_burnout().0);
    for &(t, h) in &apogees {
        if t <= t_imp && h > best.1 {
            best = (t, h);
        }
    }
    traj.apogee = traj.event_at(best.0);
    Ok(traj)
}

fn integration_error(e: IntegrationError) -> Error {
    match e {
        IntegrationError::TooManySteps { t_s } => Error::Integration {
            t_s,
            reason: "too many steps",
        },
        IntegrationError::StepUnderflow { t_s } => Error::Integration {
            t_s,
            reason: "step size underflow",
        },
    }
}

/// The event at `t_s` of inertial state (`r`, `v`).
pub(crate) fn event_from(model: &EarthModel, t_s: f64, r: Vec3, v: Vec3) -> Event {
    Event {
        t_since_burnout_s: t_s,
        r_inertial_m: r,
        v_inertial_mps: v,
        position: model.geodetic_of_fast(model.inertial_to_ecef(r, t_s)),
    }
}

fn event_placeholder() -> Event {
    Event {
        t_since_burnout_s: 0.0,
        r_inertial_m: Vec3::ZERO,
        v_inertial_mps: Vec3::ZERO,
        position: Geodetic {
            lat_deg: 0.0,
            lon_deg: 0.0,
            h_m: 0.0,
        },
    }
}

/// The right-hand side y' = f(y) of the equations of motion in the inertial frame.
fn rhs(model: EarthModel, gravity: Gravity) -> impl Fn(&dop853::State) -> dop853::State {
    move |y: &dop853::State| {
        let a = model.acceleration(gravity, Vec3::new(y[0], y[1], y[2]));
        [y[3], y[4], y[5], a.x, a.y, a.z]
    }
}

/// An integrator step whose dense output is built the first time a state inside it is asked for.
#[derive(Debug, Clone)]
struct LazySegment {
    step: Step,
    dense: OnceLock<Segment>,
}

impl LazySegment {
    fn new(step: Step) -> Self {
        LazySegment {
            step,
            dense: OnceLock::new(),
        }
    }

    fn t1_s(&self) -> f64 {
        self.step.t1_s()
    }

    /// The state at `t_s` (7th-order dense output; the step's own end points exactly).
    fn eval(&self, t_s: f64, f: &impl Fn(&dop853::State) -> dop853::State) -> dop853::State {
        if t_s == self.step.t0_s {
            return self.step.y0;
        }
        if t_s == self.step.t1_s() {
            return self.step.y1;
        }
        self.dense.get_or_init(|| self.step.dense(f)).eval(t_s)
    }
}

fn to_y(s: &InertialState) -> dop853::State {
    let (r, v) = (s.r_inertial_m, s.v_inertial_mps);
    [r.x, r.y, r.z, v.x, v.y, v.z]
}

fn from_y(y: &dop853::State) -> (Vec3, Vec3) {
    (Vec3::new(y[0], y[1], y[2]), Vec3::new(y[3], y[4], y[5]))
}

/// Sequential bracketing of impact and apogee over the integrator's steps, with refinement.
///
/// At each step end it evaluates cheap stand-ins for the height and its rate
/// ([`EarthModel::height_sign_and_rate_proxy`]: the height's sign exactly, its rate's sign outside a
/// known band), and the exact height and rate (Heikkinen) only at the ends of the steps where the
/// height may turn over (the rate's sign changes or is undecided: a few seconds around the apogee).
/// Steps last at most [`Tolerances::max_step_s`]; a ballistic arc's height turns over at most once
/// within that, so the signs at a step's ends tell what happens inside, but for one case — a dip
/// (falling at the start, rising at the end, above ground at both) — whose lowest point is found and
/// checked. Events are then located on the step's dense output, which is built only for the steps that
/// hold one, by Newton's method (safeguarded by bisection) from a cubic Hermite guess: the apogee as a
/// root of dh/dt, the impact as a root of the figure's implicit function (the same zero as the height,
/// with an exact and cheap rate).
struct StepScan {
    model: EarthModel,
    gravity: Gravity,
    /// At the last step end: the stand-ins (outside, sign of the rate), and the exact (h, dh/dt) when
    /// they were computed.
    proxy: (f64, i8),
    exact: Option<(f64, f64)>,
    impact: Option<f64>,
    apogees: Vec<(f64, f64)>,
}

impl StepScan {
    fn new(model: EarthModel, gravity: Gravity, y0: dop853::State, h0: f64, hdot0: f64) -> Self {
        let (r, v) = from_y(&y0);
        StepScan {
            model,
            gravity,
            proxy: model.height_sign_and_rate_proxy(r, v),
            exact: Some((h0, hdot0)),
            impact: None,
            apogees: Vec::new(),
        }
    }

    fn step(&mut self, seg: &LazySegment, f: &impl Fn(&dop853::State) -> dop853::State) {
        if self.impact.is_some() {
            return;
        }
        let model = self.model;
        let gravity = self.gravity;
        let (t0, t1) = (seg.step.t0_s, seg.step.t1_s());
        let (r0, v0) = from_y(&seg.step.y0);
        let (r1, v1) = from_y(&seg.step.y1);
        let proxy0 = self.proxy;
        let proxy1 = model.height_sign_and_rate_proxy(r1, v1);
        let mut exact1 = None;
        let (s0, s1) = (proxy0.1, proxy1.1);
        let state = |t: f64| from_y(&seg.eval(t, f));
        // The impact is a root of the figure's implicit function E, whose rate is exact and cheap.
        let outside_of = |t: f64| {
            let (r, v) = state(t);
            model.outside_and_rate(r, v)
        };
        let mut impact_bracket = (proxy0.0 > 0.0 && proxy1.0 <= 0.0).then_some(t1);
        if s0 != s1 || s0 == 0 {
            // The height may turn over in this step: exact heights and rates at both ends.
            let (h0, hdot0) = self.exact.unwrap_or_else(|| model.height_and_rate(r0, v0));
            let (h1, hdot1) = model.height_and_rate(r1, v1);
            exact1 = Some((h1, hdot1));
            let h_of = |t: f64| {
                let (r, v) = state(t);
                model.height_and_rate(r, v)
            };
            // The height rate and an approximation of its derivative (the figure's curvature taken as
            // a sphere's: off by the flattening, ~0.3 %, which Newton's method absorbs).
            let hdot_of = |t: f64| {
                let (r, v) = state(t);
                let (_, up) = model.height_and_normal(r);
                let v_rel = v - model.omega().cross(r);
                let a_rel = model.acceleration(gravity, r) - model.omega().cross(v);
                let hdot = up.dot(v_rel);
                let hddot = up.dot(a_rel) + (v_rel.dot(v) - hdot * up.dot(v)) / r.norm();
                (hdot, hddot)
            };
            let hermite = Hermite::new(t0, t1, h0, hdot0, h1, hdot1);
            if hdot0 > 0.0 && hdot1 <= 0.0 {
                let guess = hermite.rate_root().unwrap_or(0.5 * (t0 + t1));
                if let Some(ta) = newton_bracketed(hdot_of, t0, t1, guess, hdot0, hdot1, EVENT_XTOL_S) {
                    self.apogees.push((ta, h_of(ta).0));
                }
            }
            if impact_bracket.is_none() && h0 > 0.0 && h1 > 0.0 && hdot0 < 0.0 && hdot1 > 0.0 {
                // A dip: is its lowest point under the ground?
                let guess = hermite.rate_root().unwrap_or(0.5 * (t0 + t1));
                if let Some(tm) = newton_bracketed(hdot_of, t0, t1, guess, hdot0, hdot1, EVENT_XTOL_S)
                    && h_of(tm).0 <= 0.0
                {
                    impact_bracket = Some(tm);
                }
            }
        }
        if let Some(tb) = impact_bracket {
            let (e0, edot0) = model.outside_and_rate(r0, v0);
            let (eb, edotb) = outside_of(tb);
            let guess = Hermite::new(t0, tb, e0, edot0, eb, edotb)
                .value_root(t0, tb)
                .unwrap_or(0.5 * (t0 + tb));
            self.impact = newton_bracketed(outside_of, t0, tb, guess, e0, eb, EVENT_XTOL_S).or(Some(tb));
        }
        self.proxy = proxy1;
        self.exact = exact1;
    }
}

/// Sequential bracketing of impact and apogee over the RKN12 steps, with refinement.
///
/// Bracketing is [`StepScan`]'s: cheap stand-ins for the height and its rate at each step end, the exact
/// height and rate (Heikkinen) only where a stand-in cannot tell the rate's sign. Steps last at most
/// [`Tolerances::max_step_s`] (600 s by default), within which a suborbital arc's height turns over at
/// most once. A near-orbital flight's height can turn more often within a step (the equatorial bulge
/// passing under it): a few flops per step ([`may_turn_more_than_once`]) pick out the steps where it
/// might, whose turns are then all found on pieces of the step ([`turns_inside`]). Events are then
/// located in two stages: a guess (the impact: Newton's method on the step's quintic
/// Hermite interpolant, or the step's end, at which the step cap aims; the apogee: the root of the cubic
/// Hermite interpolant of dE/dt, corrected to first order for the normal's direction, [`locate_turn`]),
/// then Newton's method on [`Local`] Taylor expansions about exact states of the path — a step's end, or
/// one RKN12 step from its start ([`locate_root`], [`refine_root`]).
struct NystromScan {
    model: EarthModel,
    gravity: Gravity,
    proxy: (f64, i8),
    exact: Option<(f64, f64)>,
    impact: Option<Event>,
    /// The highest local maximum of the height before the impact so far (the first of equal ones).
    apogee: Option<Event>,
    /// The bound on the next step ([`NystromScan::next_step_cap`]), set by each step.
    next_cap: f64,
    /// dE/dt and d²E/dt² at the last step's end (the next step's start).
    start_rates: Option<(f64, f64)>,
    /// Whether the turns' latitudes and longitudes are wanted ([`locate_turn`]).
    place_turns: bool,
}

impl NystromScan {
    fn new(
        model: EarthModel,
        gravity: Gravity,
        proxy: (f64, i8),
        exact: Option<(f64, f64)>,
        place_turns: bool,
    ) -> Self {
        NystromScan {
            model,
            gravity,
            proxy,
            exact,
            impact: None,
            apogee: None,
            next_cap: f64::INFINITY,
            start_rates: None,
            place_turns,
        }
    }

    fn step(&mut self, st: &rkn12::Step, accel: &impl Fn(Vec3) -> Vec3) {
        if self.impact.is_some() {
            return;
        }
        let model = self.model;
        let gravity = self.gravity;
        let (t0, t1) = (st.t0_s, st.t1_s());
        let proxy0 = self.proxy;
        let proxy1 = model.height_sign_and_rate_proxy(st.r1, st.v1);
        let mut exact1 = None;
        let (s0, s1) = (proxy0.1, proxy1.1);
        // The impact bracket: (ta, E(ta), tb, E(tb)) with E(ta) > 0 ≥ E(tb).
        let mut impact_bracket = (proxy0.0 > 0.0 && proxy1.0 <= 0.0).then_some((t0, proxy0.0, t1, proxy1.0));
        // This step's local maxima of the height, kept when they come before the impact.
        let mut turn_maximum = None;
        let mut maxima = Vec::new();
        let (edot1, eddot1) = model.outside_rate_and_derivative(st.r1, st.v1, st.a1);
        let (edot0, eddot0) = self
            .start_rates
            .unwrap_or_else(|| model.outside_rate_and_derivative(st.r0, st.v0, st.a0));
        self.start_rates = Some((edot1, eddot1));
        if may_turn_more_than_once(&model, st, (edot0, eddot0), (edot1, eddot1)) {
            // The height may turn more than once in this step (fall, rise and fall again: a near-orbital
            // flight over the equatorial bulge), which the rates' signs at its ends cannot tell: every
            // turn, in time order, from pieces of the step; the impact is the first descent through the
            // ground between two of them.
            let mut turns = Vec::new();
            turns_inside(st, accel, &model, gravity, &mut |event, maximum| {
                turns.push((event, maximum))
            });
            let mut last = (t0, proxy0.0);
            impact_bracket = None;
            for (event, maximum) in turns {
                let t = event.t_since_burnout_s;
                let e_turn = model.outside_and_rate(event.r_inertial_m, event.v_inertial_mps).0;
                if last.1 > 0.0 && e_turn <= 0.0 {
                    impact_bracket = Some((last.0, last.1, t, e_turn));
                    break;
                }
                if maximum {
                    maxima.push(event);
                }
                last = (t, e_turn);
            }
            if impact_bracket.is_none() && last.1 > 0.0 && proxy1.0 <= 0.0 {
                impact_bracket = Some((last.0, last.1, t1, proxy1.0));
            }
        } else if s0 != s1 || s0 == 0 {
            // The height may turn over in this step. Where a stand-in rate is undecided (within its band of
            // zero), the exact rate decides.
            let end = |s: i8, exact: &mut Option<(f64, f64)>, r: Vec3, v: Vec3| {
                if s != 0 {
                    return f64::from(s);
                }
                let (h, hdot) = exact.unwrap_or_else(|| model.height_and_rate(r, v));
                *exact = Some((h, hdot));
                hdot
            };
            let mut exact0 = self.exact;
            let rate0 = end(s0, &mut exact0, st.r0, st.v0);
            let rate1 = end(s1, &mut exact1, st.r1, st.v1);
            let turns = (rate0 > 0.0 && rate1 <= 0.0) || (rate0 < 0.0 && rate1 > 0.0);
            if turns
                && let Some(event) = locate_turn(st, accel, &model, gravity, rate0, rate1, self.place_turns)
            {
                let t = event.t_since_burnout_s;
                let e_turn = model.outside_and_rate(event.r_inertial_m, event.v_inertial_mps).0;
                if rate0 > 0.0 {
                    turn_maximum = Some(event);
                    if proxy0.0 <= 0.0 && e_turn > 0.0 && proxy1.0 <= 0.0 {
                        // Launched from the ground (or under it), up and down again within the step.
                        impact_bracket = Some((t, e_turn, t1, proxy1.0));
                    }
                } else if impact_bracket.is_none() && e_turn <= 0.0 {
                    // A dip whose lowest point is under the ground.
                    impact_bracket = Some((t0, proxy0.0, t, e_turn));
                }
            }
        }
        // The impact is a root of the figure's implicit function E, whose rate is exact and cheap. The
        // step cap aims the step's end at the impact: when it lands within reach of it (before or
        // after), the expansion about the step's end locates it without a state inside the step.
        let outside = |r: Vec3, v: Vec3| model.outside_and_rate(r, v);
        let e1 = proxy1.0;
        self.next_cap = next_step_cap(e1, edot1, eddot1);
        let from_end = edot1 < 0.0 && (e1 / edot1).abs() < Local::REACH_S;
        let recentre = |t: f64| Local::near(st, accel, &model, gravity, t);
        match impact_bracket {
            Some((ta, _, t_b, _)) if t_b == t1 && from_end => {
                let (t, r, v) = refine_root(
                    Local::at_end(st, &model, gravity),
                    t1 - e1 / edot1,
                    ta,
                    t1,
                    outside,
                    recentre,
                );
                self.impact = Some(event_on_surface(&model, t, r, v));
            }
            Some((ta, ea, tb, eb)) => {
                self.impact = locate_root(st, accel, &model, gravity, (ta, tb), ea, eb, outside)
                    .or_else(|| {
                        let (r, v) = st.state_at(tb, accel);
                        Some((tb, r, v))
                    })
                    .map(|(t, r, v)| event_on_surface(&model, t, r, v));
            }
            None if from_end && e1 > 0.0 => {
                // Just short of the ground, descending: the impact is within reach past the step's end.
                let hi = t1 + Local::REACH_S;
                let (t, r, v) = refine_root(
                    Local::at_end(st, &model, gravity),
                    t1 - e1 / edot1,
                    t1,
                    hi,
                    outside,
                    |_| Local::at_end(st, &model, gravity),
                );
                if outside(r, v).0.abs() <= 1e-12 {
                    self.impact = Some(event_on_surface(&model, t, r, v));
                }
            }
            None => {}
        }
        let impact_s = self.impact.map_or(f64::INFINITY, |i| i.t_since_burnout_s);
        for a in turn_maximum.into_iter().chain(maxima) {
            if a.t_since_burnout_s <= impact_s && self.apogee.is_none_or(|b| a.position.h_m > b.position.h_m)
            {
                self.apogee = Some(a);
            }
        }
        self.proxy = proxy1;
        self.exact = exact1;
    }

    /// The bound on the step after the last one.
    fn next_step_cap(&self) -> f64 {
        self.next_cap
    }
}

/// A bound on the next step from a state where the figure's implicit function is `e` and its first two
/// time derivatives `edot` and `eddot`: when the flight descends, the time at which E, extrapolated to
/// second order, reaches zero (an estimate of the impact), a little beyond. Without it the last step often
/// reaches far under the ground, where gravity grows and the error control rejects it; with it the last
/// step usually ends close enough to the impact for the expansion about its end to reach it, which spares
/// a state inside the step.
fn next_step_cap(e: f64, edot: f64, eddot: f64) -> f64 {
    if e > 0.0 && edot < 0.0 {
        // e + ė t + ë t²/2 = 0: the smaller positive root, 2e / (−ė + √(ė² − 2 ë e)).
        let disc = edot * edot - 2.0 * eddot * e;
        if disc >= 0.0 {
            return 2.0 * e / (-edot + disc.sqrt()) * 1.01 + 2.0;
        }
    }
    f64::INFINITY
}

/// The time (s) from a state where the rate of the figure's implicit function E vanishes (as the cheap
/// stand-in for the apogee finds it) to where the geodetic height's rate does, to first order in the
/// angle between E's gradient and the normal at the sub-point: that angle is Δφ = −k sin φ cos φ with
/// k = e² h / (N (1 − e²) + h) (φ the latitude of the gradient, N the prime-vertical radius, h the height,
/// from the relation tan φ_geodetic = tan φ_gradient · (1 − k)), which turns the height's rate by Δφ times
/// the northward Earth-relative speed. What remains is second order, ~Δφ² |v| / |ḧ|: about a millisecond,
/// which one Newton step with the exact rate then removes. No closed-form geodetic solution is needed.
fn turn_correction(model: &EarthModel, gravity: Gravity, r: Vec3, v: Vec3) -> f64 {
    let Figure::Wgs84 = model.figure else {
        return 0.0;
    };
    let e2 = geodesy::WGS84_E2;
    let (ia2, ib2) = model.inverse_axes_squared();
    let p = (r.x * r.x + r.y * r.y).sqrt();
    let g = Vec3::new(r.x * ia2, r.y * ia2, r.z * ib2);
    let inv_g = 1.0 / g.norm();
    let up = g * inv_g;
    let (sin_lat, cos_lat) = (up.z, p * ia2 * inv_g);
    let w2 = 1.0 - e2 * sin_lat * sin_lat;
    let n = geodesy::WGS84_A_M / w2.sqrt();
    let h = p * cos_lat + r.z * sin_lat - n * w2;
    let k = e2 * h / (n * (1.0 - e2) + h);
    let d_lat = -k * sin_lat * cos_lat;
    let v_rel = v - model.omega().cross(r);
    let north = if p > 0.0 {
        Vec3::new(-sin_lat * r.x / p, -sin_lat * r.y / p, cos_lat)
    } else {
        Vec3::new(1.0, 0.0, 0.0)
    };
    let hdot = up.dot(v_rel) + d_lat * north.dot(v_rel);
    let a_rel = model.acceleration(gravity, r) - model.omega().cross(v);
    let hddot = up.dot(a_rel) + (v_rel.dot(v) - up.dot(v_rel) * up.dot(v)) / r.norm();
    let dt = -hdot / hddot;
    if dt.is_finite() {
        dt.clamp(-Local::REACH_S, Local::REACH_S)
    } else {
        0.0
    }
}

/// The rate of the geodetic height of inertial state (`r`, `v`) and its derivative, exact: the
/// Earth-relative velocity V = v − ω × r along the normal n at the sub-point, and
/// n · (a − 2 ω × V − ω × (ω × r)) + V_east² / (N + h) + V_north² / (M + h), with M and N the radii of
/// curvature of the meridian and the prime vertical (the normal turns as the sub-point moves).
pub(crate) fn height_rate_exact(model: &EarthModel, gravity: Gravity, r: Vec3, v: Vec3) -> HeightRate {
    let (h, n) = model.height_and_normal(r);
    let w = model.omega();
    let vr = v - w.cross(r);
    let hdot = n.dot(vr);
    let a = model.acceleration(gravity, r);
    let along = n.dot(a - w.cross(vr) * 2.0 - w.cross(w.cross(r)));
    let (nz, cos_lat) = (n.z, (n.x * n.x + n.y * n.y).sqrt());
    let (m, pv) = model.radii_of_curvature(nz);
    // North: (−sin φ cos λ, −sin φ sin λ, cos φ) = (−nz nx, −nz ny, nx² + ny²) / cos φ.
    let v_north = if cos_lat > 0.0 {
        (vr.z * cos_lat * cos_lat - nz * (vr.x * n.x + vr.y * n.y)) / cos_lat
    } else {
        0.0
    };
    let v_east2 = (vr.norm_squared() - hdot * hdot - v_north * v_north).max(0.0);
    HeightRate {
        h,
        hdot,
        hddot: along + v_east2 / (pv + h) + v_north * v_north / (m + h),
        sin_lat: nz,
        cos_lat,
        lat_rate: v_north / (m + h),
    }
}

/// The geodetic height (m), its first and second time derivatives, the geodetic latitude (its sine and
/// cosine) and its rate (rad/s, the northward Earth-relative speed over the meridian's radius of
/// curvature) of a state.
pub(crate) struct HeightRate {
    pub(crate) h: f64,
    pub(crate) hdot: f64,
    pub(crate) hddot: f64,
    pub(crate) sin_lat: f64,
    pub(crate) cos_lat: f64,
    pub(crate) lat_rate: f64,
}

/// The event at `t_s` of inertial state (`r`, `v`) on (or within micrometres of) the figure's surface —
/// an impact located as a root of the implicit function E — without the general geodetic solution: on
/// the surface the normal is E's gradient, whence the latitude, and the height is E / |∇E| to first
/// order.
pub(crate) fn event_on_surface(model: &EarthModel, t_s: f64, r: Vec3, v: Vec3) -> Event {
    let (e, _) = model.outside_and_rate(r, v);
    let r_e = model.inertial_to_ecef(r, t_s);
    Event {
        t_since_burnout_s: t_s,
        r_inertial_m: r,
        v_inertial_mps: v,
        position: model.surface_geodetic(r_e, e),
    }
}

/// The path near one point, from an exact state there: a Taylor expansion
/// r + v δ + a δ²/2 + j δ³/6 + s δ⁴/24 with the exact jerk j and snap s of the force
/// ([`EarthModel::jerk_and_snap`]). The truncation, of order δ⁵, stays below a micrometre for
/// |δ| ≤ [`Local::REACH_S`] on a ballistic arc.
struct Local {
    t: f64,
    r: Vec3,
    v: Vec3,
    a: Vec3,
    jerk: Vec3,
    snap: Vec3,
}

impl Local {
    const REACH_S: f64 = 4.0;

    /// An expansion that reaches `t` in the step `st`: about the step's start or end when `t` is within
    /// reach of it (their states are exact already), else about the state at `t` (one RKN12 step from
    /// the step's start).
    fn near(
        st: &rkn12::Step,
        accel: &impl Fn(Vec3) -> Vec3,
        model: &EarthModel,
        gravity: Gravity,
        t: f64,
    ) -> Self {
        let (t0, t1) = (st.t0_s, st.t1_s());
        if (t1 - t).abs() <= Self::REACH_S && (t1 - t).abs() <= (t - t0).abs() {
            return Local::at_end(st, model, gravity);
        }
        if (t - t0).abs() <= Self::REACH_S {
            return Local::of(model, gravity, t0, st.r0, st.v0, st.a0);
        }
        let (r, v) = st.state_at(t, accel);
        Local::of(model, gravity, t, r, v, accel(r))
    }

    /// The expansion about the end of the step `st`, whose state is exact already.
    fn at_end(st: &rkn12::Step, model: &EarthModel, gravity: Gravity) -> Self {
        Local::of(model, gravity, st.t1_s(), st.r1, st.v1, st.a1)
    }

    fn of(model: &EarthModel, gravity: Gravity, t: f64, r: Vec3, v: Vec3, a: Vec3) -> Self {
        let (jerk, snap) = model.jerk_and_snap(gravity, r, v, a);
        Local {
            t,
            r,
            v,
            a,
            jerk,
            snap,
        }
    }

    fn at(&self, t: f64) -> (Vec3, Vec3) {
        let d = t - self.t;
        (
            self.r
                + (self.v + (self.a * 0.5 + (self.jerk * (1.0 / 6.0) + self.snap * (d / 24.0)) * d) * d) * d,
            self.v + (self.a + (self.jerk * 0.5 + self.snap * (d / 6.0)) * d) * d,
        )
    }
}

/// Newton's method (safeguarded by bisection) on the step's quintic Hermite interpolant for a root in
/// [`ta`, `tb`] of g(r(t), v(t)) (a value and its time derivative), whose values at the ends are `ga` and
/// `gb`, of opposite signs, to within `xtol` seconds. The interpolant's root is within milliseconds of the
/// path's.
fn hermite_root(
    st: &rkn12::Step,
    (ta, tb): (f64, f64),
    ga: f64,
    gb: f64,
    g: impl Fn(Vec3, Vec3) -> (f64, f64),
    xtol: f64,
) -> Option<f64> {
    let on_hermite = |t: f64| {
        let (r, v) = st.hermite(t);
        g(r, v)
    };
    newton_bracketed(on_hermite, ta, tb, ta + (tb - ta) * ga / (ga - gb), ga, gb, xtol)
}

/// The root in [`ta`, `tb`] (within the step) of g(r(t), v(t)) (a value and its time derivative, cheap) on the step `st`,
/// with the state there; g's values at the ends are `ga` and `gb`, of opposite signs. A guess from the
/// Hermite interpolant, then Newton's method on [`Local`] expansions, to [`EVENT_XTOL_S`].
#[allow(clippy::too_many_arguments)]
fn locate_root(
    st: &rkn12::Step,
    accel: &impl Fn(Vec3) -> Vec3,
    model: &EarthModel,
    gravity: Gravity,
    (ta, tb): (f64, f64),
    ga: f64,
    gb: f64,
    g: impl Fn(Vec3, Vec3) -> (f64, f64),
) -> Option<(f64, Vec3, Vec3)> {
    let t = hermite_root(st, (ta, tb), ga, gb, &g, 1e-7)?;
    let local = Local::near(st, accel, model, gravity, t);
    Some(refine_root(local, t, ta, tb, g, |t| {
        Local::near(st, accel, model, gravity, t)
    }))
}

/// Newton's method for a root of g(r(t), v(t)) in [`lo`, `hi`] on the expansion `local`, from `t`, to
/// [`EVENT_XTOL_S`]; a new expansion (`recentre`) is taken where the iterate leaves its reach.
fn refine_root(
    mut local: Local,
    mut t: f64,
    lo: f64,
    hi: f64,
    g: impl Fn(Vec3, Vec3) -> (f64, f64),
    recentre: impl Fn(f64) -> Local,
) -> (f64, Vec3, Vec3) {
    for _ in 0..12 {
        let (r, v) = local.at(t);
        let (val, rate) = g(r, v);
        if val == 0.0 || rate == 0.0 || !(val.is_finite() && rate.is_finite()) {
            break;
        }
        let next = (t - val / rate).clamp(lo, hi);
        let done = (next - t).abs() <= EVENT_XTOL_S;
        t = next;
        if done {
            break;
        }
        if (t - local.t).abs() > Local::REACH_S {
            local = recentre(t);
        }
    }
    let (r, v) = local.at(t);
    (t, r, v)
}

/// Where the height turns over (a maximum, or a minimum) in the step `st`, whose height rates at the ends
/// have the signs of `rate0` and `rate1` (opposite), with the state there. A cheap stand-in's root on the
/// Hermite interpolant (within about a second), then Newton's method with the exact rate and its
/// exact derivative on [`Local`] expansions (quadratic: two or three rounds), to a millisecond's Newton
/// step, which leaves an error of about a microsecond (the height, flat there, to far below a micrometre).
///
/// With `place` false the event's latitude and longitude are left NaN (two arc tangents fewer), for a
/// flight whose summary needs only the turn's time and height.
#[allow(clippy::too_many_arguments)]
fn locate_turn(
    st: &rkn12::Step,
    accel: &impl Fn(Vec3) -> Vec3,
    model: &EarthModel,
    gravity: Gravity,
    rate0: f64,
    rate1: f64,
    place: bool,
) -> Option<Event> {
    let (ta, tb) = (st.t0_s, st.t1_s());
    // The stand-in: the rate of the figure's implicit function E, whose extremum (that of the height
    // above the ellipsoid through the point homothetic to the figure) is within about a second of the
    // height's, and costs no square root or division. Its rate and derivative are known at both ends
    // (the step holds their accelerations): the root of their cubic Hermite interpolant is a guess good
    // to a fraction of a second, from which Newton's method with the exact rate takes over.
    let (e0, e0dot) = model.outside_rate_and_derivative(st.r0, st.v0, st.a0);
    let (e1, e1dot) = model.outside_rate_and_derivative(st.r1, st.v1, st.a1);
    let decided = (e0 > 0.0) == (rate0 > 0.0) && (e1 > 0.0) == (rate1 > 0.0) && e0 != 0.0 && e1 != 0.0;
    let guess = if decided {
        Hermite::new(ta, tb, e0, e0dot, e1, e1dot).value_root(ta, tb)
    } else {
        None
    };
    let t = match guess {
        Some(t) => t,
        None => {
            // Where the stand-in's sign at an end is not the true rate's (within its band of zero), a
            // value of the true sign stands in for it, and Newton's method on the step's quintic Hermite
            // interpolant finds the stand-in's root.
            let cheap = |r: Vec3, v: Vec3| model.outside_rate_and_derivative(r, v, accel(r));
            let side = |rate: f64, c: f64| {
                if (c > 0.0) == (rate > 0.0) && c != 0.0 {
                    c
                } else {
                    rate.signum() * 1e-9
                }
            };
            hermite_root(st, (ta, tb), side(rate0, e0), side(rate1, e1), cheap, 1e-4)?
        }
    };
    let mut local = Local::near(st, accel, model, gravity, t);
    let (r, v) = local.at(t);
    let mut t = t + turn_correction(model, gravity, r, v);
    // The rate has the sign of `rate0` at `lo` and that of `rate1` at `hi`: a Newton step that would
    // leave that bracket (from a poor guess, where the rate is not monotonic) bisects it instead.
    let (mut lo, mut hi) = (ta, tb);
    for _ in 0..60 {
        let (r, v) = local.at(t);
        let x = height_rate_exact(model, gravity, r, v);
        if x.hdot == 0.0 || x.hddot == 0.0 || !(x.hdot.is_finite() && x.hddot.is_finite()) {
            break;
        }
        if t > lo && t < hi {
            if (x.hdot > 0.0) == (rate0 > 0.0) {
                lo = t;
            } else {
                hi = t;
            }
        }
        let newton = -x.hdot / x.hddot;
        let step = if t + newton >= lo && t + newton <= hi {
            newton
        } else {
            0.5 * (lo + hi) - t
        };
        if step.abs() <= 1e-2 {
            // The last Newton step is short (the time left wrong by it is ~|h'''/2h''| step², below
            // 1e−7 s): the event's height and latitude follow from this evaluation by Taylor's formula
            // (errors of order step³ and step²: below 1e−8 m and 1e−10 rad), without another geodetic
            // solution.
            let t1 = t + step;
            let (r1, v1) = local.at(t1);
            let position = if place {
                Geodetic {
                    lat_deg: (x.sin_lat.atan2(x.cos_lat) + x.lat_rate * step).to_degrees(),
                    lon_deg: longitude_deg(model.inertial_to_ecef(r1, t1)),
                    h_m: x.h + (x.hdot + 0.5 * x.hddot * step) * step,
                }
            } else {
                Geodetic {
                    lat_deg: f64::NAN,
                    lon_deg: f64::NAN,
                    h_m: x.h + (x.hdot + 0.5 * x.hddot * step) * step,
                }
            };
            return Some(Event {
                t_since_burnout_s: t1,
                r_inertial_m: r1,
                v_inertial_mps: v1,
                position,
            });
        }
        t += step;
        if (t - local.t).abs() > Local::REACH_S {
            local = Local::near(st, accel, model, gravity, t);
        }
    }
    let (r, v) = local.at(t);
    Some(event_from(model, t, r, v))
}

/// The band around zero, as a fraction of the speed, within which the interpolated rate of the figure's
/// implicit function must stay away from zero inside a step for [`may_turn_more_than_once`] to rule out
/// more than one turn of the height there: it covers the gap between that rate and the height's (their
/// directions differ by at most 0.0034 rad, the largest difference between geodetic and geocentric
/// latitude) and the cubic interpolant's error (~1 m/s on a 600 s step of a low orbit).
const TWICE_BAND_RAD: f64 = 0.02;
/// With an end's rate within [`TWICE_BAND_RAD`] of zero, the bound on |d²E/dt²| there (as an
/// acceleration along the gradient, m/s²) under which [`may_turn_more_than_once`] looks inside the step:
/// the gap between the height's rate and dE/dt's changes by less than 1e−3 m/s² (a suborbital arc's
/// d²h/dt² is metres per second squared).
const TWICE_ACCEL_MPS2: f64 = 0.05;
/// The longest piece [`turns_inside`] cuts a step into: on it the cubic Hermite interpolant of the
/// exact height rate is good to well below [`PIECE_BAND_RAD`] times the speed.
const TURN_PIECE_S: f64 = 75.0;
/// The band around zero, as a fraction of the speed, within which a piece's interpolated height rate
/// must stay away from zero for [`turns_between`] to rule out two turns in it (7.8 mm/s at orbital speed;
/// a bump whose rate never exceeds it rises by far less than a millimetre).
const PIECE_BAND_RAD: f64 = 1e-6;
/// How many times [`turns_between`] halves a piece, at most.
const TURN_SPLITS: u32 = 6;

/// Whether the height may turn more than once inside the step `st` (fall, rise and fall again, or the
/// reverse), which the signs of its rate at the ends cannot tell. Judged on the cubic Hermite interpolant
/// of dE/dt, the rate of the figure's implicit function, from its exact values and derivatives `e0` and
/// `e1` at the ends ([`EarthModel::outside_rate_and_derivative`]): yes when the interpolant has an
/// extremum inside the step that comes within [`TWICE_BAND_RAD`] times the speed of zero (as a rate
/// along the gradient) or changes sign more than once, or when an end's rate is within that band while
/// d²E/dt² there is within [`TWICE_ACCEL_MPS2`] of zero. A few flops: on a suborbital arc d²E/dt² keeps
/// its sign, well away from zero, and the interpolant has no extremum inside the step; only near-orbital
/// flights go on to [`turns_inside`].
fn may_turn_more_than_once(model: &EarthModel, st: &rkn12::Step, e0: (f64, f64), e1: (f64, f64)) -> bool {
    let h = st.h_s;
    let (y0, d0, y1, d1) = (e0.0, e0.1 * h, e1.0, e1.1 * h);
    // dE/dt = 2 g · v with g = (x/a², y/a², z/b²): a rate along the gradient of dE/dt / (2 |g|).
    let g2 = || {
        let (ia2, ib2) = model.inverse_axes_squared();
        let r = st.r1;
        (r.x * r.x + r.y * r.y) * ia2 * ia2 + r.z * r.z * ib2 * ib2
    };
    let band2 = |g2: f64| 4.0 * TWICE_BAND_RAD * TWICE_BAND_RAD * g2 * st.v1.norm_squared();
    // P'(s) = d0 B0(s) + m B1(s) + d1 B2(s) in the quadratic Bernstein basis: with the three of one sign
    // P is monotonic on [0, 1] (the common case, four flops).
    let m = 3.0 * (y1 - y0) - d0 - d1;
    if (d0 > 0.0 && m > 0.0 && d1 > 0.0) || (d0 < 0.0 && m < 0.0 && d1 < 0.0) {
        let flat = e0.1.abs().min(e1.1.abs());
        if flat * flat >= 4.0 * TWICE_ACCEL_MPS2 * TWICE_ACCEL_MPS2 * g2() {
            return false;
        }
        let near = y0.abs().min(y1.abs());
        return near * near < band2(g2());
    }
    let c2 = 3.0 * (y1 - y0) - 2.0 * d0 - d1;
    let c3 = 2.0 * (y0 - y1) + d0 + d1;
    // P'(s) = d0 + 2 c2 s + 3 c3 s²: its roots in (0, 1), in order.
    let mut roots = if c3 == 0.0 {
        [-d0 / (2.0 * c2), f64::NAN]
    } else {
        let disc = c2 * c2 - 3.0 * c3 * d0;
        if disc > 0.0 {
            let q = -(c2 + disc.sqrt().copysign(c2));
            [q / (3.0 * c3), d0 / q]
        } else {
            [f64::NAN; 2]
        }
    };
    if roots[0] > roots[1] {
        roots.swap(0, 1);
    }
    let band2 = band2(g2());
    let p = |s: f64| y0 + s * (d0 + s * (c2 + s * c3));
    let mut changes = 0;
    let mut prev = y0;
    let mut inside = 0;
    for s in roots.into_iter().filter(|s| *s > 0.0 && *s < 1.0) {
        let v = p(s);
        if v * v < band2 {
            return true;
        }
        changes += usize::from((v > 0.0) != (prev > 0.0));
        prev = v;
        inside += 1;
    }
    if inside == 0 {
        // Monotonic after all: as above.
        let flat = e0.1.abs().min(e1.1.abs());
        let near = y0.abs().min(y1.abs());
        return flat * flat < 4.0 * TWICE_ACCEL_MPS2 * TWICE_ACCEL_MPS2 * g2() && near * near < band2;
    }
    changes += usize::from((y1 > 0.0) != (prev > 0.0));
    changes > 1
}

/// The cubic Hermite interpolant P(s), s ∈ [0, 1], of values `y0`, `y1` and derivatives (per unit s)
/// `d0`, `d1` at the ends: its extremum inside (0, 1) that reaches furthest toward −`sign` (the lowest
/// of sign · P), as (s, P(s)); `None` when P is monotonic on [0, 1].
fn cubic_extremum(y0: f64, d0: f64, y1: f64, d1: f64, sign: f64) -> Option<(f64, f64)> {
    let c2 = 3.0 * (y1 - y0) - 2.0 * d0 - d1;
    let c3 = 2.0 * (y0 - y1) + d0 + d1;
    // P'(s) = d0 + 2 c2 s + 3 c3 s².
    let roots = if c3 == 0.0 {
        [-d0 / (2.0 * c2), f64::NAN]
    } else {
        let disc = c2 * c2 - 3.0 * c3 * d0;
        if disc <= 0.0 {
            return None;
        }
        let q = -(c2 + disc.sqrt().copysign(c2));
        [q / (3.0 * c3), d0 / q]
    };
    let p = |s: f64| y0 + s * (d0 + s * (c2 + s * c3));
    roots
        .into_iter()
        .filter(|s| *s > 0.0 && *s < 1.0)
        .map(|s| (s, p(s)))
        .min_by(|a, b| (sign * a.1).total_cmp(&(sign * b.1)))
}

/// An exact state of the path with the height's rate and its derivative there.
struct Knot {
    t: f64,
    r: Vec3,
    v: Vec3,
    a: Vec3,
    hdot: f64,
    hddot: f64,
}

impl Knot {
    fn new(model: &EarthModel, gravity: Gravity, t: f64, r: Vec3, v: Vec3, a: Vec3) -> Self {
        let x = height_rate_exact(model, gravity, r, v);
        Knot {
            t,
            r,
            v,
            a,
            hdot: x.hdot,
            hddot: x.hddot,
        }
    }
}

/// Every turn of the height inside the step `st`, in time order, each given to `found` with whether it
/// is a maximum: the step is cut into pieces of at most [`TURN_PIECE_S`] at exact states of the path
/// ([`rkn12::Step::state_at`]), each searched by [`turns_between`].
fn turns_inside(
    st: &rkn12::Step,
    accel: &impl Fn(Vec3) -> Vec3,
    model: &EarthModel,
    gravity: Gravity,
    found: &mut impl FnMut(Event, bool),
) {
    let n = (st.h_s / TURN_PIECE_S).ceil().clamp(2.0, 16.0) as usize;
    let mut prev = Knot::new(model, gravity, st.t0_s, st.r0, st.v0, st.a0);
    for i in 1..=n {
        let next = if i == n {
            Knot::new(model, gravity, st.t1_s(), st.r1, st.v1, st.a1)
        } else {
            let t = st.t0_s + st.h_s * (i as f64 / n as f64);
            let (r, v) = st.state_at(t, accel);
            Knot::new(model, gravity, t, r, v, accel(r))
        };
        turns_between(st, &prev, &next, accel, model, gravity, 0, found);
        prev = next;
    }
}

/// The turns of the height between the exact states `a` and `b` of the step `st`: one where the rate's
/// sign differs at the two ([`locate_turn`] on the piece between them); where it does not, the piece is
/// halved at the extremum of the cubic Hermite interpolant of the exact rate when that comes within
/// [`PIECE_BAND_RAD`] times the speed of zero or crosses it, and both halves searched again.
#[allow(clippy::too_many_arguments)]
fn turns_between(
    st: &rkn12::Step,
    a: &Knot,
    b: &Knot,
    accel: &impl Fn(Vec3) -> Vec3,
    model: &EarthModel,
    gravity: Gravity,
    depth: u32,
    found: &mut impl FnMut(Event, bool),
) {
    let (ra, rb) = (a.hdot, b.hdot);
    let len = b.t - a.t;
    if (ra > 0.0 && rb <= 0.0) || (ra < 0.0 && rb > 0.0) {
        let piece = rkn12::Step {
            t0_s: a.t,
            h_s: len,
            r0: a.r,
            v0: a.v,
            a0: a.a,
            r1: b.r,
            v1: b.v,
            a1: b.a,
        };
        if let Some(event) = locate_turn(&piece, accel, model, gravity, ra, rb, true) {
            found(event, ra > 0.0);
        }
        return;
    }
    let sign = if ra != 0.0 { ra.signum() } else { rb.signum() };
    if sign == 0.0 || depth >= TURN_SPLITS || len.is_nan() || len <= 0.0 {
        return;
    }
    let Some((s, p)) = cubic_extremum(ra, a.hddot * len, rb, b.hddot * len, sign) else {
        return;
    };
    if sign * p > PIECE_BAND_RAD * a.v.norm() {
        return;
    }
    let t = a.t + s * len;
    let (r, v) = st.state_at(t, accel);
    let mid = Knot::new(model, gravity, t, r, v, accel(r));
    turns_between(st, a, &mid, accel, model, gravity, depth + 1, found);
    turns_between(st, &mid, b, accel, model, gravity, depth + 1, found);
}

/// The cubic Hermite interpolant of the height over a step, from its values and rates at both ends:
/// a cheap first guess of event times inside the step.
struct Hermite {
    t0: f64,
    dt: f64,
    /// Coefficients of h(t0 + s·dt) = c0 + c1 s + c2 s² + c3 s³, s ∈ [0, 1].
    c: [f64; 4],
}

impl Hermite {
    fn new(t0: f64, t1: f64, h0: f64, hdot0: f64, h1: f64, hdot1: f64) -> Self {
        let dt = t1 - t0;
        let (m0, m1) = (hdot0 * dt, hdot1 * dt);
        Hermite {
            t0,
            dt,
            c: [h0, m0, 3.0 * (h1 - h0) - 2.0 * m0 - m1, 2.0 * (h0 - h1) + m0 + m1],
        }
    }

    /// The time in the step where the interpolant's rate vanishes (the root of a quadratic in [0, 1]).
    fn rate_root(&self) -> Option<f64> {
        let [_, b, c, d] = self.c;
        // b + 2c s + 3d s² = 0.
        let (qa, qb, qc) = (3.0 * d, 2.0 * c, b);
        let roots = if qa.abs() < 1e-300 {
            [-qc / qb, f64::NAN]
        } else {
            let disc = qb * qb - 4.0 * qa * qc;
            if disc < 0.0 {
                return None;
            }
            let q = -0.5 * (qb + disc.sqrt().copysign(qb));
            [q / qa, qc / q]
        };
        roots
            .into_iter()
            .find(|s| (0.0..=1.0).contains(s))
            .map(|s| self.t0 + s * self.dt)
    }

    /// A time in [ta, tb] where the interpolant vanishes (a few Newton steps on the cubic).
    fn value_root(&self, ta: f64, tb: f64) -> Option<f64> {
        let [a, b, c, d] = self.c;
        let (sa, sb) = ((ta - self.t0) / self.dt, (tb - self.t0) / self.dt);
        let p = |s: f64| a + s * (b + s * (c + s * d));
        let (pa, pb) = (p(sa), p(sb));
        if !(pa.is_finite() && pb.is_finite()) || (pa > 0.0) == (pb > 0.0) || pa == pb {
            return None;
        }
        let mut s = sa + (sb - sa) * pa / (pa - pb);
        for _ in 0..4 {
            let dp = b + s * (2.0 * c + 3.0 * s * d);
            let next = s - p(s) / dp;
            if !next.is_finite() || next < sa || next > sb {
                break;
            }
            s = next;
        }
        Some(self.t0 + s * self.dt)
    }
}

impl Trajectory {
    /// The Earth model used.
    pub fn model(&self) -> &EarthModel {
        &self.model
    }

    /// The gravity model used.
    pub fn gravity(&self) -> Gravity {
        self.gravity
    }

    /// The inertial state at burnout (t = 0).
    pub fn burnout(&self) -> &InertialState {
        &self.burnout
    }

    /// Whether the path is the closed-form Kepler orbit (else an integrator's steps).
    pub fn is_kepler(&self) -> bool {
        matches!(self.path, Path::Kepler(_))
    }

    /// The impact event (first downward crossing of height 0).
    pub fn impact(&self) -> &Event {
        &self.impact
    }

    /// The apogee event (largest height; t = 0 when the flight only descends).
    pub fn apogee(&self) -> &Event {
        &self.apogee
    }

    /// Time of flight from burnout to impact, seconds.
    pub fn time_of_flight_s(&self) -> f64 {
        self.impact.t_since_burnout_s
    }

    /// Number of integrator steps (0 for the Kepler path).
    pub fn steps(&self) -> usize {
        match &self.path {
            Path::Dense(s) => s.len(),
            Path::Nystrom(s) => s.len(),
            Path::Kepler(_) => 0,
        }
    }

    fn path_end_s(&self) -> f64 {
        match &self.path {
            Path::Dense(s) => s.last().map_or(0.0, |s| s.t1_s()),
            Path::Nystrom(s) => s.last().map_or(0.0, |s| s.t1_s()),
            Path::Kepler(k) => k.time_to_next_periapsis_s().unwrap_or(0.0) + k.period_s().unwrap_or(0.0),
        }
    }

    fn raw_state(&self, t_s: f64) -> (Vec3, Vec3) {
        match &self.path {
            Path::Kepler(k) => k.state_at(t_s),
            Path::Dense(segs) => {
                let i = segs.partition_point(|s| s.t1_s() < t_s).min(segs.len() - 1);
                from_y(&segs[i].eval(t_s, &rhs(self.model, self.gravity)))
            }
            Path::Nystrom(steps) => {
                let i = steps.partition_point(|s| s.t1_s() < t_s).min(steps.len() - 1);
                let (model, gravity) = (self.model, self.gravity);
                steps[i].state_at(t_s, &|r: Vec3| model.acceleration(gravity, r))
            }
        }
    }

    fn event_at(&self, t_s: f64) -> Event {
        let (r, v) = self.raw_state(t_s);
        event_from(&self.model, t_s, r, v)
    }

    /// The inertial state at `t_since_burnout_s` ∈ [0, time of flight]; `None` outside.
    pub fn state_at(&self, t_since_burnout_s: f64) -> Option<InertialState> {
        if !(0.0..=self.time_of_flight_s()).contains(&t_since_burnout_s) {
            return None;
        }
        let (r, v) = self.raw_state(t_since_burnout_s);
        Some(InertialState {
            r_inertial_m: r,
            v_inertial_mps: v,
        })
    }

    /// Earth-fixed position (m) and Earth-relative velocity (m/s) at `t_since_burnout_s`.
    pub fn ecef_at(&self, t_since_burnout_s: f64) -> Option<(Vec3, Vec3)> {
        let s = self.state_at(t_since_burnout_s)?;
        Some(
            self.model
                .inertial_to_ecef_state(s.r_inertial_m, s.v_inertial_mps, t_since_burnout_s),
        )
    }

    /// Latitude, longitude and height at `t_since_burnout_s`.
    pub fn geodetic_at(&self, t_since_burnout_s: f64) -> Option<Geodetic> {
        let (r, _) = self.ecef_at(t_since_burnout_s)?;
        Some(self.model.to_geodetic(r))
    }

    fn scan_grid(&self) -> Vec<f64> {
        let tof = self.time_of_flight_s();
        let mut ts = vec![0.0];
        let n = (tof / CROSSING_SAMPLE_S).ceil().max(256.0) as usize;
        ts.extend((1..=n).map(|i| tof * i as f64 / n as f64));
        if let Path::Dense(segs) = &self.path {
            ts.extend(segs.iter().map(|s| s.t1_s().min(tof)));
        }
        if let Path::Nystrom(steps) = &self.path {
            ts.extend(steps.iter().map(|s| s.t1_s().min(tof)));
        }
        // Height rises to the apogee and falls after it: with the apogee on the grid, two crossings of a
        // height just below it (one each side) are never in the same interval.
        ts.push(self.apogee.t_since_burnout_s);
        ts.sort_by(f64::total_cmp);
        ts.dedup();
        ts
    }

    /// Every crossing of the height `alt_m` (metres above the figure) between burnout and impact, in
    /// time order. Heights touched without crossing (a tangent apogee) are not reported.
    pub fn altitude_crossings(&self, alt_m: f64) -> Vec<Crossing> {
        let g = |t: f64| {
            let (r, v) = self.raw_state(t);
            self.model.height_and_rate(r, v).0 - alt_m
        };
        let ts = self.scan_grid();
        let mut out = Vec::new();
        let mut prev = (ts[0], g(ts[0]));
        for &t in &ts[1..] {
            let v = g(t);
            if (prev.1 > 0.0) != (v > 0.0)
                && let Some(tc) = brent(g, prev.0, t, EVENT_XTOL_S)
            {
                out.push(Crossing {
                    t_since_burnout_s: tc,
                    ascending: v > 0.0,
                });
            }
            prev = (t, v);
        }
        out
    }

    /// The track sampled every `dt_s` seconds from burnout, always including the apogee and the impact.
    pub fn sample(&self, dt_s: f64) -> Vec<TrackPoint> {
        let tof = self.time_of_flight_s();
        let dt = if dt_s.is_finite() && dt_s > 0.0 {
            dt_s
        } else {
            tof / 100.0
        };
        let n = ((tof / dt).ceil() as usize).min(1_000_000);
        let mut ts: Vec<f64> = (0..n).map(|i| i as f64 * dt).filter(|&t| t < tof).collect();
        ts.push(self.apogee.t_since_burnout_s);
        ts.push(tof);
        ts.sort_by(f64::total_cmp);
        ts.dedup();
        ts.into_iter()
            .map(|t| {
                let (r, v) = self.raw_state(t);
                let (r_e, v_e) = self.model.inertial_to_ecef_state(r, v, t);
                let p = self.model.to_geodetic(r_e);
                TrackPoint {
                    t_since_burnout_s: t,
                    lat_deg: p.lat_deg,
                    lon_deg: p.lon_deg,
                    alt_m: p.h_m,
                    speed_rel_mps: v_e.norm(),
                    speed_inertial_mps: v.norm(),
                }
            })
            .collect()
    }

    /// The `fly` answer: impact point, times, apogee and the ground geodesic.
    pub fn summary(&self) -> FlightSummary {
        // At t = 0 the inertial and Earth-fixed frames coincide.
        let start = self
            .start
            .unwrap_or_else(|| self.model.geodetic_of_fast(self.burnout.r_inertial_m));
        let imp = self.impact.position;
        let (range, azi) = ground_geodesic(&self.model, start, imp);
        FlightSummary {
            impact_lat_deg: imp.lat_deg,
            impact_lon_deg: wrap_180_deg(imp.lon_deg),
            time_of_flight_s: self.impact.t_since_burnout_s,
            apogee_alt_m: self.apogee.position.h_m,
            apogee_time_s: self.apogee.t_since_burnout_s,
            ground_range_m: range,
            ground_azimuth_deg: azi,
        }
    }
}

/// Ground distance (m) and initial azimuth (degrees in [0, 360)) from `a` to `b` on the model's figure:
/// the WGS84 geodesic (Karney), or the great circle on a sphere.
pub fn ground_geodesic(model: &EarthModel, a: Geodetic, b: Geodetic) -> (f64, f64) {
    match model.figure {
        Figure::Wgs84 => {
            let g = geodesy::geodesic::inverse_unchecked(a.lat_deg, a.lon_deg, b.lat_deg, b.lon_deg);
            (g.distance_m, g.azi1_deg)
        }
        Figure::Sphere { radius_m } => {
            let ua = Geodetic { h_m: 0.0, ..a }.up();
            let ub = Geodetic { h_m: 0.0, ..b }.up();
            let ang = ua.cross(ub).norm().atan2(ua.dot(ub));
            let (e, n, _) = model.enu_axes(a);
            let d = ub - ua * ua.dot(ub);
            (
                radius_m * ang,
                wrap_360_deg(d.dot(e).atan2(d.dot(n)).to_degrees()),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The J2 flight of `fly` from a burnout state; its apogee must be its highest point: the height
    /// sampled every quarter second is nowhere more than a millimetre above it, and the path passes
    /// through it.
    fn apogee_is_the_highest_point(lat: f64, lon: f64, alt: f64, speed: f64, az: f64, fpa: f64) -> Event {
        let b = BurnoutState::try_new(lat, lon, alt, speed, az, fpa).expect("a valid state");
        let t = propagate(&b, Gravity::J2).expect("an impact");
        let apogee = *t.apogee();
        let height_at = |s: f64| t.geodetic_at(s).expect("a time within the flight").h_m;
        let (n, step) = ((t.time_of_flight_s() * 4.0) as usize, 0.25);
        let highest = (0..=n)
            .map(|i| (height_at(i as f64 * step), i as f64 * step))
            .fold((f64::NEG_INFINITY, 0.0), |a, b| if b.0 > a.0 { b } else { a });
        assert!(
            highest.0 <= apogee.position.h_m + 1e-3,
            "sampled {highest:?} above the apogee {apogee:?}"
        );
        let h = height_at(apogee.t_since_burnout_s);
        assert!((h - apogee.position.h_m).abs() < 1e-3, "{h} against {apogee:?}");
        apogee
    }

    /// A grazing J2 flight whose height falls from burnout, rises 141 m as the equatorial bulge passes
    /// under it and peaks 776 s later, then falls again, all inside one integrator step whose ends both
    /// have a falling height: the signs at the ends show no turn, and the step scan once answered the
    /// burnout point.
    #[test]
    fn a_j2_maximum_inside_one_integrator_step_is_the_apogee() {
        let apogee = apogee_is_the_highest_point(
            24.384512779941723,
            112.0396536927376,
            43594.9327772175,
            7873.266913106143,
            182.84839160017168,
            -0.004675038527600215,
        );
        assert!(apogee.position.h_m > 43594.9327772175 + 100.0, "{apogee:?}");
        assert!((700.0..850.0).contains(&apogee.t_since_burnout_s), "{apogee:?}");
    }

    /// A grazing J2 flight whose highest point (830 m above the burnout height, 684 s after it) follows
    /// a shallow minimum in the same step: Newton's method from a guess on the wrong side of that minimum
    /// once stopped at a lower point (207 s).
    #[test]
    fn a_j2_maximum_after_a_shallow_minimum_is_the_apogee() {
        let apogee = apogee_is_the_highest_point(
            11.03078647290993,
            -9.467624024390403,
            42134.293028698834,
            7801.698605465421,
            173.80713343020903,
            -0.005958281161608722,
        );
        assert!(apogee.position.h_m > 42134.293028698834 + 800.0, "{apogee:?}");
        assert!((600.0..750.0).contains(&apogee.t_since_burnout_s), "{apogee:?}");
    }
}
