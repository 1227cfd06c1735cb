#!/usr/bin/env bash
# The main job: builds shieldwatch (release) and runs the europe-2008 study with its embedded defaults.
# README: "bash scripts/run.sh". Extra arguments are passed to `shieldwatch study europe-2008`
# (for example `--out DIR`, `--format json`, `--gravity point`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-node.sh # the dashboard's page is built with npm (crates/dashboard/build.rs)
cargo build --release --locked -p shieldwatch
bin="${CARGO_TARGET_DIR:-target}/release/shieldwatch"
"$bin" study europe-2008 --out out/europe-2008 "$@"
echo "open out/europe-2008/report.html for the map, plots, tables and sources" >&2
