#!/usr/bin/env python3
"""Reference trajectories for `shieldwatch fly` from Orekit (orekit-jpype), point and J2 gravity.

Run from this directory:  pip install orekit-jpype geographiclib scipy && python3 gen_orekit.py
Writes orekit_trajectories.json beside this script.

Independence: nothing here comes from the Rust code. The burnout state is turned into an inertial state
in this script (WGS84 geodetic -> ECEF, local geodetic ENU, plus omega x r); Orekit's NumericalPropagator
with its DormandPrince853Integrator integrates in EME2000 (used as the inertial frame of DESIGN.md §3: at
t = 0 it coincides with the Earth-fixed frame, which rotates about its Z axis at omega) with Orekit's own
NewtonianAttraction and, for "j2", Orekit's J2OnlyPerturbation (an axisymmetric field, so evaluating it in the
inertial frame is exact). No Orekit data files are needed. Impact and apogee are then located on Orekit's
dense-output ephemeris: the Earth-fixed position is the inertial one rotated about Z by -omega t, its
geodetic height comes from an iterative WGS84 conversion below, and scipy's brentq finds the first downward
zero of the height and the downward zero of its rate (the Earth-relative velocity along the ellipsoid
normal). Ground range and azimuth are GeographicLib's (Python) WGS84 geodesic.

Tolerances: relative 1e-14 and absolute 1e-9 (m, m/s) on every step, event times to 1e-12 s, so the
reference is orders of magnitude tighter than the tests' 1 m / 1 ms / 0.1 m / 10 ms.
"""
import json
import math
import random

import orekit_jpype

orekit_jpype.initVM()

from geographiclib.geodesic import Geodesic  # noqa: E402
from scipy.optimize import brentq  # noqa: E402
from org.hipparchus.geometry.euclidean.threed import Vector3D  # noqa: E402
from org.hipparchus.ode.nonstiff import DormandPrince853Integrator  # noqa: E402
from org.orekit.forces.gravity import J2OnlyPerturbation  # noqa: E402
from org.orekit.frames import FramesFactory  # noqa: E402
from org.orekit.orbits import CartesianOrbit, OrbitType  # noqa: E402
from org.orekit.propagation import SpacecraftState  # noqa: E402
from org.orekit.propagation.events import FunctionalDetector  # noqa: E402
from org.orekit.propagation.events.handlers import StopOnEvent  # noqa: E402
from org.orekit.propagation.numerical import NumericalPropagator  # noqa: E402
from org.orekit.time import AbsoluteDate  # noqa: E402
from org.orekit.utils import PVCoordinates  # noqa: E402

# DESIGN.md §3 constants.
MU = 3.986004418e14
J2 = 1.08262668e-3
RE = 6378137.0
OMEGA = 7.2921151467e-5
A = 6378137.0
F = 1 / 298.257223563
E2 = F * (2 - F)


def geodetic_to_ecef(lat, lon, h):
    phi, lam = math.radians(lat), math.radians(lon)
    n = A / math.sqrt(1 - E2 * math.sin(phi) ** 2)
    return [(n + h) * math.cos(phi) * math.cos(lam), (n + h) * math.cos(phi) * math.sin(lam),
            (n * (1 - E2) + h) * math.sin(phi)]


def ecef_to_geodetic(x, y, z):
    """Iterative WGS84 conversion (fixed point on the latitude, converged to round-off)."""
    p = math.hypot(x, y)
    lon = math.atan2(y, x)
    phi = math.atan2(z, p * (1 - E2))
    for _ in range(50):
        s = math.sin(phi)
        n = A / math.sqrt(1 - E2 * s * s)
        h = p * math.cos(phi) + z * s - A * math.sqrt(1 - E2 * s * s)
        new = math.atan2(z, p * (1 - E2 * n / (n + h)))
        if new == phi:
            break
        phi = new
    s = math.sin(phi)
    h = p * math.cos(phi) + z * s - A * math.sqrt(1 - E2 * s * s)
    return math.degrees(phi), math.degrees(lon), h


def enu(lat, lon):
    phi, lam = math.radians(lat), math.radians(lon)
    e = [-math.sin(lam), math.cos(lam), 0.0]
    n = [-math.sin(phi) * math.cos(lam), -math.sin(phi) * math.sin(lam), math.cos(phi)]
    u = [math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam), math.sin(phi)]
    return e, n, u


def burnout_to_inertial(c):
    r = geodetic_to_ecef(c["lat_deg"], c["lon_deg"], c["alt_m"])
    e, n, u = enu(c["lat_deg"], c["lon_deg"])
    g, az = math.radians(c["flight_path_angle_deg"]), math.radians(c["azimuth_deg"])
    v = [c["speed_mps"] * (math.cos(g) * math.sin(az) * e[i] + math.cos(g) * math.cos(az) * n[i] + math.sin(g) * u[i])
         for i in range(3)]
    v[0] += -OMEGA * r[1]
    v[1] += OMEGA * r[0]
    return r, v


def rot_z(v, ang):
    c, s = math.cos(ang), math.sin(ang)
    return [c * v[0] - s * v[1], s * v[0] + c * v[1], v[2]]


def solve(c, gravity):
    r, v = burnout_to_inertial(c)
    frame = FramesFactory.getEME2000()
    t0 = AbsoluteDate.J2000_EPOCH
    orbit = CartesianOrbit(PVCoordinates(Vector3D(*r), Vector3D(*v)), frame, t0, MU)
    integ = DormandPrince853Integrator(1e-9, 60.0, 1e-9, 1e-14)
    prop = NumericalPropagator(integ)
    prop.setOrbitType(OrbitType.CARTESIAN)
    prop.setInitialState(SpacecraftState(orbit))
    if gravity == "j2":
        prop.addForceModel(J2OnlyPerturbation(MU, RE, J2, frame))
    # Bound the search by the osculating period (a ballistic flight impacts within one revolution).
    rn = math.sqrt(sum(x * x for x in r))
    energy = 0.5 * sum(x * x for x in v) - MU / rn
    a = -MU / (2 * energy)
    period = 2 * math.pi * math.sqrt(a ** 3 / MU)
    t_end = min(1.2 * period, 20000.0)
    # Stop once the path is well below the surface (50 km inside the polar radius): past impact, and far
    # from the Earth's centre, where point gravity is singular.
    stop_radius = A * (1 - F) - 50e3
    prop.addEventDetector(
        FunctionalDetector()
        .withFunction(lambda st: st.getPVCoordinates().getPosition().getNorm() - stop_radius)
        .withHandler(StopOnEvent())
    )
    gen = prop.getEphemerisGenerator()
    final = prop.propagate(t0.shiftedBy(t_end))
    t_end = final.getDate().durationFrom(t0)
    eph = gen.getGeneratedEphemeris()

    def state(t):
        pv = eph.propagate(t0.shiftedBy(float(t))).getPVCoordinates()
        p, w = pv.getPosition(), pv.getVelocity()
        return [p.getX(), p.getY(), p.getZ()], [w.getX(), w.getY(), w.getZ()]

    def h_and_rate(t):
        ri, vi = state(t)
        re = rot_z(ri, -OMEGA * t)
        vr = rot_z(vi, -OMEGA * t)
        ve = [vr[0] + OMEGA * re[1], vr[1] - OMEGA * re[0], vr[2]]
        lat, lon, h = ecef_to_geodetic(*re)
        _, _, u = enu(lat, lon)
        return h, sum(u[i] * ve[i] for i in range(3)), (lat, lon)

    # Scan at 1 s (short flights are a few minutes; 1 s steps cannot miss an event of these smooth paths).
    dt = 1.0
    t, (h, hd, _) = 0.0, h_and_rate(0.0)
    apogees = [(0.0, h)]
    impact = None
    while t < t_end - 1e-9:
        t2 = min(t + dt, t_end)
        h2, hd2, _ = h_and_rate(t2)
        if hd > 0 >= hd2:
            ta = brentq(lambda x: h_and_rate(x)[1], t, t2, xtol=1e-12, rtol=1e-15, maxiter=200)
            apogees.append((ta, h_and_rate(ta)[0]))
        if h > 0 >= h2:
            impact = brentq(lambda x: h_and_rate(x)[0], t, t2, xtol=1e-12, rtol=1e-15, maxiter=200)
            break
        t, h, hd = t2, h2, hd2
    if impact is None:
        raise RuntimeError(f"no impact for {c}")
    apo = max((a for a in apogees if a[0] <= impact), key=lambda a: a[1])
    _, _, (lat, lon) = h_and_rate(impact)
    g = Geodesic.WGS84.Inverse(c["lat_deg"], c["lon_deg"], lat, lon)
    return {
        "impact_lat_deg": lat,
        "impact_lon_deg": lon,
        "time_of_flight_s": impact,
        "apogee_alt_m": apo[1],
        "apogee_time_s": apo[0],
        "ground_range_km": g["s12"] / 1e3,
        "ground_azimuth_deg": g["azi1"] % 360.0,
    }


def cases():
    out = []

    def add(name, lat, lon, alt, speed, az, fpa):
        out.append(dict(name=name, lat_deg=lat, lon_deg=lon, alt_m=alt, speed_mps=speed, azimuth_deg=az,
                        flight_path_angle_deg=fpa))

    add("short-range 300 km", 32.0, 35.0, 30e3, 1700.0, 45.0, 40.0)
    add("SRBM", 38.0, 127.0, 50e3, 2200.0, 120.0, 35.0)
    add("MRBM Semnan-Israel", 35.23, 53.92, 120e3, 3800.0, 265.0, 38.0)
    add("IRBM Iran-Europe", 35.23, 53.92, 150e3, 5000.0, 300.0, 35.0)
    add("ICBM Kozelsk-Washington", 54.03, 35.77, 200e3, 7000.0, 330.0, 25.0)
    add("ICBM Tatishchevo-NY", 51.67, 45.57, 210e3, 7100.0, 335.0, 22.0)
    add("ICBM Teykovo-US west", 56.85, 40.53, 220e3, 7200.0, 350.0, 20.0)
    add("polar crossing north", 70.0, 30.0, 180e3, 6800.0, 0.0, 28.0)
    add("polar crossing south", -75.0, 100.0, 180e3, 6500.0, 180.0, 30.0)
    add("over the pole from 89N", 89.0, 0.0, 120e3, 6800.0, 180.0, 30.0)
    add("launch at the pole", 90.0, 0.0, 150e3, 5000.0, 0.0, 35.0)
    add("antimeridian eastward", 10.0, 179.5, 80e3, 3000.0, 90.0, 40.0)
    add("antimeridian westward", -20.0, -178.0, 100e3, 4500.0, 270.0, 35.0)
    add("antimeridian ICBM", 50.0, 160.0, 200e3, 7000.0, 80.0, 25.0)
    add("westward equatorial", 0.0, 10.0, 100e3, 6500.0, 270.0, 20.0)
    add("eastward equatorial", 0.0, -40.0, 100e3, 6500.0, 90.0, 20.0)
    add("westward equatorial short", 0.0, 100.0, 40e3, 2000.0, 270.0, 45.0)
    add("near-vertical 89.5", 45.0, -100.0, 50e3, 1000.0, 45.0, 89.5)
    add("near-vertical 89.99", 30.0, 60.0, 100e3, 3000.0, 0.0, 89.99)
    add("vertical 90", -10.0, -60.0, 80e3, 2500.0, 0.0, 90.0)
    add("near-vertical fast", 55.0, 20.0, 200e3, 6000.0, 90.0, 85.0)
    add("depressed", 35.0, 50.0, 80e3, 6000.0, 310.0, 5.0)
    add("depressed ICBM", 54.0, 36.0, 150e3, 7300.0, 330.0, 8.0)
    add("lofted ICBM", 54.0, 36.0, 200e3, 7000.0, 330.0, 55.0)
    add("lofted Hwasong-like", 39.0, 125.7, 150e3, 6500.0, 90.0, 75.0)
    add("downward start", 40.0, 40.0, 100e3, 3000.0, 0.0, -10.0)
    add("steep down", 40.0, 40.0, 300e3, 2000.0, 90.0, -60.0)
    add("burnout below ellipsoid", 20.0, 120.0, -500.0, 4000.0, 200.0, 60.0)
    add("burnout at 0 m", -30.0, 20.0, 0.0, 2000.0, 10.0, 45.0)
    add("horizontal high", 60.0, 40.0, 300e3, 7200.0, 0.0, 10.0)
    add("slow", 10.0, 10.0, 20e3, 500.0, 33.0, 30.0)
    add("very slow", 10.0, 10.0, 5e3, 100.0, 300.0, 60.0)
    add("high-latitude west", 65.0, -150.0, 120e3, 5500.0, 280.0, 30.0)
    add("southern ICBM", -35.0, 140.0, 200e3, 7000.0, 240.0, 23.0)
    add("long range 7.6 km/s", 30.0, 0.0, 250e3, 7600.0, 60.0, 18.0)
    rnd = random.Random(20081)
    while len(out) < 60:
        lat = math.degrees(math.asin(rnd.uniform(-1, 1)))
        add(f"random {len(out)}", round(lat, 6), round(rnd.uniform(-180, 180), 6), round(rnd.uniform(0, 300e3), 3),
            round(rnd.uniform(800, 7300), 3), round(rnd.uniform(0, 360), 6), round(rnd.uniform(5, 80), 6))
    return out


def main():
    result = []
    for c in cases():
        entry = dict(c)
        for g in ("point", "j2"):
            entry[g] = solve(c, g)
        result.append(entry)
        print(c["name"], entry["j2"]["time_of_flight_s"], flush=True)
    with open("orekit_trajectories.json", "w") as f:
        json.dump({"generator": "gen_orekit.py (Orekit 13.1 via orekit-jpype, DormandPrince853 rtol 1e-14)",
                   "cases": result}, f, indent=1)


if __name__ == "__main__":
    main()
