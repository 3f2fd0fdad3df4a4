#!/usr/bin/env bash
# test_serve_hostile_params.sh - query strings written as attacks on the one reader of
# parameters: a key "service%00" beside "service" (the token check and the handler once
# read different ones, so a token for checkout stored under another service), NUL and
# other control bytes in names and values, repeated service/instance/ts/version, more
# parameters than the reader keeps; each is 400 naming the parameter and stores nothing.
# Then HEAD on GET routes and static files: the GET answer without its body.
. "$(dirname "$0")/lib.sh"

lf_start
P=$LF_FIXTURES/shop-n25.pb.gz

# push QUERY: POSTs the fixture with agent-secret (allowed: shop, checkout).
push() {
    lf_req POST "/api/v1/profiles?$1" -H "Authorization: Bearer agent-secret" --data-binary "@$P"
}
# refused QUERY ERROR: the push is 400 with exactly ERROR.
refused() {
    push "$1"
    lf_eq "$LF_STATUS $(lf_json .error)" "400 $2" "push ?$1"
}

# The reproduction: token for checkout, a second "service" key with a NUL in its name.
refused 'service%00=other&service=checkout&instance=x' "parameter name 'service\\x00' holds a control byte"
refused 'service=checkout&service%00=other&instance=x' "parameter name 'service\\x00' holds a control byte"
refused 'service=checkout&instance=x&instance%00=y' "parameter name 'instance\\x00' holds a control byte"
refused 'service=checkout&instance=x&ts%01=5' "parameter name 'ts\\x01' holds a control byte"
# NUL and control bytes in values (a%00b was stored as instance "a").
refused 'service=checkout&instance=a%00b' "parameter 'instance' holds a control byte"
refused 'service=other%00checkout&instance=x' "parameter 'service' holds a control byte"
refused 'service=checkout%00&instance=x' "parameter 'service' holds a control byte"
for byte in 01 09 0a 0d 1b 1f 7f; do
    refused "service=checkout&instance=a%${byte}b" "parameter 'instance' holds a control byte"
done
refused 'service=checkout&instance=x&version=1.2%0a3' "parameter 'version' holds a control byte"
refused 'service=checkout&instance=x&ts=5%00' "parameter 'ts' holds a control byte"
# The parameters that decide identity or rights may not repeat, allowed values or not.
refused 'service=checkout&service=other&instance=x' "parameter 'service' is given more than once"
refused 'service=other&service=checkout&instance=x' "parameter 'service' is given more than once"
refused 'service=checkout&service=checkout&instance=x' "parameter 'service' is given more than once"
refused 'service=checkout&instance=x&instance=y' "parameter 'instance' is given more than once"
refused 'service=checkout&instance=x&ts=5&ts=6' "parameter 'ts' is given more than once"
refused 'service=checkout&instance=x&version=1&version=2' "parameter 'version' is given more than once"
refused 'service=checkout&instance=x&instance' "parameter 'instance' is given more than once"
# More parameters than the reader keeps: refused, never a silently shorter list.
many=$(for i in $(seq 1 40); do printf 'p%d=1&' "$i"; done)
refused "${many}service=checkout&instance=x" "more than 32 query parameters"

# Nothing of the above was stored; a clean push still is.
lf_req GET /api/v1/services
lf_eq "$(lf_json '.services | length')" 0 "no service stored by a refused push"
push "service=checkout&instance=x&ts=$(date +%s)&version=1.2"
lf_eq "$LF_STATUS $(lf_json .error)" "201 null" "a clean push"
lf_req GET /api/v1/services
lf_eq "$(lf_json '[.services[] | .name + "/" + (.instances[] | .name)] | join(",")')" \
    "checkout/x" "only the clean push is stored"

# The same reader serves every route: read and admin routes refuse the same bytes.
lf_req GET '/api/v1/leaks?service%00=x'
lf_eq "$LF_STATUS $(lf_json .error)" "400 parameter name 'service\\x00' holds a control byte" "GET leaks NUL key"
lf_req GET '/api/v1/leaks?service=a%0ab'
lf_eq "$LF_STATUS $(lf_json .error)" "400 parameter 'service' holds a control byte" "GET leaks newline value"
lf_req GET '/api/v1/leaks?service=checkout&service=shop'
lf_eq "$LF_STATUS $(lf_json .error)" "400 parameter 'service' is given more than once" "GET leaks twice"
lf_req GET '/api/v1/notifications?state=pending&state=resolved'
lf_eq "$LF_STATUS $(lf_json .error)" "400 parameter 'state' is given more than once" "GET notifications twice"
lf_req POST '/api/v1/notifications/1/snooze?until=5&until=9' -H "Authorization: Bearer admin-secret"
lf_eq "$LF_STATUS $(lf_json .error)" "400 parameter 'until' is given more than once" "snooze until twice"
lf_req POST '/api/v1/silences?service=x&reason=a%00b&until=9' -H "Authorization: Bearer admin-secret"
lf_eq "$LF_STATUS $(lf_json .error)" "400 parameter 'reason' holds a control byte" "silence reason NUL"
lf_req GET '/?x%7f=1'
lf_eq "$LF_STATUS $(lf_json .error)" "400 parameter name 'x\\x7f' holds a control byte" "GET / with a DEL key"

# HEAD answers as GET does, without a body: the raw answer ends with its headers and
# declares the GET body's length.
head_raw() { # head_raw PATH: prints "STATUS CONTENT-LENGTH BYTES-AFTER-HEADERS"
    python3 - "${LF_URL#http://}" "$1" <<'PY'
import socket, sys
host, port = sys.argv[1].rsplit(":", 1)
s = socket.create_connection((host, int(port)), timeout=10)
s.sendall(b"HEAD " + sys.argv[2].encode() + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
head, _, rest = data.partition(b"\r\n\r\n")
lines = head.decode("latin-1").split("\r\n")
length = "-"
for line in lines[1:]:
    if line.lower().startswith("content-length:"):
        length = line.split(":", 1)[1].strip()
print(lines[0].split()[1], length, len(rest))
PY
}
for path in /healthz /api/v1/leaks /api/v1/services /uplot.js /app.js /; do
    lf_req GET "$path"
    lf_eq "$(head_raw "$path")" "$LF_STATUS $(wc -c <"$LF_TMP/body") 0" "HEAD $path: status, length, body bytes"
done
# Errors too (their text names the method, so only the status is the GET one's).
for path in /no-such-file.js /api/v1/profiles '/api/v1/leaks?all=maybe'; do
    lf_req GET "$path"
    lf_eq "$(head_raw "$path" | cut -d' ' -f1,3)" "$LF_STATUS 0" "HEAD $path: status, body bytes"
done
lf_eq "$(head_raw '/api/v1/leaks?x%00=1' | cut -d' ' -f1,3)" "400 0" "HEAD with a NUL key"

lf_stop
