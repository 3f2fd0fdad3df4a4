#!/usr/bin/env bash
# bench_fleet.sh - one server under a simulated fleet (`make bench-fleet`, minutes, not in
# CI). Phase 1: tools/fleetsim plays SERVICES x INSTANCES (100 x 100 = 10,000) instances
# pushing real-shaped pprof profiles every simulated minute for ROUNDS rounds, with
# planted leaks in every 10th service and restarts: pushes/s, p50/p99 ingest latency,
# /healthz req/s of the same server as the reference, query latencies of /api/v1/leaks,
# /api/v1/trends and a 30-day series under that load, database bytes per push and per
# simulated day, and the detector check (every planted leak suspect, no flat site).
# Phase 2: LONG_DAYS (30) simulated days of LONG_SERVICES x LONG_INSTANCES (100 x 10)
# pushing every simulated hour, then retention.raw RAW_RETENTION (7d) with hourly rollups:
# the database size before and after, per table, and the bound it implies for the
# 10,000-instance fleet at one push per minute. Figures are printed as
# measured, with ratios against the same run's references; nothing is asserted on time.
set -euo pipefail
cd "$(dirname "$0")/../.."

LF_BIN=${LF_BIN:-bin/leakfleet}
SIM=${LF_FLEETSIM:-build/tools/fleetsim}
SERVICES=${SERVICES:-100}
INSTANCES=${INSTANCES:-100}
ROUNDS=${ROUNDS:-40}
CONCURRENCY=${CONCURRENCY:-64}
LONG_SERVICES=${LONG_SERVICES:-100}
LONG_INSTANCES=${LONG_INSTANCES:-10}
LONG_DAYS=${LONG_DAYS:-30}
RAW_RETENTION=${RAW_RETENTION:-7d}
for tool in sqlite3 curl; do
    command -v "$tool" >/dev/null || { echo "bench-fleet: $tool is missing" >&2; exit 1; }
done
[ -x "$SIM" ] || { echo "bench-fleet: $SIM is not built (make build/tools/fleetsim)" >&2; exit 1; }

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

# start_server DIR EXTRA_YAML: sets pid and url.
start_server() {
    local dir=$1
    mkdir -p "$dir"
    cat >"$dir/config.yaml" <<YAML
listen: "127.0.0.1:0"
database: "$dir/lf.db"
repo:
  roots: ["github.com/acme/fleet/", "/build/fleet/"]
detect:
  threshold: 100
tokens:
  - token: "fleet-agent"
    services: ["*"]
  - token: "fleet-admin"
    admin: true
$2
YAML
    : >"$dir/server.log"
    "$LF_BIN" serve --config "$dir/config.yaml" 2>>"$dir/server.log" &
    pid=$!
    local port=
    for _ in $(seq 1 200); do
        port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$dir/server.log" | tail -n 1)
        [ -n "$port" ] && break
        sleep 0.05
    done
    [ -n "$port" ] || { cat "$dir/server.log"; echo "bench-fleet: server did not start" >&2; exit 1; }
    url=http://127.0.0.1:$port
}

stop_server() {
    kill -TERM "$pid"
    wait "$pid" || true
    pid=
}

# db_report DB: file sizes, pages in use, and the largest tables (dbstat). Sets DB_USED.
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
db_report() {
    local db=$1
    local file wal page used
    file=$(stat -c %s "$db")
    wal=$(stat -c %s "$db-wal" 2>/dev/null || echo 0)
    page=$(sqlite3 "$db" 'PRAGMA page_size;')
    used=$(sqlite3 "$db" 'SELECT (SELECT page_count FROM pragma_page_count()) - (SELECT freelist_count FROM pragma_freelist_count());')
    DB_USED=$((used * page))
    echo "  file $(mib "$file") MiB, -wal $(mib "$wal") MiB, pages in use $(mib "$DB_USED") MiB"
    sqlite3 "$db" "SELECT '    ' || name || ': ' || printf('%.1f', SUM(pgsize) / 1048576.0) || ' MiB'
        FROM dbstat GROUP BY name ORDER BY SUM(pgsize) DESC LIMIT 8;" 2>/dev/null || true
}

echo "== bench-fleet phase 1: $SERVICES x $INSTANCES instances, $ROUNDS pushes each (one per simulated minute)"
start_server "$tmp/p1" ""
"$SIM" --url "$url" --token fleet-agent --admin-token fleet-admin --services "$SERVICES" \
    --instances "$INSTANCES" --rounds "$ROUNDS" --step 60 --concurrency "$CONCURRENCY" \
    --healthz-seconds 3 --queries --check --detect-wait 90 --db "$tmp/p1/lf.db" --quiet |
    tee "$tmp/p1/fleetsim.out" || true
profiles=$(sqlite3 "$tmp/p1/lf.db" 'SELECT count(*) FROM profiles;')
db_report "$tmp/p1/lf.db"
bytes_per_push=$((DB_USED / (profiles > 0 ? profiles : 1)))
echo "  $profiles profiles stored: $bytes_per_push bytes per push in use (tables and indexes)"
echo "  10,000 instances x 1,440 pushes per simulated day: $(mib $((bytes_per_push * 14400000))) MiB raw per simulated day"
curl -fsS "$url/metrics" | grep -E '^leakfleet_writer_(commits|jobs)_total|^leakfleet_writer_largest_batch' | sed 's/^/  /' || true
stop_server

echo
echo "== bench-fleet phase 2: $LONG_DAYS simulated days, $LONG_SERVICES x $LONG_INSTANCES instances pushing every simulated hour"
# Retention runs on the server's clock, and the simulation compresses 30 days into
# minutes: the days are pushed first with nothing expiring (retention.raw 400d), then
# the server restarts with retention.raw RAW_RETENTION and its passes roll up and delete
# everything older, as a server that had run for those days would hold at their end.
start_server "$tmp/p2" "retention:
  raw: \"400d\"
  rollups: \"400d\""
rounds=$((LONG_DAYS * 24 + 1))
"$SIM" --url "$url" --token fleet-agent --services "$LONG_SERVICES" \
    --instances "$LONG_INSTANCES" --rounds "$rounds" --step 3600 --concurrency "$CONCURRENCY" \
    --restart-permille 0 --db "$tmp/p2/lf.db" --quiet | tee "$tmp/p2/fleetsim.out" || true
stop_server
echo "  $LONG_DAYS days, no retention:"
db_report "$tmp/p2/lf.db"
no_retention=$DB_USED
raw_days=${RAW_RETENTION%d}
start_server "$tmp/p2" "retention:
  raw: \"$RAW_RETENTION\"
  rollups: \"400d\"
  interval: \"2s\""
t0=$(date +%s)
expired=1
for _ in $(seq 1 1200); do
    # raw profiles stay detect.live_window (300 s) past their rolled-up hour
    expired=$(sqlite3 "$tmp/p2/lf.db" "SELECT count(*) FROM profiles
        WHERE ts < strftime('%s','now') - $raw_days * 86400 - 3600 - 300
        AND id NOT IN (SELECT latest_profile_id FROM instances WHERE latest_profile_id IS NOT NULL);")
    [ "$expired" = 0 ] && break
    sleep 1
done
echo "  retention caught up in $(($(date +%s) - t0)) s ($expired expired profiles left)"
curl -fsS "$url/metrics" | grep -E '^leakfleet_(profiles_expired|retention)' | sed 's/^/  /' || true
stop_server
raw_profiles=$(sqlite3 "$tmp/p2/lf.db" 'SELECT count(*) FROM profiles;')
rollups=$(sqlite3 "$tmp/p2/lf.db" 'SELECT count(*) FROM rollups;')
echo "  $LONG_DAYS days, retention.raw $RAW_RETENTION: $raw_profiles raw profiles kept, $rollups hourly rollup rows"
db_report "$tmp/p2/lf.db"
rollup_bytes=$(sqlite3 "$tmp/p2/lf.db" "SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name IN ('rollups', 'rollups_hour');" 2>/dev/null || echo 0)
echo "  pages in use: $(mib "$no_retention") MiB without retention -> $(mib "$DB_USED") MiB with it"
echo
echo "== 10,000 instances, one push per minute, $LONG_DAYS days, retention.raw $RAW_RETENTION (computed from the bytes measured above):"
raw=$((bytes_per_push * 14400000 * raw_days))
echo "  raw: $bytes_per_push B/push x 14,400,000 pushes/day x $raw_days days = $(mib "$raw") MiB, bounded: older raw rows are rolled up and deleted"
echo "  rollups: $(mib "$rollup_bytes") MiB for $LONG_DAYS days of $LONG_SERVICES services (one row per service, location and hour: independent of the instance count)"
echo "  total bound: $(mib $((raw + rollup_bytes))) MiB; without retention: $(mib $((bytes_per_push * 14400000 * LONG_DAYS))) MiB"
