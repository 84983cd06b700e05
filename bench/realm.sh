#!/usr/bin/env bash
# Realm benchmark: (1) realm creation and measurement time against realm memory size (64 MiB,
# 256 MiB, 1 GiB) for `capvisor run --realm`, with guest/realm's realm-hello and, when
# scripts/guest-assets.sh has fetched them, Debian's kernel Image + initramfs (measured
# DATA_CREATE of ~28 MiB); (2) RSI attestation token latency (TOKEN_INIT + TOKEN_CONTINUE until
# done) timed inside the realm by guest/realm/realm-bench.c with the virtual counter (host time,
# not --deterministic). Writes bench/results/<date>-realm.md.
#
# usage: bench/realm.sh [--reps N] [--capvisor-dll FILE]
#   --reps N             runs per configuration (the best build time is reported; default 3)
#   --capvisor-dll FILE  use an already built capvisor.dll instead of building src/ (Release)
#
# Build time is what `run --stats` reports: from before the image is laid out to ACTIVATE
# (REALM_CREATE, RTT_INIT_RIPAS over all RAM creating RTTs, DATA_CREATE of every populated
# granule with its hash, REC_CREATE, REALM_ACTIVATE), in-process, without process start-up.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$root/bench/lib.sh"
reps=3
cv_dll=""
while [ $# -gt 0 ]; do
  case "$1" in
    --reps) reps="$2"; shift 2 ;;
    --capvisor-dll) cv_dll="$2"; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "bench/realm.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

work="$root/bench/.build"
mkdir -p "$work" "$root/bench/results"
load_before=$(cut -d" " -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
if [ -z "$cv_dll" ]; then
  cv_dll=$(bench_build_cli "$root" "$work")
fi
make -s -C "$root/guest/realm"
state="$work/realm-state"
hello="$root/guest/realm/build/realm-hello.elf"
bench_elf="$root/guest/realm/build/realm-bench.elf"
kernel="$root/.cache/guest/Image"
initrd="$root/.cache/guest/initramfs.cpio.gz"

# best_build LABEL MIB ARGS...: prints "LABEL|MIB|granules|best seconds|median seconds"
best_build() {
  local label="$1" mib="$2"; shift 2
  local times=() granules=""
  for _ in $(seq "$reps"); do
    local line
    line=$(dotnet "$cv_dll" run --realm -m "$mib" --stats --state-dir "$state" "$@" 2>&1 >/dev/null \
           | grep -m1 'built in' || true)
    if [ -z "$line" ]; then echo "bench: no --stats line for $label $mib MiB" >&2; return 1; fi
    times+=("$(sed -E 's/.*built in ([0-9.]+) s.*/\1/' <<<"$line")")
    granules=$(sed -E 's/.*\(([0-9]+) granules populated\).*/\1/' <<<"$line")
  done
  local sorted
  sorted=$(printf '%s\n' "${times[@]}" | sort -g)
  echo "$label|$mib|$granules|$(head -1 <<<"$sorted")|$(sed -n "$(( (reps + 1) / 2 ))p" <<<"$sorted")"
}

rows=()
for mib in 64 256 1024; do
  echo "bench: realm-hello, $mib MiB" >&2
  rows+=("$(best_build realm-hello "$mib" -k "$hello" --timeout 60)")
done
if [ -f "$kernel" ] && [ -f "$initrd" ]; then
  for mib in 256 1024; do
    echo "bench: Debian kernel + initramfs, $mib MiB (build only; the run is cut after 1 s)" >&2
    rows+=("$(best_build "Linux Image + initramfs" "$mib" -k "$kernel" -i "$initrd" -p "console=ttyAMA0" --timeout 1)")
  done
fi

echo "bench: token latency (realm-bench, 20 tokens per run, host time)" >&2
token_rows=()
for _ in $(seq "$reps"); do
  line=$(dotnet "$cv_dll" run --realm -k "$bench_elf" --state-dir "$state" --timeout 120 | grep -m1 '^BENCH')
  token_rows+=("$line")
done

date_utc=$(date -u +%Y-%m-%d)
stamp=$(date -u +%Y-%m-%dT%H:%M:%SZ)
cpu_model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || echo unknown)
cores=$(nproc)
ram_gib=$(awk '/MemTotal/ {printf "%.1f", $2 / 1048576}' /proc/meminfo)
os=$( (. /etc/os-release && echo "$PRETTY_NAME") 2>/dev/null || uname -s)
dotnet_ver=$(dotnet --version 2>/dev/null || echo none)
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
load_after=$(cut -d" " -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
out="$root/bench/results/$date_utc-realm.md"
{
  echo "# Realm benchmark, $stamp"
  echo
  echo "Machine: $cpu_model, $cores cores, $ram_gib GiB RAM, $os, .NET SDK $dotnet_ver; commit $commit;"
  echo "load average before $load_before, after $load_after. Produced by \`bench/realm.sh --reps $reps\`."
  echo
  echo "## Realm creation and measurement (REALM_CREATE .. ACTIVATE, kvmtool-cca sequence)"
  echo
  echo "| image | realm RAM (MiB) | DATA granules at the end of the run (measured at build + created on first touch) | build best (s) | build median (s) |"
  echo "|---|---:|---:|---:|---:|"
  for r in "${rows[@]}"; do
    IFS='|' read -r label mib granules best median <<<"$r"
    echo "| $label | $mib | $granules | $best | $median |"
  done
  echo
  echo "RAM that is not populated is only given RIPAS RAM by RTT_INIT_RIPAS (one RIPAS"
  echo "measurement per 2 MiB block entry, RTTs created down to level 2), and backed by a granule"
  echo "when the realm first touches it (DATA_CREATE_UNKNOWN, not measured), as with KVM."
  echo
  echo "## RSI attestation token latency (TOKEN_INIT + TOKEN_CONTINUE loop, timed in the realm)"
  echo
  echo "| run | tokens | token bytes | mean per token (ms) | best (ms) |"
  echo "|---|---:|---:|---:|---:|"
  i=0
  for t in "${token_rows[@]}"; do
    i=$((i + 1))
    # BENCH tokens N bytes B cntfrq F total_ticks T best_ticks K
    read -r _ _ n _ bytes _ freq _ total _ best <<<"$t"
    echo "| $i | $n | $bytes | $(awk -v t="$total" -v n="$n" -v f="$freq" 'BEGIN {printf "%.3f", t / n / f * 1000}') | $(awk -v b="$best" -v f="$freq" 'BEGIN {printf "%.3f", b / f * 1000}') |"
  done
  echo
  echo "Each token: a fresh realm token (claims, ES384 signature with the per-boot RAK) in a tag-399"
  echo "collection with the platform token signed once at boot; time from the virtual counter"
  echo "(62.5 MHz, host time), including the SMC round trips of the CONTINUE loop."
} >"$out"
echo "bench: wrote $out" >&2
cat "$out"
