#!/usr/bin/env bash
# test_serve_ingest.sh - the server end to end on the real shop fixtures: pushes from two
# instances give exact inventory counts, a location's series follows several pushes, the
# services list counts profiles, and everything survives a restart (SIGTERM, then a new
# process on the same database).
. "$(dirname "$0")/lib.sh"

# The series below use profile times of 1970: keep raw samples that long.
lf_write_config "retention:
  raw: 36500d"
lf_start
F=$LF_FIXTURES

# Two instances of shop: one pushes gzipped pprof (as Go serves it), the other debug=2.
lf_push shop a "$F/shop-n25.pb.gz"
lf_eq "$LF_STATUS" 201 "push a status"
lf_eq "$(lf_json '[.goroutines, .locations] | @csv')" "279,15" "push a goroutines,locations"
lf_push shop b "$F/shop-n25.debug2.txt"
lf_eq "$LF_STATUS" 201 "push b status"
lf_eq "$(lf_json .goroutines)" 279 "push b goroutines"

# Inventory: one push per instance is no growth, so nothing is suspect yet; with all=1
# the in-repo channel sites count 25 goroutines on each instance (threshold 40).
lf_req GET /api/v1/leaks
lf_eq "$LF_STATUS" 200 "leaks status"
lf_eq "$(lf_json '.leaks | length')" 0 "no suspects without growth"
lf_req GET '/api/v1/leaks?all=1'
big='[.leaks[] | select(.in_repo and .count >= 40 and (.op | test("^(chan|select)")))]'
lf_eq "$(lf_json "$big | length")" 6 "in-repo channel sites over the threshold"
lf_eq "$(lf_json "[$big[].count] | add")" 300 "sum of their counts"
lf_eq "$(lf_json '.leaks[] | select(.function == "github.com/acme/shop/internal/queue.(*Queue).work") | [.op, .count, .line, .in_repo, .suspect] | @csv')" \
    '"chan send",50,13,true,false' "queue.work row"
lf_eq "$(lf_json "[$big[].function] | sort | join(\" \")")" \
    "github.com/acme/shop/internal/queue.(*Queue).work main.deep main.forever main.labelled.func1 main.nilRecv main.nilSend" \
    "in-repo channel functions"
lf_eq "$(lf_json "[$big[].owner] | unique | join(\",\")")" "@acme/shop-team" "owner falls back to the service's"
lf_eq "$(lf_json '.leaks[] | select(.function == "main.locked") | .count')" 2 "main.locked with all=1"
lf_eq "$(lf_json '[.leaks[] | select(.suspect)] | length')" 0 "suspects among all=1"
lf_req GET '/api/v1/leaks?service=nosuch'
lf_eq "$(lf_json '.leaks | length')" 0 "leaks of an unknown service"
lf_req GET '/api/v1/leaks?servce=shop'
lf_eq "$LF_STATUS" 400 "misspelt parameter status"
lf_eq "$(lf_json .error)" "unknown parameter 'servce'" "misspelt parameter error"

# One location and its series across several pushes of instance c at fixed times.
lf_req GET '/api/v1/leaks?all=1'
loc=$(lf_json '.leaks[] | select(.function == "main.nilSend") | .location_id')
lf_req GET "/api/v1/locations/$loc"
lf_eq "$LF_STATUS" 200 "location status"
lf_eq "$(lf_json '[.function, .op, .line] | @csv')" '"main.nilSend","chan send (nil chan)",23' "location site"
lf_eq "$(lf_json '.services[0].name')" shop "location seen in"
lf_req GET /api/v1/locations/999999
lf_eq "$LF_STATUS" 404 "unknown location"
lf_req GET /api/v1/locations/abc
lf_eq "$LF_STATUS" 400 "non-numeric location"

for ts in 1000000 1000060 1000120; do
    lf_req POST "/api/v1/profiles?service=shop&instance=c&ts=$ts" \
        -H "Authorization: Bearer agent-secret" --data-binary "@$F/shop-n25.pb.gz"
    lf_eq "$LF_STATUS" 201 "push c at $ts"
done
lf_req GET "/api/v1/locations/$loc/series?from=999000&to=1000200&step=60"
lf_eq "$LF_STATUS" 200 "series status"
# buckets start at multiples of step; each point is instance c's latest profile at the
# bucket's end while it is within the live window (1h here), up to the bucket of to
lf_eq "$(lf_json '.series | map(@csv) | join(" ")')" \
    "999960,25 1000020,25 1000080,25 1000140,25 1000200,25" "series"
lf_req GET "/api/v1/locations/$loc/series?from=999000&to=1000200&step=1h"
lf_eq "$(lf_json '.series | map(@csv) | join(" ")')" "997200,25" "series in one hour bucket"
lf_req GET "/api/v1/locations/$loc/series?from=5&to=4"
lf_eq "$LF_STATUS" 400 "series with to before from"
lf_req GET "/api/v1/locations/$loc/series?step=-1"
lf_eq "$(lf_json .error)" "parameter 'step' must be a whole number of seconds such as 90, 90s, 5m, 1h30m or 2d (units ms, s, m, h, d, w), not '-1'" "bad step"

# Instance c is live too (it pushed just now, whatever its profile times say).
lf_req GET '/api/v1/leaks?all=1'
lf_eq "$(lf_json "$big | map(.count) | add")" 450 "sum of in-repo channel counts over three instances"
# what was stored (verdicts come from the detection pass, which runs at start)
stored='[.leaks[] | {location_id, service, function, file, line, op, count, in_repo, owner, first_seen, last_seen}]'
leaks_before=$(lf_json "$stored")
lf_req GET /api/v1/services
lf_eq "$(lf_json '.services[0] | [.name, .owner] | @csv')" '"shop","@acme/shop-team"' "service and owner"
lf_eq "$(lf_json '.services[0].instances | map("\(.name)=\(.profiles)") | join(" ")')" "a=1 b=1 c=3" "profiles per instance"
services_before=$LF_BODY

# Restart on the same database: the same answers.
lf_stop
lf_start
lf_req GET '/api/v1/leaks?all=1'
lf_eq "$(lf_json "$stored")" "$leaks_before" "leaks after restart"
lf_req GET /api/v1/services
lf_eq "$LF_BODY" "$services_before" "services after restart"
lf_push shop a "$F/shop-n25.pb.gz"
lf_eq "$LF_STATUS" 201 "push after restart"
lf_eq "$(lf_json .profile_id)" 6 "profile ids continue after restart"
lf_stop
