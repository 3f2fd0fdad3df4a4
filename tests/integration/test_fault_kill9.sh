#!/usr/bin/env bash
# test_fault_kill9.sh - the short version of tests/soak/test_kill9_agents.sh (`make soak`):
# 3 kill -9 of the server while 3 agents and the fleet simulator push; every scraped
# profile stored exactly once, every acknowledged key stored, integrity_check ok.
KILLS=${KILLS:-3} AGENTS=${AGENTS:-3} exec "$(dirname "$0")/../soak/test_kill9_agents.sh"
