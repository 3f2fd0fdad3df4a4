#!/usr/bin/env bash
# test_serve_config_strict.sh - a config that would silently mean something else keeps the
# server from starting: `token:` for `tokens:` (which left it open: POST /api/v1/detect
# answered 200 without a token), `repo: {root: ...}` (no in-repo roots, so nothing could
# ever be suspect), an unknown key inside a tokens entry, owners, suppress entries and
# routes, no tokens at all without `auth: none`, and one token listed twice. Each
# refusal is exit 1 with one line naming file:line:col and the key, and nothing listens.
# `auth: none` starts an open server that warns at every start.
. "$(dirname "$0")/lib.sh"

# refused WHAT EXPECTED_LINE: the server must exit 1 at once with exactly that stderr line.
refused() {
    local what=$1 want=$2 rc=0
    timeout 10 "$LF_BIN" serve --config "$LF_TMP/config.yaml" --listen 127.0.0.1:0 \
        --db "$LF_TMP/lf.db" >"$LF_TMP/out" 2>"$LF_TMP/err" || rc=$?
    lf_eq "$rc" 1 "$what: exit status"
    lf_eq "$(wc -l <"$LF_TMP/err")" 1 "$what: one line on stderr"
    lf_eq "$(cat "$LF_TMP/err")" "$want" "$what: message"
    grep -q 'listening on' "$LF_TMP/out" "$LF_TMP/err" && lf_fail "$what: the server listened"
    [ -e "$LF_TMP/lf.db" ] && lf_fail "$what: the database was created"
    return 0
}

C=$LF_TMP/config.yaml

# The typo of the report: `token:` instead of `tokens:`.
cat >"$C" <<YAML
listen: "127.0.0.1:0"
token:
  - token: "admin-secret"
    admin: true
YAML
refused "token: typo" "leakfleet: $C:2:1: token: unknown key"

# `repo: {root: [...]}`: no roots.
cat >"$C" <<YAML
repo:
  root: ["github.com/acme/shop/"]
tokens:
  - token: "admin-secret"
    admin: true
YAML
refused "repo.root typo" "leakfleet: $C:2:3: repo.root: unknown key"

# Nested levels: a tokens entry, owners, owners.services values, a suppress entry, routes.
cat >"$C" <<YAML
tokens:
  - token: "admin-secret"
    admn: true
YAML
refused "tokens entry typo" "leakfleet: $C:3:5: tokens.0.admn: unknown key"
cat >"$C" <<YAML
owners:
  codeowner: "CODEOWNERS"
tokens:
  - token: "admin-secret"
    admin: true
YAML
refused "owners typo" "leakfleet: $C:2:3: owners.codeowner: unknown key"
cat >"$C" <<YAML
detect:
  suppress:
    rules: "rules.txt"
    expected:
      - class: "pool"
        reson: "by design"
tokens:
  - token: "admin-secret"
    admin: true
YAML
refused "suppress entry typo" "leakfleet: $C:6:9: detect.suppress.expected.0.reson: unknown key"
cat >"$C" <<YAML
repo: "github.com/acme/shop/"
tokens:
  - token: "admin-secret"
    admin: true
YAML
refused "repo as a string" "leakfleet: $C:1:7: repo: expected a map"
cat >"$C" <<YAML
notify:
  routes:
    "@acme/pay":
      url: "http://hooks.example/pay"
tokens:
  - token: "admin-secret"
    admin: true
YAML
refused "route as a map" "leakfleet: $C:4:7: notify.routes.@acme/pay: expected a URL"

# Owners in the config are owners: owners.services values and notify.routes keys.
cat >"$C" <<YAML
owners:
  services:
    checkout: "payments team"
tokens:
  - token: "admin-secret"
    admin: true
YAML
refused "owners.services value" "leakfleet: $C:3:15: owners.services.checkout: expected @user, @org/team or an e-mail address (UTF-8 without control characters, at most 256 bytes)"
cat >"$C" <<YAML
notify:
  routes:
    "payments": "http://hooks.example/pay"
tokens:
  - token: "admin-secret"
    admin: true
YAML
refused "notify.routes key" "leakfleet: $C:3:17: notify.routes.payments: expected @user, @org/team or an e-mail address (UTF-8 without control characters, at most 256 bytes)"

# No tokens: refused unless the file says auth: none.
cat >"$C" <<YAML
listen: "127.0.0.1:0"
YAML
refused "no tokens" "leakfleet: $C: no tokens: list tokens, or set 'auth: none' for a local trial (anyone who can reach the server may then push and act on notifications)"
timeout 10 "$LF_BIN" serve --listen 127.0.0.1:0 --db "$LF_TMP/lf.db" >"$LF_TMP/out" 2>"$LF_TMP/err" &&
    lf_fail "no --config: the server started without tokens"
lf_eq "$(cat "$LF_TMP/err")" "leakfleet: no --config: no tokens: list tokens, or set 'auth: none' for a local trial (anyone who can reach the server may then push and act on notifications)" \
    "no --config: message"
cat >"$C" <<YAML
auth: none
tokens:
  - token: "admin-secret"
    admin: true
YAML
refused "auth: none with tokens" "leakfleet: $C:1:7: auth: 'none' but tokens are listed"
cat >"$C" <<YAML
auth: off
YAML
refused "auth: off" "leakfleet: $C:1:7: auth: expected 'none' or 'tokens'"

# One token twice (plaintext and the sha256 of the same plaintext).
cat >"$C" <<YAML
tokens:
  - token: "agent-secret"
    services: ["shop"]
  - token_sha256: "$(printf '%s' agent-secret | sha256sum | cut -d' ' -f1)"
    admin: true
YAML
refused "duplicate token" "leakfleet: $C:4:5: tokens.1: the same token as tokens.0"

# auth: none starts an open server and says so at every start.
cat >"$C" <<YAML
auth: none
YAML
for start in 1 2; do
    lf_start
    grep -q "auth: none: no tokens, anyone who can reach 127.0.0.1:0 may push and act on notifications (for local trials only)" \
        "$LF_TMP/server.log" || lf_fail "start $start: no warning about auth: none"
    lf_req POST /api/v1/detect
    lf_eq "$LF_STATUS" 200 "start $start: auth: none is open"
    lf_stop
    : >"$LF_TMP/server.log"
done

# With tokens, the same request needs one. A CODEOWNERS line with a bad owner is skipped
# (as GitHub does), and the warning names file:line.
printf '* @acme/all\n*.go @go te\377am@acme.example\n' >"$LF_TMP/CODEOWNERS"
lf_write_config
sed -i "s|^owners:|owners:\n  codeowners: \"$LF_TMP/CODEOWNERS\"|" "$C"
lf_start
grep -q "serve: $LF_TMP/CODEOWNERS:2: line skipped, with 1 such line(s) in all" "$LF_TMP/server.log" ||
    lf_fail "no warning naming the CODEOWNERS line"
lf_req POST /api/v1/detect
lf_eq "$LF_STATUS" 401 "detect without a token"
lf_stop
