#!/usr/bin/env bash
# The JSON Lines commands timed as a user runs them: the release `shieldwatch fly` (J2 and point gravity),
# `geodesy` (inverse) and `lambert` over a million lines each, the whole process under /usr/bin/time,
# CPU time (user + system) per line with one worker thread (--threads 1) and with two, next to the
# library's own per-call figures (criterion, release profile) and Orekit's per-trajectory time (J2, a
# warm JVM: crates/flight/bench/OrekitFly.java, as crates/flight/bench/compare_peers.sh runs it), all in
# this one run. Figures go to BENCHMARKS.md ("JSON Lines commands").
#
# Inputs are the committed reference sets, cycled to the line count: the 60 burnout states of
# crates/flight/tests/reference/orekit_trajectories.json (fly, under J2 and under point gravity), the 170
# geodesic_inverse cases of crates/geodesy/tests/reference (geodesy), and the 42 zero-revolution problems
# of crates/flight/tests/reference/lambert_cases.json (lambert): the library figures are measured on the
# same sets. A million lines of a rejected request (`fly` without `gravity`) times the error path.
#
# Usage: bash crates/cli/bench/jsonl_bench.sh      (from anywhere; builds and works in /var/tmp)
# Environment: LINES (default 1000000), REPEATS (best of, default 3), OREKIT=0 to skip Orekit (it installs
# orekit-jpype==13.1.9.0 from PyPI and needs a JDK), CRITERION=0 to skip the library figures.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../../.." && pwd)"
WORK="${BENCH_DIR:-/var/tmp/shieldwatch-jsonl-bench}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/shieldwatch-jsonl-target}"
LINES="${LINES:-1000000}"
REPEATS="${REPEATS:-3}"
mkdir -p "$WORK"

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "== load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== $(rustc --version); $LINES lines per input, best of $REPEATS runs"

(cd "$REPO" && cargo build -q --release -p shieldwatch)
BIN="$CARGO_TARGET_DIR/release/shieldwatch"

# --- Inputs ------------------------------------------------------------------------------------------------
python3 - "$REPO" "$WORK" "$LINES" <<'PY'
import json, sys
repo, work, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
fly = json.load(open(f"{repo}/crates/flight/tests/reference/orekit_trajectories.json"))["cases"]
geo = json.load(open(f"{repo}/crates/geodesy/tests/reference/geodesic_inverse.json"))["cases"]
lam = [c for c in json.load(open(f"{repo}/crates/flight/tests/reference/lambert_cases.json"))["cases"]
       if c["max_revs"] == 0]
keys = ("lat_deg", "lon_deg", "alt_m", "speed_mps", "azimuth_deg", "flight_path_angle_deg")
def write(name, line):
    with open(f"{work}/{name}.jsonl", "w") as f:
        for i in range(n):
            f.write(line(i) + "\n")
for g in ("j2", "point"):
    write(f"fly_{g}", lambda i: json.dumps({"id": i, **{k: fly[i % len(fly)][k] for k in keys}, "gravity": g},
                                           separators=(",", ":")))
write("geodesy_inverse", lambda i: json.dumps(
    {"id": i, "kind": "inverse", **{k: geo[i % len(geo)][k] for k in ("lat1_deg", "lon1_deg", "lat2_deg", "lon2_deg")}},
    separators=(",", ":")))
write("lambert", lambda i: json.dumps(
    {"id": i, "r1_m": lam[i % len(lam)]["r1_m"], "r2_m": lam[i % len(lam)]["r2_m"], "tof_s": lam[i % len(lam)]["tof_s"],
     "mu_m3ps2": lam[i % len(lam)]["mu_m3ps2"], "prograde": lam[i % len(lam)]["prograde"], "max_revs": 0},
    separators=(",", ":")))
write("fly_rejected", lambda i: json.dumps({"id": i, **{k: fly[i % len(fly)][k] for k in keys}}, separators=(",", ":")))
PY

# --- The commands --------------------------------------------------------------------------------------------
# One run: "<cpu s> <wall s>" of the whole process; checks the line count and the exit status.
run_once() { # cmd input threads expected-status
    local out="$WORK/out.jsonl" times="$WORK/time.txt" status=0
    /usr/bin/time -f "%U %S %e" -o "$times" "$BIN" "$1" --threads "$3" <"$WORK/$2.jsonl" >"$out" 2>"$WORK/err.txt" ||
        status=$?
    if [ "$status" != "$4" ]; then
        echo "$1 < $2: exit status $status, expected $4" >&2
        exit 1
    fi
    local got
    got=$(wc -l <"$out")
    if [ "$got" != "$LINES" ]; then
        echo "$1 < $2: $got output lines for $LINES" >&2
        exit 1
    fi
    # (time writes "Command exited with non-zero status N" first when the status is not 0.)
    tail -1 "$times" | awk '{printf "%.3f %.3f\n", $1 + $2, $3}'
}
CMD_LOG="$WORK/commands.txt"
: >"$CMD_LOG"
for spec in "fly fly_j2 0" "fly fly_point 0" "geodesy geodesy_inverse 0" "lambert lambert 0" "fly fly_rejected 2"; do
    read -r cmd input status <<<"$spec"
    for threads in 1 2; do
        best_cpu=1e9
        best_wall=1e9
        for _ in $(seq "$REPEATS"); do
            read -r cpu wall < <(run_once "$cmd" "$input" "$threads" "$status")
            best_cpu=$(python3 -c "print(min($best_cpu, $cpu))")
            best_wall=$(python3 -c "print(min($best_wall, $wall))")
        done
        python3 -c "
n = $LINES
print(f'command $cmd < $input, --threads $threads: CPU {$best_cpu / n * 1e6:.3f} us/line, wall {$best_wall / n * 1e6:.3f} us/line ({$best_cpu:.2f} s CPU, {$best_wall:.2f} s wall)')
" | tee -a "$CMD_LOG"
    done
done
echo "== load after the commands: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- The library's own figures (criterion) -------------------------------------------------------------------
if [ "${CRITERION:-1}" != 0 ]; then
    echo
    echo "== library figures (criterion means; per call = per iteration / cases in the set)"
    crit() { # package bench filter cases label
        (cd "$REPO" && cargo bench -q -p "$1" --bench "$2" -- --warm-up-time 2 --measurement-time 5 "$3" 2>/dev/null) |
            python3 -c "
import re, sys
text = sys.stdin.read()
m = re.search(r'time:\s+\[\S+ \S+ (\S+) (\S+) \S+ \S+\]', text)
if not m:
    sys.exit('no criterion figure for $3')
scale = {'ns': 1e-3, 'µs': 1.0, 'us': 1.0, 'ms': 1e3, 's': 1e6}[m[2]]
print(f'library $5: {float(m[1]) * scale / $4:.3f} us per call (criterion $3, mean over {$4} cases)')
"
    }
    crit flight flight 'fly/orekit_cases_j2$' 60 "fly J2 (propagate + summary)"
    crit flight flight 'fly/orekit_cases_point$' 60 "fly point (propagate + summary)"
    crit geodesy geodesic 'geodesic/inverse_reference_cases$' 170 "geodesic inverse"
    crit flight flight 'lambert/pykep_cases_zero_rev$' 42 "lambert zero-revolution"
fi

# --- Orekit (J2, warm JVM) -----------------------------------------------------------------------------------
if [ "${OREKIT:-1}" != 0 ]; then
    echo
    echo "== Orekit 13.1, J2, the same 60 burnout states (crates/flight/bench/OrekitFly.java, wall time per trajectory in a warm JVM)"
    command -v javac >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jdk-headless; }
    python3 -c "import orekit_jpype" 2>/dev/null || pip install -q "orekit-jpype==13.1.9.0"
    JARS="$(python3 -c 'import orekit_jpype, os; print(os.path.join(os.path.dirname(orekit_jpype.__file__), "jars"))')"
    CP="$(ls "$JARS"/*.jar | tr '\n' ':')$WORK"
    python3 - "$REPO/crates/flight/tests/reference" "$WORK" <<'PY'
import json, sys
d = json.load(open(f"{sys.argv[1]}/orekit_trajectories.json"))
with open(f"{sys.argv[2]}/fly_cases.txt", "w") as f:
    for c in d["cases"]:
        r = c["j2"]
        f.write(" ".join(repr(float(c[k])) for k in ("lat_deg", "lon_deg", "alt_m", "speed_mps", "azimuth_deg",
                                                      "flight_path_angle_deg")) + " " +
                " ".join(repr(float(r[k])) for k in ("impact_lat_deg", "impact_lon_deg", "time_of_flight_s",
                                                      "apogee_alt_m", "apogee_time_s")) + "\n")
PY
    javac -cp "$CP" -d "$WORK" "$REPO/crates/flight/bench/OrekitFly.java"
    # The two configurations BENCHMARKS.md compares the default shieldwatch setting with: the fastest
    # Orekit configuration at least as accurate (GBS, no step cap, rtol 1e-14) and the nearest
    # DormandPrince853 one (maximum step 60 s, rtol 1e-12).
    for cfg in "gbs 1e9 1e-14 1e-8" "dp853 60 1e-12 1e-6"; do
        read -r integ step rtol atol <<<"$cfg"
        java -Xss8m -cp "$CP" OrekitFly "$WORK/fly_cases.txt" "$rtol" "$atol" 80 20 "$integ" "$step" 2>/dev/null
    done
fi
echo "== load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
