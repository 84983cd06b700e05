#!/usr/bin/env bash
# Installs what Capvisor's demo or tests need from Debian's archive, once.
# usage: scripts/prerequisites.sh demo|test
set -euo pipefail
want=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross make cpio)
if [ "${1:-test}" = test ]; then
  want+=(qemu-system-arm qemu-user-static device-tree-compiler cpio python3-cbor2 python3-cryptography e2fsprogs)
fi
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "prerequisites: installing ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >&2
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
