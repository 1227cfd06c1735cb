#!/usr/bin/env python3
"""Reference solutions of Lambert's problem for `flight::lambert` from pykep's C++ solver.

Peer: pykep 3.0.1 (PyPI wheel `pykep-3.0.1`, manylinux x86_64, CPython 3.11), whose compiled extension
`pykep.core.lambert_problem` is D. Izzo's own C++ implementation of "Revisiting Lambert's problem" (2015).

Run from this directory:
    pip install pykep==3.0.1 && python3 gen_lambert.py
Writes lambert_cases.json beside this script.

The pykep 3.0.1 wheel's `pykep/__init__.py` fails on import (it opens a data file the wheel does not ship,
pykep/trajopt/gym/tops/_tops_cr3bp.json), so this script loads the compiled extension module
`pykep/core.*.so` directly with importlib; nothing else of pykep is used but `lambert_problem` and
`propagate_lagrangian` (the Lagrange-coefficient Kepler propagator, used below as a check).

Independence: nothing here comes from the Rust code. Every solution pykep returns is checked by
propagating (r1, v1) for tof with pykep's Kepler propagator: it must arrive within 1e-9 of |r2| (relative)
and with v2, else the script stops. Conventions: pykep's `cw = True` is our `prograde = false` (angular
momentum along -Z); pykep lists the zero-revolution solution first, then for N = 1, 2, ... its two
solutions in the order (left: smaller x, right: larger x), which is the order `flight::lambert` uses.

Cases (mu = 3.986004418e14 m^3/s^2, DESIGN.md §3): short and long way, prograde and retrograde, elliptic and
hyperbolic, near-parabolic, small and near-180-degree transfer angles, out-of-plane geometries, LEO to GEO
and lunar distance, ballistic (ICBM-like) arcs, and multi-revolution problems with several N (both branches).
"""
import glob
import importlib.util
import json
import math
import os
import sys

import numpy as np

MU = 3.986004418e14
RE = 6378137.0
GEO = 42164.0e3
MOON = 384400.0e3


def load_pykep_core():
    import site

    for d in site.getsitepackages() + [site.getusersitepackages()]:
        hits = glob.glob(os.path.join(d, "pykep", "core.*.so"))
        if hits:
            spec = importlib.util.spec_from_file_location("core", hits[0])
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
            return mod, hits[0]
    sys.exit("pykep's compiled core module not found: pip install pykep==3.0.1")


pk, PK_PATH = load_pykep_core()


def vec(r, theta_deg, incl_deg=0.0, raan_deg=0.0):
    """A position at radius r (m), argument theta in an orbit plane of inclination incl about the node raan."""
    t, i, o = map(math.radians, (theta_deg, incl_deg, raan_deg))
    x, y = r * math.cos(t), r * math.sin(t)
    # Rotate (x, y, 0) by inclination about X then by the node about Z.
    y, z = y * math.cos(i), y * math.sin(i)
    return [x * math.cos(o) - y * math.sin(o), x * math.sin(o) + y * math.cos(o), z]


def period(a):
    return 2 * math.pi * math.sqrt(a ** 3 / MU)


def parabolic_tof(r1, r2, prograde=True):
    """Time of flight of the parabola from r1 to r2 (short way when prograde and the angle < 180): Izzo's
    T(x = 1) = 2/3 (1 - lambda^3) made dimensional."""
    r1, r2 = np.array(r1), np.array(r2)
    c = np.linalg.norm(r2 - r1)
    s = (np.linalg.norm(r1) + np.linalg.norm(r2) + c) / 2
    lam = math.sqrt(1 - c / s)
    if (np.cross(r1, r2)[2] < 0) == prograde:
        lam = -lam
    return 2.0 / 3.0 * (1 - lam ** 3) / math.sqrt(2 * MU / s ** 3)


def cases():
    out = []

    def add(name, r1, r2, tof, prograde, max_revs=0):
        out.append(dict(name=name, r1_m=[float(x) for x in r1], r2_m=[float(x) for x in r2], tof_s=float(tof),
                        mu_m3ps2=MU, prograde=prograde, max_revs=max_revs))

    leo, leo2 = RE + 400e3, RE + 800e3
    # Zero revolution, planar, short way (angle < 180) and long way (angle > 180), both directions.
    add("LEO 90 deg prograde short way", vec(leo, 0), vec(leo2, 90), 1500.0, True)
    add("LEO 90 deg retrograde (long way)", vec(leo, 0), vec(leo2, 90), 4500.0, False)
    add("LEO 270 deg prograde long way", vec(leo, 0), vec(leo2, 270), 4200.0, True)
    add("LEO 270 deg retrograde (short way)", vec(leo, 0), vec(leo2, 270), 1500.0, False)
    add("LEO 150 deg prograde", vec(leo, 10), vec(leo, 160), 2700.0, True)
    add("LEO 210 deg prograde long way", vec(leo, 10), vec(leo, 220), 3300.0, True)
    add("LEO 179 deg prograde", vec(leo, 0), vec(leo2, 179), 2900.0, True)
    add("LEO 181 deg prograde long way", vec(leo, 0), vec(leo2, 181), 2900.0, True)
    add("LEO 1 deg prograde", vec(leo, 0), vec(leo2, 1), 60.0, True)
    add("LEO 359 deg prograde long way", vec(leo, 0), vec(leo, 359), 5500.0, True)
    # Hyperbolic (very short times) and near-parabolic.
    add("hyperbolic LEO 90 deg", vec(leo, 0), vec(leo2, 90), 300.0, True)
    add("hyperbolic LEO 90 deg retrograde", vec(leo, 0), vec(leo2, 90), 900.0, False)
    add("hyperbolic LEO 30 deg fast", vec(leo, 0), vec(leo, 30), 100.0, True)
    add("hyperbolic to GEO", vec(leo, 0), vec(GEO, 120), 3600.0, True)
    add("hyperbolic to lunar distance", vec(leo, 0), vec(MOON, 150), 40000.0, True)
    add("hyperbolic long way 300 deg", vec(leo, 0), vec(3 * RE, 300), 1500.0, True)
    # Near-parabolic: tof close to the parabolic time (Izzo x near 1; Battin/Lagrange regions).
    tp = parabolic_tof(vec(leo, 0), vec(3 * RE, 100))
    add("near-parabolic elliptic 0.1% (Battin series)", vec(leo, 0), vec(3 * RE, 100), 1.001 * tp, True)
    add("near-parabolic hyperbolic 0.1% (Battin series)", vec(leo, 0), vec(3 * RE, 100), 0.999 * tp, True)
    add("near-parabolic elliptic 5% (Lagrange)", vec(leo, 0), vec(3 * RE, 100), 1.05 * tp, True)
    add("near-parabolic hyperbolic 5% (Lagrange)", vec(leo, 0), vec(3 * RE, 100), 0.95 * tp, True)
    tp = parabolic_tof(vec(leo, 0), vec(GEO, 250))
    add("near-parabolic long way to GEO", vec(leo, 0), vec(GEO, 250), 1.02 * tp, True)
    # Higher orbits, elliptic.
    add("LEO to GEO Hohmann-like 175 deg", vec(leo, 0), vec(GEO, 175), 19000.0, True)
    add("LEO to GEO 120 deg", vec(leo, 0), vec(GEO, 120), 12000.0, True)
    add("GEO to LEO 200 deg retrograde", vec(GEO, 0), vec(leo, 200), 25000.0, False)
    add("GEO to GEO 60 deg", vec(GEO, 0), vec(GEO, 60), 14000.0, True)
    add("LEO to lunar distance 170 deg", vec(leo, 0), vec(MOON, 170), 4.5 * 86400.0, True)
    add("LEO to lunar distance 120 deg", vec(leo, 0), vec(MOON, 120), 2.0 * 86400.0, True)
    add("lunar distance to LEO 190 deg", vec(MOON, 0), vec(leo, 190), 5.0 * 86400.0, True)
    add("MEO to MEO GNSS", vec(RE + 20200e3, 0), vec(RE + 20200e3, 100), 20000.0, True)
    # Out of plane (3-D), including polar and retrograde planes.
    add("3-D inclined 51.6 deg", vec(leo, 0, 51.6, 30), vec(leo2, 110, 51.6, 30), 2000.0, True)
    add("3-D inclined 51.6 deg retrograde", vec(leo, 0, 51.6, 30), vec(leo2, 110, 51.6, 30), 4000.0, False)
    add("3-D near-polar", vec(leo, 20, 89.5, -40), vec(leo2, 140, 89.5, -40), 2500.0, True)
    add("3-D near-polar retrograde", vec(leo, 20, 89.5, -40), vec(leo2, 140, 89.5, -40), 2500.0, False)
    add("3-D inclined 98 deg SSO-like", vec(leo, 0, 98, 100), vec(leo, 250, 98, 100), 4000.0, True)
    add("3-D GTO-like 28.5 deg", vec(leo, 0, 28.5, 0), vec(GEO, 178, 28.5, 0), 19000.0, True)
    add("3-D mixed", [7.0e6, 1.0e6, -2.0e6], [-3.0e6, 6.5e6, 4.0e6], 3000.0, True)
    add("3-D mixed retrograde", [7.0e6, 1.0e6, -2.0e6], [-3.0e6, 6.5e6, 4.0e6], 3000.0, False)
    # Ballistic arcs between burnout and ground (ICBM-like): the targeting use.
    add("ballistic 10000 km", vec(RE + 200e3, 0, 60, 35), vec(RE, 85, 60, 35), 1900.0, True)
    add("ballistic 3000 km", vec(RE + 120e3, 0, 20, -50), vec(RE, 27, 20, -50), 800.0, True)
    add("ballistic 300 km", vec(RE + 30e3, 0, 45, 10), vec(RE, 2.7, 45, 10), 240.0, True)
    add("ballistic lofted 1000 km", vec(RE + 80e3, 0, 10, 120), vec(RE, 9, 10, 120), 900.0, True)
    add("ballistic depressed 8000 km", vec(RE + 150e3, 0, 70, 200), vec(RE, 72, 70, 200), 1200.0, True)
    # Multi-revolution: several N, both branches.
    add("multi-rev LEO up to 1", vec(leo, 0), vec(leo2, 100), 9000.0, True, 1)
    add("multi-rev LEO up to 2", vec(leo, 0), vec(leo2, 100), 14500.0, True, 2)
    add("multi-rev LEO up to 3 retrograde", vec(leo, 0), vec(leo2, 100), 20000.0, False, 3)
    add("multi-rev LEO up to 5", vec(leo, 0), vec(leo2, 250), 34000.0, True, 5)
    add("multi-rev 3-D up to 4", [7.0e6, 0.0, 0.0], [-3.0e6, 6.5e6, 1.0e6], 26000.0, True, 4)
    add("multi-rev 3-D up to 2 retrograde", [7.0e6, 0.0, 0.0], [-3.0e6, 6.5e6, 1.0e6], 17000.0, False, 2)
    add("multi-rev GEO up to 2", vec(GEO, 0), vec(GEO, 45), 2.3 * period(GEO), True, 2)
    add("multi-rev LEO-GEO up to 1", vec(leo, 0), vec(GEO, 150), 1.6 * period((leo + GEO) / 2), True, 1)
    add("multi-rev MEO up to 3", vec(RE + 20200e3, 0, 55, 0), vec(RE + 20200e3, 200, 55, 0),
        3.7 * period(RE + 20200e3), True, 3)
    add("multi-rev asks 6, time allows 2", vec(leo, 0), vec(leo2, 100), 14500.0, True, 6)
    add("multi-rev 10 revs LEO", vec(leo, 0), vec(leo, 45), 10.6 * period(leo), True, 10)
    add("multi-rev near 180 deg", vec(leo, 0), vec(leo2, 178), 8600.0, True, 1)
    add("multi-rev small angle", vec(leo, 0), vec(leo2, 5), 6200.0, True, 1)
    add("multi-rev near-polar up to 2", vec(leo, 20, 89.5, -40), vec(leo2, 140, 89.5, -40), 13000.0, True, 2)
    return out


def main():
    result = []
    worst = 0.0
    for c in cases():
        lp = pk.lambert_problem(c["r1_m"], c["r2_m"], c["tof_s"], c["mu_m3ps2"], not c["prograde"], c["max_revs"])
        sols = []
        for i, (v1, v2, x) in enumerate(zip(lp.v0, lp.v1, lp.x)):
            revs = (i + 1) // 2
            branch = "single" if i == 0 else ("left" if i % 2 == 1 else "right")
            # Check: fly (r1, v1) for tof with pykep's own Kepler propagator.
            (rf, vf) = pk.propagate_lagrangian([c["r1_m"], list(v1)], c["tof_s"], c["mu_m3ps2"], False)
            r2 = np.array(c["r2_m"])
            dr = np.linalg.norm(np.array(rf) - r2) / np.linalg.norm(r2)
            dv = np.linalg.norm(np.array(vf) - np.array(v2)) / np.linalg.norm(v2)
            worst = max(worst, dr, dv)
            if dr > 1e-9 or dv > 1e-9:
                sys.exit(f"{c['name']}: pykep solution {i} fails the Kepler check ({dr:.2e}, {dv:.2e})")
            h = np.cross(np.array(c["r1_m"]), np.array(v1))
            if (h[2] > 0) != c["prograde"]:
                sys.exit(f"{c['name']}: solution {i} has the wrong sense of motion")
            sols.append(dict(revs=revs, branch=branch, x=float(x), v1_mps=[float(v) for v in v1],
                             v2_mps=[float(v) for v in v2]))
        cos = np.dot(c["r1_m"], c["r2_m"]) / np.linalg.norm(c["r1_m"]) / np.linalg.norm(c["r2_m"])
        c["kind"] = "hyperbolic" if sols[0]["x"] > 1 else "elliptic"
        c["transfer_angle_deg_short"] = math.degrees(math.acos(max(-1.0, min(1.0, cos))))
        c["solutions"] = sols
        result.append(c)
        print(f"{c['name']:40s} {c['kind']:10s} solutions {len(sols):2d} x0 {sols[0]['x']:+.6f}", flush=True)
    print(f"{len(result)} cases, {sum(len(c['solutions']) for c in result)} solutions; "
          f"worst Kepler check {worst:.2e}")
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "lambert_cases.json"), "w") as f:
        json.dump({"generator": "gen_lambert.py (pykep 3.0.1 C++ lambert_problem, Izzo 2015)",
                   "mu_m3ps2": MU, "cases": result}, f, indent=1)


if __name__ == "__main__":
    main()
