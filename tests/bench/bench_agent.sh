#!/usr/bin/env bash
# bench_agent.sh - the agent's footprint: leakfleet-agent scrapes the leaky Go service
# (tests/goleaky, 10,000 leaked goroutines plus its pool) every second and pushes to the
# real server; from /proc it reports the agent's RSS (now and peak) and its CPU time per
# scrape, for pprof (the default) and debug=2 (the expensive, gzipped-by-the-agent text),
# and the CPU it uses while idle between scrapes; then 50 targets found through a file_sd
# file (the same service as 50 instances) scraped every 5 s, and the shared libraries
# the agent loads. Prints figures; asserts only that the agent pushed what it scraped.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/goleaky/lib.sh

AGENT=${AGENT:-bin/leakfleet-agent}
LF=${LEAKFLEET:-bin/leakfleet}
SECS=${BENCH_AGENT_SECONDS:-15}
PER_KIND=1250 # x 8 kinds = 10,000 leaked goroutines

die() { echo "bench_agent: $*" >&2; exit 1; }
[ -x "$AGENT" ] || die "$AGENT is not built (make)"
"$LF" serve --help >/dev/null 2>&1 || die "$LF has no working 'serve' command (make)"
[ -x build/goleaky/leaky ] || tests/goleaky/build.sh
[ -x build/goleaky/leaky ] || die "the Go fixture service is not built (needs golang-go)"

tmp=$(mktemp -d)
SERVER_PID=
AGENT_PID=
cleanup() {
    [ -n "$AGENT_PID" ] && kill -KILL "$AGENT_PID" 2>/dev/null || true
    [ -n "$SERVER_PID" ] && kill -KILL "$SERVER_PID" 2>/dev/null || true
    leaky_stop
    rm -rf "$tmp"
}
trap cleanup EXIT

leaky_start "$tmp" build/goleaky/leaky -start "$PER_KIND" -leak-rate 0 || die "leaky did not start"
leaky_wait_ready 30 || die "leaky not ready"
cat >"$tmp/server.yaml" <<YAML
tokens:
  - token: "bench-token"
    services: ["bench"]
YAML
"$LF" serve --config "$tmp/server.yaml" --listen 127.0.0.1:0 --db "$tmp/lf.db" 2>"$tmp/server.log" &
SERVER_PID=$!
port=
for _ in $(seq 1 200); do
    port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$tmp/server.log" | tail -n 1)
    [ -n "$port" ] && break
    sleep 0.05
done
[ -n "$port" ] || die "server did not start: $(tail -n 3 "$tmp/server.log")"
SERVER=http://127.0.0.1:$port
goroutines=$(curl -fsS "$LEAKY_URL/debug/pprof/goroutine?debug=1" | sed -n '1s/.*total //p')

# cpu_ns PID: nanoseconds PID has run on a CPU (all threads; finer than utime's ticks).
cpu_ns() { cat /proc/"$1"/task/*/schedstat | awk '{ s += $1 } END { printf "%d", s }'; }
# kib PID FIELD: a kB field of /proc/PID/status (VmRSS, VmHWM) or, for Pss and
# Private_Dirty (what the agent itself costs, shared libraries apart), of smaps_rollup.
kib() {
    case $2 in
    Vm*) sed -n "s/^$2:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$1/status" ;;
    *) sed -n "s/^$2:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$1/smaps_rollup" ;;
    esac
}

# run FORMAT INTERVAL SECONDS: runs the agent, prints one line of figures.
run() {
    local format=$1 interval=$2 secs=$3 log=$tmp/agent-$1-$2.log
    rm -rf "$tmp/spool"
    "$AGENT" --server "$SERVER" --token bench-token --service bench --instance "bench-$format" \
        --target "$LEAKY_URL" --format "$format" --interval "$interval" --spool "$tmp/spool" \
        --log-level debug 2>"$log" &
    AGENT_PID=$!
    sleep 1.5 # start-up and the first scrape, outside the measured window
    local t0 n0 t1 n1
    t0=$(cpu_ns "$AGENT_PID")
    n0=$(grep -c 'level=debug msg="pushed ' "$log" || true)
    sleep "$secs"
    t1=$(cpu_ns "$AGENT_PID")
    n1=$(grep -c 'level=debug msg="pushed ' "$log" || true)
    local rss hwm pss dirty bytes
    rss=$(kib "$AGENT_PID" VmRSS)
    hwm=$(kib "$AGENT_PID" VmHWM)
    pss=$(kib "$AGENT_PID" Pss)
    dirty=$(kib "$AGENT_PID" Private_Dirty)
    bytes=$(sed -n 's/.*level=debug msg="scraped .*: \([0-9]*\) bytes.*/\1/p' "$log" | tail -n 1)
    kill -TERM "$AGENT_PID"
    wait "$AGENT_PID" || die "agent exit status $? ($format)"
    AGENT_PID=
    local scraped pushed left
    scraped=$(grep -c 'level=debug msg="scraped ' "$log" || true)
    pushed=$(grep -c 'level=debug msg="pushed ' "$log" || true)
    left=$(find "$tmp/spool" -maxdepth 1 -name '[0-9]*.prof' | wc -l)
    [ "$scraped" -eq $((pushed + left)) ] ||
        die "$format: scraped $scraped, pushed $pushed, $left left in the spool"
    local n=$((n1 - n0)) ms
    if [ "$n" -gt 0 ]; then
        ms=$(awk -v t=$((t1 - t0)) -v n="$n" 'BEGIN { printf "%.2f", t / 1e6 / n }')
        printf '%-6s every %-3s %2d scrapes: CPU %6s ms/scrape; RSS %5d KiB (peak %5d, PSS %5d, private dirty %5d); %8s bytes/push\n' \
            "$format" "$interval" "$n" "$ms" "$rss" "$hwm" "$pss" "$dirty" "$bytes"
    else
        ms=$(awk -v t=$((t1 - t0)) -v s="$secs" 'BEGIN { printf "%.3f", t / 1e6 / s }')
        printf '%-6s every %-3s idle %2ss: CPU %s ms/s; RSS %5d KiB (peak %5d, PSS %5d, private dirty %5d)\n' \
            "$format" "$interval" "$secs" "$ms" "$rss" "$hwm" "$pss" "$dirty"
    fi
}

# run_discovered N INTERVAL SECONDS: N targets from a file_sd file, one line of figures.
run_discovered() {
    local n=$1 interval=$2 secs=$3 log=$tmp/agent-sd.log i
    rm -rf "$tmp/spool" "$tmp/sd"
    mkdir -p "$tmp/sd"
    {
        echo "["
        for ((i = 1; i <= n; i++)); do
            printf '  {"targets": ["%s"], "labels": {"service": "bench", "instance": "d-%02d"}}%s\n' \
                "$LEAKY_ADDR" "$i" "$([ "$i" -lt "$n" ] && echo ,)"
        done
        echo "]"
    } >"$tmp/sd/targets.json"
    cat >"$tmp/agent.yaml" <<YAML
server: "$SERVER"
token: bench-token
interval: $interval
spool: {dir: "$tmp/spool"}
file_sd:
  - files: ["$tmp/sd/*.json"]
YAML
    "$AGENT" --config "$tmp/agent.yaml" --log-level debug 2>"$log" &
    AGENT_PID=$!
    sleep 2
    local t0 n0 t1 n1
    t0=$(cpu_ns "$AGENT_PID")
    n0=$(grep -c 'level=debug msg="pushed ' "$log" || true)
    sleep "$secs"
    t1=$(cpu_ns "$AGENT_PID")
    n1=$(grep -c 'level=debug msg="pushed ' "$log" || true)
    local rss hwm pss dirty
    rss=$(kib "$AGENT_PID" VmRSS)
    hwm=$(kib "$AGENT_PID" VmHWM)
    pss=$(kib "$AGENT_PID" Pss)
    dirty=$(kib "$AGENT_PID" Private_Dirty)
    kill -TERM "$AGENT_PID"
    wait "$AGENT_PID" || die "agent exit status $? (file_sd)"
    AGENT_PID=
    local scraped pushed left
    scraped=$(grep -c 'level=debug msg="scraped ' "$log" || true)
    pushed=$(grep -c 'level=debug msg="pushed ' "$log" || true)
    left=$(find "$tmp/spool" -maxdepth 1 -name '[0-9]*.prof' | wc -l)
    [ "$scraped" -eq $((pushed + left)) ] ||
        die "file_sd: scraped $scraped, pushed $pushed, $left left in the spool"
    grep -q "targets: $n ($n added" "$log" || die "file_sd: the agent did not find $n targets"
    local k=$((n1 - n0))
    [ "$k" -gt 0 ] || die "file_sd: nothing pushed in $secs s"
    printf '%d file_sd targets every %s, %2d scrapes in %ss: CPU %s ms/scrape, %s%% of a core; RSS %5d KiB (peak %5d, PSS %5d, private dirty %5d)\n' \
        "$n" "$interval" "$k" "$secs" \
        "$(awk -v t=$((t1 - t0)) -v n="$k" 'BEGIN { printf "%.2f", t / 1e6 / n }')" \
        "$(awk -v t=$((t1 - t0)) -v s="$secs" 'BEGIN { printf "%.2f", t / 1e7 / s }')" \
        "$rss" "$hwm" "$pss" "$dirty"
}

raw2=$(curl -fsS "$LEAKY_URL/debug/pprof/goroutine?debug=2" | wc -c)
echo "bench_agent: leaky Go service with $goroutines goroutines (debug=2 text: $raw2 bytes); server $SERVER"
run pprof 1s "$SECS"
run debug1 1s "$SECS"
run debug2 1s "$SECS"
run pprof 60s 10
run_discovered 50 5s 20
echo "shared libraries loaded by $AGENT: $(ldd "$AGENT" | grep -c '=>') ($(ldd "$AGENT" | grep -c '=> /') \
resolved); linked directly: $(readelf -d "$AGENT" | grep -c NEEDED) ($(readelf -d "$AGENT" |
    sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | tr '\n' ' '))"
