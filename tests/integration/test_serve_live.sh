#!/usr/bin/env bash
# test_serve_live.sh - the server on live profiles of the leaky Go service (tests/goleaky):
# pprof and debug=2 dumps scraped over HTTP and pushed as two instances give exact
# inventory counts and CODEOWNERS owners; after a burst of new leaks the next push moves
# the inventory and the site's series by exactly the burst.
. "$(dirname "$0")/lib.sh"
. tests/goleaky/lib.sh

if [ ! -x build/goleaky/leaky ]; then
    tests/goleaky/build.sh
fi
[ -x build/goleaky/leaky ] || lf_fail "the Go fixture service is not built (needs golang-go)"
src=$(cat build/goleaky/srcdir)
trap 'rc=$?; leaky_stop; lf_cleanup $rc' EXIT

N=60 # goroutines started per leak kind
cat >"$LF_TMP/config.yaml" <<YAML
repo:
  roots: ["$src/", "github.com/acme/leaky/"]
owners:
  codeowners: "tests/goleaky/CODEOWNERS"
detect:
  threshold: 100
retention:
  raw: 36500d # the pushes below carry fixed times of 2023
tokens:
  - token: "agent-secret"
    services: ["leaky"]
YAML
lf_start
leaky_start "$LF_TMP" build/goleaky/leaky -start "$N" -leak-rate 0
leaky_wait_ready 20

curl -fsS -o "$LF_TMP/p.pb.gz" "$LEAKY_URL/debug/pprof/goroutine"
curl -fsS -o "$LF_TMP/p.debug2" "$LEAKY_URL/debug/pprof/goroutine?debug=2"
lf_push leaky "host-a&ts=1700000000" "$LF_TMP/p.pb.gz"
lf_eq "$LF_STATUS" 201 "live pprof push"
lf_push leaky "host-b&ts=1700000010" "$LF_TMP/p.debug2"
lf_eq "$LF_STATUS" 201 "live debug=2 push"

# The six in-repo channel kinds, N on each instance, over the threshold of 100; one
# profile per instance is no growth yet, so they are listed with all=1, not suspect.
row() { lf_json ".leaks[] | select(.function == \"$1\") | [.op, .count, .owner, .line] | @csv"; }
lf_req GET /api/v1/leaks
lf_eq "$(lf_json '.leaks | length')" 0 "no suspects without growth"
lf_req GET '/api/v1/leaks?all=1'
chan='[.leaks[] | select(.in_repo and (.op | test("^(chan|select)")) and .count >= 100)]'
lf_eq "$(lf_json "$chan | length")" 6 "in-repo channel locations over the threshold"
line=$(grep -n '// site: send$' "$src/internal/ncast/ncast.go" | cut -d: -f1)
lf_eq "$(row 'github.com/acme/leaky/internal/ncast.(*Bus).Publish.func1')" \
    "\"chan send\",$((2 * N)),\"@acme/messaging\",$line" "send site"
lf_eq "$(row 'github.com/acme/leaky/internal/worker.(*job).await')" \
    "\"chan receive\",$((2 * N)),\"@acme/workers\",29" "recv site"
forever_line=$(grep -n '// site: forever' tests/goleaky/cmd/leaky/main.go | cut -d: -f1)
lf_eq "$(row main.forever)" "\"select (no cases)\",$((2 * N)),\"@acme/cli\",$forever_line" "forever site"
lf_eq "$(lf_json "$chan | map(.count) | add")" $((12 * N)) "sum of their counts"
# The mutex kind blocks, but on no channel: listed with all=1, never suspect.
lf_req GET '/api/v1/leaks?all=1'
lf_eq "$(lf_json '.leaks[] | select(.function == "github.com/acme/leaky/internal/cache.(*Cache).get") | [.op, .count, .suspect] | @csv')" \
    "\"sync.Mutex.Lock\",$((2 * N)),false" "mutex site with all=1"

# A burst of 25 more leaks of every kind; host-a pushes again.
curl -fsS -o /dev/null "$LEAKY_URL/leak?kind=all&n=25"
leaky_wait_ready 20
curl -fsS -o "$LF_TMP/p2.pb.gz" "$LEAKY_URL/debug/pprof/goroutine"
lf_push leaky "host-a&ts=1700000120" "$LF_TMP/p2.pb.gz"
lf_eq "$LF_STATUS" 201 "second live push"
lf_req GET '/api/v1/leaks?all=1'
lf_eq "$(lf_json '.leaks[] | select(.function == "main.forever") | .count')" $((2 * N + 25)) "forever after the burst"
loc=$(lf_json '.leaks[] | select(.function == "main.forever") | .location_id')
lf_req GET "/api/v1/locations/$loc/series?service=leaky&from=1699999000&to=1700001000&step=60"
# a point is the sum of each instance's latest profile at the bucket's end while it is
# within the live window (300 s): both first pushes, host-a's second with host-b's first,
# host-a's second alone once host-b's is 5 minutes old, nothing once both are
before=$((2 * N)) after=$((2 * N + 25)) alone=$((N + 25))
want="1699999980,$before 1700000040,$before 1700000100,$after 1700000160,$after"
want="$want 1700000220,$after 1700000280,$alone 1700000340,$alone"
lf_eq "$(lf_json '.series | map(@csv) | join(" ")')" "$want" \
    "series per minute: both first pushes, then host-a's second"
lf_req GET "/api/v1/locations/$loc/series?service=leaky&from=1699999000&to=1700000200&step=1h"
lf_eq "$(lf_json '.series | map(@csv) | join(" ")')" "1699999200,$after" \
    "series per hour up to 1700000200: each instance's latest profile summed"
lf_req GET /api/v1/services
lf_eq "$(lf_json '.services[0].instances | map("\(.name)=\(.profiles)") | join(" ")')" "host-a=2 host-b=1" "profiles per instance"
lf_stop
