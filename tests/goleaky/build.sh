#!/usr/bin/env bash
# build.sh - builds the leaky Go fixture service into build/goleaky/ twice: `leaky`, whose
# profiles carry absolute build paths (the source directory is written to
# build/goleaky/srcdir), and `leaky-trimpath` (-trimpath: paths start with the module
# path github.com/acme/leaky). Hermetic: standard library only, every Go cache inside
# build/goleaky/, no network. Without a Go toolchain it says so and builds nothing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd -P)
root=$(cd "$here/../.." && pwd -P)
out=$root/build/goleaky

if ! command -v go >/dev/null 2>&1; then
    echo "goleaky: no Go toolchain (Debian: apt-get install golang-go); not building the Go fixture service" >&2
    exit 0
fi
mkdir -p "$out"
export GOCACHE=$out/cache GOPATH=$out/gopath GOMODCACHE=$out/gopath/pkg/mod \
    GOFLAGS=-mod=mod GOPROXY=off GOSUMDB=off GONOSUMDB="" GOPRIVATE="" GO111MODULE=on \
    GOWORK=off GOTOOLCHAIN=local CGO_ENABLED=0 GOENV=off

cd "$here"
go build -o "$out/leaky.tmp" ./cmd/leaky
go build -trimpath -o "$out/leaky-trimpath.tmp" ./cmd/leaky
mv -f "$out/leaky.tmp" "$out/leaky"
mv -f "$out/leaky-trimpath.tmp" "$out/leaky-trimpath"
printf '%s\n' "$here" >"$out/srcdir"
go version >"$out/go-version"
