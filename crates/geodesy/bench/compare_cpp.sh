#!/usr/bin/env bash
# Geodesic inverse per call: shieldwatch (geographiclib-rs via the geodesy crate, criterion) against
# GeographicLib's C++ library (Debian libgeographiclib-dev, g++ -O2) on the same 170 reference cases, in
# one run on one machine. Usage: bash crates/geodesy/bench/compare_cpp.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
dpkg -s libgeographiclib-dev >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq libgeographiclib-dev >/dev/null; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
g++ -O2 -o "$tmp/inverse_cpp" crates/geodesy/bench/inverse_cpp.cpp -lGeographicLib
python3 -c '
import json
for c in json.load(open("crates/geodesy/tests/reference/geodesic_inverse.json"))["cases"]:
    print(repr(c["lat1_deg"]), repr(c["lon1_deg"]), repr(c["lat2_deg"]), repr(c["lon2_deg"]))
' > "$tmp/cases.txt"
cpp=$("$tmp/inverse_cpp" < "$tmp/cases.txt")
echo "C++ GeographicLib $(dpkg-query -W -f='${Version}' libgeographiclib-dev): $cpp"
cargo bench -p geodesy --bench geodesic -- --noplot geodesic/inverse_reference_cases 2>&1 | grep -E "time:|thrpt:" || true
target=${CARGO_TARGET_DIR:-target}
python3 - "$target" "$cpp" <<'PY'
import json, re, sys
target, cpp = sys.argv[1], sys.argv[2]
est = json.load(open(f"{target}/criterion/geodesic/inverse_reference_cases/new/estimates.json"))
n = int(re.match(r"(\d+) cases", cpp).group(1))
rust_ns = est["mean"]["point_estimate"] / n
cpp_ns = float(re.search(r"([\d.]+) ns per inverse", cpp).group(1))
print(f"shieldwatch (geographiclib-rs): {rust_ns:.1f} ns per inverse (criterion mean)")
print(f"ratio shieldwatch / C++ = {rust_ns / cpp_ns:.2f} (target <= 1.5)")
PY
