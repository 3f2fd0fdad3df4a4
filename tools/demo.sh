#!/usr/bin/env bash
# demo.sh - leakfleet running on this machine with real data (`make demo` builds first).
# With the server and agent built (`leakfleet serve --help` works and leakfleet-agent
# takes --server): starts `leakfleet serve` on its SQLite default in a temporary
# directory, two instances of the leaky Go service (tests/goleaky) and an agent scraping
# each every few seconds, prints the dashboard URL and runs until Ctrl-C. Otherwise:
# lets one leaky service leak for a few seconds and shows `leakfleet analyze` on its
# profile. DEMO_SECONDS=N stops the full demo after N seconds; DEMO_PORT picks the port.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd -P)
. tests/goleaky/lib.sh

LF=${LEAKFLEET:-bin/leakfleet}
AGENT=bin/leakfleet-agent
die() { echo "demo: $*" >&2; exit 1; }

[ -x "$LF" ] || die "$LF is not built (make)"
[ -x build/goleaky/leaky ] || tests/goleaky/build.sh
[ -x build/goleaky/leaky ] || die "the leaky Go service is not built (needs golang-go)"
src=$(cat build/goleaky/srcdir)
owners=$root/tests/goleaky/CODEOWNERS

dir=$(mktemp -d)
pids=()
cleanup() {
    local p
    trap - EXIT INT TERM
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    leaky_stop
    rm -rf "$dir"
    echo "demo: stopped"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

full_demo() {
    "$LF" serve --help >/dev/null 2>&1 || return 1
    [ -x "$AGENT" ] && "$AGENT" --help 2>&1 | grep -q -- '--server'
}

# free_port FROM: the first port from FROM up that nothing listens on.
free_port() {
    local p=$1
    while (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do p=$((p + 1)); done
    echo "$p"
}

wait_http() { # wait_http URL SECONDS PID
    local deadline=$((SECONDS + $2))
    until curl -sf -o /dev/null "$1"; do
        kill -0 "$3" 2>/dev/null || return 1
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.2
    done
}

if ! full_demo; then
    echo "demo: the server or agent is not built yet; showing the offline analyzer"
    leaky_start "$dir" build/goleaky/leaky -start 50 -leak-rate 20 -metrics -version 1.0.0 || die "cannot start the leaky service"
    leaky_wait_ready 30 || die "the leaky service did not get ready"
    echo "demo: leaky Go service at $LEAKY_URL, leaking 20 goroutines/s of each kind; waiting 5 s"
    sleep 5
    curl -sf -o "$dir/goroutine.pb.gz" "$LEAKY_URL/debug/pprof/goroutine" || die "cannot fetch the profile"
    stats=$(curl -sf "$LEAKY_URL/stats" || true)
    leaky_stop
    if command -v jq >/dev/null && [ -n "$stats" ]; then stats=$(jq -c .leaked <<<"$stats"); fi
    echo "demo: leaked goroutines per kind, as the service counts them: ${stats:-unknown}"
    echo "demo: $LF analyze --repo $src/ --repo github.com/acme/leaky/ --owners tests/goleaky/CODEOWNERS goroutine.pb.gz"
    echo
    "$LF" analyze --repo "$src/" --repo github.com/acme/leaky/ --owners "$owners" "$dir/goroutine.pb.gz"
    exit 0
fi

port=${DEMO_PORT:-$(free_port 8080)}
url=http://127.0.0.1:$port
cat >"$dir/leakfleet.yaml" <<EOF
listen: "127.0.0.1:$port"
database: "$dir/leakfleet.db"
repo:
  roots: ["github.com/acme/leaky/", "$src/"]
owners:
  codeowners: "$owners"
  services:
    leaky: "@acme/platform"
detect:
  threshold: 100
  interval: "10s"
  window: "1h"
notify:
  group_wait: "10s"
  dashboard_url: "http://127.0.0.1:$port"
tokens:
  - token: "demo-agent-token"
    services: ["leaky"]
  - token: "demo-admin-token"
    admin: true
EOF

"$LF" serve --config "$dir/leakfleet.yaml" >"$dir/serve.log" 2>&1 &
pids+=($!)
wait_http "$url/healthz" 30 "${pids[0]}" || { cat "$dir/serve.log" >&2; die "the server did not come up on $url"; }

# Two instances of the leaky service, each scraped by its own agent every 5 s.
for i in 1 2; do
    mkdir -p "$dir/leaky-$i"
    leaky_start "$dir/leaky-$i" build/goleaky/leaky -start 40 -leak-rate 2 || die "cannot start leaky-$i"
    pids+=("$LEAKY_PID")
    LEAKY_PID= # stopped with the others
    "$AGENT" --server "$url" --token demo-agent-token --service leaky --instance "leaky-$i" \
        --target "$LEAKY_URL" --interval 5s --spool "$dir/leaky-$i/spool" >"$dir/leaky-$i/agent.log" 2>&1 &
    pids+=($!)
    echo "demo: leaky-$i at $LEAKY_URL (2 goroutines/s leaked per kind), agent pushing every 5 s"
done

cat <<EOF

  leakfleet dashboard: $url/
  leak inventory:      curl -s '$url/api/v1/leaks' | jq .
  admin token (ack, snooze, resolve in the dashboard): demo-admin-token

Suspects appear within a minute, once a site passes 100 goroutines and keeps growing.
Logs: $dir. Ctrl-C stops everything.
EOF

# status: one line about the inventory (needs jq; silent without it).
status() {
    command -v jq >/dev/null || return 0
    curl -sf "$url/api/v1/leaks" 2>/dev/null | jq -r '
        (.leaks // []) as $l | if ($l | length) == 0 then "demo: no suspects yet"
        else ($l | max_by(.count)) as $t |
            "demo: \($l | length) suspect sites; largest: \($t.op) at \($t.file | split("/") | last):\($t.line), \($t.count) goroutines, owner \($t.owner // "none")"
        end' 2>/dev/null || true
}

end=$((SECONDS + ${DEMO_SECONDS:-0}))
next=$((SECONDS + 15))
while :; do
    kill -0 "${pids[0]}" 2>/dev/null || { tail -n 20 "$dir/serve.log" >&2; die "the server exited"; }
    if [ -n "${DEMO_SECONDS:-}" ] && [ "$SECONDS" -ge "$end" ]; then break; fi
    if [ "$SECONDS" -ge "$next" ]; then status; next=$((SECONDS + 30)); fi
    sleep 1
done
