#!/usr/bin/env bash
# test_serve_shutdown.sh - SIGTERM in the middle of a burst of parallel pushes: the server
# stops accepting, lets the requests in flight finish, drains the writer, closes the
# database and exits 0; no push is answered with an error, and every push answered 2xx
# is in the database.
. "$(dirname "$0")/lib.sh"

lf_start
F=$LF_FIXTURES
N=3000

mkdir "$LF_TMP/answers"
curl -s -m 20 --parallel --parallel-max 24 -X POST \
    -H 'Authorization: Bearer agent-secret' --data-binary "@$F/shop-n25.pb.gz" \
    -o "$LF_TMP/answers/#1" -w '%{http_code} %{filename_effective}\n' \
    "$LF_URL/api/v1/profiles?service=shop&instance=i[1-$N]" >"$LF_TMP/results" 2>/dev/null &
burst=$!
for _ in $(seq 1 500); do
    [ "$(grep -c '^2' "$LF_TMP/results" || true)" -ge 300 ] && break
    sleep 0.02
done
lf_stop
wait "$burst" || true

n_ok=$(grep -c '^2' "$LF_TMP/results" || true)
errors=$(awk '$1 ~ /^[45]/' "$LF_TMP/results" | wc -l)
echo "pushes answered 2xx: $n_ok of $N"
[ "$n_ok" -ge 300 ] && [ "$n_ok" -lt "$N" ] || lf_fail "SIGTERM did not land inside the burst"
lf_eq "$errors" 0 "pushes answered 4xx/5xx during shutdown"
grep -q 'serve: stopped, database closed' "$LF_TMP/server.log" || lf_fail "no clean stop logged"
# A clean close checkpoints the WAL away.
[ ! -s "$LF_TMP/lf.db-wal" ] || lf_fail "WAL left behind after a clean stop"
echo "ok: no WAL left behind"
awk '$1 ~ /^2/ {print $2}' "$LF_TMP/results" | xargs -r cat | jq -r .profile_id | sort -u \
    >"$LF_TMP/ok_ids"
sqlite3 "$LF_TMP/lf.db" 'SELECT id FROM profiles;' | sort >"$LF_TMP/stored_ids"
lf_eq "$(comm -23 "$LF_TMP/ok_ids" "$LF_TMP/stored_ids" | wc -l)" 0 "acknowledged pushes missing"
lf_eq "$(sqlite3 "$LF_TMP/lf.db" 'PRAGMA integrity_check;')" ok "integrity_check after SIGTERM"
