using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace Capvisor.Cli.Tests
{
    /// <summary>
    /// Issue 3's acceptance, end to end through <c>capvisor run -k Image -i initramfs -p
    /// console=ttyAMA0 --deterministic</c> as a child process: a test types commands at busybox's
    /// shell on the serial console. Generated (seeded) data reaches the guest on a raw virtio-blk
    /// disk; busybox's sha256sum, gzip/gunzip, sort and awk must give what the host's tools give
    /// (coreutils sort with LC_ALL=C, mawk, gzip); a file written to an ext4 image made by
    /// <c>mkfs.ext4 -d</c> is read back on the host with debugfs; <c>poweroff -f</c> ends the run
    /// with exit status 0. Without the guest assets the tests pass unless
    /// CAPVISOR_REQUIRE_GUEST_ASSETS=1.
    /// </summary>
    public sealed class RunLinuxAcceptanceTests
    {
        private const int DataLines = 6000;
        private const int HostGzSector = 4096; // 2 MiB into the data disk, past the data

        [Fact]
        public void BusyboxToolsAndExt4OnTwoCpusAgreeWithTheHost()
        {
            if (!GuestAssets.TryFind(out string kernel, out string initrd))
            {
                return;
            }

            string dir = Directory.CreateTempSubdirectory("capvisor-accept-").FullName;
            try
            {
                byte[] data = GenerateData(seed: 0x5eed_c0de_2026_0003ul, DataLines);
                byte[] hostGz = Host("gzip -9n -c", data);
                Assert.True(data.Length <= HostGzSector * 512L, "the data must end before the host's .gz");
                var disk = new byte[(HostGzSector * 512) + ((hostGz.Length + 511) & ~511)];
                data.CopyTo(disk, 0);
                hostGz.CopyTo(disk, HostGzSector * 512);
                string dataImage = Path.Combine(dir, "data.img");
                File.WriteAllBytes(dataImage, disk);

                string tree = Directory.CreateDirectory(Path.Combine(dir, "tree")).FullName;
                File.WriteAllText(Path.Combine(tree, "hostfile.txt"), "made on the host by mkfs.ext4 -d\n");
                string fsImage = Path.Combine(dir, "fs.img");
                var mkfs = BareMetalRunner.Run("mkfs.ext4", ["-q", "-F", "-d", tree, fsImage, "16M"], TimeSpan.FromMinutes(1));
                Assert.True(mkfs.Exited && mkfs.ExitCode == 0, $"mkfs.ext4 failed (scripts/prerequisites.sh test installs e2fsprogs): {mkfs.Stderr}");

                // The first -d gets the highest transport, so the filesystem (last) is /dev/vda and
                // the data disk /dev/vdb, as under QEMU with the same -device order.
                string n = LinuxSession.Num(data.Length), g = LinuxSession.Num(hostGz.Length);
                string script = $$"""
                    dmesg -n 1
                    echo "machine=$(uname -m)"
                    echo "cpus=$(nproc)"
                    echo "vdb=$(cat /sys/block/vdb/size)"
                    head -c {{n}} /dev/vdb > /tmp/d
                    echo "size=$(wc -c < /tmp/d)"
                    echo "sha=$(sha256sum < /tmp/d)"
                    echo "roundtrip=$(gzip -c /tmp/d | gunzip -c | sha256sum)"
                    dd if=/dev/vdb bs=512 skip={{HostGzSector}} 2>/dev/null | head -c {{g}} > /tmp/h.gz
                    echo "hostgz=$(gunzip -c /tmp/h.gz | sha256sum)"
                    echo "sort=$(sort /tmp/d | sha256sum)"
                    echo "sortn=$(sort -k2,2n /tmp/d | sha256sum)"
                    echo "uniq=$(cut -d' ' -f1 /tmp/d | sort | uniq -c | sha256sum)"
                    echo "awksum=$(awk '{ s += $2; t += $3 } END { print NR, s, t }' /tmp/d)"
                    echo "awkfp=$(awk '{ x += $2 / 7 + $3 * 0.001 } END { printf "%.6f %.10g\n", x, x / NR }' /tmp/d)"
                    echo "awkfields=$(awk '$2 % 7 == 0 { print $3, $1 }' /tmp/d | sha256sum)"
                    echo "awkcount=$(awk '{ n[$1]++ } END { for (k in n) print k, n[k] }' /tmp/d | sort | sha256sum)"
                    mount -t ext4 /dev/vda /mnt
                    echo "hostfile=$(cat /mnt/hostfile.txt)"
                    sort /tmp/d > /mnt/sorted.txt
                    gzip -c /tmp/d > /mnt/data.gz
                    echo "written on $(nproc) cpus" > /mnt/newfile
                    sync
                    umount /mnt
                    echo "umount=$?"
                    poweroff -f

                    """;
                var run = LinuxSession.Run(
                    ["-k", kernel, "-i", initrd, "-p", "console=ttyAMA0", "-c", "2", "--deterministic",
                     "-d", dataImage, "-d", fsImage, "--timeout", "600"],
                    script, TimeSpan.FromMinutes(11));
                Assert.True(run.Exited && run.ExitCode == 0, $"poweroff -f must end the run with exit 0\n{run.Tail()}");
                Assert.Contains("reboot: Power down", run.Serial);
                Assert.DoesNotContain("Unable to handle kernel", run.Serial);

                var v = run.Values();
                string Get(string key) => v.TryGetValue(key, out var s) ? s : $"<no {key}= line>\n{run.Tail()}";
                byte[] sorted = Host("LC_ALL=C sort", data);
                Assert.Equal("aarch64", Get("machine"));
                Assert.Equal("2", Get("cpus"));
                Assert.Equal(LinuxSession.Num(disk.Length / 512), Get("vdb"));
                Assert.Equal(n, Get("size"));
                Assert.Equal(Sha(data), Get("sha"));
                Assert.Equal(Sha(data), Get("roundtrip"));
                Assert.Equal(Sha(data), Get("hostgz"));
                Assert.Equal(Sha(sorted), Get("sort"));
                Assert.Equal(Sha(Host("LC_ALL=C sort -k2,2n", data)), Get("sortn"));
                Assert.Equal(Sha(Host("cut -d' ' -f1 | LC_ALL=C sort | uniq -c", data)), Get("uniq"));
                Assert.Equal(HostText("mawk '{ s += $2; t += $3 } END { print NR, s, t }'", data), Get("awksum"));
                Assert.Equal(HostText("mawk '{ x += $2 / 7 + $3 * 0.001 } END { printf \"%.6f %.10g\\n\", x, x / NR }'", data), Get("awkfp"));
                Assert.Equal(Sha(Host("mawk '$2 % 7 == 0 { print $3, $1 }'", data)), Get("awkfields"));
                Assert.Equal(Sha(Host("mawk '{ n[$1]++ } END { for (k in n) print k, n[k] }' | LC_ALL=C sort", data)), Get("awkcount"));
                Assert.Equal("made on the host by mkfs.ext4 -d", Get("hostfile"));
                Assert.Equal("0", Get("umount"));

                // The guest's filesystem, as the host's e2fsprogs see it.
                var fsck = BareMetalRunner.Run("e2fsck", ["-fn", fsImage], TimeSpan.FromMinutes(1));
                Assert.True(fsck.Exited && fsck.ExitCode == 0, $"e2fsck -fn after the guest wrote:\n{fsck.Serial}\n{fsck.Stderr}");
                Assert.Equal("written on 2 cpus\n", DebugfsCat(fsImage, "/newfile"));
                Assert.Equal(Encoding.Latin1.GetString(sorted), DebugfsCat(fsImage, "/sorted.txt"));
                using var gz = new GZipStream(new MemoryStream(Encoding.Latin1.GetBytes(DebugfsCat(fsImage, "/data.gz"))), CompressionMode.Decompress);
                var unzipped = new MemoryStream();
                gz.CopyTo(unzipped);
                Assert.True(data.AsSpan().SequenceEqual(unzipped.ToArray()), "the guest's gzip output does not decompress to the data on the host");
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        }

        [Fact]
        public void NprocIsTheCpuCountOnThreeCpus()
        {
            if (!GuestAssets.TryFind(out string kernel, out string initrd))
            {
                return;
            }

            var run = LinuxSession.Run(
                ["-k", kernel, "-i", initrd, "-p", "console=ttyAMA0", "-c", "3", "--deterministic", "--timeout", "600"],
                """
                echo "machine=$(uname -m)"
                echo "cpus=$(nproc)"
                echo "online=$(cat /sys/devices/system/cpu/online)"
                echo "processors=$(grep -c ^processor /proc/cpuinfo)"
                poweroff -f

                """,
                TimeSpan.FromMinutes(11));
            Assert.True(run.Exited && run.ExitCode == 0, $"poweroff -f must end the run with exit 0\n{run.Tail()}");
            var v = run.Values();
            Assert.True(v.TryGetValue("cpus", out var cpus), run.Tail());
            Assert.Equal("3", cpus);
            Assert.Equal("aarch64", v["machine"]);
            Assert.Equal("0-2", v["online"]);
            Assert.Equal("3", v["processors"]);
        }

        /// <summary>Deterministic text: "word number number" lines from a xorshift64 generator.</summary>
        private static byte[] GenerateData(ulong seed, int lines)
        {
            string[] syllables = ["ka", "pi", "vo", "re", "tu", "sel", "mor", "qu", "zi", "an", "ex", "lo"];
            var text = new StringBuilder();
            ulong x = seed;
            ulong Next()
            {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                return x;
            }

            for (int i = 0; i < lines; i++)
            {
                int parts = 1 + (int)(Next() % 3);
                for (int p = 0; p < parts; p++)
                {
                    text.Append(syllables[Next() % (ulong)syllables.Length]);
                }

                long a = (long)(Next() % 100_000); // sums stay below 2^31: mawk prints larger integers with %.6g
                long b = (long)(Next() % 20001) - 10000;
                text.Append(' ').Append(LinuxSession.Num(a)).Append(' ').Append(LinuxSession.Num(b)).Append('\n');
            }

            return Encoding.ASCII.GetBytes(text.ToString());
        }

        /// <summary>Runs a host command line with sh, <paramref name="input"/> on stdin; its output bytes.</summary>
        private static byte[] Host(string command, byte[] input) => Encoding.Latin1.GetBytes(HostRaw(command, input));

        private static string HostText(string command, byte[] input) => HostRaw(command, input).TrimEnd('\n');

        private static string HostRaw(string command, byte[] input)
        {
            var r = BareMetalRunner.Run("sh", ["-c", command], TimeSpan.FromMinutes(1), Encoding.Latin1.GetString(input));
            Assert.True(r.Exited && r.ExitCode == 0, $"host '{command}' failed: {r.Stderr}");
            return r.Serial;
        }

        private static string DebugfsCat(string image, string path)
        {
            var r = BareMetalRunner.Run("debugfs", ["-R", $"cat {path}", image], TimeSpan.FromMinutes(1));
            Assert.True(r.Exited && r.ExitCode == 0, $"debugfs cat {path} failed: {r.Stderr}");
            return r.Serial;
        }

        /// <summary>sha256sum's output for standard input.</summary>
        private static string Sha(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes)) + "  -";
    }
}
