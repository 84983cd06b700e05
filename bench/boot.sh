#!/usr/bin/env bash
# Boot benchmark (issue 3): wall time from process start until the initramfs's /init prints
# its first line ("capvisor-initramfs: ready"), and peak RSS, for the same Debian kernel and
# initramfs under QEMU TCG (`qemu-system-aarch64 -M virt,gic-version=3 -cpu cortex-a57 -m 512`)
# and Capvisor (`capvisor run -m 512`, real-time and --deterministic), on -c 1 and -c 2, in
# the same run. Each configuration runs --reps times (interleaved); the median is reported.
# Capvisor is stopped with SIGINT once the line appears, so --stats gives the instructions it
# retired up to there. Writes bench/results/<date>-boot.{md,json} unless --no-write.
#
# usage: bench/boot.sh [--reps N] [--cpus "1 2"] [--capvisor-dll FILE] [--no-qemu]
#                      [--no-capvisor] [--modes "rt det"] [--tag NAME] [--no-write]
#   --capvisor-dll FILE  an already built capvisor.dll (default: build src/ Release into bench/.build/cli)
#   --tag NAME           results file name suffix (default: boot)
# Guest assets: $CAPVISOR_GUEST_DIR (default .cache/guest of this tree, else /work/main/.cache/guest).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$root/bench/lib.sh"
reps=3
cpus="1 2"
modes="rt det"
cv_dll=""
do_qemu=1
do_cv=1
tag=boot
write=1
while [ $# -gt 0 ]; do
  case "$1" in
    --reps) reps="$2"; shift 2 ;;
    --cpus) cpus="$2"; shift 2 ;;
    --modes) modes="$2"; shift 2 ;;
    --capvisor-dll) cv_dll="$2"; shift 2 ;;
    --no-qemu) do_qemu=0; shift ;;
    --no-capvisor) do_cv=0; shift ;;
    --tag) tag="$2"; shift 2 ;;
    --no-write) write=0; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "bench/boot.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

guest="${CAPVISOR_GUEST_DIR:-}"
if [ -z "$guest" ]; then
  if [ -f "$root/.cache/guest/Image" ]; then guest="$root/.cache/guest"; else guest=/work/main/.cache/guest; fi
fi
[ -f "$guest/Image" ] && [ -f "$guest/initramfs.cpio.gz" ] || {
  echo "bench/boot.sh: no guest assets in $guest (run scripts/guest-assets.sh)" >&2; exit 2; }

work="$root/bench/.build"
mkdir -p "$work" "$root/bench/results"
if [ $do_cv = 1 ] && [ -z "$cv_dll" ]; then
  cv_dll=$(bench_build_cli "$root" "$work")
fi

export BENCH_ROOT="$root" BENCH_GUEST="$guest" BENCH_REPS="$reps" BENCH_CPUS="$cpus" BENCH_MODES="$modes"
export BENCH_CV_DLL="$cv_dll" BENCH_DO_QEMU="$do_qemu" BENCH_DO_CV="$do_cv" BENCH_TAG="$tag" BENCH_WRITE="$write"
exec python3 - <<'PY'
import json, os, platform, re, select, signal, statistics, subprocess, time, datetime

root = os.environ["BENCH_ROOT"]; guest = os.environ["BENCH_GUEST"]
reps = int(os.environ["BENCH_REPS"]); cpus = [int(c) for c in os.environ["BENCH_CPUS"].split()]
modes = os.environ["BENCH_MODES"].split(); dll = os.environ["BENCH_CV_DLL"]
marker = b"capvisor-initramfs: ready"
image = os.path.join(guest, "Image"); initrd = os.path.join(guest, "initramfs.cpio.gz")
TIMEOUT = 240.0

def qemu_cmd(c):
    return ["qemu-system-aarch64", "-M", "virt,gic-version=3", "-cpu", "cortex-a57", "-m", "512",
            "-smp", str(c), "-nic", "none", "-nographic", "-kernel", image, "-initrd", initrd,
            "-append", "console=ttyAMA0"]

def cv_cmd(c, mode):
    cmd = ["dotnet", dll, "run", "-k", image, "-i", initrd, "-m", "512", "-c", str(c),
           "-p", "console=ttyAMA0", "--stats"]
    if mode == "det":
        cmd.append("--deterministic")
    return cmd

def run_once(cmd, interrupt):
    """Wall seconds to the marker, peak RSS (KiB), instructions (Capvisor --stats) or None, CPU seconds."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    buf = b""; t = None
    fd = p.stdout.fileno()
    while True:
        left = TIMEOUT - (time.monotonic() - t0)
        if left <= 0:
            break
        r, _, _ = select.select([fd], [], [], left)
        if not r:
            break
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        buf += chunk
        if marker in buf:
            t = time.monotonic() - t0
            break
    p.send_signal(signal.SIGINT if interrupt else signal.SIGTERM)
    try:
        _, status, ru = os.wait4(p.pid, 0)
    except ChildProcessError:
        ru = None
    p.returncode = 0
    err = p.stderr.read().decode(errors="replace")
    insns = None
    m = re.search(r"(\d+) instructions retired", err)
    if m:
        insns = int(m.group(1))
    if t is None:
        tail = buf[-400:].decode(errors="replace")
        raise SystemExit(f"bench/boot.sh: no marker from {' '.join(cmd)}\n--- serial tail:\n{tail}\n--- stderr:\n{err[-800:]}")
    return t, (ru.ru_maxrss if ru else 0), insns, ((ru.ru_utime + ru.ru_stime) if ru else 0.0)

configs = []
for c in cpus:
    if os.environ["BENCH_DO_QEMU"] == "1":
        configs.append((f"qemu -c {c}", qemu_cmd(c), False))
    if os.environ["BENCH_DO_CV"] == "1":
        for mode in modes:
            name = "capvisor real-time" if mode == "rt" else "capvisor --deterministic"
            configs.append((f"{name} -c {c}", cv_cmd(c, mode), True))

samples = {name: [] for name, _, _ in configs}
for rep in range(reps):
    for name, cmd, is_cv in configs:
        t, rss, insns, cpu = run_once(cmd, is_cv)
        samples[name].append({"wall_s": t, "rss_kib": rss, "insns": insns, "cpu_s": cpu})
        print(f"rep {rep+1}/{reps}  {name:32s} {t:7.2f} s  cpu {cpu:6.2f} s  {rss/1024:7.1f} MiB" +
              (f"  {insns:,} insns" if insns else ""), flush=True)

def med(xs): return statistics.median(xs) if xs else None
summary = {}
for name, _, _ in configs:
    s = samples[name]
    summary[name] = {"wall_s": med([x["wall_s"] for x in s]), "wall_min_s": min(x["wall_s"] for x in s),
                     "wall_max_s": max(x["wall_s"] for x in s), "cpu_s": med([x["cpu_s"] for x in s]), "rss_mib": med([x["rss_kib"] / 1024 for x in s]),
                     "insns": med([x["insns"] for x in s if x["insns"]]) if any(x["insns"] for x in s) else None}

def sh(cmd):
    try: return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=20).stdout.strip()
    except Exception: return "unknown"
facts = {
    "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    "cpu": sh("lscpu | sed -n 's/^Model name: *//p' | head -1"), "cores": os.cpu_count(),
    "kernel": platform.release(), "dotnet": sh("dotnet --version"),
    "qemu": sh("qemu-system-aarch64 --version | head -1"), "tree_commit": sh(f"git -C {root} rev-parse --short HEAD"), "capvisor_dll": dll,
    "loadavg_end": sh("cut -d' ' -f1-3 /proc/loadavg"), "guest": sh(f"cat {guest}/versions.txt 2>/dev/null | head -2 | tr '\\n' ';'"),
    "reps": reps,
}
print()
print(f"{'configuration':34s} {'wall (median)':>14s} {'min..max':>14s} {'CPU':>8s} {'peak RSS':>10s} {'vs QEMU':>8s} {'insns to init':>16s}")
for name, _, _ in configs:
    s = summary[name]
    c = name.split("-c ")[-1]
    q = summary.get(f"qemu -c {c}")
    ratio = f"{s['wall_s'] / q['wall_s']:.2f}x" if q else "-"
    s["ratio_vs_qemu"] = (s["wall_s"] / q["wall_s"]) if q else None
    ins = f"{int(s['insns']):,}" if s["insns"] else "-"
    print(f"{name:34s} {s['wall_s']:12.2f} s {s['wall_min_s']:6.2f}..{s['wall_max_s']:<6.2f} {s['cpu_s']:6.2f} s {s['rss_mib']:7.1f} MiB {ratio:>8s} {ins:>16s}")

if os.environ["BENCH_WRITE"] == "1":
    day = datetime.date.today().isoformat()
    base = os.path.join(root, "bench", "results", f"{day}-{os.environ['BENCH_TAG']}")
    with open(base + ".json", "w") as f:
        json.dump({"facts": facts, "summary": summary, "samples": samples}, f, indent=1)
    print(f"\nwrote {base}.json (facts: {facts})")
PY
