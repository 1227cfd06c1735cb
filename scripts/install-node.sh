#!/usr/bin/env bash
# Installs Node.js and npm from Debian when `npm` is missing: the dashboard's web assets (web/) are built
# with them when crates/dashboard is compiled, and the browser tests run on them. Safe to run repeatedly;
# does nothing when npm is present (whatever installed it).
set -euo pipefail
if ! command -v npm >/dev/null || ! command -v node >/dev/null; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "installing Node.js and npm (Debian nodejs, npm)" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm >/dev/null
fi
major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$major" -lt 20 ]; then
  echo "error: Node.js $(node --version) is too old: the dashboard and the browser tests need 20 or later" >&2
  exit 1
fi
