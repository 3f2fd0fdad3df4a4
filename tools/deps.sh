#!/usr/bin/env bash
# deps.sh - installs the Debian packages leakfleet needs to build, test and run its demo.
# As root it runs apt-get; otherwise it names what is missing and fails.
# Usage: tools/deps.sh [build|test|demo|bench]   (default: test)
set -euo pipefail
want=${1:-test}

build_pkgs=(build-essential pkg-config libmicrohttpd-dev libsqlite3-dev libjansson-dev
    libcurl4-openssl-dev zlib1g-dev libyaml-dev libsodium-dev check golang-go)
# prometheus-alertmanager and prometheus: the real programs the integration tests deliver
# alerts to and scrape /metrics with; protobuf-compiler compiles the PushRequest schema
# (tests/clients/proto/) for the Connect client test; lintian and systemd
# (systemd-analyze) check the Debian packages and their units (test_packages.sh);
# python3-yaml reads the Kubernetes manifests (test_manifests.sh).
test_pkgs=(clang clang-format libclang-rt-14-dev jq curl sqlite3 nodejs npm chromium procps python3 openssl
    prometheus-alertmanager prometheus protobuf-compiler lintian systemd python3-yaml)
bench_pkgs=(panicparse wrk time)

case "$want" in
build) pkgs=("${build_pkgs[@]}") ;;
demo) pkgs=("${build_pkgs[@]}" nodejs npm curl) ;;
test) pkgs=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
bench) pkgs=("${build_pkgs[@]}" "${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
*) echo "deps.sh: unknown set '$want' (build, demo, test, bench)" >&2; exit 2 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
    # A nodejs build that bundles npm conflicts with Debian's npm package: keep its npm.
    [ "$p" = npm ] && command -v npm >/dev/null && continue
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "leakfleet: missing Debian packages: ${missing[*]}" >&2
    echo "leakfleet: run as root, or: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi
echo "leakfleet: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
