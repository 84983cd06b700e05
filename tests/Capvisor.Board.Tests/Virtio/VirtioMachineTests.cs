using Capvisor.Board.DeviceTree;
using Capvisor.Board.Tests.Infrastructure;
using Capvisor.Board.Virtio;

namespace Capvisor.Board.Tests.Virtio
{
    public sealed class VirtioMachineTests
    {
        private static VirtMachine Create(int disks, bool rng = false, bool console = false) =>
            new(new VirtMachineOptions
            {
                MemoryMiB = 16,
                Deterministic = true,
                Disks = Enumerable.Range(0, disks).Select(_ => new VirtioDisk(new MemoryStream(new byte[4096]))).ToArray(),
                VirtioRng = rng,
                VirtioConsoleOutput = console ? new MemoryStream() : null,
            }, m => new TestFirmware(m));

        [Fact]
        public void NoDevicesNoVirtioNodes()
        {
            using var m = Create(0);
            var root = FdtReader.Parse(m.DeviceTreeBlob);
            Assert.DoesNotContain(root.Children, c => c.Name.StartsWith("virtio_mmio", StringComparison.Ordinal));
            Assert.False(m.Memory.Bus.TryFind(VirtioLayout.Address(31), 4, out _, out _));
        }

        [Fact]
        public void DevicesTakeTheHighestTransportsFirstAsOnQemu()
        {
            using var m = Create(2, rng: true, console: true);
            var root = FdtReader.Parse(m.DeviceTreeBlob);
            var names = root.Children.Where(c => c.Name.StartsWith("virtio_mmio", StringComparison.Ordinal)).Select(c => c.Name).ToArray();
            Assert.Equal(["virtio_mmio@a003800", "virtio_mmio@a003a00", "virtio_mmio@a003c00", "virtio_mmio@a003e00"], names);
            var node = root.Child("virtio_mmio@a003e00")!;
            Assert.Equal("virtio,mmio\0"u8.ToArray(), node.Get("compatible"));
            Assert.NotNull(node.Get("dma-coherent"));
            Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 0, 0, 47, 0, 0, 0, 1 }, node.Get("interrupts"));

            uint[] ids = new uint[4];
            for (int i = 0; i < 4; i++)
            {
                Assert.True(m.Memory.Bus.TryFind(VirtioLayout.Address(31 - i) + 8, 4, out var device, out ulong offset));
                Assert.True(device!.Read(offset, 4, out ulong id));
                ids[i] = (uint)id;
            }

            Assert.Equal(new uint[] { 2, 2, 4, 3 }, ids); // disks, then rng, then console
        }

        [Fact]
        public void AHostileDriverBreaksOnlyItsDevice()
        {
            using var m = Create(1);
            Assert.True(m.Memory.Bus.TryFind(VirtioLayout.Address(31), 4, out var device, out _));
            var transport = (VirtioMmioTransport)device!;
            transport.Write(0x70, 4, 3);
            transport.Write(0x30, 4, 0);
            transport.Write(0x80, 4, 0xFFFF_F000); // descriptor table outside RAM
            transport.Write(0x44, 4, 1);
            Assert.NotEqual(0u, transport.Status & VirtioMmioTransport.StatusNeedsReset);
            transport.Write(0x50, 4, 0);
            Assert.True(m.Gic != null);
        }
    }
}
