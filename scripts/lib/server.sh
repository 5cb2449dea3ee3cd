# Sourced by scripts/barbican-cli-check.sh and bench/secrets.sh: a throwaway portcullis server on
# a loopback port, and throwaway Postgres databases. Callers run under `set -euo pipefail` and call
# server_stop and pg_drop_db from their EXIT trap.

PG_ADMIN_URL=${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
SERVER_PID=""
PG_DB=""

new_uuid() { cat /proc/sys/kernel/random/uuid; }

# server_start BIN DATA_DIR DATABASE_URL LOG: runs `BIN serve` on a port the OS picks, logging JSON
# lines to LOG; once it listens, sets SERVER_PID and PORT. Exits with the log if it does not start.
server_start() {
    local bin=$1 data_dir=$2 url=$3 log=$4
    mkdir -p "$data_dir"
    # PORTCULLIS_BIN names the binary for the scripts; the server would refuse it as an unknown
    # PORTCULLIS_* setting.
    env -u PORTCULLIS_BIN PORTCULLIS_DATA_DIR="$data_dir" DATABASE_URL="$url" PORTCULLIS_BIND=127.0.0.1:0 \
        RUST_LOG="${RUST_LOG:-info}" "$bin" --log-format json serve >"$log" 2>&1 &
    SERVER_PID=$!
    PORT=""
    local _
    for _ in $(seq 1 300); do
        PORT=$(sed -n 's/.*"message":"portcullis listening".*"address":"127\.0\.0\.1:\([0-9]*\)".*/\1/p' "$log" | head -1)
        [ -n "$PORT" ] && return 0
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            SERVER_PID=""
            echo "FAIL: portcullis exited before listening:" >&2
            cat "$log" >&2
            exit 1
        fi
        sleep 0.1
    done
    echo "FAIL: portcullis did not listen within 30s:" >&2
    tail -n 40 "$log" >&2
    exit 1
}

# server_stop: SIGTERM (graceful shutdown) to the server server_start started, and wait for it.
server_stop() {
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=""
    fi
}

pg_reachable() { command -v psql >/dev/null && psql "$PG_ADMIN_URL" -qAt -c 'SELECT 1' >/dev/null 2>&1; }

# pg_available_or_skip: true when Postgres is reachable. Otherwise exits 1 where it must be there
# (CI, or TEST_POSTGRES_URL set), and elsewhere says SKIP loudly and returns false, so that a
# script's Postgres half can be skipped on a machine without it, never quietly in CI.
pg_available_or_skip() {
    pg_reachable && return 0
    if [ -n "${CI:-}" ] || [ -n "${TEST_POSTGRES_URL:-}" ]; then
        echo "FAIL [postgres]: Postgres is not reachable at $PG_ADMIN_URL (or psql is missing); it is required here (CI or TEST_POSTGRES_URL)" >&2
        exit 1
    fi
    echo
    echo "SKIP [postgres]: no Postgres at $PG_ADMIN_URL (start it with 'just pg-up', or set TEST_POSTGRES_URL)"
    return 1
}

# pg_create_db PREFIX: creates an empty database PREFIX_<random> on PG_ADMIN_URL's server; sets
# PG_DB and PG_URL (its DATABASE_URL).
pg_create_db() {
    PG_DB="$1_$(new_uuid | tr -d -)"
    psql "$PG_ADMIN_URL" -qAt -v ON_ERROR_STOP=1 -c "CREATE DATABASE $PG_DB" >/dev/null
    PG_URL="${PG_ADMIN_URL%/*}/$PG_DB"
}

# pg_drop_db: drops the database pg_create_db made, if any.
pg_drop_db() {
    if [ -n "$PG_DB" ]; then
        psql "$PG_ADMIN_URL" -qAt -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 ||
            echo "warning: could not drop the Postgres database $PG_DB" >&2
        PG_DB=""
    fi
}
