#!/usr/bin/env bash
# The official `barbican` CLI (python-barbicanclient), unchanged, against a real portcullis.
#
# Builds nothing: expects target/debug/portcullis (or $PORTCULLIS_BIN). Keeps the CLI in a venv at
# $BARBICAN_VENV (default ${XDG_CACHE_HOME:-~/.cache}/portcullis/barbican-venv), created on first
# use. Runs every step on SQLite, then on Postgres when it is reachable: at $TEST_POSTGRES_URL
# (then it is required) or at postgres://postgres@127.0.0.1:5432/postgres (skipped if down).
# $BARBICAN_CHECK_BACKENDS ("sqlite postgres" by default) picks the backends;
# $BARBICAN_CHECK_ORDER_WAIT (60 by default) is how many seconds an order may stay PENDING.
#
# Prints each command, its output and a PASS/FAIL line; stops at the first FAIL with the CLI's
# stderr and the tail of the server log.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${PORTCULLIS_BIN:-target/debug/portcullis}
VENV=${BARBICAN_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/portcullis/barbican-venv}
BACKENDS=${BARBICAN_CHECK_BACKENDS:-sqlite postgres}
ORDER_WAIT=${BARBICAN_CHECK_ORDER_WAIT:-60}

if [ ! -x "$BIN" ]; then
    echo "barbican-cli-check: no portcullis binary at $BIN: run 'cargo build -p portcullis-api --bin portcullis' or set PORTCULLIS_BIN" >&2
    exit 1
fi
BIN=$(realpath "$BIN")

# --- The CLI -------------------------------------------------------------------------------------
. scripts/lib/venv.sh
pip_venv "$VENV" "barbican CLI" python-barbicanclient
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
# cli_quiet ARGS...: runs `barbican ARGS`; OUT and ERR hold its output, RC its exit status.
cli_quiet() {
    set +e
    "$BARBICAN" --no-auth --endpoint "http://127.0.0.1:$PORT" --os-project-id "$PROJECT" "$@" \
        >"$WORK/out" 2>"$WORK/err"
    RC=$?
    set -e
    OUT=$(cat "$WORK/out")
    # The CLI logs each line through several handlers: keep one copy, in order.
    ERR=$(grep -v 'deprecated and will be removed' "$WORK/err" | awk '!seen[$0]++' || true)
}
# cli ARGS...: as cli_quiet, and prints the command and its output.
cli() {
    echo
    echo "\$ barbican $*"
    cli_quiet "$@"
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
# The first secret, container or order href in OUT.
href_in_out() { grep -oE "http://127\.0\.0\.1:$PORT/v1/$1/[0-9a-f-]{36}" <<<"$OUT" | head -1 || true; }
# The href in OUT's table row FIELD (e.g. `Public Key`), if that row holds one.
href_in_row() { sed -nE "s#^\| $1 +\| (http://127\.0\.0\.1:$PORT/v1/[a-z]+/[0-9a-f-]{36}) +\|\$#\1#p" <<<"$OUT" | head -1; }

# await_order HREF: runs `secret order get HREF` every half second while its Status is PENDING,
# for at most ORDER_WAIT seconds, then prints the last run's command and output (OUT, ERR, RC).
await_order() {
    local start=$SECONDS
    while :; do
        cli_quiet secret order get "$1"
        ok && row Status PENDING && [ $(( SECONDS - start )) -lt "$ORDER_WAIT" ] || break
        sleep 0.5
    done
    echo
    echo "\$ barbican secret order get $1   # polled for $(( SECONDS - start ))s while PENDING (at most ${ORDER_WAIT}s)"
    [ -z "$OUT" ] || printf '%s\n' "$OUT"
}

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

    # --- Orders ---
    # The workers in `serve` carry each order from PENDING to ACTIVE; await_order polls for it.
    cli secret order create key --algorithm aes --bit-length 256 --mode cbc --name cli-key-order
    KEY_ORDER=$(href_in_out orders)
    check "secret order create key returns an order href" \
        eval '[ -n "$KEY_ORDER" ] && row "Order href" "$KEY_ORDER" && row Type Key'

    cli secret order create asymmetric --algorithm rsa --bit-length 2048 --name cli-rsa-order
    RSA_ORDER=$(href_in_out orders)
    check "secret order create asymmetric returns an order href" \
        eval '[ -n "$RSA_ORDER" ] && row "Order href" "$RSA_ORDER" && row Type Asymmetric'

    await_order "$KEY_ORDER"
    printf '%s\n' "$OUT" >"$WORK/order-get-key-$BACKEND"
    KEY_SECRET=$(href_in_row "Secret href")
    check "secret order get shows the key order ACTIVE with its secret href" \
        eval 'row "Order href" "$KEY_ORDER" && row Type Key && row Status ACTIVE && [ -n "$KEY_SECRET" ] && row "Container href" N/A'

    await_order "$RSA_ORDER"
    printf '%s\n' "$OUT" >"$WORK/order-get-asymmetric-$BACKEND"
    RSA_CONTAINER=$(href_in_row "Container href")
    check "secret order get shows the asymmetric order ACTIVE with its container href" \
        eval 'row "Order href" "$RSA_ORDER" && row Type Asymmetric && row Status ACTIVE && [ -n "$RSA_CONTAINER" ] && row "Secret href" N/A'

    cli secret get "$KEY_SECRET"
    check "secret get shows the key order's secret: aes, 256 bits, symmetric" \
        eval 'row "Secret href" "$KEY_SECRET" && row Name cli-key-order && row Status ACTIVE && row Algorithm aes && row "Bit length" 256 && row "Secret type" symmetric && row Mode cbc'

    cli secret get --payload_content_type application/octet-stream --file "$WORK/order-key-$BACKEND.bin" "$KEY_SECRET"
    check "secret get --file returns the generated key: 32 bytes" \
        eval 'ok && [ "$(stat -c %s "$WORK/order-key-$BACKEND.bin")" -eq 32 ]'

    cli secret container get "$RSA_CONTAINER"
    RSA_PUBLIC=$(href_in_row "Public Key")
    RSA_PRIVATE=$(href_in_row "Private Key")
    check "secret container get shows the order's rsa container with both keys" \
        eval 'row "Container href" "$RSA_CONTAINER" && row Name cli-rsa-order && row Type rsa && [ -n "$RSA_PUBLIC" ] && [ -n "$RSA_PRIVATE" ]'

    cli secret get --payload_content_type application/octet-stream --file "$WORK/order-public-$BACKEND.pem" "$RSA_PUBLIC"
    check "secret get --file returns the public key as PEM" \
        eval 'ok && head -1 "$WORK/order-public-$BACKEND.pem" | grep -q "^-----BEGIN PUBLIC KEY-----$"'
    cli secret get --payload_content_type application/octet-stream --file "$WORK/order-private-$BACKEND.pem" "$RSA_PRIVATE"
    check "secret get --file returns the private key as PEM" \
        eval 'ok && head -1 "$WORK/order-private-$BACKEND.pem" | grep -q "^-----BEGIN PRIVATE KEY-----$"'

    cli secret order list
    check "secret order list lists both orders, ACTIVE" \
        eval 'has "^\| $KEY_ORDER +\| Key +\| N/A +\| $KEY_SECRET +\| [^|]+ \| ACTIVE +\|" && has "^\| $RSA_ORDER +\| Asymmetric +\| $RSA_CONTAINER +\| N/A +\| [^|]+ \| ACTIVE +\|"'

    cli secret order delete "$KEY_ORDER"
    check "secret order delete" ok
    cli secret order get "$KEY_ORDER"
    check "secret order get of the deleted order fails with Not Found" eval '[ "$RC" -ne 0 ] && grep -q "Not Found" <<<"$ERR"'
    cli secret order list
    check "secret order list no longer lists the deleted order" \
        eval 'has "^\| $RSA_ORDER +\|" && ! grep -qF "$KEY_ORDER" <<<"$OUT"'
    # As in Barbican, deleting an order leaves the secret it made.
    cli secret get "$KEY_SECRET"
    check "the deleted order's secret is still there" eval 'row "Secret href" "$KEY_SECRET" && row Status ACTIVE'
}

# --- Backends ------------------------------------------------------------------------------------
for BACKEND in $BACKENDS; do
    case "$BACKEND" in
    sqlite)
        URL="sqlite://$WORK/data-sqlite/portcullis.sqlite3"
        ;;
    postgres)
        pg_available_or_skip || continue
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

# What `secret order get` showed for each order type, together for the CI log.
for BACKEND in $BACKENDS; do
    for TYPE in key asymmetric; do
        if [ -f "$WORK/order-get-$TYPE-$BACKEND" ]; then
            echo
            echo "== secret order get, $TYPE order, $BACKEND:"
            cat "$WORK/order-get-$TYPE-$BACKEND"
        fi
    done
done

echo
echo "barbican-cli-check: every step passed on: ${PASSED:-no backend}"
