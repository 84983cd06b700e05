using Capvisor.Arm;

namespace Capvisor.Board.Interrupts
{
    public sealed partial class GicV3
    {
        /// <summary>Minimum ICC_BPR0_EL1 for <see cref="PriorityBits"/> preemption bits.</summary>
        private const byte MinBpr0 = 7 - PriorityBits;

        /// <summary>ICC_* encodings (op0:op1:CRn:CRm:op2 packed as <see cref="SysReg.Encode"/>).</summary>
        public static class Registers
        {
            public static readonly uint ICC_PMR_EL1 = SysReg.Encode(3, 0, 4, 6, 0);
            public static readonly uint ICC_IAR0_EL1 = SysReg.Encode(3, 0, 12, 8, 0);
            public static readonly uint ICC_EOIR0_EL1 = SysReg.Encode(3, 0, 12, 8, 1);
            public static readonly uint ICC_HPPIR0_EL1 = SysReg.Encode(3, 0, 12, 8, 2);
            public static readonly uint ICC_BPR0_EL1 = SysReg.Encode(3, 0, 12, 8, 3);
            public static readonly uint ICC_AP0R0_EL1 = SysReg.Encode(3, 0, 12, 8, 4);
            public static readonly uint ICC_AP1R0_EL1 = SysReg.Encode(3, 0, 12, 9, 0);
            public static readonly uint ICC_DIR_EL1 = SysReg.Encode(3, 0, 12, 11, 1);
            public static readonly uint ICC_RPR_EL1 = SysReg.Encode(3, 0, 12, 11, 3);
            public static readonly uint ICC_SGI1R_EL1 = SysReg.Encode(3, 0, 12, 11, 5);
            public static readonly uint ICC_ASGI1R_EL1 = SysReg.Encode(3, 0, 12, 11, 6);
            public static readonly uint ICC_SGI0R_EL1 = SysReg.Encode(3, 0, 12, 11, 7);
            public static readonly uint ICC_IAR1_EL1 = SysReg.Encode(3, 0, 12, 12, 0);
            public static readonly uint ICC_EOIR1_EL1 = SysReg.Encode(3, 0, 12, 12, 1);
            public static readonly uint ICC_HPPIR1_EL1 = SysReg.Encode(3, 0, 12, 12, 2);
            public static readonly uint ICC_BPR1_EL1 = SysReg.Encode(3, 0, 12, 12, 3);
            public static readonly uint ICC_CTLR_EL1 = SysReg.Encode(3, 0, 12, 12, 4);
            public static readonly uint ICC_SRE_EL1 = SysReg.Encode(3, 0, 12, 12, 5);
            public static readonly uint ICC_IGRPEN0_EL1 = SysReg.Encode(3, 0, 12, 12, 6);
            public static readonly uint ICC_IGRPEN1_EL1 = SysReg.Encode(3, 0, 12, 12, 7);
        }

        /// <summary>
        /// Reads an ICC_* register of CPU <paramref name="cpu"/>. Returns false for encodings the
        /// CPU interface does not implement (the access is then UNDEFINED).
        /// </summary>
        public bool TryReadSystemRegister(int cpu, uint encoding, out ulong value)
        {
            value = 0;
            if ((uint)cpu >= (uint)_cpuCount || SysReg.Op0(encoding) != 3 || SysReg.Op1(encoding) != 0)
            {
                return false;
            }

            var ci = _cpuIf[cpu];
            uint crn = SysReg.CRn(encoding), crm = SysReg.CRm(encoding), op2 = SysReg.Op2(encoding);
            switch ((crn, crm, op2))
            {
                case (4, 6, 0): value = ci.Pmr; return true;
                case (12, 8, 0): value = Acknowledge(cpu, group1: false); return true;
                case (12, 8, 2): value = HighestPendingIntid(cpu, group1: false); return true;
                case (12, 8, 3): value = ci.Bpr0; return true;
                case (12, 8, 4): value = ci.Ap0; return true;
                case (12, 9, 0): value = ci.Ap1; return true;
                case (12, 11, 3): value = RunningPriority(ci); return true;
                case (12, 12, 0): value = Acknowledge(cpu, group1: true); return true;
                case (12, 12, 2): value = HighestPendingIntid(cpu, group1: true); return true;
                case (12, 12, 3): value = ci.Cbpr ? (ulong)Math.Min(ci.Bpr0 + 1, 7) : ci.Bpr1; return true;
                case (12, 12, 4): // ICC_CTLR_EL1: A3V, 16 ID bits, PRIbits, EOImode, CBPR
                    value = (1u << 15) | ((uint)(PriorityBits - 1) << 8) | (ci.EoiMode ? 2u : 0) | (ci.Cbpr ? 1u : 0);
                    return true;
                case (12, 12, 5): value = 7; return true; // ICC_SRE_EL1: SRE, DFB, DIB all RAO/WI
                case (12, 12, 6): value = ci.IgrpEn0 ? 1u : 0; return true;
                case (12, 12, 7): value = ci.IgrpEn1 ? 1u : 0; return true;
            }

            return false; // write-only registers (EOIR, DIR, SGIxR) and unimplemented APnR are UNDEFINED to read
        }

        /// <summary>Writes an ICC_* register of CPU <paramref name="cpu"/>; false when it is not writable.</summary>
        public bool TryWriteSystemRegister(int cpu, uint encoding, ulong value)
        {
            if ((uint)cpu >= (uint)_cpuCount || SysReg.Op0(encoding) != 3 || SysReg.Op1(encoding) != 0)
            {
                return false;
            }

            var ci = _cpuIf[cpu];
            uint crn = SysReg.CRn(encoding), crm = SysReg.CRm(encoding), op2 = SysReg.Op2(encoding);
            switch ((crn, crm, op2))
            {
                case (4, 6, 0): ci.Pmr = (byte)(value & PriorityMask); break;
                case (12, 8, 1): EndOfInterrupt(cpu, (uint)value & 0xFF_FFFF, group1: false); break;
                case (12, 8, 3): ci.Bpr0 = (byte)Math.Max(value & 7, MinBpr0); break;
                case (12, 8, 4): ci.Ap0 = (uint)value; break;
                case (12, 9, 0): ci.Ap1 = (uint)value; break;
                case (12, 11, 1): Deactivate(cpu, (uint)value & 0xFF_FFFF); break;
                case (12, 11, 5): // ICC_SGI1R_EL1
                case (12, 11, 6): // ICC_ASGI1R_EL1
                case (12, 11, 7): // ICC_SGI0R_EL1
                    GenerateSgi(cpu, value);
                    return true;
                case (12, 12, 1): EndOfInterrupt(cpu, (uint)value & 0xFF_FFFF, group1: true); break;
                case (12, 12, 3):
                    if (!ci.Cbpr)
                    {
                        ci.Bpr1 = (byte)Math.Max(value & 7, MinBpr0 + 1);
                    }

                    break;
                case (12, 12, 4):
                    ci.Cbpr = (value & 1) != 0;
                    ci.EoiMode = (value & 2) != 0;
                    break;
                case (12, 12, 5): return true;
                case (12, 12, 6): ci.IgrpEn0 = (value & 1) != 0; break;
                case (12, 12, 7): ci.IgrpEn1 = (value & 1) != 0; break;
                default: return false;
            }

            Update(cpu);
            return true;
        }

        /// <summary>The group priority mask for <paramref name="group1"/> under the current binary points.</summary>
        private static uint GroupPriorityMask(CpuInterfaceState ci, bool group1)
        {
            if (group1 && !ci.Cbpr)
            {
                return 0xFFu << ci.Bpr1 & 0xFF;
            }

            return 0xFFu << (ci.Bpr0 + 1) & 0xFF;
        }

        /// <summary>Running priority: the priority of the highest active group priority, 0xFF when idle.</summary>
        private static uint RunningPriority(CpuInterfaceState ci)
        {
            uint bits = ci.Ap0 | ci.Ap1;
            return bits == 0 ? 0xFFu : (uint)System.Numerics.BitOperations.TrailingZeroCount(bits) << (8 - PriorityBits);
        }

        private static bool CanPreempt(CpuInterfaceState ci, byte priority, bool group1)
        {
            if (priority >= ci.Pmr)
            {
                return false;
            }

            uint running = RunningPriority(ci);
            return running == 0xFF || (priority & GroupPriorityMask(ci, group1)) < running;
        }

        private uint HighestPendingIntid(int cpu, bool group1)
        {
            int slot = HighestPending(cpu, out _);
            return slot >= 0 && _group1[slot] == group1 ? (uint)IntidOfSlot(slot) : SpuriousIntid;
        }

        /// <summary>ICC_IARn_EL1: acknowledges the highest-priority pending interrupt of the group, if it may be signalled.</summary>
        private uint Acknowledge(int cpu, bool group1)
        {
            var ci = _cpuIf[cpu];
            int slot = HighestPending(cpu, out byte priority);
            if (slot < 0 || _group1[slot] != group1 || !(group1 ? ci.IgrpEn1 : ci.IgrpEn0) || !CanPreempt(ci, priority, group1))
            {
                return SpuriousIntid;
            }

            _active[slot] = true;
            _pendingLatch[slot] = false; // a level-sensitive interrupt stays pending while its line is high
            int bit = (int)((priority & GroupPriorityMask(ci, group1)) >> (8 - PriorityBits));
            if (group1)
            {
                ci.Ap1 |= 1u << bit;
            }
            else
            {
                ci.Ap0 |= 1u << bit;
            }

            Update(cpu);
            return (uint)IntidOfSlot(slot);
        }

        /// <summary>ICC_EOIRn_EL1: drops the running priority and, with EOImode 0, deactivates the interrupt.</summary>
        private void EndOfInterrupt(int cpu, uint intid, bool group1)
        {
            var ci = _cpuIf[cpu];
            if (intid >= 1020 && intid <= 1023)
            {
                return; // special INTIDs: no effect
            }

            // Only the highest active priority is dropped, and only by its own group's EOIR;
            // an EOI with nothing active is ignored.
            uint ap = ci.Ap0 | ci.Ap1;
            uint lowest = ap & (0u - ap);
            uint mine = group1 ? ci.Ap1 : ci.Ap0;
            if (lowest == 0 || (mine & lowest) == 0)
            {
                return;
            }

            if (group1)
            {
                ci.Ap1 &= ~lowest;
            }
            else
            {
                ci.Ap0 &= ~lowest;
            }

            if (!ci.EoiMode)
            {
                Deactivate(cpu, intid);
            }
        }

        /// <summary>ICC_DIR_EL1 (and EOI with EOImode 0): clears the active state.</summary>
        private void Deactivate(int cpu, uint intid)
        {
            if (TrySlot(cpu, (int)Math.Min(intid, int.MaxValue), out int slot))
            {
                _active[slot] = false;
            }
        }

        /// <summary>ICC_SGI0R/SGI1R/ASGI1R_EL1: makes SGI INTID pending on the target CPUs.</summary>
        private void GenerateSgi(int self, ulong value)
        {
            int intid = (int)((value >> 24) & 0xF);
            bool allButSelf = (value & (1ul << 40)) != 0;
            uint targetList = (uint)(value & 0xFFFF);
            ulong aff1 = (value >> 16) & 0xFF, aff2 = (value >> 32) & 0xFF, aff3 = (value >> 48) & 0xFF;
            ulong rangeSelector = (value >> 44) & 0xF;
            for (int c = 0; c < _cpuCount; c++)
            {
                bool target;
                if (allButSelf)
                {
                    target = c != self;
                }
                else
                {
                    ulong aff0 = (ulong)(c % 8);
                    target = aff3 == 0 && aff2 == 0 && aff1 == (ulong)(c / 8) && rangeSelector == aff0 / 16
                        && (targetList & (1u << (int)(aff0 % 16))) != 0;
                }

                if (target)
                {
                    _pendingLatch[c * 32 + intid] = true;
                    Update(c);
                }
            }
        }
    }
}
