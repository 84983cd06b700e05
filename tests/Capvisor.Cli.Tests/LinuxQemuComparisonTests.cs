using System.Text;

namespace Capvisor.Cli.Tests
{
    /// <summary>
    /// Issue 3's "initramfs images this repository does not contain boot on -c 2 and produce the
    /// same command output as under QEMU": the test builds a new initramfs (busybox and the virtio
    /// modules taken from the cached one, an /init of its own that runs a fixed list of commands and
    /// powers off), boots Debian's kernel with it on 2 CPUs, 512 MiB and a virtio-blk disk under
    /// QEMU 7.2 (<c>-M virt,gic-version=3 -cpu cortex-a57</c>, modern virtio-mmio) and under
    /// <c>capvisor run -c 2 -m 512 --deterministic</c>, and requires the output between the markers
    /// to be identical.
    /// </summary>
    /// <remarks>
    /// The commands leave out what legitimately differs, each for a reason the filters below name:
    /// wall-clock time and timing (timestamps, the RTC, "deferred pages initialised in", audit),
    /// devices the board does not have (PCIe host, ITS/LPIs/MSI, PMU, fw-cfg, flash, platform bus,
    /// and the 31 empty virtio-mmio transports QEMU lists in its device tree), AArch32 (Capvisor's
    /// CPU is AArch64-only, so no "32-bit EL0/EL1 Support" and no setend emulation), the virtio
    /// feature bits QEMU's virtio-blk offers beyond Capvisor's, and the memory Linux reserves for the
    /// device tree (QEMU pads its FDT to 1 MiB, Capvisor's is a few KiB, so MemTotal, "Memory:" and
    /// NODE_DATA differ by that). Both get "nokaslr": QEMU passes a kaslr-seed, Capvisor does not.
    /// </remarks>
    public sealed class LinuxQemuComparisonTests
    {
        private const string Begin = "===capvisor-begin===", End = "===capvisor-end===";
        private const string Append = "console=ttyAMA0 quiet nokaslr";
        private static readonly string[] Modules = ["virtio_ring", "virtio", "virtio_mmio", "virtio_blk"];

        /// <summary>One command a line; /init prints "$ COMMAND" and then its output.</summary>
        private const string Commands = """
            uname -a
            nproc
            cat /sys/devices/system/cpu/online /sys/devices/system/cpu/possible /sys/devices/system/cpu/present
            cat /proc/cmdline
            grep -v '^Features' /proc/cpuinfo
            cat /sys/devices/system/cpu/cpu*/regs/identification/midr_el1 /sys/devices/system/cpu/cpu*/regs/identification/revidr_el1
            grep -E '^(SwapTotal|HugePages_Total|Hugepagesize)' /proc/meminfo
            ls /sys/bus/virtio/devices
            cat /sys/bus/virtio/devices/virtio0/device /sys/bus/virtio/devices/virtio0/vendor
            cat /sys/block/vda/size /sys/block/vda/ro /sys/block/vda/queue/logical_block_size /sys/block/vda/queue/nr_requests
            head -c 17 /dev/vda; echo
            echo written-by-guest | dd of=/dev/vda bs=512 seek=1 conv=sync,notrunc,fsync 2>/dev/null; dd if=/dev/vda bs=512 skip=1 count=1 2>/dev/null | head -c 16; echo
            cat /sys/class/rtc/rtc0/name /proc/consoles
            cat /sys/firmware/devicetree/base/compatible /sys/firmware/devicetree/base/model | tr '\0' ' '; echo
            ls /sys/firmware/devicetree/base | grep -v -E '^(virtio_mmio|flash|fw-cfg|pcie|platform-bus|pmu)'
            ls /sys/firmware/devicetree/base/cpus /sys/firmware/devicetree/base/psci
            cat /sys/devices/system/clocksource/clocksource0/available_clocksource /sys/devices/system/clocksource/clocksource0/current_clocksource
            ls /sys/bus/amba/devices
            for d in /sys/bus/platform/devices/*; do [ -e $d/driver ] && echo ${d##*/} $(basename $(readlink $d/driver)); done | grep -v -E 'pcie|pmu|fw-cfg|flash'
            awk '$1 ~ /^[0-9]+:$/ && $NF != "arm-pmu" { print $4, $5, $6, $7, $8 }' /proc/interrupts
            echo | sha256sum
            seq 1 2000 | awk '{ s += $1 } END { print s }'
            awk 'BEGIN { x = 1; for (i = 1; i < 40; i++) x = x * 1.1 + 1 / i; printf "%.17g %.17g %.6e %.6e %d\n", x, 0.1 + 0.2, 1e-300 / 1e10, 1e300 * 1e10, 2^53 + 1 }'
            echo $((0x7fffffffffffffff + 1)) $(( -7 / 2 )) $(( -7 % 2 )) $(( 1 << 63 >> 63 ))
            printf '%s\n' 10 9 100 -1 | sort -n | tr '\n' ' '; echo
            head -c 262144 /bin/busybox > /tmp/b; gzip -c /tmp/b | gunzip -c | md5sum; md5sum < /tmp/b
            seq 1 3000 | gzip -9 -c | md5sum; seq 1 3000 | bzip2 -c | md5sum; seq 1 3000 | bzip2 -c | bunzip2 -c | tail -n 1
            seq 1 3000 | sha1sum; seq 1 3000 | sha512sum; seq 1 3000 | sha3sum
            echo '2 200 ^ p 3 100 ^ 7 / p' | dc; echo 'scale=40; 4*a(1); sqrt(2); e(1)' | bc -l
            factor 1234567890123456789 4294967297; expr 123456789 \* 987654321
            printf '%d %x %o %e %.3f %g\n' 123456789 255 8 12345.678 -2.0005 1e-5
            date -u -d @1234567890 '+%F %T %j %a'
            for i in 1 2 3 4; do (seq $i 30000 | sha256sum > /tmp/p$i) & done; wait; cat /tmp/p1 /tmp/p2 /tmp/p3 /tmp/p4
            stat -c '%n %t %T' /dev/vda /dev/ttyAMA0 /dev/null /dev/rtc0
            dmesg | sed 's/^\[[ 0-9.]*\] //' | grep -v -E '^(NUMA: NODE_DATA|Memory: |CPU features: detected: 32-bit EL[01] Support|Registered setend|setend instruction|hw perfevents|ITS|GICv3: (CPU[0-9]: )?using (allocated )?LPI|Platform MSI|PCI/MSI|pci|rtc-pl031 .*setting system clock|node 0 deferred pages|audit: type=|hrtimer: interrupt took)' | LC_ALL=C sort
            """;

        [Fact]
        public void OwnInitramfsOnTwoCpusPrintsWhatQemuPrints()
        {
            if (!GuestAssets.TryFind(out string kernel, out string initrd))
            {
                return;
            }

            string dir = Directory.CreateTempSubdirectory("capvisor-vs-qemu-").FullName;
            try
            {
                string ownInitrd = Path.Combine(dir, "own.cpio.gz");
                NewcCpio.WriteGzip(ownInitrd, BuildInitramfs(NewcCpio.ReadGzip(initrd)));
                var disk = new byte[2 << 20];
                Encoding.ASCII.GetBytes("capvisor-cmp-disk").CopyTo(disk, 0);
                string qemuDisk = Path.Combine(dir, "qemu.img"), capvisorDisk = Path.Combine(dir, "capvisor.img");
                File.WriteAllBytes(qemuDisk, disk);
                File.WriteAllBytes(capvisorDisk, disk);

                var qemuArgs = new List<string>(["-M", "virt,gic-version=3", "-cpu", "cortex-a57", "-smp", "2", "-m", "512"])
                {
                    "-display", "none", "-serial", "stdio", "-monitor", "none", "-nic", "none", "-no-reboot",
                    "-global", "virtio-mmio.force-legacy=false",
                    "-drive", $"file={qemuDisk},if=none,format=raw,id=d0", "-device", "virtio-blk-device,drive=d0",
                    "-kernel", kernel, "-initrd", ownInitrd, "-append", Append,
                };
                var qemu = BareMetalRunner.Run("qemu-system-aarch64", qemuArgs, TimeSpan.FromMinutes(5));
                Assert.True(qemu.Exited && qemu.ExitCode == 0, $"QEMU: exit {qemu.ExitCode}\n{Tail(qemu.Serial)}\n{qemu.StderrTail()}");

                var capvisor = BareMetalRunner.Run(LinuxSession.DotnetHost,
                    [LinuxSession.CapvisorDll, "run", "-k", kernel, "-i", ownInitrd, "-p", Append, "-c", "2", "-m", "512",
                     "-d", capvisorDisk, "--deterministic", "--timeout", "600"],
                    TimeSpan.FromMinutes(11));
                Assert.True(capvisor.Exited && capvisor.ExitCode == 0, $"Capvisor: exit {capvisor.ExitCode}\n{Tail(capvisor.Serial)}\n{capvisor.StderrTail()}");

                string expected = Transcript(qemu.Serial), actual = Transcript(capvisor.Serial);
                Assert.Contains("\n$ nproc\n2\n", expected);
                Assert.Contains("\n$ ls /sys/bus/virtio/devices\nvirtio0\n", expected);
                Assert.Contains("\nsmp: Brought up 1 node, 2 CPUs\n", expected);
                Assert.True(expected == actual, BareMetalDiff.Unified(expected, actual, "qemu", "capvisor"));
                Assert.Equal(File.ReadAllBytes(qemuDisk), File.ReadAllBytes(capvisorDisk));
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        }

        /// <summary>busybox and the virtio modules from <paramref name="cached"/>, with an /init of this test's.</summary>
        private static List<CpioEntry> BuildInitramfs(List<CpioEntry> cached)
        {
            byte[] Member(string name) => cached.FirstOrDefault(e => e.Name == name)?.Data
                ?? throw new InvalidOperationException($"the cached initramfs has no {name}: run scripts/guest-assets.sh");

            var init = new StringBuilder();
            init.Append("#!/bin/busybox sh\n/bin/busybox --install -s\n");
            init.Append("mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev\n");
            init.Append("dmesg -n 1\n");
            foreach (var m in Modules)
            {
                init.Append("insmod /lib/modules/").Append(m).Append(".ko\n");
            }

            init.Append("echo ").Append(Begin).Append('\n');
            init.Append("while IFS= read -r cmd; do echo \"\\$ $cmd\"; eval \"$cmd\" 2>&1; done < /commands\n");
            init.Append("echo ").Append(End).Append('\n');
            init.Append("poweroff -f\n");

            var entries = new List<CpioEntry>();
            foreach (var d in new[] { "bin", "dev", "proc", "sys", "tmp", "lib", "lib/modules" })
            {
                entries.Add(new CpioEntry(d, CpioEntry.Directory | 0x1ed, []));
            }

            entries.Add(new CpioEntry("init", CpioEntry.RegularFile | 0x1ed, Encoding.ASCII.GetBytes(init.ToString())));
            entries.Add(new CpioEntry("commands", CpioEntry.RegularFile | 0x1a4, Encoding.ASCII.GetBytes(Commands.ReplaceLineEndings("\n") + "\n")));
            entries.Add(new CpioEntry("bin/busybox", CpioEntry.RegularFile | 0x1ed, Member("bin/busybox")));
            foreach (var m in Modules)
            {
                entries.Add(new CpioEntry($"lib/modules/{m}.ko", CpioEntry.RegularFile | 0x1a4, Member($"lib/modules/{m}.ko")));
            }

            return entries;
        }

        /// <summary>The serial output between the markers, with \n line ends.</summary>
        private static string Transcript(string serial)
        {
            string s = serial.ReplaceLineEndings("\n");
            int b = s.IndexOf(Begin + "\n", StringComparison.Ordinal), e = s.IndexOf(End, StringComparison.Ordinal);
            Assert.True(b >= 0 && e > b, $"no {Begin} ... {End} in the output:\n{Tail(s)}");
            return s[b..e];
        }

        private static string Tail(string s) => s.Length > 4000 ? s[^4000..] : s;
    }
}
