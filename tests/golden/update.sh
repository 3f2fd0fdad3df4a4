#!/usr/bin/env bash
# update.sh - rewrites tests/golden/expected/ from the current bin/leakfleet (the only
# way to change a golden file: `make golden-update`, then review the diff).
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/golden/cases.sh
mkdir -p tests/golden/expected
golden_cases | while read -r name args; do
    # shellcheck disable=SC2086
    bin/leakfleet $args >"tests/golden/expected/$name"
    echo "updated tests/golden/expected/$name"
done
