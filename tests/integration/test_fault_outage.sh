#!/usr/bin/env bash
# test_fault_outage.sh - the short version of tests/soak/test_outage_replay.sh (`make
# soak`): the server down for 5 s while agents scrape; they replay everything after.
OUTAGE=${OUTAGE:-5} AGENTS=${AGENTS:-3} exec "$(dirname "$0")/../soak/test_outage_replay.sh"
