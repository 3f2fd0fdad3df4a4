#!/usr/bin/env bash
# bench_parse.sh - how fast `leakfleet analyze` reads a big real goroutine dump, measured
# against references in the same run: a debug=2 dump of 250,000 leaked goroutines taken
# from the leaky Go service (tests/goleaky) is timed under `wc -l`, `leakfleet analyze`
# and `panicparse -parse=false` (best of N runs each), plus the peak RSS of analyze; then
# the same profile as pprof (debug=0) and debug=1. Prints figures and ratios against the
# goals; asserts nothing about time.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/goleaky/lib.sh

LF=${LEAKFLEET:-bin/leakfleet}
RUNS=${BENCH_RUNS:-5}
PER_KIND=41667 # x 6 kinds = 250,002 leaked goroutines, about 55 MB of debug=2 text
KINDS=send,recv,select,nilsend,nilrecv,forever

die() { echo "bench_parse: $*" >&2; exit 1; }
"$LF" analyze --help >/dev/null 2>&1 || die "$LF has no working 'analyze' command (make)"
[ -x build/goleaky/leaky-trimpath ] || tests/goleaky/build.sh
[ -x build/goleaky/leaky-trimpath ] || die "the Go fixture service is not built (needs golang-go)"
[ -x /usr/bin/time ] || die "/usr/bin/time is missing (Debian package time)"
have_pp=1
command -v panicparse >/dev/null || { have_pp=0; echo "bench_parse: panicparse missing (Debian package panicparse); skipping it" >&2; }

out=build/bench
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'leaky_stop; rm -rf "$tmp"' EXIT
# A private copy, so a rebuild of bin/ while this runs cannot pull it away.
cp "$LF" "$tmp/leakfleet"
LF=$tmp/leakfleet

# ---- take the dumps -------------------------------------------------------------------
leaky_start "$tmp" build/goleaky/leaky-trimpath -start "$PER_KIND" -kinds "$KINDS" \
    -leak-rate 0 -heartbeat 1h || die "cannot start the leaky service"
leaky_wait_ready 120 || die "the leaky service did not get ready"
curl -sf --max-time 120 -o "$out/goroutines-250k.debug2.txt" "$LEAKY_URL/debug/pprof/goroutine?debug=2"
curl -sf --max-time 120 -o "$out/goroutines-250k.pb.gz" "$LEAKY_URL/debug/pprof/goroutine"
curl -sf --max-time 120 -o "$out/goroutines-250k.debug1.txt" "$LEAKY_URL/debug/pprof/goroutine?debug=1"
leaky_stop
dump=$out/goroutines-250k.debug2.txt
n_g=$(grep -c '^goroutine ' "$dump")
[ "$n_g" -ge $((PER_KIND * 6)) ] || die "$dump holds only $n_g goroutines (truncated at 64 MiB?)"
size_mb=$(awk -v b="$(stat -c %s "$dump")" 'BEGIN { printf "%.1f", b / 1048576 }')

# best_ms CMD...: the best wall time of RUNS runs, in milliseconds (output discarded).
best_ms() {
    local i t0 t1 best=
    for ((i = 0; i < RUNS; i++)); do
        t0=$(date +%s%N)
        "$@" >/dev/null 2>&1 || true
        t1=$(date +%s%N)
        t1=$(((t1 - t0) / 1000))
        if [ -z "$best" ] || [ "$t1" -lt "$best" ]; then best=$t1; fi
    done
    awk -v us="$best" 'BEGIN { printf "%.1f", us / 1000 }'
}
# rss_mib CMD...: peak resident set of one run, in MiB.
rss_mib() {
    /usr/bin/time -v "$@" 2>"$tmp/time.txt" >/dev/null || true
    awk -F: '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$tmp/time.txt"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "n/a" }'; }

"$LF" analyze --json "$dump" >"$tmp/out.json" 2>"$tmp/err" || die "analyze failed on $dump: $(head -n 3 "$tmp/err")"
if command -v jq >/dev/null; then
    got=$(jq '.goroutines' "$tmp/out.json")
    echo "analyze read $got goroutines in $(jq '.locations | length' "$tmp/out.json") locations ($([ "$got" -eq "$n_g" ] && echo "matches the dump" || echo "the dump has $n_g"))"
fi

echo "== debug=2: $dump ($size_mb MiB, $n_g goroutines), best of $RUNS"
wc_ms=$(best_ms wc -l "$dump")
lf_ms=$(best_ms "$LF" analyze "$dump")
lf_json_ms=$(best_ms "$LF" analyze --json "$dump")
lf_rss=$(rss_mib "$LF" analyze "$dump")
printf '  %-34s %9s ms\n' "wc -l" "$wc_ms" "leakfleet analyze" "$lf_ms" "leakfleet analyze --json" "$lf_json_ms"
if [ "$have_pp" -eq 1 ]; then
    pp_ms=$(RUNS=$(( RUNS < 3 ? RUNS : 3 )) best_ms panicparse -parse=false "$dump")
    pp_rss=$(rss_mib panicparse -parse=false "$dump")
    printf '  %-34s %9s ms   RSS %s MiB\n' "panicparse -parse=false" "$pp_ms" "$pp_rss"
fi
echo "  analyze/wc-l = $(ratio "$lf_ms" "$wc_ms") (goal within 10x)"
[ "$have_pp" -eq 1 ] && echo "  panicparse/analyze = $(ratio "$pp_ms" "$lf_ms") (goal at least 20x faster)"
echo "  RSS $lf_rss MiB (goal ≤ 32 MiB)"
echo "  throughput $(awk -v mb="$size_mb" -v ms="$lf_ms" 'BEGIN { if (ms > 0) printf "%.0f", mb / (ms / 1000); else print "n/a" }') MiB/s"

# ---- the same profile as pprof and debug=1 --------------------------------------------
# These are a few KB each (one record per unique stack), so each run is timed over a loop.
loop_ms() { # loop_ms FILE: mean ms of one analyze over 50 runs
    local i t0 t1
    t0=$(date +%s%N)
    for ((i = 0; i < 50; i++)); do "$LF" analyze "$1" >/dev/null 2>&1 || true; done
    t1=$(date +%s%N)
    awk -v ns=$((t1 - t0)) 'BEGIN { printf "%.2f", ns / 50 / 1e6 }'
}
for f in "$out/goroutines-250k.pb.gz" "$out/goroutines-250k.debug1.txt"; do
    "$LF" analyze "$f" >/dev/null 2>"$tmp/err" || die "analyze failed on $f: $(head -n 3 "$tmp/err")"
    echo "== $(basename "$f") ($(stat -c %s "$f") bytes, same 250k goroutines)"
    echo "  leakfleet analyze $(loop_ms "$f") ms per run (mean of 50), RSS $(rss_mib "$LF" analyze "$f") MiB"
done
if command -v go >/dev/null; then
    export GOCACHE=$PWD/build/goleaky/cache
    echo "  go tool pprof -raw (reference, same pb.gz): $(RUNS=3 best_ms go tool pprof -raw "$out/goroutines-250k.pb.gz") ms"
fi
