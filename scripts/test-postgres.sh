#!/usr/bin/env bash
# Starts a throw-away PostgreSQL cluster for tests and benchmarks: in a new temporary directory, on
# loopback, on a free port. Prints its URL (postgres://shieldwatch@127.0.0.1:PORT/postgres) on
# standard output once it accepts connections, then runs until its standard input closes (the
# process that started it exited, even by SIGKILL) or it gets SIGINT/SIGTERM; then stops the
# cluster and removes the directory.
#
# PostgreSQL refuses to run as root: as root, the cluster runs as the `postgres` user that Debian's
# package creates. Environment: SHIELDWATCH_PG_FSYNC=off trades durability for speed (the tests
# do not cut power; the benchmarks leave it on).
# Usage: scripts/test-postgres.sh   (Debian's `postgresql`; scripts/install-test-deps.sh installs it)
set -euo pipefail

bin=$(ls -d /usr/lib/postgresql/*/bin 2> /dev/null | sort -V | tail -1 || true)
if [[ -z $bin || ! -x $bin/initdb ]]; then
    echo "test-postgres: PostgreSQL is not installed (apt install postgresql; scripts/install-test-deps.sh does)" >&2
    exit 2
fi
as=()
dir=$(mktemp -d "${TMPDIR:-/tmp}/shieldwatch-pg.XXXXXX")
if [[ $(id -u) == 0 ]]; then
    id postgres > /dev/null 2>&1 || { echo "test-postgres: running as root but there is no postgres user" >&2; exit 2; }
    chown postgres: "$dir"
    as=(runuser -u postgres --)
fi
cleanup() {
    if [[ -f $dir/data/postmaster.pid ]]; then
        "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop > /dev/null 2>&1 || true
    fi
    rm -rf "$dir"
}
trap cleanup EXIT
trap "exit 1" INT TERM HUP

"${as[@]}" "$bin/initdb" -D "$dir/data" -U shieldwatch --auth=trust -E UTF8 --no-sync --no-instructions > "$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
for _ in 1 2 3 4 5; do
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    if "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=${SHIELDWATCH_PG_FSYNC:-on} -c max_connections=200" \
        start > /dev/null; then
        echo "postgres://shieldwatch@127.0.0.1:$port/postgres"
        # Hold on until whoever started us goes away.
        cat > /dev/null || true
        exit 0
    fi
    # The port may have been taken between the probe and the start: try another.
    tail -3 "$dir/server.log" >&2 || true
done
echo "test-postgres: the cluster did not start (log above)" >&2
exit 1
