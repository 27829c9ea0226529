#!/usr/bin/env bash
# setup.sh — installs the Debian packages ppsim needs (only those missing) and builds it in build/.
# Safe to run again: it installs nothing and rebuilds only what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(gcc meson ninja-build pkg-config check libcjson-dev gnuplot-nox python3 bc
    libopenmpi-dev openmpi-bin libopenblas-dev)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}" >&2
    sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
fi

# Quiet when all is well; the whole output when something fails.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if [ ! -f build/build.ninja ] && ! meson setup build >"$log" 2>&1; then
    cat "$log" >&2
    echo "setup: meson setup failed" >&2
    exit 1
fi
if ! ninja -C build >"$log" 2>&1; then
    cat "$log" >&2
    echo "setup: the build failed" >&2
    exit 1
fi
