#!/usr/bin/env bash
# Fetches the Linux guest assets from Debian's arm64 archive and builds an initramfs:
#   .cache/guest/Image           Debian's linux-image-cloud-arm64 kernel
#   .cache/guest/initramfs.cpio.gz  busybox-static + the virtio modules, /init loads them,
#                                   + /bin/capvisor-vsock (guest/linux/vsock.c)
#   .cache/guest/versions.txt    the package versions used and the initramfs recipe
# Cached: runs again only when the cache is missing, was made by another recipe, or
# CAPVISOR_REFRESH_ASSETS=1. Bump recipe when the initramfs contents change.
set -euo pipefail
recipe=2
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${CAPVISOR_GUEST_DIR:-$root/.cache/guest}"
if [ -f "$out/Image" ] && [ -f "$out/initramfs.cpio.gz" ] && grep -qx "recipe $recipe" "$out/versions.txt" 2>/dev/null \
   && [ "${CAPVISOR_REFRESH_ASSETS:-0}" != 1 ]; then
  exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  echo "guest-assets: adding the arm64 architecture to dpkg" >&2
  $sudo dpkg --add-architecture arm64
  $sudo apt-get update -qq
fi
command -v cpio >/dev/null || $sudo apt-get install -y -qq --no-install-recommends cpio >&2
[ -f /usr/aarch64-linux-gnu/lib/libc.a ] || $sudo apt-get install -y -qq --no-install-recommends libc6-dev-arm64-cross >&2
make -s -C "$root/guest/linux"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
echo "guest-assets: downloading linux-image-cloud-arm64 and busybox-static (arm64)" >&2
# Keep the kernel of an existing cache when the archive still has it (a new recipe changes
# only the initramfs); otherwise the current one.
kpkg="$(awk '$1 == "kernel" {print $2}' "$out/versions.txt" 2>/dev/null || true)"
if [ -z "$kpkg" ] || ! apt-cache show "$kpkg:arm64" >/dev/null 2>&1; then
  kpkg="$(apt-cache depends linux-image-cloud-arm64:arm64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')"
  kpkg="${kpkg%:arm64}"
fi
apt-get download -qq "$kpkg:arm64" busybox-static:arm64 2>/dev/null
dpkg-deb -x "$kpkg"_*.deb kernel
dpkg-deb -x busybox-static_*.deb busybox
kver="$(ls kernel/lib/modules)"
mods="kernel/lib/modules/$kver"

# Module dependencies from each module's .modinfo "depends=" (no depmod needed).
declare -A path_of
while IFS= read -r ko; do
  name="$(basename "$ko" .ko)"
  path_of["${name//-/_}"]="$ko"
done < <(find "$mods" -name '*.ko')
deps_of() { tr '\0' '\n' < "${path_of[$1]}" | sed -n 's/^depends=//p' | tr ',' ' '; }
ordered=()
declare -A seen
visit() {
  local m="${1//-/_}"
  [ -n "${seen[$m]:-}" ] && return
  seen[$m]=1
  [ -n "${path_of[$m]:-}" ] || { echo "guest-assets: module $m not found in $kpkg" >&2; exit 1; }
  for d in $(deps_of "$m"); do visit "$d"; done
  ordered+=("$m")
}
for m in virtio_mmio virtio_blk virtio_net virtio_console virtio_rng vmw_vsock_virtio_transport; do visit "$m"; done

rd="$work/initramfs"
mkdir -p "$rd"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,root,mnt,lib/modules}
cp busybox/bin/busybox "$rd/bin/busybox"
cp "$root/guest/linux/build/capvisor-vsock" "$rd/bin/capvisor-vsock"
for m in "${ordered[@]}"; do cp "${path_of[$m]}" "$rd/lib/modules/$m.ko"; done
{
  echo '#!/bin/busybox sh'
  echo '/bin/busybox --install -s'
  echo 'mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev 2>/dev/null'
  for m in "${ordered[@]}"; do echo "insmod /lib/modules/$m.ko"; done
  echo 'echo "capvisor-initramfs: ready"'
  echo 'exec setsid cttyhack sh'
} > "$rd/init"
chmod +x "$rd/init"
(cd "$rd" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -9n > initramfs.cpio.gz

mkdir -p "$out"
# Each file is renamed into place, so a test reading the cache never sees half a file.
if [ "$(head -c 2 "kernel/boot/vmlinuz-$kver" | od -An -tx1 | tr -d ' ')" = "1f8b" ]; then
  gunzip -c "kernel/boot/vmlinuz-$kver" > "$out/Image.new"
else
  cp "kernel/boot/vmlinuz-$kver" "$out/Image.new"
fi
cp initramfs.cpio.gz "$out/initramfs.cpio.gz.new"
{
  echo "kernel $kpkg $(dpkg-deb -f "$kpkg"_*.deb Version)"
  echo "busybox-static $(dpkg-deb -f busybox-static_*.deb Version)"
  echo "modules ${ordered[*]}"
  echo "tools capvisor-vsock"
  echo "recipe $recipe"
} > "$out/versions.txt.new"
mv "$out/Image.new" "$out/Image"
mv "$out/initramfs.cpio.gz.new" "$out/initramfs.cpio.gz"
mv "$out/versions.txt.new" "$out/versions.txt"
echo "guest-assets: $(cat "$out/versions.txt" | head -2 | tr '\n' ' ')-> $out" >&2
