#!/usr/bin/env bash
# Recompute latency and first load of `shieldwatch dashboard` (release build) on europe-2008, against the
# peer doing the same work in the same run: `shieldwatch study europe-2008 --no-files` (the CLI study).
# Then the verification view on a simulated day in a local log with a witness (README "A day of
# telemetry"): its first load against `shieldwatch monitor --once` reading and checking the same log, and
# "Verify evidence" in the browser against `shieldwatch verify evidence` on the same bundle.
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

# The verification view.
echo
work="$(mktemp -d)"
pids=()
trap 'kill "$pid" "${pids[@]}" 2>/dev/null; rm -rf "$out" "$work"' EXIT
# Starts a server in the background and prints the URL of its `listening on` line.
start() {
  local log="$work/bg-${#pids[@]}.out"
  SHIELDWATCH_LISTEN=127.0.0.1:0 "$@" >"$log" 2>/dev/null &
  pids+=($!)
  for _ in $(seq 300); do grep -q '^listening on ' "$log" && break; sleep 0.1; done
  sed -n 's/^listening on //p' "$log" | head -1
}
(
  cd "$work"
  log_key=$("$bin" log init --origin shieldwatch.test/log --dir log)
  witness_key=$("$bin" witness init --name witness.test/w1 --key w1.key)
  printf 'key_file = "w1.key"\nlisten = "127.0.0.1:0"\n[[log]]\norigin = "shieldwatch.test/log"\nkey = "%s"\n' "$log_key" >witness.toml
  "$bin" simulate --out sim >/dev/null
  printf 'log_key = "%s"\nwitness_keys = ["%s"]\nmin_cosignatures = 1\n%s\nrules = "europe-2008"\n' \
    "$log_key" "$witness_key" "$(grep '^anchors' sim/anchors.toml)" >trust.toml
) 
cd "$work"
witness_url=$(start "$bin" witness serve --config witness.toml)
log_url=$(start "$bin" serve --data-dir log --anchors sim/anchors.toml --witness "$witness_url" --rate-per-signer 0)
report=$("$bin" simulate --out sim --server "$log_url" --fault radar-outside-sector@09:02 --fault gap@11:00 \
  --fault tamper-outside-maintenance@13:02)
echo "simulated day: $report"
size=$(( $(echo "$report" | sed 's/.*"accepted":\([0-9]*\).*/\1/') + 1 - $(echo "$report" | sed 's/.*"duplicates":\([0-9]*\).*/\1/') ))
for _ in $(seq 600); do
  got=$("$bin" log verify --key @log/verifier.key --url "$log_url" 2>/dev/null | sed -n 's/.*"size":\([0-9]*\).*/\1/p' | head -1)
  [ "${got:-0}" -ge "$size" ] && break
  sleep 0.1
done
echo "monitor --once over the same log (peer of the first load; wall s, 3 runs):"
mon=$(for i in 1 2 3; do
  /usr/bin/time -f %e "$bin" monitor --trust trust.toml --out "alerts-$i" --once --clock log --url "$log_url" 2>&1 >/dev/null | tail -1
done)
echo "$mon" | tr '\n' ' '; echo
first_alert=$(ls alerts-1/alert-*.json | head -1)
echo "verify evidence $(basename "$first_alert") ($(wc -c <"$first_alert") bytes; peer of the browser's check; wall s, 3 runs):"
ver=$(for _ in 1 2 3; do
  /usr/bin/time -f %e "$bin" verify evidence "$first_alert" --trust trust.toml 2>&1 >/dev/null | tail -1
done)
echo "$ver" | tr '\n' ' '; echo
vout="$work/dashboard.out"
"$bin" dashboard europe-2008 --listen 127.0.0.1:0 --log "$log_url" --monitor-dir alerts-1 --trust trust.toml >"$vout" &
pids+=($!)
for _ in $(seq 100); do grep -q '^dashboard: ' "$vout" && break; sleep 0.1; done
vurl="$(sed -n 's/^dashboard: //p' "$vout")"
cd - >/dev/null
echo "verification view first load in Chromium (ms, 5 runs; then Verify evidence on the first alert):"
vload=$(node tests/browser/bench-dashboard-load.mjs "$vurl" 5 verification)
echo "$vload"
