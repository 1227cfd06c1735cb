#!/usr/bin/env bash
# Recompute latency and first load of `shieldwatch dashboard` (release build) on europe-2008, against the
# peer doing the same work in the same run: `shieldwatch study europe-2008 --no-files` (the CLI study).
# Then the verification view (crates/dashboard/bench/verification.sh).
# Figures go to BENCHMARKS.md ("Dashboard"). Needs Node.js, tests/browser/node_modules and Chromium
# (`bash scripts/install-test-deps.sh`).
set -euo pipefail
cd "$(dirname "$0")/../../.."
cargo build --release --locked -p shieldwatch
bin="${CARGO_TARGET_DIR:-target}/release/shieldwatch"

best() { sort -g | head -1; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

echo "CLI study (wall s, 3 runs):"
cli=$(for _ in 1 2 3; do
  /usr/bin/time -f %e "$bin" study europe-2008 --no-files --format json 2>&1 >/dev/null | tail -1
done)
echo "$cli" | tr '\n' ' '; echo

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
echo "dashboard, first study (full, s):"; post ''
speed='"interceptors.GBI-2.burnout_speed_mps"'
echo "dashboard, burnout speed changes to speeds already computed (read off, s, 10 runs):"
read_off=$(for v in 5400 9000 7000 5400 9000 7000 5400 9000 7000 5400; do post "$speed: $v"; done)
echo "$read_off" | tr '\n' ' '; echo
echo "dashboard, new burnout speeds and commit delays (full recompute, s, 4 runs):"
full=$(for p in "$speed: 8300" "$speed: 6300" '"interceptors.GBI-2.commit_delay_s": 90' '"interceptors.GBI-2.commit_delay_s": 120'; do post "$p"; done)
echo "$full" | tr '\n' ' '; echo
echo "page first load in Chromium (ms, 5 runs, study kept on the server):"
load=$(node tests/browser/bench-dashboard-load.mjs "$url" 5)
echo "$load"

cli_best=$(echo "$cli" | best)
full_med=$(echo "$full" | median)
read_med=$(echo "$read_off" | median)
echo
echo "summary: CLI study best ${cli_best} s; dashboard full recompute median ${full_med} s" \
  "(ratio $(awk -v a="$full_med" -v b="$cli_best" 'BEGIN {printf "%.2f", a / b}')); read-off median" \
  "$(awk -v a="$read_med" 'BEGIN {printf "%.0f", a * 1000}') ms" \
  "(ratio $(awk -v a="$read_med" -v b="$cli_best" 'BEGIN {printf "%.3f", a / b}'))"

echo
bash crates/dashboard/bench/verification.sh "$bin"
