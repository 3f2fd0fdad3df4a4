#!/usr/bin/env bash
# test_live_dumps.sh - `leakfleet analyze --json` on live profiles of the leaky Go service
# (tests/goleaky), taken over HTTP in all three encodings (debug=0 pprof, debug=1,
# debug=2) and as the traceback it prints on SIGQUIT (GOTRACEBACK=all and system), at
# several sizes, from a normal and a -trimpath build. The service leaks an
# exact number of goroutines at known source lines (marked `// site: KIND` in its code),
# so every count, op, in-repo flag and CODEOWNERS owner is asserted exactly, and the
# formats must agree with each other. `--stacks` shows the debug=2 "created by" frame of
# the send site and the message of the SIGQUIT traceback.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/goleaky/lib.sh

fail() { echo "FAIL: $*" >&2; exit 1; }

LF=${LEAKFLEET:-bin/leakfleet}
OWNERS=tests/goleaky/CODEOWNERS
WORKERS=8 TICKERS=2 KEEPALIVE=2
ALL_KINDS=send,recv,select,nilsend,nilrecv,forever,mutex,wg,cond

command -v jq >/dev/null || fail "jq is missing (tools/deps.sh test installs it)"
command -v curl >/dev/null || fail "curl is missing (tools/deps.sh test installs it)"
[ -x "$LF" ] || fail "$LF is not built (make)"
"$LF" analyze --help >/dev/null 2>&1 || fail "$LF has no working 'analyze' command"
if [ ! -x build/goleaky/leaky ] || [ ! -x build/goleaky/leaky-trimpath ]; then
    tests/goleaky/build.sh
fi
[ -x build/goleaky/leaky ] && [ -x build/goleaky/leaky-trimpath ] ||
    fail "the Go fixture service is not built (needs golang-go; see tests/goleaky/build.sh)"
src=$(cat build/goleaky/srcdir) # the absolute source path baked into build/goleaky/leaky
[ -f "$src/go.mod" ] || fail "build/goleaky/srcdir names '$src', which holds no go.mod"

tmp=$(mktemp -d)
cleanup() { leaky_stop; rm -rf "$tmp"; }
trap cleanup EXIT
# A private copy, so a rebuild of bin/ while this runs cannot pull it away.
cp "$LF" "$tmp/leakfleet"
LF=$tmp/leakfleet

# site_line FILE KIND: the line marked `// site: KIND` in FILE (relative to the module).
site_line() {
    local n
    n=$(grep -n "// site: $2\$" "$src/$1" | cut -d: -f1)
    [ "$(printf '%s\n' "$n" | wc -l)" -eq 1 ] && [ -n "$n" ] || fail "no unique '// site: $2' in $1"
    echo "$n"
}

# One row per blocked site of the service: kind, function, file, debug=2 op, pprof ops
# (alternatives split by |), debug=1 op, owner ("null" = none).
sites=$(cat <<'EOF'
send	github.com/acme/leaky/internal/ncast.(*Bus).Publish.func1	internal/ncast/ncast.go	chan send	chan send	unknown	@acme/messaging
recv	github.com/acme/leaky/internal/worker.(*job).await	internal/worker/worker.go	chan receive	chan receive	unknown	@acme/workers
select	github.com/acme/leaky/internal/worker.waitReply	internal/worker/worker.go	select	select	unknown	@acme/workers
nilsend	main.nilSend	cmd/leaky/main.go	chan send (nil chan)	chan send (nil chan)|chan send	unknown	@acme/cli
nilrecv	main.nilRecv	cmd/leaky/main.go	chan receive (nil chan)	chan receive (nil chan)|chan receive	unknown	@acme/cli
forever	main.forever	cmd/leaky/main.go	select (no cases)	select (no cases)	unknown	@acme/cli
mutex	github.com/acme/leaky/internal/cache.(*Cache).get	internal/cache/cache.go	sync.Mutex.Lock	sync.Mutex.Lock	sync.Mutex.Lock	@acme/storage
wg	github.com/acme/leaky/internal/cache.(*Cache).awaitFlush	internal/cache/flush.go	sync.WaitGroup.Wait	sync.WaitGroup.Wait	sync.WaitGroup.Wait	null
cond	github.com/acme/leaky/internal/gate.(*Gate).wait	internal/gate/gate.go	sync.Cond.Wait	sync.Cond.Wait	sync.Cond.Wait	@acme/leaky
pool	github.com/acme/leaky/internal/worker.(*Pool).run	internal/worker/worker.go	chan receive	chan receive	unknown	@acme/workers
ticker	github.com/acme/leaky/internal/worker.Heartbeat	internal/worker/worker.go	select	select	unknown	@acme/workers
EOF
)

# expect FORMAT FILEPREFIX KINDS N [EXTRA_KIND=COUNT...]: the expected in-repo
# locations as a JSON array.
expect() {
    local format=$1 prefix=$2 kinds=$3 n=$4 kind func file op2 opp op1 owner count ops
    shift 4
    while IFS=$'\t' read -r kind func file op2 opp op1 owner; do
        case "$kind" in
        pool) count=$WORKERS ;;
        ticker) count=$TICKERS ;;
        *) case ",$kinds," in *",$kind,"*) count=$n ;; *) continue ;; esac ;;
        esac
        for extra in "$@"; do
            [ "${extra%%=*}" = "$kind" ] && count=$((count + ${extra#*=}))
        done
        case "$format" in pprof) ops=$opp ;; debug1) ops=$op1 ;; *) ops=$op2 ;; esac
        jq -n --arg f "$func" --arg file "$prefix$file" --argjson line "$(site_line "$file" "$kind")" \
            --arg ops "$ops" --argjson count "$count" --argjson owner "$(
                [ "$owner" = null ] && echo null || jq -n --arg o "$owner" '$o')" \
            '{function: $f, file: $file, line: $line, ops: ($ops | split("|")), count: $count, owner: $owner}'
    done <<<"$sites" | jq -s .
}

# check NAME JSON EXPECT FORMAT LEAKED [SLACK]: compares one analysis with its
# expectation; the total may exceed the known goroutines by SLACK (default 6: those
# serving the profile request; runtime goroutines in GOTRACEBACK=system dumps).
check() {
    local name=$1 json=$2 exp=$3 format=$4 leaked=$5 slack=${6:-6} problems
    problems=$(jq -r --slurpfile exp "$exp" --arg format "$format" --argjson leaked "$leaked" \
        --argjson base $((WORKERS + TICKERS + 1 + 3 * KEEPALIVE)) --argjson keep "$KEEPALIVE" \
        --argjson slack "$slack" '
        def site: "\(.function) \(.file):\(.line) [\(.op)]";
        . as $r | $exp[0] as $e |
        [ (if $r.format != $format then "format \($r.format), want \($format)" else empty end),
          (if ($r.goroutines < $leaked + $base) or ($r.goroutines > $leaked + $base + $slack) then
              "goroutines \($r.goroutines), want \($leaked + $base) to \($leaked + $base + $slack)" else empty end),
          ( $e[] as $x |
            [ $r.locations[] | select(.function == $x.function and .file == $x.file and .line == $x.line) ] as $m |
            if ($m | length) != 1 then "\($x.function) \($x.file):\($x.line): \($m | length) locations, want 1"
            else $m[0] as $l |
              (if ($x.ops | index($l.op)) == null then "\($l | site): op, want \($x.ops | join(" or "))" else empty end),
              (if $l.count != $x.count then "\($l | site): count \($l.count), want \($x.count)" else empty end),
              (if $l.in_repo != true then "\($l | site): in_repo \($l.in_repo), want true" else empty end),
              (if $l.owner != $x.owner then "\($l | site): owner \($l.owner), want \($x.owner)" else empty end),
              (if $format != "debug2" and $l.max_wait_minutes != null then
                  "\($l | site): max_wait_minutes \($l.max_wait_minutes) in a format without wait times" else empty end),
              (if $format == "debug2" and ($l.max_wait_minutes // 0) != 0 then
                  "\($l | site): max_wait_minutes \($l.max_wait_minutes), want 0 (blocked < 1 minute)" else empty end)
            end ),
          ( $r.locations[] | select(.in_repo == true and .op != "IO wait") |
            . as $l | select([ $e[] | select(.function == $l.function and .file == $l.file and .line == $l.line) ] | length == 0) |
            "unexpected in-repo location \($l | site) count \($l.count)" ),
          ( $r.locations[] | select(.function | test("^(runtime|sync|internal/[a-z]+|net|bufio|time)[./]")) |
            select(.in_repo != false or .owner != null) |
            "\(site): standard library with in_repo \(.in_repo) owner \(.owner)" ),
          ( [ $r.locations[] | select(.function == "net/http.(*persistConn).writeLoop") ] as $w |
            if ($w | map(.count) | add) != $keep then
                "net/http.(*persistConn).writeLoop: \($w | map(.count) | add) goroutines, want \($keep) (idle keep-alive)"
            else empty end )
        ] | .[]' "$json") || fail "$name: jq failed on $json"
    if [ -n "$problems" ]; then
        echo "---- $name: $json" >&2
        jq -c '.locations[]' "$json" >&2 || cat "$json" >&2
        fail "$name:"$'\n'"$problems"
    fi
    echo "ok  $name: $(jq '.goroutines' "$json") goroutines, $(jq '.locations | length' "$json") locations"
}

# analyze OUT ARGS...: runs leakfleet analyze --json, failing with its stderr.
analyze() {
    local out=$1
    shift
    "$LF" analyze --json --min 1 "$@" >"$out" 2>"$out.err" ||
        fail "leakfleet analyze $* exited $?: $(cat "$out.err")"
    jq -e '.locations | type == "array"' "$out" >/dev/null || fail "leakfleet analyze $*: no JSON locations array"
}

# fetch DEBUG OUT: one goroutine profile of the running service.
fetch() {
    curl -sf --max-time 60 -o "$2" "$LEAKY_URL/debug/pprof/goroutine?debug=$1" ||
        fail "fetching debug=$1 from $LEAKY_URL failed"
}

# run BUILD N KINDS [TRACEBACK]: starts the service, takes the three profiles, checks
# each; with TRACEBACK (a GOTRACEBACK level) it then stops the service with SIGQUIT and
# checks the traceback it prints too.
run() {
    local build=$1 n=$2 kinds=$3 traceback=${4:-} bin prefix leaked d name nkinds extra=()
    case "$build" in
    trimpath) bin=build/goleaky/leaky-trimpath prefix=github.com/acme/leaky/ ;;
    *) bin=build/goleaky/leaky prefix=$src/ ;;
    esac
    nkinds=$(tr ',' '\n' <<<"$kinds" | wc -l)
    leaked=$((n * nkinds))
    name="$build n=$n kinds=$kinds"
    GOTRACEBACK=${traceback:-single} leaky_start "$tmp" "$bin" -start "$n" -kinds "$kinds" -leak-rate 0 -heartbeat 1h \
        -workers "$WORKERS" -tickers "$TICKERS" -keepalive "$KEEPALIVE" || fail "$name: start"
    leaky_wait_ready 60 || fail "$name: readiness"
    # A burst through the service's own endpoint, on the small run only.
    if [ "$n" -eq 10 ]; then
        curl -sf -o "$tmp/burst.json" "$LEAKY_URL/leak?kind=send&n=7" || fail "$name: /leak burst"
        [ "$(jq '.leaked.send' "$tmp/burst.json")" -eq $((n + 7)) ] || fail "$name: /leak reports $(cat "$tmp/burst.json")"
        extra=(send=7)
        leaked=$((leaked + 7))
    fi
    fetch 0 "$tmp/p.pb.gz"
    fetch 1 "$tmp/p.debug1.txt"
    fetch 2 "$tmp/p.debug2.txt"
    if [ -n "$traceback" ]; then
        # SIGQUIT: the runtime prints every goroutine to stderr and exits.
        kill -QUIT "$LEAKY_PID"
        wait "$LEAKY_PID" 2>/dev/null || true
        LEAKY_PID=
        sed -n '/^SIGQUIT: quit/,$p' "$tmp/leaky.log" >"$tmp/p.sigquit.txt"
        [ -s "$tmp/p.sigquit.txt" ] || fail "$name: no SIGQUIT traceback in $tmp/leaky.log"
    fi
    leaky_stop
    # debug=2 is written by net/http/pprof into a buffer capped at 64 MiB: check it is whole.
    d=$(grep -c '^goroutine [0-9]* \[' "$tmp/p.debug2.txt")
    [ "$d" -ge "$leaked" ] || fail "$name: debug=2 holds $d goroutines, fewer than the $leaked leaked (truncated at 64 MiB?)"

    local args=(--repo "$src/" --repo github.com/acme/leaky/ --owners "$OWNERS")
    analyze "$tmp/pprof.json" "${args[@]}" "$tmp/p.pb.gz"
    analyze "$tmp/debug1.json" "${args[@]}" "$tmp/p.debug1.txt"
    analyze "$tmp/debug2.json" "${args[@]}" "$tmp/p.debug2.txt"
    for f in pprof debug1 debug2; do
        expect "$f" "$prefix" "$kinds" "$n" "${extra[@]}" >"$tmp/expect.$f.json"
        check "$name $f" "$tmp/$f.json" "$tmp/expect.$f.json" "$f" "$leaked"
    done

    if [ -n "$traceback" ]; then
        analyze "$tmp/sigquit.json" "${args[@]}" "$tmp/p.sigquit.txt"
        check "$name SIGQUIT GOTRACEBACK=$traceback" "$tmp/sigquit.json" "$tmp/expect.debug2.json" debug2 "$leaked" 64
        # The raw stderr, with the service's own log line before the traceback.
        analyze "$tmp/stderr.json" "${args[@]}" --format debug2 "$tmp/leaky.log"
        check "$name SIGQUIT stderr (--format debug2)" "$tmp/stderr.json" "$tmp/expect.debug2.json" debug2 "$leaked" 64
        # --stacks shows what the signal said before the goroutines
        "$LF" analyze --stacks "$tmp/p.sigquit.txt" >"$tmp/sigquit.stacks.txt" || fail "$name: --stacks on SIGQUIT"
        sed -n 2p "$tmp/sigquit.stacks.txt" | grep -qx 'SIGQUIT: quit' ||
            fail "$name: --stacks does not show 'SIGQUIT: quit': $(head -3 "$tmp/sigquit.stacks.txt")"
        echo "ok  $name: --stacks shows the signal's message"
    fi

    # pprof and debug=2 name the same in-repo sites with the same counts; debug=1 too.
    local key='[.locations[] | select(.in_repo) | select(.op != "IO wait") | [.function, .file, .line, .count]] | sort'
    for f in debug1 debug2; do
        [ "$(jq -c "$key" "$tmp/pprof.json")" = "$(jq -c "$key" "$tmp/$f.json")" ] ||
            fail "$name: pprof and $f disagree: $(jq -c "$key" "$tmp/pprof.json") vs $(jq -c "$key" "$tmp/$f.json")"
    done
    echo "ok  $name: pprof, debug=1 and debug=2 agree"

    if [ "$n" -eq 10 ]; then
        # The same profile uncompressed, and with --format named instead of sniffed.
        gzip -dc "$tmp/p.pb.gz" >"$tmp/p.pb"
        analyze "$tmp/raw.json" "${args[@]}" --format pprof "$tmp/p.pb"
        check "$name pprof (uncompressed, --format pprof)" "$tmp/raw.json" "$tmp/expect.pprof.json" pprof "$leaked"
        analyze "$tmp/stdin.json" "${args[@]}" --format debug2 - <"$tmp/p.debug2.txt"
        check "$name debug2 (stdin, --format debug2)" "$tmp/stdin.json" "$tmp/expect.debug2.json" debug2 "$leaked"
        # --min 11 keeps the 17 send goroutines and drops every site of 10 or fewer.
        "$LF" analyze --json --min 11 "${args[@]}" "$tmp/p.pb.gz" >"$tmp/min.json" || fail "$name: --min 11"
        jq -e '(.locations | length) == 1 and .locations[0].count == 17 and
            .locations[0].function == "github.com/acme/leaky/internal/ncast.(*Bus).Publish.func1"' \
            "$tmp/min.json" >/dev/null || fail "$name: --min 11 gave $(jq -c '.locations' "$tmp/min.json")"
    fi
    if [ "$n" -eq 10 ]; then
        # --stacks: the representative stack of the send site, with the go statement in
        # Publish that started it (a debug=2 "created by" line; pprof has none)
        local send_line
        send_line=$(site_line internal/ncast/ncast.go send)
        "$LF" analyze --json --stacks "${args[@]}" "$tmp/p.debug2.txt" >"$tmp/stacks.json" || fail "$name: --stacks"
        jq -e --argjson line "$send_line" '
            [.locations[] | select(.function == "github.com/acme/leaky/internal/ncast.(*Bus).Publish.func1")][0]
            | .stack[0].function == .function and .stack[0].line == $line and
              .created_by.function == "github.com/acme/leaky/internal/ncast.(*Bus).Publish" and
              (.created_by.file | endswith("internal/ncast/ncast.go")) and .created_by.line > 0' \
            "$tmp/stacks.json" >/dev/null ||
            fail "$name: --stacks send site: $(jq -c '.locations[] | select(.function | endswith("Publish.func1")) | {stack, created_by}' "$tmp/stacks.json")"
        [ "$(jq '[.locations[] | select(.created_by != null)] | length' "$tmp/stacks.json")" -gt 0 ] ||
            fail "$name: no created_by in debug=2 --stacks"
        "$LF" analyze --json --stacks "${args[@]}" "$tmp/p.pb.gz" >"$tmp/stacks.pprof.json" || fail "$name: --stacks pprof"
        [ "$(jq '[.locations[] | select(.created_by != null)] | length' "$tmp/stacks.pprof.json")" -eq 0 ] ||
            fail "$name: pprof has no created_by, --stacks shows one"
        "$LF" analyze --stacks "${args[@]}" "$tmp/p.debug2.txt" >"$tmp/stacks.txt" || fail "$name: --stacks text"
        grep -q '^    created by github.com/acme/leaky/internal/ncast.(\*Bus).Publish$' "$tmp/stacks.txt" ||
            fail "$name: --stacks text lacks the created-by line of the send site"
        echo "ok  $name: --stacks shows the send site's stack and its created-by frame"
    fi
    if [ "$n" -eq 10 ] && [ "$build" = normal ]; then
        # Only the module path as root: main.* functions carry no module path and their
        # absolute file paths match no root, so they are not in-repo; package code is,
        # with its repo path derived from the package path.
        analyze "$tmp/modonly.json" --repo github.com/acme/leaky/ --owners "$OWNERS" "$tmp/p.pb.gz"
        jq -e --arg src "$src/" '
            ([.locations[] | select(.function == "main.nilSend")][0] | .in_repo == false and .owner == null) and
            ([.locations[] | select(.function == "github.com/acme/leaky/internal/ncast.(*Bus).Publish.func1")][0]
                | .in_repo == true and .owner == "@acme/messaging" and .count == 17) and
            ([.locations[] | select(.function == "github.com/acme/leaky/internal/cache.(*Cache).awaitFlush")][0]
                | .in_repo == true and .owner == null)' "$tmp/modonly.json" >/dev/null ||
            fail "$name: --repo github.com/acme/leaky/ alone: $(jq -c '.locations[] | select(.function | test("^(main|github)"))' "$tmp/modonly.json")"
        echo "ok  $name: module-path root alone"
    fi
}

start=$SECONDS
run normal 10 "$ALL_KINDS"
run trimpath 10 "$ALL_KINDS"
run normal 2000 "$ALL_KINDS" system
run trimpath 2000 "$ALL_KINDS" all
# 200,000 leaked goroutines; these kinds keep debug=2 under its 64 MiB cap.
run trimpath 50000 send,nilrecv,forever,wg
echo "test_live_dumps: all checks passed in $((SECONDS - start)) s"
