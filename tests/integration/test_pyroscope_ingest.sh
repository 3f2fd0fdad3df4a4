#!/usr/bin/env bash
# test_pyroscope_ingest.sh - the Pyroscope-compatible doors against real clients: a real
# Go service's goroutine and CPU profiles pushed by the Connect client of
# @connectrpc/connect (push.v1.PusherService/Push, both codecs; tests/clients/
# connect_push.mjs checks the answers and the Connect error codes), the Pyroscope Node.js
# SDK uploading to POST /ingest with HTTP Basic (its profiles are ignored: accepted and
# counted), and curl for the multipart form the Go SDK sends. Then what was stored:
# goroutine profiles only, under the service of their labels, never one the token may
# not push for, a retried ID once; /ingest's from and until (from alone is the time,
# from after until is 400).
source tests/integration/lib.sh
source tests/goleaky/lib.sh

command -v node >/dev/null || lf_fail "node is missing (make deps)"
command -v protoc >/dev/null || lf_fail "protoc is missing (make deps)"
[ -x build/goleaky/leaky ] || lf_fail "build/goleaky/leaky is missing (make go-fixture)"

# The clients, pinned by tests/clients/package-lock.json.
npm_dir=build/clients-npm
if [ ! -f "$npm_dir/.installed" ] || [ tests/clients/package-lock.json -nt "$npm_dir/.installed" ]; then
    mkdir -p "$npm_dir"
    cp tests/clients/package.json tests/clients/package-lock.json "$npm_dir"/
    (cd "$npm_dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    touch "$npm_dir/.installed"
fi
cp tests/clients/*.mjs tests/clients/*.cjs "$npm_dir"/
(cd tests/clients/proto && protoc --include_imports --descriptor_set_out="$LF_TMP/push.binpb" \
    push/v1/push.proto)

lf_start
leaky_start "$LF_TMP" build/goleaky/leaky -leak-rate 0 -start 0 -kinds send,select
trap 'rc=$?; leaky_stop; lf_cleanup $rc' EXIT
leaky_wait_ready 10
curl -sf -o /dev/null "$LEAKY_URL/leak?kind=all&n=30"
leaky_wait_ready 10
curl -sf -o "$LF_TMP/goroutine.pb.gz" "$LEAKY_URL/debug/pprof/goroutine"
curl -sf -o "$LF_TMP/cpu.pb.gz" "$LEAKY_URL/debug/pprof/profile?seconds=1"

metric() { curl -sf "$LF_URL/metrics" | sed -n "s/^leakfleet_pyroscope_profiles_total{result=\"$1\"} //p"; }
instances() { # instances SERVICE: its instance names, sorted, one line
    lf_req GET /api/v1/services
    lf_json "[.services[] | select(.name == \"$1\") | .instances[].name] | sort | join(\",\")"
}

# ---- Connect ----
node "$npm_dir/connect_push.mjs" "$LF_TMP/push.binpb" "$LF_URL" "$LF_TMP/goroutine.pb.gz" \
    "$LF_TMP/cpu.pb.gz" | tee "$LF_TMP/connect.log"
grep -q '^connect_push: all passed$' "$LF_TMP/connect.log" || lf_fail "the Connect client's checks"
lf_eq "$(instances shop)" "pod-a:6060,pod-b" "shop instances stored through Connect (not pod-c)"
lf_eq "$(instances checkout)" "host-d" "checkout instance stored with Basic auth"
lf_eq "$(instances search)" "" "nothing stored for a service the token may not push for"
lf_eq "$(metric stored)" 3 "goroutine profiles stored"
lf_eq "$(metric duplicate)" 1 "the retried request's goroutine profile replayed by its ID"
lf_eq "$(metric ignored)" 3 "CPU profiles ignored (one of them in the retried request)"
# Stored exactly as an agent push: checkout holds one Connect push (host-d); the agent
# route pushing the same bytes for a second instance doubles every site's count.
sites() {
    lf_req GET "/api/v1/leaks?all=1&service=checkout"
    lf_json '[.leaks[] | "\(.function):\(.line) \(.count)"] | sort | join(";")'
}
connect_sites=$(sites)
[ -n "$connect_sites" ] || lf_fail "no sites stored through Connect"
lf_push checkout agent-1 "$LF_TMP/goroutine.pb.gz"
lf_eq "$LF_STATUS" 201 "the same profile through the agent route"
doubled=$(printf '%s' "$connect_sites" | tr ';' '\n' | awk '{ print $1, 2 * $2 }' | paste -sd';')
lf_eq "$(sites)" "$doubled" "every site of the Connect push counted as the agent push counts it"

# Connect over gzip (Content-Encoding) and the JSON error form, with curl.
json_req() {
    printf '{"series":[{"labels":[{"name":"service_name","value":"%s"},{"name":"instance","value":"%s"}],"samples":[{"rawProfile":"%s","ID":"%s"}]}]}' \
        "$1" "$2" "$(base64 -w0 "$LF_TMP/goroutine.pb.gz")" "$3"
}
json_req shop pod-gz id-gz | gzip >"$LF_TMP/req.json.gz"
lf_req POST /push.v1.PusherService/Push -H "Authorization: Bearer agent-secret" \
    -H "Content-Type: application/json" -H "Content-Encoding: gzip" --data-binary "@$LF_TMP/req.json.gz"
lf_eq "$LF_STATUS $LF_BODY" "200 {}" "gzipped JSON push"
lf_req POST /push.v1.PusherService/Push -H "Authorization: Bearer agent-secret" \
    -H "Content-Type: application/grpc" --data-binary "@$LF_TMP/req.json.gz"
lf_eq "$LF_STATUS $(lf_json .code)" "400 invalid_argument" "gRPC is refused in Connect's error form"
lf_req POST /push.v1.PusherService/Push -H "Content-Type: application/json" --data-binary '{}'
lf_eq "$LF_STATUS $(lf_json .code)" "401 unauthenticated" "no token, before the body is read"
lf_req POST "/push.v1.PusherService/Push?service=shop" -H "Authorization: Bearer agent-secret" \
    -H "Content-Type: application/json" --data-binary '{}'
lf_eq "$LF_STATUS $(lf_json .message)" "400 unknown parameter 'service'" "no query parameter names a service"
lf_eq "$(instances shop)" "pod-a:6060,pod-b,pod-gz" "shop instances after the gzipped push"

# ---- /ingest: the Pyroscope Node.js SDK ----
before=$(metric ignored)
DEBUG=pyroscope node "$npm_dir/pyroscope_node.cjs" "$LF_URL" shop agent-secret 3 >"$LF_TMP/node.log" 2>&1 ||
    { cat "$LF_TMP/node.log"; lf_fail "the Pyroscope Node.js SDK exited with an error"; }
grep -q "Server rejected" "$LF_TMP/node.log" && { cat "$LF_TMP/node.log"; lf_fail "the server rejected an SDK upload"; }
after=$(metric ignored)
[ "$after" -ge $((before + 2)) ] || lf_fail "Node SDK profiles ignored: $before -> $after"
echo "ok: the Node.js SDK's $((after - before)) uploads accepted and ignored"
lf_eq "$(instances shop)" "pod-a:6060,pod-b,pod-gz" "no Node profile stored"
# the same SDK with a token that may not push for the application: refused
before=$after
DEBUG=pyroscope node "$npm_dir/pyroscope_node.cjs" "$LF_URL" search agent-secret 2 >"$LF_TMP/node.log" 2>&1 || true
grep -q "Server rejected data ingest: HTTP 403" "$LF_TMP/node.log" ||
    { cat "$LF_TMP/node.log"; lf_fail "the SDK's uploads for 'search' were not refused"; }
lf_eq "$(metric ignored)" "$before" "refused uploads are not counted"

# ---- /ingest: the Go SDK's multipart form, and a goroutine profile by name= ----
now=$(date +%s)
lf_req POST "/ingest?name=shop.goroutines%7Binstance%3Dpod-m%7D&from=$((now - 10))&until=$now&spyName=gospy" \
    -u "tenant:agent-secret" -F "profile=@$LF_TMP/goroutine.pb.gz;filename=profile.pprof" \
    -F 'sample_type_config={"goroutine":{"units":"goroutines"}};filename=sample_type_config.json'
lf_eq "$LF_STATUS $LF_BODY" '200 {"stored":1,"duplicate":0,"ignored":0}' "multipart goroutine upload"
lf_req POST "/ingest?name=shop.cpu%7Binstance%3Dpod-m%7D&from=$((now - 10))&until=$now" \
    -H "Authorization: Bearer agent-secret" -F "profile=@$LF_TMP/cpu.pb.gz"
lf_eq "$LF_STATUS $LF_BODY" '200 {"stored":0,"duplicate":0,"ignored":1}' "multipart CPU upload"
lf_req POST "/ingest?name=checkout%7Bservice_name%3Dsearch,instance%3Dx%7D&until=$now" \
    -H "Authorization: Bearer agent-secret" --data-binary "@$LF_TMP/goroutine.pb.gz"
lf_eq "$LF_STATUS" 403 "service_name inside name= is scoped like the service parameter"
lf_req POST "/ingest?name=shop%7Binstance%3Dx%7D&until=$now&service=search" \
    -H "Authorization: Bearer agent-secret" --data-binary "@$LF_TMP/goroutine.pb.gz"
lf_eq "$LF_STATUS $(lf_json .error)" "400 unknown parameter 'service'" "a service parameter on /ingest"
# from and until: the profile's time is until, else from (when the profiling started),
# else its own time_nanos; from after until is refused
lf_req POST "/ingest?name=shop%7Binstance%3Dpod-x%7D&from=$now&until=$((now - 10))" \
    -H "Authorization: Bearer agent-secret" --data-binary "@$LF_TMP/goroutine.pb.gz"
lf_eq "$LF_STATUS $(lf_json .error)" "400 parameter 'from' is after 'until'" "from after until"
lf_req POST "/ingest?name=shop%7Binstance%3Dpod-f%7D&from=$((now - 7200))" \
    -H "Authorization: Bearer agent-secret" --data-binary "@$LF_TMP/goroutine.pb.gz"
lf_eq "$LF_STATUS $LF_BODY" '200 {"stored":1,"duplicate":0,"ignored":0}' "a goroutine profile with from only"
lf_req GET "/api/v1/leaks?service=shop&all=1"
loc=$(lf_json '.leaks[0].location_id')
lf_req GET "/api/v1/locations/$loc/series?service=shop&instance=pod-f&from=$((now - 10800))&to=$now&step=60"
first=$(lf_json '[.series[] | select(.[1] > 0)][0][0]')
lf_eq "$first" "$(((now - 7200) / 60 * 60))" "the profile pushed with from only is stored at from"
lf_eq "$(instances shop)" "pod-a:6060,pod-b,pod-f,pod-gz,pod-m" "shop instances at the end"
lf_eq "$(instances search)" "" "still nothing stored for search"
lf_stop
