#!/usr/bin/env bash
# test_serve_limits.sh - hostile and repeated pushes: garbage bodies (400 with a JSON
# error), bodies over the cap (413 by Content-Length and while receiving chunks), a gzip
# bomb stopped while inflating (413), a text line over its 1 MiB cap in a body within the
# caps (400: malformed, not too large), bad parameters (400 naming them), unknown routes
# (404) and wrong methods (405 with Allow), all JSON; and three retries with one
# Idempotency-Key stored once.
. "$(dirname "$0")/lib.sh"

lf_start
F=$LF_FIXTURES

# Garbage: not a profile in any format.
printf 'hello, this is not a goroutine profile\n' >"$LF_TMP/garbage"
lf_push shop a "$LF_TMP/garbage"
lf_eq "$LF_STATUS" 400 "garbage status"
lf_eq "$(lf_json 'keys | join(",")')" error "garbage answer is {\"error\"}"
[ -n "$(lf_json .error)" ] || lf_fail "garbage error message is empty"
echo "ok: garbage error: $(lf_json .error)"
lf_push shop a /dev/null
lf_eq "$LF_STATUS" 400 "empty body status"
lf_eq "$(lf_json .error)" "empty body: expected a goroutine profile" "empty body error"
head -c 1500 "$F/shop-n25.pb.gz" >"$LF_TMP/truncated.pb.gz"
lf_push shop a "$LF_TMP/truncated.pb.gz"
lf_eq "$LF_STATUS" 400 "truncated pprof status"

# Over the 1 MiB body cap: refused from Content-Length before the upload, and while
# receiving a chunked upload that declares no length.
head -c 2000000 /dev/zero >"$LF_TMP/big"
lf_push shop a "$LF_TMP/big"
lf_eq "$LF_STATUS" 413 "oversize status"
lf_eq "$(lf_json .error)" "body of 2000000 bytes is over the limit of 1048576 bytes" "oversize error"
lf_push shop a "$LF_TMP/big" -H "Transfer-Encoding: chunked"
lf_eq "$LF_STATUS" 413 "oversize chunked status"
lf_eq "$(lf_json .error)" "body is over the limit of 1048576 bytes" "oversize chunked error"

# A gzip bomb: 20 KB on the wire, 50 MB inflated; the decoded cap is 4 MiB.
head -c 50000000 /dev/zero | gzip -9 >"$LF_TMP/bomb.gz"
lf_push shop a "$LF_TMP/bomb.gz" -H "Content-Encoding: gzip"
lf_eq "$LF_STATUS" 413 "gzip bomb (Content-Encoding) status"
echo "ok: bomb error: $(lf_json .error)"
lf_push shop a "$LF_TMP/garbage" -H "Content-Encoding: gzip"
lf_eq "$LF_STATUS" 400 "Content-Encoding gzip over plain text"
lf_push shop a "$LF_TMP/garbage" -H "Content-Encoding: br"
lf_eq "$(lf_json .error)" "unsupported Content-Encoding 'br' (gzip only)" "unknown encoding"
# A text profile sent gzipped, as the agent does.
gzip -c "$F/shop-n25.debug2.txt" >"$LF_TMP/debug2.gz"
lf_push shop z "$LF_TMP/debug2.gz" -H "Content-Encoding: gzip"
lf_eq "$LF_STATUS" 201 "gzipped debug2 status"
lf_eq "$(lf_json .goroutines)" 279 "gzipped debug2 goroutines"

# A text line over the 1 MiB line cap, in a body within both size caps (gzipped as the
# agent sends it): malformed input, 400, not a body too large.
{ printf 'goroutine 1 [running]:\nmain.f('; head -c 1100000 /dev/zero | tr '\0' a; printf ')\n'; } |
    gzip -c >"$LF_TMP/longline.gz"
lf_push shop a "$LF_TMP/longline.gz" -H "Content-Encoding: gzip"
lf_eq "$LF_STATUS" 400 "1 MiB line status"
lf_eq "$(lf_json .error)" "ingest 'shop': debug=2: line 2: longer than 1048576 bytes" "1 MiB line error"

# Parameters.
lf_req POST "/api/v1/profiles?service=shop" -H "Authorization: Bearer agent-secret" \
    --data-binary "@$F/shop-n25.pb.gz"
lf_eq "$(lf_json .error)" "missing parameter 'instance'" "missing instance"
lf_push shop "a&ts=yesterday" "$F/shop-n25.pb.gz"
lf_eq "$(lf_json .error)" "parameter 'ts' must be unix seconds, not 'yesterday'" "bad ts"
lf_push shop "a&format=debug9" "$F/shop-n25.pb.gz"
lf_eq "$LF_STATUS" 400 "bad format status"
lf_push shop "a&format=debug1" "$F/shop-n25.debug2.txt"
lf_eq "$LF_STATUS" 400 "debug2 body declared as debug1"

# Unknown routes and wrong methods: JSON too.
lf_req GET /api/v1/nope
lf_eq "$LF_STATUS" 404 "unknown route status"
lf_eq "$(lf_json .error)" "no route for GET '/api/v1/nope'" "unknown GET route error"
lf_req POST /api/v1/nope
lf_eq "$LF_STATUS" 404 "unknown POST route status"
lf_eq "$(lf_json .error)" "no route for POST '/api/v1/nope'" "unknown POST route error"
lf_req DELETE /api/v1/profiles -D "$LF_TMP/headers"
lf_eq "$LF_STATUS" 405 "wrong method status"
lf_eq "$(lf_json .error)" "method DELETE not allowed on '/api/v1/profiles'" "wrong method error"
lf_eq "$(grep -i '^allow:' "$LF_TMP/headers" | tr -d '\r')" "Allow: POST" "Allow header"
lf_req POST /healthz
lf_eq "$LF_STATUS" 405 "POST /healthz"
# a GET of a POST-only path is a wrong method too, not the dashboard's 404
for path in /api/v1/profiles /api/v1/detect /api/v1/notifications/1/ack /ingest; do
    lf_req GET "$path" -D "$LF_TMP/headers"
    lf_eq "$LF_STATUS" 405 "GET $path status"
    lf_eq "$(lf_json .error)" "method GET not allowed on '$path'" "GET $path error"
    lf_eq "$(grep -i '^allow:' "$LF_TMP/headers" | tr -d '\r')" "Allow: POST" "GET $path Allow header"
done

# Idempotency: three retries with one key count once and answer the first push's id.
ids=
for attempt in 1 2 3; do
    lf_push shop idem "$F/shop-n25.pb.gz" -H "Idempotency-Key: push-0001"
    ids="$ids $LF_STATUS:$(lf_json .profile_id)"
done
first=$(echo "$ids" | awk '{print $1}' | cut -d: -f2)
lf_eq "$ids" " 201:$first 200:$first 200:$first" "statuses and ids of three retries"
lf_req GET /api/v1/services
lf_eq "$(lf_json '.services[0].instances[] | select(.name == "idem") | .profiles')" 1 "profiles stored for three retries"
lf_push shop idem "$F/shop-n25.pb.gz" -H "Idempotency-Key: push-0002"
lf_eq "$LF_STATUS" 201 "a new key stores again"
lf_req GET /metrics
lf_eq "$(printf '%s\n' "$LF_BODY" | grep '^leakfleet_pushes_total{result="duplicate"}')" \
    'leakfleet_pushes_total{result="duplicate"} 2' "duplicates counted in /metrics"
lf_eq "$(printf '%s\n' "$LF_BODY" | grep '^leakfleet_pushes_total{result="too_big"}')" \
    'leakfleet_pushes_total{result="too_big"} 3' "too big pushes in /metrics"

lf_stop
