#!/usr/bin/env bash
# test_analyze.sh - golden tests of `leakfleet analyze` and `classify` over every
# fixture (text and JSON, attributed or not), the same through stdin and inside other
# output, exit 0 and nothing on stderr but the one warning of a cut-off dump.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/golden/cases.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
n=0
while read -r name args; do
    n=$((n + 1))
    expected="tests/golden/expected/$name"
    # shellcheck disable=SC2086
    bin/leakfleet $args >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "FAIL $name: exit $rc: $(head -c 300 "$tmp/err")"; fail=1; continue
    fi
    case "$name" in
    *.cut.*)
        # exit 0 and exactly one warning naming the file and the line where it stops
        if [ "$(wc -l <"$tmp/err")" -ne 1 ] || ! grep -Eq \
            "^leakfleet: warning: tests/golden/inputs/leakgen-n2.cut.debug2.txt: debug=2 line 196: .*cut off" \
            "$tmp/err"; then
            echo "FAIL $name: want one warning naming line 196, got: $(cat "$tmp/err")"; fail=1
        fi ;;
    *)
        if [ -s "$tmp/err" ]; then
            echo "FAIL $name: stderr: $(head -c 300 "$tmp/err")"; fail=1
        fi ;;
    esac
    if [ ! -f "$expected" ]; then
        # a fixture added after the goldens were last reviewed: reported, not failed,
        # except for the shop dumps whose truth table the goldens encode
        case "$name" in
        shop-*) echo "FAIL $name: no $expected (run make golden-update)"; fail=1 ;;
        *) echo "SKIP $name: no $expected yet (run make golden-update and review)" ;;
        esac
        continue
    fi
    if ! diff -u "$expected" "$tmp/out" >"$tmp/diff"; then
        echo "FAIL $name: output differs from $expected"; head -40 "$tmp/diff"; fail=1
    fi
done < <(golden_cases)

# stdin gives the same output as the file, gzipped pprof and gzipped text alike
for f in tests/fixtures/shop-n25.pb.gz tests/fixtures/shop-n25.debug1.txt \
        tests/fixtures/shop-n25.debug2.txt tests/fixtures/shop-n3.sigquit.txt; do
    n=$((n + 1))
    base=$(basename "$f")
    if ! bin/leakfleet analyze --json - <"$f" | diff -u "tests/golden/expected/$base.json" - \
            >"$tmp/diff"; then
        echo "FAIL stdin $base"; head -20 "$tmp/diff"; fail=1
    fi
done
n=$((n + 1))
if ! gzip -c tests/fixtures/shop-n25.debug2.txt | bin/leakfleet analyze - |
        diff -u tests/golden/expected/shop-n25.debug2.txt.txt - >"$tmp/diff"; then
    echo "FAIL gzipped debug2 on stdin"; head -20 "$tmp/diff"; fail=1
fi

# a dump inside other output gives the report of the dump alone: after a log line longer
# than the sniff's head (100 KB), inside a test runner's report with every line indented
# by a tab or two spaces, with the runner's own lines after it
runner() { # INDENT FILE: the dump inside a test runner's report
    printf '=== RUN   TestShop\n--- FAIL: TestShop (0.00s)\n    shop_test.go:12: goroutines:\n'
    sed "s/^\(.\)/$1\1/" "$2"
    printf '\nFAIL\nexit status 1\nFAIL\tgithub.com/acme/shop\t0.010s\n'
}
for f in shop-n25.debug2.txt shop-n25.debug1.txt leakgen-n1.panic-all.txt; do
    n=$((n + 3))
    { printf '{"level":"info","msg":"%s"}\n' "$(head -c 100000 /dev/zero | tr '\0' x)"
      cat "tests/fixtures/$f"; } >"$tmp/after-log.txt"
    runner "$(printf '\t')" "tests/fixtures/$f" >"$tmp/tab.txt"
    runner "  " "tests/fixtures/$f" >"$tmp/spaces.txt"
    for wrapped in after-log tab spaces; do
        if ! bin/leakfleet analyze --json "$tmp/$wrapped.txt" 2>"$tmp/err" |
                diff -u "tests/golden/expected/$f.json" - >"$tmp/diff" || [ -s "$tmp/err" ]; then
            echo "FAIL $f $wrapped: report differs from the dump's own"; cat "$tmp/err"
            head -20 "$tmp/diff"; fail=1
        fi
    done
done

# JSON is valid and its counts add up to the goroutines of the profile
for f in tests/golden/expected/*.json; do
    n=$((n + 1))
    if ! jq -e '(.locations | map(.count) | add) == .goroutines' "$f" >/dev/null; then
        case "$f" in *min*) continue ;; esac
        echo "FAIL $f: counts do not add up to goroutines"; fail=1
    fi
done
echo "test_analyze: $n checks, $([ $fail -eq 0 ] && echo ok || echo FAILED)"
exit $fail
