#!/usr/bin/env bash
# test_fault_idle_connections.sh - the short version of tests/soak/test_idle_connections.sh
# (`make soak`): 2000 idle and 500 slowloris connections held for 4 s; /healthz, the
# inventory and a push must still be answered.
HOLD=${HOLD:-4} PROBE_LIMIT=${PROBE_LIMIT:-0} exec "$(dirname "$0")/../soak/test_idle_connections.sh"
