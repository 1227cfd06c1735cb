//! Ballistic propagation from burnout to impact, with event location: impact, apogee and altitude
//! crossings (`shared/DESIGN.md` §3).
//!
//! The state is integrated in the inertial frame (the gravity field is symmetric about Z, so it is the
//! same in both frames); heights are measured on the Earth-fixed figure, whose frame is the inertial one
//! rotated by −ωt. Events are located on the continuous path (DOP853 dense output, or the closed-form
//! Kepler orbit) by Brent's method: impact is the first downward zero of the geodetic height h(t), apogee
//! the largest maximum of h(t) found as a downward zero of dh/dt (the Earth-relative velocity along the
//! ellipsoid normal), which locates its time far better than maximising h itself.

use geodesy::{Geodetic, Vec3, wrap_180_deg, wrap_360_deg};

use crate::dop853::{self, Segment, Tolerances};
use crate::kepler::KeplerOrbit;
use crate::model::Figure;
use crate::roots::brent;
use crate::{BurnoutState, EarthModel, Error, Gravity, InertialState};

/// Sub-intervals per integrator step at which h and dh/dt are sampled to bracket events. Steps last at
/// most [`Tolerances::max_step_s`](crate::dop853::Tolerances) (120 s by default), so samples are at most
/// a minute apart: a ballistic arc cannot cross the ground twice, or turn over twice, within that.
const SAMPLES_PER_STEP: usize = 2;
/// Time resolution of event location, seconds.
const EVENT_XTOL_S: f64 = 1e-9;

/// How the path is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Method {
    /// Kepler in closed form for point gravity, the integrator for J2.
    #[default]
    Auto,
    /// The DOP853 integrator, whatever the gravity.
    Numerical,
    /// Closed-form Kepler (point gravity only: J2 requests fail).
    Kepler,
}

/// Propagation settings.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Options {
    /// The Earth model (the contract one by default).
    pub model: EarthModel,
    /// Integrator tolerances.
    pub tolerances: Tolerances,
    /// Closed form or numerical.
    pub method: Method,
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
    Dense(Vec<Segment>),
    Kepler(KeplerOrbit),
}

/// A ballistic trajectory from burnout (t = 0) to impact, continuous in time.
#[derive(Debug, Clone)]
pub struct Trajectory {
    model: EarthModel,
    gravity: Gravity,
    burnout: InertialState,
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
    propagate_inertial(&burnout.to_inertial(&options.model), gravity, options)
}

/// Propagates an inertial state at burnout (t = 0, frames coincide) to impact.
pub fn propagate_inertial(
    state: &InertialState,
    gravity: Gravity,
    options: &Options,
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
    let (h0, hdot0) = model.height_and_rate(state.r_inertial_m, state.v_inertial_mps);
    if h0 <= 0.0 && hdot0 <= 0.0 {
        return Err(Error::StartsUnderground { alt_m: h0 });
    }
    let kepler = KeplerOrbit::new(*state, mu);
    let period = kepler.period_s().unwrap_or(f64::INFINITY);
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
    let mut scan = Scan::new(model, h0, hdot0);
    let path = if use_kepler {
        let state_at = |t: f64| kepler.state_at(t);
        let t1 = kepler.time_to_next_periapsis_s().unwrap_or(period);
        let mut windows = vec![(0.0, t1)];
        windows.push((t1, t1 + period));
        for (a, b) in windows {
            let n = 64;
            let mut ts: Vec<f64> = [1.0 / 4096.0, 1.0 / 1024.0, 1.0 / 256.0, 1.0 / 64.0]
                .iter()
                .map(|f| a + f * (b - a))
                .collect();
            ts.extend((1..=n).map(|i| a + (b - a) * i as f64 / n as f64));
            scan.run(&state_at, &ts);
            if scan.impact.is_some() {
                break;
            }
        }
        Path::Kepler(kepler)
    } else {
        let t_cap = if period.is_finite() { 1.5 * period } else { 1e6 };
        let f = |y: &dop853::State| {
            let r = Vec3::new(y[0], y[1], y[2]);
            let a = model.acceleration(gravity, r);
            [y[3], y[4], y[5], a.x, a.y, a.z]
        };
        let y0 = to_y(state);
        let mut segments = Vec::with_capacity(64);
        dop853::integrate(f, y0, t_cap, &options.tolerances, |seg| {
            let eval = |t: f64| from_y(&seg.eval(t));
            let ts: [f64; SAMPLES_PER_STEP] =
                std::array::from_fn(|i| seg.t0_s + seg.h_s * (i + 1) as f64 / SAMPLES_PER_STEP as f64);
            scan.run(&eval, &ts);
            segments.push(seg.clone());
            scan.impact.is_none()
        })
        .map_err(|e| match e {
            dop853::IntegrationError::TooManySteps { t_s } => Error::Integration {
                t_s,
                reason: "too many steps",
            },
            dop853::IntegrationError::StepUnderflow { t_s } => Error::Integration {
                t_s,
                reason: "step size underflow",
            },
        })?;
        Path::Dense(segments)
    };
    let mut traj = Trajectory {
        model,
        gravity,
        burnout: *state,
        path,
        impact: event_placeholder(),
        apogee: event_placeholder(),
    };
    let Some(t_imp) = scan.impact else {
        let searched_s = traj.path_end_s();
        return Err(Error::NoImpact { searched_s });
    };
    traj.impact = traj.event_at(t_imp);
    let mut best = (0.0, h0);
    for &(t, h) in &scan.apogees {
        if t <= t_imp && h > best.1 {
            best = (t, h);
        }
    }
    traj.apogee = traj.event_at(best.0);
    Ok(traj)
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

fn to_y(s: &InertialState) -> dop853::State {
    let (r, v) = (s.r_inertial_m, s.v_inertial_mps);
    [r.x, r.y, r.z, v.x, v.y, v.z]
}

fn from_y(y: &dop853::State) -> (Vec3, Vec3) {
    (Vec3::new(y[0], y[1], y[2]), Vec3::new(y[3], y[4], y[5]))
}

/// Sequential bracketing of impact and apogee over samples of h and dh/dt, with refinement.
struct Scan {
    model: EarthModel,
    t: f64,
    h: f64,
    hdot: f64,
    impact: Option<f64>,
    apogees: Vec<(f64, f64)>,
}

impl Scan {
    fn new(model: EarthModel, h0: f64, hdot0: f64) -> Self {
        Scan {
            model,
            t: 0.0,
            h: h0,
            hdot: hdot0,
            impact: None,
            apogees: Vec::new(),
        }
    }

    /// Samples `state_at` at the increasing times `ts` (all after the last sample), stopping at impact.
    fn run(&mut self, state_at: &dyn Fn(f64) -> (Vec3, Vec3), ts: &[f64]) {
        let model = self.model;
        let h_of = |t: f64| {
            let (r, v) = state_at(t);
            model.height_and_rate(r, v)
        };
        for &t in ts {
            if self.impact.is_some() {
                return;
            }
            if t <= self.t {
                continue;
            }
            let (h, hdot) = h_of(t);
            if self.hdot > 0.0
                && hdot <= 0.0
                && let Some(ta) = brent(|x| h_of(x).1, self.t, t, EVENT_XTOL_S)
            {
                self.apogees.push((ta, h_of(ta).0));
            }
            if self.h > 0.0 && h <= 0.0 {
                self.impact = brent(|x| h_of(x).0, self.t, t, EVENT_XTOL_S).or(Some(t));
            }
            self.t = t;
            self.h = h;
            self.hdot = hdot;
        }
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

    /// Whether the path is the closed-form Kepler orbit (else the DOP853 dense output).
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
            Path::Kepler(_) => 0,
        }
    }

    fn path_end_s(&self) -> f64 {
        match &self.path {
            Path::Dense(s) => s.last().map_or(0.0, |s| s.t1_s()),
            Path::Kepler(k) => k.time_to_next_periapsis_s().unwrap_or(0.0) + k.period_s().unwrap_or(0.0),
        }
    }

    fn raw_state(&self, t_s: f64) -> (Vec3, Vec3) {
        match &self.path {
            Path::Kepler(k) => k.state_at(t_s),
            Path::Dense(segs) => {
                let i = segs.partition_point(|s| s.t1_s() < t_s).min(segs.len() - 1);
                from_y(&segs[i].eval(t_s))
            }
        }
    }

    fn event_at(&self, t_s: f64) -> Event {
        let (r, v) = self.raw_state(t_s);
        let r_e = self.model.inertial_to_ecef(r, t_s);
        Event {
            t_since_burnout_s: t_s,
            r_inertial_m: r,
            v_inertial_mps: v,
            position: self.model.to_geodetic(r_e),
        }
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
        match &self.path {
            Path::Dense(segs) => {
                for s in segs {
                    for i in 1..=SAMPLES_PER_STEP {
                        let t = s.t0_s + s.h_s * i as f64 / SAMPLES_PER_STEP as f64;
                        ts.push(t.min(tof));
                    }
                }
            }
            Path::Kepler(_) => ts.extend((1..=256).map(|i| tof * i as f64 / 256.0)),
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
        let r0_e = self.burnout.r_inertial_m;
        let start = self.model.to_geodetic(r0_e);
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
