#!/usr/bin/env bash
# test_serve_webhook_stall.sh - one owner's bad row must not stop every webhook. Growing
# profiles pushed with explicit ts carry (1) a legal Go function name of 1,500 CJK
# characters, whose message text is cut at 4,096 bytes, and (2) a function name holding
# the byte 0xff; each owner that sorts first has a clean owner behind it. Every owner is
# delivered, the names are stored as valid UTF-8 (0xff became U+FFFD), the cut falls on
# a character boundary, and the API keeps every key; admin parameters that are not UTF-8
# are refused. Then, with the server stopped, an old database's invalid bytes are written
# straight into a row and a trigger makes recording the first owner's outcome fail: the
# healthy owners are still delivered, the failing one is posted once, skipped, counted in
# /metrics and not posted again every second.
. "$(dirname "$0")/lib.sh"

lf_stand_in "$LF_TMP/hooks" webhook_receiver.py
HOOK_PID=$LF_STAND_IN_PID
HOOK_URL="http://127.0.0.1:$LF_STAND_IN_PORT"
trap 'rc=$?; kill $HOOK_PID 2>/dev/null || true; lf_cleanup $rc' EXIT

cat >"$LF_TMP/CODEOWNERS" <<'EOF'
/cjk/     @acme/a-cjk
/bad/     @acme/a-invalid
/clean/   @acme/c-clean
/clean2/  @acme/d-clean
EOF
cat >"$LF_TMP/config.yaml" <<YAML
database: "$LF_TMP/lf.db"
repo:
  roots: ["/srv/build/shop/"]
owners:
  codeowners: "$LF_TMP/CODEOWNERS"
detect:
  threshold: 20
  live_window: "1h"
  interval: "1h"
notify:
  webhook: "$HOOK_URL/hooks"
  group_wait: "1s"
tokens:
  - token: "agent-secret"
    services: ["shop", "checkout"]
  - token: "admin-secret"
    admin: true
YAML
lf_start

CJK=$(python3 -c 'print("main." + "\u6f0f" * 1500)')

# profile OUT N NAME:PATH...: a debug=2 dump with N goroutines blocked in chan send at
# each site (NAME may hold \xNN escapes, written as raw bytes).
profile() {
    python3 - "$@" <<'PY'
import sys
out, n, sites = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
gid = 1
with open(out, "wb") as f:
    for site in sites:
        name, path = site.rsplit(":", 1)
        raw = name.encode("utf-8").decode("unicode_escape").encode("latin-1") \
            if "\\x" in name else name.encode("utf-8")
        for _ in range(n):
            f.write(b"goroutine %d [chan send]:\n" % gid)
            f.write(raw + b"()\n\t/srv/build/shop/" + path.encode() + b":10 +0x25\n")
            f.write(b"created by main.main\n\t/srv/build/shop/main.go:77 +0x1ba\n\n")
            gid += 1
PY
}

# grow SERVICE SITES...: eight profiles a minute apart from two instances, ten more
# goroutines each time, then a detection pass.
grow() {
    local service=$1 now i
    shift
    now=$(date +%s)
    for i in $(seq 0 7); do
        profile "$LF_TMP/p.txt" $((10 + 10 * i)) "$@"
        for inst in host-a host-b; do
            lf_req POST "/api/v1/profiles?service=$service&instance=$inst&ts=$((now - (7 - i) * 60))" \
                -H "Authorization: Bearer agent-secret" --data-binary "@$LF_TMP/p.txt"
            [ "$LF_STATUS" = 201 ] || lf_fail "push $service $inst $i: $LF_STATUS $LF_BODY"
        done
    done
    lf_req POST /api/v1/detect -H "Authorization: Bearer admin-secret"
    lf_eq "$LF_STATUS" 200 "detection pass on $service"
}

# hooks_for OWNER: webhook calls received for OWNER so far.
hooks_for() {
    [ -f "$LF_TMP/hooks/hooks.jsonl" ] || { echo 0; return; }
    jq -s --arg o "$1" '[.[] | select(.body.owner == $o)] | length' "$LF_TMP/hooks/hooks.jsonl"
}

# wait_hooks OWNER N WHAT: waits up to 10 s for N calls for OWNER.
wait_hooks() {
    for _ in $(seq 1 100); do
        [ "$(hooks_for "$1")" -ge "$2" ] && break
        sleep 0.1
    done
    lf_eq "$(hooks_for "$1")" "$2" "$3"
}

hook_body() { # hook_body OWNER FILTER: FILTER over OWNER's latest webhook body
    jq -rs --arg o "$1" "[.[] | select(.body.owner == \$o)] | last | .body | $2" \
        "$LF_TMP/hooks/hooks.jsonl"
}

metric() {
    curl -sf "$LF_URL/metrics" | awk -v m="$1" '$1 == m { print $2 }'
}

# ---- a text cut inside a character (1,500 CJK characters) -----------------------------
grow shop "$CJK:cjk/leak.go" "main.flush:clean/flush.go"
wait_hooks @acme/c-clean 1 "the clean owner behind the CJK owner is delivered"
wait_hooks @acme/a-cjk 1 "the CJK owner is delivered"
text_bytes=$(hook_body @acme/a-cjk '.text | utf8bytelength')
[ "$text_bytes" -le 4095 ] && [ "$text_bytes" -ge 4090 ] || lf_fail "text of $text_bytes bytes"
lf_eq "$(hook_body @acme/a-cjk '.text | endswith("\u6f0f")')" true "the cut text ends on a whole character"
[ "$(hook_body @acme/a-cjk '.function')" = "$CJK" ] || lf_fail "the finding's name is not the whole name"
echo "ok: the finding carries the whole name of 1,500 characters"
lf_req GET '/api/v1/notifications?state=delivered'
lf_eq "$(lf_json '[.notifications[] | select(.owner == "@acme/a-cjk") | .message | utf8bytelength] | .[0]')" \
    "$text_bytes" "the stored message is the text sent"

# ---- a function name that is not UTF-8 ---------------------------------------------------
grow checkout 'main.le\xffak:bad/leak.go' "main.drain:clean2/drain.go"
wait_hooks @acme/d-clean 1 "the clean owner behind the invalid name is delivered"
wait_hooks @acme/a-invalid 1 "the owner of the invalid name is delivered"
lf_eq "$(hook_body @acme/a-invalid '.function')" $'main.le\uFFFDak' "0xff became U+FFFD in the webhook"
lf_req GET /api/v1/notifications
lf_eq "$(lf_json '[.notifications[] | has("function")] | all')" true "every notification keeps its function key"
lf_eq "$(lf_json '.notifications[] | select(.owner == "@acme/a-invalid") | .function')" \
    $'main.le\uFFFDak' "the stored name is U+FFFD, not 0xff"
lf_req GET '/api/v1/leaks?service=checkout'
lf_eq "$(lf_json '[.leaks[].function] | sort | join(" ")')" $'main.drain main.le\uFFFDak' "inventory names"
python3 - "$LF_TMP/lf.db" <<'PY' || lf_fail "a stored string is not valid UTF-8"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.text_factory = bytes
for table, cols in [("locations", "function, file, op, repo_path, owner"),
                    ("notifications", "owner, message")]:
    for row in db.execute(f"SELECT {cols} FROM {table}"):
        for v in row:
            if v is not None:
                v.decode("utf-8")
PY
echo "ok: every stored function, file, op, owner and message is valid UTF-8"
lf_eq "$(metric leakfleet_dispatch_skipped_total)" 0 "nothing was skipped"

# Admin input is text that is stored too: bytes that are not UTF-8 are refused.
lf_req GET /api/v1/notifications
id=$(lf_json '.notifications[] | select(.owner == "@acme/d-clean") | .id')
lf_req POST "/api/v1/notifications/$id/reassign?owner=%40acme%2F%FF" -H "Authorization: Bearer admin-secret"
lf_eq "$LF_STATUS $(lf_json .error)" "400 parameter 'owner' is not valid UTF-8" "reassign to an owner that is not UTF-8"
lf_req POST "/api/v1/silences?owner=%40acme%2Fx&reason=caf%C3&until=$(($(date +%s) + 60))" \
    -H "Authorization: Bearer admin-secret"
lf_eq "$LF_STATUS" 400 "a silence reason that is not UTF-8"

# ---- an old database's invalid bytes, and one owner whose outcome cannot be recorded ----
lf_stop
python3 - "$LF_TMP/lf.db" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
now = int(time.time())
db.execute("UPDATE locations SET function = CAST(X'6d61696e2e666c7573c3' AS TEXT)"
           " WHERE function = 'main.flush'")
db.execute("UPDATE notifications SET send_due = ?, send_kind = 'reminder'", (now - 1,))
db.execute("CREATE TRIGGER poison BEFORE UPDATE ON notifications"
           " WHEN OLD.owner = '@acme/a-cjk' BEGIN SELECT RAISE(ABORT, 'poisoned row'); END")
db.commit()
PY
lf_start
wait_hooks @acme/d-clean 2 "a healthy owner behind the failing one is delivered again"
wait_hooks @acme/a-invalid 2 "another healthy owner is delivered again"
wait_hooks @acme/c-clean 2 "the row with an old database's invalid bytes is delivered"
lf_eq "$(hook_body @acme/c-clean '.function')" $'main.flus\uFFFD' "its truncated sequence became U+FFFD"
lf_req GET '/api/v1/notifications'
lf_eq "$(lf_json '.notifications[] | select(.owner == "@acme/c-clean") | .function')" \
    $'main.flus\uFFFD' "the API keeps the key of an old row with invalid bytes"
lf_req GET '/api/v1/leaks?service=shop'
lf_eq "$(lf_json '[.leaks[] | has("function")] | all')" true "the inventory keeps every key"
for _ in $(seq 1 50); do
    [ "$(metric leakfleet_dispatch_skipped_total)" = 1 ] && break
    sleep 0.1
done
lf_eq "$(metric leakfleet_dispatch_skipped_total)" 1 "the failing owner is counted as skipped"
grep -q "dispatch: @acme/a-cjk: .*poisoned row" "$LF_TMP/server.log" || lf_fail "no log line for the skip"
echo "ok: the skip is logged"
sleep 3
lf_eq "$(hooks_for @acme/a-cjk)" 2 "the failing owner is not posted again every second"
lf_eq "$(metric leakfleet_dispatch_skipped_total)" 1 "still one skip (held back until its retry)"
lf_stop
