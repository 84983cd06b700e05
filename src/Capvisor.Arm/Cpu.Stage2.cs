using System.Diagnostics.CodeAnalysis;

namespace Capvisor.Arm
{
    public sealed unsafe partial class Cpu
    {
        /// <summary>
        /// HCR_EL2 as the C# firmware at EL2 programs it. Honoured: VM (bit 0, stage 2 for the EL1&amp;0
        /// regime), TWI (bit 13) and TWE (bit 14). Call <see cref="FlushTlb"/> after changing it.
        /// </summary>
        public ulong HcrEl2;

        /// <summary>VTCR_EL2: T0SZ [5:0], SL0 [7:6], TG0 [15:14] (4 KiB only), PS [18:16]. Call <see cref="FlushTlb"/> after changing it.</summary>
        public ulong VtcrEl2;

        /// <summary>VTTBR_EL2: BADDR [47:1] of the stage-2 root (concatenated tables allowed), VMID [63:48]. Call <see cref="FlushTlb"/> after changing it.</summary>
        public ulong VttbrEl2;

        /// <summary>ESR_EL2 of the last exit with <see cref="CpuExit.Hypervisor"/>.</summary>
        public ulong EsrEl2;

        /// <summary>FAR_EL2 of the last exit with <see cref="CpuExit.Hypervisor"/>: the faulting virtual address.</summary>
        public ulong FarEl2;

        /// <summary>HPFAR_EL2 of the last exit with <see cref="CpuExit.Hypervisor"/>: FIPA (IPA bits 47:12) in bits 43:4.</summary>
        public ulong HpfarEl2;

        /// <summary>What ID_AA64PFR0_EL1 reads give, or null for <see cref="IdAa64Pfr0"/> (a realm reports EL2 and EL3 implemented).</summary>
        public ulong? IdAa64Pfr0Override;

        internal const ulong HcrVm = 1ul << 0, HcrTwi = 1ul << 13, HcrTwe = 1ul << 14;

        // Walk status flag: the stage-1 walk's descriptor read faulted in stage 2 (S1PTW).
        private const uint Stage2WalkFault = 0x100;
        private ulong _stage2FaultIpa;

        private bool Stage2Enabled => (HcrEl2 & HcrVm) != 0 && CurrentEl < 2;

        /// <summary>
        /// Stage-2 translation of <paramref name="ipa"/> (VMSAv8-64 stage-2 format, 4 KiB
        /// granule). <paramref name="pas"/> is the physical address space of the output: for a
        /// Realm CPU descriptor bit 55 (NS) selects Non-secure, as RME specifies, so unprotected
        /// mappings can only ever reach Non-secure granules. Returns the fault status code, or
        /// <see cref="NoFault"/>.
        /// </summary>
        private uint Stage2Walk(ulong ipa, AccessKind kind, out ulong pa, out bool device, out SecurityState pas)
        {
            pa = 0;
            device = false;
            pas = Security;
            ulong vtcr = VtcrEl2;
            int inputBits = 64 - (int)(vtcr & 0x3F);
            int sl0 = (int)((vtcr >> 6) & 3);
            int level = 2 - sl0;
            int firstIndexBits = inputBits - (12 + 9 * (3 - level));
            // 4 KiB only; SL0 = 3 is reserved without FEAT_TTST; at most 16 concatenated tables.
            if (((vtcr >> 14) & 3) != 0 || sl0 == 3 || inputBits > PaBits + 4 || firstIndexBits < 1 || firstIndexBits > 13)
            {
                return FaultStatus.Translation + (uint)Math.Max(level, 0);
            }

            if ((ipa >> inputBits) != 0)
            {
                return FaultStatus.Translation + (uint)level;
            }

            int paLimit = Math.Min(PaBits, IpsBits((uint)(vtcr >> 16) & 7));
            var unused = default(TableAttributes);
            uint walk = WalkTables(ipa, VttbrEl2, level, firstIndexBits, paLimit, stage1: false, ref unused,
                out ulong descriptor, out level, out ulong outputAddress);
            if (walk != NoFault)
            {
                return walk;
            }

            // S2AP[0] grants reads, S2AP[1] writes; with AArch64 at EL2 execution depends on XN alone.
            bool allowed = kind switch
            {
                AccessKind.Read => ((descriptor >> 6) & 1) != 0,
                AccessKind.Write => ((descriptor >> 7) & 1) != 0,
                _ => ((descriptor >> 54) & 1) == 0,
            };
            if (!allowed)
            {
                return FaultStatus.Permission + (uint)level;
            }

            pa = outputAddress;
            device = ((descriptor >> 4) & 3) == 0;
            if (Security == SecurityState.Realm && ((descriptor >> 55) & 1) != 0)
            {
                pas = SecurityState.NonSecure;
            }

            return NoFault;
        }

        /// <summary>
        /// Ends the instruction with an exit to EL2 for a stage-2 abort: nothing of the instruction
        /// has happened, <see cref="Pc"/> stays on it, and ESR/FAR/HPFAR_EL2 describe the fault.
        /// </summary>
        [DoesNotReturn]
        private void Stage2Abort(ulong va, ulong ipa, uint fsc, AccessKind kind, bool s1ptw)
        {
            uint iss = fsc;
            ExceptionClass ec;
            if (kind == AccessKind.Execute)
            {
                ec = ExceptionClass.InstructionAbortLowerEl;
            }
            else
            {
                ec = ExceptionClass.DataAbortLowerEl;
                if (s1ptw)
                {
                    iss |= 1u << 7;
                }
                else
                {
                    iss |= (kind == AccessKind.Write ? 1u << 6 : 0) | DataAbortInstructionSyndrome(kind == AccessKind.Write);
                }
            }

            if (s1ptw && kind == AccessKind.Execute)
            {
                iss |= 1u << 7;
            }

            EsrEl2 = Syndrome(ec, iss);
            FarEl2 = va;
            HpfarEl2 = ((ipa & 0x0000_FFFF_FFFF_F000ul) >> 12) << 4;
            ExitAfterInstruction(CpuExit.Hypervisor);
            throw ArchitecturalException.Instance;
        }

        /// <summary>
        /// ISV and the access description (SAS, SSE, SRT, SF, AR) for a data abort taken to EL2:
        /// valid only for a single general-purpose register load or store without writeback.
        /// </summary>
        private uint DataAbortInstructionSyndrome(bool write)
        {
            uint raw = Fetch(Pc);
            uint rt = raw & 0x1F;
            uint size = raw >> 30;
            bool acquireRelease = false;
            uint opc;
            if ((raw & 0x3F00_0000) == 0x3900_0000
                || ((raw & 0x3F20_0C00) == 0x3800_0000)
                || ((raw & 0x3F20_0C00) == 0x3820_0800))
            {
                // LDR/STR (unsigned offset), LDUR/STUR (unscaled), LDR/STR (register offset).
                opc = (raw >> 22) & 3;
            }
            else if ((raw & 0x3FBF_FC00) == 0x089F_FC00)
            {
                // LDAR/STLR (o2 = 1, o1 = 0, o0 = 1, Rs and Rt2 = 31): L in bit 22.
                opc = (raw >> 22) & 1;
                acquireRelease = true;
            }
            else
            {
                return 0;
            }

            if (size == 3 && opc >= 2)
            {
                return 0; // PRFM, or unallocated
            }

            bool load = opc != 0;
            if (load == write)
            {
                return 0;
            }

            bool signExtend = opc >= 2;
            bool sixtyFour = size == 3 || opc == 2;
            return (1u << 24) | (size << 22) | (signExtend ? 1u << 21 : 0) | (rt << 16)
                | (sixtyFour ? 1u << 15 : 0) | (acquireRelease ? 1u << 14 : 0);
        }

        /// <summary>
        /// Completes the load that caused the last <see cref="CpuExit.Hypervisor"/> data abort (ISV = 1,
        /// WnR = 0) with <paramref name="value"/> emulated by the firmware, and moves past it.
        /// </summary>
        /// <exception cref="InvalidOperationException">The last exit was not an emulatable load.</exception>
        public void CompleteMmioRead(ulong value)
        {
            ulong esr = EsrEl2;
            if (!IsEmulatableDataAbort(esr) || ((esr >> 6) & 1) != 0)
            {
                throw new InvalidOperationException("the last exit to EL2 was not an emulatable load");
            }

            int sas = (int)((esr >> 22) & 3);
            int bits = 8 << sas;
            if (bits < 64)
            {
                value &= (1ul << bits) - 1;
                if (((esr >> 21) & 1) != 0 && ((value >> (bits - 1)) & 1) != 0)
                {
                    value |= ~0ul << bits;
                }
            }

            if (((esr >> 15) & 1) == 0)
            {
                value &= 0xFFFF_FFFF;
            }

            SetX((int)((esr >> 16) & 0x1F), value);
            Pc += 4;
        }

        /// <summary>Moves past the store that caused the last <see cref="CpuExit.Hypervisor"/> data abort (ISV = 1, WnR = 1).</summary>
        /// <exception cref="InvalidOperationException">The last exit was not an emulatable store.</exception>
        public void CompleteMmioWrite()
        {
            if (!IsEmulatableDataAbort(EsrEl2) || ((EsrEl2 >> 6) & 1) == 0)
            {
                throw new InvalidOperationException("the last exit to EL2 was not an emulatable store");
            }

            Pc += 4;
        }

        private static bool IsEmulatableDataAbort(ulong esr) =>
            (esr >> 26) == (ulong)ExceptionClass.DataAbortLowerEl && ((esr >> 24) & 1) != 0;

        /// <summary>
        /// Turns the abort of the last <see cref="CpuExit.Hypervisor"/> exit into a synchronous
        /// external abort taken to EL1 for the faulting instruction (what the RMM does for RIPAS
        /// EMPTY memory and for fetches from the unprotected IPA range).
        /// </summary>
        public void InjectExternalAbort()
        {
            bool instruction = (EsrEl2 >> 26) == (ulong)ExceptionClass.InstructionAbortLowerEl;
            ExceptionClass ec = instruction
                ? (CurrentEl == 0 ? ExceptionClass.InstructionAbortLowerEl : ExceptionClass.InstructionAbortSameEl)
                : (CurrentEl == 0 ? ExceptionClass.DataAbortLowerEl : ExceptionClass.DataAbortSameEl);
            uint iss = FaultStatus.ExternalAbort | (instruction ? 0 : (uint)EsrEl2 & (1u << 6));
            TakeSynchronous(ec, iss, Pc, FarEl2);
            _attention = true;
        }

        /// <summary>Takes an UNDEFINED-instruction exception (EC 0) at <see cref="Pc"/>, outside <see cref="Run"/>.</summary>
        public void InjectUndefined()
        {
            TakeSynchronous(ExceptionClass.Unknown, 0, Pc);
            _attention = true;
        }

        /// <summary>WFI/WFE trapped to EL2 by HCR_EL2.TWI/TWE: exits with ESR_EL2 EC 0x01.</summary>
        private void CheckWfxTrapToEl2(bool isWfe)
        {
            if (CurrentEl < 2 && (HcrEl2 & (isWfe ? HcrTwe : HcrTwi)) != 0)
            {
                EsrEl2 = Syndrome(ExceptionClass.WfxTrap, (1u << 24) | (0xEu << 20) | (isWfe ? 1u : 0u));
                FarEl2 = HpfarEl2 = 0;
                ExitAfterInstruction(CpuExit.Hypervisor);
                throw ArchitecturalException.Instance;
            }
        }
    }
}
