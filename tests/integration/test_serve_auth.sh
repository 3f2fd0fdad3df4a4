#!/usr/bin/env bash
# test_serve_auth.sh - the bearer-token matrix of the server: no token and unknown tokens
# 401 (with WWW-Authenticate), another service's token 403, a token given as its SHA-256
# in the config works, the admin token is no ingest token, read routes need no token,
# and admin-only routes refuse ingest tokens. Refused pushes store nothing.
. "$(dirname "$0")/lib.sh"

lf_start
P=$LF_FIXTURES/shop-n25.pb.gz

push_as() { # push_as AUTH_HEADER_VALUE SERVICE
    if [ -n "$1" ]; then
        lf_req POST "/api/v1/profiles?service=$2&instance=x" -H "Authorization: $1" \
            --data-binary "@$P" -D "$LF_TMP/headers"
    else
        lf_req POST "/api/v1/profiles?service=$2&instance=x" --data-binary "@$P" \
            -D "$LF_TMP/headers"
    fi
}

push_as "" shop
lf_eq "$LF_STATUS" 401 "no token"
lf_eq "$(lf_json .error)" "missing bearer token" "no token error"
lf_eq "$(grep -i '^www-authenticate:' "$LF_TMP/headers" | tr -d '\r')" "WWW-Authenticate: Bearer" "challenge"
push_as "Bearer wrong-secret" shop
lf_eq "$LF_STATUS" 401 "unknown token"
lf_eq "$(lf_json .error)" "unknown token" "unknown token error"
push_as "Basic YWdlbnQ6c2VjcmV0" shop
lf_eq "$LF_STATUS" 401 "basic auth"
push_as "Bearer agent-secre" shop
lf_eq "$LF_STATUS" 401 "token prefix"
push_as "Bearer agent-secret" search
lf_eq "$LF_STATUS" 403 "agent token for another service"
lf_eq "$(lf_json .error)" "token may not push for service 'search'" "another service error"
push_as "Bearer other-secret" shop
lf_eq "$LF_STATUS" 403 "search token (sha256 in config) for shop"
push_as "Bearer admin-secret" shop
lf_eq "$LF_STATUS" 403 "admin token is no ingest token"
push_as "Bearer other-secret" search
lf_eq "$LF_STATUS" 201 "search token (sha256 in config) for search"
push_as "bearer   agent-secret" checkout
lf_eq "$LF_STATUS" 201 "scheme case and spaces"
lf_req GET /api/v1/services
lf_eq "$(lf_json '[.services[].name] | join(",")')" "checkout,search" "only accepted pushes stored"
lf_req GET /metrics
lf_eq "$(printf '%s\n' "$LF_BODY" | grep -E '^leakfleet_pushes_total\{result="(unauthorized|forbidden|stored)"\}' | tr '\n' ' ')" \
    'leakfleet_pushes_total{result="stored"} 2 leakfleet_pushes_total{result="unauthorized"} 4 leakfleet_pushes_total{result="forbidden"} 3 ' \
    "push results in /metrics"

# Read routes are open.
for path in /healthz /metrics /api/v1/leaks /api/v1/services /api/v1/notifications; do
    lf_req GET "$path"
    lf_eq "$LF_STATUS" 200 "GET $path without a token"
done
# The dashboard (embedded from web/ at build time) with its security headers.
if [ -f web/index.html ]; then
    lf_req GET / -D "$LF_TMP/headers"
    lf_eq "$LF_STATUS" 200 "GET / without a token"
    lf_eq "$LF_BODY" "$(cat web/index.html)" "GET / serves web/index.html"
fi
lf_req GET /api/v1/services -D "$LF_TMP/headers"
grep -qi "^content-security-policy: default-src 'self'" "$LF_TMP/headers" || lf_fail "no CSP"
grep -qi "^x-content-type-options: nosniff" "$LF_TMP/headers" || lf_fail "no nosniff"
echo "ok: answers carry a CSP and nosniff"

# Admin-only routes: the notification actions.
admin_route=/api/v1/notifications/424242/ack
lf_req POST "$admin_route"
lf_eq "$LF_STATUS" 401 "admin route without a token"
lf_req POST "$admin_route" -H "Authorization: Bearer agent-secret"
lf_eq "$LF_STATUS" 403 "admin route with an ingest token"
lf_eq "$(lf_json .error)" "this route needs an admin token" "admin route error"
lf_req POST "$admin_route" -H "Authorization: Bearer admin-secret"
lf_eq "$LF_STATUS" 404 "admin route with the admin token (no such notification)"
lf_req POST /api/v1/notifications/1/snooze -H "Authorization: Bearer admin-secret"
lf_eq "$(lf_json .error)" "missing parameter 'until'" "snooze without until"
for action in ack snooze resolve; do
    lf_req POST "/api/v1/notifications/1/$action" -H "Authorization: Bearer other-secret"
    lf_eq "$LF_STATUS" 403 "$action with an ingest token"
done

# The dashboard checks a token when it is entered: who it is, and whether it is an admin's.
lf_req GET /api/v1/whoami
lf_eq "$LF_STATUS" 401 "whoami without a token"
lf_req GET /api/v1/whoami -H "Authorization: Bearer wrong-secret"
lf_eq "$LF_STATUS $(lf_json .error)" "401 unknown token" "whoami with an unknown token"
lf_req GET /api/v1/whoami -H "Authorization: Bearer agent-secret"
lf_eq "$LF_STATUS $(lf_json .error)" "403 this route needs an admin token" "whoami with an ingest token"
lf_req GET /api/v1/whoami -H "Authorization: Bearer admin-secret"
lf_eq "$LF_STATUS $(lf_json '[.name, .admin] | @csv')" '200 "tokens.2",true' \
    "whoami with the admin token: unnamed, so tokens.N"

lf_stop
