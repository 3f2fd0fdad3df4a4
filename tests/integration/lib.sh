# lib.sh - shared helpers of the server integration tests (sourced, not run): a temp
# directory with a config and a database, the real bin/leakfleet serve on an ephemeral
# loopback port, curl + jq requests, and assertions. Everything is cleaned up on exit.
# Tests run from the repository root.

set -euo pipefail

LF_BIN=${LF_BIN:-bin/leakfleet}
LF_FIXTURES=${LF_FIXTURES:-tests/fixtures}
LF_TMP=$(mktemp -d)
LF_PID=
LF_URL=
LF_FAILED=0

# lf_cleanup [RC]: the EXIT trap; a test with its own trap passes the status it saved.
lf_cleanup() {
    local rc=${1:-$?}
    if [ -n "$LF_PID" ] && kill -0 "$LF_PID" 2>/dev/null; then
        kill -KILL "$LF_PID" 2>/dev/null || true
        wait "$LF_PID" 2>/dev/null || true
    fi
    if [ "$rc" -ne 0 ] && [ -f "$LF_TMP/server.log" ]; then
        echo "---- server log (last 40 lines) ----"
        tail -n 40 "$LF_TMP/server.log"
    fi
    rm -rf "$LF_TMP"
    exit "$rc"
}
trap lf_cleanup EXIT

lf_fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# lf_eq ACTUAL EXPECTED WHAT
lf_eq() {
    if [ "$1" != "$2" ]; then
        lf_fail "$3: got '$1', want '$2'"
    fi
    echo "ok: $3 = $2"
}

# lf_stand_in DIR SCRIPT [ARGS...]: starts the Python stand-in tests/integration/SCRIPT
# (a webhook sink, a fake server or target), which writes its port to DIR/port; sets
# LF_STAND_IN_PID and LF_STAND_IN_PORT. The caller stops it.
lf_stand_in() {
    local dir=$1 script=$2
    shift 2
    mkdir -p "$dir"
    python3 "tests/integration/$script" "$dir" "$@" &
    LF_STAND_IN_PID=$!
    for _ in $(seq 1 100); do [ -s "$dir/port" ] && break; sleep 0.05; done
    [ -s "$dir/port" ] || lf_fail "$script on $dir did not start"
    LF_STAND_IN_PORT=$(cat "$dir/port")
}

# The default config: tokens for the auth matrix, the shop fixture's repo roots.
lf_write_config() {
    cat >"$LF_TMP/config.yaml" <<YAML
listen: "127.0.0.1:0"
database: "$LF_TMP/lf.db"
repo:
  roots: ["/srv/build/shop/", "github.com/acme/shop/"]
owners:
  services:
    shop: "@acme/shop-team"
detect:
  threshold: 40
  live_window: "1h"
limits:
  max_body_bytes: 1048576
  max_decoded_bytes: 4194304
tokens:
  - token: "agent-secret"
    services: ["shop", "checkout"]
  - token_sha256: "$(printf '%s' other-secret | sha256sum | cut -d' ' -f1)"
    services: ["search"]
  - token: "admin-secret"
    admin: true
${1:-}
YAML
}

# lf_start [EXTRA ARGS]: starts the server, sets LF_PID and LF_URL, waits for /healthz.
lf_start() {
    [ -f "$LF_TMP/config.yaml" ] || lf_write_config
    : >"$LF_TMP/server.log"
    "$LF_BIN" serve --config "$LF_TMP/config.yaml" --listen 127.0.0.1:0 \
        --db "$LF_TMP/lf.db" "$@" 2>>"$LF_TMP/server.log" &
    LF_PID=$!
    local port=
    for _ in $(seq 1 200); do
        port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' \
            "$LF_TMP/server.log" | tail -n 1)
        [ -n "$port" ] && break
        kill -0 "$LF_PID" 2>/dev/null || lf_fail "server exited at start"
        sleep 0.05
    done
    [ -n "$port" ] || lf_fail "server did not print its port"
    LF_URL="http://127.0.0.1:$port"
    for _ in $(seq 1 100); do
        if curl -fsS -o /dev/null "$LF_URL/healthz" 2>/dev/null; then
            return 0
        fi
        sleep 0.05
    done
    lf_fail "server did not answer /healthz"
}

# lf_stop: SIGTERM, then expects a clean exit 0 within LF_STOP_SECONDS (15) s; a server
# still running then is killed and the test fails (a shutdown hang is a failure, not a
# stalled run).
lf_stop() {
    local seconds=${LF_STOP_SECONDS:-15} rc=0 pid=$LF_PID
    kill -TERM "$pid"
    for _ in $(seq 1 $((seconds * 10))); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        LF_PID=
        lf_fail "server did not stop within ${seconds} s of SIGTERM (killed)"
    fi
    wait "$pid" || rc=$?
    LF_PID=
    lf_eq "$rc" 0 "server exit status after SIGTERM"
}

# lf_req METHOD PATH [CURL ARGS...]: sets LF_STATUS and LF_BODY.
lf_req() {
    local method=$1 path=$2
    shift 2
    local out
    out=$(curl -sS -X "$method" -o "$LF_TMP/body" -w '%{http_code}' "$@" "$LF_URL$path")
    LF_STATUS=$out
    LF_BODY=$(cat "$LF_TMP/body")
}

# lf_push SERVICE INSTANCE FILE [CURL ARGS...]: POSTs FILE as agent-secret.
lf_push() {
    local service=$1 instance=$2 file=$3
    shift 3
    lf_req POST "/api/v1/profiles?service=$service&instance=$instance" \
        -H "Authorization: Bearer agent-secret" --data-binary "@$file" "$@"
}

# lf_json FILTER: jq -r FILTER over LF_BODY.
lf_json() {
    printf '%s' "$LF_BODY" | jq -r "$1"
}

# lf_push_leaky_growth NOW: eight profiles of the running leaky fixture
# (tests/goleaky/lib.sh, LEAKY_URL), stamped a minute apart up to NOW (unix seconds), each
# after a burst of ten more leaks of every kind, pushed as service leaky from host-a and
# host-b with agent-secret: a leak that grows on two instances.
lf_push_leaky_growth() {
    local now=$1 i ts inst
    for i in $(seq 0 7); do
        curl -sf -o /dev/null "$LEAKY_URL/leak?kind=all&n=10"
        leaky_wait_ready 10 || lf_fail "leaky not ready after a burst"
        curl -sf -o "$LF_TMP/p.pb.gz" "$LEAKY_URL/debug/pprof/goroutine"
        ts=$((now - (7 - i) * 60))
        for inst in host-a host-b; do
            lf_req POST "/api/v1/profiles?service=leaky&instance=$inst&ts=$ts" \
                -H "Authorization: Bearer agent-secret" --data-binary "@$LF_TMP/p.pb.gz"
            [ "$LF_STATUS" = 201 ] || lf_fail "push $inst at $ts: $LF_STATUS $LF_BODY"
        done
    done
}
