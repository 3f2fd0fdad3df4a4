#!/usr/bin/env bash
# test_serve_owner_values.sh - owners that are not owners are refused, not stored: a
# reassignment to `@te\xffam` (not UTF-8), to a value with a newline and an ANSI escape,
# or to 5,000 bytes was answered 200 and stored, and the notification then came back
# without its `owner` (a blank owner on the dashboard). Each is now 400 naming the
# parameter and leaves the notification and its history as they were; silences check
# their owner the same way. Real owners (@user, @org/team, an e-mail address) and the
# fallback owner `unowned` still work.
. "$(dirname "$0")/lib.sh"

lf_start

# One growing in-repo channel site from two instances, eight profiles a minute apart.
now=$(date +%s)
for i in $(seq 0 7); do
    n=$((50 + 10 * i))
    for g in $(seq 1 "$n"); do
        printf 'goroutine %d [chan send]:\nmain.leak()\n\t/srv/build/shop/main.go:12 +0x2d\ncreated by main.main\n\t/srv/build/shop/main.go:20 +0x45\n\n' "$g"
    done >"$LF_TMP/p.txt"
    for inst in a b; do
        lf_req POST "/api/v1/profiles?service=shop&instance=$inst&ts=$((now - (7 - i) * 60))" \
            -H "Authorization: Bearer agent-secret" --data-binary "@$LF_TMP/p.txt"
        [ "$LF_STATUS" = 201 ] || lf_fail "push $inst $i: $LF_STATUS $LF_BODY"
    done
done
lf_req POST /api/v1/detect -H "Authorization: Bearer admin-secret"
lf_eq "$LF_STATUS" 200 "detection pass"
lf_req GET /api/v1/notifications
lf_eq "$(lf_json '[.notifications[] | .owner] | join(",")')" "@acme/shop-team" "one notification, the service's owner"
id=$(lf_json '.notifications[0].id')
lf_req GET "/api/v1/notifications/$id"
events=$(lf_json '[.events[].event] | join(",")')

ADMIN=(-H "Authorization: Bearer admin-secret")
long=@$(head -c 4999 /dev/zero | tr '\0' a)
bad=('@te%FFam' '@team%0A%1B%5B31mred' "$long" '@acme%2F' 'a%20b%40example.com' '%C2%85@x.io'
    "@$(head -c 256 /dev/zero | tr '\0' a)")
for owner in "${bad[@]}"; do
    lf_req POST "/api/v1/notifications/$id/reassign?owner=$owner" "${ADMIN[@]}"
    lf_eq "$LF_STATUS" 400 "reassign to '${owner:0:24}'"
    case "$(lf_json .error)" in
    "parameter 'owner' "*) ;;
    *) lf_fail "reassign error does not name the parameter: $(lf_json .error)" ;;
    esac
    lf_req POST "/api/v1/silences?owner=$owner&reason=r&until=$((now + 3600))" "${ADMIN[@]}"
    lf_eq "$LF_STATUS" 400 "silence for '${owner:0:24}'"
done
lf_req GET "/api/v1/notifications/$id"
lf_eq "$(lf_json '[.owner, .owner_manual] | @csv')" '"@acme/shop-team",false' "owner unchanged"
lf_eq "$(lf_json '[.events[].event] | join(",")')" "$events" "history unchanged"
lf_req GET /api/v1/silences
lf_eq "$(lf_json '.silences | length')" 0 "no silence stored"
lf_eq "$(sqlite3 "$LF_TMP/lf.db" "SELECT count(*) FROM notifications WHERE owner <> '@acme/shop-team'")" 0 \
    "nothing stored in the database"

# Real owners, and the fallback owner.
for owner in '%40acme%2Foncall' 'dev.ops%40example.com' unowned '%40octocat' \
    "@$(head -c 255 /dev/zero | tr '\0' a)"; do
    lf_req POST "/api/v1/notifications/$id/reassign?owner=$owner" "${ADMIN[@]}"
    lf_eq "$LF_STATUS" 200 "reassign to '${owner:0:24}'"
done
lf_eq "$(lf_json .owner)" "@$(head -c 255 /dev/zero | tr '\0' a)" "a 256-byte owner is stored whole"
lf_req POST "/api/v1/silences?owner=unowned&reason=r&until=$((now + 3600))" "${ADMIN[@]}"
lf_eq "$LF_STATUS" 201 "silence for unowned"
lf_stop
