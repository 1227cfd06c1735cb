#!/usr/bin/env bash
# Proof verification per proof: shieldwatch's tlog crate (criterion) against Go's
# golang.org/x/mod/sumdb/tlog (Debian golang-go + golang-golang-x-mod-dev, built offline) on the same
# 1 000 inclusion and 100 consistency proofs in a tree of 2^20 entries, in one run on one machine.
# Usage: bash crates/tlog/bench/compare_go.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
if ! command -v go >/dev/null || [ ! -d /usr/share/gocode/src/golang.org/x/mod/sumdb/tlog ]; then
  apt-get update -qq && apt-get install -y -qq golang-go golang-golang-x-mod-dev >/dev/null
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
TLOG_PROOFS_OUT="$tmp/proofs.json" cargo bench -p tlog --bench proofs -- --noplot verify_ 2>&1 | grep -E "^verify|time:" || true
(cd "$tmp" && GOPATH=/usr/share/gocode GO111MODULE=off GOFLAGS= GOPROXY=off GOCACHE="$tmp/gocache" \
  go build -o "$tmp/goproofs" "$OLDPWD/crates/tlog/bench/goproofs/main.go")
go=$("$tmp/goproofs" "$tmp/proofs.json")
echo "$go"
target=${CARGO_TARGET_DIR:-target}
python3 - "$target" "$go" <<'PY'
import json, re, sys
target, go = sys.argv[1], sys.argv[2]
def mean(name):
    # criterion writes "^" in benchmark names as "_".
    return json.load(open(f"{target}/criterion/{name}/new/estimates.json"))["mean"]["point_estimate"]
incl = mean("verify_inclusion_2_20_x1000") / 1000
cons = mean("verify_consistency_2_20_x100") / 100
gi, gc = (float(x) for x in re.findall(r"([\d.]+) ns per proof", go))
print(f"shieldwatch tlog: {incl:.0f} ns per inclusion proof, {cons:.0f} ns per consistency proof (criterion mean)")
print(f"ratio shieldwatch / Go: inclusion {incl / gi:.2f}, consistency {cons / gc:.2f}")
PY
