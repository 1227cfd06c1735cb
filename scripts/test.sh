#!/usr/bin/env bash
# The whole test suite: installs what the tests need (on Debian, as root or with sudo), then runs every
# test of every crate. This is the README's test command, and `.ci/run` calls it.
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages some tests need (the Go C2SP verifier, for instance). Idempotent and quiet.
bash scripts/install-test-deps.sh

cargo test --workspace --all-targets --locked
cargo test --workspace --doc --locked
