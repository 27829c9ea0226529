#!/usr/bin/env bash
# setup.sh — installs the Debian packages ppsim needs (only those missing) and builds it in build/.
# Safe to run again: it installs nothing and rebuilds only what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tools/apt-install.sh setup gcc meson ninja-build pkg-config check libcjson-dev gnuplot-nox \
    python3 bc libopenmpi-dev openmpi-bin libopenblas-dev

# Quiet when all is well; the whole output when something fails.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# A release build (-O3): the figures of docs/performance.md are measured on one.
if [ ! -f build/build.ninja ] && ! meson setup build --buildtype=release >"$log" 2>&1; then
    cat "$log" >&2
    echo "setup: meson setup failed" >&2
    exit 1
fi
if ! ninja -C build >"$log" 2>&1; then
    cat "$log" >&2
    echo "setup: the build failed" >&2
    exit 1
fi
