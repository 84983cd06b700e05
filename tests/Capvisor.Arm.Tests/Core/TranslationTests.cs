using Capvisor.Arm;

namespace Capvisor.Arm.Tests.Core
{
    /// <summary>Stage-1 translation, the software TLB and the data/instruction abort syndromes.</summary>
    public sealed class TranslationTests : IDisposable
    {
        private const ulong Vbar = CoreMachine.RamBase + 0x10_0000;
        private const ulong L0 = CoreMachine.RamBase + 0x20_0000;
        private const ulong L1 = L0 + 0x1000, L2 = L0 + 0x2000, L3 = L0 + 0x3000;
        private const ulong PageAttrs = 0x3 | (1ul << 10) | (3ul << 8); // valid page, AF, inner shareable

        private readonly CoreMachine _m = new();
        private Cpu Cpu => _m.Cpu;

        public TranslationTests()
        {
            Cpu.WriteSystemRegister(SysReg.VBAR_EL1, 0, Vbar);
            Cpu.Pc = CoreMachine.RamBase;
        }

        public void Dispose() => _m.Dispose();

        private ulong Esr => Cpu.EsrEl[1];

        /// <summary>
        /// Maps VA 0x0000_0000_0010_0000 + i pages (TTBR0, 48-bit VA) onto RAM page i with the
        /// given extra descriptor bits, identity-maps RAM with a 2 MiB block at L2, and enables the MMU.
        /// </summary>
        private void EnableMmu(ulong extraBits = 0, int pages = 4)
        {
            _m.Poke64(L0, L1 | 3);
            _m.Poke64(L1 + 8 * 0, L2 | 3); // VA 0..1 GiB
            _m.Poke64(L2 + 8 * 0, L3 | 3); // VA 0..2 MiB
            for (int i = 0; i < pages; i++)
            {
                _m.Poke64(L3 + 8 * (ulong)(0x100 + i), (CoreMachine.RamBase + (ulong)i * 0x1000) | PageAttrs | extraBits);
            }

            _m.Poke64(L1 + 8 * 1, CoreMachine.RamBase | 1 | (1ul << 10)); // 1 GiB block identity for RAM
            Cpu.WriteSystemRegister(SysReg.MAIR_EL1, 0, 0xFF);
            Cpu.WriteSystemRegister(SysReg.TCR_EL1, 0, 16 | (16 << 16) | (2ul << 30) | (5ul << 32));
            Cpu.WriteSystemRegister(SysReg.TTBR0_EL1, 0, L0);
            Cpu.WriteSystemRegister(SysReg.SCTLR_EL1, 0, Cpu.SctlrEl[1] | 1);
        }

        [Fact]
        public void MmuOffIsFlatAndUnmappedPhysicalAddressIsExternalAbort()
        {
            Cpu.Write(CoreMachine.RamBase + 0x100, 8, 0x1122334455667788);
            Assert.Equal(0x1122334455667788ul, Cpu.Read(CoreMachine.RamBase + 0x100, 8));
            Assert.Equal(0x55ul, Cpu.Read(CoreMachine.RamBase + 0x103, 1));

            Assert.True(_m.Faults(() => Cpu.Read(0x1000_0000, 4)));
            Assert.Equal(0x25ul, Esr >> 26); // data abort, same EL
            Assert.Equal(1ul, (Esr >> 25) & 1); // IL
            Assert.Equal(0x10ul, Esr & 0x3F); // synchronous external abort
            Assert.Equal(0ul, (Esr >> 6) & 1); // read
            Assert.Equal(0x1000_0000ul, Cpu.FarEl[1]);
            Assert.Equal(Vbar + 0x200, Cpu.Pc); // current EL with SP_ELx, synchronous
            Assert.Equal(CoreMachine.RamBase, Cpu.ElrEl[1]);
        }

        [Fact]
        public void DeviceAccessesGoToTheBus()
        {
            Cpu.Write(CoreMachine.DeviceBase + 4, 4, 0xABCD);
            Assert.Equal((CoreMachine.DeviceBase + 4, 4, 0xABCDul), Assert.Single(_m.DeviceWrites));
            Assert.Equal(0x5Aul, Cpu.Read(CoreMachine.DeviceBase, 1));
        }

        [Fact]
        public void PageTranslationAndAccessFlagFaultWithLevel()
        {
            EnableMmu();
            _m.Poke64(CoreMachine.RamBase + 0x1008, 42);
            Assert.Equal(42ul, Cpu.Read(0x10_1008, 8));

            // A descriptor with AF = 0 faults at level 3 once the TLB is invalidated.
            _m.Poke64(L3 + 8 * 0x102, (CoreMachine.RamBase + 0x2000) | 3 | (3ul << 8));
            Cpu.SystemInstruction(SysReg.Encode(1, 0, 8, 7, 0), 31); // TLBI VMALLE1
            Assert.True(_m.Faults(() => Cpu.Write(0x10_2010, 4, 1)));
            Assert.Equal(0x0Bul, Esr & 0x3F); // access flag fault, level 3
            Assert.Equal(1ul, (Esr >> 6) & 1); // WnR
            Assert.Equal(0x10_2010ul, Cpu.FarEl[1]);
        }

        [Fact]
        public void TranslationFaultReportsTheLevelOfTheInvalidDescriptor()
        {
            EnableMmu();
            Assert.True(_m.Faults(() => Cpu.Read(0x10_8000, 8))); // L3 entry empty
            Assert.Equal(0x07ul, Esr & 0x3F);
            Assert.True(_m.Faults(() => Cpu.Read(0x20_0000, 8))); // L2 entry 1 empty
            Assert.Equal(0x06ul, Esr & 0x3F);
            Assert.True(_m.Faults(() => Cpu.Read(0x8000_0000, 8))); // L1 entry 2 empty
            Assert.Equal(0x05ul, Esr & 0x3F);
            Assert.True(_m.Faults(() => Cpu.Read(0x0080_0000_0000, 8))); // L0 entry 1 empty
            Assert.Equal(0x04ul, Esr & 0x3F);
            Assert.True(_m.Faults(() => Cpu.Read(0x0001_0000_0000_0000, 8))); // outside the 48-bit range
            Assert.Equal(0x04ul, Esr & 0x3F);
        }

        [Fact]
        public void TlbKeepsTheOldTranslationUntilTlbi()
        {
            EnableMmu();
            _m.Poke64(CoreMachine.RamBase + 0x0000, 1);
            _m.Poke64(CoreMachine.RamBase + 0x3000, 2);
            Assert.Equal(1ul, Cpu.Read(0x10_0000, 8));
            _m.Poke64(L3 + 8 * 0x100, (CoreMachine.RamBase + 0x3000) | PageAttrs);
            Assert.Equal(1ul, Cpu.Read(0x10_0000, 8)); // cached, as hardware may
            Cpu.SystemInstruction(SysReg.Encode(1, 0, 8, 3, 0), 31); // TLBI VMALLE1IS
            Assert.Equal(2ul, Cpu.Read(0x10_0000, 8));
        }

        [Fact]
        public void PermissionFaults()
        {
            EnableMmu(extraBits: 2ul << 6); // AP = 10: EL1 read-only, no EL0 access
            Assert.Equal(0ul, Cpu.Read(0x10_0000, 8));
            Assert.True(_m.Faults(() => Cpu.Write(0x10_0000, 8, 1)));
            Assert.Equal(0x0Ful, Esr & 0x3F); // permission fault, level 3
            Assert.True(_m.Faults(() => Cpu.Read(0x10_0000, 8, AccessFlags.Unprivileged)));
            Assert.Equal(0x0Ful, Esr & 0x3F);
        }

        [Fact]
        public void El0WritablePageIsNotExecutableAtEl1()
        {
            EnableMmu(extraBits: 1ul << 6); // AP = 01: EL0 and EL1 read/write
            Cpu.SpsrEl[1] = 0x5; // EL1h
            Cpu.ElrEl[1] = 0x10_0000;
            Cpu.ExceptionReturn();
            Cpu.Pc = Cpu.NextPc;
            Assert.Equal(CpuExit.Budget, Cpu.Run(1));
            Assert.Equal(0x21ul, Esr >> 26); // instruction abort, same EL
            Assert.Equal(0x0Ful, Esr & 0x3F);
            Assert.Equal(0x10_0000ul, Cpu.FarEl[1]);
            Assert.Equal(0x10_0000ul, Cpu.ElrEl[1]);
        }

        [Fact]
        public void AddressTranslationWritesPar()
        {
            EnableMmu();
            Cpu.X[1] = 0x10_2345;
            Cpu.SystemInstruction(SysReg.Encode(1, 0, 7, 8, 0), 1); // AT S1E1R, X1
            ulong par = Cpu.ReadSystemRegister(SysReg.PAR_EL1, 0);
            Assert.Equal(0ul, par & 1);
            Assert.Equal(CoreMachine.RamBase + 0x2000, par & 0x0000_FFFF_FFFF_F000);
            Assert.Equal(0xFFul, par >> 56);

            Cpu.X[1] = 0x10_8000;
            Cpu.SystemInstruction(SysReg.Encode(1, 0, 7, 8, 0), 1);
            par = Cpu.ReadSystemRegister(SysReg.PAR_EL1, 0);
            Assert.Equal(1ul, par & 1);
            Assert.Equal(0x07ul, (par >> 1) & 0x3F); // FST: translation fault, level 3
        }

        [Fact]
        public void UnalignedAccessesWorkUnlessSctlrAIsSet()
        {
            Cpu.Write(CoreMachine.RamBase + 0xFFD, 8, 0x0102030405060708); // crosses a page
            Assert.Equal(0x0102030405060708ul, Cpu.Read(CoreMachine.RamBase + 0xFFD, 8));
            Assert.True(_m.Faults(() => Cpu.Read(CoreMachine.RamBase + 1, 4, AccessFlags.AlignmentRequired)));
            Assert.Equal(0x21ul, Esr & 0x3F);
            Cpu.WriteSystemRegister(SysReg.SCTLR_EL1, 0, Cpu.SctlrEl[1] | 2);
            Assert.True(_m.Faults(() => Cpu.Read(CoreMachine.RamBase + 2, 4)));
            Assert.Equal(0x21ul, Esr & 0x3F);
        }
    }
}
