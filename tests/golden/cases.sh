# shellcheck shell=bash
# cases.sh - the golden cases of bin/leakfleet, shared by test_analyze.sh (compare) and
# update.sh (rewrite). Sourced from the repository root. Each case is a name (the file
# under tests/golden/expected/) and the arguments of one bin/leakfleet run; every
# fixture gets a text and a JSON case, plus the attributed and classify cases below and
# the dumps of tests/golden/inputs/: a panic inside GoConvey's report (every line
# indented by two spaces) and a debug=2 dump cut off in the middle of a frame line; and
# `analyze --stacks` on the real dumps and the Go fixture program's panic dumps.
# Subdirectories of tests/fixtures/ hold inputs that are not dumps (kubernetes/).

golden_cases() {
    local f base
    for f in tests/fixtures/*; do
        base=$(basename "$f")
        [ -f "$f" ] || continue
        case "$base" in *.md) continue ;; esac
        printf '%s %s\n' "$base.txt" "analyze $f"
        printf '%s %s\n' "$base.json" "analyze --json $f"
        printf '%s %s\n' "$base.classify.txt" "classify --rules tests/golden/inputs/shop.rules $f"
    done
    local owners="--repo /srv/build/shop/ --repo github.com/acme/shop/ --owners tests/golden/inputs/CODEOWNERS"
    printf '%s %s\n' "shop-n25.pb.gz.owners.txt" "analyze $owners tests/fixtures/shop-n25.pb.gz"
    printf '%s %s\n' "shop-n25.pb.gz.owners.json" "analyze --json $owners tests/fixtures/shop-n25.pb.gz"
    printf '%s %s\n' "shop-n25.debug2.config.json" \
        "analyze --json --config tests/golden/inputs/shop.yaml tests/fixtures/shop-n25.debug2.txt"
    printf '%s %s\n' "shop-n25.debug1.min25.txt" "analyze --min 25 tests/fixtures/shop-n25.debug1.txt"
    printf '%s %s\n' "shop-n25.debug2.forced.json" \
        "analyze --format debug2 --json tests/fixtures/shop-n25.debug2.txt"
    # --stacks: representative stacks with their "created by" frames, and the message of
    # a panic or signal dump, on the real dumps and the Go fixture program's
    printf '%s %s\n' "shop-n25.debug2.stacks.txt" "analyze --stacks tests/fixtures/shop-n25.debug2.txt"
    printf '%s %s\n' "shop-n25.pb.gz.stacks.txt" "analyze --stacks --min 25 tests/fixtures/shop-n25.pb.gz"
    printf '%s %s\n' "shop-n3.sigquit.stacks.txt" "analyze --stacks tests/fixtures/shop-n3.sigquit.txt"
    printf '%s %s\n' "shop-n25.debug2.stacks.json" \
        "analyze --stacks --json --config tests/golden/inputs/shop.yaml tests/fixtures/shop-n25.debug2.txt"
    printf '%s %s\n' "leakgen-n1.panic-all.stacks.txt" "analyze --stacks tests/fixtures/leakgen-n1.panic-all.txt"
    printf '%s %s\n' "leakgen-n1.panic-crash.stacks.json" \
        "analyze --stacks --json tests/fixtures/leakgen-n1.panic-crash.txt"
    printf '%s %s\n' "leakgen-n1.panic-crash.forced.stacks.txt" \
        "analyze --stacks --format debug2 tests/fixtures/leakgen-n1.panic-crash.txt"
    for f in goconvey-panic.txt leakgen-n2.cut.debug2.txt; do
        printf '%s %s\n' "$f.txt" "analyze tests/golden/inputs/$f"
        printf '%s %s\n' "$f.json" "analyze --json tests/golden/inputs/$f"
    done
}
