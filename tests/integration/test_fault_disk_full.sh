#!/usr/bin/env bash
# test_fault_disk_full.sh - the short version of tests/soak/test_disk_full.sh (`make
# soak`): a 1.5 MiB filesystem fills under pushes, 503 with a clear error, no
# corruption, and the same server recovers when space returns.
FS_KIB=${FS_KIB:-1536} ROUNDS=${ROUNDS:-150} exec "$(dirname "$0")/../soak/test_disk_full.sh"
