using System.IO.Compression;
using Capvisor.Board.Boot;
using Capvisor.Board.DeviceTree;
using Capvisor.Board.Tests.Infrastructure;

namespace Capvisor.Board.Tests.Boot
{
    public sealed class BootLoaderTests
    {
        private const ulong Ram = VirtMemoryMap.RamBase;

        /// <summary>A fake arm64 Image: header with text_offset/image_size/flags and the magic at 0x38.</summary>
        private static byte[] Image(ulong textOffset, ulong imageSize, int length = 0x1000, ulong flags = 0xA)
        {
            var b = new byte[length];
            BitConverter.TryWriteBytes(b.AsSpan(8), textOffset);
            BitConverter.TryWriteBytes(b.AsSpan(16), imageSize);
            BitConverter.TryWriteBytes(b.AsSpan(24), flags);
            "ARM\x64"u8.CopyTo(b.AsSpan(0x38));
            b[0x100] = 0x42;
            return b;
        }

        private static VirtMachine Boot(byte[] kernel, byte[]? initrd = null, int mib = 128, string? cmdline = null) =>
            new(new VirtMachineOptions { Kernel = kernel, Initrd = initrd, MemoryMiB = mib, CommandLine = cmdline, Deterministic = true });

        [Fact]
        public void ImageHeaderIsParsed()
        {
            var k = KernelImage.Parse(Image(0, 0x1AB_0000), "Image");
            Assert.Equal(KernelFormat.LinuxImage, k.Format);
            Assert.Equal(0ul, k.TextOffset);
            Assert.Equal(0x1AB_0000ul, k.ImageSize);
            Assert.True(k.AnyBase);
        }

        [Fact]
        public void ModernImageLoadsAtTwoMegabytesLikeQemu()
        {
            using var m = Boot(Image(0, 0x1AB_0000), initrd: new byte[0x1000], cmdline: "console=ttyAMA0");
            var b = m.Boot!;
            Assert.Equal(Ram + 0x20_0000, b.Entry);
            Assert.Equal(Ram + 0x20_0000 + 0x1AB_0000, b.KernelEnd);
            Assert.Equal(Ram + 0x400_0000, b.InitrdStart); // RAM base + min(RAM/2, 128 MiB)
            Assert.Equal(Ram + 0x420_0000, b.DtbAddress); // after the initrd, 2 MiB-aligned
            var cpu = m.Cpus[0];
            Assert.True(cpu.PoweredOn);
            Assert.Equal(b.Entry, cpu.Pc);
            Assert.Equal(b.DtbAddress, cpu.X[0]);
            Assert.Equal(0ul, cpu.X[1] | cpu.X[2] | cpu.X[3]);
            Assert.Equal(1, cpu.CurrentEl);
            Assert.Equal(0x3C0u, cpu.Daif);
            Assert.DoesNotContain(m.Cpus.Skip(1), c => c.PoweredOn);
            Assert.Equal(0x42, m.Ram.GetSpan(b.Entry + 0x100, 1)[0]);
            var dt = FdtReader.Parse(m.Ram.GetSpan(b.DtbAddress, m.DeviceTreeBlob.Length));
            Assert.Equal("console=ttyAMA0", dt.Find("/chosen")!.GetStrings("bootargs")![0]);
            Assert.Equal([0u, (uint)(Ram + 0x400_1000)], dt.Find("/chosen")!.GetCells("linux,initrd-end")!);
        }

        [Fact]
        public void LargeRamPutsTheInitrdAt128MiB()
        {
            using var m = Boot(Image(0, 0x10_0000), initrd: new byte[16], mib: 512);
            Assert.Equal(Ram + 0x800_0000, m.Boot!.InitrdStart);
            Assert.Equal(Ram + 0x820_0000, m.Boot.DtbAddress); // QEMU measured x0 = 0x48200000
        }

        [Fact]
        public void TextOffsetIsHonoured()
        {
            using var m = Boot(Image(0x8_0000, 0x10_0000));
            Assert.Equal(Ram + 0x8_0000, m.Boot!.Entry);
        }

        [Fact]
        public void GzippedImageIsDecompressed()
        {
            var raw = Image(0, 0x10_0000);
            var gz = new MemoryStream();
            using (var z = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true))
            {
                z.Write(raw);
            }

            var k = KernelImage.Parse(gz.ToArray(), "Image.gz");
            Assert.Equal(KernelFormat.LinuxImage, k.Format);
            Assert.Equal(raw, k.Data);
        }

        [Fact]
        public void CorruptGzipIsAClearError()
        {
            var e = Assert.Throws<BootImageException>(() => KernelImage.Parse([0x1F, 0x8B, 8, 0, 1, 2, 3], "bad.gz"));
            Assert.Contains("gzip", e.Message);
        }

        [Fact]
        public void RawBinaryLoadsAt0x80000WithDtbInX0()
        {
            using var m = Boot([0x1F, 0x20, 0x03, 0xD5]);
            Assert.Equal(KernelFormat.Raw, m.Boot!.Format);
            Assert.Equal(Ram + 0x8_0000, m.Boot.Entry);
            Assert.Equal(m.Boot.DtbAddress, m.Cpus[0].X[0]);
        }

        [Fact]
        public void ElfSegmentsLoadAtTheirAddressesAndTheDtbGoesToRamBase()
        {
            var elf = A64.Elf([A64.Nop, A64.BranchSelf], Ram + 0x8_0000);
            using var m = Boot(elf);
            Assert.Equal(KernelFormat.Elf, m.Boot!.Format);
            Assert.Equal(Ram + 0x8_0000, m.Cpus[0].Pc);
            Assert.Equal(0ul, m.Cpus[0].X[0]); // QEMU sets no registers for ELF
            Assert.Equal(Ram, m.Boot.DtbAddress);
            Assert.Equal(0xD503201Fu, BitConverter.ToUInt32(m.Ram.GetSpan(Ram + 0x8_0000, 4)));
        }

        [Fact]
        public void ElfAtRamBaseMovesTheDtbAfterTheInitrdSlot()
        {
            using var m = Boot(A64.Elf([A64.BranchSelf], Ram));
            Assert.Equal(Ram + 0x400_0000, m.Boot!.DtbAddress);
        }

        [Theory]
        [InlineData(183, 1, "64-bit")]
        [InlineData(62, 2, "not AArch64")]
        public void NonAArch64ElfIsRejected(int machine, int elfClass, string message)
        {
            var e = Assert.Throws<BootImageException>(() => KernelImage.Parse(A64.Elf([A64.Nop], Ram, (ushort)machine, (byte)elfClass), "prog.elf"));
            Assert.Contains(message, e.Message);
            Assert.StartsWith("prog.elf: ", e.Message);
        }

        [Fact]
        public void ElfSegmentOutsideRamIsRejected()
        {
            var e = Assert.Throws<BootImageException>(() => Boot(A64.Elf([A64.Nop], 0x1000_0000)));
            Assert.Contains("outside RAM", e.Message);
        }

        [Fact]
        public void ElfSegmentInTheFlashWindowIsSkippedNotRejected()
        {
            // Linkers leave stray segments (e.g. .note.gnu.build-id) near 0x400000, where QEMU
            // has flash: only the entry point outside RAM is an error.
            var e = Assert.Throws<BootImageException>(() => Boot(A64.Elf([A64.Nop], 0x40_0000)));
            Assert.Contains("entry point", e.Message);
        }

        [Fact]
        public void TruncatedElfIsRejected()
        {
            var elf = A64.Elf([A64.Nop], Ram);
            Assert.Throws<BootImageException>(() => KernelImage.Parse(elf[..70], "short.elf"));
            Assert.Throws<BootImageException>(() => KernelImage.Parse(elf[..40], "short.elf"));
        }

        [Fact]
        public void KernelOrInitrdTooLargeForRamIsAClearError()
        {
            var e = Assert.Throws<BootImageException>(() => Boot(Image(0, 200ul << 20)));
            Assert.Contains("-m", e.Message);
            e = Assert.Throws<BootImageException>(() => Boot(Image(0, 0x10_0000), initrd: new byte[70 << 20], mib: 128));
            Assert.Contains("initrd", e.Message);
        }

        [Fact]
        public void EmptyKernelIsRejected()
        {
            Assert.Throws<BootImageException>(() => KernelImage.Parse([], "empty"));
        }

        [Fact]
        public void UserDeviceTreeGetsTheBoardsMemory()
        {
            var tree = VirtDeviceTree.Build(new VirtDeviceTreeOptions { RamSize = 1ul << 30 });
            using var m = new VirtMachine(new VirtMachineOptions { MemoryMiB = 64, DeviceTree = FdtWriter.Write(tree) });
            var dt = FdtReader.Parse(m.DeviceTreeBlob);
            Assert.Equal([0u, 0x4000_0000u, 0u, 0x400_0000u], dt.Find("/memory@40000000")!.GetCells("reg")!);
        }

        [Fact]
        public void UserDeviceTreeKeepsItsContentAndGetsChosen()
        {
            var user = FdtWriter.Write(new FdtNode("").SetString("model", "mine"));
            using var m = new VirtMachine(new VirtMachineOptions { Kernel = Image(0, 0x10_0000), DeviceTree = user, CommandLine = "quiet" });
            var dt = FdtReader.Parse(m.DeviceTreeBlob);
            Assert.Equal("mine", dt.GetStrings("model")![0]);
            Assert.Equal("quiet", dt.Find("/chosen")!.GetStrings("bootargs")![0]);
            Assert.Throws<BootImageException>(() => new VirtMachine(new VirtMachineOptions { Kernel = Image(0, 0x10_0000), DeviceTree = [1, 2, 3] }));
        }
    }
}
