#!/usr/bin/env bash
# The job dashboard in a real browser: headless Chromium (Debian's `chromium`) loads /dashboard of
# a live portcullis (SQLite) that has processed a few orders, and the rendered page must list the
# queues for an admin, and refuse a member.
#
# Builds nothing: expects target/debug/portcullis (or $PORTCULLIS_BIN). Needs chromium ($CHROMIUM,
# default /usr/bin/chromium) and node (its WebSocket: built in from Node 22, behind
# --experimental-websocket on Node 20). The browser is driven over the DevTools protocol
# (scripts/lib/dashboard-cdp.mjs), which is how it sends the identity headers.
#
#   scripts/dashboard-check.sh [--screenshot FILE]   # FILE: a PNG of the board with those jobs
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${PORTCULLIS_BIN:-target/debug/portcullis}
SCREENSHOT=""
if [ "${1:-}" = "--screenshot" ]; then SCREENSHOT=$(realpath -m "$2"); fi
if [ ! -x "$BIN" ]; then
    echo "dashboard-check: no portcullis binary at $BIN: run 'cargo build -p portcullis-api --bin portcullis' or set PORTCULLIS_BIN" >&2
    exit 1
fi
BIN=$(realpath "$BIN")
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || { echo "dashboard-check: no chromium at $CHROMIUM (apt-get install chromium)" >&2; exit 1; }
NODE_FLAGS=()
[ "$(node -p 'process.versions.node.split(".")[0]')" -ge 22 ] || NODE_FLAGS=(--experimental-websocket)

. scripts/lib/server.sh
WORK=$(mktemp -d "${TMPDIR:-/tmp}/portcullis-dashboard-check.XXXXXX")
cleanup() {
    server_stop
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

server_start "$BIN" "$WORK/data" "sqlite://$WORK/data/portcullis.sqlite3" "$WORK/server.log"
BASE="http://127.0.0.1:$PORT"
PROJECT=$(new_uuid)
echo "== portcullis on $BASE"

# A few orders of each kind, so both queues have jobs.
order() {
    curl -sf -X POST "$BASE/v1/orders" -H "X-Project-Id: $PROJECT" -H 'Content-Type: application/json' -d "$1" |
        sed -n 's/.*"order_ref": *"\([^"]*\)".*/\1/p'
}
REFS=()
for _ in 1 2 3; do REFS+=("$(order '{"type": "key", "meta": {"algorithm": "aes", "bit_length": 256}}')"); done
REFS+=("$(order '{"type": "asymmetric", "meta": {"algorithm": "rsa", "bit_length": 2048}}')")
REFS+=("$(order '{"type": "certificate", "meta": {"subject_dn": "CN=www.example.com", "key_type": "ec", "bit_length": 256}}')")
for ref in "${REFS[@]}"; do
    [ -n "$ref" ] || { echo "FAIL: an order was refused" >&2; tail -n 20 "$WORK/server.log" >&2; exit 1; }
    for _ in $(seq 1 600); do
        curl -sf "$ref" -H "X-Project-Id: $PROJECT" | grep -q '"status": *"PENDING"' || break
        sleep 0.1
    done
done
echo "== ${#REFS[@]} orders processed"

cdp() { node "${NODE_FLAGS[@]}" scripts/lib/dashboard-cdp.mjs "$@"; }
fail() {
    echo "FAIL: $*" >&2
    tail -n 20 "$WORK/server.log" >&2
    exit 1
}
# Barbican's 403 body, rendered as the page's text.
cdp "$BASE/dashboard" --header "X-Project-Id: $PROJECT" --header "X-Roles: member" \
    --expect "Job dashboard access attempt not allowed" --timeout 30 || fail "a member reached the dashboard"
# The board's overview lists every queue as a card.
cdp "$BASE/dashboard" --header "X-Project-Id: $PROJECT" --header "X-Roles: admin" \
    --expect orders --expect certificate_steps --timeout 60 || fail "the dashboard did not list the queues"
# A queue's Done page lists its jobs (the newest one, as /v1/admin/jobs names it).
# (A job is marked Done just after its order's transaction: wait for one.)
JOB=""
for _ in $(seq 1 100); do
    JOB=$(curl -sf "$BASE/v1/admin/jobs?queue=orders&status=Done&limit=1" -H "X-Project-Id: $PROJECT" \
        -H 'X-Roles: admin' | sed -n 's/^{"jobs":\[{"id":"\([0-9A-Z]*\)".*/\1/p')
    [ -z "$JOB" ] || break
    sleep 0.1
done
[ -n "$JOB" ] || fail "no Done job in /v1/admin/jobs"
cdp "$BASE/dashboard/queues/orders/Done" --header "X-Project-Id: $PROJECT" --header "X-Roles: admin" \
    --expect "$JOB" --timeout 60 ${SCREENSHOT:+--screenshot "$SCREENSHOT"} || fail "the orders queue page did not list job $JOB"
echo "PASS: dashboard-check"
