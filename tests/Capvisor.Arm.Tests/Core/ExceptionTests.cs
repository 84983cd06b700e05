using Capvisor.Arm;

namespace Capvisor.Arm.Tests.Core
{
    /// <summary>Exception entry and return, PSTATE, and system-register access rules.</summary>
    public sealed class ExceptionTests : IDisposable
    {
        private const ulong Vbar = CoreMachine.RamBase + 0x10_0000;
        private readonly CoreMachine _m = new();
        private Cpu Cpu => _m.Cpu;

        private const uint Nop = 0xD503201F;

        public ExceptionTests()
        {
            Cpu.WriteSystemRegister(SysReg.VBAR_EL1, 0, Vbar);
            // Each vector entry starts with a NOP, so Run(1) stops just after entering it.
            for (ulong offset = 0; offset < 0x800; offset += 0x80)
            {
                Cpu.Write(Vbar + offset, 4, Nop);
            }
        }

        public void Dispose() => _m.Dispose();

        private void EnterEl0(ulong pc)
        {
            Cpu.SpsrEl[1] = 0; // EL0t, DAIF clear, NZCV clear
            Cpu.ElrEl[1] = pc;
            Cpu.ExceptionReturn();
            Cpu.Pc = Cpu.NextPc;
        }

        [Fact]
        public void SvcFromEl0GoesToLowerElVectorWithSyndrome()
        {
            EnterEl0(CoreMachine.RamBase + 0x40);
            Assert.Equal(0, Cpu.CurrentEl);
            Cpu.Nzcv = 0x6000_0000;
            Cpu.NextPc = Cpu.Pc + 4;
            Assert.Throws<ArchitecturalException>(() => Cpu.SupervisorCall(0x1234));
            Assert.Equal(1, Cpu.CurrentEl);
            Assert.Equal(Vbar + 0x400, Cpu.Pc);
            Assert.Equal((0x15ul << 26) | (1ul << 25) | 0x1234, Cpu.EsrEl[1]);
            Assert.Equal(CoreMachine.RamBase + 0x44, Cpu.ElrEl[1]);
            Assert.Equal(0x6000_0000ul, Cpu.SpsrEl[1]);
            Assert.Equal(0x3C0u, Cpu.Daif);
        }

        [Fact]
        public void UndefinedAtEl1WithSp0UsesCurrentElSp0Vector()
        {
            Cpu.WritePstateField(0, 5, 0); // SPSel = 0
            Cpu.Pc = CoreMachine.RamBase + 0x80;
            Assert.Throws<ArchitecturalException>(() => Cpu.Undefined());
            Assert.Equal(Vbar, Cpu.Pc);
            Assert.Equal(0x0200_0000ul, Cpu.EsrEl[1]); // EC 0, IL 1
            Assert.Equal(0x3C4ul, Cpu.SpsrEl[1]); // EL1t, DAIF masked
            Assert.Equal(1, Cpu.SpSel);
        }

        [Fact]
        public void El1RegistersAreUndefinedAtEl0AndTrappedRegistersTrap()
        {
            EnterEl0(CoreMachine.RamBase);
            Assert.Throws<ArchitecturalException>(() => Cpu.ReadSystemRegister(SysReg.MIDR_EL1, 3));
            Assert.Equal(0ul, Cpu.EsrEl[1] >> 26);

            EnterEl0(CoreMachine.RamBase);
            Assert.Throws<ArchitecturalException>(() => Cpu.ReadSystemRegister(SysReg.CTR_EL0, 5)); // SCTLR.UCT = 0
            Assert.Equal(0x18ul, Cpu.EsrEl[1] >> 26);
            Assert.Equal((3u << 20) | (1u << 17) | (3u << 14) | (5u << 5) | 1u, (uint)Cpu.EsrEl[1] & 0x1FF_FFFF);
        }

        [Fact]
        public void IllegalExceptionReturnSetsIlAndFaultsOnNextInstruction()
        {
            Cpu.SpsrEl[1] = 0x9; // EL2h: higher than the current EL
            Cpu.ElrEl[1] = CoreMachine.RamBase + 0x100;
            Cpu.ExceptionReturn();
            Cpu.Pc = Cpu.NextPc;
            Assert.True(Cpu.IllegalState);
            Assert.Equal(1, Cpu.CurrentEl);
            Cpu.Run(1);
            Assert.Equal(Vbar + 0x204, Cpu.Pc);
            Assert.Equal(0x0Eul, Cpu.EsrEl[1] >> 26);
            Assert.Equal(CoreMachine.RamBase + 0x100, Cpu.ElrEl[1]);
            Assert.NotEqual(0ul, Cpu.SpsrEl[1] & (1ul << 20));
            Assert.False(Cpu.IllegalState);
        }

        [Fact]
        public void IrqIsTakenWhenUnmasked()
        {
            Cpu.Pc = CoreMachine.RamBase + 0x200;
            Cpu.IrqLine = true;
            Cpu.WritePstateField(3, 7, 0xF); // DAIFClr
            Cpu.Run(1);
            Assert.Equal(Vbar + 0x200 + 0x80 + 4, Cpu.Pc);
            Assert.Equal(CoreMachine.RamBase + 0x200, Cpu.ElrEl[1]);
        }

        [Fact]
        public void SevGoesToTheHostAndSevlStaysLocal()
        {
            Cpu.Pc = CoreMachine.RamBase + 0x300;
            Cpu.Write(Cpu.Pc, 4, 0xD50320BF); // SEVL
            Cpu.Write(Cpu.Pc + 4, 4, 0xD503205F); // WFE: consumes the local event
            Cpu.Write(Cpu.Pc + 8, 4, 0xD503209F); // SEV
            Assert.Equal(CpuExit.Budget, Cpu.Run(2));
            Assert.False(Cpu.Waiting);
            Assert.Equal(0, _m.EventBroadcasts);
            Cpu.Run(1);
            Assert.Equal(1, _m.EventBroadcasts);
        }

        [Fact]
        public void FpAccessTrapsUntilCpacrEnablesIt()
        {
            Assert.Throws<ArchitecturalException>(() => Cpu.CheckFpEnabled());
            Assert.Equal((0x07ul << 26) | (1ul << 25) | (1ul << 24) | (0xEul << 20), Cpu.EsrEl[1]);
            Cpu.WriteSystemRegister(SysReg.CPACR_EL1, 0, 3ul << 20);
            Cpu.CheckFpEnabled();
        }

        [Fact]
        public void HvcGoesToTheHostAndUnhandledHvcIsUndefined()
        {
            Cpu.HypervisorCall(0);
            Assert.Equal(new ushort[] { 0 }, _m.HypervisorCalls);
            Assert.Throws<ArchitecturalException>(() => Cpu.HypervisorCall(7));
            Assert.Equal(0ul, Cpu.EsrEl[1] >> 26);
        }
    }
}
