-- wrk script for bench/secrets.sh. Environment:
--   BENCH_PROJECT  the X-Project-Id every request carries
--   BENCH_MODE     create: POST /v1/secrets with a small text payload (use the /v1/secrets URL)
--                  read:   GET /v1/secrets/<id>/payload, cycling through the paths in BENCH_PATHS
--   BENCH_PATHS    (read) a file with one payload path per line
-- done() prints one `BENCH ...` line that bench/secrets.sh parses.

wrk.headers["X-Project-Id"] = os.getenv("BENCH_PROJECT")

if os.getenv("BENCH_MODE") == "create" then
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
    wrk.body = '{"name": "bench", "payload": "benchmark payload 0123456789abcdef", "payload_content_type": "text/plain"}'
else
    wrk.headers["Accept"] = "text/plain"
    local paths = {}
    for line in io.lines(os.getenv("BENCH_PATHS")) do
        paths[#paths + 1] = line
    end
    local i = 0
    -- Each thread has its own Lua state; setup() numbers them, so they start apart in the list.
    function init(args)
        i = (thread_number or 0) * math.floor(#paths / 16)
    end
    function request()
        i = i % #paths + 1
        return wrk.format("GET", paths[i])
    end
end

local threads = 0
function setup(thread)
    thread:set("thread_number", threads)
    threads = threads + 1
end

function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format("BENCH requests=%d duration_us=%d p50_us=%.0f p99_us=%.0f errors=%d\n",
        summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
        e.connect + e.read + e.write + e.status + e.timeout))
end
