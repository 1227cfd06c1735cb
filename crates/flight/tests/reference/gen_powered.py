#!/usr/bin/env python3
"""Reference powered flights (liftoff to burnout) for `flight::fly_boost`, by an independent implementation
of the same equations with scipy's solve_ivp (DOP853, rtol 1e-12).

Run from this directory:  pip install -r requirements-powered.txt && python3 gen_powered.py
Writes powered_cases.json beside this script.

Independence: nothing here comes from the Rust code. This script writes its own U.S. Standard Atmosphere
1976 (checked below against the `ambiance` package, an independent implementation of the ICAO 1993
standard atmosphere, identical to the 1976 standard up to 80 km), its own WGS84 geodetic height and normal
(fixed-point iteration on the latitude to machine precision, not the closed form the Rust code uses), its
own J2 gravity, thrust, drag and steering, and its own event handling (solve_ivp's terminal events for
the top of the atmosphere, restarts at the known stage and programme times).

The equations (the model of crates/flight/src/powered.rs, as documented there):
- inertial frame coinciding with the Earth-fixed one at liftoff; Earth rotation omega about +Z;
- gravity -mu r/r^3 plus the J2 zonal term (or point gravity only);
- thrust mdot g0 Isp_vac - p(h) A_exit along the steering direction: geodetic normal during the vertical
  rise; cos(kick) normal + sin(kick) (cos(az) north + sin(az) east) during the kick; the Earth-relative
  velocity v - omega x r during the gravity turn;
- drag -1/2 rho |v_rel| v_rel Cd(Mach) A, Cd linear between table points and constant beyond them; the
  atmosphere is absent above 86 km (geopotential 84852 m'), whose crossing is a located event;
- mass falls at the constant mass flow of the burning stage; a stage's dry mass is dropped at its burnout
  (except the last stage's);
- four loss integrals along the inertial velocity direction (gravity, drag, steering, back-pressure).
The burnout state is rotated to the Earth-fixed frame at burnout: r_e = Rz(-omega t) r,
v_e = Rz(-omega t) v - omega x r_e.
"""
import json
import math
import os
import tomllib
import random

import numpy as np
from ambiance import Atmosphere
from scipy.integrate import solve_ivp

MU = 3.986004418e14
J2 = 1.08262668e-3
RE = 6378137.0
OMEGA = 7.2921151467e-5
A = 6378137.0
F = 1.0 / 298.257223563
E2 = F * (2.0 - F)
G0 = 9.80665

# U.S. Standard Atmosphere 1976 (NOAA-S/T 76-1562), 0-86 km.
RSTAR = 8.31432
M0 = 28.9644e-3
R0 = 6356766.0
GAMMA = 1.4
GMR = G0 * M0 / RSTAR
LAYERS = [(0.0, -6.5e-3), (11000.0, 0.0), (20000.0, 1.0e-3), (32000.0, 2.8e-3), (47000.0, 0.0),
          (51000.0, -2.8e-3), (71000.0, -2.0e-3)]
TOP_H = 84852.0
TOP_Z = R0 * TOP_H / (R0 - TOP_H)


def _bases():
    out = [(288.15, 101325.0)]
    for i in range(1, 7):
        h0, lapse = LAYERS[i - 1]
        t0, p0 = out[-1]
        dh = LAYERS[i][0] - h0
        out.append((t0 + lapse * dh, _pressure(p0, t0, lapse, dh)))
    return out


def _pressure(p0, t0, lapse, dh):
    if lapse == 0.0:
        return p0 * math.exp(-GMR * dh / t0)
    return p0 * (t0 / (t0 + lapse * dh)) ** (GMR / lapse)


BASES = _bases()


def air(z):
    """(pressure Pa, density kg/m^3, speed of sound m/s) at geometric height z (m); zero air above 86 km."""
    z = max(z, -5000.0)
    above = z > TOP_Z
    h = TOP_H if above else R0 * z / (R0 + z)
    i = max(k for k in range(7) if h >= LAYERS[k][0]) if h >= 0 else 0
    base, lapse = LAYERS[i]
    t0, p0 = BASES[i]
    t = t0 + lapse * (h - base)
    a = math.sqrt(GAMMA * RSTAR * t / M0)
    if above:
        return 0.0, 0.0, a
    p = _pressure(p0, t0, lapse, h - base)
    return p, p * M0 / (RSTAR * t), a


def check_atmosphere():
    """This script's atmosphere against ambiance's ICAO 1993 (= USSA 1976 below 80 km)."""
    worst = 0.0
    for z in np.linspace(-4000.0, 80000.0, 337):
        p, rho, a = air(z)
        ref = Atmosphere(z)
        for mine, theirs in ((p, ref.pressure[0]), (rho, ref.density[0]), (a, ref.speed_of_sound[0])):
            worst = max(worst, abs(mine / theirs - 1.0))
    # ICAO 1993 rounds the gas constant (287.05287 J/(kg K)) where the 1976 standard divides R* by M0:
    # relative differences up to 9e-6 in pressure and density, 3.5e-7 in the speed of sound.
    assert worst < 1e-5, worst
    return worst


def height_and_normal(r):
    """Geodetic height (m) and unit normal of a position (the figure is symmetric about Z)."""
    x, y, z = r
    p = math.hypot(x, y)
    lat = math.atan2(z, p * (1.0 - E2))
    for _ in range(30):
        s, c = math.sin(lat), math.cos(lat)
        n = A / math.sqrt(1.0 - E2 * s * s)
        h = p * c + z * s - A * math.sqrt(1.0 - E2 * s * s)
        new = math.atan2(z, p * (1.0 - E2 * n / (n + h)))
        if new == lat:
            break
        lat = new
    s, c = math.sin(lat), math.cos(lat)
    h = p * c + z * s - A * math.sqrt(1.0 - E2 * s * s)
    normal = np.array([c * x / p, c * y / p, s])
    return h, normal, lat


def geodetic_to_ecef(lat_deg, lon_deg, h):
    lat, lon = math.radians(lat_deg), math.radians(lon_deg)
    n = A / math.sqrt(1.0 - E2 * math.sin(lat) ** 2)
    return np.array([(n + h) * math.cos(lat) * math.cos(lon), (n + h) * math.cos(lat) * math.sin(lon),
                     (n * (1.0 - E2) + h) * math.sin(lat)])


def gravity(r, j2):
    x, y, z = r
    r2 = x * x + y * y + z * z
    rn = math.sqrt(r2)
    g = -MU * r / rn ** 3
    if j2:
        k = -1.5 * J2 * MU * RE * RE / rn ** 5
        zz = 5.0 * z * z / r2
        g = g + k * np.array([x * (1.0 - zz), y * (1.0 - zz), z * (3.0 - zz)])
    return g


def cd_of(table, mach):
    return float(np.interp(mach, table["mach"], table["cd"]))


W = np.array([0.0, 0.0, OMEGA])


def rhs_factory(mode, j2):
    def rhs(_t, y):
        r, v, m = y[0:3], y[3:6], y[6]
        h, n, _ = height_and_normal(r)
        v_rel = v - np.cross(W, r)
        srel = np.linalg.norm(v_rel)
        g = gravity(r, j2)
        pressure, drag = 0.0, np.zeros(3)
        if mode["in_air"]:
            pressure, rho, a = air(h)
            area, table = mode["area"], mode["table"]
            if area > 0.0 and srel > 0.0:
                drag = -0.5 * rho * srel * cd_of(table, srel / a) * area / m * v_rel
        mdot, thrust_acc, bp_acc, d = 0.0, 0.0, 0.0, n
        if mode["burn"] is not None:
            mdot, fvac, ae = mode["burn"]
            steer = mode["steer"]
            if steer == "vertical":
                d = n
            elif steer == "kick":
                east = np.array([-n[1], n[0], 0.0]) / math.hypot(n[0], n[1])
                north = np.cross(n, east)
                k, az = math.radians(mode["kick_deg"]), math.radians(mode["az_deg"])
                d = math.cos(k) * n + math.sin(k) * (math.cos(az) * north + math.sin(az) * east)
            else:
                d = v_rel / srel if srel > 0 else n
            thrust_acc = (fvac - pressure * ae) / m
            bp_acc = pressure * ae / m
        acc = g + drag + thrust_acc * d
        speed = np.linalg.norm(v)
        vh = v / speed if speed > 0 else d
        return np.concatenate([v, acc, [-mdot, 1.0, -g @ vh, -drag @ vh, thrust_acc * (1.0 - d @ vh), bp_acc]])
    return rhs


def plan(vehicle, prog):
    """Spans (duration, stage index, burning, steering, end events) as the Rust plan builds them."""
    t_kick = prog["vertical_rise_s"]
    t_turn = t_kick + prog["kick_duration_s"]
    phases, t = [], 0.0
    stages = vehicle["stages"]
    for i, s in enumerate(stages):
        phases.append((t, t + s["burn_time_s"], i, True, ("burnout", i)))
        t += s["burn_time_s"]
        if i + 1 < len(stages) and s["coast_after_s"] > 0:
            phases.append((t, t + s["coast_after_s"], i + 1, False, ("ignition", i + 1)))
            t += s["coast_after_s"]
    spans = []
    for t0, t1, st, burning, ev in phases:
        cuts = [t0] + [tc for tc in sorted({t_kick, t_turn}) if t0 < tc < t1] + [t1]
        for a, b in zip(cuts, cuts[1:]):
            mid = 0.5 * (a + b)
            steer = "vertical" if mid < t_kick else ("kick" if mid < t_turn else "turn")
            spans.append((a, b, st, burning, steer, ev if b == t1 else None))
    return spans


def boost(case):
    """The state at burnout (launch inertial frame) and the atmosphere crossings, or None."""
    vehicle, prog, site = case["vehicle"], case["programme"], case["site"]
    j2 = case["gravity"] == "j2"
    atmosphere = case["atmosphere"]
    r0 = geodetic_to_ecef(site["lat_deg"], site["lon_deg"], site["h_m"])
    stages = vehicle["stages"]
    m0 = vehicle["payload_kg"] + sum(s["propellant_kg"] + s["dry_kg"] for s in stages)
    y = np.concatenate([r0, np.cross(W, r0), [m0, 0.0, 0.0, 0.0, 0.0, 0.0]])
    in_air = atmosphere and site["h_m"] < TOP_Z
    events = []
    for a, b, st, burning, steer, ev in plan(vehicle, prog):
        s = stages[st]
        mdot = s["propellant_kg"] / s["burn_time_s"]
        mode = {
            "burn": (mdot, mdot * G0 * s["isp_vac_s"], s["nozzle_exit_area_m2"]) if burning else None,
            "area": s["reference_area_m2"], "table": s["drag"], "steer": steer,
            "kick_deg": prog["kick_deg"], "az_deg": prog["azimuth_deg"],
        }
        t = a
        while t < b:
            mode["in_air"] = in_air

            def top_event(_t, yy):
                return height_and_normal(yy[0:3])[0] - TOP_Z
            top_event.terminal = True
            top_event.direction = 1.0 if in_air else -1.0
            sol = solve_ivp(rhs_factory(mode, j2), (t, b), y, method="DOP853", rtol=1e-12,
                            atol=[1e-6] * 3 + [1e-9] * 3 + [1e-9] * 6,
                            events=top_event if atmosphere else None)
            assert sol.status >= 0, sol.message
            lowest = min(height_and_normal(sol.y[0:3, i])[0] for i in range(sol.y.shape[1]))
            if lowest < site["h_m"] - 1.0:
                return None  # falls back to the ground: fly_boost refuses such a flight
            if sol.status == 1:
                t = float(sol.t_events[0][0])
                y = sol.y_events[0][0]
                in_air = not in_air
                events.append(("atmosphere_exit" if not in_air else "atmosphere_entry", t))
            else:
                y = sol.y[:, -1]
                t = b
        if ev is not None and ev[0] == "burnout" and ev[1] + 1 < len(stages):
            y = y.copy()
            y[6] -= stages[ev[1]]["dry_kg"]
    return y, events


def fly(case):
    flown = boost(case)
    if flown is None:
        return None
    y, events = flown
    tb = y[7]
    c, s_ = math.cos(-OMEGA * tb), math.sin(-OMEGA * tb)
    rot = np.array([[c, -s_, 0.0], [s_, c, 0.0], [0.0, 0.0, 1.0]])
    r_e = rot @ y[0:3]
    v_e = rot @ y[3:6] - np.cross(W, r_e)
    h, n, lat = height_and_normal(r_e)
    return {
        "burnout_time_s": float(tb),
        "r_ecef_m": [float(x) for x in r_e],
        "v_ecef_mps": [float(x) for x in v_e],
        "lat_deg": math.degrees(lat),
        "lon_deg": math.degrees(math.atan2(r_e[1], r_e[0])),
        "alt_m": float(h),
        "speed_mps": float(np.linalg.norm(v_e)),
        "flight_path_angle_deg": math.degrees(math.asin(float(v_e @ n) / float(np.linalg.norm(v_e)))),
        "mass_kg": float(y[6]),
        "losses_mps": [float(x) for x in y[8:12]],
        "atmosphere_events": events,
    }


def table(mach, cd):
    return {"mach": mach, "cd": cd}


# Generic test vehicles (not claims about any real missile: the scenario's vehicles carry sources).
SOLID_CD = table([0.0, 0.8, 1.0, 1.2, 2.0, 4.0, 6.0], [0.25, 0.30, 0.45, 0.50, 0.40, 0.30, 0.25])
LIQUID_CD = table([0.0, 0.9, 1.1, 1.5, 3.0, 5.0], [0.30, 0.35, 0.55, 0.50, 0.35, 0.30])


def stage(prop, dry, burn, isp, ae, area, drag, coast=0.0):
    return {"propellant_kg": prop, "dry_kg": dry, "burn_time_s": burn, "isp_vac_s": isp,
            "nozzle_exit_area_m2": ae, "reference_area_m2": area, "drag": drag, "coast_after_s": coast}


NO_DRAG = table([0.0], [0.0])
VEHICLES = {
    "solid-3": {"stages": [stage(30000, 3000, 60, 285, 1.2, 2.5, SOLID_CD),
                           stage(12000, 1300, 60, 300, 0.8, 2.0, SOLID_CD),
                           stage(4000, 500, 60, 305, 0.3, 1.5, SOLID_CD)], "payload_kg": 1000},
    "liquid-2": {"stages": [stage(55000, 5000, 130, 300, 0.8, 4.5, LIQUID_CD, coast=5.0),
                            stage(15000, 1800, 110, 320, 0.0, 3.0, LIQUID_CD)], "payload_kg": 1500},
    "interceptor-2": {"stages": [stage(9000, 1300, 60, 275, 0.5, 1.3, SOLID_CD, coast=10.0),
                                 stage(2200, 450, 45, 290, 0.1, 0.9, SOLID_CD)], "payload_kg": 64},
    "interceptor-3": {"stages": [stage(10000, 1400, 55, 275, 0.5, 1.3, SOLID_CD, coast=4.0),
                                 stage(3000, 500, 40, 290, 0.2, 1.0, SOLID_CD, coast=8.0),
                                 stage(900, 200, 30, 295, 0.0, 0.6, NO_DRAG)], "payload_kg": 64},
}


def cases():
    rng = random.Random(16)
    out = []
    lats = [-62.0, -33.9, 0.0, 12.5, 35.23, 51.67, 54.48, 66.0, 78.0]
    names = sorted(VEHICLES)
    for k in range(44):
        name = names[k % len(names)]
        interceptor = name.startswith("interceptor")
        prog = {
            "vertical_rise_s": round(rng.uniform(3.0, 15.0), 3),
            "kick_deg": round(rng.uniform(2.0, 30.0) if interceptor else rng.uniform(0.5, 8.0), 3),
            "kick_duration_s": round(rng.uniform(0.0, 12.0), 3),
            "azimuth_deg": round(rng.uniform(0.0, 360.0), 3),
        }
        site = {"lat_deg": lats[k % len(lats)], "lon_deg": round(rng.uniform(-180.0, 180.0), 4),
                "h_m": round(rng.uniform(-20.0, 1500.0), 2)}
        out.append({
            "id": f"{name}-{k:02d}",
            "vehicle": VEHICLES[name],
            "programme": prog,
            "site": site,
            "gravity": "point" if k % 7 == 3 else "j2",
            "atmosphere": k % 9 != 5,
        })
    # A flat liquid shot that leaves the atmosphere late in its first burn, falls back into it during a
    # coast and burns its second stage inside it: the atmosphere's top crossed both ways.
    coast = json.loads(json.dumps(VEHICLES["liquid-2"]))
    coast["stages"][0]["coast_after_s"] = 60.0
    for k, (kick, az) in enumerate([(5.4, 90.0), (5.38, 90.0), (5.43, 90.0)]):
        out.append({
            "id": f"liquid-2-coast-{44 + k}",
            "vehicle": coast,
            "programme": {"vertical_rise_s": 8.0, "kick_deg": kick, "kick_duration_s": 10.0, "azimuth_deg": az},
            "site": {"lat_deg": 30.0, "lon_deg": 50.0, "h_m": 0.0},
            "gravity": "j2",
            "atmosphere": True,
        })
    return out + scenario_cases()


# The europe-2008 scenario's rockets (its [[vehicles]]: constant drag coefficient, stages as sourced
# there), read from the scenario file, flown with random kicks, azimuths and launch latitudes.
SCENARIO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../defence/scenarios/europe-2008.toml")


def scenario_cases():
    with open(SCENARIO, "rb") as f:
        doc = tomllib.load(f)
    rng = random.Random(1608)
    lats = [-45.0, -10.0, 5.0, 28.5, 35.23, 48.0, 54.48, 62.0, 71.0]
    out = []
    vehicles = doc["vehicles"]
    for k in range(7 * len(vehicles)):
        v = vehicles[k % len(vehicles)]
        interceptor = "GBI" in v["name"]
        vehicle = {
            "stages": [stage(st["propellant_kg"]["value"], st["dry_kg"]["value"], st["burn_time_s"]["value"],
                             st["isp_vac_s"]["value"], st["nozzle_exit_area_m2"]["value"],
                             st["reference_area_m2"]["value"], table([0.0], [st["drag_cd"]["value"]]),
                             st["coast_after_s"]["value"]) for st in v["stages"]],
            "payload_kg": v["payload_kg"]["value"],
        }
        prog = {
            "vertical_rise_s": round(rng.uniform(3.0, 12.0), 3),
            "kick_deg": round(rng.uniform(2.0, 30.0) if interceptor else rng.uniform(1.0, 9.0), 3),
            "kick_duration_s": round(rng.uniform(4.0, 15.0), 3),
            "azimuth_deg": round(rng.uniform(0.0, 360.0), 3),
        }
        site = {"lat_deg": lats[k % len(lats)], "lon_deg": round(rng.uniform(-180.0, 180.0), 4),
                "h_m": round(rng.uniform(0.0, 1400.0), 2)}
        out.append({
            "id": f"europe-2008 {v['name']}-{k:02d}",
            "vehicle": vehicle,
            "programme": prog,
            "site": site,
            "gravity": "point" if k % 11 == 4 else "j2",
            "atmosphere": True,
        })
    return out


def main():
    worst = check_atmosphere()
    results = []
    for case in cases():
        res = fly(case)
        if res is None:
            print(case["id"], "falls back to the ground: left out")
            continue
        results.append({**case, "expected": res})
        print(case["id"], f"t_b {res['burnout_time_s']:.1f} s", f"h {res['alt_m'] / 1e3:.1f} km",
              f"v {res['speed_mps']:.1f} m/s", f"fpa {res['flight_path_angle_deg']:.2f}",
              f"events {res['atmosphere_events']}")
    with open("powered_cases.json", "w") as f:
        json.dump({
            "generator": "gen_powered.py (scipy solve_ivp DOP853, rtol 1e-12)",
            "atmosphere_vs_ambiance_worst_relative": worst,
            "cases": results,
        }, f, indent=1)


if __name__ == "__main__":
    main()
