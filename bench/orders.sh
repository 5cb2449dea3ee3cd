#!/usr/bin/env bash
# Orders throughput and POST->ACTIVE latency, on SQLite and on Postgres (`just bench-orders`).
#
# First measures the raw key-generation rate of portcullis-plugins' KeyGenPlugin on this machine
# (the `keygen_rate` example: one thread, BENCH_KEYGEN_RSA RSA-2048 key pairs and BENCH_KEYGEN_AES
# AES-256 keys per run), with no server running. Then, for each backend, builds and starts
# target/release/portcullis `serve` (API and order workers in one process, default configuration)
# on a loopback port with a fresh data dir (and, for Postgres, a throwaway database), and with
# bench/order_load.py at BENCH_ORDER_CLIENTS closed-loop clients, each of which POSTs an order and
# polls it every BENCH_POLL_MS ms until it is ACTIVE, measures
#   - key orders (aes-256, cbc): BENCH_ORDER_DURATION seconds per run, after a BENCH_WARMUP-second
#     warm-up, and
#   - asymmetric orders (rsa-2048): BENCH_RSA_DURATION seconds per run,
# BENCH_RUNS times each. Orders/s is the orders that went ACTIVE over the wall time from the first
# POST to the last answer; latency is POST to the first GET showing ACTIVE (to within one poll).
# Every figure reported is the median of the runs (taken figure by figure). All orders are in one
# project. The server's peak memory is its VmHWM after both loads.
#
# Prints markdown tables and replaces the section between the markers in BENCHMARKS.md (or
# BENCH_OUT; BENCH_OUT=- writes nothing). Postgres is taken from TEST_POSTGRES_URL (default
# postgres://postgres@127.0.0.1:5432/postgres). With the defaults the whole run takes about 3-4
# minutes after the build.
set -euo pipefail
cd "$(dirname "$0")/.."

CLIENTS=${BENCH_ORDER_CLIENTS:-8}
KEY_DURATION=${BENCH_ORDER_DURATION:-10}
RSA_DURATION=${BENCH_RSA_DURATION:-15}
RUNS=${BENCH_RUNS:-3}
WARMUP=${BENCH_WARMUP:-3}
POLL_MS=${BENCH_POLL_MS:-20}
KEYGEN_RSA=${BENCH_KEYGEN_RSA:-20}
KEYGEN_AES=${BENCH_KEYGEN_AES:-1000000}
BACKENDS=${BENCH_BACKENDS:-sqlite postgres}
OUT=${BENCH_OUT:-BENCHMARKS.md}
COMMAND="$(env | { grep -E '^BENCH_[A-Z_]+=' || true; } | sort | tr '\n' ' ')./bench/orders.sh"

echo "== cargo build --release (portcullis, keygen_rate example)"
cargo build --release -p portcullis-api --bin portcullis
cargo build --release -p portcullis-plugins --example keygen_rate
BIN=$(realpath target/release/portcullis)
KEYGEN=$(realpath target/release/examples/keygen_rate)

. scripts/lib/server.sh
. scripts/lib/bench.sh
WORK=$(mktemp -d "${TMPDIR:-/tmp}/portcullis-bench-orders.XXXXXX")
cleanup() {
    server_stop
    pg_drop_db
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

field() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$2"; }
median() { printf '%s\n' "$@" | sort -g | sed -n "$(( ($# + 1) / 2 ))p"; }

# --- Raw key generation ---------------------------------------------------------------------------
LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== keygen_rate: $RUNS runs of $KEYGEN_RSA RSA-2048 key pairs and $KEYGEN_AES AES-256 keys, one thread"
RSA_RATES=()
AES_RATES=()
for i in $(seq 1 "$RUNS"); do
    OUTPUT=$("$KEYGEN" "$KEYGEN_RSA" "$KEYGEN_AES")
    # keygen_rate prints `rsa-2048: N keys in S s = R keys/s` and `aes-256:  N keys in S s = R keys/s`.
    RSA_RATES+=("$(sed -n 's/^rsa-2048: .* = \([0-9.]*\) keys\/s$/\1/p' <<<"$OUTPUT")")
    AES_RATES+=("$(sed -n 's/^aes-256: .* = \([0-9.]*\) keys\/s$/\1/p' <<<"$OUTPUT")")
    if [ -z "${RSA_RATES[-1]}" ] || [ -z "${AES_RATES[-1]}" ]; then
        echo "bench: could not read keygen_rate's output:" >&2
        printf '%s\n' "$OUTPUT" >&2
        exit 1
    fi
    echo "   run $i: rsa-2048 ${RSA_RATES[-1]} keys/s, aes-256 ${AES_RATES[-1]} keys/s"
done
RSA_RATE=$(median "${RSA_RATES[@]}")
AES_RATE=$(median "${AES_RATES[@]}")

# --- Orders ---------------------------------------------------------------------------------------
# load TYPE SECONDS: one order_load.py run; prints its `BENCH ...` line, and to stderr its first
# error if it had one. Fails if order_load.py does.
load() {
    local out
    if ! out=$(python3 bench/order_load.py --base "$BASE" --project "$PROJECT" --type "$1" \
        --clients "$CLIENTS" --duration "$2" --poll-ms "$POLL_MS" 2>"$WORK/load.err"); then
        echo "bench: bench/order_load.py failed:" >&2
        cat "$WORK/load.err" >&2
        return 1
    fi
    { grep '^order_load: first error' "$WORK/load.err" || true; } | sed 's/^/   /' >&2
    grep '^BENCH ' <<<"$out"
}

# measure LABEL TYPE SECONDS WARMUP: warm-up (if WARMUP > 0), then RUNS runs; appends a table row
# to ROWS.
measure() {
    local label=$1 type=$2 secs=$3 warmup=$4 line rate=() p50=() p99=() errors=0 i
    echo "== $BACKEND $type orders: ${warmup}s warm-up, then $RUNS x ${secs}s at $CLIENTS clients"
    if [ "$warmup" -gt 0 ]; then
        line=$(load "$type" "$warmup") || exit 1
        [ "$(field errors "$line")" -eq 0 ] || { echo "bench: errors in the warm-up: $line" >&2; exit 1; }
    fi
    for i in $(seq 1 "$RUNS"); do
        line=$(load "$type" "$secs") || exit 1
        rate+=("$(awk -v n="$(field orders "$line")" -v us="$(field duration_us "$line")" 'BEGIN { printf "%.1f", (us > 0 ? n / (us / 1e6) : 0) }')")
        p50+=("$(awk -v us="$(field p50_us "$line")" 'BEGIN { printf "%.1f", us / 1000 }')")
        p99+=("$(awk -v us="$(field p99_us "$line")" 'BEGIN { printf "%.1f", us / 1000 }')")
        errors=$(( errors + $(field errors "$line") ))
        echo "   run $i: $(field orders "$line") orders, ${rate[-1]} orders/s, p50 ${p50[-1]} ms, p99 ${p99[-1]} ms, errors $(field errors "$line")"
    done
    TOTAL_ERRORS=$(( TOTAL_ERRORS + errors ))
    ROWS+=("| $BACKEND_NAME | $label | $(median "${rate[@]}") | $(median "${p50[@]}") | $(median "${p99[@]}") | @PEAK@ | $errors |")
}

ROWS=()
TOTAL_ERRORS=0
for BACKEND in $BACKENDS; do
    case "$BACKEND" in
    sqlite)
        BACKEND_NAME=SQLite
        URL="sqlite://$WORK/data-sqlite/portcullis.sqlite3"
        ;;
    postgres)
        BACKEND_NAME=PostgreSQL
        pg_reachable || { echo "bench: no Postgres at $PG_ADMIN_URL: start it with 'just pg-up', or set BENCH_BACKENDS=sqlite" >&2; exit 1; }
        pg_create_db portcullis_bench_orders
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
    echo "== $BACKEND: portcullis serve at $BASE (pid $SERVER_PID)"

    measure "key (aes-256)" key "$KEY_DURATION" "$WARMUP"
    measure "asymmetric (rsa-2048)" asymmetric "$RSA_DURATION" 0

    PEAK=$(awk '/^VmHWM:/ { printf "%.0f MiB", $2 / 1024 }' "/proc/$SERVER_PID/status")
    ROWS=("${ROWS[@]//| @PEAK@ |/| $PEAK |}")
    server_stop
    pg_drop_db
done

TABLE=$(
    echo "| backend | order type | orders/s | p50 POST→ACTIVE (ms) | p99 POST→ACTIVE (ms) | server peak RSS | errors |"
    echo "|---|---|---:|---:|---:|---:|---:|"
    printf '%s\n' "${ROWS[@]}"
)
KEYGEN_TABLE=$(
    echo "| raw key generation (\`keygen_rate\` example, one thread, no server running) | keys/s |"
    echo "|---|---:|"
    echo "| RSA-2048 key pair | $RSA_RATE |"
    echo "| AES-256 key | $AES_RATE |"
)
echo
echo "$TABLE"
echo
echo "$KEYGEN_TABLE"

if [ "$TOTAL_ERRORS" -ne 0 ]; then
    echo "bench: $TOTAL_ERRORS order(s) failed (non-2xx, connection errors, ERROR or stuck PENDING): the figures are not valid; $OUT left as it was" >&2
    exit 1
fi
[ "$OUT" = "-" ] && exit 0

{
    echo "## Orders (\`bench/orders.sh\`)"
    echo
    echo "$TABLE"
    echo
    echo "$KEYGEN_TABLE"
    echo
    bench_provenance "$LOADAVG" "The load client and the server share the machine."
    echo "- Command: \`$COMMAND\` (\`just bench-orders\`; \`just bench\` runs it after \`./bench/secrets.sh\`)."
    echo "- Method: release build of \`portcullis serve\` (API and order workers in one process), default configuration (worker_concurrency 4, RUST_LOG=info, logs to a file), one project. \`bench/order_load.py\`: $CLIENTS closed-loop clients, each POSTs an order and polls \`GET /v1/orders/{id}\` every ${POLL_MS} ms until it is ACTIVE; latency is POST to the first ACTIVE answer (to within one poll), orders/s is ACTIVE orders over the wall time from the first POST to the last answer. Key orders: ${WARMUP}s warm-up, then $RUNS runs of ${KEY_DURATION}s; rsa orders: $RUNS runs of ${RSA_DURATION}s (clients stop starting orders then and finish those in hand); each figure the median of the runs. Raw key generation: median of $RUNS runs of \`keygen_rate $KEYGEN_RSA $KEYGEN_AES\`, single-threaded, so the server's ceiling for rsa orders is about min(worker_concurrency, CPUs) times that rate, less what the client and the database take."
} >"$WORK/section.md"

bench_write_section "$OUT" bench/orders.sh "$WORK/section.md"
