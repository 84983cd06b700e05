namespace Capvisor.Arm
{
    public sealed partial class Cpu
    {
        /// <summary>Breakpoint value and control registers DBGBVR&lt;n&gt;_EL1 / DBGBCR&lt;n&gt;_EL1 (n &lt; 6).</summary>
        public readonly ulong[] Dbgbvr = new ulong[BreakpointCount], Dbgbcr = new ulong[BreakpointCount];

        /// <summary>Watchpoint value and control registers DBGWVR&lt;n&gt;_EL1 / DBGWCR&lt;n&gt;_EL1 (n &lt; 4).</summary>
        public readonly ulong[] Dbgwvr = new ulong[WatchpointCount], Dbgwcr = new ulong[WatchpointCount];

        /// <summary>Number of hardware breakpoints (ID_AA64DFR0_EL1.BRPs + 1).</summary>
        public const int BreakpointCount = 6;

        /// <summary>Number of hardware watchpoints (ID_AA64DFR0_EL1.WRPs + 1).</summary>
        public const int WatchpointCount = 4;

        private const ulong MdscrSs = 1ul << 0, MdscrKde = 1ul << 13, MdscrMde = 1ul << 15;
        private const uint DebugFaultStatus = 0x22;

        // Set when some breakpoint or watchpoint could fire; the fast fetch and data paths are
        // then bypassed so every access is checked. Recomputed on every debug register write.
        private bool _breakpointsArmed, _watchpointsArmed;

        /// <summary>PSTATE.SS: the software step state bit.</summary>
        private bool _pstateSs;

        // True while the instruction being executed is the one software step lets run.
        private bool _stepping;

        /// <summary>
        /// Whether debug exceptions (all targeting EL1 here) may be generated at the current EL:
        /// never with the OS lock or double lock set; always from EL0; from EL1 only with
        /// MDSCR_EL1.KDE set and PSTATE.D clear.
        /// </summary>
        private bool DebugExceptionsEnabled()
        {
            if (_osLock || (OsdlrEl1 & 1) != 0)
            {
                return false;
            }

            return CurrentEl switch
            {
                0 => true,
                1 => (MdscrEl1 & MdscrKde) != 0 && (Daif & DaifD) == 0,
                _ => false,
            };
        }

        private bool SoftwareStepEnabled() => (MdscrEl1 & MdscrSs) != 0 && DebugExceptionsEnabled();

        private void UpdateDebugArming()
        {
            bool selfHosted = (MdscrEl1 & MdscrMde) != 0 && !_osLock && (OsdlrEl1 & 1) == 0;
            bool breakArmed = false, watchArmed = false;
            for (int n = 0; n < BreakpointCount; n++)
            {
                breakArmed |= selfHosted && (Dbgbcr[n] & 1) != 0;
            }

            for (int n = 0; n < WatchpointCount; n++)
            {
                watchArmed |= selfHosted && (Dbgwcr[n] & 1) != 0;
            }

            _breakpointsArmed = breakArmed;
            _watchpointsArmed = watchArmed;
            FlushTlb();
            _attention = true;
        }

        /// <summary>Privilege match of DBGBCR.PMC / DBGWCR.PAC for the current EL.</summary>
        private bool PrivilegeMatches(ulong control) =>
            CurrentEl switch
            {
                0 => (control & 4) != 0,
                1 => (control & 2) != 0,
                _ => false,
            };

        /// <summary>Takes a Breakpoint exception when an enabled address breakpoint matches <paramref name="pc"/>.</summary>
        private void CheckBreakpoints(ulong pc)
        {
            if (!DebugExceptionsEnabled() || (MdscrEl1 & MdscrMde) == 0)
            {
                return;
            }

            for (int n = 0; n < BreakpointCount; n++)
            {
                ulong control = Dbgbcr[n];
                // Only unlinked instruction address match (BT = 0b0000) with HMC = 0 is modelled.
                if ((control & 1) == 0 || ((control >> 20) & 0xF) != 0 || ((control >> 13) & 1) != 0
                    || !PrivilegeMatches(control))
                {
                    continue;
                }

                if (((pc ^ Dbgbvr[n]) & 0x0001_FFFF_FFFF_FFFCul) == 0)
                {
                    var ec = CurrentEl == 0 ? ExceptionClass.BreakpointLowerEl : ExceptionClass.BreakpointSameEl;
                    RaiseSynchronous(ec, DebugFaultStatus, pc);
                }
            }
        }

        /// <summary>Takes a Watchpoint exception when an enabled watchpoint matches the access.</summary>
        private void CheckWatchpoints(ulong va, int size, bool write)
        {
            if (!DebugExceptionsEnabled())
            {
                return;
            }

            for (int n = 0; n < WatchpointCount; n++)
            {
                ulong control = Dbgwcr[n];
                uint lsc = (uint)(control >> 3) & 3;
                if ((control & 1) == 0 || ((control >> 13) & 1) != 0 || !PrivilegeMatches(control)
                    || (write ? (lsc & 2) == 0 : (lsc & 1) == 0))
                {
                    continue;
                }

                if (WatchpointCovers(Dbgwvr[n], control, va, size))
                {
                    var ec = CurrentEl == 0 ? ExceptionClass.WatchpointLowerEl : ExceptionClass.WatchpointSameEl;
                    RaiseSynchronous(ec, DebugFaultStatus | (write ? 1u << 6 : 0), va);
                }
            }
        }

        private static bool WatchpointCovers(ulong value, ulong control, ulong va, int size)
        {
            int mask = (int)(control >> 24) & 0x1F;
            if (mask >= 3)
            {
                ulong range = ~((1ul << mask) - 1);
                ulong start = va & range, end = (va + (ulong)size - 1) & range;
                ulong target = value & range & 0x0001_FFFF_FFFF_FFFFul;
                return (start & 0x0001_FFFF_FFFF_FFFFul) == target || (end & 0x0001_FFFF_FFFF_FFFFul) == target;
            }

            // Byte address select within the doubleword at DBGWVR (or the word, when bit 2 is set).
            uint bas = (uint)(control >> 5) & 0xFF;
            if ((value & 4) != 0)
            {
                bas = (bas & 0xF) << 4;
            }

            ulong doubleword = value & 0x0001_FFFF_FFFF_FFF8ul;
            for (int i = 0; i < size; i++)
            {
                ulong address = va + (ulong)i;
                if ((address & 0x0001_FFFF_FFFF_FFF8ul) == doubleword && ((bas >> (int)(address & 7)) & 1) != 0)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// Software step, checked before each instruction while MDSCR_EL1.SS may apply: in the
        /// active-pending state (PSTATE.SS = 0) the Software Step exception is taken; in the
        /// active-not-pending state one instruction runs and PSTATE.SS is cleared after it.
        /// </summary>
        /// <returns>True when the exception was taken.</returns>
        private bool SoftwareStep()
        {
            if (_stepping)
            {
                // The stepped instruction completed without taking an exception.
                _stepping = false;
                _pstateSs = false;
            }

            if (!SoftwareStepEnabled())
            {
                return false;
            }

            _attention = true;
            if (_pstateSs)
            {
                _stepping = true;
                return false;
            }

            // ISV = 1, EX = 0 (the stepped instruction was not a load-exclusive), IFSC = debug.
            var ec = CurrentEl == 0 ? ExceptionClass.SoftwareStepLowerEl : ExceptionClass.SoftwareStepSameEl;
            TakeSynchronous(ec, (1u << 24) | DebugFaultStatus, Pc);
            return true;
        }

        /// <summary>SVC, HVC and SMC complete the stepped instruction before their exception is taken.</summary>
        private void CompleteStep()
        {
            if (_stepping)
            {
                _stepping = false;
                _pstateSs = false;
            }
        }
    }
}
