-- ingest.lua - wrk script for tests/bench/bench_ingest.sh: POSTs one real pprof profile
-- (the file named by the first script argument) as many simulated instances of one
-- service, and prints requests/s, p50/p99 latency and non-2xx answers at the end.
-- Every instance's request is formatted once, in init(): like the static GET of
-- healthz.lua, sending one then costs wrk no string building, so the load generator
-- takes as little of the shared cores in both measurements.
local body
local counter = 0
local instances = 2000
local thread_id = 0
local threads = {}
local requests = {}

function setup(thread)
    thread:set("tid", #threads)
    table.insert(threads, thread)
end

function init(args)
    local f = assert(io.open(args[1], "rb"))
    body = f:read("*a")
    f:close()
    instances = tonumber(args[2] or "2000")
    thread_id = tid or 0
    wrk.method = "POST"
    wrk.body = body
    wrk.headers["Authorization"] = "Bearer bench-secret"
    wrk.headers["Content-Type"] = "application/octet-stream"
    for instance = 0, instances - 1 do
        requests[instance + 1] =
            wrk.format(nil, "/api/v1/profiles?service=bench&instance=host-" .. instance)
    end
end

function request()
    counter = counter + 1
    return requests[(thread_id * 7919 + counter) % instances + 1]
end

function done(summary, latency, requests)
    local seconds = summary.duration / 1e6
    local non2xx = summary.errors.status + summary.errors.connect + summary.errors.read
        + summary.errors.write + summary.errors.timeout
    io.write(string.format("RESULT requests=%d seconds=%.3f rps=%.1f p50_ms=%.2f p99_ms=%.2f non2xx=%d\n",
        summary.requests, seconds, summary.requests / seconds,
        latency:percentile(50) / 1000, latency:percentile(99) / 1000, non2xx))
end
