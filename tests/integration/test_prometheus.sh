#!/usr/bin/env bash
# test_prometheus.sh - the inventory on /metrics against the real Prometheus (Debian's
# prometheus) scraping the server on loopback: the two suspects of the leaky Go service
# come back from a PromQL query through Prometheus's HTTP API with their labels, count
# and growth; a hostile function name (quote, backslash) survives escaping; the sites
# stay bounded by metrics.top_sites (1,000 sites pushed, 5 + the suspects exposed);
# `promtool check metrics` passes on the exposition.
. "$(dirname "$0")/lib.sh"
. tests/goleaky/lib.sh

command -v prometheus >/dev/null || lf_fail "prometheus is missing (make deps)"
command -v promtool >/dev/null || lf_fail "promtool is missing (make deps)"
[ -x build/goleaky/leaky ] || lf_fail "build/goleaky/leaky is missing (make go-fixture)"

srcdir=$(cat build/goleaky/srcdir)
cat >"$LF_TMP/config.yaml" <<YAML
database: "$LF_TMP/lf.db"
repo:
  roots: ["github.com/acme/leaky/", "$srcdir/", "/build/big/"]
owners:
  codeowners: "tests/goleaky/CODEOWNERS"
detect:
  threshold: 50
  live_window: "1h"
  interval: "1h"
  ops: ["chan send", "chan receive", "select", "select (no cases)"]
metrics:
  top_sites: 5
tokens:
  - token: "agent-secret"
    services: ["leaky", "big"]
  - token: "admin-secret"
    admin: true
YAML
lf_start

leaky_start "$LF_TMP" build/goleaky/leaky -leak-rate 0 -start 0 -kinds send,select -workers 40
PROM_PID=
trap 'rc=$?; leaky_stop; [ -n "$PROM_PID" ] && kill $PROM_PID 2>/dev/null; [ $rc -ne 0 ] && tail -n 20 "$LF_TMP/prom.log"; lf_cleanup $rc' EXIT
leaky_wait_ready 10 || lf_fail "leaky not ready"
now=$(date +%s)
lf_push_leaky_growth "$now"
# 1,000 distinct sites, the largest with a hostile function name
{
    printf 'goroutine 1 [chan receive]:\nmain.a"b\\c\\n()\n\t/build/big/we"ird.go:7 +0x2d\n\n'
    for i in $(seq 2 1000); do
        printf 'goroutine %d [chan receive]:\nmain.site%04d()\n\t/build/big/main.go:%d +0x2d\n\n' "$i" "$i" "$i"
    done
    for i in $(seq 1001 1040); do
        printf 'goroutine %d [chan receive]:\nmain.a"b\\c\\n()\n\t/build/big/we"ird.go:7 +0x2d\n\n' "$i"
    done
} >"$LF_TMP/big.txt"
lf_push big b1 "$LF_TMP/big.txt"
lf_eq "$LF_STATUS" 201 "1,000-site push"
lf_req POST /api/v1/detect -H "Authorization: Bearer admin-secret"
lf_eq "$(lf_json .suspects)" 2 "suspects found by the pass"

curl -sf "$LF_URL/metrics" >"$LF_TMP/metrics.txt"
promtool check metrics <"$LF_TMP/metrics.txt" || lf_fail "promtool check metrics"
echo "ok: promtool check metrics"
lf_eq "$(grep -c '^leakfleet_site_goroutines{' "$LF_TMP/metrics.txt")" 7 "sites exposed: 2 suspects + top_sites 5"
grep -qF 'function="main.a\"b\\c\\n",file="/build/big/we\"ird.go"' "$LF_TMP/metrics.txt" ||
    lf_fail "the hostile function name is escaped: $(grep 'main.a' "$LF_TMP/metrics.txt")"
echo "ok: hostile label values escaped"

# The real Prometheus scrapes the server and answers PromQL.
port=${LF_URL##*:}
cat >"$LF_TMP/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: leakfleet
    static_configs:
      - targets: ["127.0.0.1:$port"]
YAML
promtool check config "$LF_TMP/prometheus.yml" >/dev/null || lf_fail "promtool check config"
PROM_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
PROM_URL="http://127.0.0.1:$PROM_PORT"
prometheus --config.file="$LF_TMP/prometheus.yml" --storage.tsdb.path="$LF_TMP/prom" \
    --web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn >"$LF_TMP/prom.log" 2>&1 &
PROM_PID=$!
query() { curl -sf --data-urlencode "query=$1" "$PROM_URL/api/v1/query"; }
answer=
for _ in $(seq 1 150); do
    answer=$(query 'leakfleet_site_goroutines{suspect="true"}' 2>/dev/null || true)
    [ "$(jq -r '.data.result | length' <<<"$answer" 2>/dev/null)" = 2 ] && break
    kill -0 "$PROM_PID" 2>/dev/null || lf_fail "prometheus exited"
    sleep 0.2
done
SEND='github.com/acme/leaky/internal/ncast.(*Bus).Publish.func1'
SELECT='github.com/acme/leaky/internal/worker.waitReply'
lf_eq "$(jq -r '.data.result | map("\(.metric.service) \(.metric.owner) \(.metric.function) \(.metric.op) \(.value[1])") | sort | join(";")' <<<"$answer")" \
    "leaky @acme/messaging $SEND chan send 160;leaky @acme/workers $SELECT select 160" \
    "PromQL: the suspects with their labels and counts"
answer=$(query 'sum by (owner) (leakfleet_site_growth_per_hour{suspect="true"})')
lf_eq "$(jq -r '.data.result | map("\(.metric.owner)=\(.value[1])") | sort | join(" ")' <<<"$answer")" \
    "@acme/messaging=1200 @acme/workers=1200" "PromQL: growth per hour by owner"
answer=$(query 'count(leakfleet_site_goroutines{suspect="false"})')
lf_eq "$(jq -r '.data.result[0].value[1]' <<<"$answer")" 5 "PromQL: 1,000 other sites bounded to top_sites"
answer=$(query 'leakfleet_site_goroutines{service="big",file="/build/big/we\"ird.go"}')
lf_eq "$(jq -r '.data.result[0].metric.function' <<<"$answer")" 'main.a"b\c\n' "PromQL: the hostile name as pushed"
lf_stop
