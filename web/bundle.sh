#!/usr/bin/env bash
# bundle.sh - fetches the dashboard's pinned npm dependencies (web/package-lock.json) and
# copies the files the dashboard serves into build/web/, where the Makefile embeds them in
# the binary. Runs at build time only: the server never fetches anything at run time.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/web
npm_dir=build/web-npm
stamp=$out/.bundled
if [ -f "$stamp" ] && [ "$stamp" -nt web/package-lock.json ] && [ "$stamp" -nt web/bundle.sh ]; then
    exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
    echo "web/bundle.sh: npm is missing (apt-get install -y npm, or make deps)" >&2
    exit 1
fi
mkdir -p "$out" "$npm_dir"
cp web/package.json web/package-lock.json "$npm_dir"/
(cd "$npm_dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
cp "$npm_dir"/node_modules/uplot/dist/uPlot.iife.min.js "$out"/uplot.js
cp "$npm_dir"/node_modules/uplot/dist/uPlot.min.css "$out"/uplot.css
touch "$stamp"
echo "  BUNDLE  build/web (uplot $(node -p "require('./$npm_dir/node_modules/uplot/package.json').version" 2>/dev/null || echo '?'))"
