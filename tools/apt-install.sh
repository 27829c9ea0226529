#!/usr/bin/env bash
# apt-install.sh WHO PACKAGE... — installs the Debian packages among PACKAGE... that are missing
# (one apt-get run; nothing at all when every one is installed), as root or through sudo. WHO
# prefixes the one line it prints when it installs. The one place the tools/ scripts install
# packages (setup.sh, ci-hardening.sh, validate_gpu.sh).
set -euo pipefail
who=$1
shift
missing=()
for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
((${#missing[@]})) || exit 0
echo "$who: installing ${missing[*]}" >&2
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
