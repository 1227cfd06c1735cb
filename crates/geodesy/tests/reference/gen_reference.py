#!/usr/bin/env python3
"""Generates the geodesy reference data used by crates/geodesy/tests/reference.rs.

Independent peers:
  * geodesics: GeographicLib's Python package (`pip install geographiclib==2.1`), Karney's algorithm
    in its reference implementation, accurate to ~15 nm; and, for the inverse cases, GeographicLib's C++
    library as well (Debian `libgeographiclib-dev`; geodsolve_inverse.cpp is compiled on the fly), because
    the Python package's short-line azimuths differ from C++ by up to ~1e-4 deg for millimetre lines, where
    the float inputs themselves only fix the azimuth to ~1e-9 m / s12 rad;
  * ECEF, look angles: pymap3d (`pip install pymap3d==3.2.0`), an independent implementation of
    geodetic<->ECEF and azimuth/elevation/range;
  * radar horizon (min_visible_alt): bisection on pymap3d's elevation, with a line-of-sight test written
    here, so it shares no code with the Rust closed form.

Run from this directory: `python3 gen_reference.py` (deterministic: seeded). It rewrites the *.json files.
"""
import json
import math
import os
import random
import subprocess
import tempfile

import geographiclib
import pymap3d
from geographiclib.geodesic import Geodesic

G = Geodesic.WGS84
A = 6378137.0
F = 1 / 298.257223563
B = A * (1 - F)
rng = random.Random(20261123)


def az360(x):
    y = math.fmod(x, 360.0)
    if y < 0:
        y += 360.0
    return 0.0 if y >= 360.0 else y


def lon180(x):
    y = math.fmod(x + 180.0, 360.0)
    if y < 0:
        y += 360.0
    return y - 180.0


def inverse_case(category, lat1, lon1, lat2, lon2):
    r = G.Inverse(lat1, lon1, lat2, lon2)
    return {
        "category": category,
        "lat1_deg": lat1, "lon1_deg": lon1, "lat2_deg": lat2, "lon2_deg": lon2,
        "distance_m": r["s12"], "azi1_deg": az360(r["azi1"]), "azi2_deg": az360(r["azi2"]),
    }


def add_cpp(cases):
    """Adds GeographicLib C++ results (cpp_distance_m, cpp_azi1_deg, cpp_azi2_deg) to inverse cases."""
    here = os.path.dirname(os.path.abspath(__file__))
    with tempfile.TemporaryDirectory() as tmp:
        exe = os.path.join(tmp, "geodsolve_inverse")
        subprocess.run(["g++", "-O2", os.path.join(here, "geodsolve_inverse.cpp"), "-o", exe, "-lGeographicLib"],
                       check=True)
        inp = "".join(f"{c['lat1_deg']!r} {c['lon1_deg']!r} {c['lat2_deg']!r} {c['lon2_deg']!r}\n" for c in cases)
        out = subprocess.run([exe], input=inp, capture_output=True, text=True, check=True).stdout.split("\n")
    for c, line in zip(cases, out):
        s12, azi1, azi2 = map(float, line.split())
        c["cpp_distance_m"], c["cpp_azi1_deg"], c["cpp_azi2_deg"] = s12, az360(azi1), az360(azi2)
    return cases


def rand_lat():
    # Uniform on the sphere.
    return math.degrees(math.asin(rng.uniform(-1, 1)))


def inverse_cases():
    cases = []
    for _ in range(60):
        cases.append(inverse_case("random", rand_lat(), rng.uniform(-180, 180), rand_lat(), rng.uniform(-180, 180)))
    for _ in range(20):
        lat, lon = rand_lat() * 0.99, rng.uniform(-180, 180)
        d = 10 ** rng.uniform(-3, 3)  # 1 mm to 1 km
        az = rng.uniform(0, 360)
        p = G.Direct(lat, lon, az, d)
        cases.append(inverse_case("short", lat, lon, p["lat2"], p["lon2"]))
    for _ in range(20):
        lat, lon = rng.uniform(-60, 60), rng.uniform(-180, 180)
        dlat, dlon = rng.uniform(-0.5, 0.5), rng.uniform(-0.5, 0.5)
        cases.append(inverse_case("near_antipodal", lat, lon, -lat + dlat, lon180(lon + 180 + dlon)))
    for _ in range(15):
        lon1, lon2 = rng.uniform(-180, 180), rng.uniform(-180, 180)
        cases.append(inverse_case("equatorial", 0.0, lon1, 0.0, lon2))
    cases.append(inverse_case("equatorial", 0.0, 0.0, 0.0, 179.5))  # goes over a pole
    cases.append(inverse_case("equatorial", 0.0, 10.0, 0.0, 170.0))
    for _ in range(15):
        lon = rng.uniform(-180, 180)
        cases.append(inverse_case("meridional", rand_lat(), lon, rand_lat(), lon))
    for _ in range(5):
        lon = rng.uniform(-180, 180)
        cases.append(inverse_case("meridional", rand_lat(), lon, rand_lat(), lon180(lon + 180)))
    for lat1 in (90.0, -90.0, 89.9999, -89.99999):
        for _ in range(4):
            cases.append(inverse_case("polar", lat1, rng.uniform(-180, 180), rand_lat(), rng.uniform(-180, 180)))
    cases.append(inverse_case("polar", 90.0, 0.0, -90.0, 0.0))
    for _ in range(15):
        lon1 = rng.uniform(170, 180)
        lon2 = rng.uniform(-180, -170)
        cases.append(inverse_case("antimeridian", rand_lat() * 0.9, lon1, rand_lat() * 0.9, lon2))
    cases.append(inverse_case("antimeridian", 10.0, 179.9999, 10.0, -179.9999))
    return add_cpp(cases)


def direct_cases():
    cases = []
    for i in range(60):
        lat, lon, az = rand_lat(), rng.uniform(-180, 180), rng.uniform(0, 360)
        d = rng.uniform(0, 20_000_000) if i % 3 else 10 ** rng.uniform(-2, 7)
        if i % 10 == 0:
            d = -d
        p = G.Direct(lat, lon, az, d)
        cases.append({
            "lat1_deg": lat, "lon1_deg": lon, "azi1_deg": az, "distance_m": d,
            "lat2_deg": p["lat2"], "lon2_deg": lon180(p["lon2"]), "azi2_deg": az360(p["azi2"]),
        })
    return cases


def ecef_cases():
    cases = []
    pts = [(90.0, 0.0, 0.0), (-90.0, 45.0, 1000.0), (0.0, 0.0, 0.0), (0.0, 180.0, -500.0),
           (45.0, -120.0, 2_000_000.0), (89.999999, 10.0, 36_000_000.0), (-30.0, 30.0, 1e8)]
    for _ in range(40):
        pts.append((rand_lat(), rng.uniform(-180, 180), rng.choice([0.0, 1.0, -400.0, 1e4, 1e5, 5e5, 2e6, 1e7])))
    for lat, lon, h in pts:
        x, y, z = pymap3d.geodetic2ecef(lat, lon, h, deg=True)
        cases.append({"lat_deg": lat, "lon_deg": lon, "h_m": h, "x_m": x, "y_m": y, "z_m": z})
    return cases


def enu(lat0, lon0, h0, lat, lon, h):
    return pymap3d.geodetic2enu(lat, lon, h, lat0, lon0, h0, deg=True)


def look_cases():
    cases = []
    sites = [(49.635, 13.748, 718.0), (54.479, 17.1075, 66.0), (0.0, 0.0, 0.0), (89.9, 0.0, 3000.0),
             (-33.9, 151.2, 50.0), (64.0, -170.0, 10.0)]

    def add(category, obs, tgt, overhead=False):
        az, el, rng_m = pymap3d.geodetic2aer(tgt[0], tgt[1], tgt[2], obs[0], obs[1], obs[2], deg=True)
        e, n, u = enu(*obs, *tgt)
        cases.append({
            "category": category,
            "obs_lat_deg": obs[0], "obs_lon_deg": obs[1], "obs_h_m": obs[2],
            "tgt_lat_deg": tgt[0], "tgt_lon_deg": tgt[1], "tgt_h_m": tgt[2],
            "azimuth_deg": None if overhead else az360(az), "elevation_deg": el, "slant_range_m": rng_m,
            "horizontal_m": math.hypot(e, n),
        })

    for _ in range(45):
        obs = rng.choice(sites)
        d = rng.uniform(10_000, 4_000_000)
        p = G.Direct(obs[0], obs[1], rng.uniform(0, 360), d)
        add("random", obs, (p["lat2"], p["lon2"], rng.uniform(0, 2_000_000)))
    for _ in range(20):
        obs = rng.choice(sites)
        d = rng.uniform(500_000, 6_000_000)
        p = G.Direct(obs[0], obs[1], rng.uniform(0, 360), d)
        add("below_horizon", obs, (p["lat2"], p["lon2"], rng.uniform(0, 50_000)))
    for _ in range(20):
        obs = rng.choice(sites)
        p = G.Direct(obs[0], obs[1], rng.uniform(0, 360), rng.uniform(1, 200))
        add("near_zenith", obs, (p["lat2"], p["lon2"], rng.uniform(100_000, 2_000_000)))
    for obs in sites:
        add("overhead", obs, (obs[0], obs[1], obs[2] + rng.uniform(1_000, 2_000_000)), overhead=True)
    for _ in range(10):
        obs = rng.choice(sites)
        p = G.Direct(obs[0], obs[1], rng.uniform(0, 360), rng.uniform(1_000_000, 3_000_000))
        add("high", obs, (p["lat2"], p["lon2"], 2_000_000.0))
    return cases


def los_clear(o, p):
    """True when the segment o-p stays outside the ellipsoid (scaled-sphere closest approach)."""
    ax, ay, az = o[0] / A, o[1] / A, o[2] / B
    dx, dy, dz = p[0] / A - ax, p[1] / A - ay, p[2] / B - az
    dd = dx * dx + dy * dy + dz * dz
    t = 0.0 if dd == 0 else min(1.0, max(0.0, -(ax * dx + ay * dy + az * dz) / dd))
    cx, cy, cz = ax + t * dx, ay + t * dy, az + t * dz
    return cx * cx + cy * cy + cz * cz >= 1 - 1e-12


def visible(obs, min_el, lat, lon, h):
    # geodetic2enu, not geodetic2aer: the latter zeroes ENU components below 1 mm, which blunts the
    # elevation near 0 deg to ~1e-10 rad (about a millimetre of height at 3000 km).
    e, n, u = pymap3d.geodetic2enu(lat, lon, h, obs[0], obs[1], obs[2], deg=True)
    el = math.degrees(math.atan2(u, math.hypot(e, n)))
    if el < min_el:
        return False
    return los_clear(pymap3d.geodetic2ecef(*obs, deg=True), pymap3d.geodetic2ecef(lat, lon, h, deg=True))


def min_visible_alt(obs, min_el, lat, lon):
    if visible(obs, min_el, lat, lon, 0.0):
        return 0.0
    hi = None
    h = 1.0
    while h < 1e9:
        if visible(obs, min_el, lat, lon, h):
            hi = h
            break
        h *= 1.25
    if hi is None:
        return None
    lo = 0.0 if hi == 1.0 else hi / 1.25
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi) or hi - lo < 1e-7:
            break
        if visible(obs, min_el, lat, lon, mid):
            hi = mid
        else:
            lo = mid
    return hi


def horizon_cases():
    radar = (49.635, 13.748, 718.0)
    named = {
        "Tehran": (35.69, 51.39), "Semnan": (35.2347, 53.9208), "Tabriz": (38.08, 46.29),
        "Moscow": (55.7558, 37.6173), "Kozelsk": (54.0333, 35.7667), "Tatishchevo": (51.6667, 45.5667),
        "Teykovo": (56.85, 40.5333), "Prague": (50.0755, 14.4378), "Warsaw": (52.2297, 21.0122),
        "Washington": (38.9072, -77.0369), "Plzen": (49.7384, 13.3736),
    }
    cases = []
    for name, (lat, lon) in named.items():
        for min_el in (0.0, 1.0, 5.0):
            h = min_visible_alt(radar, min_el, lat, lon)
            cases.append({"category": f"brdy_{name}", "obs_lat_deg": radar[0], "obs_lon_deg": radar[1],
                          "obs_h_m": radar[2], "min_elevation_deg": min_el, "tgt_lat_deg": lat,
                          "tgt_lon_deg": lon, "min_visible_alt_m": h})
    for _ in range(40):
        obs = (rand_lat() * 0.95, rng.uniform(-180, 180), rng.choice([0.0, 10.0, 700.0, 3000.0]))
        min_el = rng.choice([-1.0, -0.5, 0.0, 0.5, 2.0, 10.0])
        p = G.Direct(obs[0], obs[1], rng.uniform(0, 360), 10 ** rng.uniform(3, 7.2))
        h = min_visible_alt(obs, min_el, p["lat2"], p["lon2"])
        cases.append({"category": "random", "obs_lat_deg": obs[0], "obs_lon_deg": obs[1], "obs_h_m": obs[2],
                      "min_elevation_deg": min_el, "tgt_lat_deg": p["lat2"], "tgt_lon_deg": p["lon2"],
                      "min_visible_alt_m": h})
    return cases


def cpp_version():
    out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "libgeographiclib-dev"], capture_output=True, text=True)
    return out.stdout.strip() or "unknown"


def write(name, generator, cases):
    with open(name, "w") as f:
        json.dump({"generator": generator, "cases": cases}, f, indent=1)
        f.write("\n")
    print(f"{name}: {len(cases)} cases")


if __name__ == "__main__":
    gl = f"geographiclib {geographiclib.__version__} (Python), Geodesic.WGS84"
    pm = f"pymap3d {pymap3d.__version__}, WGS84"
    write("geodesic_inverse.json", gl + ": Inverse; cpp_* fields: GeographicLib C++ " + cpp_version() + " Geodesic::WGS84().Inverse", inverse_cases())
    write("geodesic_direct.json", gl + ": Direct", direct_cases())
    write("ecef.json", pm + ": geodetic2ecef", ecef_cases())
    write("look_angle.json", pm + ": geodetic2aer", look_cases())
    write("min_visible_alt.json", pm + ": bisection on the elevation from geodetic2enu + line-of-sight test",
          horizon_cases())
