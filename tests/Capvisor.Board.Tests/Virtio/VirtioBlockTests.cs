using System.Buffers.Binary;
using Capvisor.Board.Virtio;

namespace Capvisor.Board.Tests.Virtio
{
    public sealed class VirtioBlockTests : IDisposable
    {
        private const ulong Header = FakeDriver.DataBase, Data = FakeDriver.DataBase + 0x1000, Status = FakeDriver.DataBase + 0x100;
        private readonly MemoryStream _disk = new();
        private FakeDriver? _driver;

        public VirtioBlockTests()
        {
            var image = new byte[16 * 512];
            for (int i = 0; i < image.Length; i++)
            {
                image[i] = (byte)(i / 512 + 1);
            }

            _disk.Write(image);
        }

        public void Dispose() => _driver?.Dispose();

        private FakeDriver Driver(bool readOnly = false)
        {
            _driver = new FakeDriver(m => new VirtioBlock(_disk, readOnly, "capvisor-disk-serial-too-long"));
            _driver.Initialise();
            return _driver;
        }

        private void WriteHeader(FakeDriver d, uint type, ulong sector)
        {
            var h = d.Ram.GetSpan(Header, 16);
            BinaryPrimitives.WriteUInt32LittleEndian(h, type);
            BinaryPrimitives.WriteUInt32LittleEndian(h[4..], 0);
            BinaryPrimitives.WriteUInt64LittleEndian(h[8..], sector);
            d.Ram.GetSpan(Status, 1)[0] = 0xAA;
        }

        private (byte Status, uint Len) Do(FakeDriver d, uint type, ulong sector, uint dataLen, bool dataWritable)
        {
            WriteHeader(d, type, sector);
            if (dataLen == 0)
            {
                d.Submit(0, (Header, 16, false), (Status, 1, true));
            }
            else
            {
                d.Submit(0, (Header, 16, false), (Data, dataLen, dataWritable), (Status, 1, true));
            }

            d.Notify(0);
            var used = d.TakeUsed(0);
            Assert.NotNull(used);
            return (d.Ram.GetSpan(Status, 1)[0], used.Value.Len);
        }

        [Fact]
        public void ConfigHasTheCapacityAndFeatures()
        {
            var d = Driver(readOnly: true);
            Assert.Equal(2u, d.R(0x008));
            Assert.True(d.Transport.Read(0x100, 8, out ulong capacity));
            Assert.Equal(16ul, capacity);
            d.W(0x14, 0);
            Assert.NotEqual(0u, d.R(0x10) & (1u << VirtioBlock.FeatureRo));
        }

        [Fact]
        public void ReadsSectors()
        {
            var d = Driver();
            var (status, len) = Do(d, VirtioBlock.TypeIn, 3, 1024, true);
            Assert.Equal(VirtioBlock.StatusOk, status);
            Assert.Equal(1025u, len);
            Assert.Equal(4, d.Ram.GetSpan(Data, 1024)[0]);
            Assert.Equal(5, d.Ram.GetSpan(Data, 1024)[1023]);
            Assert.True(d.Irq.Level);
        }

        [Fact]
        public void WritesSectorsAndFlushes()
        {
            var d = Driver();
            d.Ram.GetSpan(Data, 512).Fill(0x5A);
            Assert.Equal(VirtioBlock.StatusOk, Do(d, VirtioBlock.TypeOut, 15, 512, false).Status);
            Assert.Equal(0x5A, _disk.ToArray()[15 * 512]);
            Assert.Equal(VirtioBlock.StatusOk, Do(d, VirtioBlock.TypeFlush, 0, 0, false).Status);
        }

        [Fact]
        public void ReadOnlyDisksRefuseWrites()
        {
            var d = Driver(readOnly: true);
            d.Ram.GetSpan(Data, 512).Fill(0x5A);
            Assert.Equal(VirtioBlock.StatusIoErr, Do(d, VirtioBlock.TypeOut, 0, 512, false).Status);
            Assert.Equal(1, _disk.ToArray()[0]);
            Assert.False(d.NeedsReset);
        }

        [Theory]
        [InlineData(16ul, 512u)]               // just past the end
        [InlineData(15ul, 1024u)]              // straddles the end
        [InlineData(ulong.MaxValue, 512u)]     // sector * 512 overflows
        [InlineData(0x0080_0000_0000_0000ul, 512u)]
        [InlineData(0ul, 100u)]                // not whole sectors
        public void OutOfRangeRequestsFailWithIoErr(ulong sector, uint len)
        {
            var d = Driver();
            Assert.Equal(VirtioBlock.StatusIoErr, Do(d, VirtioBlock.TypeIn, sector, len, true).Status);
            Assert.Equal(VirtioBlock.StatusIoErr, Do(d, VirtioBlock.TypeOut, sector, len, false).Status);
            Assert.False(d.NeedsReset);
            Assert.Equal(VirtioBlock.StatusOk, Do(d, VirtioBlock.TypeIn, 0, 512, true).Status); // still works
        }

        [Fact]
        public void GetIdReturnsTheSerial()
        {
            var d = Driver();
            var (status, len) = Do(d, VirtioBlock.TypeGetId, 0, 20, true);
            Assert.Equal(VirtioBlock.StatusOk, status);
            Assert.Equal(21u, len);
            Assert.Equal("capvisor-disk-serial", System.Text.Encoding.ASCII.GetString(d.Ram.GetSpan(Data, 20)));
        }

        [Fact]
        public void UnknownTypesAreUnsupported()
        {
            var d = Driver();
            Assert.Equal(VirtioBlock.StatusUnsupp, Do(d, 11 /* DISCARD */, 0, 16, false).Status);
        }

        [Fact]
        public void ARequestWithoutStatusByteNeedsReset()
        {
            var d = Driver();
            WriteHeader(d, VirtioBlock.TypeIn, 0);
            d.Submit(0, (Header, 16, false));
            d.Notify(0);
            Assert.True(d.NeedsReset);
        }

        [Fact]
        public void AShortHeaderNeedsReset()
        {
            var d = Driver();
            d.Submit(0, (Header, 8, false), (Status, 1, true));
            d.Notify(0);
            Assert.True(d.NeedsReset);
        }

        [Fact]
        public void HugeBuffersInsideRamDoNotOverflow()
        {
            var d = Driver();
            WriteHeader(d, VirtioBlock.TypeIn, 0);

            // Many descriptors each covering most of RAM: the total exceeds 4 GiB but stays a long.
            var buffers = new (ulong, uint, bool)[40];
            buffers[0] = (Header, 16, false);
            for (int i = 1; i < buffers.Length - 1; i++)
            {
                buffers[i] = (FakeDriver.RamBase, (uint)FakeDriver.RamSize, true);
            }

            buffers[^1] = (Status, 1, true);
            d.Submit(0, buffers);
            d.Notify(0);
            Assert.False(d.NeedsReset);
            Assert.NotNull(d.TakeUsed(0));
        }
    }
}
