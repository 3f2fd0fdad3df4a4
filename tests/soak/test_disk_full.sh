#!/usr/bin/env bash
# test_disk_full.sh - the database's filesystem fills up while the fleet simulator
# pushes (retrying with the same keys): pushes get a clear 503 with {"error"}, /healthz
# and the queries keep answering, the database stays intact, and once space returns the
# same server stores the retried pushes, each acknowledged key exactly once.
# The full disk is a small tmpfs mounted for the test (root, `mount -t tmpfs`); where
# mounting is not permitted, the server runs under RLIMIT_FSIZE with SIGXFSZ ignored,
# so writes past the limit fail with EFBIG, and space "returns" by raising the limit
# (prlimit --pid); FULL_MODE=rlimit forces that. FS_KIB sets the size (1536); ROUNDS
# the simulator's rounds.
# tests/integration/test_fault_disk_full.sh runs it as is (it takes seconds).
. "$(dirname "$0")/fault_lib.sh"

FS_KIB=${FS_KIB:-1536}
ROUNDS=${ROUNDS:-150}
f_need curl jq sqlite3 python3
[ -x "$F_SIM" ] || f_fail "$F_SIM is not built (make build/tools/fleetsim)"

mkdir -p "$F_TMP/fs"
MODE=${FULL_MODE:-tmpfs}
if [ "$MODE" = rlimit ]; then
    command -v prlimit >/dev/null || f_fail "prlimit is missing"
elif mount -t tmpfs -o "size=${FS_KIB}k" tmpfs "$F_TMP/fs" 2>/dev/null; then
    F_MOUNTS+=("$F_TMP/fs")
elif command -v prlimit >/dev/null; then
    MODE=rlimit
else
    f_fail "neither mount -t tmpfs nor prlimit is available"
fi
F_DB=$F_TMP/fs/lf.db
echo "full disk by: $MODE, $FS_KIB KiB"

if [ "$MODE" = rlimit ]; then
    # SIGXFSZ ignored here is inherited through exec: writes past the limit get EFBIG.
    trap '' XFSZ
    f_server_start
    trap - XFSZ
    prlimit --pid "$F_SERVER_PID" --fsize=$((FS_KIB * 1024)):unlimited
else
    f_server_start
fi

"$F_SIM" --url "$F_URL" --token fault-agent --services 4 --instances 10 --rounds "$ROUNDS" \
    --step 1 --concurrency 4 --retry --quiet --acks "$F_TMP/acks" >"$F_TMP/fleetsim.log" 2>&1 &
sim=$!
F_PIDS+=($sim)

# Until a push is refused for want of space.
status=
for i in $(seq 1 600); do
    status=$(curl -sS -o "$F_TMP/body" -w '%{http_code}' -X POST \
        -H 'Authorization: Bearer fault-agent' -H "Idempotency-Key: probe-$i" \
        --data-binary "@$F_FIXTURES/shop-n25.pb.gz" \
        "$F_URL/api/v1/profiles?service=shop&instance=probe")
    [ "$status" = 503 ] && break
    [ "$MODE" = rlimit ] && [ "$status" = 500 ] && break
    kill -0 "$sim" 2>/dev/null || break
    sleep 0.05
done
FULL_STATUS=503
if [ "$MODE" = rlimit ] && [ "$status" = 500 ]; then
    # EFBIG is not ENOSPC: SQLite reports SQLITE_IOERR_WRITE, which the store maps to 500.
    echo "NOTE: under RLIMIT_FSIZE the server answers 500 (disk I/O error), not 503"
    FULL_STATUS=500
fi
f_eq "$status" "$FULL_STATUS" "push status on a full disk"
echo "$status body: $(cat "$F_TMP/body")"
msg=$(jq -r .error "$F_TMP/body")
case "$msg" in
*full* | *space* | *"I/O error"*) echo "ok: the error says why: $msg" ;;
*) f_fail "the error does not say the disk is full: '$msg'" ;;
esac
df -k "$F_TMP/fs" | tail -n 1
f_eq "$(curl -sS -o /dev/null -w '%{http_code}' "$F_URL/healthz")" 200 "/healthz on a full disk"
f_eq "$(curl -sS -o /dev/null -w '%{http_code}' "$F_URL/api/v1/services")" 200 "/api/v1/services on a full disk"
sleep 1
f_eq "$(curl -sS -o "$F_TMP/body" -w '%{http_code}' -X POST \
    -H 'Authorization: Bearer fault-agent' -H 'Idempotency-Key: probe-still-full' \
    --data-binary "@$F_FIXTURES/shop-n25.pb.gz" \
    "$F_URL/api/v1/profiles?service=shop&instance=probe")" "$FULL_STATUS" "push status while still full"
kill -0 "$sim" 2>/dev/null || f_fail "fleetsim finished before the disk filled (raise ROUNDS)"
f_eq "$(sqlite3 "file:$F_DB?mode=ro" 'PRAGMA integrity_check;')" ok "integrity_check while full"

# Space returns: the same server, without a restart, takes the retried pushes.
if [ "$MODE" = tmpfs ]; then
    mount -o remount,size=64m "$F_TMP/fs"
else
    prlimit --pid "$F_SERVER_PID" --fsize=unlimited:unlimited
fi
echo "space returned"
sim_rc=0
wait "$sim" || sim_rc=$?
cat "$F_TMP/fleetsim.log"
f_eq "$sim_rc" 0 "fleetsim exit status (every push acknowledged after recovery)"
grep -q ' [1-9][0-9]* retries' "$F_TMP/fleetsim.log" || f_fail "fleetsim retried nothing"
f_eq "$(curl -sS -o /dev/null -w '%{http_code}' -X POST \
    -H 'Authorization: Bearer fault-agent' --data-binary "@$F_FIXTURES/shop-n25.pb.gz" \
    "$F_URL/api/v1/profiles?service=shop&instance=probe")" 201 "push status after recovery"
f_check_acks "$F_TMP/acks"
stored=$(sqlite3 "$F_DB" "SELECT count(*) FROM profiles WHERE idempotency_key LIKE 'fs-%';")
f_eq "$stored" "$((ROUNDS * 40))" "fleetsim profiles stored (4 services x 10 instances x $ROUNDS)"
f_server_stop
f_check_db
