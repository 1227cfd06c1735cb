#!/usr/bin/env bash
# Powered flight (liftoff to burnout) per flight, shieldwatch against the scipy peer, in one run: the release
# example `powered_cases` and `tests/reference/gen_powered.py`'s own `fly` (scipy solve_ivp DOP853, rtol
# 1e-12, the same equations written in Python) on the committed cases of
# tests/reference/powered_cases.json. Figures go to BENCHMARKS.md.
#
# Usage: bash crates/flight/bench/compare_powered.sh     (installs the peer's requirements when missing)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CRATE="$(dirname "$HERE")"
REF="$CRATE/tests/reference"
python3 -c "import scipy, ambiance" 2>/dev/null || pip install -q -r "$REF/requirements-powered.txt"

echo "== machine: $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg); $(rustc --version)"
cargo run -q --release -p flight --example powered_cases -- 3 10
(cd "$REF" && python3 - <<'PY'
import json, time
import gen_powered
cases = json.load(open("powered_cases.json"))["cases"]
best = float("inf")
for _ in range(2):
    t0 = time.perf_counter()
    for c in cases:
        gen_powered.fly(c)
    best = min(best, time.perf_counter() - t0)
print(f"scipy solve_ivp DOP853: {len(cases)} cases, {best / len(cases) * 1e6:.0f} µs per powered flight (best of 2 passes)")
PY
)
echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"
