#!/usr/bin/env bash
# run_tests.sh - runs test programs and scripts one after another from the repository
# root, shows the output of the ones that fail, and ends with "N passed, N failed".
# Each test runs under `timeout`: LF_TEST_TIMEOUT seconds (300), then SIGTERM to its
# process group and SIGKILL 10 s later; a test that ran out of time is a FAIL saying so.
# Usage: tools/run_tests.sh LABEL TEST...
set -u
label=$1; shift
limit=${LF_TEST_TIMEOUT:-300}
case $limit in
''|*[!0-9]*|0) echo "run_tests.sh: LF_TEST_TIMEOUT must be a positive number of seconds, not '$limit'" >&2
    exit 2 ;;
esac
passed=0; failed=0; failures=()
logdir=build/test-logs; mkdir -p "$logdir"
for t in "$@"; do
    name=$(basename "$t")
    start=$(date +%s)
    rc=0
    # (the braces keep bash's "Killed" notice off the terminal)
    { timeout --kill-after=10 "$limit" "$t" >"$logdir/$name.log" 2>&1; } 2>/dev/null || rc=$?
    elapsed=$(( $(date +%s) - start ))
    note=
    if [ "$rc" -eq 0 ]; then
        passed=$((passed + 1)); status=ok
    else
        failed=$((failed + 1)); status=FAIL; failures+=("$t")
        # 124: timeout sent SIGTERM; 137: the test outlived it and got SIGKILL
        if [ "$rc" -eq 124 ] || { [ "$rc" -eq 137 ] && [ "$elapsed" -ge "$limit" ]; }; then
            note="timed out after ${limit}s"
            echo "run_tests.sh: $t timed out after ${limit}s (LF_TEST_TIMEOUT)" >>"$logdir/$name.log"
        fi
    fi
    printf '%-5s %-40s %3ss%s\n' "$status" "$name" "$elapsed" "${note:+  $note}"
    if [ "$status" = FAIL ]; then
        echo "---- $name output (last 60 lines) ----"; tail -n 60 "$logdir/$name.log"; echo "----"
    fi
done
[ ${#failures[@]} -gt 0 ] && echo "failed: ${failures[*]}"
echo "$label: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
