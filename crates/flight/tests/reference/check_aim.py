#!/usr/bin/env python3
"""Independent check of targeting by shooting (flight::aim::aim_at, flight::flyout::steer_to).

Run from this directory:
    cargo run --release -p flight --example aim_cases > aim_programmes.json   (the programmes shieldwatch finds)
    pip install -r requirements-powered.txt && python3 check_aim.py          (flies them here)
Writes aim_cases.json beside this script.

Each programme is flown by this directory's independent implementation of powered flight
(gen_powered.boost: scipy solve_ivp DOP853, rtol 1e-12), then ballistically with its own J2 gravity (no
atmosphere, as the `fly` contract) by solve_ivp DOP853 at rtol 1e-12 in the same inertial frame:
- "impact" cases: to the first downward crossing of the WGS84 ellipsoid (a terminal event on the geodetic
  height); the miss is the distance from the impact point to the target on the ellipsoid;
- "pass" cases (interceptor flyouts): the closest approach of the flight to the Earth-fixed target point,
  minimised on the dense output near the time shieldwatch found.
Nothing here comes from the Rust code but the programmes under test.
"""
import json
import math

import numpy as np
from scipy.integrate import solve_ivp
from scipy.optimize import minimize_scalar

import gen_powered as g


def rot_z(angle):
    c, s = math.cos(angle), math.sin(angle)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def coast_rhs(_t, y):
    return np.concatenate([y[3:6], g.gravity(y[0:3], True)])


def check(case):
    flown = g.boost({**case, "gravity": "j2", "atmosphere": True})
    assert flown is not None, case["id"]
    y, _ = flown
    tb = float(y[7])
    t = case["target"]
    target_ecef = g.geodetic_to_ecef(t["lat_deg"], t["lon_deg"], t["h_m"])
    if case["kind"] == "impact":
        def ground(_t, yy):
            return g.height_and_normal(yy[0:3])[0]
        ground.terminal = True
        ground.direction = -1.0
        sol = solve_ivp(coast_rhs, (tb, tb + 2e4), y[0:6], method="DOP853", rtol=1e-12,
                        atol=[1e-6] * 3 + [1e-9] * 3, events=ground)
        assert sol.status == 1, case["id"]
        ti = float(sol.t_events[0][0])
        r_e = rot_z(-g.OMEGA * ti) @ sol.y_events[0][0][0:3]
        _, _, lat = g.height_and_normal(r_e)
        lon = math.atan2(r_e[1], r_e[0])
        impact_ground = g.geodetic_to_ecef(math.degrees(lat), math.degrees(lon), 0.0)
        target_ground = g.geodetic_to_ecef(t["lat_deg"], t["lon_deg"], 0.0)
        # Below a metre the chord is the geodesic to far better than a millimetre.
        miss = float(np.linalg.norm(impact_ground - target_ground))
        return {"miss_m": miss, "time_of_flight_s": ti,
                "impact_lat_deg": math.degrees(lat), "impact_lon_deg": math.degrees(lon)}
    t_pass = case["time_s"]
    if t_pass <= tb:
        raise SystemExit(f"{case['id']}: the point is passed during the boost; this check flies coasts only")
    sol = solve_ivp(coast_rhs, (tb, t_pass + 60.0), y[0:6], method="DOP853", rtol=1e-12,
                    atol=[1e-6] * 3 + [1e-9] * 3, dense_output=True)

    def dist(tt):
        r_i = sol.sol(tt)[0:3]
        return float(np.linalg.norm(rot_z(-g.OMEGA * tt) @ r_i - target_ecef))
    best = minimize_scalar(dist, bounds=(t_pass - 30.0, t_pass + 30.0), method="bounded",
                           options={"xatol": 1e-9})
    return {"miss_m": float(best.fun), "time_s": float(best.x)}


def main():
    cases = json.load(open("aim_programmes.json"))["cases"]
    out = []
    for case in cases:
        res = check(case)
        print(case["id"], res)
        out.append({**case, "peer": res})
    with open("aim_cases.json", "w") as f:
        json.dump({"generator": "check_aim.py (scipy solve_ivp DOP853, rtol 1e-12) on aim_programmes.json",
                   "cases": out}, f, indent=1)


if __name__ == "__main__":
    main()
