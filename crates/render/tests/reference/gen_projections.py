#!/usr/bin/env python3
"""Reference values for render::map's projections, computed by PROJ through pyproj.

Run from this folder: `python3 gen_projections.py > projections.json` (pip install pyproj).
Each case is a PROJ string on the map sphere (+R=6371008.8, the IUGG mean radius) and points
(lon, lat in degrees) with PROJ's projected x, y in metres; points PROJ does not project are left out.
"""
import json
import math

import pyproj

R = 6371008.8
CASES = [
    # Coverage maps: azimuthal equidistant centred on the Brdy radar site and on Tehran.
    f"+proj=aeqd +lat_0=49.635 +lon_0=13.81 +R={R}",
    f"+proj=aeqd +lat_0=35.7 +lon_0=51.4 +R={R}",
    # Europe: Lambert conformal conic.
    f"+proj=lcc +lat_0=50 +lon_0=15 +lat_1=40 +lat_2=62 +R={R}",
    f"+proj=lcc +lat_0=30 +lon_0=45 +lat_1=25 +lat_2=55 +R={R}",
    # Russia to the US: orthographic globe.
    f"+proj=ortho +lat_0=62 +lon_0=-30 +R={R}",
]
POINTS = [(lon, lat) for lon in range(-170, 180, 23) for lat in range(-80, 90, 13)] + [
    (13.81, 49.635), (51.4, 35.7), (-77.04, 38.91), (35.77, 54.03), (16.3, 50.3), (179.9, 10.0)
]

out = []
for proj in CASES:
    t = pyproj.Transformer.from_crs(f"+proj=longlat +R={R} +no_defs", proj + " +no_defs", always_xy=True)
    pts = []
    for lon, lat in POINTS:
        x, y = t.transform(lon, lat, errcheck=False)
        if math.isfinite(x) and math.isfinite(y):
            pts.append([lon, lat, x, y])
    out.append({"proj": proj, "points": pts})
print(json.dumps({"pyproj": pyproj.__version__, "proj": pyproj.proj_version_str, "cases": out}, indent=1))
