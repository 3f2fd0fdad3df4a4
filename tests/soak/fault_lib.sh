# fault_lib.sh - shared helpers of the fault tests (tests/soak/test_*.sh and their short
# versions tests/integration/test_fault_*.sh; sourced, not run): a temp directory, the
# real bin/leakfleet serve on a fixed free loopback port (so agents keep one URL across
# kills and restarts), a stand-in Go service for the agents to scrape, agents, and the
# exactly-once checks against the database. Every process started here is killed on
# exit. Tests run from the repository root.

set -euo pipefail

F_BIN=${LF_BIN:-bin/leakfleet}
F_AGENT=${LF_AGENT:-bin/leakfleet-agent}
F_SIM=${LF_FLEETSIM:-build/tools/fleetsim}
F_FIXTURES=${LF_FIXTURES:-tests/fixtures}
F_TMP=$(mktemp -d "${TMPDIR:-/tmp}/leakfleet-fault.XXXXXX")
F_PIDS=()
F_SERVER_PID=
F_PORT=
F_URL=
F_DB=$F_TMP/lf.db
F_MOUNTS=()

f_cleanup() {
    local rc=$?
    set +e
    [ -n "$F_SERVER_PID" ] && kill -KILL "$F_SERVER_PID" 2>/dev/null
    for pid in "${F_PIDS[@]}"; do
        kill -KILL "$pid" 2>/dev/null
    done
    wait 2>/dev/null
    if [ "$rc" -ne 0 ] && [ -f "$F_TMP/server.log" ]; then
        echo "---- server log (last 30 lines) ----"
        tail -n 30 "$F_TMP/server.log"
    fi
    for m in "${F_MOUNTS[@]}"; do
        umount "$m" 2>/dev/null
    done
    [ -n "${F_KEEP:-}" ] && echo "kept $F_TMP" || rm -rf "$F_TMP"
    exit "$rc"
}
trap f_cleanup EXIT

f_fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# f_eq ACTUAL EXPECTED WHAT
f_eq() {
    [ "$1" = "$2" ] || f_fail "$3: got '$1', want '$2'"
    echo "ok: $3 = $2"
}

f_need() {
    for tool in "$@"; do
        command -v "$tool" >/dev/null || f_fail "$tool is missing (tools/deps.sh test installs it)"
    done
    [ -x "$F_BIN" ] || f_fail "$F_BIN is not built (make)"
}

# f_config [EXTRA YAML]: the config of every fault test.
f_config() {
    cat >"$F_TMP/config.yaml" <<YAML
repo:
  roots: ["github.com/acme/fleet/", "/build/fleet/", "/srv/build/shop/", "github.com/acme/shop/"]
detect:
  threshold: 100
tokens:
  - token: "fault-agent"
    services: ["*"]
  - token: "fault-admin"
    admin: true
${1:-}
YAML
}

f_free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# f_server_start [EXTRA ARGS]: starts the server on F_PORT (picked once), waits for
# /healthz. The log accumulates across restarts.
f_server_start() {
    [ -f "$F_TMP/config.yaml" ] || f_config
    [ -n "$F_PORT" ] || F_PORT=$(f_free_port)
    F_URL=http://127.0.0.1:$F_PORT
    "$F_BIN" serve --config "$F_TMP/config.yaml" --listen "127.0.0.1:$F_PORT" --db "$F_DB" \
        "$@" 2>>"$F_TMP/server.log" &
    F_SERVER_PID=$!
    for _ in $(seq 1 200); do
        if curl -fsS -o /dev/null --max-time 1 "$F_URL/healthz" 2>/dev/null; then
            return 0
        fi
        kill -0 "$F_SERVER_PID" 2>/dev/null || f_fail "server exited at start"
        sleep 0.05
    done
    f_fail "server did not answer /healthz on $F_URL"
}

f_server_kill9() {
    kill -KILL "$F_SERVER_PID"
    wait "$F_SERVER_PID" 2>/dev/null || true
    F_SERVER_PID=
}

f_server_stop() {
    kill -TERM "$F_SERVER_PID"
    local rc=0
    wait "$F_SERVER_PID" || rc=$?
    F_SERVER_PID=
    f_eq "$rc" 0 "server exit status after SIGTERM"
}

# f_target: a stand-in Go service serving a real profile; sets F_TARGET.
f_target() {
    python3 tests/soak/pprof_target.py "$F_FIXTURES/shop-n25.pb.gz" "$F_TMP/target.port" &
    F_PIDS+=($!)
    for _ in $(seq 1 100); do
        [ -s "$F_TMP/target.port" ] && break
        sleep 0.05
    done
    [ -s "$F_TMP/target.port" ] || f_fail "target did not start"
    F_TARGET=http://127.0.0.1:$(cat "$F_TMP/target.port")
}

# f_agents N INTERVAL: starts agents a1..aN (service shop), each with its own spool and
# debug log (one "pushed ... key K" line per acknowledged push). Sets F_AGENT_PIDS.
F_AGENT_PIDS=()
f_agents() {
    local n=$1 interval=$2
    for i in $(seq 1 "$n"); do
        "$F_AGENT" --server "$F_URL" --token fault-agent --service shop --instance "a$i" \
            --target "$F_TARGET" --interval "$interval" --spool "$F_TMP/spool-a$i" \
            --retry-max 1s --connect-timeout 1s --timeout 10s --log-level debug \
            2>"$F_TMP/agent-a$i.log" &
        F_AGENT_PIDS+=($!)
        F_PIDS+=($!)
    done
}

f_spooled() {
    find "$F_TMP"/spool-a* -maxdepth 1 -name '*.prof' 2>/dev/null | wc -l | tr -d ' '
}

# f_drain_spools SECONDS: waits until every agent's spool is empty.
f_drain_spools() {
    for _ in $(seq 1 $(($1 * 10))); do
        [ "$(f_spooled)" = 0 ] && return 0
        sleep 0.1
    done
    f_fail "agents' spools still hold $(f_spooled) profiles after $1 s"
}

# f_stop_agents: SIGTERM, wait, then checks per agent: every profile scraped is either
# stored exactly once or still in its spool; every acknowledged key is stored once.
f_stop_agents() {
    for pid in "${F_AGENT_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${F_AGENT_PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    F_AGENT_PIDS=()
}

# f_check_agents N: the exactly-once checks for agents a1..aN (server must be up).
f_check_agents() {
    local n=$1 total_scraped=0 total_stored=0
    sqlite3 "$F_DB" "SELECT idempotency_key FROM profiles p JOIN services s ON s.id = p.service_id
        WHERE s.name = 'shop' AND idempotency_key IS NOT NULL;" | sort >"$F_TMP/db_keys"
    f_eq "$(uniq -d "$F_TMP/db_keys" | wc -l)" 0 "idempotency keys stored twice"
    curl -fsS "$F_URL/api/v1/services" >"$F_TMP/services.json"
    for i in $(seq 1 "$n"); do
        local log=$F_TMP/agent-a$i.log
        local summary
        summary=$(grep 'agent: .* scraped' "$log" | tail -n 1)
        [ -n "$summary" ] || f_fail "agent a$i printed no summary"
        local scraped left failed rejected dropped
        scraped=$(printf '%s' "$summary" | sed -n 's/.*agent: \([0-9]*\) scraped.*/\1/p')
        left=$(printf '%s' "$summary" | sed -n 's/.*; \([0-9]*\) left in the spool.*/\1/p')
        rejected=$(printf '%s' "$summary" | sed -n 's/.* \([0-9]*\) rejected.*/\1/p')
        dropped=$(printf '%s' "$summary" | sed -n 's/.* \([0-9]*\) dropped.*/\1/p')
        failed=$(printf '%s' "$summary" | sed -n 's/.* \([0-9]*\) push failures.*/\1/p')
        local stored
        stored=$(jq -r --arg i "a$i" \
            '[.services[] | select(.name == "shop") | .instances[] | select(.name == $i) | .profiles] | add // 0' \
            "$F_TMP/services.json")
        grep -o 'pushed .* key [0-9a-f]*' "$log" | sed 's/.* key //' | sort -u >"$F_TMP/acked-a$i"
        local acked missing
        acked=$(wc -l <"$F_TMP/acked-a$i" | tr -d ' ')
        missing=$(comm -23 "$F_TMP/acked-a$i" "$F_TMP/db_keys" | wc -l | tr -d ' ')
        echo "agent a$i: scraped $scraped, acknowledged $acked, stored $stored, left in spool $left, push failures $failed (retried), rejected $rejected, dropped $dropped"
        f_eq "$missing" 0 "a$i: acknowledged pushes missing from the database"
        f_eq "$stored" "$((scraped - left))" "a$i: profiles stored = scraped - still spooled"
        f_eq "$rejected" 0 "a$i: pushes rejected"
        f_eq "$dropped" 0 "a$i: spool drops"
        total_scraped=$((total_scraped + scraped))
        total_stored=$((total_stored + stored))
    done
    echo "agents: $total_scraped scraped, $total_stored stored exactly once"
}

# f_check_acks FILE: every key fleetsim saw acknowledged is stored once, under the
# profile id it was answered with.
f_check_acks() {
    awk '{print $3, $4}' "$1" | sort -u >"$F_TMP/ack_pairs"
    local keys
    keys=$(awk '{print $1}' "$F_TMP/ack_pairs" | sort -u | wc -l | tr -d ' ')
    f_eq "$(wc -l <"$F_TMP/ack_pairs" | tr -d ' ')" "$keys" "fleetsim keys answered with one profile id each"
    sqlite3 "$F_DB" "SELECT idempotency_key, id FROM profiles WHERE idempotency_key LIKE 'fs-%';" |
        tr '|' ' ' | sort >"$F_TMP/db_pairs"
    f_eq "$(comm -23 "$F_TMP/ack_pairs" "$F_TMP/db_pairs" | wc -l | tr -d ' ')" 0 \
        "fleetsim acknowledged (key, profile_id) missing from the database"
    echo "fleetsim: $keys acknowledged pushes, each stored once"
}

f_check_db() {
    f_eq "$(sqlite3 "$F_DB" 'PRAGMA integrity_check;')" ok "PRAGMA integrity_check"
    f_eq "$(sqlite3 "$F_DB" 'PRAGMA foreign_key_check;' | wc -l | tr -d ' ')" 0 "foreign_key_check rows"
}
