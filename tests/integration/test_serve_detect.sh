#!/usr/bin/env bash
# test_serve_detect.sh - detection and owner notifications end to end: the leaky Go
# service leaks at known rates while two instances push eight profiles a minute apart;
# a detection pass finds exactly the growing in-repo channel sites (not the flat worker
# pool above the threshold, not the growing mutex site once detect.ops is narrowed to
# channel ops; every site says why it is not suspect), the queue holds one notification
# per site and owner, the dispatcher groups each owner's findings into one webhook call
# on the owner's route, the admin actions move states, and the queue survives a restart.
. "$(dirname "$0")/lib.sh"
. tests/goleaky/lib.sh

[ -x build/goleaky/leaky ] || lf_fail "build/goleaky/leaky is missing (make go-fixture)"
lf_stand_in "$LF_TMP/hooks" webhook_receiver.py
HOOK_PID=$LF_STAND_IN_PID
HOOK_URL="http://127.0.0.1:$LF_STAND_IN_PORT"

srcdir=$(cat build/goleaky/srcdir)
cat >"$LF_TMP/config.yaml" <<YAML
database: "$LF_TMP/lf.db"
log_format: json
repo:
  roots: ["github.com/acme/leaky/", "$srcdir/"]
owners:
  codeowners: "tests/goleaky/CODEOWNERS"
detect:
  threshold: 50
  live_window: "1h"
  interval: "1h"
  ops: ["chan send", "chan receive", "select", "select (no cases)"]
notify:
  webhook: "$HOOK_URL/default"
  routes:
    "@acme/workers": "$HOOK_URL/workers"
  dashboard_url: "http://leakfleet.example"
  group_wait: "1s"
web:
  source_url: "https://src.example/acme/leaky/blob/main/{path}#L{line}"
tokens:
  - token: "agent-secret"
    services: ["leaky"]
  - token: "admin-secret"
    name: "alice@acme.example"
    admin: true
YAML
lf_start

leaky_start "$LF_TMP" build/goleaky/leaky -leak-rate 0 -start 0 -kinds send,select,mutex -workers 40
trap 'rc=$?; leaky_stop; kill $HOOK_PID 2>/dev/null || true; lf_cleanup $rc' EXIT
leaky_wait_ready 10 || lf_fail "leaky not ready"

now=$(date +%s)
lf_push_leaky_growth "$now"

lf_req POST /api/v1/detect -H "Authorization: Bearer agent-secret"
lf_eq "$LF_STATUS" 403 "an ingest token cannot run detection"
lf_req POST /api/v1/detect -H "Authorization: Bearer admin-secret"
lf_eq "$LF_STATUS" 200 "detection pass"
lf_eq "$(lf_json .suspects)" 2 "suspects found by the pass"

SEND='github.com/acme/leaky/internal/ncast.(*Bus).Publish.func1'
SELECT='github.com/acme/leaky/internal/worker.waitReply'
lf_req GET /api/v1/leaks
lf_eq "$(lf_json '[.leaks[].function] | sort | join(" ")')" "$SEND $SELECT" "suspects: the growing channel sites"
lf_eq "$(lf_json '[.leaks[] | "\(.count)/\(.growth_per_hour)/\(.owner)"] | sort | join(" ")')" \
    "160/1200/@acme/messaging 160/1200/@acme/workers" "counts, growth per hour and owners"
lf_req GET '/api/v1/leaks?all=1'
lf_eq "$(lf_json '.leaks[] | select(.function | endswith("(*Pool).run")) | [.count, .suspect, (.reason | startswith("not growing"))] | @csv')" \
    "80,false,true" "the flat worker pool over the threshold is not suspect: not growing"
lf_eq "$(lf_json '.leaks[] | select(.function | endswith("(*Cache).get")) | [.op, .count, .suspect, .reason] | @csv')" \
    '"sync.Mutex.Lock",160,false,"op not monitored: sync.Mutex.Lock"' "the growing mutex site is outside detect.ops"
lf_eq "$(lf_json '[.leaks[] | select(.suspect | not) | select(.reason == null)] | length')" 0 \
    "every site that is not suspect says why"

lf_req GET '/api/v1/trends?window=1h'
lf_eq "$(lf_json '.trends[0:3] | map(.growth_per_hour) | join(" ")')" "1200 1200 1200" "trends: fastest first"
lf_eq "$(lf_json '[.trends[] | select(.suspect)] | length')" 2 "trends mark the suspects"
lf_req GET '/api/v1/trends?window=soon'
lf_eq "$LF_STATUS" 400 "a bad window"

lf_req GET /api/v1/notifications
lf_eq "$(lf_json '[.notifications[] | "\(.owner)=\(.state | test("pending|delivered"))"] | sort | join(" ")')" \
    "@acme/messaging=true @acme/workers=true" "one queued notification per site and owner"

# The dispatcher posts each owner's findings to the owner's route within a few seconds.
for _ in $(seq 1 100); do
    [ -f "$LF_TMP/hooks/hooks.jsonl" ] && [ "$(wc -l <"$LF_TMP/hooks/hooks.jsonl")" -ge 2 ] && break
    sleep 0.1
done
hooks=$(cat "$LF_TMP/hooks/hooks.jsonl")
lf_eq "$(jq -rs 'map("\(.path) \(.body.owner) \(.body.findings | length)") | sort | join(", ")' <<<"$hooks")" \
    "/default @acme/messaging 1, /workers @acme/workers 1" "one webhook call per owner, on the owner's route"
lf_eq "$(jq -rs '.[] | select(.path == "/default") | .body | [.service, .op, .count, .growth_per_hour, .projection.target] | @csv' <<<"$hooks")" \
    '"leaky","chan send",160,1200,10000' "message fields"
link=$(jq -rs '.[] | select(.path == "/default") | .body.link' <<<"$hooks")
case "$link" in http://leakfleet.example/\#/location/*) echo "ok: dashboard link $link" ;; *) lf_fail "link '$link'" ;; esac
jq -rs '.[] | select(.path == "/default") | .body.text' <<<"$hooks" | grep -q "^leakfleet: 1 goroutine leak suspect for @acme/messaging" ||
    lf_fail "message text"
echo "ok: the message carries a Slack-compatible text"
text=$(jq -rs '.[] | select(.path == "/default") | .body.text' <<<"$hooks")
case "$text" in
*"$srcdir"*) lf_fail "the message text names the build path: $text" ;;
*"ncast.(*Bus).Publish.func1 at internal/ncast/ncast.go:"*"source: https://src.example/acme/leaky/blob/main/internal/ncast/ncast.go#L"*)
    echo "ok: the message names the site by its repo-relative path, with its source link" ;;
*) lf_fail "message text without the repo-relative path and source link: $text" ;;
esac
lf_eq "$(jq -rs '.[] | select(.path == "/default") | .body.findings[0] | "\(.repo_path) \(.source_url | startswith("https://src.example/"))"' <<<"$hooks")" \
    "internal/ncast/ncast.go true" "the finding carries its repo path and source link"

lf_req GET '/api/v1/notifications?state=delivered'
lf_eq "$(lf_json '.notifications | length')" 2 "both delivered"
send_id=$(lf_json ".notifications[] | select(.function == \"$SEND\") | .id")
select_id=$(lf_json ".notifications[] | select(.function == \"$SELECT\") | .id")

lf_req POST "/api/v1/notifications/$send_id/ack" -H "Authorization: Bearer agent-secret"
lf_eq "$LF_STATUS" 403 "an ingest token cannot acknowledge"
lf_req POST "/api/v1/notifications/$send_id/ack" -H "Authorization: Bearer admin-secret"
lf_eq "$(lf_json .state)" acknowledged "ack"
lf_req POST "/api/v1/notifications/$select_id/snooze?until=$((now + 3600))" -H "Authorization: Bearer admin-secret"
lf_eq "$(lf_json '[.state, .snoozed_until] | @csv')" "\"snoozed\",$((now + 3600))" "snooze"
lf_req POST "/api/v1/notifications/$select_id/reassign?owner=%40acme%2Foncall" -H "Authorization: Bearer admin-secret"
lf_eq "$(lf_json '[.owner, .owner_manual] | @csv')" '"@acme/oncall",true' "reassign sticks as manual"
lf_req GET "/api/v1/notifications/$send_id"
lf_eq "$(lf_json '[.events[].event] | join(",")')" "created,delivered,acknowledged" "history"
lf_eq "$(lf_json '[.actor, .events[-1].detail] | @csv')" '"alice@acme.example","by alice@acme.example"' \
    "the action names the admin token's name, not 'api'"
lf_eq "$(lf_json '[.count, .growth_per_hour] | @csv')" "160,1200" "the queue carries count and growth"
lf_req GET "/api/v1/notifications/$select_id"
lf_eq "$(lf_json '.events[-1].detail')" "to @acme/oncall by alice@acme.example" "reassign names its actor"

lf_req POST "/api/v1/silences?owner=%40acme%2Fstorage&reason=known&until=$((now + 86400))" -H "Authorization: Bearer admin-secret"
lf_eq "$LF_STATUS" 201 "silence created"
lf_req GET /api/v1/silences
lf_eq "$(lf_json '.silences[0] | [.owner, .reason, .active, .created_by] | @csv')" \
    '"@acme/storage","known",true,"alice@acme.example"' "silence listed with who set it"
lf_req GET /metrics
grep -q '^leakfleet_notifications_unrouted_total 0$' <<<"$LF_BODY" || lf_fail "unrouted metric"
echo "ok: /metrics counts unrouted messages apart (none here: every owner has a route)"

# The charts' timeline: no version changes in these pushes, and the push interval.
lf_req GET "/api/v1/timeline?service=leaky&from=$((now - 3600))"
lf_eq "$LF_STATUS $(lf_json '[.push_interval, (.events | length)] | @csv')" "200 60,0" "timeline"
lf_req GET "/api/v1/timeline?service=nope"
lf_eq "$LF_STATUS" 404 "timeline of an unknown service"
lf_req GET "/api/v1/timeline"
lf_eq "$LF_STATUS $(lf_json .error)" "400 missing parameter 'service'" "timeline needs a service"

# A detection pass keeps the reassigned owner, and the queue survives a restart.
lf_req POST /api/v1/detect -H "Authorization: Bearer admin-secret"
lf_req GET /api/v1/notifications
before=$(lf_json '[.notifications[] | "\(.id):\(.owner):\(.state)"] | sort | join(" ")')
lf_eq "$(lf_json '.notifications | length')" 2 "no duplicate after another pass"
lf_stop
# log_format: json: one JSON object a line, with the queue's changes and their actors.
python3 tests/integration/check_log_lines.py json "$LF_TMP/server.log" \
    "detection pass:sites,suspects,duration_ms" "notification:id,event,actor" ||
    lf_fail "server log"
grep -q '"msg":"notification","id":1,"event":"acknowledged","actor":"alice@acme.example","detail":"by alice@acme.example"' \
    "$LF_TMP/server.log" || lf_fail "no log line for the acknowledgement with its actor"
echo "ok: the acknowledgement is logged with its actor"
lf_start
lf_req GET /api/v1/notifications
lf_eq "$(lf_json '[.notifications[] | "\(.id):\(.owner):\(.state)"] | sort | join(" ")')" "$before" "queue after restart"
lf_stop
