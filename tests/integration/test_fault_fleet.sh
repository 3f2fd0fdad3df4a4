#!/usr/bin/env bash
# test_fault_fleet.sh - the short version of `make bench-fleet`: tools/fleetsim plays 10
# services x 10 instances (30 pushes each, one per simulated minute) with frequent
# instance restarts (2 % of pushes; a restart resets the leak) against the real server;
# after a forced detection pass, every planted leak (services 0, 3, 6, 9) must be a
# suspect and none of the 50 flat in-repo channel sites; every push is stored.
. "$(dirname "$0")/../soak/fault_lib.sh"

f_need curl jq sqlite3 python3
[ -x "$F_SIM" ] || f_fail "$F_SIM is not built (make build/tools/fleetsim)"
f_server_start
"$F_SIM" --url "$F_URL" --token fault-agent --admin-token fault-admin --services 10 \
    --instances 10 --rounds 30 --step 60 --leak-every 3 --restart-permille 20 \
    --concurrency 8 --check --detect-wait 20 --quiet --seed 7 | tee "$F_TMP/sim.out"
rc=${PIPESTATUS[0]}
f_eq "$rc" 0 "fleetsim exit status"
f_eq "$(grep -c '^detector: PASS: planted leaks 4, found 4, missed 0; false positives 0 (flat in-repo channel sites 50' "$F_TMP/sim.out")" 1 "detector verdict line"
f_eq "$(sqlite3 "$F_DB" 'SELECT count(*) FROM profiles;')" 3000 "profiles stored"
f_eq "$(curl -fsS "$F_URL/api/v1/leaks" | jq '[.leaks[] | select(.suspect)] | length')" 4 "suspects in /api/v1/leaks"
f_server_stop
f_check_db
