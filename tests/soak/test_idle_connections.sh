#!/usr/bin/env bash
# test_idle_connections.sh - IDLE (2000) connections that send nothing and SLOW (500)
# slowloris connections that drip a request's headers one byte every DRIP seconds, held
# for HOLD seconds (45, past the server's 30 s idle timeout): /healthz, /api/v1/leaks and
# a push must still be answered. Latencies are printed, not asserted; that the server
# answers is. At the end it reports how many of the hostile connections the server
# closed, its thread count and RSS, and (PROBE_LIMIT=1, the soak default) whether
# /healthz still answers once connections pass the server's connection limit (4096).
# tests/integration/test_fault_idle_connections.sh runs it with HOLD=4, PROBE_LIMIT=0.
. "$(dirname "$0")/fault_lib.sh"

IDLE=${IDLE:-2000}
SLOW=${SLOW:-500}
HOLD=${HOLD:-45}
DRIP=${DRIP:-5}
PROBE_LIMIT=${PROBE_LIMIT:-1}
f_need curl jq python3

# The server inherits this limit: raise it first.
need=$((IDLE + SLOW + 200))
[ "$PROBE_LIMIT" = 1 ] && [ "$need" -lt 4400 ] && need=4400
if [ "$(ulimit -n)" -lt "$need" ] && ! ulimit -n "$need" 2>/dev/null; then
    hard=$(ulimit -Hn)
    [ "$hard" -gt 700 ] || f_fail "open file limit $hard is too low for this test"
    ulimit -n "$hard"
    IDLE=$(((hard - 200) * 4 / 5))
    SLOW=$(((hard - 200) / 5))
    echo "NOTE: open file limit $hard: $IDLE idle and $SLOW slow connections instead"
fi
# The hostile connections come from 127.0.0.1; the probes from another host, 127.0.0.2:
# the server's per-address limit (a quarter of its connections) keeps room for them.
PROBE=(--interface 127.0.0.2)
f_server_start
mkdir "$F_TMP/slow"
python3 tests/soak/slow_clients.py 127.0.0.1 "$F_PORT" "$IDLE" "$SLOW" "$HOLD" "$DRIP" \
    "$F_TMP/slow" &
clients=$!
F_PIDS+=($clients)
for _ in $(seq 1 600); do
    [ -s "$F_TMP/slow/ready" ] && break
    sleep 0.1
done
[ -s "$F_TMP/slow/ready" ] || f_fail "the slow clients did not connect"
echo "hostile connections open: $(cat "$F_TMP/slow/ready")"
threads() { sed -n 's/^Threads:[[:space:]]*//p' "/proc/$F_SERVER_PID/status"; }
rss() { sed -n 's/^VmRSS:[[:space:]]*//p' "/proc/$F_SERVER_PID/status"; }
echo "server: $(threads) threads, RSS $(rss)"

# /healthz from the other address every 0.2 s while they are held; every call must be
# answered 200.
n=0
: >"$F_TMP/lat"
deadline=$(($(date +%s) + HOLD - 1))
while [ "$(date +%s)" -lt "$deadline" ] || [ "$n" -lt 5 ]; do
    out=$(curl -sS "${PROBE[@]}" -o /dev/null -w '%{http_code} %{time_total}' --max-time 10 "$F_URL/healthz" || echo "000 10")
    set -- $out
    [ "$1" = 200 ] || f_fail "/healthz answered '$1' with $IDLE idle and $SLOW slow connections held"
    echo "$2" >>"$F_TMP/lat"
    n=$((n + 1))
    sleep 0.2
done
sort -n "$F_TMP/lat" >"$F_TMP/lat.sorted"
p50=$(awk '{a[NR]=$1} END {print a[int((NR+1)/2)] * 1000}' "$F_TMP/lat.sorted")
max=$(awk 'END {print $1 * 1000}' "$F_TMP/lat.sorted")
echo "ok: /healthz answered $n/$n times under hostile connections: p50 ${p50} ms, max ${max} ms"
f_eq "$(curl -sS "${PROBE[@]}" -o /dev/null -w '%{http_code}' --max-time 10 "$F_URL/api/v1/leaks")" 200 "/api/v1/leaks under hostile connections"
f_eq "$(curl -sS "${PROBE[@]}" -o /dev/null -w '%{http_code}' --max-time 10 -X POST \
    -H 'Authorization: Bearer fault-agent' --data-binary "@$F_FIXTURES/shop-n25.pb.gz" \
    "$F_URL/api/v1/profiles?service=shop&instance=under-siege")" 201 "push under hostile connections"
echo "server: $(threads) threads, RSS $(rss)"
wait "$clients" || true
echo "closed by the server after $HOLD s: $(cat "$F_TMP/slow/status")"

if [ "$PROBE_LIMIT" = 1 ] && [ "$(ulimit -n)" -lt 4400 ]; then
    echo "NOTE: open file limit $(ulimit -n): the probe past 4096 connections is skipped"
elif [ "$PROBE_LIMIT" = 1 ]; then
    # Past the connection limit: idle sockets only, 4200 of them.
    mkdir "$F_TMP/flood"
    python3 tests/soak/slow_clients.py 127.0.0.1 "$F_PORT" 4200 0 8 5 "$F_TMP/flood" &
    flood=$!
    F_PIDS+=($flood)
    for _ in $(seq 1 600); do
        [ -s "$F_TMP/flood/ready" ] && break
        sleep 0.1
    done
    echo "flood: $(cat "$F_TMP/flood/ready" 2>/dev/null), server $(threads) threads"
    out=$(curl -sS "${PROBE[@]}" -o /dev/null -w '%{http_code} %{time_total}' --max-time 5 "$F_URL/healthz" 2>&1 || true)
    echo "REPORT: /healthz with 4200 idle connections held (limit 4096): '$out'"
    wait "$flood" || true
    f_eq "$(curl -sS "${PROBE[@]}" -o /dev/null -w '%{http_code}' --max-time 10 "$F_URL/healthz")" 200 "/healthz after the flood"
fi
f_server_stop
