#!/usr/bin/env bash
# Load soak on Postgres (`just soak`): a benchmark, not a test.
#
# Builds and starts target/release/portcullis `serve` (API and order workers in one process,
# default configuration but for a job retention of SOAK_RETENTION_SECS, so that retention is seen
# working within the run) on a throwaway Postgres database, and runs bench/soak_load.py at
# SOAK_CLIENTS closed-loop clients of mixed traffic (secret creates, reads, lists, key orders,
# deletes) for SOAK_DURATION seconds. Every SOAK_INTERVAL seconds it records the interval's
# throughput, p50/p99 request latency and errors, with the server's RSS, its open file
# descriptors, its connections to Postgres (pg_stat_activity) and the jobs table's rows.
#
# Passes when there were no errors and the RSS at the end is within 10% of the RSS after the first
# interval (warm caches and pools). Prints a markdown table and replaces the section between the
# markers in BENCHMARKS.md (or SOAK_OUT; SOAK_OUT=- writes nothing) — on a pass only.
# Postgres is TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres).
# Defaults: 16 clients, 600 s, 60 s intervals, 60 s retention: about 11 minutes after the build.
#
# Production Postgres runs autovacuum; the project machines' Postgres has it off (conf.d/90-ci.conf).
# Without it the soak's churn (deletes, payload claims, the jobs table) piles up dead rows and
# stale statistics, and a run measures that (throughput fell 1174 -> 314 req/s over ten minutes,
# the list's count running as a bitmap heap scan planned for 67 rows and reading 32,000). So when
# the server's autovacuum is off, a sidecar stands in for it: VACUUM (ANALYZE) of the soak
# database every SOAK_VACUUM_SECS (default 30; 0: none). The figures say which was used.
set -euo pipefail
cd "$(dirname "$0")/.."

CLIENTS=${SOAK_CLIENTS:-16}
DURATION=${SOAK_DURATION:-600}
INTERVAL=${SOAK_INTERVAL:-60}
RETENTION=${SOAK_RETENTION_SECS:-60}
VACUUM_SECS=${SOAK_VACUUM_SECS:-30}
OUT=${SOAK_OUT:-BENCHMARKS.md}
COMMAND="$(env | { grep -E '^SOAK_[A-Z_]+=' || true; } | sort | tr '\n' ' ')./bench/soak.sh"

echo "== cargo build --release (portcullis)"
cargo build --release -p portcullis-api --bin portcullis
BIN=$(realpath target/release/portcullis)

. scripts/lib/server.sh
. scripts/lib/bench.sh
WORK=$(mktemp -d "${TMPDIR:-/tmp}/portcullis-soak.XXXXXX")
cleanup() {
    [ -n "${SAMPLER_PID:-}" ] && kill "$SAMPLER_PID" 2>/dev/null || true
    [ -n "${VACUUM_PID:-}" ] && kill "$VACUUM_PID" 2>/dev/null || true
    server_stop
    pg_drop_db
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pg_reachable || { echo "soak: no Postgres at $PG_ADMIN_URL: start it with 'just pg-up'" >&2; exit 1; }
pg_create_db portcullis_soak
LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
export PORTCULLIS_JOB_RETENTION_SECS=$RETENTION
server_start "$BIN" "$WORK/data" "$PG_URL" "$WORK/server.log"
BASE="http://127.0.0.1:$PORT"
echo "== portcullis serve at $BASE (pid $SERVER_PID), database $PG_DB, job retention ${RETENTION}s"

# sample: one line of the server's resources: rss_kib fds pg_conns jobs_rows
sample() {
    local rss fds conns jobs
    rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status")
    fds=$(find "/proc/$SERVER_PID/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
    conns=$(psql "$PG_ADMIN_URL" -qAt -c "SELECT count(*) FROM pg_stat_activity WHERE datname = '$PG_DB' AND application_name <> 'soak-vacuum'")
    jobs=$(psql "$PG_URL" -qAt -c "SELECT count(*) FROM apalis.jobs" 2>/dev/null || echo "?")
    echo "$rss $fds $conns $jobs"
}

AUTOVACUUM=$(psql "$PG_ADMIN_URL" -qAt -c "SHOW autovacuum")
if [ "$AUTOVACUUM" = on ]; then
    VACUUM_NOTE="the server's autovacuum (on)."
elif [ "$VACUUM_SECS" -gt 0 ]; then
    VACUUM_NOTE="the server has autovacuum off, so the script ran VACUUM (ANALYZE) on the soak database every ${VACUUM_SECS}s in its place."
    (while sleep "$VACUUM_SECS"; do PGAPPNAME=soak-vacuum psql "$PG_URL" -qc "VACUUM (ANALYZE)" >/dev/null 2>&1 || true; done) &
    VACUUM_PID=$!
else
    VACUUM_NOTE="none: the server has autovacuum off and SOAK_VACUUM_SECS=0, so dead rows and stale statistics grow through the run."
fi
echo "== vacuum: $VACUUM_NOTE"

echo "idle $(sample)" >"$WORK/samples"
# Samples at the same ticks as soak_load.py's report lines (both start now).
(
    for i in $(seq 1 $(( (DURATION + INTERVAL - 1) / INTERVAL ))); do
        sleep "$INTERVAL"
        echo "$i $(sample)" >>"$WORK/samples"
    done
) &
SAMPLER_PID=$!

echo "== $CLIENTS clients of mixed traffic for ${DURATION}s, a line every ${INTERVAL}s"
python3 bench/soak_load.py --base "$BASE" --project "$(new_uuid)" --clients "$CLIENTS" \
    --duration "$DURATION" --interval "$INTERVAL" >"$WORK/load.out" 2> >(tee "$WORK/load.err" >&2) &
LOAD_PID=$!
tail -f "$WORK/load.out" --pid "$LOAD_PID" 2>/dev/null | grep --line-buffered '^SOAK' || true
wait "$LOAD_PID" || { echo "soak: bench/soak_load.py failed" >&2; exit 1; }
wait "$SAMPLER_PID" 2>/dev/null || true
SAMPLER_PID=""
[ -n "${VACUUM_PID:-}" ] && kill "$VACUUM_PID" 2>/dev/null || true
echo "end $(sample)" >>"$WORK/samples"

field() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<" $2"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
ms() { awk -v us="$1" 'BEGIN { printf "%.1f", us / 1000 }'; }

ROWS=()
i=0
while read -r line; do
    i=$((i + 1))
    read -r _ rss fds conns jobs < <(grep "^$i " "$WORK/samples" || echo "$i 0 ? ? ?")
    t=$(field t "$line")
    ROWS+=("| $t | $(awk -v n="$(field requests "$line")" -v s="$INTERVAL" 'BEGIN { printf "%.0f", n / s }') | $(ms "$(field p50_us "$line")") | $(ms "$(field p99_us "$line")") | $(field errors "$line") | $(mib "$rss") | $fds | $conns | $jobs |")
done < <(grep '^SOAK t=' "$WORK/load.out")
TOTAL=$(grep '^SOAK_TOTAL' "$WORK/load.out")
read -r _ IDLE_RSS _ _ _ < <(grep '^idle ' "$WORK/samples")
read -r _ FIRST_RSS _ _ _ < <(grep '^1 ' "$WORK/samples")
read -r _ END_RSS END_FDS END_CONNS END_JOBS < <(grep '^end ' "$WORK/samples")
ERRORS=$(field errors "$TOTAL")
GROWTH=$(awk -v a="$FIRST_RSS" -v b="$END_RSS" 'BEGIN { printf "%.1f", (b - a) * 100 / a }')
ORDERS_DONE=$(psql "$PG_URL" -qAt -c "SELECT count(*) FROM orders WHERE status = 'ACTIVE'")
ORDERS_OTHER=$(psql "$PG_URL" -qAt -c "SELECT count(*) FROM orders WHERE status <> 'ACTIVE'")

TABLE=$(
    echo "| t (s) | requests/s | p50 (ms) | p99 (ms) | errors | server RSS (MiB) | server fds | Postgres connections | jobs table rows |"
    echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    printf '%s\n' "${ROWS[@]}"
)
SUMMARY=$(
    echo "- Whole run: $(field requests "$TOTAL") requests ($(field ops "$TOTAL") operations) in ${DURATION}s = $(awk -v n="$(field requests "$TOTAL")" -v s="$DURATION" 'BEGIN { printf "%.0f", n / s }') requests/s; p50 $(ms "$(field p50_us "$TOTAL")") ms, p99 $(ms "$(field p99_us "$TOTAL")") ms; **$ERRORS errors**."
    echo "- p99 by operation (ms): create $(ms "$(field create_p99_us "$TOTAL")"), read $(ms "$(field read_p99_us "$TOTAL")"), list $(ms "$(field list_p99_us "$TOTAL")"), order $(ms "$(field order_p99_us "$TOTAL")"), delete $(ms "$(field delete_p99_us "$TOTAL")")."
    echo "- Server RSS: $(mib "$IDLE_RSS") MiB idle before the load, $(mib "$FIRST_RSS") MiB after the first interval, $(mib "$END_RSS") MiB at the end: **${GROWTH}% growth** (limit 10%)."
    echo "- At the end: $END_FDS open fds, $END_CONNS Postgres connections, $END_JOBS rows in apalis.jobs (retention ${RETENTION}s); orders ACTIVE $ORDERS_DONE, other $ORDERS_OTHER."
)
echo
echo "$TABLE"
echo
echo "$SUMMARY"

FAIL=""
[ "$ERRORS" -eq 0 ] || FAIL="$ERRORS errors"
awk -v g="$GROWTH" 'BEGIN { exit !(g > 10) }' && FAIL="${FAIL:+$FAIL; }RSS grew ${GROWTH}%"
[ "$ORDERS_OTHER" -eq 0 ] || FAIL="${FAIL:+$FAIL; }$ORDERS_OTHER orders not ACTIVE"
if [ -n "$FAIL" ]; then
    echo "soak: FAILED: $FAIL; $OUT left as it was. Server log: last lines follow." >&2
    tail -n 20 "$WORK/server.log" >&2
    exit 1
fi
[ "$OUT" = "-" ] && exit 0

{
    echo "## Soak (\`bench/soak.sh\`, Postgres)"
    echo
    echo "$TABLE"
    echo
    echo "$SUMMARY"
    bench_provenance "$LOADAVG" "The load client, the server and Postgres share the machine."
    echo "- Command: \`$COMMAND\` (\`just soak\`)."
    echo "- Method: release build of \`portcullis serve\` on Postgres, default configuration but \`job_retention_secs = $RETENTION\`. \`bench/soak_load.py\`: $CLIENTS closed-loop clients, each repeating a random operation (create 30%, read 30% (metadata and payload, checked), list 15%, key order polled to ACTIVE every 50 ms 10%, delete then 404 check 15%). Each row is one ${INTERVAL}s interval: requests/s, latency per HTTP request, and the server's resources sampled at its end."
    echo "- Vacuum: $VACUUM_NOTE"
} >"$WORK/section.md"
bench_write_section "$OUT" bench/soak.sh "$WORK/section.md"
