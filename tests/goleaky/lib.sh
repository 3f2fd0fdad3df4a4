# shellcheck shell=bash
# lib.sh - shell helpers that run the leaky Go fixture service for tests, benchmarks and
# the demo: start it on a free port (the service binds port 0 and writes the address it
# got to a file, so no port is ever guessed), wait until every goroutine it started is
# blocked, stop it. Source it from bash; the caller owns the working directory.

# leaky_start DIR BINARY [FLAGS...]: starts BINARY on 127.0.0.1 with a free port, logging
# to DIR/leaky.log; sets LEAKY_PID, LEAKY_ADDR (host:port) and LEAKY_URL. Returns 1 when
# the service exits or names no address within 10 s.
leaky_start() {
    local dir=$1 bin=$2 i
    shift 2
    rm -f "$dir/leaky.addr"
    "$bin" -listen 127.0.0.1:0 -addr-file "$dir/leaky.addr" "$@" >"$dir/leaky.log" 2>&1 &
    LEAKY_PID=$!
    for ((i = 0; i < 200; i++)); do
        if [ -s "$dir/leaky.addr" ] && [ "$(tail -c 1 "$dir/leaky.addr" | od -An -c | tr -d ' ')" = '\n' ]; then
            LEAKY_ADDR=$(head -n 1 "$dir/leaky.addr")
            LEAKY_URL=http://$LEAKY_ADDR
            return 0
        fi
        if ! kill -0 "$LEAKY_PID" 2>/dev/null; then
            echo "leaky exited at start:" >&2
            cat "$dir/leaky.log" >&2
            return 1
        fi
        sleep 0.05
    done
    echo "leaky named no address within 10 s" >&2
    return 1
}

# leaky_wait_ready SECONDS: waits until /ready answers 200 (every goroutine the service
# started has reached its blocking operation); 1 on timeout or if the service died.
leaky_wait_ready() {
    local deadline=$((SECONDS + $1))
    while [ "$SECONDS" -lt "$deadline" ]; do
        curl -sf -o /dev/null "$LEAKY_URL/ready" && return 0
        kill -0 "$LEAKY_PID" 2>/dev/null || { echo "leaky died before it was ready" >&2; return 1; }
        sleep 0.1
    done
    echo "leaky not ready within $1 s" >&2
    return 1
}

# leaky_stop: stops the service started by leaky_start, if it still runs.
leaky_stop() {
    if [ -n "${LEAKY_PID:-}" ]; then
        kill "$LEAKY_PID" 2>/dev/null || true
        wait "$LEAKY_PID" 2>/dev/null || true
        LEAKY_PID=
    fi
}
