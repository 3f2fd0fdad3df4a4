#!/usr/bin/env bash
# test_agent_meta.sh - leakfleet-agent sends each target's process start time and version
# (`started`, `version`) with its pushes, recorded by the stand-in server
# (agent_fake_server.py). Against the real leaky Go service (tests/goleaky, -metrics):
# the values of its /metrics on every push, and after a restart with a new version the
# new start time and version. Against the stand-in as target: a metrics failure never
# stops a profile (pushed without the values), is logged once per change and counted;
# a 404 falls back to --version; go_info alone gives the toolchain's version; metrics_path
# none reads nothing; profiles spooled during an outage are replayed with the values of
# their own scrape, not those of the replay.
. "$(dirname "$0")/lib.sh"
. tests/goleaky/lib.sh

AGENT=${AGENT:-bin/leakfleet-agent}
AGENT_PID=
SERVER_PID=
TARGET_PID=
meta_cleanup() {
    [ -n "$AGENT_PID" ] && kill -KILL "$AGENT_PID" 2>/dev/null || true
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
    [ -n "$TARGET_PID" ] && kill "$TARGET_PID" 2>/dev/null || true
    leaky_stop
    if [ "${1:-0}" -ne 0 ]; then
        for f in "$LF_TMP"/agent*.log; do [ -f "$f" ] && { echo "---- $f ----"; tail -n 25 "$f"; }; done
    fi
    lf_cleanup "${1:-0}"
}
trap 'meta_cleanup $?' EXIT

command -v jq >/dev/null || lf_fail "jq is missing (tools/deps.sh test installs it)"
[ -x "$AGENT" ] || lf_fail "$AGENT is not built (make)"
[ -x build/goleaky/leaky ] || tests/goleaky/build.sh
[ -x build/goleaky/leaky ] || lf_fail "the Go fixture service is not built (tests/goleaky/build.sh)"

S=$LF_TMP/server
lf_stand_in "$S" agent_fake_server.py
SERVER_PID=$LF_STAND_IN_PID
SERVER_URL=http://127.0.0.1:$LF_STAND_IN_PORT

# wait_for SECONDS 'EXPR': polls the shell expression EXPR every 0.1 s.
wait_for() {
    local deadline=$((SECONDS + $1))
    until eval "$2"; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.1
    done
}
# pushes INSTANCE: the stored (201) pushes of INSTANCE, one JSON object a line.
pushes() {
    [ -f "$S/posts.jsonl" ] || return 0
    jq -c --arg i "$1" 'select(.status == 201 and .query.instance == $i)' "$S/posts.jsonl"
}
# count INSTANCE JQ-FILTER: how many of INSTANCE's stored pushes FILTER selects.
count() { pushes "$1" | jq -c "select($2)" | wc -l | tr -d ' '; }
# start_agent LOG ARGS...: the agent in the background, pushing to the stand-in.
start_agent() {
    local log=$1
    shift
    "$AGENT" --server "$SERVER_URL" --token tok --interval 1s --retry-max 1s \
        --log-level debug "$@" 2>>"$log" &
    AGENT_PID=$!
}
stop_agent() {
    kill -TERM "$AGENT_PID"
    local rc=0
    wait "$AGENT_PID" || rc=$?
    AGENT_PID=
    lf_eq "$rc" 0 "agent exit status after SIGTERM"
}
# start_time URL: process_start_time_seconds of URL/metrics in whole seconds.
start_time() {
    curl -fsS "$1/metrics" | sed -n 's/^process_start_time_seconds //p' |
        python3 -c 'import math, sys; print(math.floor(float(sys.stdin.read())))'
}

# ---- the real Go service: its start time and version on every push --------------------------
before=$(date +%s)
leaky_start "$LF_TMP" build/goleaky/leaky -metrics -version 1.4.2 -start 2 -leak-rate 0 ||
    lf_fail "leaky did not start"
leaky_wait_ready 10 || lf_fail "leaky not ready"
after=$(date +%s)
LEAKY_PORT=${LEAKY_ADDR##*:}
start1=$(start_time "$LEAKY_URL")
[ "$start1" -ge "$before" ] && [ "$start1" -le "$after" ] ||
    lf_fail "leaky's start time $start1 is not within $before..$after"
start_agent "$LF_TMP/agent-go.log" --service goleaky --instance g1 --target "$LEAKY_URL" \
    --spool "$LF_TMP/spool-go"
wait_for 15 '[ "$(count g1 true)" -ge 3 ]' || lf_fail "no pushes from the Go service within 15 s"
lf_eq "$(count g1 "(.query.started == \"$start1\" and .query.version == \"1.4.2\") | not")" 0 \
    "pushes without leaky's start time and version 1.4.2"
grep -q "'goleaky' instance 'g1': version '1.4.2' from goleaky_build_info" "$LF_TMP/agent-go.log" ||
    lf_fail "the version's source is not logged"

# restarted on the same port, one second later at least, as a new version
n_before=$(count g1 true)
leaky_stop
sleep 1.1
leaky_start "$LF_TMP" build/goleaky/leaky -listen "127.0.0.1:$LEAKY_PORT" -metrics \
    -version '1.5.0 "canary"' -start 2 -leak-rate 0 || lf_fail "leaky did not restart"
leaky_wait_ready 10 || lf_fail "restarted leaky not ready"
start2=$(start_time "$LEAKY_URL")
[ "$start2" -gt "$start1" ] || lf_fail "the restarted service's start time $start2 <= $start1"
wait_for 15 "[ \"\$(count g1 '.query.started == \"$start2\"')\" -ge 2 ]" ||
    lf_fail "no pushes with the new start time $start2 within 15 s"
stop_agent
lf_eq "$(count g1 ".query.started == \"$start2\" and .query.version == \"1.5.0 \\\"canary\\\"\"")" \
    "$(count g1 ".query.started == \"$start2\"")" "pushes after the restart carry version 1.5.0 \"canary\""
lf_eq "$(count g1 "(.query.started == \"$start1\" and .query.version == \"1.4.2\") or
    (.query.started == \"$start2\" and .query.version == \"1.5.0 \\\"canary\\\"\")")" \
    "$(count g1 true)" "every push carries one of the two (start, version) pairs"
# in push order: the old start time, then only the new one
lf_eq "$(pushes g1 | jq -r '.query.started' | uniq | tr '\n' ' ')" "$start1 $start2 " \
    "start times in push order"
[ "$(count g1 true)" -gt "$n_before" ] || lf_fail "no pushes after the restart"
grep -q "'goleaky' instance 'g1' restarted: process start $start2 (was $start1)" \
    "$LF_TMP/agent-go.log" || lf_fail "the restart is not logged"
# (logged as one logfmt value: its quotes escaped)
grep -qF "'goleaky' instance 'g1' runs version '1.5.0 \\\"canary\\\"' (was '1.4.2')" \
    "$LF_TMP/agent-go.log" || lf_fail "the new version is not logged"
leaky_stop

# ---- the stand-in as target: failures never stop a profile ------------------------------------
T=$LF_TMP/target
lf_stand_in "$T" agent_fake_server.py
TARGET_PID=$LF_STAND_IN_PID
TARGET_URL=http://127.0.0.1:$LF_STAND_IN_PORT
metrics() { # metrics START VERSION: DIR/metrics with that start time and build info
    printf '# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds %s\n%s\n' "$1" \
        "fake_build_info{revision=\"r\",version=\"$2\"} 1" >"$T/metrics.tmp"
    mv "$T/metrics.tmp" "$T/metrics"
}
metrics 1.7000000005e+09 7.0.0
start_agent "$LF_TMP/agent-fake.log" --service fake --instance f1 --target "$TARGET_URL" \
    --spool "$LF_TMP/spool-fake"
wait_for 15 '[ "$(count f1 true)" -ge 2 ]' || lf_fail "no pushes from the fake target"
lf_eq "$(count f1 '(.query.started == "1700000000" and .query.version == "7.0.0") | not')" 0 \
    "pushes without started (1.7000000005e+09 rounded down) and version"
grep -q '^text/plain;version=0.0.4' "$T/metrics-accept" ||
    lf_fail "the agent does not ask for the text format: $(cat "$T/metrics-accept")"

echo 500 >"$T/metrics-status"
n=$(count f1 true)
wait_for 15 "[ \"\$(count f1 'has(\"query\") and (.query | has(\"started\") | not)')\" -ge 3 ]" ||
    lf_fail "no pushes without a start time while /metrics answers 500"
printf '<html>login</html>\n' >"$T/metrics"
echo 200 >"$T/metrics-status"
m=$(count f1 'has("query") and (.query | has("started") | not)')
wait_for 15 "[ \"\$(count f1 'has(\"query\") and (.query | has(\"started\") | not)')\" -ge $((m + 2)) ]" ||
    lf_fail "no pushes while /metrics is not the text format"
lf_eq "$(count f1 '(.query | has("started") | not) and has("query") and (.query | has("version"))')" \
    0 "no version either while the metrics fail"
metrics 1.7000000005e+09 7.0.0
wait_for 15 "grep -q \"metrics of 'fake' instance 'f1' read again after\" \"$LF_TMP/agent-fake.log\"" ||
    lf_fail "no recovery line"
stop_agent
lf_eq "$(grep -c "level=warn msg=\"metrics of 'fake' instance 'f1' failed, profiles pushed without its start time and version: GET '$TARGET_URL/metrics': HTTP 500" "$LF_TMP/agent-fake.log")" \
    1 "one warning for the whole failure (500, then a body that is not the text format)"
again=$(grep -c "metrics of 'fake' instance 'f1' failed again" "$LF_TMP/agent-fake.log" || true)
grep -q "failed again ([0-9]* in a row): '$TARGET_URL/metrics': line 1 column 1: expected a metric name" \
    "$LF_TMP/agent-fake.log" || lf_fail "the parse error is not in the debug lines"
lf_eq "$(sed -n 's/.* \([0-9]*\) metrics reads failed;.*/\1/p' "$LF_TMP/agent-fake.log")" \
    "$((again + 1))" "failed metrics reads counted in the summary"
lf_eq "$(grep -c '/debug/pprof/goroutine?' "$T/scrapes.log")" \
    "$(grep -c '/metrics' "$T/scrapes.log")" "one metrics read per profile scrape"
[ "$(count f1 true)" -gt "$n" ] || lf_fail "pushes stopped"

# ---- 404: the configured version; go_info alone: the toolchain's; none: no read ----------------
rm -f "$T/metrics"
once() { "$AGENT" --server "$SERVER_URL" --token tok --service fake --target "$TARGET_URL" \
    --once --log-level debug "$@" 2>>"$LF_TMP/agent-once.log"; }
once --instance f2 --spool "$LF_TMP/spool-once" --version '9.9.9+b1' ||
    lf_fail "--once failed: $(tail -n 3 "$LF_TMP/agent-once.log")"
lf_eq "$(pushes f2 | jq -r '"\(.query.started // "none") \(.query.version)"')" "none 9.9.9+b1" \
    "404: no start time, the --version"
grep -q "'fake' instance 'f2' serves no /metrics (GET '$TARGET_URL/metrics': HTTP 404): profiles go without its start time" \
    "$LF_TMP/agent-once.log" || lf_fail "the 404 is not logged"
printf 'go_info{version="go1.22.1"} 1\n' >"$T/metrics"
once --instance f3 --spool "$LF_TMP/spool-once" || lf_fail "--once failed (go_info)"
lf_eq "$(pushes f3 | jq -r '"\(.query.started // "none") \(.query.version)"')" "none go1.22.1" \
    "go_info alone: the toolchain's version"
grep -q "'fake' instance 'f3': version 'go1.22.1' from go_info (the Go toolchain's version" \
    "$LF_TMP/agent-once.log" || lf_fail "the toolchain fallback is not logged as such"
reads=$(grep -c '/metrics' "$T/scrapes.log")
once --instance f4 --spool "$LF_TMP/spool-once" --metrics-path none --version 1 ||
    lf_fail "--once failed (none)"
lf_eq "$(grep -c '/metrics' "$T/scrapes.log")" "$reads" "metrics_path none: no read"
lf_eq "$(pushes f4 | jq -r '"\(.query.started // "none") \(.query.version)"')" "none 1" \
    "metrics_path none: the configured version only"
# a start time later than the agent's clock is not sent; nor is one of a process that
# started after the profile was asked for (its predecessor served the profile)
printf 'process_start_time_seconds 4e9\nfake_build_info{version="5"} 1\n' >"$T/metrics"
once --instance f6 --spool "$LF_TMP/spool-once" || lf_fail "--once failed (future start)"
lf_eq "$(pushes f6 | jq -r '"\(.query.started // "none") \(.query.version)"')" "none 5" \
    "a start time in the future: not sent"
grep -q "metrics of 'fake' instance 'f6': process_start_time_seconds 4000000000.000 is later than this host's clock: not sent" \
    "$LF_TMP/agent-once.log" || lf_fail "the future start time is not logged"
printf 'process_start_time_seconds @NOW@\nfake_build_info{version="6"} 1\n' >"$T/metrics"
once --instance f7 --spool "$LF_TMP/spool-once" --version 0.9 || lf_fail "--once failed (race)"
lf_eq "$(pushes f7 | jq -r '"\(.query.started // "none") \(.query.version)"')" "none 0.9" \
    "restarted between profile and metrics: neither value of the metrics"
grep -q "'fake' instance 'f7' restarted during the scrape: this profile goes without the start time and version of its metrics" \
    "$LF_TMP/agent-once.log" || lf_fail "the restart during the scrape is not logged"

# ---- an outage: the spool keeps each profile's own values ----------------------------------------
metrics 1710000000 8.0.0
echo 503 >"$S/mode"
start_agent "$LF_TMP/agent-outage.log" --service fake --instance f5 --target "$TARGET_URL" \
    --spool "$LF_TMP/spool-outage"
queued() { find "$LF_TMP/spool-outage" -maxdepth 1 -name '*.prof' 2>/dev/null | wc -l | tr -d ' '; }
wait_for 15 '[ "$(queued)" -ge 2 ]' || lf_fail "nothing spooled during the outage"
grep -q '^started 1710000000$' "$(find "$LF_TMP/spool-outage" -maxdepth 1 -name '*.prof' | head -n 1)" ||
    lf_fail "the spool file does not hold the start time"
metrics 1720000000 8.1.0
n=$(queued)
wait_for 15 "[ \"\$(queued)\" -ge $((n + 2)) ]" || lf_fail "nothing more spooled"
echo 201 >"$S/mode"
wait_for 20 '[ "$(queued)" -eq 0 ]' || lf_fail "the spool was not replayed"
# a start time that moves by a second (now minus uptime, computed at each scrape) is the
# same start
metrics 1720000001.2 8.1.0
n=$(count f5 true)
wait_for 15 "[ \"\$(count f5 true)\" -ge $((n + 2)) ]" || lf_fail "no pushes after the jitter"
stop_agent
grep -q "'fake' instance 'f5' restarted: process start 1720000000 (was 1710000000)" \
    "$LF_TMP/agent-outage.log" || lf_fail "the restart during the outage is not logged"
lf_eq "$(grep -c "'fake' instance 'f5' restarted" "$LF_TMP/agent-outage.log")" 1 \
    "a second of jitter is no restart"
old=$(count f5 '.query.started == "1710000000" and .query.version == "8.0.0"')
new=$(count f5 '.query.started == "1720000000" and .query.version == "8.1.0"')
[ "$old" -ge 2 ] || lf_fail "replayed profiles lost the values of their scrape: $old with 1710000000"
[ "$new" -ge 2 ] || lf_fail "only $new pushes with the values after the restart"
lf_eq "$((old + new))" "$(count f5 true)" "each push carries its own scrape's values"
lf_eq "$(pushes f5 | jq -r '.query.started' | uniq | tr '\n' ' ')" "1710000000 1720000000 " \
    "replayed oldest first"
echo "test_agent_meta: all passed"
