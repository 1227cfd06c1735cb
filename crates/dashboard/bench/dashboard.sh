#!/usr/bin/env bash
# Recompute latency and first load of `shieldwatch dashboard` on europe-2008, against the peer doing the
# same work in the same run: `shieldwatch study europe-2008 --no-files --speeds 7000` (the CLI study, windows
# at the same three speeds as the dashboard's: the battery's value and the ends of its disputed range).
# Then the verification view (crates/dashboard/bench/verification.sh).
# Usage: bash crates/dashboard/bench/dashboard.sh [BINARY]   (default: a release build, made here)
# Figures go to BENCHMARKS.md ("Dashboard"). Needs Node.js, tests/browser/node_modules and Chromium
# (`bash scripts/install-test-deps.sh`).
set -euo pipefail
cd "$(dirname "$0")/../../.."
if [ $# -ge 1 ]; then
  bin="$1"
else
  cargo build --release --locked -p shieldwatch
  bin="${CARGO_TARGET_DIR:-target}/release/shieldwatch"
fi

echo "CLI study (wall s):"
cli=$(/usr/bin/time -f %e "$bin" study europe-2008 --no-files --format json --speeds 7000 2>&1 >/dev/null | tail -1)
echo "$cli"

out="$(mktemp)"
"$bin" dashboard europe-2008 --listen 127.0.0.1:0 >"$out" &
pid=$!
trap 'kill "$pid"; rm -f "$out"' EXIT
for _ in $(seq 100); do grep -q '^dashboard: ' "$out" && break; sleep 0.1; done
url="$(sed -n 's/^dashboard: //p' "$out")"

post() { # POST /api/study with the given params; prints the wall time in seconds
  curl -sS -o /dev/null -w '%{time_total}\n' --fail-with-body -H 'Content-Type: application/json' \
    -d "{\"params\": {$1}}" "${url}api/study"
}
speed='"interceptors.GBI-2.burnout_speed_mps"'
delay='"interceptors.GBI-2.commit_delay_s"'
range='"radars.EMR.reference_range_m"'
width='"radars.EMR.azimuth_half_width_deg"'
rcs='"missiles.Russian ICBM.rcs_m2"'
echo "dashboard, first study (threats flown and engaged, s):"; first=$(post '')
echo "$first"
# Each request names its values against the scenario's (as the page sends them).
declare -a changes=(
  "$speed: 8300|burnout speed 8.3 km/s (new)"
  "$speed: 5400|burnout speed 5.4 km/s (range end, computed with the first study)"
  "$speed: 8300|burnout speed 8.3 km/s again"
  "$delay: 90|commit delay 90 s (every engagement anew)"
  "$range: 1.5e6|EMR detection range 1500 km (radar as specified anew)"
  "$width: 90|EMR field of regard ±90° (radar as specified anew)"
  "$rcs: 0.02|Russian ICBM RCS 0.02 m² (its trajectories anew)"
  "|the scenario's values again"
)
echo "dashboard, one change after another (s):"
for c in "${changes[@]}"; do
  t=$(post "${c%%|*}")
  printf '%s\t%s\n' "$t" "${c#*|}"
done
echo "page first load in Chromium, SwiftShader WebGL (ms, 3 runs, study kept on the server):"
node tests/browser/bench-dashboard-load.mjs "$url" 3
# The same changes as a user makes them in the page (a new server, so nothing is kept from above): from
# the slider's change event to the results shown, the page's 150 ms wait for further moves included.
"$bin" dashboard europe-2008 --listen 127.0.0.1:0 >"$out.page" &
pid2=$!
trap 'kill "$pid" "$pid2"; rm -f "$out" "$out.page"' EXIT
for _ in $(seq 100); do grep -q '^dashboard: ' "$out.page" && break; sleep 0.1; done
url2="$(sed -n 's/^dashboard: //p' "$out.page")"
echo "page: slider changes to results shown (ms, one page, after its first study):"
node tests/browser/bench-dashboard-load.mjs "$url2" 1 changes \
  interceptors.GBI-2.burnout_speed_mps=8300 interceptors.GBI-2.commit_delay_s=90 \
  interceptors.GBI-2.commit_delay_s=120 interceptors.GBI-2.commit_delay_s=150 \
  radars.EMR.reference_range_m=1500000 radars.EMR.azimuth_half_width_deg=90 \
  "missiles.Russian ICBM.rcs_m2=0.02"

echo
bash crates/dashboard/bench/verification.sh "$bin"
