#!/usr/bin/env bash
# test_classify.sh - `leakfleet classify --out DIR`: one DIR/CLASS.txt per class with a
# summary line, whose stacks add up to the summary's count, for per-goroutine (debug=2)
# and grouped (pprof) input, from a file and from stdin; debug=2 stacks keep their
# "created by" lines.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
rules=tests/golden/inputs/shop.rules

check_out() { # SUMMARY DIR: every class's file holds exactly COUNT goroutines
    local summary=$1 dir=$2 count class got files
    while read -r count class; do
        if [ ! -f "$dir/$class.txt" ]; then
            echo "FAIL: no $dir/$class.txt"; fail=1; continue
        fi
        got=$(awk '/^goroutine [0-9]+ \[/ { n++ } /^[0-9]+ goroutines \[/ { n += $1 } END { print n + 0 }' \
            "$dir/$class.txt")
        if [ "$got" -ne "$count" ]; then
            echo "FAIL: $dir/$class.txt holds $got goroutines, summary says $count"; fail=1
        fi
    done <"$summary"
    files=$(find "$dir" -name '*.txt' | wc -l)
    if [ "$files" -ne "$(wc -l <"$summary")" ]; then
        echo "FAIL: $dir has $files files for $(wc -l <"$summary") classes"; fail=1
    fi
}

bin/leakfleet classify --rules "$rules" --out "$tmp/d2" tests/fixtures/shop-n25.debug2.txt \
    >"$tmp/d2.summary" || { echo "FAIL: classify debug2"; fail=1; }
diff -u tests/golden/expected/shop-n25.debug2.txt.classify.txt "$tmp/d2.summary" || fail=1
check_out "$tmp/d2.summary" "$tmp/d2"
grep -q '^goroutine [0-9]* \[chan send (nil chan)\]:$' "$tmp/d2/nil-channels.txt" ||
    { echo "FAIL: nil-channels.txt lacks a debug=2 header"; fail=1; }
grep -qx $'\t/srv/build/shop/main.go:23' "$tmp/d2/nil-channels.txt" ||
    { echo "FAIL: nil-channels.txt lacks the site's file line"; fail=1; }
# every "created by" line of the input is kept, with its file line, after the frames
want=$(grep -c '^created by ' tests/fixtures/shop-n25.debug2.txt)
got=$(cat "$tmp"/d2/*.txt | grep -c '^created by ')
[ "$got" -eq "$want" ] || { echo "FAIL: --out keeps $got 'created by' lines of $want"; fail=1; }
got=$(cat "$tmp"/d2/*.txt | grep -A1 '^created by ' | grep -c $'^\t/')
[ "$got" -eq "$want" ] || { echo "FAIL: $got of $want 'created by' lines have their file line"; fail=1; }
cat "$tmp"/d2/*.txt | grep -A1 -x 'created by github.com/acme/shop/internal/queue.(\*Queue).Submit' |
    grep -q $'\t/srv/build/shop/internal/queue/queue.go:9$' ||
    { echo "FAIL: the queue workers' 'created by' line lacks queue.go:9"; fail=1; }
awk '/^created by / { c = 1; next } c && /^\t/ { c = 0; next } c { bad = 1 } /^goroutine / { c = 0 } END { exit bad }' \
    "$tmp"/d2/*.txt || { echo "FAIL: a 'created by' line is not followed by its file line"; fail=1; }

bin/leakfleet classify --rules "$rules" --out "$tmp/pb" - <tests/fixtures/shop-n25.pb.gz \
    >"$tmp/pb.summary" || { echo "FAIL: classify pprof from stdin"; fail=1; }
diff -u tests/golden/expected/shop-n25.pb.gz.classify.txt "$tmp/pb.summary" || fail=1
check_out "$tmp/pb.summary" "$tmp/pb"
grep -q '^25 goroutines \[sync.WaitGroup.Wait\]:$' "$tmp/pb/waiters.txt" ||
    { echo "FAIL: waiters.txt lacks the grouped header"; fail=1; }

# the summary adds up to the profile's goroutines
total=$(awk '{ n += $1 } END { print n }' "$tmp/pb.summary")
[ "$total" -eq 279 ] || { echo "FAIL: summary adds up to $total, want 279"; fail=1; }

echo "test_classify: $([ $fail -eq 0 ] && echo ok || echo FAILED)"
exit $fail
