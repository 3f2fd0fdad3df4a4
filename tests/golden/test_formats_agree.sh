#!/usr/bin/env bash
# test_formats_agree.sh - the same program's pprof, debug=1 and debug=2 dumps
# (tests/fixtures/shop-n25.*) give the same sites with the same counts; ops agree
# between pprof and debug=2, and debug=1 says either the same op or "unknown".
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

sites() { # FILE -> "function file:line count" per site, summed over ops, sorted
    bin/leakfleet analyze --json "$1" |
        jq -r '.locations | group_by([.function, .file, .line])[] |
               "\(.[0].function) \(.[0].file):\(.[0].line) \(map(.count) | add)"' | sort
}
ops() { # FILE -> "function file:line op" per location, sorted
    bin/leakfleet analyze --json "$1" |
        jq -r '.locations[] | "\(.function) \(.file):\(.line)\t\(.op)"' | sort
}

for f in pb.gz debug1.txt debug2.txt; do
    sites "tests/fixtures/shop-n25.$f" >"$tmp/sites.$f" || fail=1
    ops "tests/fixtures/shop-n25.$f" >"$tmp/ops.$f" || fail=1
done
[ "$(wc -l <"$tmp/sites.pb.gz")" -eq 15 ] || { echo "FAIL: want 15 sites in pprof"; fail=1; }
for f in debug1.txt debug2.txt; do
    if ! diff -u "$tmp/sites.pb.gz" "$tmp/sites.$f"; then
        echo "FAIL: sites and counts of shop-n25.$f differ from shop-n25.pb.gz"; fail=1
    fi
done
# the three dumps were taken moments apart: the HTTP connection's reader was in a read
# syscall for pprof and debug=1 and parked in the poller for debug=2
conn='net/http.(*connReader).backgroundRead'
if ! diff -u <(grep -vF "$conn" "$tmp/ops.pb.gz") <(grep -vF "$conn" "$tmp/ops.debug2.txt"); then
    echo "FAIL: ops of pprof and debug2 differ"; fail=1
fi
paste "$tmp/ops.pb.gz" "$tmp/ops.debug1.txt" | while IFS=$'\t' read -r site op site1 op1; do
    if [ "$site" != "$site1" ] || { [ "$op" != "$op1" ] && [ "$op1" != unknown ]; }; then
        echo "FAIL: pprof '$site' '$op' vs debug1 '$site1' '$op1'"; exit 1
    fi
done || fail=1
unknown=$(grep -c $'\tunknown$' "$tmp/ops.debug1.txt")
[ "$unknown" -eq 7 ] || { echo "FAIL: debug1 has $unknown unknown ops, want 7"; fail=1; }

# the leakgen program: debug=1 and debug=2 of the same moment agree but for main.main,
# which ran on between the two dumps
for f in debug1 debug2; do
    sites "tests/fixtures/leakgen-n2.$f.txt" | grep -v '^main\.main ' >"$tmp/leakgen.$f"
done
diff -u "$tmp/leakgen.debug1" "$tmp/leakgen.debug2" || { echo "FAIL: leakgen sites"; fail=1; }

echo "test_formats_agree: $([ $fail -eq 0 ] && echo ok || echo FAILED)"
exit $fail
