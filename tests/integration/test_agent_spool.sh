#!/usr/bin/env bash
# test_agent_spool.sh - leakfleet-agent against a scripted stand-in
# (agent_fake_server.py: a Go service's pprof handlers serving tests/fixtures, and an
# ingest endpoint that records each POST and answers the status in $T/mode). Covers what
# the real server cannot be made to do on demand: 5xx / 429 / 400 / 3xx answers, the exact
# bytes, headers and keys on the wire, the spool's limits, corrupt and rejected files,
# SIGTERM, the lock, and usage errors.
set -euo pipefail
cd "$(dirname "$0")/../.."

AGENT=${AGENT:-bin/leakfleet-agent}
T=$(mktemp -d "${TMPDIR:-/tmp}/lf-agent-spool.XXXXXX")
FAKE_PID=
AGENT_PID=
cleanup() {
    local rc=$?
    [ -n "$AGENT_PID" ] && kill -KILL "$AGENT_PID" 2>/dev/null
    [ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null
    wait 2>/dev/null
    if [ "$rc" -ne 0 ] && [ -f "$T/agent.log" ]; then
        echo "---- last agent log ----"; tail -n 30 "$T/agent.log"
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

python3 tests/integration/agent_fake_server.py "$T" &
FAKE_PID=$!
for _ in $(seq 1 100); do [ -s "$T/port" ] && break; sleep 0.05; done
[ -s "$T/port" ] || fail "fake server did not start"
URL=http://127.0.0.1:$(cat "$T/port")
SPOOL=$T/spool

# agent ARGS...: one --once run against the fake (both server and target); sets RC.
agent() {
    RC=0
    "$AGENT" --server "$URL" --token tok-1 --service shop --target "$URL" --spool "$SPOOL" \
        --log-level debug --once "$@" 2>"$T/agent.log" || RC=$?
}
posts() { [ -f "$T/posts.jsonl" ] && wc -l <"$T/posts.jsonl" | tr -d ' ' || echo 0; }
queued() { find "$SPOOL" -maxdepth 1 -name '*.prof' | wc -l | tr -d ' '; }
post() { sed -n "${1}p" "$T/posts.jsonl" | jq -r "$2"; }
mode() { echo "$1" >"$T/mode"; }

# ---- usage ----------------------------------------------------------------------------
RC=0; "$AGENT" --server "$URL" --token x --service s 2>"$T/err" || RC=$?
eq "$RC" 2 "exit status: --service without --target"
eq "$(cat "$T/err")" "leakfleet-agent: --service and --target go together" "usage message"
RC=0; "$AGENT" --server "$URL" --token x --service s --target "$URL" --interval 5x 2>"$T/err" || RC=$?
eq "$RC" 2 "exit status: bad interval"
eq "$(wc -l <"$T/err" | tr -d ' ')" 1 "bad interval: one line"
RC=0; "$AGENT" --service s --target "$URL" --token x 2>"$T/err" || RC=$?
eq "$RC" 2 "exit status: no --server"
RC=0; "$AGENT" --server "$URL" --token x --service s --target ftp://x 2>"$T/err" || RC=$?
eq "$RC" 2 "exit status: non-http target"
RC=0; "$AGENT" --nonsense 2>"$T/err" || RC=$?
eq "$RC" 2 "exit status: unknown flag"
"$AGENT" --help | grep -q -- '--spool-max-bytes' || fail "--help lists the flags"

# ---- a pprof scrape reaches the server as served, with its metadata ---------------------
mode 201
agent --instance web-1
eq "$RC" 0 "--once exit status"
eq "$(posts)" 1 "posts after one pprof scrape"
eq "$(post 1 '.path')" /api/v1/profiles "push path"
eq "$(post 1 '[.query.service, .query.instance, .query.format] | join(" ")')" "shop web-1 pprof" "push query"
now=$(date +%s); ts=$(post 1 .query.ts)
[ $((now - ts)) -le 5 ] && [ $((now - ts)) -ge 0 ] || fail "ts $ts is not the scrape time ($now)"
eq "$(post 1 .authorization)" "Bearer tok-1" "bearer token"
[[ "$(post 1 .key)" =~ ^[0-9a-f]{32}$ ]] || fail "idempotency key '$(post 1 .key)' is not 128-bit hex"
eq "$(post 1 .encoding)" "" "pprof is sent as served (already gzip)"
eq "$(post 1 .sha256)" "$(sha256sum <tests/fixtures/shop-n25.pb.gz | cut -d' ' -f1)" "pprof body bytes"
eq "$(queued)" 0 "spool empty after a push"
grep -q "does not serve /debug/pprof/goroutineleak" "$T/agent.log" || fail "leak probe not logged"

# ---- text formats are gzipped on the wire; goroutineleak is pushed too when served -----
: >"$T/posts.jsonl"
agent --format debug1 --instance web-1
eq "$RC" 0 "--once debug1 exit status"
eq "$(posts)" 1 "posts after a debug1 scrape"
eq "$(post 1 .encoding)" gzip "debug1 Content-Encoding"
eq "$(post 1 .query.format)" debug1 "debug1 format parameter"
eq "$(post 1 .sha256)" "$(sha256sum <tests/fixtures/shop-n25.debug1.txt | cut -d' ' -f1)" "debug1 body after gunzip"

kill "$FAKE_PID"; wait "$FAKE_PID" 2>/dev/null || true
rm -f "$T/port"; : >"$T/posts.jsonl"
python3 tests/integration/agent_fake_server.py "$T" --leak &
FAKE_PID=$!
for _ in $(seq 1 100); do [ -s "$T/port" ] && break; sleep 0.05; done
URL=http://127.0.0.1:$(cat "$T/port")
agent --format debug1
eq "$RC" 0 "--once with goroutineleak exit status"
eq "$(posts)" 2 "goroutine and goroutineleak pushed"
eq "$(post 2 .head | head -c 29)" "goroutineleak profile: total " "second push is the leak profile"
[ "$(post 1 .key)" != "$(post 2 .key)" ] || fail "the two profiles share a key"
grep -q "serves /debug/pprof/goroutineleak" "$T/agent.log" || fail "leak profile not logged"

# ---- server errors: spooled, retried with the same key, replayed oldest first --------
: >"$T/posts.jsonl"
mode 500
agent --retry-max 1s
eq "$RC" 1 "--once exit status while the server fails"
eq "$(queued)" 2 "spooled while the server fails"
eq "$(jq -r .key "$T/posts.jsonl" | sort -u | wc -l | tr -d ' ')" 1 "retries of the oldest carry one key"
eq "$(posts)" 3 "--once tries three times"
first_key=$(post 1 .key)
grep -q "push failed, keeping 2 profiles in the spool: server answered HTTP 500" "$T/agent.log" ||
    fail "no log line for the failed push"
mode 429
agent --retry-max 1s
eq "$RC" 1 "--once exit status on 429"
eq "$(queued)" 4 "spooled on 429"
: >"$T/posts.jsonl"
mode 201
agent
eq "$RC" 0 "--once exit status after the server is back"
eq "$(queued)" 0 "spool flushed"
eq "$(posts)" 6 "4 spooled + 2 new profiles pushed"
eq "$(post 1 .key)" "$first_key" "the oldest profile is replayed first, with its key"
eq "$(jq -r .key "$T/posts.jsonl" | sort -u | wc -l | tr -d ' ')" 6 "each profile pushed once"

# ---- 400: not retried, set aside in rejected/ -----------------------------------------
: >"$T/posts.jsonl"
mode 400
agent --format pprof
eq "$RC" 1 "--once exit status on 400"
eq "$(posts)" 2 "each rejected profile pushed once"
eq "$(queued)" 0 "rejected profiles leave the queue"
eq "$(find "$SPOOL/rejected" -name '*.prof' | wc -l | tr -d ' ')" 2 "rejected/ holds them"
grep -q "server rejected pprof profile of 'shop'.*HTTP 400" "$T/agent.log" || fail "no log line for 400"

# ---- 3xx: a redirect is a misconfigured --server, not a refusal: kept and retried -------
# (README: only 4xx other than 408/429 go to rejected/)
rejected_before=$(find "$SPOOL/rejected" -name '*.prof' | wc -l | tr -d ' ')
for status in 301 302 307 308; do
    : >"$T/posts.jsonl"
    mode "$status"
    agent --format pprof --retry-max 1s
    eq "$RC" 1 "--once exit status on $status"
    eq "$(queued)" 2 "profiles kept in the spool on $status (goroutine and goroutineleak)"
    eq "$(find "$SPOOL/rejected" -name '*.prof' | wc -l | tr -d ' ')" "$rejected_before" \
        "nothing moved to rejected/ on $status"
    eq "$(posts)" 3 "--once retries on $status"
    grep -q "push failed, keeping 2 profiles in the spool: server answered HTTP $status, a redirect to 'https://login.example/sso?next=/api/v1/profiles': check --server" \
        "$T/agent.log" || fail "no clear log line for $status"
    mode 201
    agent --format pprof
    eq "$(queued)" 0 "the profiles kept on $status go out once the server answers"
done

# ---- corrupt spool files are set aside, the rest still goes --------------------------
mode 500
agent --retry-max 1s
eq "$(queued)" 2 "two profiles spooled"
oldest=$(find "$SPOOL" -maxdepth 1 -name '*.prof' | sort | head -n 1)
printf 'X' | dd of="$oldest" bs=1 seek=300 conv=notrunc 2>/dev/null
printf 'not a spool file' >"$SPOOL/00000000000000000001-0123456789abcdef0123456789abcdef.prof"
: >"$T/posts.jsonl"
mode 201
agent
eq "$RC" 0 "--once exit status with corrupt files"
eq "$(find "$SPOOL/corrupt" -name '*.prof' | wc -l | tr -d ' ')" 2 "corrupt/ holds both"
eq "$(posts)" 3 "the good spooled profile and two new ones pushed"
grep -q "spool: corrupt profile file moved to '.*': CRC mismatch" "$T/agent.log" || fail "no CRC warning"
grep -q "spool: corrupt profile file moved to '.*': not a spool file" "$T/agent.log" || fail "no magic warning"

# ---- a full spool drops the oldest ---------------------------------------------------
mode 500
for _ in 1 2 3; do agent --retry-max 1s --spool-max-files 4; done
eq "$(queued)" 4 "spool held at its file limit"
grep -q "spool: full (4 files.*dropped oldest profile" "$T/agent.log" || fail "no drop warning"
keys_left=$(for f in "$SPOOL"/*.prof; do sed -n 's/^key //p' "$f"; done | sort)
last_scraped=$(sed -n 's/.*scraped .* key \([0-9a-f]*\)"$/\1/p' "$T/agent.log" | sort)
eq "$(comm -12 <(echo "$keys_left") <(echo "$last_scraped") | wc -l | tr -d ' ')" 2 "the newest profiles are kept"
mode 201
agent
eq "$(queued)" 0 "flushed"

# ---- target down: a clear line, nothing pushed -------------------------------------------
: >"$T/posts.jsonl"
RC=0
"$AGENT" --server "$URL" --token tok-1 --service shop --target http://127.0.0.1:1 \
    --spool "$SPOOL" --once --connect-timeout 1s 2>"$T/agent.log" || RC=$?
eq "$RC" 1 "--once exit status with the target down"
eq "$(posts)" 0 "nothing pushed with the target down"
grep -q "level=warn msg=\"scrape of 'shop' instance '.*' failed, nothing pushed: GET 'http://127.0.0.1:1/debug/pprof/goroutine?debug=0'" \
    "$T/agent.log" || fail "no clear log line for the target down"

# ---- a profile over --max-profile-bytes is refused while it arrives ------------------------
: >"$T/posts.jsonl"
agent --format debug2 --max-profile-bytes 4K
eq "$RC" 1 "--once exit status for a too large profile"
eq "$(posts)" 0 "nothing pushed for a too large profile"
grep -q "failed, nothing pushed: GET '.*debug=2': profile larger than 4096 bytes" "$T/agent.log" ||
    fail "no line for the too large profile"

# ---- the daemon: scrapes on its interval, SIGTERM stops it cleanly; one agent per spool
: >"$T/posts.jsonl"
"$AGENT" --server "$URL" --token tok-1 --service shop --target "$URL" --spool "$SPOOL" \
    --interval 1s --log-level debug 2>"$T/agent.log" &
AGENT_PID=$!
for _ in $(seq 1 60); do [ "$(posts)" -ge 3 ] && break; sleep 0.1; done
[ "$(posts)" -ge 3 ] || fail "daemon pushed $(posts) profiles in 6 s at a 1 s interval"
RC=0; "$AGENT" --server "$URL" --token tok-1 --service shop --target "$URL" --spool "$SPOOL" \
    --once 2>"$T/err" || RC=$?
eq "$RC" 1 "second agent on the same spool"
grep -q "is in use by another agent" "$T/err" || fail "no lock message: $(cat "$T/err")"
kill -TERM "$AGENT_PID"
RC=0; wait "$AGENT_PID" || RC=$?
AGENT_PID=
eq "$RC" 0 "daemon exit status after SIGTERM"
grep -q "agent: stopping on signal 15" "$T/agent.log" || fail "no stop line"
eq "$(queued)" 0 "nothing left after a clean stop"

# ---- SIGTERM during a push: the push finishes, then the agent exits ----------------------
: >"$T/posts.jsonl"
rm -f "$T/slow-post-started"
mode "201 2"
"$AGENT" --server "$URL" --token tok-1 --service shop --target "$URL" --spool "$SPOOL" \
    --interval 1s --log-level debug 2>"$T/agent.log" &
AGENT_PID=$!
for _ in $(seq 1 50); do [ -f "$T/slow-post-started" ] && break; sleep 0.1; done
[ -f "$T/slow-post-started" ] || fail "no push started"
kill -TERM "$AGENT_PID"
RC=0; wait "$AGENT_PID" || RC=$?
AGENT_PID=
eq "$RC" 0 "exit status after SIGTERM during a push"
grep -q "level=debug msg=\"pushed pprof profile of 'shop'" "$T/agent.log" || fail "the push in flight did not finish"
eq "$(grep -c 'level=debug msg="pushed' "$T/agent.log")" 1 "no new push after SIGTERM"
eq "$(( $(grep -c 'level=debug msg="scraped' "$T/agent.log") - 1 ))" "$(queued)" "unpushed scrapes stay in the spool"
echo "test_agent_spool: all passed"
