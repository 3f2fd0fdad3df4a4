#!/usr/bin/env bash
# test_alertmanager.sh - notify.alertmanager against the real Alertmanager (Debian's
# prometheus-alertmanager) on loopback, routing by owner to a webhook receiver: two
# suspects of the leaky Go service with two owners arrive as one group per owner with
# the right labels, annotations and extra labels; the site resolved in leakfleet arrives
# as a resolve; the alerts are posted again every interval while open.
. "$(dirname "$0")/lib.sh"
. tests/goleaky/lib.sh

AM_BIN=$(command -v prometheus-alertmanager || command -v alertmanager || true)
[ -n "$AM_BIN" ] || lf_fail "prometheus-alertmanager is missing (make deps)"
[ -x build/goleaky/leaky ] || lf_fail "build/goleaky/leaky is missing (make go-fixture)"

lf_stand_in "$LF_TMP/hooks" webhook_receiver.py
HOOK_PID=$LF_STAND_IN_PID
HOOK_URL="http://127.0.0.1:$LF_STAND_IN_PORT"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
AM_PORT=$(free_port)
AM_URL="http://127.0.0.1:$AM_PORT"
mkdir -p "$LF_TMP/am"
cat >"$LF_TMP/am/alertmanager.yml" <<YAML
route:
  receiver: owners
  group_by: [owner]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: owners
    webhook_configs:
      - url: "$HOOK_URL/am"
        send_resolved: true
YAML
"$AM_BIN" --config.file="$LF_TMP/am/alertmanager.yml" --storage.path="$LF_TMP/am/data" \
    --web.listen-address="127.0.0.1:$AM_PORT" --cluster.listen-address= --log.level=warn \
    >"$LF_TMP/am/am.log" 2>&1 &
AM_PID=$!
trap 'rc=$?; leaky_stop; kill $HOOK_PID $AM_PID 2>/dev/null || true; wait $AM_PID 2>/dev/null || true; [ $rc -ne 0 ] && tail -n 20 "$LF_TMP/am/am.log"; lf_cleanup $rc' EXIT
for _ in $(seq 1 100); do
    curl -sf -o /dev/null "$AM_URL/-/ready" && break
    kill -0 "$AM_PID" 2>/dev/null || lf_fail "alertmanager exited at start"
    sleep 0.1
done
curl -sf -o /dev/null "$AM_URL/-/ready" || lf_fail "alertmanager not ready"

srcdir=$(cat build/goleaky/srcdir)
cat >"$LF_TMP/config.yaml" <<YAML
database: "$LF_TMP/lf.db"
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
  dashboard_url: "http://leakfleet.example"
  group_wait: "1s"
  alertmanager:
    url: "$AM_URL/"
    interval: "1s"
    labels:
      source: leakfleet
      cluster: "eu-1"
tokens:
  - token: "agent-secret"
    services: ["leaky"]
  - token: "admin-secret"
    admin: true
YAML
lf_start

leaky_start "$LF_TMP" build/goleaky/leaky -leak-rate 0 -start 0 -kinds send,select -workers 40
leaky_wait_ready 10 || lf_fail "leaky not ready"
now=$(date +%s)
lf_push_leaky_growth "$now"
lf_req POST /api/v1/detect -H "Authorization: Bearer admin-secret"
lf_eq "$(lf_json .suspects)" 2 "suspects found by the pass"

SEND='github.com/acme/leaky/internal/ncast.(*Bus).Publish.func1'
SELECT='github.com/acme/leaky/internal/worker.waitReply'
hooks() { cat "$LF_TMP/hooks/hooks.jsonl" 2>/dev/null || true; }
wait_hooks() { # wait_hooks JQ_FILTER WHAT: until the filter over every webhook body is true
    for _ in $(seq 1 150); do
        [ "$(hooks | jq -rs "$1")" = true ] && return 0
        sleep 0.1
    done
    hooks | jq -c . >&2 || true
    lf_fail "$2"
}

# Firing: Alertmanager groups by owner, one webhook call per owner with its own alert.
wait_hooks '[.[] | select(.path == "/am" and .body.status == "firing")] | map(.body.groupLabels.owner) | unique | length == 2' \
    "a firing group per owner"
firing=$(hooks | jq -s '[.[] | select(.path == "/am" and .body.status == "firing") | .body]')
lf_eq "$(jq -r 'map("\(.groupLabels.owner)=\(.alerts | length)") | unique | sort | join(" ")' <<<"$firing")" \
    "@acme/messaging=1 @acme/workers=1" "one group per owner, one alert each"
lf_eq "$(jq -r 'map(.alerts[] | "\(.labels.owner) \(.labels.function)") | unique | sort | join(";")' <<<"$firing")" \
    "@acme/messaging $SEND;@acme/workers $SELECT" "each owner's group holds its own site"
alert=$(jq -c "[.[].alerts[] | select(.labels.function == \"$SEND\")][0]" <<<"$firing")
lf_eq "$(jq -r '.labels | [.alertname, .service, .op, .source, .cluster, (.line | test("^[0-9]+$")), (.file | endswith(".go"))] | @csv' <<<"$alert")" \
    '"GoroutineLeak","leaky","chan send","leakfleet","eu-1",true,true' "labels of the alert, the configured ones included"
lf_eq "$(jq -r '.annotations.summary' <<<"$alert")" "Goroutine leak in leaky at $SEND" "summary"
jq -r '.annotations.description' <<<"$alert" | grep -q '^160 goroutines blocked in chan send at .*, growing 1200.0 an hour, reaches 10000 in [0-9]* h' ||
    lf_fail "description: $(jq -r '.annotations.description' <<<"$alert")"
location=$(curl -sf "$LF_URL/api/v1/leaks" | jq -r ".leaks[] | select(.function == \"$SEND\") | .location_id")
lf_eq "$(jq -r '.generatorURL' <<<"$alert")" "http://leakfleet.example/#/location/$location" "generatorURL"
lf_eq "$(jq -r '.annotations.dashboard' <<<"$alert")" "http://leakfleet.example/#/location/$location" "dashboard annotation"
lf_eq "$(curl -sf "$AM_URL/api/v2/alerts?active=true" | jq -r 'map(.labels.owner) | sort | join(" ")')" \
    "@acme/messaging @acme/workers" "Alertmanager holds both alerts, active"

# Re-posted every interval while open: the counter grows.
posted() { curl -sf "$LF_URL/metrics" | sed -n 's/^leakfleet_alertmanager_alerts_posted_total //p'; }
first=$(posted)
sleep 2.5
[ "$(posted)" -gt "$first" ] || lf_fail "alerts not posted again while open ($first -> $(posted))"
echo "ok: posted again while open ($first -> $(posted))"

# Resolved in leakfleet: the messaging alert's resolve arrives; the other stays firing.
id=$(curl -sf "$LF_URL/api/v1/notifications" | jq -r ".notifications[] | select(.function == \"$SEND\") | .id")
lf_req POST "/api/v1/notifications/$id/resolve" -H "Authorization: Bearer admin-secret"
lf_eq "$LF_STATUS" 200 "resolve in leakfleet"
wait_hooks '[.[] | select(.path == "/am" and .body.status == "resolved") | .body.alerts[] | select(.status == "resolved") | .labels.owner] | index("@acme/messaging") != null' \
    "the resolve of @acme/messaging's alert"
resolved=$(hooks | jq -s -c '[.[] | select(.path == "/am") | .body.alerts[] | select(.status == "resolved")][0]')
lf_eq "$(jq -r '.labels.function' <<<"$resolved")" "$SEND" "the resolved alert is the resolved site"
[ "$(jq -r '.endsAt' <<<"$resolved")" != "0001-01-01T00:00:00Z" ] || lf_fail "resolve without endsAt"
lf_eq "$(curl -sf "$AM_URL/api/v2/alerts?active=true" | jq -r 'map(.labels.owner) | join(" ")')" \
    "@acme/workers" "only the unresolved site is still firing in Alertmanager"

# Acknowledged ends it too.
id=$(curl -sf "$LF_URL/api/v1/notifications" | jq -r ".notifications[] | select(.function == \"$SELECT\") | .id")
lf_req POST "/api/v1/notifications/$id/ack" -H "Authorization: Bearer admin-secret"
lf_eq "$LF_STATUS" 200 "acknowledge in leakfleet"
for _ in $(seq 1 50); do
    [ "$(curl -sf "$AM_URL/api/v2/alerts?active=true" | jq length)" = 0 ] && break
    sleep 0.1
done
lf_eq "$(curl -sf "$AM_URL/api/v2/alerts?active=true" | jq length)" 0 "no alert active after the acknowledgement"
lf_stop
