#!/usr/bin/env bash
# The official `barbican` CLI (python-barbicanclient), unchanged, against a real portcullis.
#
# Builds nothing: expects target/debug/portcullis (or $PORTCULLIS_BIN). Keeps the CLI in a venv at
# $BARBICAN_VENV (default ${XDG_CACHE_HOME:-~/.cache}/portcullis/barbican-venv), created on first
# use. Runs every step on SQLite, then on Postgres when it is reachable: at $TEST_POSTGRES_URL
# (then it is required) or at postgres://postgres@127.0.0.1:5432/postgres (skipped if down).
# $BARBICAN_CHECK_BACKENDS ("sqlite postgres" by default) picks the backends.
#
# Prints each command, its output and a PASS/FAIL line; stops at the first FAIL with the CLI's
# stderr and the tail of the server log.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${PORTCULLIS_BIN:-target/debug/portcullis}
VENV=${BARBICAN_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/portcullis/barbican-venv}
BACKENDS=${BARBICAN_CHECK_BACKENDS:-sqlite postgres}

if [ ! -x "$BIN" ]; then
    echo "barbican-cli-check: no portcullis binary at $BIN: run 'cargo build -p portcullis-api --bin portcullis' or set PORTCULLIS_BIN" >&2
    exit 1
fi
BIN=$(realpath "$BIN")

# --- The CLI -------------------------------------------------------------------------------------
# The stamp is written last, so a venv left half-made by an interrupted install is made again.
if [ ! -f "$VENV/.portcullis-installed" ]; then
    echo "== creating the barbican CLI venv at $VENV"
    rm -rf "$VENV"
    mkdir -p "$(dirname "$VENV")"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet python-barbicanclient
    touch "$VENV/.portcullis-installed"
fi
BARBICAN="$VENV/bin/barbican"
echo "== $("$BARBICAN" --version 2>&1 | grep -v 'deprecated' | head -1)"

# --- Per-run state and cleanup -------------------------------------------------------------------
. scripts/lib/server.sh
WORK=$(mktemp -d "${TMPDIR:-/tmp}/portcullis-cli-check.XXXXXX")
cleanup() {
    server_stop
    pg_drop_db
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- Steps ---------------------------------------------------------------------------------------
# cli ARGS...: prints and runs `barbican ARGS`; OUT and ERR hold its output, RC its exit status.
cli() {
    echo
    echo "\$ barbican $*"
    set +e
    "$BARBICAN" --no-auth --endpoint "http://127.0.0.1:$PORT" --os-project-id "$PROJECT" "$@" \
        >"$WORK/out" 2>"$WORK/err"
    RC=$?
    set -e
    OUT=$(cat "$WORK/out")
    # The CLI logs each line through several handlers: keep one copy, in order.
    ERR=$(grep -v 'deprecated and will be removed' "$WORK/err" | awk '!seen[$0]++' || true)
    [ -z "$OUT" ] || printf '%s\n' "$OUT"
}
pass() { echo "PASS [$BACKEND]: $1"; }
fail() {
    echo "FAIL [$BACKEND]: $1"
    echo "--- barbican exit status $RC; stderr:"
    printf '%s\n' "$ERR"
    echo "--- server log (last 40 lines):"
    tail -n 40 "$LOG"
    exit 1
}
# check DESCRIPTION COMMAND...: PASS if COMMAND succeeds, otherwise FAIL.
check() {
    local what=$1
    shift
    if "$@"; then pass "$what"; else fail "$what"; fi
}
ok() { [ "$RC" -eq 0 ]; }
has() { ok && grep -qE -- "$1" <<<"$OUT"; }
# A table row `| Field | value |`.
row() { has "^\| $1 +\| $2 +\|$"; }
# The first secret or container href in OUT.
href_in_out() { grep -oE "http://127\.0\.0\.1:$PORT/v1/$1/[0-9a-f-]{36}" <<<"$OUT" | head -1 || true; }

run_steps() {
    PROJECT=$(new_uuid)
    echo "== project $PROJECT"

    # Text payload: the CLI sends it UTF-8 encoded as application/octet-stream + base64.
    cli secret store --name cli-text --payload 'hello from the cli'
    TEXT_REF=$(href_in_out secrets)
    check "secret store (text payload) returns a secret href" has "^\| Secret href +\| $TEXT_REF +\|$"

    # Binary payload, given base64-encoded.
    printf '\x00\x01portcullis\xff\xfe' >"$WORK/binary-$BACKEND.in"
    cli secret store --name cli-binary --payload-content-type application/octet-stream \
        --payload-content-encoding base64 --payload "$(base64 -w0 "$WORK/binary-$BACKEND.in")"
    BIN_REF=$(href_in_out secrets)
    check "secret store (octet-stream, base64) returns a secret href" has "^\| Secret href +\| $BIN_REF +\|$"

    cli secret get "$TEXT_REF"
    check "secret get shows the secret's metadata" \
        eval 'row "Secret href" "$TEXT_REF" && row Name cli-text && row Status ACTIVE && row "Content types" "\{.default.: .application/octet-stream.\}"'

    cli secret get --payload "$TEXT_REF"
    check "secret get --payload prints the payload" row Payload 'hello from the cli'

    # Not UTF-8, so it is fetched as application/octet-stream (text/plain is refused, as in Barbican).
    cli secret get --payload_content_type application/octet-stream --file "$WORK/binary-$BACKEND.out" "$BIN_REF"
    check "secret get --file returns the binary payload byte for byte" eval 'ok && cmp -s "$WORK/binary-$BACKEND.in" "$WORK/binary-$BACKEND.out"'

    cli secret list
    check "secret list lists both stored secrets" \
        eval 'has "^\| $TEXT_REF +\| cli-text +\|" && has "^\| $BIN_REF +\| cli-binary +\|"'

    # A secret stored without a payload, given one later.
    cli secret store --name cli-later
    LATER_REF=$(href_in_out secrets)
    check "secret store (no payload) returns a secret href" has "^\| Secret href +\| $LATER_REF +\|$"
    cli secret update "$LATER_REF" 'payload set later'
    check "secret update adds the payload" ok
    cli secret get --payload "$LATER_REF"
    check "secret get --payload prints the added payload" row Payload 'payload set later'

    cli secret delete "$TEXT_REF"
    check "secret delete" ok
    cli secret get "$TEXT_REF"
    check "secret get of the deleted secret fails with Not Found" eval '[ "$RC" -ne 0 ] && grep -q "Not Found" <<<"$ERR"'

    # --- Containers ---
    cli secret container create --name cli-container --type generic --secret "key=$BIN_REF"
    CONTAINER_REF=$(href_in_out containers)
    check "secret container create returns a container href" has "^\| Container href +\| $CONTAINER_REF +\|$"

    cli secret container get "$CONTAINER_REF"
    check "secret container get shows the container and its secret" \
        eval 'row "Container href" "$CONTAINER_REF" && row Name cli-container && has "key=$BIN_REF"'

    cli secret container list
    check "secret container list lists the container" has "^\| $CONTAINER_REF +\| cli-container +\|"

    cli secret container delete "$CONTAINER_REF"
    check "secret container delete" ok
    cli secret container get "$CONTAINER_REF"
    check "secret container get of the deleted container fails with Not Found" \
        eval '[ "$RC" -ne 0 ] && grep -q "Not Found" <<<"$ERR"'

    # --- Orders: NOT CHECKED YET -----------------------------------------------------------------
    # Orders arrive with the orders issue. Add the steps here when they exist, e.g.
    #   cli secret order create --name cli-key --algorithm aes --bit-length 256 --mode cbc key
    #   then `secret order get` until Status is ACTIVE, and `secret get --payload` of its secret.
    echo
    echo "NOTE [$BACKEND]: orders are not checked yet (orders issue)."
}

# --- Backends ------------------------------------------------------------------------------------
for BACKEND in $BACKENDS; do
    case "$BACKEND" in
    sqlite)
        URL="sqlite://$WORK/data-sqlite/portcullis.sqlite3"
        ;;
    postgres)
        if ! pg_reachable; then
            if [ -n "${TEST_POSTGRES_URL:-}" ]; then
                echo "FAIL [postgres]: TEST_POSTGRES_URL is set but Postgres is not reachable at it (or psql is missing)" >&2
                exit 1
            fi
            echo
            echo "SKIP [postgres]: no Postgres at $PG_ADMIN_URL (start it with 'just pg-up', or set TEST_POSTGRES_URL)"
            continue
        fi
        pg_create_db portcullis_cli
        URL=$PG_URL
        ;;
    *)
        echo "barbican-cli-check: unknown backend '$BACKEND' in BARBICAN_CHECK_BACKENDS" >&2
        exit 2
        ;;
    esac
    LOG="$WORK/server-$BACKEND.log"
    server_start "$BIN" "$WORK/data-$BACKEND" "$URL" "$LOG"
    echo "== portcullis on $BACKEND at http://127.0.0.1:$PORT (pid $SERVER_PID)"
    run_steps
    server_stop
    pg_drop_db
    PASSED="${PASSED:-}${PASSED:+, }$BACKEND"
done

echo
echo "barbican-cli-check: every step passed on: ${PASSED:-no backend}"
