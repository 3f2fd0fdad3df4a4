#!/usr/bin/env bash
# test_dashboard.sh - the dashboard in a real browser: a real server filled with real
# profiles of the leaky Go service (twelve pushes a minute apart per instance, each after
# a burst of leaks; host-b is deployed from v1 to v2 after its second push; the same
# profiles from a second service, leaky-eu, with one instance), a hostile profile, a
# 1,000-site one, a service that pushed once (fresh), one pushing every 5 min (slow), a
# library's site with an in-repo culprit (lib), no webhook (so the queue's messages have no
# route), then dashboard.cjs drives Debian's chromium through every page, at 1400 and at
# 800 px wide.
# Screenshots land in build/web-test/.
source tests/integration/lib.sh
source tests/goleaky/lib.sh

command -v node >/dev/null || lf_fail "node is missing (make deps)"
[ -x /usr/bin/chromium ] || lf_fail "chromium is missing (make deps)"
[ -x build/goleaky/leaky ] || lf_fail "build/goleaky/leaky is missing (make go-fixture)"

# playwright-core, pinned by tests/web/package-lock.json.
npm_dir=build/web-test-npm
if [ ! -f "$npm_dir/.installed" ] || [ tests/web/package-lock.json -nt "$npm_dir/.installed" ]; then
    mkdir -p "$npm_dir"
    cp tests/web/package.json tests/web/package-lock.json "$npm_dir"/
    (cd "$npm_dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    touch "$npm_dir/.installed"
fi
out=build/web-test
rm -rf "$out" && mkdir -p "$out"

srcdir=$(cat build/goleaky/srcdir)
cat >"$LF_TMP/config.yaml" <<YAML
database: "$LF_TMP/lf.db"
repo:
  roots: ["github.com/acme/leaky/", "$srcdir/", "/build/hostile/", "/build/big/", "/build/fresh/", "/build/slow/", "/build/lib/"]
owners:
  codeowners: "tests/goleaky/CODEOWNERS"
detect:
  threshold: 50
  live_window: "1h"
  interval: "1h"
notify:
  group_wait: "1s"
  resolve_after: "2h"
web:
  source_url: "https://src.example/acme/leaky/blob/main/{path}#L{line}"
tokens:
  - token: "agent-secret"
    services: ["leaky", "leaky-eu", "hostile", "big", "fresh", "slow", "lib"]
  - token: "admin-secret"
    name: "alice"
    admin: true
YAML
lf_start

leaky_start "$LF_TMP" build/goleaky/leaky -leak-rate 0 -start 0 -kinds send,select,mutex
trap 'rc=$?; leaky_stop; lf_cleanup $rc' EXIT
leaky_wait_ready 10

push() { # push SERVICE INSTANCE TS FILE [MORE QUERY]
    local service=$1 instance=$2 ts=$3 file=$4 more=${5:-}
    curl -sf -H "Authorization: Bearer agent-secret" --data-binary @"$file" \
        "$LF_URL/api/v1/profiles?service=$service&instance=$instance&ts=$ts$more" >/dev/null ||
        lf_fail "push $service/$instance at $ts"
}

now=$(date +%s)
for i in $(seq 0 11); do
    curl -sf -o /dev/null "$LEAKY_URL/leak?kind=all&n=20"
    leaky_wait_ready 10
    curl -sf -o "$LF_TMP/p$i.pb.gz" "$LEAKY_URL/debug/pprof/goroutine"
    ts=$((now - (11 - i) * 60))
    push leaky host-a "$ts" "$LF_TMP/p$i.pb.gz"
    if [ "$i" -lt 2 ]; then version=v1; else version=v2; fi
    push leaky host-b $((ts + 5)) "$LF_TMP/p$i.pb.gz" "&version=$version"
    push leaky-eu eu-1 $((ts + 7)) "$LF_TMP/p$i.pb.gz"
done

# A hostile function name: goroutine stacks are whatever the pusher sends.
cat >"$LF_TMP/hostile.txt" <<'DUMP'
goroutine 7 [chan send, 3 minutes]:
main.<img src=x onerror=window.__xss=1>()
	/build/hostile/main.go:12 +0x2d
created by main.main
	/build/hostile/main.go:20 +0x45
DUMP
push hostile h1 "$now" "$LF_TMP/hostile.txt"

# A service that pushed once, two and a half minutes ago: one complete minute of data.
cat >"$LF_TMP/fresh.txt" <<'DUMP'
goroutine 9 [chan receive, 2 minutes]:
main.freshSite()
	/build/fresh/main.go:7 +0x2d
DUMP
push fresh f1 $((now - 150)) "$LF_TMP/fresh.txt"

# A service whose agent pushes every 5 minutes: its charts are never finer than that.
for i in 1 2 3 4 5; do
    for g in $(seq 1 $((i * 3))); do
        printf 'goroutine %d [chan send]:\nmain.slowSite()\n\t/build/slow/main.go:9 +0x2d\n\n' "$g"
    done >"$LF_TMP/slow$i.txt"
    push slow s1 $((now - (6 - i) * 300)) "$LF_TMP/slow$i.txt"
done

# A library's site (outside the repo) growing under an in-repo caller: the caller is its
# culprit.
for i in $(seq 0 11); do
    for g in $(seq 1 $((10 + i * 10))); do
        printf 'goroutine %d [chan receive]:\ngithub.com/other/pool.(*Pool).wait(...)\n' "$g"
        printf '\t/go/pkg/mod/github.com/other/pool@v1.0.0/pool.go:10 +0x2d\n'
        printf 'main.useLib()\n\t/build/lib/cmd/app/main.go:5 +0x45\n\n'
    done >"$LF_TMP/lib$i.txt"
    push lib l1 $((now - (11 - i) * 60 + 3)) "$LF_TMP/lib$i.txt"
done

# 1,000 distinct blocked sites in one profile.
for i in $(seq 1 1000); do
    printf 'goroutine %d [chan receive]:\nmain.site%04d()\n\t/build/big/main.go:%d +0x2d\n\n' "$i" "$i" "$i"
done >"$LF_TMP/big.txt"
push big b1 "$now" "$LF_TMP/big.txt"

curl -sf -X POST -H "Authorization: Bearer admin-secret" "$LF_URL/api/v1/detect" >/dev/null ||
    lf_fail "detection pass"

# The dispatcher finds no route for the owners: their notifications become unrouted, are
# counted apart from delivered ones in /metrics, and none is delivered.
for _ in $(seq 1 50); do
    curl -sf "$LF_URL/api/v1/notifications?state=unrouted" | grep -q '"id"' && break
    sleep 0.2
done
unrouted=$(curl -sf "$LF_URL/api/v1/notifications?state=unrouted" | jq '.notifications | length')
[ "$unrouted" -ge 1 ] || lf_fail "no notification is unrouted without a webhook"
metrics=$(curl -sf "$LF_URL/metrics")
grep -qE '^leakfleet_notifications_unrouted_total [1-9]' <<<"$metrics" ||
    lf_fail "/metrics does not count the unrouted messages: $(grep notifications_ <<<"$metrics")"
grep -q '^leakfleet_notifications_delivered_total 0$' <<<"$metrics" ||
    lf_fail "/metrics counts an unrouted message as delivered"
lf_eq "$(curl -sf "$LF_URL/api/v1/notifications?state=delivered" | jq '.notifications | length')" 0 \
    "no notification is delivered without a route"
echo "ok: $unrouted notifications have no route; /metrics counts them apart from delivered ones"

NODE_PATH=$npm_dir/node_modules node tests/web/dashboard.cjs "$LF_URL" admin-secret "$out"
echo "screenshots: $(ls "$out" | tr '\n' ' ')"
