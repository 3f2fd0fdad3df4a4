#!/usr/bin/env bash
# test_agent_tls.sh - leakfleet-agent pushing over https to a server whose certificate
# only --ca-file vouches for (a private CA, as behind an internal TLS proxy): with the
# bundle the push is accepted; without it the push fails certificate verification, is
# kept in the spool, and goes out on the next run that trusts the bundle.
. "$(dirname "$0")/lib.sh"

AGENT=${AGENT:-bin/leakfleet-agent}
T=$LF_TMP
PIDS=()
tls_cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [ "$1" -ne 0 ] && [ -f "$T/agent.log" ]; then
        echo "---- last agent log ----"; tail -n 20 "$T/agent.log"
    fi
    lf_cleanup "$1"
}
trap 'tls_cleanup $?' EXIT

command -v python3 >/dev/null || lf_fail "python3 is missing (tools/deps.sh test installs it)"
command -v openssl >/dev/null || lf_fail "openssl is missing (tools/deps.sh test installs it)"
[ -x "$AGENT" ] || lf_fail "$AGENT is not built (make)"

# a certificate for 127.0.0.1 that no system bundle trusts
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=leakfleet test" \
    -addext "subjectAltName=IP:127.0.0.1" -keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null

lf_stand_in "$T/target" agent_fake_server.py
PIDS+=("$LF_STAND_IN_PID")
TARGET=http://127.0.0.1:$LF_STAND_IN_PORT
lf_stand_in "$T/server" agent_fake_server.py --tls "$T/cert.pem" "$T/key.pem"
PIDS+=("$LF_STAND_IN_PID")
SERVER=https://127.0.0.1:$LF_STAND_IN_PORT
posts() { [ -f "$T/server/posts.jsonl" ] && wc -l <"$T/server/posts.jsonl" | tr -d ' ' || echo 0; }
queued() { find "$T/spool" -maxdepth 1 -name '*.prof' | wc -l | tr -d ' '; }

# agent ARGS...: one --once run; sets RC
agent() {
    RC=0
    "$AGENT" --server "$SERVER" --token tok-1 --service shop --target "$TARGET" \
        --spool "$T/spool" --once --log-level debug "$@" 2>"$T/agent.log" || RC=$?
}

agent --ca-file "$T/cert.pem"
lf_eq "$RC" 0 "with --ca-file: exit status"
lf_eq "$(posts)" 1 "with --ca-file: pushes received over https"
lf_eq "$(queued)" 0 "with --ca-file: spool empty"

agent
[ "$RC" -ne 0 ] || lf_fail "without --ca-file: exit status 0, want a failure"
echo "ok: without --ca-file: exit status $RC"
lf_eq "$(posts)" 1 "without --ca-file: pushes received"
lf_eq "$(queued)" 1 "without --ca-file: profile kept in the spool"
grep -qi "certificate" "$T/agent.log" || lf_fail "without --ca-file: the log does not name the certificate"
echo "ok: without --ca-file: the log names the certificate problem"

cat >"$T/agent.yaml" <<YAML
ca_file: "$T/cert.pem"
YAML
agent --config "$T/agent.yaml"
lf_eq "$RC" 0 "ca_file in the agent file: exit status"
lf_eq "$(posts)" 3 "ca_file in the agent file: the spooled profile and a new one received"
lf_eq "$(queued)" 0 "ca_file in the agent file: spool empty"

RC=0; "$AGENT" --server "$SERVER" --token t --service s --target "$TARGET" \
    --ca-file "$T/missing.pem" 2>"$T/err" || RC=$?
lf_eq "$RC" 2 "unreadable --ca-file: exit status"
lf_eq "$(cat "$T/err")" "leakfleet-agent: --ca-file: cannot read '$T/missing.pem': No such file or directory" \
    "unreadable --ca-file: message"
echo "test_agent_tls: all passed"
