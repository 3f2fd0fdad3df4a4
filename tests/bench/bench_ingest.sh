#!/usr/bin/env bash
# bench_ingest.sh - ingest throughput of one server on loopback (`make bench-ingest`):
# wrk pushes a real ~2.6 KB gzipped pprof profile (tests/fixtures/shop-n25.pb.gz) as
# 2,000 simulated instances; in the same run wrk measures GET /healthz of the same
# server (the HTTP layer alone). Prints pushes/s, p50/p99 latency, commits per push from
# /metrics, and the ratio ingest/healthz. Goals: >= 2,000 stored pushes/s, ratio >= 0.2,
# zero non-2xx. Knobs: SECONDS_INGEST, SECONDS_HEALTHZ, CONNECTIONS, THREADS (wrk's),
# HTTP_THREADS (the server's `http.threads`: 0 = thread per connection), LF_BIN.
set -euo pipefail
cd "$(dirname "$0")/../.."

LF_BIN=${LF_BIN:-bin/leakfleet}
SECONDS_INGEST=${SECONDS_INGEST:-5}
SECONDS_HEALTHZ=${SECONDS_HEALTHZ:-3}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
HTTP_THREADS=${HTTP_THREADS:-0}
PROFILE=tests/fixtures/shop-n25.pb.gz
command -v wrk >/dev/null || { echo "bench-ingest: wrk is missing (tools/deps.sh bench)" >&2; exit 1; }

tmp=$(mktemp -d)
pid=
cleanup() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        wait "$pid" || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

cat >"$tmp/config.yaml" <<YAML
repo:
  roots: ["/srv/build/shop/", "github.com/acme/shop/"]
tokens:
  - token: "bench-secret"
    services: ["bench"]
http:
  threads: $HTTP_THREADS
YAML
: >"$tmp/server.log"
"$LF_BIN" serve --config "$tmp/config.yaml" --listen 127.0.0.1:0 --db "$tmp/bench.db" \
    --log-level info 2>"$tmp/server.log" &
pid=$!
port=
for _ in $(seq 1 100); do
    port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$tmp/server.log")
    [ -n "$port" ] && break
    sleep 0.05
done
[ -n "$port" ] || { echo "bench-ingest: server did not start" >&2; cat "$tmp/server.log" >&2; exit 1; }
url="http://127.0.0.1:$port"

metric() { # metric NAME: one sample's value from /metrics
    curl -s "$url/metrics" | awk -v n="$1" '$1 == n {print $2}'
}

echo "bench-ingest: $(nproc) cores, http.threads $HTTP_THREADS, wrk -t$THREADS -c$CONNECTIONS, profile $PROFILE ($(stat -c %s "$PROFILE") bytes), 2000 instances"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"${SECONDS_HEALTHZ}s" -s tests/bench/healthz.lua \
    "$url/healthz" >"$tmp/healthz.out"
# warm up: create the service, locations and a first profile for every instance
wrk -t1 -c8 -d1s -s tests/bench/ingest.lua "$url" -- "$PROFILE" 2000 >/dev/null
stored0=$(metric 'leakfleet_pushes_total{result="stored"}')
commits0=$(metric leakfleet_writer_commits_total)
wrk -t"$THREADS" -c"$CONNECTIONS" -d"${SECONDS_INGEST}s" -s tests/bench/ingest.lua \
    "$url" -- "$PROFILE" 2000 >"$tmp/ingest.out"
stored1=$(metric 'leakfleet_pushes_total{result="stored"}')
commits1=$(metric leakfleet_writer_commits_total)
batch=$(metric leakfleet_writer_largest_batch)
dbsize=$(metric leakfleet_database_bytes)

field() { grep '^RESULT' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
h_rps=$(field "$tmp/healthz.out" rps)
i_rps=$(field "$tmp/ingest.out" rps)
i_secs=$(field "$tmp/ingest.out" seconds)
i_bad=$(field "$tmp/ingest.out" non2xx)
stored=$((stored1 - stored0))
commits=$((commits1 - commits0))

printf 'healthz: %8.0f req/s   p50 %s ms  p99 %s ms  non-2xx %s\n' "$h_rps" \
    "$(field "$tmp/healthz.out" p50_ms)" "$(field "$tmp/healthz.out" p99_ms)" \
    "$(field "$tmp/healthz.out" non2xx)"
printf 'ingest:  %8.0f pushes/s p50 %s ms  p99 %s ms  non-2xx %s\n' "$i_rps" \
    "$(field "$tmp/ingest.out" p50_ms)" "$(field "$tmp/ingest.out" p99_ms)" "$i_bad"
awk -v s="$stored" -v t="$i_secs" -v c="$commits" -v b="$batch" -v d="$dbsize" 'BEGIN {
    printf "stored:  %8.0f pushes/s (%d pushes), %d commits = %.3f commits per push, largest batch %d, database %.1f MB\n",
        s / t, s, c, (s > 0 ? c / s : 0), b, d / 1e6 }'
awk -v i="$i_rps" -v h="$h_rps" 'BEGIN { printf "ratio ingest/healthz: %.3f (goal >= 0.2)\n", i / h }'
ok=1
awk -v s="$stored" -v t="$i_secs" 'BEGIN { exit !(s / t >= 2000) }' || { echo "bench-ingest: below 2,000 stored pushes/s"; ok=0; }
awk -v i="$i_rps" -v h="$h_rps" 'BEGIN { exit !(i / h >= 0.2) }' || { echo "bench-ingest: ratio ingest/healthz below 0.2"; ok=0; }
[ "$i_bad" = 0 ] || { echo "bench-ingest: $i_bad non-2xx answers"; ok=0; }
if [ "$ok" = 1 ]; then echo "bench-ingest: every goal met"; else echo "bench-ingest: goals NOT all met"; fi
