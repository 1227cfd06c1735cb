//! Powered flight: a rocket ([`Vehicle`]) flown from its launch site to burnout as a point mass over the
//! rotating Earth, ending in the contract [`BurnoutState`] from which ballistic flight ([`crate::propagate`])
//! continues.
//!
//! # Model
//! - Frame: the inertial frame of the crate, here coinciding with the Earth-fixed frame at **liftoff**
//!   (t = 0 of the powered flight); the burnout state is converted to the Earth-fixed frame at burnout, so
//!   ballistic flight starts its own frame there as the contract says.
//! - Forces: gravity ([`Gravity::Point`] or [`Gravity::J2`] of the [`EarthModel`]); thrust
//!   ṁ g₀ Isp_vac − p Aₑ ([`crate::vehicle`]); drag ½ ρ |v_rel|² C_D(M) A against the Earth-relative
//!   velocity v_rel = v − ω × r (the atmosphere turns with the Earth), with the U.S. Standard Atmosphere
//!   1976 ([`crate::atmosphere`]) at the geodetic height. Mass falls at the stage's constant mass flow.
//! - Steering ([`Programme`]): vertical rise along the geodetic normal, then a pitch-over kick (thrust held
//!   at a fixed angle from the normal, toward the launch azimuth, for a fixed time), then a gravity turn
//!   (thrust along the Earth-relative velocity: zero angle of attack) until burnout.
//! - Events: the end of the vertical rise and of the kick, each stage's burnout and the next one's ignition
//!   are at known times: the integration is split there so that each segment's right-hand side is smooth
//!   in its mode. Crossing the top of the atmosphere (86 km, where density drops to zero) is located on the
//!   dense output by Brent's method and the integration restarts on the other side.
//! - Integration: Dormand–Prince 8(5,3) ([`crate::dop853::integrate_system`]) on the twelve-component
//!   state (position, velocity, mass, time since liftoff and four loss integrals; see [`Losses`]).
//!
//! Checked against an independent implementation of the same equations with scipy's `solve_ivp` DOP853
//! (`tests/reference/gen_powered.py`, `tests/powered_reference.rs`).

use geodesy::{Geodetic, Vec3};

use crate::atmosphere::{self, TOP_GEOMETRIC_M};
use crate::dop853::{self, Segment};
use crate::error::in_range;
use crate::ode::{IntegrationError, Tolerances};
use crate::vehicle::{DragTable, Stage, Vehicle};
use crate::{BurnoutState, EarthModel, Error, Gravity, InertialState};

/// Number of components of the powered-flight state.
const N: usize = 12;
/// The powered-flight state: position (m, inertial), velocity (m/s, inertial), mass (kg), time since
/// liftoff (s), then the gravity, drag, steering and back-pressure loss integrals (m/s).
type Y = [f64; N];

/// The steering programme: vertical rise, pitch-over kick, gravity turn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Programme {
    /// Duration of the vertical rise from liftoff, seconds (≥ 0).
    pub vertical_rise_s: f64,
    /// Angle of the thrust from the local geodetic vertical during the kick, degrees in [0, 90).
    pub kick_deg: f64,
    /// Duration of the kick, seconds (≥ 0); the gravity turn follows it.
    pub kick_duration_s: f64,
    /// Launch azimuth: the direction of the kick, degrees clockwise from geodetic north.
    pub azimuth_deg: f64,
}

impl Programme {
    /// Checks the fields (see their docs).
    pub fn validate(&self) -> Result<(), Error> {
        in_range(
            "vertical_rise_s",
            self.vertical_rise_s,
            0.0,
            1e4,
            "a duration in [0, 1e4] s",
        )?;
        in_range(
            "kick_deg",
            self.kick_deg,
            0.0,
            89.999,
            "an angle in [0, 90) degrees",
        )?;
        in_range(
            "kick_duration_s",
            self.kick_duration_s,
            0.0,
            1e4,
            "a duration in [0, 1e4] s",
        )?;
        in_range(
            "azimuth_deg",
            self.azimuth_deg,
            -720.0,
            720.0,
            "an azimuth in degrees",
        )?;
        Ok(())
    }
}

/// Settings of a powered flight.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PoweredOptions {
    /// Earth model (figure, gravity constants, rotation).
    pub model: EarthModel,
    /// Gravity field.
    pub gravity: Gravity,
    /// Whether drag (and nozzle back-pressure) act; with `false` the flight is in vacuum.
    pub atmosphere: bool,
    /// Relative tolerance of each step (position, velocity, mass, time and losses alike).
    pub rtol: f64,
    /// Largest number of steps per segment.
    pub max_steps: usize,
}

impl Default for PoweredOptions {
    /// The contract model with J2 gravity, drag on, relative tolerance 1e-12.
    fn default() -> Self {
        PoweredOptions {
            model: EarthModel::contract(),
            gravity: Gravity::J2,
            atmosphere: true,
            rtol: 1e-12,
            max_steps: 100_000,
        }
    }
}

/// What a powered-flight event marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// Liftoff (t = 0).
    Liftoff,
    /// End of the vertical rise: the kick begins.
    KickStart,
    /// End of the kick: the gravity turn begins.
    KickEnd,
    /// Burnout of stage `i` (0 = first); its dry mass is dropped.
    StageBurnout(usize),
    /// Ignition of stage `i` after a coast.
    Ignition(usize),
    /// The vehicle climbs out of the atmosphere (above 86 km).
    AtmosphereExit,
    /// The vehicle falls back into the atmosphere.
    AtmosphereEntry,
}

/// A located event of a powered flight.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PoweredEvent {
    /// What happens.
    pub kind: EventKind,
    /// Time since liftoff, seconds.
    pub t_s: f64,
    /// Geodetic height, metres.
    pub alt_m: f64,
    /// Earth-relative speed, m/s.
    pub speed_mps: f64,
    /// Mass of the vehicle just before the event, kg.
    pub mass_kg: f64,
}

/// The velocity losses of a powered flight, m/s: the inertial burnout speed is the inertial speed at
/// liftoff (the site's ω × r) plus the ideal Δv of the rocket equation minus these four.
///
/// Each is the integral of one force's share of d|v|/dt along the inertial velocity direction v̂:
/// gravity −g·v̂, drag −D·v̂/m, steering (F/m)(1 − cos ∠(thrust, v̂)), back-pressure p Aₑ / m.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Losses {
    /// Gravity loss, m/s.
    pub gravity_mps: f64,
    /// Drag loss, m/s.
    pub drag_mps: f64,
    /// Steering loss (thrust not along the inertial velocity), m/s.
    pub steering_mps: f64,
    /// Back-pressure loss (ambient pressure on the nozzle exit), m/s.
    pub back_pressure_mps: f64,
}

impl Losses {
    /// The sum of the four losses, m/s.
    pub fn total_mps(&self) -> f64 {
        self.gravity_mps + self.drag_mps + self.steering_mps + self.back_pressure_mps
    }
}

/// One integrated piece of the flight: a dense-output step valid from its start to `t_end_s`.
#[derive(Debug, Clone)]
struct Piece {
    /// Time since liftoff at the piece's integrator time 0, seconds.
    t_offset_s: f64,
    /// The step (integrator time from 0 at the start of its segment).
    segment: Segment<N>,
    /// Last valid time since liftoff (the step's end, or an event located inside it), seconds.
    t_end_s: f64,
}

/// A flown powered flight, from liftoff to the last stage's burnout.
#[derive(Clone)]
pub struct Boost {
    model: EarthModel,
    /// The contract burnout state (Earth-fixed frame at burnout): ballistic flight continues from it.
    pub burnout: BurnoutState,
    /// Time from liftoff to burnout, seconds.
    pub burnout_time_s: f64,
    /// Inertial state at burnout, in the powered flight's frame (Earth-fixed at liftoff).
    pub burnout_inertial: InertialState,
    /// Earth-fixed position (m) and Earth-relative velocity (m/s) at burnout.
    pub burnout_ecef: (Vec3, Vec3),
    /// Mass at burnout (payload and the last stage's dry mass), kg.
    pub burnout_mass_kg: f64,
    /// The velocity losses.
    pub losses: Losses,
    /// The ideal velocity increment of the rocket equation, m/s.
    pub ideal_delta_v_mps: f64,
    /// Inertial speed at liftoff (the site's ω × r), m/s.
    pub liftoff_inertial_speed_mps: f64,
    /// The located events, in time order (liftoff first, the last stage's burnout last).
    pub events: Vec<PoweredEvent>,
    pieces: Vec<Piece>,
}

impl std::fmt::Debug for Boost {
    /// The public fields; the dense output is summarised by its number of steps.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Boost")
            .field("burnout", &self.burnout)
            .field("burnout_time_s", &self.burnout_time_s)
            .field("burnout_mass_kg", &self.burnout_mass_kg)
            .field("losses", &self.losses)
            .field("ideal_delta_v_mps", &self.ideal_delta_v_mps)
            .field("events", &self.events)
            .field("steps", &self.pieces.len())
            .finish_non_exhaustive()
    }
}

impl Boost {
    /// Earth-fixed position (m) and Earth-relative velocity (m/s) at `t_s` seconds after liftoff, within
    /// [0, burnout]; `None` outside.
    pub fn ecef_at(&self, t_s: f64) -> Option<(Vec3, Vec3)> {
        if !(0.0..=self.burnout_time_s).contains(&t_s) {
            return None;
        }
        let i = self
            .pieces
            .partition_point(|p| p.t_end_s < t_s)
            .min(self.pieces.len() - 1);
        let p = &self.pieces[i];
        let y = p.segment.eval(t_s - p.t_offset_s);
        let (r, v) = (Vec3::new(y[0], y[1], y[2]), Vec3::new(y[3], y[4], y[5]));
        Some(self.model.inertial_to_ecef_state(r, v, t_s))
    }

    /// Geodetic position at `t_s` seconds after liftoff, within [0, burnout]; `None` outside.
    pub fn geodetic_at(&self, t_s: f64) -> Option<Geodetic> {
        self.ecef_at(t_s).map(|(r, _)| self.model.to_geodetic(r))
    }

    /// Mass at `t_s` seconds after liftoff, kg, within [0, burnout]; `None` outside.
    pub fn mass_at(&self, t_s: f64) -> Option<f64> {
        if !(0.0..=self.burnout_time_s).contains(&t_s) {
            return None;
        }
        let i = self
            .pieces
            .partition_point(|p| p.t_end_s < t_s)
            .min(self.pieces.len() - 1);
        let p = &self.pieces[i];
        Some(p.segment.eval(t_s - p.t_offset_s)[6])
    }

    /// Number of integrator steps taken.
    pub fn steps(&self) -> usize {
        self.pieces.len()
    }
}

/// How the thrust is pointed during a segment.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Steer {
    /// Along the geodetic normal.
    Vertical,
    /// At `sin`/`cos` of the kick angle from the normal, toward the azimuth (sin, cos).
    Kick { sk: f64, ck: f64, sa: f64, ca: f64 },
    /// Along the Earth-relative velocity.
    Turn,
}

/// What is constant during one segment of the integration.
#[derive(Debug, Clone, Copy)]
struct Mode<'a> {
    /// Burning stage: (mass flow kg/s, vacuum thrust N, exit area m²), or a coast.
    burn: Option<(f64, f64, f64)>,
    /// Aerodynamics of the stack: reference area (m²) and drag table.
    aero: (f64, &'a DragTable),
    steer: Steer,
    /// Whether the vehicle is inside the atmosphere (below its top).
    in_air: bool,
}

/// The right-hand side of the powered-flight equations in `mode` at position `r`, velocity `v` and
/// mass `m`, with the gravitational acceleration `g` there.
fn rhs(model: &EarthModel, mode: &Mode, r: Vec3, v: Vec3, m: f64, g: Vec3) -> Y {
    let (h, n) = model.height_and_normal(r);
    let v_rel = v - model.omega().cross(r);
    let speed_rel = v_rel.norm();
    let (pressure, drag) = if mode.in_air {
        let air = atmosphere::air(h);
        let (area, table) = mode.aero;
        let drag = if area > 0.0 && speed_rel > 0.0 {
            let cd = table.cd(speed_rel / air.speed_of_sound_mps);
            v_rel * (-0.5 * air.density_kg_per_m3 * speed_rel * cd * area / m)
        } else {
            Vec3::new(0.0, 0.0, 0.0)
        };
        (air.pressure_pa, drag)
    } else {
        (0.0, Vec3::new(0.0, 0.0, 0.0))
    };
    let (mdot, thrust_acc, back_pressure_acc, dir) = match mode.burn {
        None => (0.0, 0.0, 0.0, n),
        Some((mdot, f_vac, exit_area)) => {
            let dir = match mode.steer {
                Steer::Vertical => n,
                Steer::Kick { sk, ck, sa, ca } => {
                    // East = ẑ × n / |ẑ × n|, north = n × east: the local geodetic horizontal axes.
                    let rho = n.x.hypot(n.y);
                    let east = Vec3::new(-n.y / rho, n.x / rho, 0.0);
                    let north = n.cross(east);
                    n * ck + (north * ca + east * sa) * sk
                }
                Steer::Turn => {
                    if speed_rel > 0.0 {
                        v_rel / speed_rel
                    } else {
                        n
                    }
                }
            };
            let pa = pressure * exit_area;
            (mdot, (f_vac - pa) / m, pa / m, dir)
        }
    };
    let a = g + drag + dir * thrust_acc;
    let speed = v.norm();
    let v_hat = if speed > 0.0 { v / speed } else { dir };
    [
        v.x,
        v.y,
        v.z,
        a.x,
        a.y,
        a.z,
        -mdot,
        1.0,
        -g.dot(v_hat),
        -drag.dot(v_hat),
        thrust_acc * (1.0 - dir.dot(v_hat)),
        back_pressure_acc,
    ]
}

/// Error weights of the state: atol + rtol · magnitude, with the position and velocity measured as
/// vectors (as the ballistic integrators do).
fn weights(rtol: f64, y: &Y) -> Y {
    let p = (y[0] * y[0] + y[1] * y[1] + y[2] * y[2]).sqrt();
    let v = (y[3] * y[3] + y[4] * y[4] + y[5] * y[5]).sqrt();
    let sp = 1e-6 + rtol * p;
    let sv = 1e-9 + rtol * v;
    let mut w = [0.0; N];
    w[..3].fill(sp);
    w[3..6].fill(sv);
    w[6] = 1e-9 + rtol * y[6].abs();
    w[7] = 1e-9 + rtol * y[7].abs();
    for c in 8..N {
        w[c] = 1e-9 + rtol * y[c].abs();
    }
    w
}

/// A segment of the plan: a duration over which stage, steering and stack do not change.
#[derive(Debug, Clone)]
struct Span {
    duration_s: f64,
    stage: usize,
    burning: bool,
    steer: Steer,
    /// The events at the end of the span.
    end_events: Vec<EventKind>,
}

/// The plan of segments: stage burns and coasts, split at the programme's times.
fn plan(vehicle: &Vehicle, prog: &Programme) -> Vec<Span> {
    let (sk, ck) = prog.kick_deg.to_radians().sin_cos();
    let (sa, ca) = prog.azimuth_deg.to_radians().sin_cos();
    let kick = Steer::Kick { sk, ck, sa, ca };
    let t_kick = prog.vertical_rise_s;
    let t_turn = prog.vertical_rise_s + prog.kick_duration_s;
    // (start, end, stage, burning, end event) of each burn and coast.
    let mut phases = Vec::new();
    let mut t = 0.0;
    let n = vehicle.stages().len();
    for (i, s) in vehicle.stages().iter().enumerate() {
        phases.push((t, t + s.burn_time_s, i, true, EventKind::StageBurnout(i)));
        t += s.burn_time_s;
        if i + 1 < n && s.coast_after_s > 0.0 {
            phases.push((t, t + s.coast_after_s, i + 1, false, EventKind::Ignition(i + 1)));
            t += s.coast_after_s;
        }
    }
    let mut spans = Vec::new();
    for (t0, t1, stage, burning, ev) in phases {
        let mut cuts = vec![t0];
        for tc in [t_kick, t_turn] {
            if tc > t0 && tc < t1 && tc > cuts[cuts.len() - 1] {
                cuts.push(tc);
            }
        }
        cuts.push(t1);
        for w in cuts.windows(2) {
            let (a, b) = (w[0], w[1]);
            let mid = 0.5 * (a + b);
            let steer = if mid < t_kick {
                Steer::Vertical
            } else if mid < t_turn {
                kick
            } else {
                Steer::Turn
            };
            let mut end_events = Vec::new();
            if b == t_kick && t_kick > 0.0 {
                end_events.push(EventKind::KickStart);
            }
            if b == t_turn && t_turn > 0.0 {
                end_events.push(EventKind::KickEnd);
            }
            if b == t1 {
                end_events.push(ev);
            }
            spans.push(Span {
                duration_s: b - a,
                stage,
                burning,
                steer,
                end_events,
            });
        }
    }
    spans
}

/// Flies `vehicle` from the launch site `site` (geodetic, height above the ellipsoid) with the steering
/// `programme` to the burnout of its last stage.
///
/// Errors: invalid inputs; a thrust that does not lift the vehicle off (thrust-to-weight ratio ≤ 1 at
/// liftoff); a flight that falls more than 1 m below the launch height; an integration failure.
pub fn fly_boost(
    vehicle: &Vehicle,
    site: Geodetic,
    programme: &Programme,
    options: &PoweredOptions,
) -> Result<Boost, Error> {
    fly_boost_with_gravity(vehicle, site, programme, options, |r| {
        options.model.acceleration(options.gravity, r)
    })
}

/// [`fly_boost`] with the gravity field `gravity` (inertial position → acceleration), for tests with a
/// field that has a closed-form answer.
fn fly_boost_with_gravity<G: Fn(Vec3) -> Vec3>(
    vehicle: &Vehicle,
    site: Geodetic,
    programme: &Programme,
    options: &PoweredOptions,
    gravity: G,
) -> Result<Boost, Error> {
    // At a pole the kick has no azimuth to point to.
    in_range(
        "lat_deg",
        site.lat_deg,
        -89.99,
        89.99,
        "a latitude in [-89.99, 89.99] degrees",
    )?;
    in_range("lon_deg", site.lon_deg, -1e3, 1e3, "a longitude in degrees")?;
    in_range(
        "h_m",
        site.h_m,
        -1_000.0,
        1e5,
        "a launch height in [-1000, 100000] m",
    )?;
    in_range(
        "rtol",
        options.rtol,
        1e-15,
        1e-3,
        "a relative tolerance in [1e-15, 1e-3]",
    )?;
    programme.validate()?;
    let model = &options.model;
    let r0 = model.to_ecef(site);
    let v0 = model.omega().cross(r0);
    let m0 = vehicle.liftoff_mass_kg();
    {
        let first = &vehicle.stages()[0];
        let p0 = if options.atmosphere {
            atmosphere::air(site.h_m).pressure_pa
        } else {
            0.0
        };
        let thrust = first.vacuum_thrust_n() - p0 * first.nozzle_exit_area_m2;
        let weight = m0 * gravity(r0).norm();
        if thrust <= weight {
            return Err(Error::Powered {
                reason: format!(
                    "liftoff thrust {thrust:.0} N does not exceed the weight {weight:.0} N (thrust-to-weight {:.3})",
                    thrust / weight
                ),
            });
        }
    }
    let mut y: Y = [0.0; N];
    y[..3].copy_from_slice(&[r0.x, r0.y, r0.z]);
    y[3..6].copy_from_slice(&[v0.x, v0.y, v0.z]);
    y[6] = m0;
    let speed_rel_of = |y: &Y| -> f64 {
        let r = Vec3::new(y[0], y[1], y[2]);
        (Vec3::new(y[3], y[4], y[5]) - model.omega().cross(r)).norm()
    };
    let height_of = |y: &Y| model.height_and_normal(Vec3::new(y[0], y[1], y[2])).0;
    let event = |kind, y: &Y| PoweredEvent {
        kind,
        t_s: y[7],
        alt_m: height_of(y),
        speed_mps: speed_rel_of(y),
        mass_kg: y[6],
    };
    let mut events = vec![event(EventKind::Liftoff, &y)];
    let mut pieces: Vec<Piece> = Vec::new();
    let mut in_air = options.atmosphere && site.h_m < TOP_GEOMETRIC_M;
    let ground_m = site.h_m - 1.0;
    let tol = Tolerances {
        rtol: options.rtol,
        atol_pos_m: 1e-6,
        atol_vel_mps: 1e-9,
        max_step_s: f64::INFINITY,
        max_steps: options.max_steps,
    };
    let spans = plan(vehicle, programme);
    for span in &spans {
        let stage: &Stage = &vehicle.stages()[span.stage];
        let burn = span.burning.then(|| {
            (
                stage.mass_flow_kgps(),
                stage.vacuum_thrust_n(),
                stage.nozzle_exit_area_m2,
            )
        });
        let t_span_end = y[7] + span.duration_s;
        // A span may be cut by atmosphere crossings: integrate until its end time is reached.
        loop {
            let remaining = t_span_end - y[7];
            if remaining <= 1e-9 {
                // Done (an atmosphere crossing may leave a sliver shorter than any step).
                y[7] = t_span_end;
                break;
            }
            let mode = Mode {
                burn,
                aero: (stage.reference_area_m2, &stage.drag),
                steer: span.steer,
                in_air,
            };
            let rhs_of_mode = |s: &Y| -> Y {
                let r = Vec3::new(s[0], s[1], s[2]);
                rhs(model, &mode, r, Vec3::new(s[3], s[4], s[5]), s[6], gravity(r))
            };
            let f = &rhs_of_mode;
            let t_offset = y[7];
            let mut crossing: Option<(f64, Y)> = None;
            let mut fell: Option<f64> = None;
            let mut last = y;
            let result = dop853::integrate_system(
                f,
                y,
                remaining,
                &tol,
                |s| weights(options.rtol, s),
                |step| {
                    let seg = step.dense(f);
                    let h1 = height_of(&step.y1);
                    if h1 < ground_m {
                        fell = Some(step.y1[7]);
                        return false;
                    }
                    // Out of the atmosphere when inside it, back into it when outside: which crossing is
                    // looked for depends on the mode, so a restart on the boundary cannot find it again.
                    let top = TOP_GEOMETRIC_M;
                    if options.atmosphere && ((in_air && h1 > top) || (!in_air && h1 < top)) {
                        let h0 = height_of(&step.y0);
                        let t_c = if (h0 - top) * (h1 - top) < 0.0 {
                            crate::roots::brent(
                                |t| height_of(&seg.eval(t)) - top,
                                step.t0_s,
                                step.t1_s(),
                                1e-12,
                            )
                            .unwrap_or(step.t1_s())
                        } else {
                            step.t0_s
                        };
                        let yc = seg.eval(t_c);
                        pieces.push(Piece {
                            t_offset_s: t_offset,
                            segment: seg,
                            t_end_s: t_offset + t_c,
                        });
                        crossing = Some((t_c, yc));
                        return false;
                    }
                    last = step.y1;
                    pieces.push(Piece {
                        t_offset_s: t_offset,
                        segment: seg,
                        t_end_s: t_offset + step.t1_s(),
                    });
                    true
                },
            );
            result.map_err(|e| integration_error(e, t_offset))?;
            if let Some(t) = fell {
                return Err(Error::Powered {
                    reason: format!(
                        "the vehicle falls below its launch height {:.0} s after liftoff (too little thrust, or a kick too flat)",
                        t
                    ),
                });
            }
            match crossing {
                Some((_, yc)) => {
                    y = yc;
                    let kind = if in_air {
                        EventKind::AtmosphereExit
                    } else {
                        EventKind::AtmosphereEntry
                    };
                    in_air = !in_air;
                    events.push(event(kind, &y));
                }
                None => {
                    y = last;
                    // The span's end time exactly (the integrated clock agrees to rounding).
                    y[7] = t_span_end;
                    break;
                }
            }
        }
        for &kind in &span.end_events {
            events.push(event(kind, &y));
            if let EventKind::StageBurnout(i) = kind
                && i + 1 < vehicle.stages().len()
            {
                y[6] -= vehicle.stages()[i].dry_kg;
            }
        }
    }
    let t_b = y[7];
    let r = Vec3::new(y[0], y[1], y[2]);
    let v = Vec3::new(y[3], y[4], y[5]);
    let (r_e, v_e) = model.inertial_to_ecef_state(r, v, t_b);
    let burnout = BurnoutState::from_ecef(model, r_e, v_e);
    Ok(Boost {
        model: *model,
        burnout,
        burnout_time_s: t_b,
        burnout_inertial: InertialState {
            r_inertial_m: r,
            v_inertial_mps: v,
        },
        burnout_ecef: (r_e, v_e),
        burnout_mass_kg: y[6],
        losses: Losses {
            gravity_mps: y[8],
            drag_mps: y[9],
            steering_mps: y[10],
            back_pressure_mps: y[11],
        },
        ideal_delta_v_mps: vehicle.ideal_delta_v_mps(),
        liftoff_inertial_speed_mps: v0.norm(),
        events,
        pieces,
    })
}

/// Resizes `vehicle` so that, flown from `site` with `programme`, its Earth-relative burnout speed is
/// `speed_mps` (within 1 mm/s): every stage's propellant and dry mass are scaled by one factor
/// ([`Vehicle::with_stages_scaled`]: structural fractions, specific impulses, burn times and aerodynamics
/// kept, thrust in proportion, payload unchanged), found by Brent's method (the burnout speed grows with
/// the factor: more thrust per unit mass, a larger mass ratio). Burnout time, height and range then follow
/// from the flight. Returns the resized vehicle, its flight and the factor.
///
/// Errors: a speed the vehicle family cannot reach (above what a vehicle 1000 times larger reaches, the
/// payload then being negligible), or one below what the smallest vehicle that lifts off reaches.
pub fn size_for_burnout_speed(
    vehicle: &Vehicle,
    site: Geodetic,
    programme: &Programme,
    options: &PoweredOptions,
    speed_mps: f64,
) -> Result<(Vehicle, Boost, f64), Error> {
    in_range(
        "speed_mps",
        speed_mps,
        1.0,
        2e4,
        "a burnout speed in [1, 20000] m/s",
    )?;
    // Burnout speed less the goal at a factor; a vehicle that cannot lift off or falls back counts as
    // reaching no speed.
    let excess = |factor: f64| -> Result<f64, Error> {
        let v = vehicle.with_stages_scaled(factor)?;
        match fly_boost(&v, site, programme, options) {
            Ok(b) => Ok(b.burnout.speed_mps - speed_mps),
            Err(Error::Powered { .. }) => Ok(-speed_mps),
            Err(e) => Err(e),
        }
    };
    let (mut lo, mut hi) = (1.0, 1.0);
    let e1 = excess(1.0)?;
    if e1 < 0.0 {
        loop {
            hi *= 2.0;
            if hi > 1e3 {
                return Err(Error::Vehicle {
                    reason: format!(
                        "no scaling of this vehicle reaches a burnout speed of {speed_mps} m/s with its programme (1000 times larger reaches {:.0} m/s)",
                        excess(1e3)? + speed_mps
                    ),
                });
            }
            if excess(hi)? >= 0.0 {
                lo = hi / 2.0;
                break;
            }
        }
    } else {
        loop {
            lo /= 2.0;
            if lo < 1e-3 {
                return Err(Error::Vehicle {
                    reason: format!(
                        "even a vehicle 1000 times smaller exceeds a burnout speed of {speed_mps} m/s"
                    ),
                });
            }
            if excess(lo)? < 0.0 {
                hi = lo * 2.0;
                break;
            }
        }
    }
    let failure = crate::error::FirstError::default();
    let factor = crate::roots::brent(|f| failure.value(excess(f)), lo, hi, 1e-13);
    failure.check()?;
    let factor = factor.ok_or_else(|| Error::Vehicle {
        reason: format!("the burnout speed {speed_mps} m/s could not be bracketed"),
    })?;
    let sized = vehicle.with_stages_scaled(factor)?;
    let boost = fly_boost(&sized, site, programme, options)?;
    let miss = (boost.burnout.speed_mps - speed_mps).abs();
    if miss > 1e-3 {
        return Err(Error::Vehicle {
            reason: format!(
                "sizing for {speed_mps} m/s ends {miss:.2e} m/s away (the burnout speed jumps where the flight falls back)"
            ),
        });
    }
    Ok((sized, boost, factor))
}

/// The crate error of an integrator failure `t_offset_s` after liftoff.
fn integration_error(e: IntegrationError, t_offset_s: f64) -> Error {
    let (t_s, reason) = match e {
        IntegrationError::TooManySteps { t_s } => (t_s, "too many steps"),
        IntegrationError::StepUnderflow { t_s } => (t_s, "step size underflow"),
    };
    Error::PoweredIntegration {
        t_s: t_offset_s + t_s,
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::atmosphere::G0_MPS2 as G0;
    use crate::model::Figure;

    /// A one-stage or two-stage test rocket without drag.
    fn rocket(two_stages: bool, coast_s: f64) -> Vehicle {
        let none = DragTable::constant(0.0).unwrap();
        let mut stages = vec![Stage {
            propellant_kg: 8_000.0,
            dry_kg: 900.0,
            burn_time_s: 50.0,
            isp_vac_s: 270.0,
            nozzle_exit_area_m2: 0.0,
            reference_area_m2: 0.0,
            drag: none.clone(),
            coast_after_s: coast_s,
        }];
        if two_stages {
            stages.push(Stage {
                propellant_kg: 2_000.0,
                dry_kg: 300.0,
                burn_time_s: 40.0,
                isp_vac_s: 290.0,
                nozzle_exit_area_m2: 0.0,
                reference_area_m2: 0.0,
                drag: none,
                coast_after_s: 0.0,
            });
        }
        Vehicle::try_new(stages, 100.0).unwrap()
    }

    /// Vertical flight in a uniform field without drag has a closed form: during a burn from mass m₀ at
    /// rate ṁ, v(t) = v₀ + vₑ ln(m₀/m) − g t and h(t) = h₀ + v₀ t + vₑ (t − (m/ṁ) ln(m₀/m)) − g t²/2 with
    /// vₑ = g₀ Isp; during a coast, v₀ − g t and h₀ + v₀ t − g t²/2.
    #[test]
    fn vertical_launch_without_drag_matches_the_closed_form() {
        let g = 9.81;
        for (two, coast) in [(false, 0.0), (true, 0.0), (true, 12.5)] {
            let vehicle = rocket(two, coast);
            // A non-rotating sphere: the normal is radial, so a vertical flight stays on one line.
            let model = EarthModel {
                omega_rad_per_s: 0.0,
                figure: Figure::Sphere { radius_m: 6_371e3 },
                ..EarthModel::contract()
            };
            let site = Geodetic {
                lat_deg: 40.0,
                lon_deg: 20.0,
                h_m: 150.0,
            };
            let up = model.to_ecef(site).unit();
            let options = PoweredOptions {
                model,
                atmosphere: false,
                ..PoweredOptions::default()
            };
            let prog = Programme {
                vertical_rise_s: 1e4,
                kick_deg: 0.0,
                kick_duration_s: 0.0,
                azimuth_deg: 0.0,
            };
            let b = fly_boost_with_gravity(&vehicle, site, &prog, &options, |_| up * -g).unwrap();
            // The closed form, phase by phase.
            let (mut h, mut v) = (site.h_m, 0.0);
            for (i, s) in vehicle.stages().iter().enumerate() {
                let m0 = vehicle.ignition_mass_kg(i);
                let (mdot, ve, t) = (s.mass_flow_kgps(), G0 * s.isp_vac_s, s.burn_time_s);
                let m = m0 - mdot * t;
                h += v * t + ve * (t - (m / mdot) * (m0 / m).ln()) - 0.5 * g * t * t;
                v += ve * (m0 / m).ln() - g * t;
                if i + 1 < vehicle.stages().len() {
                    let t = s.coast_after_s;
                    h += v * t - 0.5 * g * t * t;
                    v -= g * t;
                }
            }
            assert!(
                (b.burnout.alt_m - h).abs() < 1e-5,
                "height {} vs {h}",
                b.burnout.alt_m
            );
            assert!(
                (b.burnout.speed_mps - v).abs() < 1e-8,
                "speed {} vs {v}",
                b.burnout.speed_mps
            );
            assert!((b.burnout.flight_path_angle_deg - 90.0).abs() < 1e-9);
            assert!((b.burnout_mass_kg - vehicle.burnout_mass_kg(vehicle.stages().len() - 1)).abs() < 1e-9);
            // The dense output along the way: the first stage's burnout.
            let t1 = vehicle.stages()[0].burn_time_s;
            let m0 = vehicle.liftoff_mass_kg();
            let s = &vehicle.stages()[0];
            let (mdot, ve) = (s.mass_flow_kgps(), G0 * s.isp_vac_s);
            let m = m0 - mdot * t1;
            let h1 = site.h_m + ve * (t1 - (m / mdot) * (m0 / m).ln()) - 0.5 * g * t1 * t1;
            assert!((b.geodetic_at(t1).unwrap().h_m - h1).abs() < 1e-5);
            assert!((b.geodetic_at(0.5 * t1).unwrap().h_m - site.h_m) > 0.0);
            assert!(b.geodetic_at(b.burnout_time_s + 1.0).is_none());
        }
    }

    #[test]
    fn events_are_in_order_and_at_the_plan_times() {
        let vehicle = rocket(true, 7.0);
        let prog = Programme {
            vertical_rise_s: 6.0,
            kick_deg: 10.0,
            kick_duration_s: 8.0,
            azimuth_deg: 45.0,
        };
        let site = Geodetic {
            lat_deg: 54.5,
            lon_deg: 17.1,
            h_m: 60.0,
        };
        let b = fly_boost(&vehicle, site, &prog, &PoweredOptions::default()).unwrap();
        let kinds: Vec<EventKind> = b.events.iter().map(|e| e.kind).collect();
        let times: Vec<f64> = b.events.iter().map(|e| e.t_s).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
        let at = |k: EventKind| b.events.iter().find(|e| e.kind == k).unwrap().t_s;
        assert_eq!(kinds[0], EventKind::Liftoff);
        assert_eq!(at(EventKind::KickStart), 6.0);
        assert_eq!(at(EventKind::KickEnd), 14.0);
        assert_eq!(at(EventKind::StageBurnout(0)), 50.0);
        assert_eq!(at(EventKind::Ignition(1)), 57.0);
        assert_eq!(at(EventKind::StageBurnout(1)), 97.0);
        assert_eq!(*kinds.last().unwrap(), EventKind::StageBurnout(1));
        assert!(kinds.contains(&EventKind::AtmosphereExit));
        assert_eq!(b.burnout_time_s, vehicle.burnout_time_s());
        // The burnout state continues as a ballistic flight.
        let t = crate::propagate(&b.burnout, Gravity::J2).unwrap();
        assert!(t.time_of_flight_s() > 0.0);
        // Heading: the kick toward 45° keeps the burnout azimuth in the north-east quadrant.
        assert!(
            b.burnout.azimuth_deg > 20.0 && b.burnout.azimuth_deg < 70.0,
            "{}",
            b.burnout.azimuth_deg
        );
    }

    #[test]
    fn refuses_what_cannot_fly() {
        let mut weak = rocket(false, 0.0);
        let site = Geodetic {
            lat_deg: 30.0,
            lon_deg: 50.0,
            h_m: 0.0,
        };
        let prog = Programme {
            vertical_rise_s: 5.0,
            kick_deg: 5.0,
            kick_duration_s: 5.0,
            azimuth_deg: 0.0,
        };
        weak = weak.with_propellant_scaled(1.0).unwrap();
        let heavy = Vehicle::try_new(weak.stages().to_vec(), 50_000.0).unwrap();
        let e = fly_boost(&heavy, site, &prog, &PoweredOptions::default()).unwrap_err();
        assert!(e.to_string().contains("does not exceed the weight"), "{e}");
        // A kick nearly horizontal from the start: it flies into the ground.
        let flat = Programme {
            vertical_rise_s: 0.5,
            kick_deg: 85.0,
            kick_duration_s: 40.0,
            azimuth_deg: 0.0,
        };
        let e = fly_boost(&weak, site, &flat, &PoweredOptions::default()).unwrap_err();
        assert!(e.to_string().contains("falls below its launch height"), "{e}");
        let pole = Geodetic {
            lat_deg: 90.0,
            ..site
        };
        assert!(fly_boost(&weak, pole, &prog, &PoweredOptions::default()).is_err());
        let bad = Programme {
            kick_deg: f64::NAN,
            ..prog
        };
        assert!(fly_boost(&weak, site, &bad, &PoweredOptions::default()).is_err());
    }

    /// The interceptor's burnout speed is the disputed parameter: the vehicle is sized to each of the
    /// published values (5.4–9 km/s), and its burnout follows from the flight.
    #[test]
    fn sizes_a_vehicle_to_each_disputed_burnout_speed() {
        let cd = DragTable::try_new(vec![0.0, 1.0, 1.2, 3.0], vec![0.25, 0.45, 0.5, 0.3]).unwrap();
        let stage = |prop: f64, dry: f64, burn: f64, isp: f64, area: f64| Stage {
            propellant_kg: prop,
            dry_kg: dry,
            burn_time_s: burn,
            isp_vac_s: isp,
            nozzle_exit_area_m2: 0.3,
            reference_area_m2: area,
            drag: cd.clone(),
            coast_after_s: 0.0,
        };
        let v = Vehicle::try_new(
            vec![
                stage(9_000.0, 700.0, 60.0, 280.0, 1.3),
                stage(2_500.0, 200.0, 45.0, 295.0, 0.9),
            ],
            64.0,
        )
        .unwrap();
        let site = Geodetic {
            lat_deg: 54.48,
            lon_deg: 17.10,
            h_m: 60.0,
        };
        let prog = Programme {
            vertical_rise_s: 6.0,
            kick_deg: 12.0,
            kick_duration_s: 8.0,
            azimuth_deg: 60.0,
        };
        let options = PoweredOptions::default();
        let mut last_factor = 0.0;
        for speed in [5_400.0, 6_300.0, 7_700.0, 8_300.0, 9_000.0] {
            let (sized, b, factor) = size_for_burnout_speed(&v, site, &prog, &options, speed).unwrap();
            assert!(
                (b.burnout.speed_mps - speed).abs() < 1e-3,
                "{}",
                b.burnout.speed_mps
            );
            assert!(factor > last_factor, "{factor} after {last_factor}");
            last_factor = factor;
            // The same structural fraction, payload and burn times.
            let s0 = &sized.stages()[0];
            assert!((s0.dry_kg / s0.propellant_kg - 700.0 / 9_000.0).abs() < 1e-12);
            assert_eq!(sized.payload_kg(), 64.0);
            assert_eq!(b.burnout_time_s, 105.0);
            // Flown again: the same burnout.
            let again = fly_boost(&sized, site, &prog, &options).unwrap();
            assert_eq!(again.burnout, b.burnout);
        }
        // Beyond the family's reach (its structural fractions and specific impulses cap it near 10 km/s).
        let e = size_for_burnout_speed(&v, site, &prog, &options, 15_000.0).unwrap_err();
        assert!(e.to_string().contains("no scaling"), "{e}");
    }
}
