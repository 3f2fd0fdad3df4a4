#!/usr/bin/env bash
# test_serve_series.sh - a location's series agrees with the inventory, on the real server
# with pushes at explicit times: instance a at 10,000 now and b at 10,000 a minute ago end
# the series on 20,000 as the inventory says; 50 instances pushing every minute, up to
# 25 s early or late, with counts that never change draw a flat line at the inventory's
# count, per minute and per five minutes.
. "$(dirname "$0")/lib.sh"

cat >"$LF_TMP/config.yaml" <<YAML
repo:
  roots: ["/srv/build/shop/"]
detect:
  live_window: "5m"
tokens:
  - token: "agent-secret"
    services: ["*"]
YAML
lf_start

# profile N: a debug=1 profile of N goroutines blocked at one in-repo channel send
profile() {
    printf 'goroutine profile: total %d\n%d @ 0x43b256 0x406d56 0x46b2a1\n' "$1" "$1"
    printf '#\t0x406d55\tmain.leak+0x35\t/srv/build/shop/main.go:10\n\n'
}
# series_of SERVICE FROM STEP: sets POINTS to the site's series up to now ("start,value
# ..."), LAST to the start of the bucket of now (the server's "to")
series_of() {
    lf_req GET "/api/v1/leaks?all=1&service=$1"
    local loc
    loc=$(lf_json '.leaks[0].location_id')
    lf_req GET "/api/v1/locations/$loc/series?service=$1&from=$2&step=$3"
    lf_eq "$LF_STATUS" 200 "series of $1 status"
    POINTS=$(lf_json '.series | map(@csv) | join(" ")')
    LAST=$(lf_json '(.to / .step | floor) * .step')
}
inventory_of() {
    lf_req GET "/api/v1/leaks?all=1&service=$1"
    lf_json '.leaks[0].count'
}

# ---- two instances, a minute apart ----------------------------------------------------
profile 10000 >"$LF_TMP/ten.txt"
now=$(date +%s)
lf_req POST "/api/v1/profiles?service=pair&instance=b&ts=$((now - 60))" \
    -H "Authorization: Bearer agent-secret" --data-binary "@$LF_TMP/ten.txt"
lf_eq "$LF_STATUS" 201 "push b a minute ago"
lf_req POST "/api/v1/profiles?service=pair&instance=a&ts=$now" \
    -H "Authorization: Bearer agent-secret" --data-binary "@$LF_TMP/ten.txt"
lf_eq "$LF_STATUS" 201 "push a now"
lf_eq "$(inventory_of pair)" 20000 "inventory of the pair"
series_of pair $((now - 600)) 60
lf_eq "${POINTS##* }" "$LAST,20000" "the pair's last point is the inventory's count"

# ---- 50 instances pushing every minute with jitter, for 12 minutes ---------------------
# One curl reads every request from a config file, over one connection.
: >"$LF_TMP/pushes.curl"
for i in $(seq 0 49); do profile $((100 + i)) >"$LF_TMP/p$i.txt"; done
start=$((now - 720))
seed=7
for ((t = start; t <= now; t += 60)); do
    for i in $(seq 0 49); do
        seed=$(((seed * 1103515245 + 12345) % 2147483648))
        ts=$((t + (seed >> 8) % 51 - 25))
        [ "$ts" -le "$now" ] || ts=$now
        [ -s "$LF_TMP/pushes.curl" ] && printf 'next\n'
        printf 'url = "%s/api/v1/profiles?service=fleet&instance=i%d&ts=%d"\n' "$LF_URL" "$i" "$ts"
        printf 'header = "Authorization: Bearer agent-secret"\n'
        printf 'data-binary = "@%s/p%d.txt"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n' \
            "$LF_TMP" "$i"
    done >>"$LF_TMP/pushes.curl"
done
curl -sS -K "$LF_TMP/pushes.curl" >"$LF_TMP/codes" || lf_fail "curl pushes"
lf_eq "$(sort "$LF_TMP/codes" | uniq -c | awk '{ print $2 "x" $1 }' | tr '\n' ' ')" "201x650 " \
    "fleet pushes stored"
total=$(( (100 + 149) * 50 / 2 ))
lf_eq "$(inventory_of fleet)" "$total" "inventory of the fleet"
for step in 60 300; do
    series_of fleet $((now - 600)) "$step"
    # shellcheck disable=SC2086
    values=$(printf '%s\n' $POINTS | cut -d, -f2 | sort -u | tr '\n' ' ')
    lf_eq "$values" "$total " "every point of the fleet's series (step $step) is the fleet's count"
    # shellcheck disable=SC2086
    n=$(printf '%s\n' $POINTS | wc -l)
    [ "$n" -ge $((600 / step)) ] || lf_fail "step $step: only $n points: $POINTS"
    lf_eq "${POINTS##* }" "$LAST,$total" "the fleet's last point (step $step)"
done
lf_stop
