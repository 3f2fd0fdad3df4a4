#!/usr/bin/env bash
# fuzz.sh - runs each libFuzzer binary for SECONDS, seeded from tests/fixtures/,
# tests/fuzz/regress/ and its own corpus tests/fuzz/corpus/NAME/ (fuzz_NAME); a crasher
# is copied to tests/fuzz/regress/ and fails the run.
# Usage: tools/fuzz.sh SECONDS FUZZER...
set -u
seconds=${1:-60}; shift
status=0
for f in "$@"; do
    name=$(basename "$f")
    corpus=build/fuzz/corpus/$name; mkdir -p "$corpus" build/fuzz/crash
    seeds=(tests/fixtures tests/fuzz/regress)
    [ -d "tests/fuzz/corpus/${name#fuzz_}" ] && seeds+=("tests/fuzz/corpus/${name#fuzz_}")
    echo "fuzz: $name for ${seconds}s"
    if ! "$f" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=262144 \
        -artifact_prefix=build/fuzz/crash/"$name"- "$corpus" "${seeds[@]}" \
        >"build/fuzz/$name.log" 2>&1; then
        echo "fuzz: $name FAILED"; tail -n 40 "build/fuzz/$name.log"
        for c in build/fuzz/crash/"$name"-*; do [ -f "$c" ] && cp "$c" tests/fuzz/regress/; done
        status=1
    else
        grep -E '^Done|stat::number_of_executed_units' "build/fuzz/$name.log" | tail -n 1
    fi
done
echo "fuzz: $([ $status -eq 0 ] && echo "$#" || echo 0) passed, $([ $status -eq 0 ] && echo 0 || echo 1) failed"
exit $status
