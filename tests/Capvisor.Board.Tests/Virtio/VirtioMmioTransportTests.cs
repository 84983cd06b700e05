using System.Buffers.Binary;
using Capvisor.Board.Virtio;

namespace Capvisor.Board.Tests.Virtio
{
    public sealed class VirtioMmioTransportTests : IDisposable
    {
        private readonly FakeDriver _d = new(m => new VirtioRng(1));

        public void Dispose() => _d.Dispose();

        private (ulong, uint, bool) Buffer(uint len) => (FakeDriver.DataBase, len, true);

        [Fact]
        public void IdentifiesAsAModernDevice()
        {
            Assert.Equal(0x74726976u, _d.R(0x000));
            Assert.Equal(2u, _d.R(0x004));
            Assert.Equal(4u, _d.R(0x008));
            Assert.Equal(0x554D4551u, _d.R(0x00C));
            _d.W(0x14, 1);
            Assert.Equal(1u, _d.R(0x10)); // VIRTIO_F_VERSION_1 is bit 32
            _d.W(0x30, 0);
            Assert.Equal(8u, _d.R(0x34));
            _d.W(0x30, 5);
            Assert.Equal(0u, _d.R(0x34)); // no queue 5
        }

        [Fact]
        public void FeaturesOkIsRefusedWithoutVersion1OrWithUnofferedBits()
        {
            _d.W(0x70, 3);
            _d.W(0x24, 1);
            _d.W(0x20, 0); // legacy driver
            _d.W(0x70, 3 | 8);
            Assert.Equal(3u, _d.R(0x70));
            _d.W(0x20, 1 | 0x8000_0000); // an unoffered bit
            _d.W(0x70, 3 | 8);
            Assert.Equal(3u, _d.R(0x70));
        }

        [Fact]
        public void ProcessesARequestAndInterrupts()
        {
            _d.Initialise();
            ushort head = _d.Submit(0, Buffer(64));
            _d.Notify(0);
            Assert.Equal((head, 64u), _d.TakeUsed(0));
            Assert.Equal(1u, _d.R(0x60));
            Assert.True(_d.Irq.Level);
            _d.W(0x64, 1);
            Assert.Equal(0u, _d.R(0x60));
            Assert.False(_d.Irq.Level);
        }

        [Fact]
        public void ResetClearsEverything()
        {
            _d.Initialise();
            _d.Submit(0, Buffer(8));
            _d.Notify(0);
            _d.W(0x70, 0);
            Assert.Equal(0u, _d.R(0x70));
            Assert.Equal(0u, _d.R(0x60));
            Assert.False(_d.Irq.Level);
            _d.W(0x30, 0);
            Assert.Equal(0u, _d.R(0x44));
        }

        [Fact]
        public void NarrowRegisterAccessesAreHarmless()
        {
            Assert.True(_d.Transport.Read(0x0, 1, out ulong v));
            Assert.Equal(0ul, v);
            Assert.True(_d.Transport.Write(0x70, 2, 0xFFFF));
            Assert.Equal(0u, _d.R(0x70));
            Assert.False(_d.Transport.Read(0x200, 4, out _));
        }

        [Fact]
        public void NotifyingAQueueThatIsNotReadyNeedsReset()
        {
            _d.Initialise();
            _d.W(0x30, 0);
            _d.W(0x44, 0); // the driver takes the queue down, then notifies it
            _d.Notify(0);
            Assert.True(_d.NeedsReset);
            Assert.Equal(2u, _d.R(0x60) & 2); // configuration-change interrupt
            Assert.True(_d.Irq.Level);
        }

        [Fact]
        public void NotifyingANonexistentQueueIsIgnored()
        {
            _d.Initialise();
            _d.Notify(7);
            _d.W(0x50, 0xFFFF_FFFF);
            Assert.False(_d.NeedsReset);
        }

        [Fact]
        public void ADescriptorLoopNeedsResetInsteadOfHanging()
        {
            _d.Initialise();
            _d.WriteDesc(0, 0, FakeDriver.DataBase, 16, 1 | 2, 1);
            _d.WriteDesc(0, 1, FakeDriver.DataBase, 16, 1 | 2, 0);
            _d.MakeAvailable(0, 0);
            _d.Notify(0);
            Assert.True(_d.NeedsReset);
            Assert.Contains("loop", _d.Transport.Error);
            Assert.Null(_d.TakeUsed(0));
        }

        [Fact]
        public void ASelfLoopNeedsReset()
        {
            _d.Initialise();
            _d.WriteDesc(0, 3, FakeDriver.DataBase, 16, 1 | 2, 3);
            _d.MakeAvailable(0, 3);
            _d.Notify(0);
            Assert.True(_d.NeedsReset);
        }

        [Theory]
        [InlineData(0x1000ul, 16u)]                        // below RAM
        [InlineData(FakeDriver.RamBase + FakeDriver.RamSize - 8, 16u)] // straddles the end
        [InlineData(FakeDriver.RamBase, 0xFFFF_FFFFu)]      // huge length
        [InlineData(0xFFFF_FFFF_FFFF_FFF0ul, 0x100u)]       // address + length wraps
        public void BuffersOutsideRamNeedReset(ulong addr, uint len)
        {
            _d.Initialise();
            _d.Submit(0, (addr, len, true));
            _d.Notify(0);
            Assert.True(_d.NeedsReset);
            Assert.Null(_d.TakeUsed(0));
        }

        [Fact]
        public void AHeadIndexOutsideTheQueueNeedsReset()
        {
            _d.Initialise();
            _d.MakeAvailable(0, 200);
            _d.Notify(0);
            Assert.True(_d.NeedsReset);
        }

        [Fact]
        public void ANextIndexOutsideTheQueueNeedsReset()
        {
            _d.Initialise();
            _d.WriteDesc(0, 0, FakeDriver.DataBase, 16, 1 | 2, 0xFFFF);
            _d.MakeAvailable(0, 0);
            _d.Notify(0);
            Assert.True(_d.NeedsReset);
        }

        [Fact]
        public void AnAvailableIndexTooFarAheadNeedsReset()
        {
            _d.Initialise();
            _d.SetAvailIdx(0, 0x8000);
            _d.Notify(0);
            Assert.True(_d.NeedsReset);
        }

        [Fact]
        public void AvailableIndicesWrapAround()
        {
            _d.Initialise(queueSize: 8);
            for (int i = 0; i < 70_000; i += 1)
            {
                _d.Submit(0, Buffer(4));
                _d.Notify(0);
                Assert.NotNull(_d.TakeUsed(0));
            }

            Assert.False(_d.NeedsReset);
            Assert.Equal(unchecked((ushort)70_000), _d.UsedIdx(0));
        }

        [Fact]
        public void IndirectDescriptorsAreRefusedWhenNotOffered()
        {
            _d.Initialise();
            _d.WriteDesc(0, 0, FakeDriver.DataBase, 16, 4, 0);
            _d.MakeAvailable(0, 0);
            _d.Notify(0);
            Assert.True(_d.NeedsReset);
        }

        [Fact]
        public void AReadableBufferAfterAWritableOneNeedsReset()
        {
            _d.Initialise();
            _d.Submit(0, (FakeDriver.DataBase, 8, true), (FakeDriver.DataBase, 8, false));
            _d.Notify(0);
            Assert.True(_d.NeedsReset);
        }

        [Theory]
        [InlineData(3)]      // not a power of 2
        [InlineData(16)]     // above QueueNumMax (8)
        public void ABadQueueSizeNeedsReset(int size)
        {
            _d.W(0x70, 3);
            _d.W(0x24, 1);
            _d.W(0x20, 1);
            _d.W(0x70, 3 | 8);
            _d.SetUpQueue(0, size);
            Assert.True(_d.NeedsReset);
            Assert.Equal(0u, _d.R(0x44));
        }

        [Fact]
        public void ARingOutsideRamNeedsReset()
        {
            _d.W(0x70, 3);
            _d.SetUpQueue(0, 8, desc: 0x1000);
            Assert.True(_d.NeedsReset);
        }

        [Fact]
        public void AMisalignedRingNeedsReset()
        {
            _d.W(0x70, 3);
            _d.SetUpQueue(0, 8, desc: FakeDriver.Desc(0) + 2);
            Assert.True(_d.NeedsReset);
        }

        [Fact]
        public void ABrokenDeviceDoesNothingUntilReset()
        {
            _d.Initialise();
            _d.MakeAvailable(0, 200);
            _d.Notify(0);
            Assert.True(_d.NeedsReset);
            _d.Notify(0);
            Assert.Null(_d.TakeUsed(0));

            _d.W(0x70, 0);
            Assert.False(_d.NeedsReset);
            Assert.Null(_d.Transport.Error);
        }

        [Fact]
        public void ReinitialisingAfterResetWorks()
        {
            _d.Initialise();
            _d.MakeAvailable(0, 200);
            _d.Notify(0);
            Assert.True(_d.NeedsReset);
            _d.W(0x70, 0);
            _d.Ram.GetSpan(FakeDriver.RamBase, 0x2_0000).Clear();
            // Same transport, rings zeroed: a fresh initialisation serves requests again.
            _d.Initialise();
            ushort head = 0;
            _d.WriteDesc(0, 0, FakeDriver.DataBase, 8, 2, 0);
            BinaryPrimitives.WriteUInt16LittleEndian(_d.Ram.GetSpan(FakeDriver.Avail(0) + 4, 2), head);
            _d.SetAvailIdx(0, 1);
            _d.Notify(0);
            Assert.False(_d.NeedsReset);
            Assert.Equal(1, _d.UsedIdx(0));
        }

        [Fact]
        public void RequestsBeforeDriverOkWaitUntilDriverOk()
        {
            _d.W(0x70, 3);
            _d.W(0x24, 1);
            _d.W(0x20, 1);
            _d.W(0x70, 3 | 8);
            _d.SetUpQueue(0, 8);
            _d.Submit(0, Buffer(8));
            _d.Notify(0);
            Assert.Equal(0, _d.UsedIdx(0));
            _d.W(0x70, 3 | 8 | 4);
            Assert.Equal(1, _d.UsedIdx(0));
        }

        [Fact]
        public void NoInterruptFlagSuppressesTheInterrupt()
        {
            _d.Initialise();
            BinaryPrimitives.WriteUInt16LittleEndian(_d.Ram.GetSpan(FakeDriver.Avail(0), 2), 1);
            _d.Submit(0, Buffer(8));
            _d.Notify(0);
            Assert.NotNull(_d.TakeUsed(0));
            Assert.False(_d.Irq.Level);
        }
    }
}
