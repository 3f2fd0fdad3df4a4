#!/usr/bin/env bash
# test_cli_options.sh - every command reads its options one way (base/opt.h): -h and
# --help print the usage and exit 0, "--name=VALUE" is "--name VALUE", "--" makes the
# rest operands (a file named like an option), "--flag=1" and unknown options exit 2.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
root=$PWD
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
n=0

# expect STATUS PATTERN CMD...: exit status STATUS and stdout+stderr matching PATTERN
expect() {
    local want=$1 pattern=$2
    shift 2
    n=$((n + 1))
    timeout 20 "$@" >"$tmp/out" 2>&1 </dev/null
    local rc=$?
    if [ "$rc" -ne "$want" ]; then
        echo "FAIL $*: exit $rc, want $want: $(head -c 300 "$tmp/out")"
        fail=1
    elif ! grep -Eq -- "$pattern" "$tmp/out"; then
        echo "FAIL $*: output '$(head -c 300 "$tmp/out")' does not match '$pattern'"
        fail=1
    fi
}

lf=$root/bin/leakfleet
agent=$root/bin/leakfleet-agent
dump=$root/tests/fixtures/shop-n25.debug2.txt
rules=$root/tests/golden/inputs/shop.rules
cp "$dump" "$tmp/-dump.txt"

# -h and --help, for every command
for cmd in analyze classify serve; do
    expect 0 "^usage: leakfleet $cmd" "$lf" "$cmd" -h
    expect 0 "^usage: leakfleet $cmd" "$lf" "$cmd" --help
done
expect 0 "^usage: leakfleet-agent" "$agent" -h
expect 0 "^usage: leakfleet-agent" "$agent" --help
# --version alone: the program's own version, the same for the server and the agent (with
# a value, the agent's --version is its --target's version)
expect 0 "^leakfleet [0-9]+\.[0-9]+" "$lf" --version
expect 0 "^leakfleet-agent $("$lf" --version | cut -d' ' -f2)\$" "$agent" --version

# --name=VALUE is --name VALUE
expect 0 '"goroutines"' "$lf" analyze --json --format=debug2 --min=1 "$dump"
expect 2 "unknown format 'xml'" "$lf" analyze --format=xml "$dump"
expect 0 "" "$lf" classify --rules="$rules" --out="$tmp/out-dir" --format=debug2 "$dump"
expect 1 "/nonexistent/serve.yaml" "$lf" serve --config=/nonexistent/serve.yaml
expect 0 "every 5400000 ms" "$agent" --server=http://127.0.0.1:1 --token=t --service=a \
    --target=http://127.0.0.1:2 --interval=1h30m --check

# -- before an operand that looks like an option; "-" is stdin
cd "$tmp" || exit 1
expect 0 '"goroutines"' "$lf" analyze --json -- -dump.txt
expect 2 "unknown option '-dump.txt'" "$lf" analyze --json -dump.txt
expect 0 "" "$lf" classify --rules "$rules" --out "$tmp/d2" -- -dump.txt
cd "$root" || exit 1
expect 2 "serve: unexpected argument 'x'" "$lf" serve -- x
expect 2 "unexpected argument '--once'" "$agent" --server http://x --token t -- --once

# a value given to a flag, an unknown option, a missing value: usage errors (exit 2)
expect 2 "--json takes no value" "$lf" analyze --json=1 "$dump"
expect 2 "unknown option '--rule'" "$lf" classify --rule "$rules" "$dump"
expect 2 "serve: unknown option '--bogus'" "$lf" serve --bogus
expect 2 "serve: --db needs a value" "$lf" serve --db
expect 2 "--once takes no value" "$agent" --once=1
expect 2 "unknown option '--serv'" "$agent" --serv http://x

if [ "$fail" -ne 0 ]; then
    echo "test_cli_options: FAILED"
    exit 1
fi
echo "test_cli_options: $n checks, all passed"
