using Capvisor.Arm.Tests.Fixtures;

namespace Capvisor.Arm.Tests
{
    /// <summary>
    /// The pre-decoded page cache of the execution loop: code changed by the guest or the host
    /// runs as changed, pages that share a cache block do not see each other's decodings, an
    /// empty entry is not mistaken for a decoded one, and a run ends where its last instruction
    /// asked it to.
    /// </summary>
    public sealed class DecodeCacheTests : IDisposable
    {
        private const ulong Code = TestMachine.CodeBase;
        private const uint MovzX0_1 = 0xD2800020u; // movz x0, #1
        private const uint MovzX0_2 = 0xD2800040u; // movz x0, #2
        private readonly TestMachine _m = new();

        public void Dispose() => _m.Dispose();

        [Fact]
        public void GuestStoreOverAnExecutedInstructionTakesEffect()
        {
            _m.Cpu.X[1] = MovzX0_2;
            _m.Cpu.X[2] = Code;
            _m.Load(MovzX0_1, 0xB9000041u /* str w1, [x2] */, 0x17FFFFFEu /* b .-8 */);
            _m.Cpu.Pc = Code;
            _m.Cpu.Run(1);
            Assert.Equal(1ul, _m.Cpu.X[0]);
            _m.Cpu.Run(3); // str, b, then the rewritten instruction in the same run
            Assert.Equal(2ul, _m.Cpu.X[0]);
            Assert.Equal(Code + 4, _m.Cpu.Pc);
        }

        [Fact]
        public void HostWriteBetweenRunsTakesEffect()
        {
            _m.Run(MovzX0_1);
            Assert.Equal(1ul, _m.Cpu.X[0]);
            _m.Run(MovzX0_2); // loader/DMA-style write of the same address
            Assert.Equal(2ul, _m.Cpu.X[0]);
        }

        [Fact]
        public void PagesSharingACacheBlockKeepTheirOwnInstructions()
        {
            // 8 MiB apart: the host pages fall in the same block of the page cache (2048 slots),
            // and each page has a different instruction at the same offsets.
            const ulong other = Code + 0x80_0000;
            _m.Load(0x91000400u /* add x0, x0, #1 */, 0x141FFFFFu /* b other */);
            _m.Ram.WriteWords(other, [0x91000421u /* add x1, x1, #1 */, 0x17DFFFFFu /* b Code */]);
            _m.Cpu.Pc = Code;
            _m.Cpu.Run(4 * 5);
            Assert.Equal(5ul, _m.Cpu.X[0]);
            Assert.Equal(5ul, _m.Cpu.X[1]);
            Assert.Equal(Code, _m.Cpu.Pc);
        }

        [Fact]
        public void CpusSharingDecodedPagesRunTheirOwnCode()
        {
            // Same page offsets, pages 8 MiB apart (same block), run alternately as a board does.
            const ulong other = Code + 0x80_0000;
            var second = new Cpu(1, _m.Ram, new FakeHost());
            second.ShareDecodedPages(_m.Cpu);
            second.PowerOn(other, 0, el: 1);
            _m.Load(0x91000400u /* add x0, x0, #1 */, 0x17FFFFFFu /* b .-4 */);
            _m.Ram.WriteWords(other, [0x91000421u /* add x1, x1, #1 */, 0x17FFFFFFu]);
            _m.Cpu.Pc = Code;
            for (int i = 0; i < 3; i++)
            {
                _m.Cpu.Run(4);
                second.Run(4);
            }

            Assert.Equal((6ul, 0ul), (_m.Cpu.X[0], _m.Cpu.X[1]));
            Assert.Equal((0ul, 6ul), (second.X[0], second.X[1]));
        }

        [Fact]
        public void ZeroWordInAFreshPageIsUndefined()
        {
            // An empty cache entry has Raw = 0; executing the word 0 (UDF #0) must still be UNDEFINED.
            _m.Cpu.Pc = Code + 0x5000;
            _m.Cpu.Run(1);
            Assert.True(_m.TookException(out uint ec));
            Assert.Equal(0u, ec);
            Assert.Equal(Code + 0x5000, _m.Cpu.ElrEl[1]);
        }

        [Fact]
        public void WaitAsTheBudgetsLastInstructionEndsTheRunWithWait()
        {
            Assert.Equal(CpuExit.Wait, _m.Run(0xD503201Fu /* nop */, 0xD503207Fu /* wfi */));
            Assert.True(_m.Cpu.Waiting);
            Assert.Equal(CpuExit.Wait, _m.Cpu.Run(10));
            _m.Cpu.SendEvent();
            _m.Load(0xD503201Fu, 0xD503207Fu, MovzX0_2);
            Assert.Equal(CpuExit.Budget, _m.Cpu.Run(1));
            Assert.Equal(2ul, _m.Cpu.X[0]);
            Assert.False(_m.Cpu.Waiting);
        }
    }
}
