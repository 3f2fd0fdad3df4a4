#!/usr/bin/env bash
# test_serve_idempotency.sh - an Idempotency-Key answers only the request it was first
# used with. Profile A for host-a with key K is stored (201); profile B for host-b with
# the same key is refused 422 and nothing of it is claimed stored; the same request again
# replays the first answer (200), also gzipped on the wire, also after a restart; any
# other instance, ts, version, started, format or body under K is 422. Twenty parallel
# pushes with one key and four different requests: exactly one 201, the identical ones
# 200 with its id, the different ones 422, one profile stored.
. "$(dirname "$0")/lib.sh"

lf_start
F=$LF_FIXTURES
A=$F/shop-n25.pb.gz
B=$F/shop-n25.debug2.txt
REUSED="Idempotency-Key reused with a different request"

# profiles INSTANCE: profiles stored for shop's instance (0 when it does not exist).
profiles() {
    lf_req GET /api/v1/services
    lf_json "[.services[] | select(.name == \"shop\") | .instances[] | select(.name == \"$1\")
             | .profiles] | add // 0"
}

# ---- the attack: A then B under one key -------------------------------------------------
lf_push shop host-a "$A" -H "Idempotency-Key: K"
lf_eq "$LF_STATUS" 201 "profile A with key K"
id_a=$(lf_json .profile_id)
lf_push shop host-b "$B" -H "Idempotency-Key: K"
lf_eq "$LF_STATUS" 422 "profile B for another instance with key K"
lf_eq "$(printf '%s' "$LF_BODY" | jq -c .)" "{\"error\":\"$REUSED\"}" "422 answer"
lf_eq "$(profiles host-b)" 0 "profiles stored for host-b"
lf_eq "$(profiles host-a)" 1 "profiles stored for host-a"

# ---- the same request again: the first answer ---------------------------------------------
lf_push shop host-a "$A" -H "Idempotency-Key: K"
lf_eq "$LF_STATUS" 200 "A again with key K"
lf_eq "$(lf_json .profile_id)" "$id_a" "replay answers A's profile id"
# the fingerprint is of the decoded body: the same profile gzipped on the wire is the same
gzip -c "$A" >"$LF_TMP/a.gz"
lf_push shop host-a "$LF_TMP/a.gz" -H "Idempotency-Key: K" -H "Content-Encoding: gzip"
lf_eq "$LF_STATUS" 200 "A again, Content-Encoding gzip"
lf_eq "$(lf_json .profile_id)" "$id_a" "gzipped replay answers A's profile id"

# ---- anything else under K: 422, nothing stored -------------------------------------------
lf_push shop host-b "$A" -H "Idempotency-Key: K"
lf_eq "$LF_STATUS" 422 "A's body for another instance"
lf_push shop host-a "$B" -H "Idempotency-Key: K"
lf_eq "$LF_STATUS" 422 "another body for host-a"
lf_req POST "/api/v1/profiles?service=shop&instance=host-a&ts=$(($(date +%s) - 60))" \
    -H "Authorization: Bearer agent-secret" -H "Idempotency-Key: K" --data-binary "@$A"
lf_eq "$LF_STATUS" 422 "A with another ts"
lf_req POST "/api/v1/profiles?service=shop&instance=host-a&version=v2" \
    -H "Authorization: Bearer agent-secret" -H "Idempotency-Key: K" --data-binary "@$A"
lf_eq "$LF_STATUS" 422 "A with a version"
lf_req POST "/api/v1/profiles?service=shop&instance=host-a&started=$(($(date +%s) - 600))" \
    -H "Authorization: Bearer agent-secret" -H "Idempotency-Key: K" --data-binary "@$A"
lf_eq "$LF_STATUS" 422 "A with a process start"
lf_req POST "/api/v1/profiles?service=shop&instance=host-a&format=debug2" \
    -H "Authorization: Bearer agent-secret" -H "Idempotency-Key: K" --data-binary "@$A"
lf_eq "$LF_STATUS" 422 "A with another format"
lf_eq "$(lf_json .error)" "$REUSED" "422 error"
lf_eq "$(profiles host-a)" 1 "profiles stored for host-a after the refusals"
lf_eq "$(profiles host-b)" 0 "profiles stored for host-b after the refusals"
# keys are per service: K is free for checkout
lf_push checkout host-b "$B" -H "Idempotency-Key: K"
lf_eq "$LF_STATUS" 201 "key K for another service"

lf_req GET /metrics
lf_eq "$(printf '%s\n' "$LF_BODY" | grep '^leakfleet_pushes_total{result="key_reused"}')" \
    'leakfleet_pushes_total{result="key_reused"} 7' "refused reuses in /metrics"

# ---- twenty at once: one key, four different requests -------------------------------------
# request i: 0 A host-p, 1 B host-p, 2 A host-q, 3 A host-p ts=now-30 (i mod 4)
ts=$(($(date +%s) - 30))
pids=()
for i in $(seq 0 19); do
    case $((i % 4)) in
    0) q="instance=host-p" file=$A ;;
    1) q="instance=host-p" file=$B ;;
    2) q="instance=host-q" file=$A ;;
    3) q="instance=host-p&ts=$ts" file=$A ;;
    esac
    curl -sS -o "$LF_TMP/race-$i.body" -w '%{http_code}' -X POST \
        "$LF_URL/api/v1/profiles?service=shop&$q" -H "Authorization: Bearer agent-secret" \
        -H "Idempotency-Key: race" --data-binary "@$file" >"$LF_TMP/race-$i.status" &
    pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done
winner=
for i in $(seq 0 19); do
    [ "$(cat "$LF_TMP/race-$i.status")" = 201 ] && winner="$winner $i"
done
lf_eq "$(echo "$winner" | wc -w | tr -d ' ')" 1 "201 answers among 20 parallel pushes"
winner=${winner# }
win_id=$(jq -r .profile_id "$LF_TMP/race-$winner.body")
replays=0 refused=0
for i in $(seq 0 19); do
    [ "$i" = "$winner" ] && continue
    status=$(cat "$LF_TMP/race-$i.status")
    if [ $((i % 4)) = $((winner % 4)) ]; then
        lf_eq "$status" 200 "push $i, identical to the stored one"
        lf_eq "$(jq -r .profile_id "$LF_TMP/race-$i.body")" "$win_id" "push $i answers the stored id"
        replays=$((replays + 1))
    else
        lf_eq "$status" 422 "push $i, another request under the same key"
        lf_eq "$(jq -r .error "$LF_TMP/race-$i.body")" "$REUSED" "push $i error"
        refused=$((refused + 1))
    fi
done
lf_eq "$replays $refused" "4 15" "replays and refusals"
lf_eq "$(($(profiles host-p) + $(profiles host-q)))" 1 "profiles stored by the 20 pushes"

# ---- the fingerprints survive a restart ---------------------------------------------------
lf_stop
lf_start
lf_push shop host-a "$A" -H "Idempotency-Key: K"
lf_eq "$LF_STATUS $(lf_json .profile_id)" "200 $id_a" "A with key K after a restart"
lf_push shop host-b "$B" -H "Idempotency-Key: K"
lf_eq "$LF_STATUS" 422 "B with key K after a restart"
lf_stop
