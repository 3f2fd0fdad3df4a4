#!/usr/bin/env bash
# test_serve_start_checks.sh - serve checks what can stop it before it creates the
# database: a listen address it cannot parse, one another process holds (the message
# names the address it tried, not port 0), and a CODEOWNERS file it cannot read each stop
# the start with one line and exit 1, leaving no database behind.
. "$(dirname "$0")/lib.sh"

start_fails() { # start_fails WHAT EXPECTED_MESSAGE [SERVE ARGS]: no database afterwards
    local what=$1 want=$2
    shift 2
    rm -f "$LF_TMP/lf.db"
    local rc=0
    "$LF_BIN" serve --config "$LF_TMP/config.yaml" --db "$LF_TMP/lf.db" "$@" \
        >"$LF_TMP/out" 2>"$LF_TMP/err" || rc=$?
    lf_eq "$rc" 1 "$what: exit status"
    lf_eq "$(grep -v '^ts=' "$LF_TMP/err")" "$want" "$what: message"
    [ ! -e "$LF_TMP/lf.db" ] || lf_fail "$what: a database was created"
    echo "ok: $what: no database created"
}

lf_write_config
start_fails "a listen address without a port" \
    "leakfleet: listen address '127.0.0.1' must be ADDR:PORT" --listen 127.0.0.1

# A port another process holds.
python3 -c 'import socket,sys,time
s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(1)
print(s.getsockname()[1], flush=True); time.sleep(30)' >"$LF_TMP/held" &
HOLDER=$!
trap 'rc=$?; kill $HOLDER 2>/dev/null || true; lf_cleanup $rc' EXIT
for _ in $(seq 1 100); do [ -s "$LF_TMP/held" ] && break; sleep 0.05; done
port=$(cat "$LF_TMP/held")
start_fails "a port in use" \
    "leakfleet: cannot listen on '127.0.0.1:$port': Address already in use" \
    --listen "127.0.0.1:$port"
kill $HOLDER

sed -i "s|^owners:|owners:\n  codeowners: \"$LF_TMP/missing/CODEOWNERS\"|" "$LF_TMP/config.yaml"
start_fails "a CODEOWNERS file that is missing" \
    "leakfleet: codeowners '$LF_TMP/missing/CODEOWNERS': No such file or directory" \
    --listen 127.0.0.1:0
