using Capvisor.Arm;

namespace Capvisor.Arm.Tests.Core
{
    /// <summary>
    /// Stage-2 translation for the EL1&amp;0 regime as C# firmware at EL2 programs it (HCR_EL2.VM,
    /// VTCR_EL2, VTTBR_EL2): walks of stage-2 tables, faults reported to EL2 with ESR/FAR/HPFAR
    /// and the load/store syndrome, and the firmware's completion and injection helpers.
    /// </summary>
    public sealed class Stage2Tests : IDisposable
    {
        // IPA 0x8000_0000 (code page), +0x1000 (data, read/write), +0x2000 (read-only),
        // +0x3000 (execute-never), +0x4000 (access flag 0); IPA 0x8000_5000 and up unmapped.
        private const ulong CodeIpa = 0x8000_0000;
        private const ulong DataIpa = CodeIpa + 0x1000, ReadOnlyIpa = CodeIpa + 0x2000, XnIpa = CodeIpa + 0x3000;
        private const ulong NoAfIpa = CodeIpa + 0x4000, UnmappedIpa = CodeIpa + 0x5000;
        private const ulong Backing = CoreMachine.RamBase + 0x10_0000; // PA of IPA 0x8000_0000
        private const ulong Root = CoreMachine.RamBase + 0xE0_0000, S2L2 = Root + 0x1000, S2L3 = Root + 0x2000;
        private const ulong Vbar = Backing + 0x8000;
        private const ulong Rw = (1ul << 6) | (1ul << 7), Af = 1ul << 10, Normal = 0xFul << 2;
        private const ulong Wfi = 0xD503207F, Loop = 0x14000000;

        private readonly CoreMachine _m = new();
        private Cpu Cpu => _m.Cpu;

        public Stage2Tests()
        {
            // IPA width 32 (T0SZ 32), start level 1 (SL0 = 1): four root entries.
            _m.Poke64(Root + 8 * 2, S2L2 | 3);
            _m.Poke64(S2L2 + 8 * 0, S2L3 | 3);
            _m.Poke64(S2L3 + 8 * 0, Backing | 3 | Af | Rw | Normal);
            _m.Poke64(S2L3 + 8 * 1, (Backing + 0x1000) | 3 | Af | Rw | Normal);
            _m.Poke64(S2L3 + 8 * 2, (Backing + 0x2000) | 3 | Af | (1ul << 6) | Normal);
            _m.Poke64(S2L3 + 8 * 3, (Backing + 0x3000) | 3 | Af | Rw | Normal | (1ul << 54));
            _m.Poke64(S2L3 + 8 * 4, (Backing + 0x4000) | 3 | Rw | Normal);
            _m.Poke64(S2L3 + 8 * 8, (Backing + 0x8000) | 3 | Af | Rw | Normal); // vectors at IPA +0x8000
            Cpu.VtcrEl2 = 32 | (1ul << 6) | (2ul << 16);
            Cpu.VttbrEl2 = Root | (5ul << 48);
            Cpu.HcrEl2 = 1;
            Cpu.FlushTlb();
            Cpu.VbarEl[1] = CodeIpa + 0x8000;
            Cpu.Pc = CodeIpa;
        }

        public void Dispose() => _m.Dispose();

        private void Code(params ulong[] words)
        {
            for (int i = 0; i < words.Length; i++)
            {
                ulong pa = Backing + 4 * (ulong)i;
                ulong old = _m.Peek64(pa & ~7ul);
                int shift = (int)(pa & 4) * 8;
                _m.Poke64(pa & ~7ul, (old & ~(0xFFFF_FFFFul << shift)) | (words[i] << shift));
            }
        }

        private static ulong Ec(ulong esr) => esr >> 26;

        [Fact]
        public void LoadsAndStoresGoThroughStage2()
        {
            _m.Poke64(Backing + 0x1010, 0x1122_3344_5566_7788);
            Code(0xF9400041, 0xF90000C5, Loop); // ldr x1, [x2]; str x5, [x6]; b .
            Cpu.X[2] = DataIpa + 0x10;
            Cpu.X[5] = 0xCAFE;
            Cpu.X[6] = DataIpa + 0x20;
            Assert.Equal(CpuExit.Budget, Cpu.Run(3));
            Assert.Equal(0x1122_3344_5566_7788ul, Cpu.X[1]);
            Assert.Equal(0xCAFEul, _m.Peek64(Backing + 0x1020));
            Assert.Equal(CodeIpa + 8, Cpu.Pc);
        }

        [Fact]
        public void UnmappedStoreExitsToEl2WithAnEmulatableSyndrome()
        {
            Code(0xF90000C5, Loop); // str x5, [x6]
            Cpu.X[5] = 0xAB;
            Cpu.X[6] = UnmappedIpa + 0x18;
            Assert.Equal(CpuExit.Hypervisor, Cpu.Run(10));
            Assert.Equal(CodeIpa, Cpu.Pc);
            ulong esr = Cpu.EsrEl2;
            Assert.Equal(0x24ul, Ec(esr));
            Assert.Equal(1ul, (esr >> 24) & 1); // ISV
            Assert.Equal(3ul, (esr >> 22) & 3); // SAS: doubleword
            Assert.Equal(5ul, (esr >> 16) & 0x1F); // SRT
            Assert.Equal(1ul, (esr >> 15) & 1); // SF
            Assert.Equal(1ul, (esr >> 6) & 1); // WnR
            Assert.Equal(0x07ul, esr & 0x3F); // translation fault, level 3
            Assert.Equal(UnmappedIpa + 0x18, Cpu.FarEl2);
            Assert.Equal((UnmappedIpa >> 12) << 4, Cpu.HpfarEl2);

            Cpu.CompleteMmioWrite();
            Assert.Equal(CodeIpa + 4, Cpu.Pc);
            Assert.Equal(CpuExit.Budget, Cpu.Run(1));
        }

        [Fact]
        public void EmulatedSignExtendingLoadWritesTheRegister()
        {
            Code(0x79C00083, Loop); // ldrsh w3, [x4]
            Cpu.X[3] = ulong.MaxValue;
            Cpu.X[4] = UnmappedIpa;
            Assert.Equal(CpuExit.Hypervisor, Cpu.Run(10));
            ulong esr = Cpu.EsrEl2;
            Assert.Equal(1ul, (esr >> 24) & 1);
            Assert.Equal(1ul, (esr >> 22) & 3); // halfword
            Assert.Equal(1ul, (esr >> 21) & 1); // SSE
            Assert.Equal(3ul, (esr >> 16) & 0x1F);
            Assert.Equal(0ul, (esr >> 15) & 1); // 32-bit register
            Assert.Equal(0ul, (esr >> 6) & 1);
            Assert.Equal(ulong.MaxValue, Cpu.X[3]); // untouched until emulated

            Cpu.CompleteMmioRead(0x1234_8001);
            Assert.Equal(0xFFFF_8001ul, Cpu.X[3]);
            Assert.Equal(CodeIpa + 4, Cpu.Pc);
            Assert.Throws<InvalidOperationException>(() => Cpu.CompleteMmioWrite());
        }

        [Theory]
        [InlineData(0xA9400861u)] // ldp x1, x2, [x3]: pairs are not described
        [InlineData(0xF8408C61u)] // ldr x1, [x3, #8]!: writeback is not described
        [InlineData(0xC85F7C61u)] // ldxr x1, [x3]: exclusives are not described
        public void LoadsWithoutASingleRegisterDescriptionHaveIsvClear(uint instruction)
        {
            Code(instruction, Loop);
            Cpu.X[3] = UnmappedIpa;
            Assert.Equal(CpuExit.Hypervisor, Cpu.Run(10));
            Assert.Equal(0x24ul, Ec(Cpu.EsrEl2));
            Assert.Equal(0ul, (Cpu.EsrEl2 >> 24) & 1);
            Assert.Equal(UnmappedIpa, Cpu.X[3]); // base not written back
            Assert.Throws<InvalidOperationException>(() => Cpu.CompleteMmioRead(0));
        }

        [Fact]
        public void StoreReleaseIsDescribedWithAr()
        {
            Code(0x889FFD07, Loop); // stlr w7, [x8]
            Cpu.X[8] = UnmappedIpa;
            Assert.Equal(CpuExit.Hypervisor, Cpu.Run(10));
            ulong esr = Cpu.EsrEl2;
            Assert.Equal(1ul, (esr >> 24) & 1);
            Assert.Equal(2ul, (esr >> 22) & 3);
            Assert.Equal(7ul, (esr >> 16) & 0x1F);
            Assert.Equal(1ul, (esr >> 14) & 1); // AR
            Assert.Equal(1ul, (esr >> 6) & 1);
        }

        [Fact]
        public void PermissionAndAccessFlagFaultsAreStage2Faults()
        {
            Code(0xF90000C5, 0xF9400041, Loop); // str x5, [x6]; ldr x1, [x2]
            Cpu.X[6] = ReadOnlyIpa;
            Cpu.X[2] = NoAfIpa;
            Assert.Equal(CpuExit.Hypervisor, Cpu.Run(10));
            Assert.Equal(0x0Ful, Cpu.EsrEl2 & 0x3F); // permission, level 3

            Cpu.X[6] = DataIpa;
            Assert.Equal(CpuExit.Hypervisor, Cpu.Run(10));
            Assert.Equal(CodeIpa + 4, Cpu.Pc);
            Assert.Equal(0x0Bul, Cpu.EsrEl2 & 0x3F); // access flag, level 3
            Assert.Equal((NoAfIpa >> 12) << 4, Cpu.HpfarEl2);
        }

        [Fact]
        public void FetchFromExecuteNeverIsAnInstructionAbortToEl2()
        {
            Code(0xD61F0000); // br x0
            Cpu.X[0] = XnIpa;
            Assert.Equal(CpuExit.Hypervisor, Cpu.Run(10));
            Assert.Equal(XnIpa, Cpu.Pc);
            Assert.Equal(0x20ul, Ec(Cpu.EsrEl2));
            Assert.Equal(0x0Ful, Cpu.EsrEl2 & 0x3F);
            Assert.Equal(XnIpa, Cpu.FarEl2);
        }

        [Fact]
        public void InjectedExternalAbortIsTakenAtEl1()
        {
            Code(0xF9400041, Loop); // ldr x1, [x2]
            Cpu.X[2] = UnmappedIpa + 8;
            Assert.Equal(CpuExit.Hypervisor, Cpu.Run(10));
            Cpu.InjectExternalAbort();
            Assert.Equal(0x25ul, Cpu.EsrEl[1] >> 26); // data abort, same EL
            Assert.Equal(0x10ul, Cpu.EsrEl[1] & 0x3F);
            Assert.Equal(UnmappedIpa + 8, Cpu.FarEl[1]);
            Assert.Equal(CodeIpa, Cpu.ElrEl[1]);
            Assert.Equal(CodeIpa + 0x8000 + 0x200, Cpu.Pc);
        }

        [Fact]
        public void StageOneWalkReadsGoThroughStage2()
        {
            // Stage-1 tables at IPA 0x8000_1000 (mapped) and a level-2 table at an unmapped IPA.
            ulong l1 = DataIpa, l1Pa = Backing + 0x1000;
            _m.Poke64(l1Pa + 8 * 2, CodeIpa | 1 | (1ul << 10)); // VA 0x8000_0000: 1 GiB block onto IPA 0x8000_0000
            _m.Poke64(l1Pa + 8 * 3, UnmappedIpa | 3); // VA 0xC000_0000: table at an unmapped IPA
            Cpu.WriteSystemRegister(SysReg.MAIR_EL1, 0, 0xFF);
            Cpu.WriteSystemRegister(SysReg.TCR_EL1, 0, 32 | (1ul << 23) | (2ul << 32)); // T0SZ 32: start at level 1
            Cpu.WriteSystemRegister(SysReg.TTBR0_EL1, 0, l1);
            Code(0xD5381000 | 9, 0xB2400129, 0xD5181009, 0xD5033FDF, 0xF9400041, Loop);
            // mrs x9, sctlr_el1; orr x9, x9, #1; msr sctlr_el1, x9; isb; ldr x1, [x2]
            Cpu.X[2] = 0xC000_0000;
            Assert.Equal(CpuExit.Hypervisor, Cpu.Run(10));
            Assert.Equal(CodeIpa + 16, Cpu.Pc);
            Assert.Equal(0x24ul, Ec(Cpu.EsrEl2));
            Assert.Equal(1ul, (Cpu.EsrEl2 >> 7) & 1); // S1PTW
            Assert.Equal(0ul, (Cpu.EsrEl2 >> 24) & 1);
            Assert.Equal(0xC000_0000ul, Cpu.FarEl2);
            Assert.Equal((UnmappedIpa >> 12) << 4, Cpu.HpfarEl2);
        }

        [Fact]
        public void ConcatenatedRootAndBlockMappings()
        {
            // Start level 2 (SL0 = 0) with 32-bit IPAs: 2,048 entries in four concatenated tables.
            ulong root = CoreMachine.RamBase + 0xC0_0000;
            _m.Poke64(root + 8 * (CodeIpa >> 21), (CoreMachine.RamBase + 0x20_0000) | 1 | Af | Rw | Normal);
            _m.Poke64(CoreMachine.RamBase + 0x20_0000 + 0x40, 77);
            Cpu.VtcrEl2 = 32 | (0ul << 6) | (2ul << 16);
            Cpu.VttbrEl2 = root;
            Cpu.FlushTlb();
            Cpu.Pc = CodeIpa + 0x1000;
            _m.Poke64(CoreMachine.RamBase + 0x20_1000, 0x14000000_F9400041ul); // ldr x1, [x2]; b .
            Cpu.X[2] = CodeIpa + 0x40;
            Assert.Equal(CpuExit.Budget, Cpu.Run(2));
            Assert.Equal(77ul, Cpu.X[1]);
        }

        [Fact]
        public void RealmDescriptorNsBitSelectsTheNonSecurePas()
        {
            // IPA 0x8000_5000 maps the data page with NS = 1, IPA 0x8000_6000 the device page with NS = 1.
            _m.Poke64(S2L3 + 8 * 5, (Backing + 0x1000) | 3 | Af | Rw | Normal | (1ul << 55));
            _m.Poke64(S2L3 + 8 * 6, CoreMachine.DeviceBase | 3 | Af | Rw | (1ul << 55));
            _m.Poke64(Backing + 0x1000, 99);
            _m.RealmPage = Backing + 0x1000;
            Cpu.Security = SecurityState.Realm;
            Cpu.FlushTlb();
            Code(0xF9400041, 0xF9400083, 0xF94000C5, Loop); // ldr x1, [x2]; ldr x3, [x4]; ldr x5, [x6]
            Cpu.X[2] = DataIpa; // protected alias: Realm PAS, allowed
            Cpu.X[4] = CodeIpa + 0x6000;
            Cpu.X[6] = CodeIpa + 0x5000; // unprotected alias of a Realm granule
            Assert.Equal(CpuExit.Hypervisor, Cpu.Run(10));
            Assert.Equal(99ul, Cpu.X[1]);
            Assert.Equal(0x5Aul, Cpu.X[3]);
            Assert.Equal(SecurityState.NonSecure, _m.LastDeviceState);
            Assert.Equal(CodeIpa + 8, Cpu.Pc);
            Assert.Equal(0x24ul, Ec(Cpu.EsrEl2));
            Assert.Equal(0x28ul, Cpu.EsrEl2 & 0x3F); // granule protection fault, reported to EL2, not the data
            Assert.Equal(((CodeIpa + 0x5000) >> 12) << 4, Cpu.HpfarEl2);
            Assert.NotEqual(99ul, Cpu.X[5]);

            // A Non-secure CPU ignores the bit.
            Cpu.Security = SecurityState.NonSecure;
            _m.RealmPage = ulong.MaxValue;
            Cpu.FlushTlb();
            Cpu.Pc = CodeIpa + 8;
            Assert.Equal(CpuExit.Budget, Cpu.Run(1));
            Assert.Equal(99ul, Cpu.X[5]);
        }

        [Fact]
        public void TrappedWfiExitsToEl2AndUntrappedWaits()
        {
            Code(Wfi, Loop);
            Assert.Equal(CpuExit.Wait, Cpu.Run(10));

            Cpu.PowerOn(CodeIpa, 0);
            Cpu.HcrEl2 = 1 | (1ul << 13);
            Assert.Equal(CpuExit.Hypervisor, Cpu.Run(10));
            Assert.Equal(0x01ul, Ec(Cpu.EsrEl2));
            Assert.Equal(0ul, Cpu.EsrEl2 & 1); // TI: WFI
            Assert.Equal(CodeIpa, Cpu.Pc);
        }

        [Fact]
        public void HostileStage2ConfigurationFaultsInsteadOfWalking()
        {
            Code(0xF9400041, Loop);
            Cpu.X[2] = DataIpa;
            Cpu.VtcrEl2 = 32 | (3ul << 6); // SL0 = 3 is reserved
            Cpu.FlushTlb();
            Assert.Equal(CpuExit.Hypervisor, Cpu.Run(10));
            Assert.Equal(0x20ul, Ec(Cpu.EsrEl2)); // even the fetch cannot translate

            Cpu.VtcrEl2 = 32 | (1ul << 6) | (2ul << 16);
            Cpu.VttbrEl2 = 0xFFFF_FFFF_F000; // root outside the PA range
            Cpu.FlushTlb();
            Assert.Equal(CpuExit.Hypervisor, Cpu.Run(10));
        }
    }
}
