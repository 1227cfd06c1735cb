#!/usr/bin/env bash
# Starts a throw-away S3-compatible server for tests and benchmarks: moto's server (PyPI
# `moto[server]`, installed by scripts/install-test-deps.sh into the test virtual environment),
# in memory, on loopback, on a free port. Prints its endpoint (http://127.0.0.1:PORT) on standard
# output once it answers, then runs until its standard input closes (the process that started it
# exited, even by SIGKILL) or it gets SIGINT/SIGTERM; then stops it. Buckets are made by the
# caller (an unsigned `PUT /BUCKET`); any access key is accepted.
# Usage: scripts/test-s3.sh
set -euo pipefail

venv="${SHIELDWATCH_TEST_VENV:-/var/tmp/shieldwatch-test-venv}"
moto="$venv/bin/moto_server"
if [[ ! -x $moto ]]; then
    echo "test-s3: $moto is missing (scripts/install-test-deps.sh installs moto[server] there)" >&2
    exit 2
fi
log=$(mktemp "${TMPDIR:-/tmp}/shieldwatch-s3.XXXXXX")
pid=
cleanup() {
    if [[ -n $pid ]]; then kill "$pid" 2> /dev/null || true; wait "$pid" 2> /dev/null || true; fi
    rm -f "$log"
}
trap cleanup EXIT
trap "exit 1" INT TERM HUP

for _ in 1 2 3 4 5; do
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    "$moto" -H 127.0.0.1 -p "$port" > "$log" 2>&1 < /dev/null &
    pid=$!
    for _ in $(seq 300); do
        if python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$port" 2> /dev/null; then
            echo "http://127.0.0.1:$port"
            cat > /dev/null || true
            exit 0
        fi
        kill -0 "$pid" 2> /dev/null || break
        sleep 0.1
    done
    tail -3 "$log" >&2 || true
    kill "$pid" 2> /dev/null || true
    wait "$pid" 2> /dev/null || true
    pid=
done
echo "test-s3: moto_server did not start (log above)" >&2
exit 1
