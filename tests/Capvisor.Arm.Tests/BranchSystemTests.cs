using Capvisor.Arm.Tests.Fixtures;

namespace Capvisor.Arm.Tests
{
    /// <summary>Branches, exception-generating and system instructions.</summary>
    public sealed class BranchSystemTests : IDisposable
    {
        private const ulong Code = TestMachine.CodeBase;
        private readonly TestMachine _m = new();

        public void Dispose() => _m.Dispose();

        [Theory]
        [InlineData(0x14000002u, 0ul, 0u, Code + 8)] // b .+8
        [InlineData(0x54000040u, 0ul, 0x4000_0000u, Code + 8)] // b.eq taken
        [InlineData(0x54000040u, 0ul, 0u, Code + 4)] // b.eq not taken
        [InlineData(0x5400004Fu, 0ul, 0u, Code + 8)] // b.nv behaves as always
        [InlineData(0x34000041u, 0x1_0000_0000ul, 0u, Code + 8)] // cbz w1: low 32 bits are zero
        [InlineData(0xB5000041u, 0x1_0000_0000ul, 0u, Code + 8)] // cbnz x1
        [InlineData(0xB6F80041u, 0x8000_0000_0000_0000ul, 0u, Code + 4)] // tbz x1, #63 not taken
        [InlineData(0x37180041u, 8ul, 0u, Code + 8)] // tbnz w1, #3
        [InlineData(0xD61F0020u, 0x4000_1234ul, 0u, 0x4000_1234ul)] // br x1 (PC alignment is checked at fetch)
        [InlineData(0xD65F0020u, 0x4000_5000ul, 0u, 0x4000_5000ul)] // ret x1
        public void Branches(uint word, ulong x1, uint nzcv, ulong expectedPc)
        {
            _m.Cpu.X[1] = x1;
            _m.Cpu.Nzcv = nzcv;
            _m.Load(word);
            _m.Cpu.Pc = Code;
            _m.Cpu.Run(1);
            Assert.Equal(expectedPc, _m.Cpu.Pc);
        }

        [Fact]
        public void BranchWithLink()
        {
            _m.Run(0x94000004u); // bl .+16
            Assert.Equal(Code + 16, _m.Cpu.Pc);
            Assert.Equal(Code + 4, _m.Cpu.X[30]);
            _m.Cpu.X[30] = 0x4000_8000;
            _m.Run(0xD63F03C0u); // blr x30: target read before the link is written
            Assert.Equal(0x4000_8000ul, _m.Cpu.Pc);
            Assert.Equal(Code + 4, _m.Cpu.X[30]);
        }

        [Fact]
        public void IndirectBranchRemovesTheTagWhenTopByteIgnoreIsOn()
        {
            _m.Cpu.X[1] = 0xAB00_0000_4000_1234ul;
            _m.Run(0xD61F0020u); // br x1, TBI0 off: the PC keeps the tag (and the fetch faults later)
            Assert.Equal(0xAB00_0000_4000_1234ul, _m.Cpu.Pc);
            _m.Cpu.TcrEl1 |= 1ul << 37; // TBI0
            _m.Run(0xD61F0020u);
            Assert.Equal(0x4000_1234ul, _m.Cpu.Pc);
            _m.Cpu.X[1] = 0x5A80_0000_0000_1000ul; // bit 55 set: extended into the top byte
            _m.Cpu.TcrEl1 |= 1ul << 38; // TBI1
            _m.Run(0xD65F0020u); // ret x1
            Assert.Equal(0xFF80_0000_0000_1000ul, _m.Cpu.Pc);
        }

        [Fact]
        public void PcRelativeAddresses()
        {
            _m.Run(0x10000800u); // adr x0, .+0x100
            Assert.Equal(Code + 0x100, _m.Cpu.X[0]);
            _m.Ram.WriteWords(Code + 0x124, new[] { 0xF0000000u }); // adrp x0, .+3 pages (immlo = 3)
            _m.Cpu.Pc = Code + 0x124;
            _m.Cpu.Run(1);
            Assert.Equal(Code + 0x3000, _m.Cpu.X[0]);
        }

        [Fact]
        public void SupervisorCallTakesException()
        {
            _m.Run(0xD4000841u); // svc #0x42
            Assert.True(_m.TookException(out uint ec));
            Assert.Equal(0x15u, ec);
            Assert.Equal(0x42ul, _m.Cpu.EsrEl[1] & 0xFFFF);
            Assert.Equal(Code + 4, _m.Cpu.ElrEl[1]);
        }

        [Fact]
        public void BreakpointAndHaltDebug()
        {
            _m.Run(0xD4200060u); // brk #3
            Assert.True(_m.TookException(out uint ec));
            Assert.Equal(0x3Cu, ec);
            Assert.Equal(Code, _m.Cpu.ElrEl[1]);
            foreach (uint word in new[] { 0xD4400000u, 0xD4A00001u, 0xD5287500u })
            {
                _m.Run(word); // hlt, dcps1, sysl: UNDEFINED
                Assert.True(_m.TookException(out ec));
                Assert.Equal(0u, ec);
            }
        }

        [Fact]
        public void HypervisorAndSecureMonitorCallsGoToTheHost()
        {
            _m.Run(0xD4000022u, 0xD4000043u); // hvc #1; smc #2
            Assert.Equal(new[] { ("hvc", (ushort)1), ("smc", (ushort)2) }, _m.Host.Calls);
            Assert.Equal(Code + 8, _m.Cpu.Pc);
        }

        [Fact]
        public void HintsAndBarriersAreNops()
        {
            var words = new uint[] { 0xD503201Fu, 0xD503203Fu, 0xD503209Fu, 0xD50320BFu, 0xD5033BBFu, 0xD5033F9Fu, 0xD5033FDFu, 0xD5033F5Fu, 0xD503245Fu };
            _m.Run(words);
            Assert.Equal(Code + 4 * (ulong)words.Length, _m.Cpu.Pc);
        }

        [Fact]
        public void SystemRegisterAccess()
        {
            _m.Cpu.X[1] = 0x1234;
            _m.Run(0xD51BD041u, 0xD53BD040u); // msr tpidr_el0, x1; mrs x0, tpidr_el0
            Assert.Equal(0x1234ul, _m.Cpu.X[0]);
            _m.Cpu.X[1] = 0xF000_0000;
            _m.Run(0xD51B4201u, 0xD53B4200u); // msr nzcv, x1; mrs x0, nzcv
            Assert.Equal(0xF000_0000ul, _m.Cpu.X[0]);
            _m.Run(0xD5380000u); // mrs x0, midr_el1
            Assert.Equal(Cpu.Midr, _m.Cpu.X[0]);
            _m.Cpu.Daif = 0;
            _m.Run(0xD50342DFu); // msr daifset, #2
            Assert.Equal(Cpu.DaifI, _m.Cpu.Daif);
        }

        [Fact]
        public void DecodedInstructionIsCompact()
        {
            Assert.Equal(32, System.Runtime.CompilerServices.Unsafe.SizeOf<DecodedInst>());
        }

        [Fact]
        public void PstateFieldsAndStackPointerSelection()
        {
            var cpu = _m.Cpu;
            cpu.Sp = 0x4000_9000; // SP_EL1
            cpu.SpEl[0] = 0x4000_7000;
            _m.Run(0xD50040BFu, 0x910003E0u); // msr spsel, #0; mov x0, sp
            Assert.Equal(0x4000_7000ul, cpu.X[0]);
            _m.Run(0xD50041BFu, 0x910003E0u); // msr spsel, #1; mov x0, sp
            Assert.Equal(0x4000_9000ul, cpu.X[0]);
            cpu.Daif = Cpu.DaifI | Cpu.DaifF | Cpu.DaifA;
            _m.Run(0xD50343FFu); // msr daifclr, #3 (I and F)
            Assert.Equal(Cpu.DaifA, cpu.Daif);
            _m.Run(0xD5384240u); // mrs x0, currentel
            Assert.Equal(4ul, cpu.X[0]);
        }

        [Fact]
        public void ExceptionReturn()
        {
            _m.Cpu.ElrEl[1] = 0x4000_4000;
            _m.Cpu.SpsrEl[1] = 0x6000_0000 | 0x5; // EL1h, Z and C
            _m.Run(0xD69F03E0u); // eret
            Assert.Equal(0x4000_4000ul, _m.Cpu.Pc);
            Assert.Equal(0x6000_0000u, _m.Cpu.Nzcv);
        }

        [Fact]
        public void DataCacheZeroByVirtualAddress()
        {
            _m.EnableMmu();
            ulong block = TestMachine.DataBase + 0x40;
            for (int i = 0; i < 24; i++)
            {
                _m.Ram.Write64(block - 32 + (ulong)(8 * i), ulong.MaxValue);
            }

            _m.Cpu.X[1] = block + 5;
            _m.Run(0xD50B7421u); // dc zva, x1
            Assert.Equal(ulong.MaxValue, _m.Ram.Read64(block - 8));
            Assert.Equal(0ul, _m.Ram.Read64(block));
            Assert.Equal(0ul, _m.Ram.Read64(block + 56));
            Assert.Equal(ulong.MaxValue, _m.Ram.Read64(block + 64));
        }
    }
}
