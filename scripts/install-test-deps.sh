#!/usr/bin/env bash
# Installs the Debian packages the test suite needs. Safe to run repeatedly; does nothing when all are
# present. Packages are listed once here so the README and CI agree.
set -euo pipefail

PACKAGES=(
  golang-go golang-golang-x-mod-dev # independent C2SP checks: crates/tlog/tests/goverify, crates/verify/tests/goevidence
  gdal-bin                          # ogrinfo reads back every GeoJSON, KML and CSV with coordinates (crates/cli/tests)
  fonts-dejavu-core                 # the font the PNG twins of SVG plots are rendered with (crates/render)
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "installing test dependencies: ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
