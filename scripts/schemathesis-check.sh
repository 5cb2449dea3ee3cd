#!/usr/bin/env bash
# Schemathesis (property-based API testing) against a real portcullis, driven by the server's own
# OpenAPI document (/v1/openapi.json): every operation gets its documented examples, boundary and
# negative cases (coverage), generated cases (fuzzing) and request sequences that follow the
# Location headers (stateful), and every answer is checked against the document (`--checks all`:
# no 5xx, documented statuses, content types, headers and bodies; schema-valid data accepted,
# schema-breaking data refused; 405 with `Allow` for other methods; credentials enforced).
#
# Builds nothing: expects target/debug/portcullis (or $PORTCULLIS_BIN). Keeps schemathesis in a venv
# at $SCHEMATHESIS_VENV (default ${XDG_CACHE_HOME:-~/.cache}/portcullis/schemathesis-<version>-venv),
# created on first use. Runs on SQLite, then on Postgres when it is reachable: at
# $TEST_POSTGRES_URL (then it is required) or at postgres://postgres@127.0.0.1:5432/postgres
# (skipped if down), a fresh database each run. $SCHEMATHESIS_CHECK_BACKENDS ("sqlite postgres"
# by default) picks the backends; $SCHEMATHESIS_SEED and $SCHEMATHESIS_MAX_EXAMPLES (per operation
# and phase) override the fixed defaults below.
#
# The server runs with `auth = jwt` (an HS256 secret made per run) and every request carries an
# admin token, so the `ignored_auth` check can see that the same request without the token, or with
# a forged one, is refused; and with two secret stores, so their endpoints are exercised too.
# Settings beside the command line: scripts/schemathesis.toml.
#
# Prints schemathesis's report for each backend and its summary line; keeps the JUnit XML and the
# text output in target/schemathesis/<backend>/. Exits non-zero if any backend had a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

ST_VERSION=4.32.5
BIN=${PORTCULLIS_BIN:-target/debug/portcullis}
VENV=${SCHEMATHESIS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/portcullis/schemathesis-$ST_VERSION-venv}
BACKENDS=${SCHEMATHESIS_CHECK_BACKENDS:-sqlite postgres}
SEED=${SCHEMATHESIS_SEED:-20261125}
# 50 cases per operation and phase reach every operation, its parameters and its error paths in
# about 3 minutes per backend on a 2-core machine.
MAX_EXAMPLES=${SCHEMATHESIS_MAX_EXAMPLES:-50}
REPORTS=target/schemathesis

if [ ! -x "$BIN" ]; then
    echo "schemathesis-check: no portcullis binary at $BIN: run 'cargo build -p portcullis-api --bin portcullis' or set PORTCULLIS_BIN" >&2
    exit 1
fi
BIN=$(realpath "$BIN")

# --- Schemathesis --------------------------------------------------------------------------------
. scripts/lib/venv.sh
pip_venv "$VENV" "schemathesis $ST_VERSION" "schemathesis==$ST_VERSION"
ST="$VENV/bin/st"
echo "== $("$ST" --version)"

# --- Per-run state and cleanup -------------------------------------------------------------------
. scripts/lib/server.sh
WORK=$(mktemp -d "${TMPDIR:-/tmp}/portcullis-schemathesis.XXXXXX")
cleanup() {
    server_stop
    pg_drop_db
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# `auth = jwt` with an HS256 secret of this run (server_start passes the environment on).
head -c 48 /dev/urandom | base64 >"$WORK/hs256.secret"
export PORTCULLIS_AUTH=jwt
export PORTCULLIS_JWT_HS256_SECRET_FILE="$WORK/hs256.secret"
export PORTCULLIS_JWT_ISSUER=schemathesis-check
export PORTCULLIS_JWT_AUDIENCE=portcullis

# Two secret stores (`[[secret_stores]]`), so /v1/secret-stores answers rather than 404.
for store in primary secondary; do head -c 32 /dev/urandom | base64 >"$WORK/$store.key"; done
cat >"$WORK/portcullis.toml" <<EOF
[[secret_stores]]
name = "primary"
plugin = "simple_crypto"
master_key_file = "$WORK/primary.key"
global_default = true

[[secret_stores]]
name = "secondary"
plugin = "simple_crypto"
master_key_file = "$WORK/secondary.key"
global_default = false
EOF
export PORTCULLIS_CONFIG="$WORK/portcullis.toml"

# An admin token of one project, valid for a day (longer than any run), with the standard library.
TOKEN=$(python3 - "$WORK/hs256.secret" <<'PY'
import base64, hashlib, hmac, json, sys, time
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
secret = open(sys.argv[1], "rb").read().rstrip(b"\r\n")
head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
claims = {"sub": "schemathesis", "project_id": "schemathesis-project", "roles": ["admin"],
          "iss": "schemathesis-check", "aud": "portcullis", "exp": int(time.time()) + 86400}
body = b64(json.dumps(claims).encode())
sig = b64(hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest())
print(f"{head}.{body}.{sig}")
PY
)

# --- Backends ------------------------------------------------------------------------------------
FAILED=""
PASSED=""
SUMMARIES=""
for BACKEND in $BACKENDS; do
    case "$BACKEND" in
    sqlite)
        URL="sqlite://$WORK/data-sqlite/portcullis.sqlite3"
        ;;
    postgres)
        pg_available_or_skip || continue
        pg_create_db portcullis_schemathesis
        URL=$PG_URL
        ;;
    *)
        echo "schemathesis-check: unknown backend '$BACKEND' in SCHEMATHESIS_CHECK_BACKENDS" >&2
        exit 2
        ;;
    esac
    LOG="$WORK/server-$BACKEND.log"
    server_start "$BIN" "$WORK/data-$BACKEND" "$URL" "$LOG"
    BASE="http://127.0.0.1:$PORT"
    echo
    echo "== portcullis on $BACKEND at $BASE (pid $SERVER_PID); seed $SEED, $MAX_EXAMPLES examples per operation"
    OUT="$REPORTS/$BACKEND"
    rm -rf "$OUT"
    mkdir -p "$OUT"
    set +e
    "$ST" --config-file scripts/schemathesis.toml run "$BASE/v1/openapi.json" \
        --checks all \
        --phases examples,coverage,fuzzing,stateful \
        --seed "$SEED" \
        --max-examples "$MAX_EXAMPLES" \
        --header "Authorization: Bearer $TOKEN" \
        --report junit --report-junit-path "$OUT/junit.xml" \
        --no-color 2>&1 | tee "$OUT/st-output.txt"
    RC=${PIPESTATUS[0]}
    set -e
    SUMMARY=$(grep -E '^=+ .+ in [0-9.]+s =+$' "$OUT/st-output.txt" | tail -1 | tr -s '=' | sed 's/^= //; s/ =$//')
    SUMMARIES="${SUMMARIES}  $BACKEND: ${SUMMARY:-no summary (exit status $RC)}"$'\n'
    if [ "$RC" -eq 0 ]; then
        PASSED="${PASSED}${PASSED:+, }$BACKEND"
    else
        FAILED="${FAILED}${FAILED:+, }$BACKEND"
        if grep -qE '"level":"ERROR"|ERROR ' "$LOG"; then
            echo "--- server errors on $BACKEND (first 20):"
            grep -E '"level":"ERROR"|ERROR ' "$LOG" | head -n 20
        fi
    fi
    server_stop
    pg_drop_db
done

echo
echo "schemathesis-check summary (reports in $REPORTS/):"
printf '%s' "$SUMMARIES"
if [ -n "$FAILED" ]; then
    echo "schemathesis-check: FAILED on: $FAILED"
    exit 1
fi
echo "schemathesis-check: no failures on: ${PASSED:-no backend}"
