#!/usr/bin/env bash
# Secrets API throughput and latency, on SQLite and on Postgres (`just bench`).
#
# For each backend: builds and starts target/release/portcullis on a loopback port with a fresh data
# dir (and, for Postgres, a throwaway database), then with wrk at BENCH_CLIENTS concurrent
# connections measures
#   - create: POST /v1/secrets (a 34-byte text payload), and
#   - read:   GET /v1/secrets/<id>/payload, cycling through BENCH_READ_SECRETS stored secrets,
# each after a BENCH_WARMUP-second warm-up, BENCH_RUNS times for BENCH_DURATION seconds. Every
# figure reported is the median of the runs (taken figure by figure). The server's peak memory is
# its VmHWM after both loads. All requests are in one project.
#
# Prints a markdown table and replaces the section between the markers in BENCHMARKS.md (or
# BENCH_OUT; BENCH_OUT=- writes nothing). Installs wrk with apt-get if it is missing. Postgres is
# taken from TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres).
set -euo pipefail
cd "$(dirname "$0")/.."

CLIENTS=${BENCH_CLIENTS:-16}
DURATION=${BENCH_DURATION:-15}
RUNS=${BENCH_RUNS:-3}
WARMUP=${BENCH_WARMUP:-3}
READ_SECRETS=${BENCH_READ_SECRETS:-100}
BACKENDS=${BENCH_BACKENDS:-sqlite postgres}
OUT=${BENCH_OUT:-BENCHMARKS.md}
THREADS=$(( $(nproc) < CLIENTS ? $(nproc) : CLIENTS ))
COMMAND="$(env | { grep -E '^BENCH_[A-Z_]+=' || true; } | sort | tr '\n' ' ')./bench/secrets.sh"

if ! command -v wrk >/dev/null 2>&1; then
    echo "== wrk is missing: installing it with apt-get"
    as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi; }
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk
fi

echo "== cargo build --release"
cargo build --release -p portcullis-api --bin portcullis
BIN=$(realpath target/release/portcullis)

. scripts/lib/server.sh
. scripts/lib/bench.sh
WORK=$(mktemp -d "${TMPDIR:-/tmp}/portcullis-bench.XXXXXX")
cleanup() {
    server_stop
    pg_drop_db
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# load MODE URL SECONDS: one wrk run; prints its `BENCH ...` line.
load() {
    BENCH_MODE=$1 BENCH_PROJECT=$PROJECT BENCH_PATHS="$WORK/paths" \
        wrk -t "$THREADS" -c "$CLIENTS" -d "${3}s" --timeout 10s -s bench/wrk.lua "$2" | grep '^BENCH '
}
field() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$2"; }
median() { printf '%s\n' "$@" | sort -g | sed -n "$(( ($# + 1) / 2 ))p"; }

# measure LABEL MODE URL: warm-up, then RUNS runs; appends a table row to ROWS.
measure() {
    local label=$1 mode=$2 url=$3 line rps=() p50=() p99=() errors=0 i
    echo "== $BACKEND $mode: warm-up ${WARMUP}s, then $RUNS x ${DURATION}s at $CLIENTS clients"
    load "$mode" "$url" "$WARMUP" >/dev/null
    for i in $(seq 1 "$RUNS"); do
        line=$(load "$mode" "$url" "$DURATION")
        rps+=("$(awk -v n="$(field requests "$line")" -v us="$(field duration_us "$line")" 'BEGIN { printf "%.0f", n / (us / 1e6) }')")
        p50+=("$(awk -v us="$(field p50_us "$line")" 'BEGIN { printf "%.2f", us / 1000 }')")
        p99+=("$(awk -v us="$(field p99_us "$line")" 'BEGIN { printf "%.2f", us / 1000 }')")
        errors=$(( errors + $(field errors "$line") ))
        echo "   run $i: ${rps[-1]} req/s, p50 ${p50[-1]} ms, p99 ${p99[-1]} ms, errors $(field errors "$line")"
    done
    TOTAL_ERRORS=$(( TOTAL_ERRORS + errors ))
    ROWS+=("| $BACKEND_NAME | $label | $(median "${rps[@]}") | $(median "${p50[@]}") | $(median "${p99[@]}") | @PEAK@ | $errors |")
}

ROWS=()
TOTAL_ERRORS=0
LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
for BACKEND in $BACKENDS; do
    case "$BACKEND" in
    sqlite)
        BACKEND_NAME=SQLite
        URL="sqlite://$WORK/data-sqlite/portcullis.sqlite3"
        ;;
    postgres)
        BACKEND_NAME=PostgreSQL
        pg_reachable || { echo "bench: no Postgres at $PG_ADMIN_URL: start it with 'just pg-up', or set BENCH_BACKENDS=sqlite" >&2; exit 1; }
        pg_create_db portcullis_bench
        URL=$PG_URL
        ;;
    *)
        echo "bench: unknown backend '$BACKEND' in BENCH_BACKENDS" >&2
        exit 2
        ;;
    esac
    server_start "$BIN" "$WORK/data-$BACKEND" "$URL" "$WORK/server-$BACKEND.log"
    BASE="http://127.0.0.1:$PORT"
    PROJECT=$(new_uuid)
    echo "== $BACKEND: portcullis at $BASE (pid $SERVER_PID)"

    measure "create secret (\`POST /v1/secrets\`)" create "$BASE/v1/secrets"

    : >"$WORK/paths"
    for _ in $(seq 1 "$READ_SECRETS"); do
        curl -sSf -w '\n' -X POST "$BASE/v1/secrets" -H "X-Project-Id: $PROJECT" -H 'Content-Type: application/json' \
            -d '{"name": "bench-read", "payload": "benchmark payload 0123456789abcdef", "payload_content_type": "text/plain"}' |
            sed -n 's|.*"secret_ref":"http://[^/]*\(/v1/secrets/[0-9a-f-]*\)".*|\1/payload|p' >>"$WORK/paths"
    done
    [ "$(wc -l <"$WORK/paths")" -eq "$READ_SECRETS" ] || { echo "bench: could not create the secrets to read" >&2; exit 1; }
    measure "read payload (\`GET /v1/secrets/{id}/payload\`, $READ_SECRETS secrets)" read "$BASE"

    PEAK=$(awk '/^VmHWM:/ { printf "%.0f MiB", $2 / 1024 }' "/proc/$SERVER_PID/status")
    ROWS=("${ROWS[@]//| @PEAK@ |/| $PEAK |}")
    server_stop
    pg_drop_db
done

TABLE=$(
    echo "| backend | operation | req/s | p50 (ms) | p99 (ms) | server peak RSS | errors |"
    echo "|---|---|---:|---:|---:|---:|---:|"
    printf '%s\n' "${ROWS[@]}"
)
echo
echo "$TABLE"

if [ "$TOTAL_ERRORS" -ne 0 ]; then
    echo "bench: $TOTAL_ERRORS request(s) failed (non-2xx or socket errors): the figures are not valid; $OUT left as it was" >&2
    exit 1
fi
[ "$OUT" = "-" ] && exit 0

{
    echo "## Secrets API (\`bench/secrets.sh\`)"
    echo
    echo "$TABLE"
    echo
    bench_provenance "$LOADAVG" "wrk and the server share the machine."
    echo "- Command: \`$COMMAND\` (\`just bench\` runs \`./bench/secrets.sh\`)."
    echo "- Method: release build, default configuration (RUST_LOG=info, logs to a file), one project; wrk $THREADS threads, $CLIENTS connections; ${WARMUP}s warm-up, then $RUNS runs of ${DURATION}s per load, each figure the median of the runs. Reads cycle through $READ_SECRETS secrets created beforehand (34-byte text payloads). Peak RSS is the server's VmHWM after both loads on that backend."
} >"$WORK/section.md"

bench_write_section "$OUT" bench/secrets.sh "$WORK/section.md"
