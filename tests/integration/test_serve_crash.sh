#!/usr/bin/env bash
# test_serve_crash.sh - kill -9 in the middle of a burst of parallel pushes: the database
# must open, pass PRAGMA integrity_check and foreign_key_check, and hold every push that
# was answered 2xx (each answered profile_id is looked up); a restarted server serves it.
. "$(dirname "$0")/lib.sh"

lf_start
F=$LF_FIXTURES
N=3000
PARALLEL=24

# One curl process runs the burst: N pushes as instances i1..iN, PARALLEL at a time,
# each answer in its own file, "STATUS FILE" per push on stdout.
mkdir "$LF_TMP/answers"
curl -s -m 20 --parallel --parallel-max "$PARALLEL" -X POST \
    -H 'Authorization: Bearer agent-secret' --data-binary "@$F/shop-n25.pb.gz" \
    -o "$LF_TMP/answers/#1" -w '%{http_code} %{filename_effective}\n' \
    "$LF_URL/api/v1/profiles?service=shop&instance=i[1-$N]" >"$LF_TMP/results" 2>/dev/null &
burst=$!
# Kill once a few hundred pushes have been answered, while the rest are in flight.
for _ in $(seq 1 500); do
    [ "$(grep -c '^2' "$LF_TMP/results" || true)" -ge 300 ] && break
    sleep 0.02
done
kill -KILL "$LF_PID"
wait "$LF_PID" 2>/dev/null || true
LF_PID=
wait "$burst" || true

ok_ids=$(awk '$1 ~ /^2/ {print $2}' "$LF_TMP/results" | xargs -r cat | jq -r .profile_id)
n_ok=$(printf '%s\n' "$ok_ids" | grep -c . || true)
n_failed=$((N - n_ok))
echo "pushes answered 2xx: $n_ok, not answered: $n_failed (of $N)"
[ "$n_ok" -ge 300 ] || lf_fail "too few pushes answered before the kill ($n_ok)"
[ "$n_failed" -ge 1 ] || lf_fail "the kill came after the burst: nothing was in flight"

db=$LF_TMP/lf.db
lf_eq "$(sqlite3 "$db" 'PRAGMA integrity_check;')" ok "integrity_check after kill -9"
lf_eq "$(sqlite3 "$db" 'PRAGMA foreign_key_check;' | wc -l)" 0 "foreign_key_check rows"
printf '%s\n' "$ok_ids" | sort -u >"$LF_TMP/ok_ids"
lf_eq "$(wc -l <"$LF_TMP/ok_ids")" "$n_ok" "distinct profile ids answered"
sqlite3 "$db" 'SELECT id FROM profiles;' | sort >"$LF_TMP/stored_ids"
missing=$(comm -23 "$LF_TMP/ok_ids" "$LF_TMP/stored_ids" | wc -l)
lf_eq "$missing" 0 "acknowledged profiles missing from the database"
stored=$(wc -l <"$LF_TMP/stored_ids")
echo "ok: $stored profiles stored (>= $n_ok acknowledged)"

# The server opens the crashed database and serves what it holds.
lf_start
lf_req GET /api/v1/services
lf_eq "$(lf_json '[.services[].instances[].profiles] | add')" "$stored" "profiles served after restart"
lf_push shop after-crash "$F/shop-n25.pb.gz"
lf_eq "$LF_STATUS" 201 "push after restart"
lf_stop
