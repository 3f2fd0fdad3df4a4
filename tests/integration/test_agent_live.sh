#!/usr/bin/env bash
# test_agent_live.sh - leakfleet-agent between the real server (bin/leakfleet serve) and
# the real leaky Go service (tests/goleaky): live pushes arrive under the right service
# and instance; with the server stopped the scrapes are spooled, the agent is killed -9
# and restarted in the middle of the outage, and once the server is back every scraped
# profile is stored exactly once (counted through /api/v1/services against the agent's
# own "scraped" log lines); a target that is down gives a clear line and no push; a YAML
# config drives two targets; a corrupt spool file is set aside and a full spool drops the
# oldest.
. "$(dirname "$0")/lib.sh"
. tests/goleaky/lib.sh

AGENT=${AGENT:-bin/leakfleet-agent}
AGENT_PID=
SPOOL=$LF_TMP/spool
agent_cleanup() {
    [ -n "$AGENT_PID" ] && kill -KILL "$AGENT_PID" 2>/dev/null || true
    leaky_stop
    if [ "${1:-0}" -ne 0 ]; then
        for f in "$LF_TMP"/agent*.log; do [ -f "$f" ] && { echo "---- $f ----"; tail -n 20 "$f"; }; done
    fi
    lf_cleanup
}
trap 'agent_cleanup $?' EXIT

command -v jq >/dev/null || lf_fail "jq is missing (tools/deps.sh test installs it)"
[ -x "$AGENT" ] || lf_fail "$AGENT is not built (make)"
[ -x build/goleaky/leaky ] || tests/goleaky/build.sh
[ -x build/goleaky/leaky ] || lf_fail "the Go fixture service is not built (tests/goleaky/build.sh)"

leaky_start "$LF_TMP" build/goleaky/leaky -start 5 -leak-rate 0 || lf_fail "leaky did not start"
leaky_wait_ready 10 || lf_fail "leaky not ready"
lf_start
PORT=${LF_URL##*:}

# stored INSTANCE: profiles the server holds for checkout/INSTANCE.
stored() {
    curl -fsS "$LF_URL/api/v1/services" |
        jq -r --arg i "$1" '[.services[] | select(.name == "checkout") | .instances[] | select(.name == $i) | .profiles] | add // 0'
}
queued() { find "$1" -maxdepth 1 -name '*.prof' | wc -l | tr -d ' '; }
scraped() { cat "$@" | grep -c 'level=debug msg="scraped pprof profile of .checkout. instance' || true; }
# wait_for SECONDS 'EXPR': polls the shell expression EXPR every 0.1 s.
wait_for() {
    local deadline=$((SECONDS + $1))
    until eval "$2"; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.1
    done
}
start_agent() {
    "$AGENT" --server "$LF_URL" --token agent-secret --service checkout --instance web-1 \
        --target "$LEAKY_URL" --interval 1s --retry-max 1s --spool "$SPOOL" --log-level debug \
        2>>"$1" &
    AGENT_PID=$!
}

# ---- live pushes ------------------------------------------------------------------------
start_agent "$LF_TMP/agent1.log"
wait_for 15 '[ "$(stored web-1)" -ge 2 ]' || lf_fail "no live pushes within 15 s"
lf_req GET /api/v1/services
lf_eq "$(lf_json '[.services[] | select(.name == "checkout") | .instances[].name] | join(",")')" \
    web-1 "instances of checkout"
lf_req GET '/api/v1/leaks?service=checkout&all=1'
[ "$(lf_json '[.leaks[] | select(.function == "main.forever")] | length')" -ge 1 ] ||
    lf_fail "the pushed profiles were not parsed into locations: $LF_BODY"
echo "ok: main.forever seen in checkout's inventory"

# ---- outage: server stopped, agent killed -9 and restarted, nothing lost --------------------
lf_stop
wait_for 15 '[ "$(queued "$SPOOL")" -ge 2 ]' || lf_fail "nothing spooled while the server is down"
kill -KILL "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null || true
AGENT_PID=
spooled_at_kill=$(queued "$SPOOL")
echo "ok: $spooled_at_kill profiles spooled when the agent was killed -9"
start_agent "$LF_TMP/agent2.log"
wait_for 10 '[ "$(queued "$SPOOL")" -gt "$spooled_at_kill" ]' || lf_fail "restarted agent did not spool"
grep -q "spool '$SPOOL' ($spooled_at_kill profiles waiting)" "$LF_TMP/agent2.log" ||
    lf_fail "restarted agent did not find the spool: $(head -n 1 "$LF_TMP/agent2.log")"
lf_start --listen "127.0.0.1:$PORT"
lf_eq "$LF_URL" "http://127.0.0.1:$PORT" "server back on its port"
wait_for 20 '[ "$(queued "$SPOOL")" -eq 0 ]' || lf_fail "spool not flushed after the server came back"
grep -q "server reachable again" "$LF_TMP/agent2.log" || lf_fail "no recovery line"
kill -TERM "$AGENT_PID"
rc=0; wait "$AGENT_PID" || rc=$?
AGENT_PID=
lf_eq "$rc" 0 "agent exit status after SIGTERM"
lf_eq "$(queued "$SPOOL")" 0 "spool empty after SIGTERM"
total=$(scraped "$LF_TMP/agent1.log" "$LF_TMP/agent2.log")
lf_eq "$(stored web-1)" "$total" "profiles stored = profiles scraped (exactly once)"

# ---- target down: a clear line, no push ---------------------------------------------------
before=$(stored web-1)
rc=0
"$AGENT" --server "$LF_URL" --token agent-secret --service checkout --instance web-1 \
    --target http://127.0.0.1:1 --spool "$SPOOL" --once 2>"$LF_TMP/agent3.log" || rc=$?
lf_eq "$rc" 1 "--once exit status with the target down"
grep -q "scrape of 'checkout' instance 'web-1' failed, nothing pushed: GET 'http://127.0.0.1:1/debug/pprof/goroutine?debug=0'" \
    "$LF_TMP/agent3.log" || lf_fail "no clear line for the target down: $(cat "$LF_TMP/agent3.log")"
lf_eq "$(stored web-1)" "$before" "nothing pushed with the target down"

# ---- a YAML config with two targets ---------------------------------------------------------
cat >"$LF_TMP/agent.yaml" <<YAML
server: "$LF_URL"
token: "agent-secret"
spool: {dir: "$LF_TMP/spool-yaml", max_files: 100}
targets:
  - {service: checkout, instance: yaml-a, url: "$LEAKY_URL"}
  - {service: checkout, instance: yaml-b, url: "$LEAKY_URL", format: debug2}
YAML
"$AGENT" --config "$LF_TMP/agent.yaml" --once 2>"$LF_TMP/agent-yaml.log" ||
    lf_fail "--once --config failed: $(tail -n 3 "$LF_TMP/agent-yaml.log")"
lf_eq "$(stored yaml-a),$(stored yaml-b)" "1,1" "one profile from each configured target"

# ---- full spool drops the oldest; a corrupt file is set aside ----------------------------
lf_stop
S2=$LF_TMP/spool2
once() {
    "$AGENT" --server "http://127.0.0.1:$PORT" --token agent-secret --service checkout \
        --instance web-2 --target "$LEAKY_URL" --spool "$S2" --once --retry-max 100ms \
        --log-level debug "$@" 2>>"$LF_TMP/agent4.log"
}
for _ in 1 2 3; do once --spool-max-files 2 && lf_fail "--once succeeded with the server down"; done
lf_eq "$(queued "$S2")" 2 "spool held at 2 files"
lf_eq "$(grep -c 'dropped oldest profile' "$LF_TMP/agent4.log")" 1 "one drop warning"
victim=$(find "$S2" -maxdepth 1 -name '*.prof' | sort | head -n 1)
printf 'garbage' | dd of="$victim" bs=1 seek=200 conv=notrunc 2>/dev/null
good=$(find "$S2" -maxdepth 1 -name '*.prof' | sort | tail -n 1)
cp "$good" "$LF_TMP/replay.prof"
lf_start --listen "127.0.0.1:$PORT"
once || lf_fail "--once failed with the server back: $(tail -n 3 "$LF_TMP/agent4.log")"
lf_eq "$(find "$S2/corrupt" -name '*.prof' | wc -l | tr -d ' ')" 1 "corrupt file set aside"
grep -q "spool: corrupt profile file moved to" "$LF_TMP/agent4.log" || lf_fail "no corrupt warning"
lf_eq "$(stored web-2)" 2 "web-2: the good spooled profile and the new one stored"

# ---- a crash between the server's 2xx and the delete: the replay is stored once ------------
cp "$LF_TMP/replay.prof" "$good"
once || lf_fail "--once failed replaying: $(tail -n 3 "$LF_TMP/agent4.log")"
key=$(sed -n 's/^key //p' "$LF_TMP/replay.prof")
lf_eq "$(grep -c "pushed pprof profile of 'checkout' instance 'web-2' ts [0-9]*, key $key" "$LF_TMP/agent4.log")" 2 \
    "the same profile pushed twice"
lf_eq "$(stored web-2)" 3 "web-2: the replay is not stored again, the new scrape is"
echo "test_agent_live: all passed"
