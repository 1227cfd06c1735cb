#!/usr/bin/env bash
# Fault soak of the verification regime (not part of the test suite; SECURITY.md "Fault soak" has
# the last result). Loopback only, bounded in time and space, everything under one scratch folder
# that is removed at the end.
#
# Days of simulated telemetry (`shieldwatch simulate`) are submitted entry by entry to a log server
# with roster admission and a witness, while a monitor follows the log. Meanwhile, at random:
#   - the server, the witness or the monitor is killed with SIGKILL and restarted;
#   - the log's data directory (a tmpfs of SOAK_FS_MB, mounted here: needs root) is filled up by a
#     filler file, which is removed a few seconds later (space comes back, as an operator would
#     free it);
#   - the witness or the monitor is restarted with its clock jumped (libfaketime preloaded,
#     FAKETIME=±Nh).
# The submitter retries every entry until it is acknowledged (resubmitting is safe: the same entry
# keeps its index) and records each acknowledgement. At the end it checks:
#   1. every acknowledged entry is in the log at its index (`log verify --index --entry`), and the
#      log at rest passes `log fsck`;
#   2. every fault the server met is reported, once per episode, with a clear message: at most one
#      "batch failed" ERROR per disk-full episode, each followed by one "storage works again", and
#      no refused request logged on its own;
#   3. service resumed by itself: every entry of the simulation got acknowledged;
#   4. the monitor's verdicts are unchanged: the alerts the killed-and-restarted monitor raised
#      are those of one clean pass over the final log, and those of the injected violations.
#
# Usage: scripts/soak.sh [seconds]   (default 600)
# Environment: SHIELDWATCH (the binary; default: built with cargo into target/release),
# SOAK_HOURS (simulated hours, default 3: each entry is submitted by its own `log add`, about one a second), SOAK_KEEP (where the logs are copied at the end, default
# /var/tmp/shieldwatch-soak-logs), SOAK_FS_MB (default 24), SOAK_SEED (default: random).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${1:-600}
HOURS=${SOAK_HOURS:-3}
FS_MB=${SOAK_FS_MB:-24}
SEED=${SOAK_SEED:-$RANDOM}
RANDOM=$SEED

if [[ -z "${SHIELDWATCH:-}" ]]; then
    cargo build --release --locked -p shieldwatch >&2
    SHIELDWATCH="${CARGO_TARGET_DIR:-target}/release/shieldwatch"
fi
SW=$(realpath "$SHIELDWATCH")
FAKETIME_LIB=${FAKETIME_LIB:-/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1}
[[ -f $FAKETIME_LIB ]] || { echo "soak: libfaketime missing (apt install faketime)" >&2; exit 2; }
# A process with its clock jumped by $1 (e.g. +2h): libfaketime preloaded into the process itself, so
# that its pid is the one we kill.
jumped() { local j=$1; shift; exec env LD_PRELOAD="$FAKETIME_LIB" FAKETIME="$j" "$@"; } # only ever run in the background
[[ $(id -u) == 0 ]] || { echo "soak: needs root to mount the size-limited tmpfs" >&2; exit 2; }

W=$(mktemp -d /tmp/shieldwatch-soak.XXXXXX)
PIDS=()
cleanup() {
    mkdir -p "${SOAK_KEEP:-/var/tmp/shieldwatch-soak-logs}"
    cp "$W"/*.log "$W"/*.out "$W"/*.txt "$W"/verdicts.* "${SOAK_KEEP:-/var/tmp/shieldwatch-soak-logs}/" 2> /dev/null || true
    for p in "${PIDS[@]}"; do kill -9 "$p" 2> /dev/null || true; done
    for f in "$W"/pid.*; do [[ -f $f ]] && { kill -9 "$(cat "$f")" 2> /dev/null || true; }; done
    wait 2> /dev/null || true
    mountpoint -q "$W/data" && umount "$W/data"
    rm -rf "$W"
}
trap cleanup EXIT
trap "exit 1" INT TERM
say() { echo "soak: $(date -u +%H:%M:%S) $*" | tee -a "$W/events.txt" >&2; }

mkdir -p "$W/data"
mount -t tmpfs -o size=${FS_MB}m tmpfs "$W/data"
cd "$W"
say "seed $SEED, $DURATION s, $HOURS simulated hours, data on a ${FS_MB} MiB tmpfs"

# Keys, roster and the simulated telemetry, with violations the monitor must find.
"$SW" log init --origin soak.test/log --dir data/log > log.vkey
"$SW" witness init --name soak.test/w1 --key w1.key > w1.vkey
FAULTS=(--fault radar-outside-sector@00:32 --fault extra-interceptor@01:02 --fault tamper-outside-maintenance@02:02)
"$SW" simulate --out sim --hours "$HOURS" --start 1767225600 "${FAULTS[@]}" > /dev/null
cat > witness.toml << EOF
key_file = "w1.key"
listen = "127.0.0.1:0"
header_timeout_ms = 5000
[[log]]
origin = "soak.test/log"
key = "$(cat log.vkey)"
EOF
{
    echo "log_key = \"$(cat log.vkey)\""
    echo "witness_keys = [\"$(cat w1.vkey)\"]"
    echo "min_cosignatures = 1"
    grep '^anchors' sim/anchors.toml
    echo 'rules = "europe-2008"'
} > trust.toml

# Starts a server in the background, its stdout in $1.out, stderr appended to $1.log, its pid in
# pid.$1; waits for its `listening on` line and prints the URL.
start() {
    local name=$1
    shift
    : > "$name.out"
    "$@" > "$name.out" 2>> "$name.log" &
    echo $! > "pid.$name"
    for _ in $(seq 600); do
        if grep -q '^listening on ' "$name.out"; then
            sed -n 's/^listening on //p' "$name.out" | head -1
            return
        fi
        kill -0 "$(cat "pid.$name")" 2> /dev/null || { echo "soak: $name exited:" >&2; tail -5 "$name.log" >&2; return 1; }
        sleep 0.1
    done
    echo "soak: $name never listened" >&2
    return 1
}

WITNESS_URL=$(start witness "$SW" witness serve --config witness.toml)
start_witness() { start witness "$@" "$SW" witness serve --config witness.toml --listen "${WITNESS_URL#http://}" > /dev/null; }
SERVE=(serve --data-dir data/log --anchors sim/anchors.toml --witness "$WITNESS_URL" --rate-per-signer 0
    --batch-interval-ms 100 --publish-wait-ms 2000)
LOG_URL=$(start server "$SW" "${SERVE[@]}" --listen 127.0.0.1:0)
start_server() { start server "$SW" "${SERVE[@]}" --listen "${LOG_URL#http://}" > /dev/null; }
MONITOR=(monitor --url "$LOG_URL" --trust trust.toml --out alerts --clock log --interval-s 1 --max-backoff-s 2
    --unavailable-after-s 3600)
start_monitor() {
    "$@" "$SW" "${MONITOR[@]}" >> monitor.out 2>> monitor.log &
    echo $! > pid.monitor
}
start_monitor
say "witness $WITNESS_URL, log $LOG_URL"

# The submitter: every entry until acknowledged, in order; acked.txt gets "index file" lines.
python3 - << 'EOF'
import base64, json, os
os.makedirs("entries", exist_ok=True)
for n, line in enumerate(open("sim/entries.jsonl")):
    e = json.loads(line)
    open(f"entries/{n:06d}", "wb").write(base64.b64decode(e["entry"]))
EOF
TOTAL=$(($(ls entries | wc -l) + 1)) # and the roster
submit() {
    local f out tries
    for f in sim/roster.note entries/*; do
        tries=0
        while :; do
            if out=$("$SW" log add --url "$LOG_URL" "$f" 2> /dev/null); then
                echo "$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["index"])') $f" >> acked.txt
                break
            fi
            # A refusal by admission (forged, replayed, over-collected) is final, not a fault.
            if echo "$out" | grep -q '"status":4'; then
                echo "refused $f $out" >> refused.txt
                break
            fi
            tries=$((tries + 1))
            echo "$f: $out" >> retries.txt
            sleep 0.2
        done
    done
    echo done > submit.done
}
submit &
echo $! > pid.submit

# Faults, at random, until the time is up (and the submitter has finished).
FILLS=0 KILLS_SERVER=0 KILLS_WITNESS=0 KILLS_MONITOR=0 JUMPS=0
T0=$SECONDS
while ((SECONDS - T0 < DURATION)) || [[ ! -f submit.done ]]; do
    ((SECONDS - T0 > DURATION + 900)) && { say "the submission never finished"; exit 1; }
    sleep "$((2 + RANDOM % 6))"
    ((SECONDS - T0 < DURATION)) || continue
    case $((RANDOM % 6)) in
    0)
        say "SIGKILL server"
        kill -9 "$(cat pid.server)" 2> /dev/null || say "the server had exited by itself (see server.log)"
        wait "$(cat pid.server)" 2> /dev/null || true
        echo "soak-marker: server killed" >> server.log
        KILLS_SERVER=$((KILLS_SERVER + 1))
        sleep 1
        start_server
        ;;
    1)
        say "SIGKILL witness"
        kill -9 "$(cat pid.witness)" 2> /dev/null || say "the witness had exited by itself (see witness.log)"
        wait "$(cat pid.witness)" 2> /dev/null || true
        KILLS_WITNESS=$((KILLS_WITNESS + 1))
        sleep 1
        start_witness
        ;;
    2)
        say "SIGKILL monitor"
        kill -9 "$(cat pid.monitor)" 2> /dev/null || say "the monitor had exited by itself (see monitor.log)"
        wait "$(cat pid.monitor)" 2> /dev/null || true
        KILLS_MONITOR=$((KILLS_MONITOR + 1))
        start_monitor
        ;;
    3)
        say "disk full"
        FILLS=$((FILLS + 1))
        dd if=/dev/zero of=data/filler bs=1M count=$FS_MB 2> /dev/null || true
        sleep "$((3 + RANDOM % 5))"
        rm -f data/filler
        say "space back"
        ;;
    4)
        JUMP=$( ((RANDOM % 2 == 0)) && echo +2h || echo -2h)
        say "witness restarted with its clock $JUMP"
        kill -9 "$(cat pid.witness)" 2> /dev/null || say "the witness had exited by itself (see witness.log)"
        wait "$(cat pid.witness)" 2> /dev/null || true
        JUMPS=$((JUMPS + 1))
        start_witness jumped "$JUMP"
        ;;
    5)
        JUMP=$( ((RANDOM % 2 == 0)) && echo +3h || echo -3h)
        say "monitor restarted with its clock $JUMP"
        kill -9 "$(cat pid.monitor)" 2> /dev/null || say "the monitor had exited by itself (see monitor.log)"
        wait "$(cat pid.monitor)" 2> /dev/null || true
        JUMPS=$((JUMPS + 1))
        start_monitor jumped "$JUMP"
        ;;
    esac
done
say "faults: $KILLS_SERVER server kills, $KILLS_WITNESS witness kills, $KILLS_MONITOR monitor kills, $FILLS disk-full episodes, $JUMPS clock jumps"

# Let the monitor catch up with the final log, then stop everything but the server.
sleep 5
kill -9 "$(cat pid.monitor)" 2> /dev/null || say "the monitor had exited by itself (see monitor.log)"
wait "$(cat pid.monitor)" 2> /dev/null || true

FAIL=0
ACKED=$( (cat acked.txt 2> /dev/null || true) | wc -l)
REFUSED=$( (cat refused.txt 2> /dev/null || true) | wc -l)
say "entries: $TOTAL simulated, $ACKED acknowledged, $REFUSED refused by admission, $( (cat retries.txt 2> /dev/null || true) | wc -l) retries"
# 3. Service resumed by itself: every entry was acknowledged or refused for cause.
if ((ACKED + REFUSED != TOTAL)); then say "FAIL: $((TOTAL - ACKED - REFUSED)) entries never answered"; FAIL=1; fi
# 1. Nothing acknowledged is lost.
LOST=0
while read -r index file; do
    "$SW" log verify --url "$LOG_URL" --key "$(cat log.vkey)" --index "$index" --entry "$file" > /dev/null 2>&1 \
        || { say "FAIL: acknowledged entry $index ($file) is not in the log"; LOST=$((LOST + 1)); }
done < acked.txt
((LOST == 0)) && say "all $ACKED acknowledged entries verified in the log at their index" || FAIL=1
# 4. The monitor's verdicts: a clean pass over the final log, against the restarted monitor's.
"$SW" monitor --url "$LOG_URL" --trust trust.toml --out alerts-clean --clock log --once > clean.out 2> clean.log || true
verdicts() { python3 -c '
import json, sys
seen = set()
for line in open(sys.argv[1]):
    try: a = json.loads(line)
    except ValueError: continue
    if "alert" in a and a["alert"] != "unavailable": seen.add((a["alert"], a.get("index")))
for k in sorted(seen, key=str): print(*k)' "$1"; }
verdicts monitor.out > verdicts.followed
verdicts clean.out > verdicts.clean
if diff verdicts.followed verdicts.clean > /dev/null; then
    say "monitor verdicts unchanged: $(tr '\n' ';' < verdicts.clean)"
else
    say "FAIL: verdicts differ (followed vs clean):"; diff verdicts.followed verdicts.clean >&2 || true; FAIL=1
fi
kill "$(cat pid.server)" 2> /dev/null || say "the server had exited by itself"
wait "$(cat pid.server)" 2> /dev/null || true
"$SW" log fsck data/log > fsck.out 2>&1 && say "log fsck: $(cat fsck.out)" || { say "FAIL: fsck: $(cat fsck.out)"; FAIL=1; }
# 2. Faults reported once each, with a clear message.
NOSPACE=$(grep -c 'No space left on device' server.log || true)
say "disk-full episodes $FILLS; server log lines naming 'No space left on device': $NOSPACE; accept errors: $(grep -c 'cannot accept' server.log || true)"
# A fill episode runs start to end within one server process (no kill is drawn during it), so the
# server reports at most one outage per episode, and every outage it reports ends with the all-clear;
# no refused request is logged at ERROR on its own.
# Only the outage in progress when a server process is killed may lack its all-clear.
OUTAGES=$(grep -c 'ERROR.*batch failed' server.log || true)
CLEARS=$(grep -c 'INFO.*storage works again' server.log || true)
PER_REQUEST=$(grep -c 'ERROR.*tower_http' server.log || true)
UNPAIRED=$(awk '/ERROR.*batch failed/ { if (open) bad++; open = 1 }
    /INFO.*storage works again/ { if (!open) bad++; open = 0 }
    /^soak-marker: server killed/ { open = 0 }
    END { if (open) bad++; print bad + 0 }' server.log)
say "outages reported $OUTAGES (episodes $FILLS), all-clears $CLEARS, per-request error lines $PER_REQUEST"
((OUTAGES <= FILLS)) || { say "FAIL: more outage reports than disk-full episodes"; FAIL=1; }
((UNPAIRED == 0)) || { say "FAIL: $UNPAIRED outage reports not paired with one all-clear"; FAIL=1; }
((PER_REQUEST == 0)) || { say "FAIL: refused requests logged one by one"; FAIL=1; }
grep -h 'ERROR\|WARN' server.log | sed 's/^.*\(ERROR\|WARN\)/\1/' | sed 's/[0-9]\+/N/g' | sort | uniq -c | sort -rn | head -15 >&2
((FAIL == 0)) && say "PASS" || say "FAIL"
exit $FAIL
