using System.Diagnostics.CodeAnalysis;

namespace Capvisor.Arm
{
    public sealed partial class Cpu
    {
        /// <summary>Exception syndrome register per EL (index 1..3).</summary>
        public readonly ulong[] EsrEl = new ulong[4];
        /// <summary>Fault address register per EL.</summary>
        public readonly ulong[] FarEl = new ulong[4];
        /// <summary>Exception link register per EL.</summary>
        public readonly ulong[] ElrEl = new ulong[4];
        /// <summary>Saved program status register per EL.</summary>
        public readonly ulong[] SpsrEl = new ulong[4];
        /// <summary>Vector base address register per EL.</summary>
        public readonly ulong[] VbarEl = new ulong[4];

        /// <summary>Number of exceptions taken since reset (for diagnostics and loop detection).</summary>
        public ulong ExceptionsTaken;

        /// <summary>The current PSTATE in SPSR format.</summary>
        public ulong Pstate =>
            Nzcv | (_pstateSs ? 1u << 21 : 0) | Daif | (IllegalState ? 1u << 20 : 0) | (uint)(CurrentEl << 2) | (uint)SpSel;

        /// <summary>The EL synchronous exceptions from the current EL are taken to.</summary>
        private int SyncTargetEl => CurrentEl == 0 ? 1 : CurrentEl;

        /// <summary>Takes an UNDEFINED-instruction exception (EC 0) for the current instruction.</summary>
        [DoesNotReturn]
        public void Undefined() => RaiseSynchronous(ExceptionClass.Unknown, 0);

        /// <summary>SVC #imm: supervisor call to EL1 (preferred return: the next instruction).</summary>
        [DoesNotReturn]
        public void SupervisorCall(ushort imm)
        {
            CompleteStep();
            TakeException(SyncTargetEl, Syndrome(ExceptionClass.Svc64, imm), NextPc, 0, vectorOffset: 0);
            throw ArchitecturalException.Instance;
        }

        /// <summary>HVC #imm: handed to the C# hypervisor/firmware; UNDEFINED at EL0 or when unhandled.</summary>
        public void HypervisorCall(ushort imm)
        {
            CompleteStep();
            if (CurrentEl == 0 || !_host.HypervisorCall(this, imm))
            {
                Undefined();
            }
        }

        /// <summary>SMC #imm: handed to the C# monitor; UNDEFINED at EL0 or when unhandled.</summary>
        public void SecureMonitorCall(ushort imm)
        {
            CompleteStep();
            if (CurrentEl == 0 || !_host.SecureMonitorCall(this, imm))
            {
                Undefined();
            }
        }

        /// <summary>BRK #imm: breakpoint instruction exception.</summary>
        [DoesNotReturn]
        public void Breakpoint(ushort imm) => RaiseSynchronous(ExceptionClass.Brk64, imm);

        /// <summary>
        /// Takes a synchronous exception for the current instruction (preferred return address:
        /// the instruction itself) to the EL it routes to, and unwinds the instruction.
        /// </summary>
        [DoesNotReturn]
        public void RaiseSynchronous(ExceptionClass ec, uint iss, ulong? far = null)
        {
            TakeSynchronous(ec, iss, Pc, far);
            throw ArchitecturalException.Instance;
        }

        private void TakeSynchronous(ExceptionClass ec, uint iss, ulong returnAddress, ulong? far = null)
        {
            TakeException(SyncTargetEl, Syndrome(ec, iss), returnAddress, far, vectorOffset: 0);
        }

        private static ulong Syndrome(ExceptionClass ec, uint iss) => ((ulong)ec << 26) | (1u << 25) | iss;

        private void TakeInterrupt(bool fiq)
        {
            // An interrupt is taken between instructions: ELR is the next instruction to run.
            int target = CurrentEl == 0 ? 1 : CurrentEl;
            TakeException(target, null, Pc, null, vectorOffset: fiq ? 0x100u : 0x80u);
        }

        private void TakeException(int target, ulong? esr, ulong returnAddress, ulong? far, uint vectorOffset)
        {
            ExceptionsTaken++;
            ulong vectorBase = VbarEl[target] & ~0x7FFul;
            uint offset = vectorOffset;
            if (CurrentEl < target)
            {
                offset += 0x400;
            }
            else if (SpSel == 1)
            {
                offset += 0x200;
            }

            SpsrEl[target] = Pstate;
            ElrEl[target] = returnAddress;
            if (esr is ulong syndrome)
            {
                EsrEl[target] = syndrome;
            }

            if (far is ulong address)
            {
                FarEl[target] = address;
            }

            Daif = DaifD | DaifA | DaifI | DaifF;
            IllegalState = false;
            _pstateSs = false;
            _stepping = false;
            SetPstateEl(target, 1);
            ClearExclusiveMonitor();
            Pc = vectorBase + offset;
            NextPc = Pc;
        }

        /// <summary>ERET: returns from an exception to the state in SPSR_ELx at ELR_ELx.</summary>
        public void ExceptionReturn()
        {
            if (CurrentEl == 0)
            {
                Undefined();
            }

            ulong spsr = SpsrEl[CurrentEl];
            ulong target = ElrEl[CurrentEl];
            uint m = (uint)spsr & 0x1F;
            int targetEl = (int)((m >> 2) & 3);
            bool illegal = (m & 0x10) != 0 // AArch32 is not implemented
                || targetEl > CurrentEl
                || (m & 2) != 0 // M[1] is reserved
                || (targetEl == 0 && (m & 1) != 0)
                || (spsr & (1u << 20)) != 0;
            CompleteStep();

            Nzcv = (uint)spsr & 0xF0000000u;
            Daif = (uint)spsr & 0x3C0u;
            ClearExclusiveMonitor();
            if (illegal)
            {
                // PSTATE.EL and SPSel keep their values; the next instruction takes an
                // Illegal Execution state exception.
                IllegalState = true;
                _attention = true;
            }
            else
            {
                IllegalState = false;
                SetPstateEl(targetEl, (int)(m & 1));
            }

            // PSTATE.SS takes SPSR.SS when software step is enabled at the target.
            _stepping = false;
            _pstateSs = (spsr & (1u << 21)) != 0 && SoftwareStepEnabled();

            NextPc = target;
            _attention = true;
        }

        /// <summary>Checks SP alignment for an access that uses SP as its base (SCTLR_ELx.SA/SA0).</summary>
        public void CheckSpAlignment(ulong sp)
        {
            if ((sp & 15) == 0)
            {
                return;
            }

            ulong sctlr = CurrentEl == 0 ? SctlrEl[1] : SctlrEl[CurrentEl];
            ulong bit = CurrentEl == 0 ? 1ul << 4 : 1ul << 3;
            if ((sctlr & bit) != 0)
            {
                RaiseSynchronous(ExceptionClass.SpAlignment, 0);
            }
        }

        /// <summary>Traps FP/SIMD use when CPACR_EL1.FPEN forbids it at the current EL.</summary>
        public void CheckFpEnabled()
        {
            if (CurrentEl > 1)
            {
                return;
            }

            uint fpen = (uint)(CpacrEl1 >> 20) & 3;
            bool enabled = fpen == 3 || (fpen == 1 && CurrentEl == 1);
            if (!enabled)
            {
                // From AArch64, CV = 1 and COND = 0b1110.
                RaiseSynchronous(ExceptionClass.FpAccessTrap, (1u << 24) | (0xEu << 20));
            }
        }
    }
}
