using Capvisor.Arm;

namespace Capvisor.Board.Timers
{
    /// <summary>
    /// One CPU's EL1 physical and virtual timers (CNTP_*, CNTV_*), with CNTVOFF = 0. The board
    /// reads the outputs with <see cref="PhysicalOutput"/>/<see cref="VirtualOutput"/> and wires
    /// them to PPIs 30 and 27.
    /// </summary>
    public sealed class GenericTimer
    {
        /// <summary>INTID of the EL1 physical timer (PPI 14).</summary>
        public const int PhysicalIntid = 30;

        /// <summary>INTID of the virtual timer (PPI 11).</summary>
        public const int VirtualIntid = 27;

        private const ulong CtlEnable = 1, CtlMask = 2, CtlStatus = 4;

        // Encodings under op0 = 3, op1 = 3, CRn = 14: (CRm << 3) | op2.
        private const uint Frq = 0x00, Pct = 0x01, Vct = 0x02, PTval = 0x10, PCtl = 0x11, PCval = 0x12,
            VTval = 0x18, VCtl = 0x19, VCval = 0x1A;

        /// <summary>CNTP_CTL_EL0 ENABLE and IMASK bits.</summary>
        public ulong PhysicalControl;

        /// <summary>CNTP_CVAL_EL0.</summary>
        public ulong PhysicalCompare;

        /// <summary>CNTV_CTL_EL0 ENABLE and IMASK bits.</summary>
        public ulong VirtualControl;

        /// <summary>CNTV_CVAL_EL0.</summary>
        public ulong VirtualCompare;

        /// <summary>True when the encoding is one of the timer registers this class implements.</summary>
        public static bool Handles(uint encoding) =>
            SysReg.Op0(encoding) == 3 && SysReg.Op1(encoding) == 3 && SysReg.CRn(encoding) == 14
            && (encoding & 0x7F) is Frq or Pct or Vct or PTval or PCtl or PCval or VTval or VCtl or VCval;

        /// <summary>Reads a timer register at counter value <paramref name="now"/>.</summary>
        public bool TryRead(uint encoding, ulong now, out ulong value)
        {
            value = 0;
            if (!Handles(encoding))
            {
                return false;
            }

            value = (encoding & 0x7F) switch
            {
                Frq => MachineClock.CounterFrequency,
                Pct or Vct => now,
                PTval => (ulong)(long)(int)(uint)(PhysicalCompare - now),
                PCtl => Control(PhysicalControl, PhysicalCompare, now),
                PCval => PhysicalCompare,
                VTval => (ulong)(long)(int)(uint)(VirtualCompare - now),
                VCtl => Control(VirtualControl, VirtualCompare, now),
                _ => VirtualCompare,
            };
            if ((encoding & 0x7F) is PTval or VTval)
            {
                value &= 0xFFFF_FFFF; // TVAL is a 32-bit register: bits [63:32] read as zero
            }

            return true;
        }

        /// <summary>Writes a timer register at counter value <paramref name="now"/>; CNTFRQ/CNTPCT/CNTVCT writes are ignored.</summary>
        public bool TryWrite(uint encoding, ulong now, ulong value)
        {
            if (!Handles(encoding))
            {
                return false;
            }

            switch (encoding & 0x7F)
            {
                case PTval: PhysicalCompare = now + (ulong)(long)(int)(uint)value; break;
                case PCtl: PhysicalControl = value & (CtlEnable | CtlMask); break;
                case PCval: PhysicalCompare = value; break;
                case VTval: VirtualCompare = now + (ulong)(long)(int)(uint)value; break;
                case VCtl: VirtualControl = value & (CtlEnable | CtlMask); break;
                case VCval: VirtualCompare = value; break;
                case Pct or Vct: return false; // read-only: UNDEFINED
            }

            return true;
        }

        /// <summary>Resets both timers (CPU power-on).</summary>
        public void Reset()
        {
            PhysicalControl = VirtualControl = 0;
            PhysicalCompare = VirtualCompare = 0;
        }

        /// <summary>The physical timer's interrupt output at counter value <paramref name="now"/>.</summary>
        public bool PhysicalOutput(ulong now) => Fires(PhysicalControl, PhysicalCompare, now);

        /// <summary>The virtual timer's interrupt output at counter value <paramref name="now"/>.</summary>
        public bool VirtualOutput(ulong now) => Fires(VirtualControl, VirtualCompare, now);

        /// <summary>
        /// The earliest counter value after <paramref name="now"/> at which an enabled, unmasked
        /// timer fires, or <see cref="ulong.MaxValue"/>.
        /// </summary>
        public ulong NextDeadline(ulong now)
        {
            ulong next = ulong.MaxValue;
            if ((PhysicalControl & (CtlEnable | CtlMask)) == CtlEnable && PhysicalCompare > now)
            {
                next = PhysicalCompare;
            }

            if ((VirtualControl & (CtlEnable | CtlMask)) == CtlEnable && VirtualCompare > now && VirtualCompare < next)
            {
                next = VirtualCompare;
            }

            return next;
        }

        private static bool Fires(ulong control, ulong compare, ulong now) =>
            (control & (CtlEnable | CtlMask)) == CtlEnable && now >= compare;

        private static ulong Control(ulong control, ulong compare, ulong now) =>
            control | ((control & CtlEnable) != 0 && now >= compare ? CtlStatus : 0);
    }
}
