using Capvisor.Board.Virtio;

namespace Capvisor.Board.Tests.Virtio
{
    public sealed class VirtioIndirectTests : IDisposable
    {
        private const ulong Table = FakeDriver.DataBase + 0x4000;
        private readonly FakeDriver _d = new(m => new VirtioRng(1));

        public void Dispose() => _d.Dispose();

        private void Entry(int i, ulong addr, uint len, ushort flags, ushort next)
        {
            var e = _d.Ram.GetSpan(Table + 16 * (ulong)i, 16);
            BitConverter.TryWriteBytes(e, addr);
            BitConverter.TryWriteBytes(e[8..], len);
            BitConverter.TryWriteBytes(e[12..], flags);
            BitConverter.TryWriteBytes(e[14..], next);
        }

        private void SubmitIndirect(uint tableLen, ushort flags = 4)
        {
            _d.WriteDesc(0, 0, Table, tableLen, flags, 0);
            _d.MakeAvailable(0, 0);
            _d.Notify(0);
        }

        [Fact]
        public void IndirectTablesAreServedWhenNegotiated()
        {
            _d.W(0x14, 0);
            Assert.NotEqual(0u, _d.R(0x10) & (1u << 28));
            _d.Initialise(VirtioMmioTransport.FeatureIndirectDesc);
            Entry(0, FakeDriver.DataBase, 16, 1 | 2, 1);
            Entry(1, FakeDriver.DataBase + 0x100, 48, 2, 0);
            SubmitIndirect(32);
            Assert.False(_d.NeedsReset, _d.Transport.Error);
            Assert.Equal((0u, 64u), _d.TakeUsed(0));
        }

        [Fact]
        public void IndirectWithoutNegotiationNeedsReset()
        {
            _d.Initialise();
            Entry(0, FakeDriver.DataBase, 16, 2, 0);
            SubmitIndirect(16);
            Assert.True(_d.NeedsReset);
        }

        [Fact]
        public void NestedIndirectNeedsReset()
        {
            _d.Initialise(VirtioMmioTransport.FeatureIndirectDesc);
            Entry(0, Table, 16, 4, 0);
            SubmitIndirect(16);
            Assert.True(_d.NeedsReset);
        }

        [Theory]
        [InlineData(0u, (ushort)4)]       // empty table
        [InlineData(24u, (ushort)4)]      // not whole descriptors
        [InlineData(16u, (ushort)(4 | 1))] // INDIRECT with NEXT
        [InlineData(16u * 2048, (ushort)4)] // too many entries
        public void BadIndirectDescriptorsNeedReset(uint len, ushort flags)
        {
            _d.Initialise(VirtioMmioTransport.FeatureIndirectDesc);
            Entry(0, FakeDriver.DataBase, 16, 2, 0);
            SubmitIndirect(len, flags);
            Assert.True(_d.NeedsReset);
        }

        [Fact]
        public void ALoopInsideAnIndirectTableNeedsReset()
        {
            _d.Initialise(VirtioMmioTransport.FeatureIndirectDesc);
            Entry(0, FakeDriver.DataBase, 16, 1 | 2, 1);
            Entry(1, FakeDriver.DataBase, 16, 1 | 2, 0);
            SubmitIndirect(32);
            Assert.True(_d.NeedsReset);
            Assert.Contains("loop", _d.Transport.Error);
        }

        [Fact]
        public void AnIndirectNextOutsideTheTableNeedsReset()
        {
            _d.Initialise(VirtioMmioTransport.FeatureIndirectDesc);
            Entry(0, FakeDriver.DataBase, 16, 1 | 2, 5);
            SubmitIndirect(32);
            Assert.True(_d.NeedsReset);
        }

        [Fact]
        public void AnIndirectTableOutsideRamNeedsReset()
        {
            _d.Initialise(VirtioMmioTransport.FeatureIndirectDesc);
            _d.WriteDesc(0, 0, FakeDriver.RamBase + FakeDriver.RamSize - 16, 32, 4, 0);
            _d.MakeAvailable(0, 0);
            _d.Notify(0);
            Assert.True(_d.NeedsReset);
        }
    }
}
