#!/usr/bin/env bash
# detect_scale.sh - the cost of a detection pass over a large fleet (`make
# bench-detect-scale`, about 15 minutes, not in `make test`). Loading 300 x 100 instances
# with 48 h of 5-minute history through HTTP takes about 85 minutes, so the fleet is grown
# from a small one instead: tools/detectsim --scale pushes BASE_SERVICES x BASE_INSTANCES
# (30 x 10) with HOURS (48) of history through a real server (the scenarios' mix in turn),
# then sqlite3 copies every service's instances INSTANCE_COPIES (10) times and the
# services SERVICE_COPIES times (1 and 10: 3,000 and 30,000 instances). A copy is the same
# rows (profiles, samples, instances, service_locations) under new ids and names, the ids
# interleaved (new id = id x copies + copy) so that the tables keep the order ingest writes
# them in. A real `bin/leakfleet serve` (LF_BIN) then opens each database and times PASSES
# (3) passes at the end of the history (POST /api/v1/detect with the server's simulated
# clock, build/tools/simclock.so, at the end; its detection thread spaced to 24 h); LF_REF_BIN, when set, is timed on the same databases. BASE_DB: a
# file that keeps the base fleet's database between runs (loaded when it does not exist). The reference:
# sqlite3 reading every sample of the last detect.load_history (30 h) once, as one query.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh

SIM=${LF_DETECTSIM:-build/tools/detectsim}
CLOCK_LIB=${LF_SIMCLOCK:-build/tools/simclock.so}
BASE_SERVICES=${BASE_SERVICES:-30}
BASE_INSTANCES=${BASE_INSTANCES:-10}
HOURS=${HOURS:-48}
INSTANCE_COPIES=${INSTANCE_COPIES:-10}
SERVICE_COPIES=${SERVICE_COPIES:-"1 10"}
PASSES=${PASSES:-3}
for tool in sqlite3 curl jq python3; do
    command -v "$tool" >/dev/null || lf_fail "$tool is missing"
done
[ -x "$SIM" ] || lf_fail "$SIM is not built (make build/tools/detectsim)"
[ -f "$CLOCK_LIB" ] || lf_fail "$CLOCK_LIB is not built (make build/tools/simclock.so)"

cat >"$LF_TMP/config.yaml" <<YAML
listen: "127.0.0.1:0"
database: "$LF_TMP/lf.db"
repo:
  roots: ["github.com/acme/", "/build/acme/"]
tokens:
  - token: "detect-agent"
    services: ["*"]
  - token: "detect-admin"
    admin: true
detect:
  interval: "24h"
retention:
  raw: "30d"
  interval: "24h"
YAML

# set_clock T: the simulated clock the server's time() answers (0: the real one)
set_clock() {
    python3 -c 'import struct, sys; sys.stdout.buffer.write(struct.pack("=q", int(sys.argv[1])))' \
        "$1" >"$LF_TMP/clock"
}
start_server() {
    LD_PRELOAD="$PWD/$CLOCK_LIB" LEAKFLEET_SIMCLOCK="$LF_TMP/clock" lf_start
}

t0=$(date +%s)
if [ -n "${BASE_DB:-}" ] && [ -f "$BASE_DB" ]; then
    cp "$BASE_DB" "$LF_TMP/base.db"
else
    set_clock 0
    start_server
    "$SIM" --url "$LF_URL" --token detect-agent --admin-token detect-admin \
        --clock-file "$LF_TMP/clock" --concurrency "${CONCURRENCY:-64}" --scale \
        --services "$BASE_SERVICES" --instances "$BASE_INSTANCES" --hours "$HOURS" \
        --pass-every "$HOURS"
    lf_stop
    mv "$LF_TMP/lf.db" "$LF_TMP/base.db"
    rm -f "$LF_TMP/lf.db-wal" "$LF_TMP/lf.db-shm"
    if [ -n "${BASE_DB:-}" ]; then cp "$LF_TMP/base.db" "$BASE_DB"; fi
fi
max_ts=$(sqlite3 "$LF_TMP/base.db" "SELECT max(ts) FROM profiles")
end=$(((max_ts + 299) / 300 * 300))
echo "detect-scale: base fleet loaded in $(($(date +%s) - t0)) s, history ends at $end"

# grow SERVICE_COPIES: $LF_TMP/lf.db from base.db, every service's instances copied
# INSTANCE_COPIES times and the services SERVICE_COPIES times.
grow() {
    local sc=$1 ic=$INSTANCE_COPIES
    local n=$((sc * ic))
    rm -f "$LF_TMP/lf.db" "$LF_TMP/lf.db-wal" "$LF_TMP/lf.db-shm"
    cp "$LF_TMP/base.db" "$LF_TMP/lf.db"
    sqlite3 "$LF_TMP/lf.db" >/dev/null <<SQL
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
PRAGMA foreign_keys = OFF;
PRAGMA cache_size = -1000000;
ATTACH '$LF_TMP/base.db' AS base;
CREATE TEMP TABLE copies (k INTEGER PRIMARY KEY);
WITH RECURSIVE c(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM c WHERE k + 1 < $n)
INSERT INTO copies SELECT k FROM c;
DELETE FROM samples; DELETE FROM profiles; DELETE FROM instances;
DELETE FROM service_locations; DELETE FROM services;
DELETE FROM rollups; DELETE FROM rollup_live; DELETE FROM detections;
INSERT INTO services (id, name, owner, first_seen)
SELECT s.id * $sc + c.k, s.name || '-' || c.k, s.owner, s.first_seen
FROM base.services s CROSS JOIN copies c WHERE c.k < $sc ORDER BY 1;
INSERT INTO service_locations
SELECT sl.service_id * $sc + c.k, sl.location_id, sl.first_seen, sl.last_seen
FROM base.service_locations sl CROSS JOIN copies c WHERE c.k < $sc ORDER BY 1, 2;
INSERT INTO instances (id, service_id, name, first_seen, last_push, profiles,
    latest_profile_id, latest_ts)
SELECT i.id * $n + c.k, i.service_id * $sc + c.k / $ic, i.name || '-' || (c.k % $ic),
    i.first_seen, i.last_push, i.profiles, i.latest_profile_id * $n + c.k, i.latest_ts
FROM base.instances i CROSS JOIN copies c;
INSERT INTO profiles (id, service_id, instance_id, ts, received, format, goroutines,
    locations, idempotency_key, version, started, busy, request_hash)
SELECT p.id * $n + c.k, p.service_id * $sc + c.k / $ic, p.instance_id * $n + c.k, p.ts,
    p.received, p.format, p.goroutines, p.locations, NULL, p.version, p.started, p.busy, NULL
FROM base.profiles p CROSS JOIN copies c;
INSERT INTO samples (profile_id, location_id, count, max_wait, confirmed, version)
SELECT sm.profile_id * $n + c.k, sm.location_id, sm.count, sm.max_wait, sm.confirmed,
    sm.version
FROM base.samples sm CROSS JOIN copies c;
SQL
}

# reference: every sample of the last detect.load_history (30 h) read once
reference() {
    local a b
    a=$(date +%s.%N)
    sqlite3 "$LF_TMP/lf.db" "SELECT count(*), sum(sm.count) FROM profiles p
        JOIN samples sm ON sm.profile_id = p.id WHERE p.ts >= $((end - 30 * 3600))" >/dev/null
    b=$(date +%s.%N)
    echo "$a $b" | awk '{ printf "%.2f", $2 - $1 }'
}

# passes BIN: PASSES timed passes of BIN serving $LF_TMP/lf.db; prints their seconds
passes() {
    local bin=$1 out=() t
    set_clock "$end"
    LF_BIN=$bin start_server
    for _ in $(seq 1 "$PASSES"); do
        t=$(curl -fsS -X POST -H "Authorization: Bearer detect-admin" \
            -o "$LF_TMP/pass.json" -w '%{time_total}' "$LF_URL/api/v1/detect")
        out+=("$(printf '%.2f' "$t")")
    done
    verdicts=$(jq -r '"\(.verdicts) verdicts, \(.suspects) suspects"' "$LF_TMP/pass.json")
    lf_stop >/dev/null
    echo "${out[*]} s ($verdicts)"
}

for sc in $SERVICE_COPIES; do
    t1=$(date +%s)
    grow "$sc"
    services=$(sqlite3 "$LF_TMP/lf.db" "SELECT count(*) FROM services")
    instances=$(sqlite3 "$LF_TMP/lf.db" "SELECT count(*) FROM instances")
    profiles=$(sqlite3 "$LF_TMP/lf.db" "SELECT count(*) FROM profiles")
    echo "detect-scale: $services services x $((instances / services)) instances," \
        "$HOURS h of history: $profiles profiles, $(du -sh "$LF_TMP/lf.db" | cut -f1)" \
        "(grown in $(($(date +%s) - t1)) s)"
    cp "$LF_TMP/lf.db" "$LF_TMP/grown.db"
    ref=$(reference)
    echo "  reference, sqlite3 reading the last 30 h of samples once: $ref s"
    for bin in ${LF_REF_BIN:-} "$LF_BIN"; do
        cp "$LF_TMP/grown.db" "$LF_TMP/lf.db"
        rm -f "$LF_TMP/lf.db-wal" "$LF_TMP/lf.db-shm"
        res=$(passes "$bin")
        best=$(echo "${res%% s *}" | tr ' ' '\n' | sort -g | head -n 1)
        echo "  $bin: passes $res; best $best s, $(echo "$best $ref" |
            awk '{ printf "%.2f", $1 / $2 }') x the reference"
    done
    rm -f "$LF_TMP/grown.db"
done
echo "detect-scale: $(($(date +%s) - t0)) s"
