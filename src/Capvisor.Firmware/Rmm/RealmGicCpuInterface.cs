using System.Buffers.Binary;

namespace Capvisor.Firmware.Rmm
{
    /// <summary>
    /// The GICv3 virtual CPU interface of one REC, as the RMM runs it from the host's list
    /// registers (RmiRecEntry.gicv3_hcr/lrs, ICH_HCR_EL2/ICH_LR&lt;n&gt;_EL2 format): the realm's
    /// ICC_* accesses acknowledge, complete and deactivate the virtual interrupts the host put in
    /// the list registers, and the exit gives the host the list registers' new states.
    /// </summary>
    /// <remarks>
    /// Group 1 (what Linux uses) is modelled; Group 0 reads as spurious. SGI generation
    /// (ICC_SGI1R/ASGI1R/SGI0R) is not the RMM's: it exits to the host as a trapped system
    /// register write, as TF-RMM does.
    /// </remarks>
    internal sealed class RealmGicCpuInterface
    {
        public const int ListRegisterCount = 16;
        public const ulong Spurious = 1023;

        // System register encodings: op0:op1:CRn:CRm:op2 packed as SysReg does (values noted as op0,op1,CRn,CRm,op2).
        public const uint IccPmr = 0xC230 /* 3,0,4,6,0 */;
        public const uint IccIar0 = 0xC640 /* 3,0,12,8,0 */, IccEoir0 = 0xC641 /* 3,0,12,8,1 */, IccHppir0 = 0xC642 /* 3,0,12,8,2 */, IccBpr0 = 0xC643 /* 3,0,12,8,3 */;
        public const uint IccDir = 0xC659 /* 3,0,12,11,1 */, IccRpr = 0xC65B /* 3,0,12,11,3 */;
        public const uint IccSgi1r = 0xC65D /* 3,0,12,11,5 */, IccAsgi1r = 0xC65E /* 3,0,12,11,6 */, IccSgi0r = 0xC65F /* 3,0,12,11,7 */;
        public const uint IccIar1 = 0xC660 /* 3,0,12,12,0 */, IccEoir1 = 0xC661 /* 3,0,12,12,1 */, IccHppir1 = 0xC662 /* 3,0,12,12,2 */, IccBpr1 = 0xC663 /* 3,0,12,12,3 */;
        public const uint IccCtlr = 0xC664 /* 3,0,12,12,4 */, IccSre = 0xC665 /* 3,0,12,12,5 */, IccIgrpen0 = 0xC666 /* 3,0,12,12,6 */, IccIgrpen1 = 0xC667 /* 3,0,12,12,7 */;

        // ICH_LR<n>_EL2: vINTID [31:0], pINTID [44:32], priority [55:48], group [60], HW [61], state [63:62].
        private const int LrStateShift = 62;
        private const ulong LrStateMask = 3UL << LrStateShift;
        private const ulong LrPending = 1UL << LrStateShift, LrActive = 2UL << LrStateShift;
        private const ulong LrGroup1 = 1UL << 60, LrHw = 1UL << 61;

        // ICH_HCR_EL2: En [0], UIE [1], LRENPIE [2], NPIE [3], VGrp0EIE..VGrp1DIE [7:4], TC [10],
        // TALL0/TALL1/TSEI [11:14], TDIR [14], EOIcount [31:27]. The host may set the enable and
        // interrupt-enable bits and hand back EOIcount (TF-RMM gic_validate_state).
        private const ulong HcrEn = 1, HcrAllowed = 0xFF | (0x1FUL << 27);
        private const int EoiCountShift = 27;

        // ICC_CTLR_EL1.PRIbits = 4: five bits of priority (PMR and priorities keep bits [7:3]);
        // IDbits = 0: 16-bit INTIDs.
        private const ulong CtlrPriBits = 4UL << 8;

        private readonly ulong[] _lrs = new ulong[ListRegisterCount];
        private readonly Stack<byte> _activePriorities = new();
        private ulong _hcr;
        private byte _pmr;
        private ulong _bpr1, _ctlr, _igrpen1, _igrpen0;

        /// <summary>Whether a virtual IRQ is signalled to the realm CPU.</summary>
        public bool IrqPending => (_hcr & HcrEn) != 0 && (_igrpen1 & 1) != 0 && HighestPending(out _, out _) >= 0;

        /// <summary>Takes the host's interface state; false when it is not valid (HCR bits the host may not set, HW interrupts).</summary>
        public bool TryLoad(ReadOnlySpan<byte> enter)
        {
            ulong hcr = BinaryPrimitives.ReadUInt64LittleEndian(enter[RecRunLayout.EnterGicv3Hcr..]);
            Span<ulong> lrs = stackalloc ulong[ListRegisterCount];
            for (int i = 0; i < ListRegisterCount; i++)
            {
                lrs[i] = BinaryPrimitives.ReadUInt64LittleEndian(enter[(RecRunLayout.EnterGicv3Lrs + (i * 8))..]);
                if ((lrs[i] & LrHw) != 0)
                {
                    return false;
                }
            }

            if ((hcr & ~HcrAllowed) != 0)
            {
                return false;
            }

            _hcr = hcr;
            lrs.CopyTo(_lrs);
            return true;
        }

        /// <summary>Writes ICH_HCR (with EOIcount), the list registers, MISR and VMCR into the exit record.</summary>
        public void Save(RecExecution x)
        {
            x.Set(RecRunLayout.ExitGicv3Hcr, _hcr);
            for (int i = 0; i < ListRegisterCount; i++)
            {
                x.Set(RecRunLayout.ExitGicv3Lrs + (i * 8), _lrs[i]);
            }

            x.Set(RecRunLayout.ExitGicv3Misr, 0);

            // ICH_VMCR_EL2: VPMR [31:24], VBPR1 [20:18], VEOIM [9], VENG1 [1], VENG0 [0].
            ulong vmcr = ((ulong)_pmr << 24) | ((_bpr1 & 7) << 18) | (((_ctlr >> 1) & 1) << 9) | ((_igrpen1 & 1) << 1) | (_igrpen0 & 1);
            x.Set(RecRunLayout.ExitGicv3Vmcr, vmcr);
        }

        public void Reset()
        {
            Array.Clear(_lrs);
            _activePriorities.Clear();
            _hcr = 0;
            _pmr = 0;
            _bpr1 = _ctlr = _igrpen1 = _igrpen0 = 0;
        }

        public static bool Handles(uint encoding) => encoding == IccPmr || ((encoding >> 7) == ((3u << 7) | 12) && ((encoding >> 3) & 0xF) is 8 or 9 or 11 or 12);

        public static bool IsSgiRegister(uint encoding) => encoding is IccSgi1r or IccAsgi1r or IccSgi0r;

        public bool TryRead(uint encoding, out ulong value)
        {
            value = 0;
            switch (encoding)
            {
                case IccPmr: value = _pmr; return true;
                case IccIar1: value = Acknowledge(); return true;
                case IccHppir1: value = HighestPending(out _, out _) is int i and >= 0 ? _lrs[i] & 0xFFFF_FFFF : Spurious; return true;
                case IccIar0 or IccHppir0: value = Spurious; return true;
                case IccBpr0: value = 2; return true;
                case IccBpr1: value = _bpr1; return true;
                case IccCtlr: value = _ctlr | CtlrPriBits; return true;
                case IccSre: value = 7; return true;
                case IccIgrpen0: value = _igrpen0; return true;
                case IccIgrpen1: value = _igrpen1; return true;
                case IccRpr: value = _activePriorities.Count > 0 ? _activePriorities.Peek() : 0xFFUL; return true;
            }

            // Active priority registers: one bit per preemption level in use.
            uint crm = (encoding >> 3) & 0xF, op2 = encoding & 7;
            if ((crm == 9 && op2 <= 3) || (crm == 8 && op2 >= 4))
            {
                value = crm == 9 && op2 == 0 ? ActivePriorityBits() : 0;
                return true;
            }

            return false;
        }

        public bool TryWrite(uint encoding, ulong value)
        {
            switch (encoding)
            {
                case IccPmr: _pmr = (byte)(value & 0xF8); return true;
                case IccEoir1: EndOfInterrupt((uint)value & 0xFF_FFFF); return true;
                case IccDir: Deactivate((uint)value & 0xFF_FFFF); return true;
                case IccEoir0: return true;
                case IccBpr0: return true;
                case IccBpr1: _bpr1 = value & 7; return true;
                case IccCtlr: _ctlr = value & 2; return true; // EOImode
                case IccSre: return true; // SRE, DFB, DIB are fixed at 1
                case IccIgrpen0: _igrpen0 = value & 1; return true;
                case IccIgrpen1: _igrpen1 = value & 1; return true;
            }

            uint crm = (encoding >> 3) & 0xF, op2 = encoding & 7;
            return (crm == 9 && op2 <= 3) || (crm == 8 && op2 >= 4);
        }

        /// <summary>The pending Group 1 list register with the highest priority that may preempt, or −1.</summary>
        private int HighestPending(out byte priority, out uint intid)
        {
            int best = -1;
            priority = 0xFF;
            intid = 0;
            int running = _activePriorities.Count > 0 ? _activePriorities.Peek() : 0x100;
            for (int i = 0; i < ListRegisterCount; i++)
            {
                ulong lr = _lrs[i];
                if ((lr & LrPending) == 0 || (lr & LrActive) != 0 || (lr & LrGroup1) == 0)
                {
                    continue;
                }

                byte p = (byte)((lr >> 48) & 0xF8);
                if (p < _pmr && p < running && (best < 0 || p < priority))
                {
                    best = i;
                    priority = p;
                    intid = (uint)lr;
                }
            }

            return best;
        }

        private ulong Acknowledge()
        {
            if ((_hcr & HcrEn) == 0 || (_igrpen1 & 1) == 0)
            {
                return Spurious;
            }

            int i = HighestPending(out byte priority, out uint intid);
            if (i < 0)
            {
                return Spurious;
            }

            _lrs[i] = (_lrs[i] & ~LrStateMask) | LrActive;
            _activePriorities.Push(priority);
            return intid;
        }

        private void EndOfInterrupt(uint intid)
        {
            if (_activePriorities.Count > 0)
            {
                _activePriorities.Pop();
            }

            if ((_ctlr & 2) == 0)
            {
                Deactivate(intid);
            }
        }

        private void Deactivate(uint intid)
        {
            for (int i = 0; i < ListRegisterCount; i++)
            {
                if ((_lrs[i] & LrActive) != 0 && (uint)_lrs[i] == intid)
                {
                    _lrs[i] &= ~LrActive;
                    return;
                }
            }

            // No list register holds it: the host learns through EOIcount (LRENPIE).
            ulong count = ((_hcr >> EoiCountShift) + 1) & 0x1F;
            _hcr = (_hcr & ~(0x1FUL << EoiCountShift)) | (count << EoiCountShift);
        }

        private ulong ActivePriorityBits()
        {
            ulong bits = 0;
            foreach (byte p in _activePriorities)
            {
                bits |= 1UL << (p >> 3);
            }

            return bits;
        }
    }
}
