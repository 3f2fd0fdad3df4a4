#!/usr/bin/env bash
# test_kill9_agents.sh - kill -9 of the server KILLS times (20) while AGENTS agents
# (bin/leakfleet-agent, scraping a stand-in Go service every 200 ms) and the fleet
# simulator (--retry: the same Idempotency-Key until acknowledged) push. Afterwards:
# every profile an agent scraped is stored exactly once (or still in its spool), every
# acknowledged key is in the database once under the id it was answered with, and the
# database passes PRAGMA integrity_check and foreign_key_check.
# tests/integration/test_fault_kill9.sh runs it with KILLS=3.
. "$(dirname "$0")/fault_lib.sh"

KILLS=${KILLS:-20}
AGENTS=${AGENTS:-4}
f_need curl jq sqlite3 python3
[ -x "$F_SIM" ] || f_fail "$F_SIM is not built (make build/tools/fleetsim)"

f_server_start
f_target
f_agents "$AGENTS" 200ms
"$F_SIM" --url "$F_URL" --token fault-agent --services 2 --instances 4 --rounds 100000 --step 1 \
    --duration $((KILLS * 2)) --pace-ms 100 --concurrency 4 --retry --quiet \
    --acks "$F_TMP/acks" >"$F_TMP/fleetsim.log" 2>&1 &
sim=$!
F_PIDS+=($sim)

for k in $(seq 1 "$KILLS"); do
    sleep "0.$((RANDOM % 9 + 6))"
    f_server_kill9
    sleep "0.$((RANDOM % 5 + 2))"
    f_server_start
    echo "kill -9 #$k: restarted, $(f_spooled) profiles spooled by agents"
done

sim_rc=0
wait "$sim" || sim_rc=$?
cat "$F_TMP/fleetsim.log"
f_eq "$sim_rc" 0 "fleetsim exit status (every push acknowledged)"
f_drain_spools 30
f_stop_agents
f_check_agents "$AGENTS"
f_check_acks "$F_TMP/acks"
f_server_stop
f_check_db
restarts=$(grep -c 'listening on' "$F_TMP/server.log")
f_eq "$restarts" "$((KILLS + 1))" "server starts"
