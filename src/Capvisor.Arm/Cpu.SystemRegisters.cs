namespace Capvisor.Arm
{
    public sealed partial class Cpu
    {
        /// <summary>SCTLR_ELx per EL (index 1..3).</summary>
        public readonly ulong[] SctlrEl = new ulong[4];

        public ulong TcrEl1, Ttbr0El1, Ttbr1El1, MairEl1, AmairEl1, CpacrEl1, ParEl1;
        public ulong ContextidrEl1, TpidrEl1, TpidrEl0, TpidrroEl0, CntkctlEl1, ActlrEl1;
        public ulong Afsr0El1, Afsr1El1, MdscrEl1, OsdlrEl1, CsselrEl1;
        private bool _osLock = true;
        private readonly Dictionary<uint, ulong> _debugRegisters = new();

        internal const ulong SctlrM = 1ul << 0, SctlrA = 1ul << 1, SctlrUma = 1ul << 9, SctlrDze = 1ul << 14,
            SctlrUct = 1ul << 15, SctlrNTwi = 1ul << 16, SctlrNTwe = 1ul << 18, SctlrWxn = 1ul << 19,
            SctlrUci = 1ul << 26;

        /// <summary>MIDR_EL1: an Arm Cortex-A57 r1p0, as QEMU's <c>-cpu cortex-a57</c>.</summary>
        public const ulong Midr = 0x411FD070;

        /// <summary>MPIDR_EL1: Aff0 = CPU index within clusters of 8, Aff1 = cluster (QEMU virt's layout).</summary>
        public ulong Mpidr => MpidrOverride ?? 0x8000_0000ul | ((ulong)(uint)(Index / 8) << 8) | (uint)(Index % 8);

        /// <summary>What MPIDR_EL1 reads give instead of the board layout, or null (a REC's MPIDR comes from its REC_CREATE parameters).</summary>
        public ulong? MpidrOverride;

        /// <summary>
        /// ID_AA64PFR0_EL1: EL0 and EL1 AArch64-only, EL2/EL3 not visible to the guest, FP and
        /// AdvSIMD present, GICv3 system-register interface.
        /// </summary>
        public const ulong IdAa64Pfr0 = 0x0100_0011;

        /// <summary>ID_AA64DFR0_EL1: debug v8, 6 breakpoints, 4 watchpoints, no PMU.</summary>
        public const ulong IdAa64Dfr0 = 0x1030_5006;

        /// <summary>ID_AA64ISAR0_EL1: CRC32 only.</summary>
        public const ulong IdAa64Isar0 = 0x0001_0000;

        /// <summary>ID_AA64MMFR0_EL1: 44-bit PA, 16-bit ASID, 4 KiB granule only.</summary>
        public const ulong IdAa64Mmfr0 = 0x0F00_0024;

        /// <summary>CTR_EL0 as on Cortex-A57 (64-byte lines).</summary>
        public const ulong Ctr = 0x8444_C004;

        /// <summary>DCZID_EL0.BS: DC ZVA zeroes 2^(BS+2) = 64 bytes.</summary>
        public const int DcZvaBlockShift = 4;

        private void ResetSystemRegisters()
        {
            Array.Clear(SctlrEl);
            Array.Clear(EsrEl);
            Array.Clear(FarEl);
            Array.Clear(ElrEl);
            Array.Clear(SpsrEl);
            Array.Clear(VbarEl);
            SctlrEl[1] = 0x00C5_0838;
            TcrEl1 = Ttbr0El1 = Ttbr1El1 = MairEl1 = AmairEl1 = CpacrEl1 = ParEl1 = 0;
            ContextidrEl1 = TpidrEl1 = TpidrEl0 = TpidrroEl0 = CntkctlEl1 = ActlrEl1 = 0;
            Afsr0El1 = Afsr1El1 = MdscrEl1 = OsdlrEl1 = CsselrEl1 = 0;
            _osLock = true;
            _debugRegisters.Clear();
            Array.Clear(Dbgbvr);
            Array.Clear(Dbgbcr);
            Array.Clear(Dbgwvr);
            Array.Clear(Dbgwcr);
            _breakpointsArmed = _watchpointsArmed = false;
        }

        /// <summary>MRS: reads system register <paramref name="encoding"/> into the result, or takes the exception the access gives.</summary>
        public ulong ReadSystemRegister(uint encoding, int rt)
        {
            int el = CurrentEl;
            switch (encoding)
            {
                case SysReg.NZCV: return Nzcv;
                case SysReg.FPCR: CheckFpEnabled(); return Fpcr;
                case SysReg.FPSR: CheckFpEnabled(); return Fpsr;
                case SysReg.TPIDR_EL0: return TpidrEl0;
                case SysReg.TPIDRRO_EL0: return TpidrroEl0;
                case SysReg.DAIF:
                    if (el == 0 && (SctlrEl[1] & SctlrUma) == 0) TrapSystemRegister(encoding, rt, read: true);
                    return Daif;
                case SysReg.CTR_EL0:
                    if (el == 0 && (SctlrEl[1] & SctlrUct) == 0) TrapSystemRegister(encoding, rt, read: true);
                    return Ctr;
                case SysReg.DCZID_EL0:
                    return (ulong)DcZvaBlockShift | (DcZvaProhibited() ? 1ul << 4 : 0);
            }

            if (SysReg.Op0(encoding) == 3 && SysReg.Op1(encoding) == 3 && SysReg.CRn(encoding) == 14)
            {
                CheckTimerAccessFromEl0(encoding, rt, read: true);
                return HostRead(encoding);
            }

            if (el == 0 || SysReg.Op1(encoding) >= 4)
            {
                // EL1 registers are UNDEFINED at EL0; EL2/EL3 registers are not visible to the guest.
                Undefined();
            }

            switch (encoding)
            {
                case SysReg.MIDR_EL1: return Midr;
                case SysReg.MPIDR_EL1: return Mpidr;
                case SysReg.REVIDR_EL1: return 0;
                case SysReg.ID_AA64PFR0_EL1: return IdAa64Pfr0Override ?? IdAa64Pfr0;
                case SysReg.ID_AA64DFR0_EL1: return IdAa64Dfr0;
                case SysReg.ID_AA64ISAR0_EL1: return IdAa64Isar0;
                case SysReg.ID_AA64MMFR0_EL1: return IdAa64Mmfr0;
                case SysReg.CLIDR_EL1: return 0x0A20_0023;
                case SysReg.CCSIDR_EL1:
                    return CsselrEl1 switch { 0 => 0x701F_E00A, 1 => 0x201F_E012, 2 => 0x70FF_E07A, _ => 0 };
                case SysReg.CSSELR_EL1: return CsselrEl1;
                case SysReg.AIDR_EL1: return 0;
                case SysReg.SCTLR_EL1: return SctlrEl[1];
                case SysReg.ACTLR_EL1: return ActlrEl1;
                case SysReg.CPACR_EL1: return CpacrEl1;
                case SysReg.TTBR0_EL1: return Ttbr0El1;
                case SysReg.TTBR1_EL1: return Ttbr1El1;
                case SysReg.TCR_EL1: return TcrEl1;
                case SysReg.SPSR_EL1: return SpsrEl[1];
                case SysReg.ELR_EL1: return ElrEl[1];
                case SysReg.SP_EL0:
                    if (SpSel == 0) Undefined();
                    return SpEl[0];
                case SysReg.SPSel: return (ulong)SpSel;
                case SysReg.CurrentEL: return (ulong)(el << 2);
                case SysReg.AFSR0_EL1: return Afsr0El1;
                case SysReg.AFSR1_EL1: return Afsr1El1;
                case SysReg.ESR_EL1: return EsrEl[1];
                case SysReg.FAR_EL1: return FarEl[1];
                case SysReg.PAR_EL1: return ParEl1;
                case SysReg.MAIR_EL1: return MairEl1;
                case SysReg.AMAIR_EL1: return AmairEl1;
                case SysReg.VBAR_EL1: return VbarEl[1];
                case SysReg.ISR_EL1: return (_irqLine ? 1ul << 7 : 0) | (_fiqLine ? 1ul << 6 : 0);
                case SysReg.CONTEXTIDR_EL1: return ContextidrEl1;
                case SysReg.TPIDR_EL1: return TpidrEl1;
                case SysReg.CNTKCTL_EL1: return CntkctlEl1;
                case SysReg.MDSCR_EL1: return MdscrEl1;
                case SysReg.OSLSR_EL1: return 0x8 | (_osLock ? 2ul : 0);
                case SysReg.OSDLR_EL1: return OsdlrEl1;
            }

            if (IsIdRegisterSpace(encoding))
            {
                // Unallocated and AArch32 ID registers read as zero (no AArch32, no other features).
                return 0;
            }

            if (TryDebugRegister(encoding, out ulong[]? array, out int index))
            {
                return array![index];
            }

            if (IsDebugStorageRegister(encoding))
            {
                return _debugRegisters.GetValueOrDefault(encoding);
            }

            return HostRead(encoding);
        }

        /// <summary>MSR (register): writes system register <paramref name="encoding"/>.</summary>
        public void WriteSystemRegister(uint encoding, int rt, ulong value)
        {
            int el = CurrentEl;
            switch (encoding)
            {
                case SysReg.NZCV: Nzcv = (uint)value & 0xF000_0000u; return;
                // No FP exception trapping (IDE, IXE..IOE RAZ/WI) and no FP16 (FZ16 RES0), as on Cortex-A57.
                case SysReg.FPCR: CheckFpEnabled(); Fpcr = (uint)value & 0x07F7_0000u; return;
                case SysReg.FPSR: CheckFpEnabled(); Fpsr = (uint)value & 0xF800_009Fu; return;
                case SysReg.TPIDR_EL0: TpidrEl0 = value; return;
                case SysReg.DAIF:
                    if (el == 0 && (SctlrEl[1] & SctlrUma) == 0) TrapSystemRegister(encoding, rt, read: false);
                    Daif = (uint)value & 0x3C0u;
                    _attention = true;
                    return;
            }

            if (SysReg.Op0(encoding) == 3 && SysReg.Op1(encoding) == 3 && SysReg.CRn(encoding) == 14)
            {
                CheckTimerAccessFromEl0(encoding, rt, read: false);
                HostWrite(encoding, value);
                return;
            }

            if (el == 0 || SysReg.Op1(encoding) >= 4)
            {
                Undefined();
            }

            switch (encoding)
            {
                case SysReg.SCTLR_EL1: SctlrEl[1] = value; FlushTlb(); return;
                case SysReg.ACTLR_EL1: ActlrEl1 = value; return;
                case SysReg.CPACR_EL1: CpacrEl1 = value & (3ul << 20); return;
                case SysReg.TTBR0_EL1: Ttbr0El1 = value; FlushTlb(); return;
                case SysReg.TTBR1_EL1: Ttbr1El1 = value; FlushTlb(); return;
                case SysReg.TCR_EL1: TcrEl1 = value; FlushTlb(); return;
                case SysReg.SPSR_EL1: SpsrEl[1] = value & 0xF030_03DFul; return;
                case SysReg.ELR_EL1: ElrEl[1] = value; return;
                case SysReg.SP_EL0:
                    if (SpSel == 0) Undefined();
                    SpEl[0] = value;
                    return;
                case SysReg.SPSel: SetPstateEl(el, (int)(value & 1)); return;
                case SysReg.CSSELR_EL1: CsselrEl1 = value & 0xF; return;
                case SysReg.AFSR0_EL1: Afsr0El1 = value; return;
                case SysReg.AFSR1_EL1: Afsr1El1 = value; return;
                case SysReg.ESR_EL1: EsrEl[1] = value & 0xFFFF_FFFFul; return;
                case SysReg.FAR_EL1: FarEl[1] = value; return;
                case SysReg.PAR_EL1: ParEl1 = value; return;
                case SysReg.MAIR_EL1: MairEl1 = value; FlushTlb(); return;
                case SysReg.AMAIR_EL1: AmairEl1 = value; return;
                case SysReg.VBAR_EL1: VbarEl[1] = value & ~0x7FFul; return;
                case SysReg.CONTEXTIDR_EL1: ContextidrEl1 = value & 0xFFFF_FFFFul; return;
                case SysReg.TPIDR_EL1: TpidrEl1 = value; return;
                case SysReg.TPIDRRO_EL0: TpidrroEl0 = value; return;
                case SysReg.CNTKCTL_EL1: CntkctlEl1 = value & 0x3FF; return;
                case SysReg.MDSCR_EL1: MdscrEl1 = value; UpdateDebugArming(); return;
                case SysReg.OSLAR_EL1: _osLock = (value & 1) != 0; UpdateDebugArming(); return;
                case SysReg.OSDLR_EL1: OsdlrEl1 = value & 1; UpdateDebugArming(); return;
            }

            if (IsIdRegisterSpace(encoding))
            {
                Undefined(); // read-only
            }

            if (TryDebugRegister(encoding, out ulong[]? array, out int index))
            {
                array![index] = value;
                UpdateDebugArming();
                return;
            }

            if (IsDebugStorageRegister(encoding))
            {
                _debugRegisters[encoding] = value;
                return;
            }

            HostWrite(encoding, value);
        }

        /// <summary>MSR (immediate): writes a PSTATE field (SPSel, DAIFSet, DAIFClr).</summary>
        public void WritePstateField(uint op1, uint op2, uint crm)
        {
            switch ((op1, op2))
            {
                case (0, 5):
                    if (CurrentEl == 0) Undefined();
                    SetPstateEl(CurrentEl, (int)(crm & 1));
                    return;
                case (3, 6):
                case (3, 7):
                    if (CurrentEl == 0 && (SctlrEl[1] & SctlrUma) == 0)
                    {
                        // Trapped as an MSR (immediate) access: Op0 = 0, Rt = 31.
                        RaiseSynchronous(ExceptionClass.SystemRegisterTrap,
                            (op2 << 17) | (op1 << 14) | (4u << 10) | (31u << 5) | (crm << 1));
                    }

                    uint bits = (crm & 0xF) << 6;
                    Daif = op2 == 6 ? Daif | bits : Daif & ~bits;
                    _attention = true;
                    return;
                default:
                    Undefined();
                    return;
            }
        }

        /// <summary>SYS: cache maintenance, TLB maintenance and address translation instructions.</summary>
        public void SystemInstruction(uint encoding, int rt)
        {
            uint op1 = SysReg.Op1(encoding), crn = SysReg.CRn(encoding), crm = SysReg.CRm(encoding), op2 = SysReg.Op2(encoding);
            int el = CurrentEl;
            if (SysReg.Op0(encoding) != 1 || op1 >= 4)
            {
                Undefined();
            }

            if (crn == 8)
            {
                // TLBI: the software TLB holds only current-ASID, current-regime entries, so
                // every invalidation flushes it all.
                if (el == 0) Undefined();
                FlushTlb();
                return;
            }

            if (crn != 7)
            {
                Undefined();
            }

            ulong va = GetX(rt);
            switch ((op1, crm, op2))
            {
                case (0, 1, 0): // IC IALLUIS
                case (0, 5, 0): // IC IALLU
                    // Decoded instructions are keyed by their encoding: nothing to invalidate.
                    if (el == 0) Undefined();
                    return;
                case (3, 5, 1): // IC IVAU
                    if (el == 0 && (SctlrEl[1] & SctlrUci) == 0) TrapSystemInstruction(encoding, rt);
                    return;
                case (0, 6, 1): // DC IVAC
                    if (el == 0) Undefined();
                    CheckCacheMaintenance(va, AccessKind.Write);
                    return;
                case (0, 6, 2): // DC ISW
                case (0, 10, 2): // DC CSW
                case (0, 14, 2): // DC CISW
                    if (el == 0) Undefined();
                    return;
                case (3, 10, 1): // DC CVAC
                case (3, 11, 1): // DC CVAU
                case (3, 14, 1): // DC CIVAC
                    if (el == 0 && (SctlrEl[1] & SctlrUci) == 0) TrapSystemInstruction(encoding, rt);
                    CheckCacheMaintenance(va, AccessKind.Read);
                    return;
                case (3, 4, 1): // DC ZVA
                    if (el == 0 && (SctlrEl[1] & SctlrDze) == 0) TrapSystemInstruction(encoding, rt);
                    ZeroBlock(va);
                    return;
                case (0, 8, 0): // AT S1E1R
                case (0, 8, 1): // AT S1E1W
                case (0, 8, 2): // AT S1E0R
                case (0, 8, 3): // AT S1E0W
                    if (el == 0) Undefined();
                    AddressTranslate(va, write: (op2 & 1) != 0, el0: op2 >= 2);
                    return;
                default:
                    Undefined();
                    return;
            }
        }

        private bool DcZvaProhibited() => CurrentEl == 0 && (SctlrEl[1] & SctlrDze) == 0;

        private void ZeroBlock(ulong va)
        {
            ulong block = va & ~((4ul << DcZvaBlockShift) - 1);
            // DC ZVA is a write for permissions and faults; with the MMU off (Device memory)
            // it takes an alignment fault, as the architecture requires.
            uint fsc = Walk(block, AccessKind.Write, false, out var w);
            if (fsc == NoFault && w.Device && EnforceDeviceAlignment)
            {
                DataAbort(va, FaultStatus.Alignment, write: true);
            }

            for (ulong offset = 0; offset < (4ul << DcZvaBlockShift); offset += 8)
            {
                Write(block + offset, 8, 0);
            }
        }

        private void CheckCacheMaintenance(ulong va, AccessKind kind)
        {
            uint fsc = Walk(va, kind, false, out _);
            // Permission faults are not generated by clean/invalidate by VA (except DC IVAC).
            if (fsc != NoFault && !(kind == AccessKind.Read && fsc >= FaultStatus.Permission && fsc < FaultStatus.Permission + 4))
            {
                DataAbort(va, fsc, write: true, cacheMaintenance: true);
            }
        }

        private void CheckTimerAccessFromEl0(uint encoding, int rt, bool read)
        {
            if (CurrentEl != 0)
            {
                return;
            }

            uint crm = SysReg.CRm(encoding), op2 = SysReg.Op2(encoding);
            ulong k = CntkctlEl1;
            bool allowed = (crm, op2) switch
            {
                (0, 0) => read && (k & 3) != 0, // CNTFRQ_EL0
                (0, 1) => read && (k & 1) != 0, // CNTPCT_EL0
                (0, 2) => read && (k & 2) != 0, // CNTVCT_EL0
                (2, _) => (k & (1 << 9)) != 0, // CNTP_*
                (3, _) => (k & (1 << 8)) != 0, // CNTV_*
                _ => false,
            };
            if (!allowed)
            {
                if (crm == 0 && !read)
                {
                    Undefined();
                }

                TrapSystemRegister(encoding, rt, read);
            }
        }

        private void TrapSystemRegister(uint encoding, int rt, bool read)
        {
            uint iss = (SysReg.Op0(encoding) << 20) | (SysReg.Op2(encoding) << 17) | (SysReg.Op1(encoding) << 14)
                | (SysReg.CRn(encoding) << 10) | ((uint)rt << 5) | (SysReg.CRm(encoding) << 1) | (read ? 1u : 0u);
            RaiseSynchronous(ExceptionClass.SystemRegisterTrap, iss);
        }

        private void TrapSystemInstruction(uint encoding, int rt) => TrapSystemRegister(encoding, rt, read: false);

        private static bool IsIdRegisterSpace(uint e) =>
            SysReg.Op0(e) == 3 && SysReg.Op1(e) == 0 && SysReg.CRn(e) == 0 && SysReg.CRm(e) >= 1;

        /// <summary>DBGBVR/DBGBCR/DBGWVR/DBGWCR&lt;n&gt;_EL1: op0 2, op1 0, CRn 0, CRm n, op2 4..7.</summary>
        private bool TryDebugRegister(uint e, out ulong[]? array, out int index)
        {
            array = null;
            index = (int)SysReg.CRm(e);
            if (SysReg.Op0(e) != 2 || SysReg.Op1(e) != 0 || SysReg.CRn(e) != 0)
            {
                return false;
            }

            array = SysReg.Op2(e) switch
            {
                4 when index < BreakpointCount => Dbgbvr,
                5 when index < BreakpointCount => Dbgbcr,
                6 when index < WatchpointCount => Dbgwvr,
                7 when index < WatchpointCount => Dbgwcr,
                _ => null,
            };
            return array != null;
        }

        private static bool IsDebugStorageRegister(uint e)
        {
            if (SysReg.Op0(e) != 2 || SysReg.Op1(e) != 0)
            {
                return false;
            }

            uint crn = SysReg.CRn(e), crm = SysReg.CRm(e), op2 = SysReg.Op2(e);
            // MDCCINT, OSECCR, DBGCLAIMSET/CLR, DBGPRCR: storage only.
            return (crn == 0 && crm == 2 && op2 == 0)
                || (crn == 0 && crm == 6 && op2 == 2)
                || (crn == 7 && crm is 8 or 9 && op2 == 6)
                || (crn == 1 && crm == 4 && op2 == 4);
        }

        private ulong HostRead(uint encoding)
        {
            if (!_host.TryReadSystemRegister(this, encoding, out ulong value))
            {
                Undefined();
            }

            return value;
        }

        private void HostWrite(uint encoding, ulong value)
        {
            if (!_host.TryWriteSystemRegister(this, encoding, value))
            {
                Undefined();
            }
        }
    }
}
