-- healthz.lua - wrk script for tests/bench/bench_ingest.sh: GET /healthz, printing the
-- same RESULT line as ingest.lua.
function done(summary, latency, requests)
    local seconds = summary.duration / 1e6
    local non2xx = summary.errors.status + summary.errors.connect + summary.errors.read
        + summary.errors.write + summary.errors.timeout
    io.write(string.format("RESULT requests=%d seconds=%.3f rps=%.1f p50_ms=%.2f p99_ms=%.2f non2xx=%d\n",
        summary.requests, seconds, summary.requests / seconds,
        latency:percentile(50) / 1000, latency:percentile(99) / 1000, non2xx))
end
