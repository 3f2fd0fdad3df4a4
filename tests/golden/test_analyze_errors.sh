#!/usr/bin/env bash
# test_analyze_errors.sh - bad input and bad usage: `analyze` and `classify` exit 1 with
# exactly one line on stderr naming the file (and, for text, the line), or 2 for usage;
# never a crash or a hang. A dump cut off inside a goroutine is not an error: exit 0, the
# report, and one warning line naming the line where it stops.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
n=0

# expect STATUS PATTERN ARGS...: exit status STATUS; for 1, one stderr line matching PATTERN
expect() {
    local want=$1 pattern=$2
    shift 2
    n=$((n + 1))
    timeout 20 bin/leakfleet "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    local rc=$?
    if [ "$rc" -ne "$want" ]; then
        echo "FAIL leakfleet $*: exit $rc, want $want; stderr: $(head -c 300 "$tmp/err")"
        fail=1
        return
    fi
    if [ "$want" -eq 1 ]; then
        if [ "$(wc -l <"$tmp/err")" -ne 1 ]; then
            echo "FAIL leakfleet $*: want one stderr line, got:"; cat "$tmp/err"; fail=1
        elif ! grep -Eq -- "$pattern" "$tmp/err"; then
            echo "FAIL leakfleet $*: stderr '$(cat "$tmp/err")' does not match '$pattern'"
            fail=1
        fi
        if [ -s "$tmp/out" ]; then
            echo "FAIL leakfleet $*: printed a report despite the error"; fail=1
        fi
    fi
}

: >"$tmp/empty"
head -c 4096 /dev/urandom >"$tmp/random"
printf 'hello, this is not a goroutine profile\n' >"$tmp/garbage.txt"
printf '  hello\n\tthis is indented\n  goroutines are not a dump\n' >"$tmp/indented.txt"
yes 'a log line that never ends in a goroutine dump' | head -c 17825792 >"$tmp/logs.txt"
head -c 1200 tests/fixtures/shop-n25.pb.gz >"$tmp/truncated.pb.gz"
gzip -dc tests/fixtures/shop-n25.pb.gz | head -c 1500 >"$tmp/truncated.pb"
gzip -c tests/fixtures/shop-n25.debug2.txt | head -c 3000 >"$tmp/truncated-debug2.gz"
head -n 140 tests/fixtures/shop-n25.debug2.txt >"$tmp/cut.debug2.txt"
printf 'goroutine profile: total 3\n3 @ 0x1 0x2\n#\t0x1\tmain.f+0x1\t/a.go:1\nnot a frame\n' \
    >"$tmp/broken.debug1.txt"
{ printf 'goroutine 1 [running]:\nmain.main()\n\t'; head -c 5242880 /dev/zero | tr '\0' 'x'; \
  printf '.go:1\n'; } >"$tmp/longline.txt"

expect 1 "^leakfleet: /nonexistent/profile: " analyze /nonexistent/profile
expect 1 "^leakfleet: $tmp/empty: " analyze "$tmp/empty"
expect 1 "^leakfleet: $tmp/random: " analyze "$tmp/random"
expect 1 "^leakfleet: $tmp/garbage.txt: " analyze "$tmp/garbage.txt"
expect 1 "^leakfleet: $tmp/truncated.pb.gz: .*(truncated|gzip)" analyze "$tmp/truncated.pb.gz"
expect 1 "^leakfleet: $tmp/truncated.pb: " analyze "$tmp/truncated.pb"
expect 1 "^leakfleet: $tmp/truncated-debug2.gz: .*(truncated|gzip)" analyze "$tmp/truncated-debug2.gz"
expect 1 "^leakfleet: $tmp/indented.txt: unrecognized profile format" analyze "$tmp/indented.txt"
expect 1 "^leakfleet: $tmp/logs.txt: .* in the first 16777216 bytes" analyze "$tmp/logs.txt"
expect 1 "^leakfleet: $tmp/broken.debug1.txt: .*line 4" analyze "$tmp/broken.debug1.txt"
expect 1 "^leakfleet: $tmp/longline.txt: " analyze "$tmp/longline.txt"
expect 1 "^leakfleet: $tmp/garbage.txt: " analyze --json "$tmp/garbage.txt"
expect 1 "^leakfleet: stdin: " analyze -
expect 1 "^leakfleet: .*debug1.*line 1|^leakfleet: .*line 1" analyze --format debug1 \
    tests/fixtures/shop-n25.debug2.txt
expect 1 "^leakfleet: .*CODEOWNERS-missing" analyze --owners "$tmp/CODEOWNERS-missing" \
    tests/fixtures/shop-n25.pb.gz
# a format forced by hand that the input contradicts says what the input looks like
expect 1 "^leakfleet: tests/fixtures/shop-n25.debug2.txt: pprof: .*\(the input looks like debug2, not pprof: try --format auto\)$" \
    analyze --format pprof tests/fixtures/shop-n25.debug2.txt
printf 'repo: [\n' >"$tmp/bad.yaml"
expect 1 "^leakfleet: .*bad.yaml:[0-9]+" analyze --config "$tmp/bad.yaml" tests/fixtures/shop-n25.pb.gz

expect 2 "" analyze
expect 2 "" analyze --bogus tests/fixtures/shop-n25.pb.gz
expect 2 "" analyze --format xml tests/fixtures/shop-n25.pb.gz
expect 2 "" analyze --min many tests/fixtures/shop-n25.pb.gz
expect 2 "" analyze --repo
expect 2 "" analyze a b
expect 2 "" classify tests/fixtures/shop-n25.pb.gz
expect 2 "" classify --rules tests/golden/inputs/shop.rules
expect 2 "" nonsense
expect 2 ""
expect 0 "" --help
expect 0 "" --version
expect 0 "" analyze --help
expect 0 "" classify --help

printf 'ok mentions main.\nbad-one frobnicates main.\n' >"$tmp/bad.rules"
expect 1 "^leakfleet: $tmp/bad.rules: line 2: unknown matcher 'frobnicates'" \
    classify --rules "$tmp/bad.rules" tests/fixtures/shop-n25.pb.gz
expect 1 "^leakfleet: $tmp/missing.rules: " classify --rules "$tmp/missing.rules" \
    tests/fixtures/shop-n25.pb.gz
expect 1 "^leakfleet: $tmp/empty: " classify --rules tests/golden/inputs/shop.rules "$tmp/empty"

# cut off after a function line (line 140): exit 0, the report, one warning; classify too
for cmd in "analyze --json" "classify --rules tests/golden/inputs/shop.rules"; do
    n=$((n + 1))
    # shellcheck disable=SC2086
    timeout 20 bin/leakfleet $cmd "$tmp/cut.debug2.txt" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ "$rc" -ne 0 ] || [ "$(wc -l <"$tmp/err")" -ne 1 ] || ! grep -Eq \
        "^leakfleet: warning: $tmp/cut.debug2.txt: debug=2 line 140: .*cut off" "$tmp/err"; then
        echo "FAIL leakfleet $cmd cut.debug2.txt: exit $rc, stderr: $(cat "$tmp/err")"; fail=1
    elif [ ! -s "$tmp/out" ]; then
        echo "FAIL leakfleet $cmd cut.debug2.txt: no report"; fail=1
    fi
done
n=$((n + 1))
got=$(bin/leakfleet analyze --json "$tmp/cut.debug2.txt" 2>/dev/null | jq -c '[.truncated, .goroutines]')
if [ "$got" != "[true,10]" ]; then
    echo "FAIL analyze --json cut.debug2.txt: want truncated and the 10 goroutines begun"; fail=1
fi

bin/leakfleet analyze --help | grep -q -- '--owners' || { echo "FAIL analyze --help"; fail=1; }

# --owners with a file that holds no rule: the report still comes, with a warning
n=$((n + 1))
printf '# owners to come\n\n' >"$tmp/CODEOWNERS-empty"
if ! bin/leakfleet analyze --owners "$tmp/CODEOWNERS-empty" tests/fixtures/shop-n25.pb.gz \
        >"$tmp/out" 2>"$tmp/err" || [ ! -s "$tmp/out" ] ||
        [ "$(cat "$tmp/err")" != "leakfleet: warning: $tmp/CODEOWNERS-empty has no ownership rules: every site is unowned" ]; then
    echo "FAIL analyze --owners with no rules: stderr '$(cat "$tmp/err")'"; fail=1
fi
echo "test_analyze_errors: $n checks, $([ $fail -eq 0 ] && echo ok || echo FAILED)"
exit $fail
