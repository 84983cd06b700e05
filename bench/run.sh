#!/usr/bin/env bash
# Benchmark: the CPU-bound bare-metal program guest/baremetal/bench.c under Capvisor
# (`capvisor run --deterministic`) and under QEMU TCG (`-M virt,gic-version=3 -cpu cortex-a57`),
# in the same run on the same machine. Reports wall time (median of --reps runs), the guest
# instruction count and MIPS for both, and writes bench/results/<date>-<host>.{md,json}.
#
# usage: bench/run.sh [--reps N] [--capvisor-timeout S] [--capvisor-dll FILE] [--no-capvisor] [--no-qemu]
#   --capvisor-dll FILE  use an already built capvisor.dll instead of building src/ (Release)
#
# The instruction count comes from a QEMU TCG plugin (bench/qemu-insn-count.c, built here
# with the host gcc) and, when `capvisor run --stats` exists, from Capvisor itself; both
# are recorded. Startup cost is measured separately with the tiny demo program and
# reported next to the figures (MIPS are computed from whole-run wall time).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$root/bench/lib.sh"
reps=3
cv_timeout=900
do_cv=1
do_qemu=1
cv_dll=""
while [ $# -gt 0 ]; do
  case "$1" in
    --reps) reps="$2"; shift 2 ;;
    --capvisor-timeout) cv_timeout="$2"; shift 2 ;;
    --capvisor-dll) cv_dll="$2"; shift 2 ;;
    --no-capvisor) do_cv=0; shift ;;
    --no-qemu) do_qemu=0; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "bench/run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

work="$root/bench/.build"
load_before=$(cut -d" " -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
mkdir -p "$work" "$root/bench/results"
elf="$root/guest/baremetal/build/bench.elf"
startup_elf="$root/guest/baremetal/build/demo.elf"
qemu=(qemu-system-aarch64 -M virt,gic-version=3 -cpu cortex-a57 -m 128 -display none
      -serial stdio -monitor none -nic none -no-reboot)

echo "bench: building guest programs" >&2
make -s -C "$root/guest/baremetal" build/bench.elf build/demo.elf

cv=()
if [ $do_cv = 1 ]; then
  if [ -z "$cv_dll" ]; then
    cv_dll=$(bench_build_cli "$root" "$work")
  fi
  cv=(dotnet "$cv_dll" run -m 128 --deterministic --timeout "$cv_timeout")
fi

now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) printf "%.3f\n", a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }

# time_runs NAME OUTFILE CMD... : runs CMD reps times, prints the median seconds; the serial
# output of the last run goes to OUTFILE and its stderr to OUTFILE.err
time_runs() {
  local name="$1" out="$2"; shift 2
  local times=() i t0 t1 rc
  for ((i = 1; i <= reps; i++)); do
    t0=$(now)
    set +e
    "$@" </dev/null >"$out" 2>"$out.err"
    rc=$?
    set -e
    t1=$(now)
    if [ $rc -ne 0 ]; then
      echo "bench: $name run $i failed with status $rc:" >&2
      tail -5 "$out.err" >&2
      echo "nan"
      return 0
    fi
    times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')")
    echo "bench: $name run $i: ${times[-1]} s" >&2
  done
  printf '%s\n' "${times[@]}" | median
}

qemu_insns=""
qemu_time="nan"; qemu_startup="nan"; qemu_sum=""
if [ $do_qemu = 1 ]; then
  plugin="$work/qemu-insn-count.so"
  if gcc -O2 -shared -fPIC -o "$plugin" "$root/bench/qemu-insn-count.c" 2>"$work/plugin.log"; then
    echo "bench: counting instructions with the QEMU plugin" >&2
    "${qemu[@]}" -plugin "$plugin" -kernel "$elf" </dev/null >"$work/qemu-count.out" 2>"$work/qemu-count.err" || true
    qemu_insns=$(sed -n 's/^insns: \([0-9]*\)$/\1/p' "$work/qemu-count.err" | tail -1)
  fi
  qemu_time=$(time_runs qemu "$work/qemu.out" "${qemu[@]}" -kernel "$elf")
  qemu_startup=$(time_runs qemu-startup "$work/qemu-startup.out" "${qemu[@]}" -kernel "$startup_elf")
  qemu_sum=$(sed -n 's/^checksum //p' "$work/qemu.out")
fi

cv_insns=""
cv_time="nan"; cv_startup="nan"; cv_sum=""; cv_stats_line=""
if [ $do_cv = 1 ]; then
  # instruction count from Capvisor itself, if `run --stats` is supported
  set +e
  "${cv[@]}" --stats -k "$elf" </dev/null >"$work/cv-stats.out" 2>"$work/cv-stats.err"
  rc=$?
  set -e
  if [ $rc -eq 0 ]; then
    cv_stats_line=$(grep -i 'instructions' "$work/cv-stats.err" | head -1 || true)
    cv_insns=$(echo "$cv_stats_line" | tr -d ',_' | grep -o '[0-9]\{4,\}' | head -1 || true)
  else
    echo "bench: 'capvisor run --stats' unavailable (status $rc); using QEMU's instruction count" >&2
  fi
  cv_time=$(time_runs capvisor "$work/cv.out" "${cv[@]}" -k "$elf")
  cv_startup=$(time_runs capvisor-startup "$work/cv-startup.out" "${cv[@]}" -k "$startup_elf")
  cv_sum=$(sed -n 's/^checksum //p' "$work/cv.out")
fi

insns="${qemu_insns:-$cv_insns}"
mips() { # insns seconds
  if [ -z "$1" ] || [ "$2" = nan ]; then echo "nan"; else awk -v n="$1" -v t="$2" 'BEGIN {printf "%.1f", n / t / 1000000}'; fi
}
qemu_mips=$(mips "$insns" "$qemu_time")
cv_mips=$(mips "${cv_insns:-$insns}" "$cv_time")
ratio="nan"
if [ "$qemu_mips" != nan ] && [ "$cv_mips" != nan ]; then
  ratio=$(awk -v c="$cv_mips" -v q="$qemu_mips" 'BEGIN {printf "%.4f", c / q}')
fi

host=$(hostname -s 2>/dev/null || echo host)
date_utc=$(date -u +%Y-%m-%d)
stamp=$(date -u +%Y-%m-%dT%H:%M:%SZ)
cpu_model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || echo unknown)
cores=$(nproc)
ram_kib=$(awk '/MemTotal/ {print $2}' /proc/meminfo)
ram_gib=$(awk -v k="$ram_kib" 'BEGIN {printf "%.1f", k / 1048576}')
os=$( (. /etc/os-release && echo "$PRETTY_NAME") 2>/dev/null || uname -s)
kernel=$(uname -r)
dotnet_ver=$(dotnet --version 2>/dev/null || echo none)
qemu_ver=$(qemu-system-aarch64 --version | head -1)
gcc_ver=$(aarch64-linux-gnu-gcc --version | head -1)
commit=${BENCH_COMMIT:-$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)}
dirty=""
if [ -z "${BENCH_COMMIT:-}" ] && git -C "$root" status --porcelain -- src guest 2>/dev/null | grep -q .; then
  dirty=" (uncommitted changes present)"
fi
same="n/a"
if [ -n "$qemu_sum" ] && [ -n "$cv_sum" ]; then
  [ "$qemu_sum" = "$cv_sum" ] && same="yes" || same="NO"
fi

base="$root/bench/results/$date_utc-$host"
cat >"$base.json" <<JSON
{
  "date": "$stamp",
  "commit": "$commit$dirty",
  "program": "guest/baremetal/bench.c (BENCH_SCALE=256), MMU on, 1 CPU",
  "repetitions": $reps,
  "instructions": { "qemu_plugin": ${qemu_insns:-null}, "capvisor_stats": ${cv_insns:-null} },
  "qemu": { "median_seconds": "$qemu_time", "startup_seconds": "$qemu_startup", "mips": "$qemu_mips", "checksum": "$qemu_sum" },
  "capvisor": { "median_seconds": "$cv_time", "startup_seconds": "$cv_startup", "mips": "$cv_mips", "checksum": "$cv_sum" },
  "capvisor_over_qemu_mips": "$ratio",
  "checksums_equal": "$same",
  "machine": { "cpu": "$cpu_model", "cores": $cores, "ram_gib": "$ram_gib", "os": "$os", "kernel": "$kernel",
               "dotnet": "$dotnet_ver", "qemu": "$qemu_ver", "gcc": "$gcc_ver",
               "loadavg_before": "$load_before" }
}
JSON

cat >"$base.md" <<MD
# Benchmark $stamp on $host

Program: \`guest/baremetal/bench.c\` built with \`BENCH_SCALE=256\` (CRC32, quicksort, FNV-1a,
matrix multiply; MMU on with an identity map; one CPU). Wall time is the median of $reps runs,
whole process (start-up included). Start-up is the median time of the tiny \`demo.elf\`.
Commit \`$commit\`$dirty.

| | Capvisor (\`run --deterministic\`) | QEMU TCG (\`-cpu cortex-a57\`) |
|---|---|---|
| wall time (s) | $cv_time | $qemu_time |
| start-up (s) | $cv_startup | $qemu_startup |
| guest instructions | ${cv_insns:-${insns:-unknown} (QEMU plugin count)} | ${qemu_insns:-unknown} |
| MIPS | $cv_mips | $qemu_mips |
| checksum | \`$cv_sum\` | \`$qemu_sum\` |

Capvisor / QEMU MIPS: **$ratio**. Checksums equal: $same.
${cv_stats_line:+Capvisor --stats: \`$cv_stats_line\`}

Machine: $cpu_model, $cores cores, $ram_gib GiB RAM, $os (Linux $kernel), .NET SDK $dotnet_ver,
$qemu_ver, $gcc_ver. Load average before the runs: $load_before (other work on the machine
slows both emulators; compare figures from one run only).
MD

cat "$base.md"
echo "bench: wrote ${base#$root/}.md and .json" >&2
