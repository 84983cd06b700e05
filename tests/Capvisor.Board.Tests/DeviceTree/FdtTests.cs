using System.Diagnostics;
using Capvisor.Board.DeviceTree;

namespace Capvisor.Board.Tests.DeviceTree
{
    public sealed class FdtTests
    {
        private static FdtNode Generated(int cpus = 2, string? bootArgs = null) =>
            FdtReader.Parse(FdtWriter.Write(VirtDeviceTree.Build(new VirtDeviceTreeOptions
            {
                CpuCount = cpus,
                RamSize = 128ul << 20,
                BootArgs = bootArgs,
                InitrdStart = bootArgs == null ? null : 0x4400_0000ul,
                InitrdEnd = bootArgs == null ? null : 0x4410_0000ul,
            })));

        [Fact]
        public void HeaderIsVersion17WithConsistentOffsets()
        {
            var blob = FdtWriter.Write(VirtDeviceTree.Build(new VirtDeviceTreeOptions()));
            uint Be(int o) => (uint)(blob[o] << 24 | blob[o + 1] << 16 | blob[o + 2] << 8 | blob[o + 3]);
            Assert.Equal(0xD00DFEEDu, Be(0));
            Assert.Equal((uint)blob.Length, Be(4));
            Assert.Equal(17u, Be(20));
            Assert.Equal(16u, Be(24));
            Assert.Equal(Be(8) + Be(36), Be(12)); // strings follow the structure block
            Assert.Equal(0, blob.Length % 8);
        }

        [Fact]
        public void RoundTripsEveryNodeAndProperty()
        {
            var tree = VirtDeviceTree.Build(new VirtDeviceTreeOptions { CpuCount = 3, BootArgs = "console=ttyAMA0" });
            var back = FdtReader.Parse(FdtWriter.Write(tree));
            AssertSameTree(tree, back, "/");
        }

        [Fact]
        public void DescribesTheBoard()
        {
            var root = Generated(bootArgs: "console=ttyAMA0 earlycon");
            Assert.Equal(["linux,dummy-virt"], root.GetStrings("compatible")!);
            Assert.Equal(["arm,pl011", "arm,primecell"], root.Find("/pl011@9000000")!.GetStrings("compatible")!);
            Assert.Equal([0u, 1u, 4u], root.Find("/pl011@9000000")!.GetCells("interrupts")!);
            Assert.Equal([0u, 0x4000_0000u, 0u, 0x800_0000u], root.Find("/memory@40000000")!.GetCells("reg")!);
            Assert.Equal("hvc", root.Find("/psci")!.GetStrings("method")![0]);
            Assert.Equal("psci", root.Find("/cpus/cpu@1")!.GetStrings("enable-method")![0]);
            Assert.Equal(["arm,gic-v3"], root.Find("/intc@8000000")!.GetStrings("compatible")!);
            Assert.Null(root.Find("/intc@8000000/its@8080000"));
            Assert.Equal([1u, 13u, 4u, 1u, 14u, 4u, 1u, 11u, 4u, 1u, 10u, 4u], root.Find("/timer")!.GetCells("interrupts")!);
            var chosen = root.Find("/chosen")!;
            Assert.Equal("console=ttyAMA0 earlycon", chosen.GetStrings("bootargs")![0]);
            Assert.Equal([0u, 0x4400_0000u], chosen.GetCells("linux,initrd-start")!);
            Assert.Equal([0u, 0x4410_0000u], chosen.GetCells("linux,initrd-end")!);
            Assert.Equal("/pl011@9000000", chosen.GetStrings("stdout-path")![0]);
            // interrupt-parent points at the GIC's phandle
            Assert.Equal(root.GetCells("interrupt-parent"), root.Find("/intc@8000000")!.GetCells("phandle")!);
        }

        [Theory]
        [InlineData(new byte[] { 1, 2, 3 })]
        [InlineData(new byte[] { 0xD0, 0x0D, 0xFE, 0xED, 0, 0, 0, 40, 0, 0, 0, 200, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 17, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 })]
        public void RejectsMalformedBlobs(byte[] blob)
        {
            Assert.Throws<FormatException>(() => FdtReader.Parse(blob));
        }

        [Fact]
        public void TruncatedOrCorruptedBlobsNeverThrowAnythingElse()
        {
            var blob = FdtWriter.Write(VirtDeviceTree.Build(new VirtDeviceTreeOptions()));
            var rng = new Random(7);
            for (int i = 0; i < 2000; i++)
            {
                var copy = blob.Take(rng.Next(blob.Length + 1)).ToArray();
                if (copy.Length > 0)
                {
                    copy[rng.Next(copy.Length)] ^= (byte)rng.Next(1, 256);
                }

                try
                {
                    FdtReader.Parse(copy);
                }
                catch (FormatException)
                {
                }
            }
        }

        /// <summary>
        /// Compares with QEMU 7.2's own dump for the same machine: every node Capvisor emits exists in
        /// QEMU's tree with the same properties and values, except the ones that vary per run.
        /// </summary>
        [Fact]
        public void MatchesQemusDeviceTreeForModelledDevices()
        {
            string? qemu = FindOnPath("qemu-system-aarch64");
            if (qemu == null)
            {
                return; // QEMU is not installed (scripts/prerequisites.sh installs it)
            }

            string dtb = Path.Combine(Path.GetTempPath(), $"capvisor-qemu-{Guid.NewGuid():N}.dtb");
            try
            {
                var psi = new ProcessStartInfo(qemu)
                {
                    ArgumentList = { "-M", $"virt,gic-version=3,dumpdtb={dtb}", "-cpu", "cortex-a57", "-m", "128", "-smp", "2", "-nographic", "-net", "none" },
                    RedirectStandardError = true,
                    RedirectStandardOutput = true,
                };
                using (var p = Process.Start(psi)!)
                {
                    p.WaitForExit(30_000);
                }

                var theirs = FdtReader.Parse(File.ReadAllBytes(dtb));
                var ours = Generated(cpus: 2);
                var ignored = new HashSet<string> { "/chosen/rng-seed", "/chosen/kaslr-seed" };
                CompareSubset(ours, theirs, "", ignored);
            }
            finally
            {
                File.Delete(dtb);
            }
        }

        private static void CompareSubset(FdtNode ours, FdtNode theirs, string path, HashSet<string> ignored)
        {
            foreach (var (name, value) in ours.Properties)
            {
                string p = $"{path}/{name}";
                if (ignored.Contains(p))
                {
                    continue;
                }

                var other = theirs.Get(name);
                Assert.True(other != null, $"QEMU has no property {p}");
                Assert.True(value.AsSpan().SequenceEqual(other), $"property {p} differs: ours {Convert.ToHexString(value)}, QEMU's {Convert.ToHexString(other!)}");
            }

            foreach (var (name, _) in theirs.Properties)
            {
                // QEMU's properties on nodes we model must be present too (kaslr-seed/rng-seed aside).
                Assert.True(ours.Get(name) != null || ignored.Contains($"{path}/{name}"), $"Capvisor lacks QEMU's property {path}/{name}");
            }

            foreach (var child in ours.Children)
            {
                var other = theirs.Child(child.Name);
                Assert.True(other != null, $"QEMU has no node {path}/{child.Name}");
                CompareSubset(child, other!, $"{path}/{child.Name}", ignored);
            }
        }

        private static void AssertSameTree(FdtNode a, FdtNode b, string path)
        {
            Assert.Equal(a.Name, b.Name);
            Assert.Equal(a.Properties.Select(p => p.Key), b.Properties.Select(p => p.Key));
            for (int i = 0; i < a.Properties.Count; i++)
            {
                Assert.Equal(a.Properties[i].Value, b.Properties[i].Value);
            }

            Assert.Equal(a.Children.Count, b.Children.Count);
            for (int i = 0; i < a.Children.Count; i++)
            {
                AssertSameTree(a.Children[i], b.Children[i], $"{path}{a.Children[i].Name}/");
            }
        }

        private static string? FindOnPath(string program) =>
            (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
                .Select(d => Path.Combine(d, program)).FirstOrDefault(File.Exists);
    }
}
