#!/usr/bin/env bash
# test_outage_replay.sh - the server down for OUTAGE seconds (60) while AGENTS agents
# scrape every 500 ms and the fleet simulator keeps retrying: the agents spool what they
# scrape, and once the server is back they replay everything, oldest first; every
# scraped profile is then stored exactly once and the simulator's acknowledged keys
# are all stored. tests/integration/test_fault_outage.sh runs it with OUTAGE=5.
. "$(dirname "$0")/fault_lib.sh"

OUTAGE=${OUTAGE:-60}
AGENTS=${AGENTS:-4}
f_need curl jq sqlite3 python3
[ -x "$F_SIM" ] || f_fail "$F_SIM is not built (make build/tools/fleetsim)"

f_server_start
f_target
f_agents "$AGENTS" 500ms
"$F_SIM" --url "$F_URL" --token fault-agent --services 2 --instances 2 --rounds 100000 \
    --step 1 --duration $((OUTAGE + 4)) --pace-ms 250 --concurrency 2 --retry --quiet \
    --acks "$F_TMP/acks" >"$F_TMP/fleetsim.log" 2>&1 &
sim=$!
F_PIDS+=($sim)
sleep 2
f_server_stop
before=$(f_spooled)
echo "server stopped; agents hold $before spooled profiles; down for $OUTAGE s"
sleep "$OUTAGE"
during=$(f_spooled)
echo "after $OUTAGE s down: $during spooled profiles"
expected=$((AGENTS * OUTAGE))   # 2 scrapes per second each, at least half of them
[ "$during" -ge "$expected" ] || f_fail "agents spooled only $during profiles during the outage (want >= $expected)"
start=$(date +%s%N)
f_server_start
f_drain_spools $((OUTAGE + 30))
echo "replayed $during spooled profiles in $((($(date +%s%N) - start) / 1000000)) ms"
sim_rc=0
wait "$sim" || sim_rc=$?
cat "$F_TMP/fleetsim.log"
f_eq "$sim_rc" 0 "fleetsim exit status (every push acknowledged)"
f_stop_agents
f_check_agents "$AGENTS"
f_check_acks "$F_TMP/acks"
f_server_stop
f_check_db
