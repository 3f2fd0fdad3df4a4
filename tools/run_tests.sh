#!/usr/bin/env bash
# run_tests.sh - runs test programs and scripts one after another from the repository
# root, shows the output of the ones that fail, and ends with "N passed, N failed".
# Usage: tools/run_tests.sh LABEL TEST...
set -u
label=$1; shift
passed=0; failed=0; failures=()
logdir=build/test-logs; mkdir -p "$logdir"
for t in "$@"; do
    name=$(basename "$t")
    start=$(date +%s)
    if "$t" >"$logdir/$name.log" 2>&1; then
        passed=$((passed + 1)); status=ok
    else
        failed=$((failed + 1)); status=FAIL; failures+=("$t")
    fi
    printf '%-5s %-40s %3ss\n' "$status" "$name" "$(( $(date +%s) - start ))"
    if [ "$status" = FAIL ]; then
        echo "---- $name output (last 60 lines) ----"; tail -n 60 "$logdir/$name.log"; echo "----"
    fi
done
[ ${#failures[@]} -gt 0 ] && echo "failed: ${failures[*]}"
echo "$label: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
