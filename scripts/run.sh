#!/usr/bin/env bash
# The main job: builds shieldwatch (release) and runs it on its built-in defaults.
# README: "bash scripts/run.sh". Extra arguments are passed to the main job.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p shieldwatch
bin=target/release/shieldwatch
[ -n "${CARGO_TARGET_DIR:-}" ] && bin="$CARGO_TARGET_DIR/release/shieldwatch"
"$bin" --help
echo
echo "== shieldwatch geodesy < examples/geodesy.jsonl"
"$bin" geodesy < examples/geodesy.jsonl
