using System.Diagnostics;
using Capvisor.Board.DeviceTree;
using Capvisor.Board.Tests.Infrastructure;

namespace Capvisor.Board.Tests.Virtio
{
    public sealed class VirtioDeviceTreeQemuTests
    {
        /// <summary>Every virtio_mmio node Capvisor emits is in QEMU 7.2's dump with the same properties.</summary>
        [Fact]
        public void VirtioNodesMatchQemus()
        {
            string? qemu = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
                .Select(d => Path.Combine(d, "qemu-system-aarch64")).FirstOrDefault(File.Exists);
            if (qemu == null)
            {
                return; // QEMU is not installed (scripts/prerequisites.sh installs it)
            }

            string dtb = Path.Combine(Path.GetTempPath(), $"capvisor-qemu-virtio-{Guid.NewGuid():N}.dtb");
            try
            {
                var psi = new ProcessStartInfo(qemu)
                {
                    ArgumentList = { "-M", $"virt,gic-version=3,dumpdtb={dtb}", "-cpu", "cortex-a57", "-m", "128", "-nographic", "-net", "none" },
                    RedirectStandardError = true,
                    RedirectStandardOutput = true,
                };
                using (var p = Process.Start(psi)!)
                {
                    p.WaitForExit(30_000);
                }

                var theirs = FdtReader.Parse(File.ReadAllBytes(dtb));
                using var machine = new VirtMachine(new VirtMachineOptions
                {
                    MemoryMiB = 128,
                    Deterministic = true,
                    Disks = [new VirtioDisk(new MemoryStream(new byte[4096]))],
                    VirtioRng = true,
                    VirtioConsoleOutput = Stream.Null,
                }, m => new TestFirmware(m));
                var ours = FdtReader.Parse(machine.DeviceTreeBlob);
                var nodes = ours.Children.Where(c => c.Name.StartsWith("virtio_mmio@", StringComparison.Ordinal)).ToArray();
                Assert.Equal(3, nodes.Length);
                foreach (var node in nodes)
                {
                    var other = theirs.Child(node.Name);
                    Assert.True(other != null, $"QEMU has no node {node.Name}");
                    Assert.Equal(other!.Properties.Select(p => p.Key).Order(), node.Properties.Select(p => p.Key).Order());
                    foreach (var (name, value) in node.Properties)
                    {
                        Assert.Equal(other.Get(name), value);
                    }
                }
            }
            finally
            {
                File.Delete(dtb);
            }
        }
    }
}
