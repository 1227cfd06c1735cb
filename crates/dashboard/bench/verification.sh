#!/usr/bin/env bash
# The dashboard's verification view on a simulated day in a local log with a witness (README "A day of
# telemetry, end to end", about 3 300 entries): its first load in Chromium against the peer reading and
# checking the same log in the same run, `shieldwatch monitor --once`; and "Verify evidence" in the browser
# against `shieldwatch verify evidence` on the same bundle. Figures go to BENCHMARKS.md ("Dashboard").
# Usage: verification.sh [SHIELDWATCH_BINARY] (default: a release build). Needs Node.js,
# tests/browser/node_modules and Chromium (`bash scripts/install-test-deps.sh`).
set -euo pipefail
cd "$(dirname "$0")/../../.."
if [ $# -ge 1 ]; then
  bin="$(realpath "$1")"
else
  cargo build --release --locked -p shieldwatch
  bin="$(realpath "${CARGO_TARGET_DIR:-target}/release/shieldwatch")"
fi
repo="$(pwd)"

work="$(mktemp -d)"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$work"' EXIT
# Starts a server in the background (killed on exit) and sets `started` to the URL of its
# `listening on` line.
start() {
  local log="$work/bg-${#pids[@]}.out"
  SHIELDWATCH_LISTEN=127.0.0.1:0 "$@" >"$log" 2>/dev/null &
  pids+=($!)
  for _ in $(seq 300); do grep -q '^listening on ' "$log" && break; sleep 0.1; done
  started="$(sed -n 's/^listening on //p' "$log" | head -1)"
  [ -n "$started" ] || { echo "no 'listening on' line from $*" >&2; exit 1; }
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
start "$bin" witness serve --config witness.toml
witness_url="$started"
start "$bin" serve --data-dir log --anchors sim/anchors.toml --witness "$witness_url" --rate-per-signer 0
log_url="$started"
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
  # Exit status 3: there were alerts.
  /usr/bin/time -o "$work/time" -f %e "$bin" monitor --trust trust.toml --out "alerts-$i" --once --clock log \
    --url "$log_url" >/dev/null 2>&1 || [ $? -eq 3 ]
  tail -1 "$work/time"
done)
echo "$mon" | tr '\n' ' '; echo
first_alert=$(ls alerts-1/alert-*.json | head -1)
echo "verify evidence $(basename "$first_alert") ($(wc -c <"$first_alert") bytes; peer of the browser's check; wall s, 3 runs):"
ver=$(for _ in 1 2 3; do
  /usr/bin/time -o "$work/time" -f %e "$bin" verify evidence "$first_alert" --trust trust.toml >/dev/null
  tail -1 "$work/time"
done)
echo "$ver" | tr '\n' ' '; echo
vout="$work/dashboard.out"
"$bin" dashboard europe-2008 --listen 127.0.0.1:0 --log "$log_url" --monitor-dir alerts-1 --trust trust.toml >"$vout" &
pids+=($!)
for _ in $(seq 100); do grep -q '^dashboard: ' "$vout" && break; sleep 0.1; done
vurl="$(sed -n 's/^dashboard: //p' "$vout")"
cd "$repo"
echo "verification view first load in Chromium (ms, 5 runs; then Verify evidence on the first alert):"
vload=$(node tests/browser/bench-dashboard-load.mjs "$vurl" 5 verification)
echo "$vload"

med() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
mon_best=$(echo "$mon" | sort -g | head -1)
ver_best=$(echo "$ver" | sort -g | head -1)
ready_med=$(echo "$vload" | node -e 'const v = JSON.parse(require("fs").readFileSync(0)); console.log(v.ready_ms.join("\n"))' | med)
ev_med=$(echo "$vload" | node -e 'const v = JSON.parse(require("fs").readFileSync(0)); console.log(v.evidence_ms.join("\n"))' | med)
echo
echo "summary: view ready median ${ready_med} ms against monitor --once best ${mon_best} s" \
  "(ratio $(awk -v a="$ready_med" -v b="$mon_best" 'BEGIN {printf "%.2f", a / 1000 / b}')); browser evidence check median" \
  "${ev_med} ms against verify evidence best ${ver_best} s (ratio $(awk -v a="$ev_med" -v b="$ver_best" 'BEGIN {printf "%.2f", a / 1000 / b}'))"
