#!/usr/bin/env bash
# detect_scenarios.sh - the detector scored against known truths (`make bench-detect`, a few
# minutes, not in `make test`): a real `bin/leakfleet serve` with a temp config (tokens,
# the repo roots of the simulated code, every detect.* key at its default) runs under
# build/tools/simclock.so, so that its clock is the simulated one; tools/detectsim plays
# the scenarios (docs/operations.md, "Detection scenarios"), forces a pass at each
# cut-off and prints the table, the summary and the baseline. Exit status: detectsim's
# (1 when a target fails). Arguments go to detectsim (e.g. --only onset-mid --seeds 1);
# KEEP_LOG=FILE keeps a copy of the server's log there.
# Not named bench_*.sh: `make bench` runs those, and this one fails until the detector
# meets its targets.
# --scale: the cost target instead, loaded through HTTP (85 minutes at 300 x 100 x 48 h;
# `make bench-detect-scale` grows the fleet in SQLite instead, tests/bench/detect_scale.sh):
# SCALE_SERVICES x SCALE_INSTANCES (300 x 100) with SCALE_HOURS (48) of 5-minute history
# loaded, a pass timed after every SCALE_PASS_EVERY (6) hours loaded and two at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh

SIM=${LF_DETECTSIM:-build/tools/detectsim}
CLOCK_LIB=${LF_SIMCLOCK:-build/tools/simclock.so}
CONCURRENCY=${CONCURRENCY:-64}
[ -x "$SIM" ] || lf_fail "$SIM is not built (make build/tools/detectsim)"
[ -f "$CLOCK_LIB" ] || lf_fail "$CLOCK_LIB is not built (make build/tools/simclock.so)"

# --scale times single passes: the detection thread's own passes (every detect.interval,
# 30 s by default) would run beside them and the load, so they are spaced out there; no
# other detect key is set in either mode, unless EXTRA_CONFIG gives YAML to append (e.g.
# EXTRA_CONFIG=$'detect:\n  load_history: "30h"', to score a setting; not with --scale).
extra="${EXTRA_CONFIG:-}"
if [ "${1:-}" = "--scale" ]; then
    extra='detect:
  interval: "24h"'
fi
cat >"$LF_TMP/config.yaml" <<YAML
listen: "127.0.0.1:0"
database: "$LF_TMP/lf.db"
repo:
  roots: ["github.com/acme/", "/build/acme/"]
tokens:
  - token: "detect-agent"
    services: ["*"]
  - token: "detect-admin"
    admin: true
$extra
YAML
# The simulated clock: 0 (the real clock) until detectsim writes a time.
head -c 8 /dev/zero >"$LF_TMP/clock"
LD_PRELOAD="$PWD/$CLOCK_LIB" LEAKFLEET_SIMCLOCK="$LF_TMP/clock" lf_start

args=()
if [ "${1:-}" = "--scale" ]; then
    shift
    args=(--scale --services "${SCALE_SERVICES:-300}" --instances "${SCALE_INSTANCES:-100}"
        --hours "${SCALE_HOURS:-48}" --pass-every "${SCALE_PASS_EVERY:-6}")
fi
t0=$(date +%s)
rc=0
"$SIM" --url "$LF_URL" --token detect-agent --admin-token detect-admin \
    --clock-file "$LF_TMP/clock" --concurrency "$CONCURRENCY" "${args[@]}" "$@" || rc=$?
echo "bench-detect: $(($(date +%s) - t0)) s; database $(du -sh "$LF_TMP" | cut -f1)"
lf_stop
[ -n "${KEEP_LOG:-}" ] && cp "$LF_TMP/server.log" "$KEEP_LOG"
# a failed target is detectsim's report, not a server fault: no server log after it
trap - EXIT
rm -rf "$LF_TMP"
exit "$rc"
