#!/usr/bin/env bash
# test_agent_discovery.sh - leakfleet-agent finding its targets while it runs: file_sd
# files (JSON and YAML; a new file seen through inotify with a refresh interval of an
# hour; a broken file keeps its targets; a removed file stops them), http_sd, and the
# pods of its node from a stand-in Kubernetes API server (kube_api_stand_in.py serving
# tests/fixtures/kubernetes/pods.json with the API server's fieldSelector filter and
# token check), merged with static targets; a removed target's spooled profiles are
# still delivered; SIGHUP with a good and a bad configuration; the health summary.
set -euo pipefail
cd "$(dirname "$0")/../.."

AGENT=${AGENT:-bin/leakfleet-agent}
T=$(mktemp -d "${TMPDIR:-/tmp}/lf-agent-discovery.XXXXXX")
FAKE_PID=
KUBE_PID=
AGENT_PID=
cleanup() {
    local rc=$?
    [ -n "$AGENT_PID" ] && kill -KILL "$AGENT_PID" 2>/dev/null
    [ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null
    [ -n "$KUBE_PID" ] && kill "$KUBE_PID" 2>/dev/null
    wait 2>/dev/null
    if [ "$rc" -ne 0 ] && [ -f "$T/agent.log" ]; then
        echo "---- agent log ----"; grep -v "level=debug " "$T/agent.log" | tail -n 40
    fi
    rm -rf "$T"
    exit "$rc"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
eq() { [ "$1" = "$2" ] || fail "$3: got '$1', want '$2'"; echo "ok: $3 = $2"; }

command -v python3 >/dev/null || fail "python3 is missing (tools/deps.sh test installs it)"
command -v jq >/dev/null || fail "jq is missing (tools/deps.sh test installs it)"
[ -x "$AGENT" ] || fail "$AGENT is not built (make)"

mkdir -p "$T/fake" "$T/kube" "$T/sd"
python3 tests/integration/agent_fake_server.py "$T/fake" &
FAKE_PID=$!
for _ in $(seq 1 100); do [ -s "$T/fake/port" ] && break; sleep 0.05; done
[ -s "$T/fake/port" ] || fail "fake server did not start"
P=$(cat "$T/fake/port")
python3 tests/integration/kube_api_stand_in.py "$T/kube" "$P" &
KUBE_PID=$!
for _ in $(seq 1 100); do [ -s "$T/kube/port" ] && break; sleep 0.05; done
[ -s "$T/kube/port" ] || fail "kubernetes stand-in did not start"
Q=$(cat "$T/kube/port")
echo "sa-token-$RANDOM" >"$T/kube/token"
cp "$T/kube/token" "$T/kube-token"

# pushes of SERVICE/INSTANCE that the server took (or, with a third argument, answered
# with that status)
pushed() {
    [ -f "$T/fake/posts.jsonl" ] || { echo 0; return; }
    jq -r --arg s "$1" --arg i "$2" --argjson st "${3:-201}" \
        'select(.query.service == $s and .query.instance == $i and .status == $st) | .key' \
        "$T/fake/posts.jsonl" | wc -l | tr -d ' '
}
# wait_for WHAT COMMAND...: polls COMMAND for up to 10 s
wait_for() {
    local what=$1; shift
    for _ in $(seq 1 100); do "$@" && { echo "ok: $what"; return 0; }; sleep 0.1; done
    fail "$what (10 s)"
}
has_push() { [ "$(pushed "$1" "$2")" -gt 0 ]; }
at_least() { [ "$(pushed "$1" "$2" "${4:-201}")" -ge "$3" ]; } # SERVICE INSTANCE N [STATUS]
spooled() { grep -l "^instance $1\$" "$T"/spool/*.prof 2>/dev/null | wc -l | tr -d ' '; }
none_spooled() { [ "$(spooled "$1")" -eq 0 ]; }
logged() { grep -qF -- "$1" "$T/agent.log"; }
mv_into() { cat >"$T/tmp.$$"; mv "$T/tmp.$$" "$1"; } # atomic, as a config tool writes

# ---- the sources ---------------------------------------------------------------------
mv_into "$T/sd/a.json" <<JSON
[{"targets": ["127.0.0.1:$P"], "labels": {"service": "filesvc", "instance": "f-1"}}]
JSON
mv_into "$T/sd/b.yaml" <<YAML
- targets: ["127.0.0.1:$P"]
  labels: {service: yamlsvc, instance: y-1, __pprof_path__: /yaml/goroutine}
YAML
cat >"$T/fake/sd.json" <<JSON
[{"targets": ["127.0.0.1:$P"], "labels": {"service": "httpsvc", "instance": "h-1"}},
 {"targets": ["127.0.0.1:$P"], "labels": {"service": "filesvc", "instance": "f-1"}}]
JSON
write_config() {
    cat >"$T/agent.yaml" <<YAML
server: http://127.0.0.1:$P
token: tok-1
spool: {dir: "$T/spool"}
interval: 1s
metrics_path: none
retry_max: 1s
file_sd:
  - files: ["$T/sd/*.json", "$T/sd/*.yaml"]
    refresh_interval: 1h
http_sd:
  - url: http://127.0.0.1:$P/sd.json
    refresh_interval: 1s
listen: "127.0.0.1:0"
kubernetes:
  node: node-a
  api_server: http://127.0.0.1:$Q
  token_file: "$T/kube-token"
  ca_file: ""
  refresh_interval: 1s
$1
YAML
}
write_config ""
"$AGENT" --config "$T/agent.yaml" --log-level debug 2>"$T/agent.log" &
AGENT_PID=$!

wait_for "file_sd JSON target pushed" has_push filesvc f-1
wait_for "file_sd YAML target pushed" has_push yamlsvc y-1
wait_for "http_sd target pushed" has_push httpsvc h-1
wait_for "kubernetes: Deployment pod pushed as its Deployment" \
    has_push checkout checkout-7d9f8b6c5d-x2x7k
wait_for "kubernetes: StatefulSet pod with leakfleet.io/service" has_push search-indexer search-0
wait_for "kubernetes: pod annotated for Pyroscope" has_push payments-api payments-api-6b8c9d7f45-q8w2n
grep -q '^/yaml/goroutine?debug=0$' "$T/fake/scrapes.log" || fail "__pprof_path__ not scraped"
grep -q '^/internal/pprof/goroutine?debug=0$' "$T/fake/scrapes.log" ||
    fail "leakfleet.io/path not scraped"
eq "$(pushed checkout checkout-7d9f8b6c5d-r6h2c)" 0 "the other node's pod is not scraped"
for pod in ledger-5f6d7c8b9a-zz9kq checkout-7d9f8b6c5d-p4m8t cart-84c6f5b7d9-tt2lm \
    nightly-report-29421840-k7xjq inventory-6c7d8e9f01-b3n5v kube-proxy-9mzsl; do
    [ -z "$(jq -r --arg i "$pod" 'select(.query.instance == $i) | .key' "$T/fake/posts.jsonl")" ] ||
        fail "pod $pod was scraped"
done
echo "ok: pods without a port, pending, deleted, finished, switched off or unannotated are not scraped"
logged "kubernetes: 1 annotated pod left out; pod payments/ledger-5f6d7c8b9a-zz9kq: no leakfleet.io/port annotation" ||
    fail "the pod without a port is not named in the log"
grep -q "^/api/v1/pods?fieldSelector=spec.nodeName%3Dnode-a$" "$T/kube/requests.log" ||
    fail "the pods were not asked for with the node's fieldSelector: $(head -n 1 "$T/kube/requests.log")"
echo "ok: pods listed with fieldSelector=spec.nodeName=node-a and the service account's token"
logged "'filesvc' instance 'f-1' from http_sd 'http://127.0.0.1:$P/sd.json' is already scraped from file_sd '$T/sd/a.json': left out" ||
    fail "the duplicate (service, instance) is not logged"

# ---- the agent's own /metrics -----------------------------------------------------------
wait_for "the agent says where its /metrics is" logged "agent: /metrics on http://127.0.0.1:"
M=$(sed -n 's|.*agent: /metrics on \(http://[0-9.:]*/metrics\).*|\1|p' "$T/agent.log" | head -n 1)
curl -fsS "$M" >"$T/metrics"
grep -qx 'leakfleet_agent_targets{source="kubernetes"} 3' "$T/metrics" ||
    fail "metrics: kubernetes targets: $(grep targets "$T/metrics")"
grep -qx 'leakfleet_agent_targets{source="file_sd"} 2' "$T/metrics" || fail "metrics: file_sd targets"
grep -qx 'leakfleet_agent_target_duplicates 1' "$T/metrics" || fail "metrics: duplicates"
grep -qx 'leakfleet_agent_target_up{service="search-indexer",instance="search-0"} 1' "$T/metrics" ||
    fail "metrics: target_up"
grep -qE '^leakfleet_agent_target_scrapes_total\{service="filesvc",instance="f-1",result="ok"\} [1-9]' \
    "$T/metrics" || fail "metrics: scrapes of filesvc"
grep -qE '^leakfleet_agent_target_last_success_timestamp_seconds\{service="httpsvc",instance="h-1"\} [0-9]{10}$' \
    "$T/metrics" || fail "metrics: last success"
eq "$(curl -s -o /dev/null -w '%{http_code}' "${M%/metrics}/nope")" 404 "agent /nope"
eq "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$M")" 405 "agent POST /metrics"
eq "$(curl -s "${M%/metrics}/healthz")" ok "agent /healthz"
echo "ok: the agent's /metrics has per-target health"
# a client that connects and says nothing costs the loop a second, not the scrapes
hostport=${M#http://}; hostport=${hostport%/metrics}
exec 3<>"/dev/tcp/${hostport%:*}/${hostport#*:}"
before=$(pushed httpsvc h-1)
wait_for "scrapes go on while a /metrics client stalls" at_least httpsvc h-1 $((before + 3))
exec 3>&-

# ---- a new file is seen at once (inotify; the refresh interval is an hour) --------------
mv_into "$T/sd/c.json" <<JSON
[{"targets": ["127.0.0.1:$P"], "labels": {"service": "late", "instance": "l-1"}}]
JSON
wait_for "a new file_sd file is scraped within seconds" has_push late l-1

# ---- a broken file keeps its targets -------------------------------------------------
before=$(pushed filesvc f-1)
mv_into "$T/sd/a.json" <<<'[{"targets": ["127.0.0.1:1"], "labels": '
wait_for "the broken file is logged, its target kept" \
    logged "level=warn msg=\"file_sd '$T/sd/a.json':2:0: unexpected token near end of file (its 1 target kept)"
wait_for "the broken file's target is still scraped" at_least filesvc f-1 $((before + 2))

# ---- a target that goes away: no more scrapes, its spooled profiles still delivered ----
echo 500 >"$T/fake/mode"
some_spooled() { [ "$(spooled "$1")" -ge 2 ]; }
wait_for "late's profiles are spooled while the server answers 500" some_spooled l-1
rm "$T/sd/c.json"
wait_for "the removed file's target is removed" logged "target removed: 'late' instance 'l-1'"
sleep 1.5
keys=$(grep -ah "^key " $(grep -l "^instance l-1$" "$T"/spool/*.prof) | cut -d' ' -f2 | sort -u)
echo "ok: $(echo "$keys" | wc -l | tr -d ' ') profiles of the removed target in the spool"
echo 201 >"$T/fake/mode"
wait_for "the removed target's spooled profiles are delivered" none_spooled l-1
delivered=$(jq -r 'select(.query.instance == "l-1" and .status == 201) | .key' \
    "$T/fake/posts.jsonl" | sort -u)
missing=$(comm -23 <(echo "$keys") <(echo "$delivered") | wc -l | tr -d ' ')
eq "$missing" 0 "spooled profiles of the removed target never delivered"
count=$(pushed late l-1)
sleep 2
eq "$(pushed late l-1)" "$count" "no new profiles of the removed target"

# ---- kubernetes: a pod that goes, and an API server that refuses ---------------------
jq '.items |= map(select(.metadata.name != "search-0"))' \
    tests/fixtures/kubernetes/pods.json >"$T/kube/pods.json.tmp"
mv "$T/kube/pods.json.tmp" "$T/kube/pods.json"
wait_for "a deleted pod's target is removed" logged "target removed: 'search-indexer' instance 'search-0'"
echo 403 >"$T/kube/mode"
wait_for "a refusal of the API server is logged with what to do" \
    logged "needs list on pods: see deploy/kubernetes/agent.yaml) (its 2 targets kept)"
before=$(pushed checkout checkout-7d9f8b6c5d-x2x7k)
wait_for "the pods' targets are kept while the API server refuses" \
    at_least checkout checkout-7d9f8b6c5d-x2x7k $((before + 2))
rm "$T/kube/mode"

# ---- SIGHUP ----------------------------------------------------------------------------
write_config "targets: [{service: hupsvc, instance: hup-1, url: 'http://127.0.0.1:$P'}]"
kill -HUP "$AGENT_PID"
wait_for "a static target added by SIGHUP is scraped" has_push hupsvc hup-1
logged "reload: configuration read again (1 static target, discovery)" || fail "reload not logged"
cp "$T/agent.yaml" "$T/good.yaml"
echo "intervall: 5s" >>"$T/agent.yaml"
kill -HUP "$AGENT_PID"
wait_for "a bad configuration is refused on SIGHUP" logged "intervall: unknown key; the running configuration kept"
kill -0 "$AGENT_PID" || fail "the agent died on a bad reload"
before=$(pushed hupsvc hup-1)
wait_for "the running configuration goes on after a bad reload" at_least hupsvc hup-1 $((before + 2))
sed -i 's|^spool: .*|spool: {dir: "'"$T"'/spool2"}|' "$T/good.yaml"
cp "$T/good.yaml" "$T/agent.yaml"
kill -HUP "$AGENT_PID"
wait_for "a new spool directory is refused on SIGHUP" \
    logged "reload: the spool settings changed (restart the agent to move or resize the spool); the running configuration kept"

# ---- the summary ----------------------------------------------------------------------
kill -TERM "$AGENT_PID"
rc=0; wait "$AGENT_PID" || rc=$?
AGENT_PID=
eq "$rc" 0 "exit status after SIGTERM"
grep -E "level=info msg=\"'filesvc' instance 'f-1' \(file_sd '$T/sd/a.json'\): [0-9]+ scraped, 0 failed, last good scrape [0-9]+ s ago" \
    "$T/agent.log" >/dev/null || fail "no health line for filesvc at exit"
grep -E "level=info msg=\"gone: 'late' instance 'l-1' \(file_sd '$T/sd/c.json'\): [1-9][0-9]* scraped" \
    "$T/agent.log" >/dev/null || fail "no health line for the removed target"
echo "ok: per-target health in the log"
echo "PASS"
