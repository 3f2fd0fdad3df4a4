#!/usr/bin/env bash
# test_e2e_detect.sh - the whole system for under a minute: the leaky Go service leaks at
# known rates beside a constant worker pool and ticker-driven selects, both above the
# threshold; the real agent scrapes it every second into the real server (every line both
# write is checked to be one logfmt event at the end). Every leak
# becomes a suspect with a positive growth rate and its CODEOWNERS owner, the pool and
# the tickers never do; the webhook sink gets exactly one first message per (service,
# site, owner); an acknowledged site gets no reminder; a server restart in the middle
# loses no queued notification and sends none twice.
. "$(dirname "$0")/lib.sh"
. tests/goleaky/lib.sh

[ -x build/goleaky/leaky ] || lf_fail "build/goleaky/leaky is missing (make go-fixture)"
lf_stand_in "$LF_TMP/hooks" webhook_receiver.py
HOOK_PID=$LF_STAND_IN_PID
HOOK_URL="http://127.0.0.1:$LF_STAND_IN_PORT"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

srcdir=$(cat build/goleaky/srcdir)
cat >"$LF_TMP/config.yaml" <<YAML
database: "$LF_TMP/lf.db"
repo:
  roots: ["github.com/acme/leaky/", "$srcdir/"]
owners:
  codeowners: "tests/goleaky/CODEOWNERS"
detect:
  threshold: 50
  interval: "2s"
  window: "1h"
notify:
  webhook: "$HOOK_URL/hooks"
  group_wait: "2s"
  repeat_interval: "6s"
tokens:
  - token: "agent-secret"
    services: ["leaky"]
  - token: "admin-secret"
    admin: true
YAML
lf_start --listen "127.0.0.1:$port"

# Leaks: 40 at start, 3 more a second, at four channel sites. Flat: a pool of 60 workers
# and 60 ticker selects, each above the threshold of 50.
leaky_start "$LF_TMP" build/goleaky/leaky -start 40 -leak-rate 3 -kinds send,recv,select,forever \
    -workers 60 -tickers 60 -heartbeat 200ms
bin/leakfleet-agent --server "$LF_URL" --token agent-secret --service leaky --instance host-1 \
    --target "$LEAKY_URL" --interval 1s --retry-max 1s --spool "$LF_TMP/spool" \
    --summary-interval 3s >"$LF_TMP/agent.log" 2>&1 &
AGENT_PID=$!
trap 'rc=$?; kill $AGENT_PID $HOOK_PID 2>/dev/null || true; leaky_stop; lf_cleanup $rc' EXIT

SEND='github.com/acme/leaky/internal/ncast.(*Bus).Publish.func1'
RECV='github.com/acme/leaky/internal/worker.(*job).await'
SELECT='github.com/acme/leaky/internal/worker.waitReply'
FOREVER='main.forever'

# Every leak becomes a suspect within 40 s.
for _ in $(seq 1 80); do
    lf_req GET /api/v1/leaks
    [ "$(lf_json '.leaks | length')" = 4 ] && break
    sleep 0.5
done
lf_eq "$(lf_json '[.leaks[] | "\(.function)=\(.owner)"] | sort | join(" ")')" \
    "$SEND=@acme/messaging $RECV=@acme/workers $SELECT=@acme/workers $FOREVER=@acme/cli" \
    "the four leaks are suspects with their owners"
lf_eq "$(lf_json '[.leaks[] | select(.growth_per_hour > 0)] | length')" 4 "each with a positive growth rate"
lf_req GET '/api/v1/leaks?all=1'
lf_eq "$(lf_json '[.leaks[] | select(.function | endswith("(*Pool).run")) | [.count >= 50, .suspect]] | flatten | map(tostring) | join(",")')" \
    "true,false" "the worker pool is above the threshold and not suspect"
lf_eq "$(lf_json '[.leaks[] | select(.function | endswith("Heartbeat"))] | "\(length > 0),\(map(.suspect) | any)"')" \
    "true,false" "the ticker selects are seen and not suspect"

# First messages for every site, then acknowledge the send site.
findings() { # every finding delivered so far, one "kind function" per line
    [ -f "$LF_TMP/hooks/hooks.jsonl" ] || return 0
    jq -r '.body.findings[] | "\(.kind) \(.function)"' "$LF_TMP/hooks/hooks.jsonl"
}
for _ in $(seq 1 60); do
    [ "$(findings | grep -c '^new ')" -ge 4 ] && break
    sleep 0.5
done
lf_eq "$(findings | grep '^new ' | sort | tr '\n' ' ')" \
    "new $SEND new $RECV new $SELECT new $FOREVER " "one first message per site"
lf_req GET /api/v1/notifications
send_id=$(lf_json ".notifications[] | select(.function == \"$SEND\") | .id")
lf_req POST "/api/v1/notifications/$send_id/ack" -H "Authorization: Bearer admin-secret"
lf_eq "$(lf_json .state)" acknowledged "the send site acknowledged"
acked_lines=$(wc -l <"$LF_TMP/hooks/hooks.jsonl")

# Restart the server on the same database in the middle; the agent spools meanwhile.
lf_stop
sleep 2
lf_start --listen "127.0.0.1:$port"
lf_req GET /api/v1/notifications
lf_eq "$(lf_json '.notifications | length')" 4 "the queue survived the restart"

# Long enough for reminders of the sites nobody acknowledged.
for _ in $(seq 1 60); do
    [ "$(findings | grep -c '^reminder ')" -ge 1 ] && break
    sleep 0.5
done
lf_eq "$(findings | grep -c '^new ')" 4 "no first message was sent twice"
lf_eq "$(findings | grep -c "^new .*(\*Pool)\.run\|Heartbeat")" 0 "the pool and the tickers were never reported"
reminded=$(findings | grep '^reminder ' | sort -u | wc -l)
[ "$reminded" -ge 1 ] || lf_fail "no reminder for the unacknowledged sites"
echo "ok: $reminded unacknowledged site(s) reminded"
after=$(tail -n +"$((acked_lines + 1))" "$LF_TMP/hooks/hooks.jsonl" | jq -r '.body.findings[].function')
if grep -qxF "$SEND" <<<"$after"; then lf_fail "the acknowledged site was messaged again"; fi
echo "ok: the acknowledged site got no reminder"
lf_req GET "/api/v1/services"
echo "ok: agent pushed $(lf_json '.services[0].instances[0].profiles') profiles"
kill $AGENT_PID
wait $AGENT_PID 2>/dev/null || true
lf_stop

# The logs: one logfmt event a line with ts and level, including a line per detection
# pass, per change of a notification, and the agent's periodic summary.
python3 tests/integration/check_log_lines.py logfmt "$LF_TMP/server.log" \
    "detection pass:sites,suspects,duration_ms" "notification:id,event,owner,detail" ||
    lf_fail "server log"
python3 tests/integration/check_log_lines.py logfmt "$LF_TMP/agent.log" \
    "agent summary:scrapes,scrape_failures,pushed,push_failures,spool_files,spool_bytes" ||
    lf_fail "agent log"
