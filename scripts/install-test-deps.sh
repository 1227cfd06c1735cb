#!/usr/bin/env bash
# Installs the Debian packages and the npm packages the test suite needs. Safe to run repeatedly; does
# nothing when all are present. Packages are listed once here so the README and CI agree.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  golang-go golang-golang-x-mod-dev # independent C2SP checks: crates/tlog/tests/goverify, crates/verify/tests/goevidence
  gdal-bin                          # ogrinfo reads back every GeoJSON, KML and CSV with coordinates (crates/cli/tests)
  fonts-dejavu-core                 # the font the PNG twins of SVG plots are rendered with (crates/render)
  chromium                          # opens every HTML report and SVG headless (crates/cli/tests/cli_browser.rs)
  python3-venv                      # the virtual environment pandas is installed into (below)
  postgresql                        # the log's PostgreSQL backend, run by scripts/test-postgres.sh (crates/tlog-cloud)
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

# Node.js and npm (Debian's, when missing): they build the dashboard's page (crates/dashboard/build.rs).
bash scripts/install-node.sh

# Playwright (npm playwright-core, pinned by tests/browser/package-lock.json) drives that Chromium. It
# needs the machine's Node.js 20 or later and npm; `npm ci` runs only when the lock file changed since
# the last install (it reuses npm's cache when offline).
browser=tests/browser
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "warning: Node.js 20+ and npm are not installed: the browser checks cannot run" >&2
elif ! cmp -s "$browser/package-lock.json" "$browser/node_modules/.installed-package-lock.json"; then
  echo "installing the browser checks' npm packages (npm ci in $browser)" >&2
  (cd "$browser" && npm ci --no-audit --no-fund --prefer-offline --loglevel=error)
  cp "$browser/package-lock.json" "$browser/node_modules/.installed-package-lock.json"
fi

# pandas reads engagements.csv back as an analyst would (crates/cli/tests/cli_study.rs), from a virtual
# environment of its own so the system Python is left alone.
venv="${SHIELDWATCH_TEST_VENV:-/var/tmp/shieldwatch-test-venv}"
pandas_version=3.1.1
if ! "$venv/bin/python" -c "import pandas, sys; sys.exit(pandas.__version__ != '$pandas_version')" 2>/dev/null; then
  echo "installing pandas $pandas_version into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "pandas==$pandas_version"
fi

# moto's S3 server stands in for S3-compatible object storage in the log's backend tests
# (scripts/test-s3.sh; crates/tlog-cloud), in the same virtual environment.
moto_version=5.2.1
if ! "$venv/bin/python" -c "import moto, sys; sys.exit(moto.__version__ != '$moto_version')" 2>/dev/null \
  || [ ! -x "$venv/bin/moto_server" ]; then
  echo "installing moto[server] $moto_version into $venv" >&2
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "moto[server]==$moto_version"
fi
