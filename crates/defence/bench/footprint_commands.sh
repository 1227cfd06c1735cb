#!/usr/bin/env bash
# Times the README's footprint commands, whole command on the release build, with each boost model:
# wall and CPU (user + system) seconds from /usr/bin/time. Usage: bash crates/defence/bench/footprint_commands.sh
# Environment: SHIELDWATCH_BIN, another binary to time (e.g. an earlier build; default: this tree's release
# build); RUNS, runs of each command (default 1; several give the spread under the machine's load).
set -euo pipefail
cd "$(dirname "$0")/../../.."
if [ -z "${SHIELDWATCH_BIN:-}" ]; then
  cargo build --release -p shieldwatch >/dev/null 2>&1
fi
bin="${SHIELDWATCH_BIN:-${CARGO_TARGET_DIR:-target}/release/shieldwatch}"
runs="${RUNS:-1}"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '| command | boost | wall s | CPU s |\n|---|---|---|---|\n'
while IFS= read -r args; do
  for boost in powered fixed; do
    walls=()
    cpus=()
    for _ in $(seq "$runs"); do
      # shellcheck disable=SC2086
      t=$( { /usr/bin/time -f '%e %U %S' "$bin" footprint europe-2008 $args --no-files --boost "$boost" >/dev/null; } 2>&1 | tail -1)
      read -r wall user sys <<<"$t"
      walls+=("$wall")
      cpus+=("$(awk "BEGIN { printf \"%.2f\", $user + $sys }")")
    done
    printf '| `footprint europe-2008 %s` | %s | %s | %s |\n' "$args" "$boost" "${walls[*]}" "${cpus[*]}"
  done
done <<'LIST'
--map defended-area --site Tehran
--map threat-origin --site Berlin
--map radar-coverage --resolution 1
--map threat-origin --site London --bounds 24,42,40,64 --resolution 0.25 --shape lofted --speed 8300 --levels 5400,7700
LIST
