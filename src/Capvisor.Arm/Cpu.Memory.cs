using System.Runtime.CompilerServices;

namespace Capvisor.Arm
{
    public sealed unsafe partial class Cpu
    {
        private ulong _exclusiveAddress = ulong.MaxValue;
        private int _exclusiveSize;

        /// <summary>Reads 1, 2, 4 or 8 bytes at virtual address <paramref name="va"/> (little-endian, zero-extended).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public ulong Read(ulong va, int size, AccessFlags flags = AccessFlags.None)
        {
            ref TlbEntry e = ref _tlb[_readBase + (int)((va >> 12) & TlbMask)];
            if (e.Tag == (va & (PageTagMask | (ulong)(size - 1))) && flags == AccessFlags.None)
            {
                byte* p = e.Host + (va & 0xFFF);
                return size switch
                {
                    8 => *(ulong*)p,
                    4 => *(uint*)p,
                    2 => *(ushort*)p,
                    _ => *p,
                };
            }

            return ReadSlow(va, size, flags);
        }

        /// <summary>Writes 1, 2, 4 or 8 bytes at virtual address <paramref name="va"/>.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Write(ulong va, int size, ulong value, AccessFlags flags = AccessFlags.None)
        {
            ref TlbEntry e = ref _tlb[_writeBase + (int)((va >> 12) & TlbMask)];
            if (e.Tag == (va & (PageTagMask | (ulong)(size - 1))) && flags == AccessFlags.None)
            {
                byte* p = e.Host + (va & 0xFFF);
                switch (size)
                {
                    case 8: *(ulong*)p = value; break;
                    case 4: *(uint*)p = (uint)value; break;
                    case 2: *(ushort*)p = (ushort)value; break;
                    default: *p = (byte)value; break;
                }

                if (_exclusiveAddress != ulong.MaxValue)
                {
                    ClearExclusiveMonitor();
                }

                return;
            }

            WriteSlow(va, size, value, flags);
        }

        /// <summary>Marks <paramref name="va"/>..+<paramref name="size"/> as exclusively monitored (LDXR/LDAXR/LDXP).</summary>
        public void SetExclusiveMonitor(ulong va, int size)
        {
            _exclusiveAddress = va;
            _exclusiveSize = size;
        }

        /// <summary>
        /// True when the exclusive monitor still covers exactly this access (STXR may store);
        /// the monitor is cleared either way.
        /// </summary>
        public bool CheckAndClearExclusiveMonitor(ulong va, int size)
        {
            bool ok = _exclusiveAddress == va && _exclusiveSize == size;
            ClearExclusiveMonitor();
            return ok;
        }

        /// <summary>CLREX, exception entry and return: forget any exclusive reservation.</summary>
        public void ClearExclusiveMonitor()
        {
            _exclusiveAddress = ulong.MaxValue;
            _exclusiveSize = 0;
        }

        private ulong ReadSlow(ulong va, int size, AccessFlags flags)
        {
            bool unprivileged = (flags & AccessFlags.Unprivileged) != 0 && CurrentEl == 1;
            CheckAlignment(va, size, flags, write: false);
            if (_watchpointsArmed)
            {
                CheckWatchpoints(va, size, write: false);
            }

            if ((va & 0xFFF) + (ulong)size > 0x1000)
            {
                ulong value = 0;
                for (int i = 0; i < size; i++)
                {
                    value |= ReadSlow(va + (ulong)i, 1, flags & AccessFlags.Unprivileged) << (8 * i);
                }

                return value;
            }

            var t = TranslateOrFault(va, AccessKind.Read, unprivileged, size);
            if (t.Host != null)
            {
                byte* p = t.Host + (va & 0xFFF);
                return size switch
                {
                    8 => Unsafe.ReadUnaligned<ulong>(p),
                    4 => Unsafe.ReadUnaligned<uint>(p),
                    2 => Unsafe.ReadUnaligned<ushort>(p),
                    _ => *p,
                };
            }

            var fault = _memory.Read(this, t.Pa, size, t.Pas, out ulong v);
            if (fault != PhysicalFault.None)
            {
                DataAbort(va, PhysicalFaultStatus(fault), write: false);
            }

            return v;
        }

        private void WriteSlow(ulong va, int size, ulong value, AccessFlags flags)
        {
            bool unprivileged = (flags & AccessFlags.Unprivileged) != 0 && CurrentEl == 1;
            CheckAlignment(va, size, flags, write: true);
            if (_watchpointsArmed)
            {
                CheckWatchpoints(va, size, write: true);
            }

            if ((va & 0xFFF) + (ulong)size > 0x1000)
            {
                // Check every byte's translation first so a fault on the second page leaves
                // memory unchanged.
                for (int i = 0; i < size; i++)
                {
                    TranslateOrFault(va + (ulong)i, AccessKind.Write, unprivileged, 1);
                }

                for (int i = 0; i < size; i++)
                {
                    WriteSlow(va + (ulong)i, 1, value >> (8 * i), flags & AccessFlags.Unprivileged);
                }

                return;
            }

            var t = TranslateOrFault(va, AccessKind.Write, unprivileged, size);
            if (_exclusiveAddress != ulong.MaxValue)
            {
                ClearExclusiveMonitor();
            }

            if (t.Host != null)
            {
                byte* p = t.Host + (va & 0xFFF);
                switch (size)
                {
                    case 8: Unsafe.WriteUnaligned(p, value); break;
                    case 4: Unsafe.WriteUnaligned(p, (uint)value); break;
                    case 2: Unsafe.WriteUnaligned(p, (ushort)value); break;
                    default: *p = (byte)value; break;
                }

                return;
            }

            var fault = _memory.Write(this, t.Pa, size, t.Pas, value);
            if (fault != PhysicalFault.None)
            {
                DataAbort(va, PhysicalFaultStatus(fault), write: true);
            }
        }

        private void CheckAlignment(ulong va, int size, AccessFlags flags, bool write)
        {
            if ((va & (ulong)(size - 1)) == 0)
            {
                return;
            }

            ulong sctlr = CurrentEl == 0 ? SctlrEl[1] : SctlrEl[CurrentEl];
            if ((flags & AccessFlags.AlignmentRequired) != 0 || (sctlr & SctlrA) != 0)
            {
                DataAbort(va, FaultStatus.Alignment, write);
            }
        }

        private static uint PhysicalFaultStatus(PhysicalFault fault) =>
            fault == PhysicalFault.GranuleProtection ? FaultStatus.GranuleProtection : FaultStatus.ExternalAbort;

        /// <summary>Fetches the instruction word at <paramref name="pc"/>, taking a PC alignment or instruction abort.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private uint Fetch(ulong pc)
        {
            if ((pc & (PageTagMask | 3)) == _fetchPage)
            {
                return *(uint*)(_fetchHost + (pc & 0xFFF));
            }

            return FetchSlow(pc);
        }

        private uint FetchSlow(ulong pc)
        {
            if ((pc & 3) != 0)
            {
                RaiseSynchronous(ExceptionClass.PcAlignment, 0, pc);
            }

            if (_breakpointsArmed)
            {
                // Every fetch is checked: no fetch cache, no execute TLB.
                CheckBreakpoints(pc);
                var checkedFetch = TranslateOrFault(pc, AccessKind.Execute, unprivileged: false, 4);
                if (checkedFetch.Host == null)
                {
                    InstructionAbort(pc, FaultStatus.ExternalAbort);
                }

                return *(uint*)(checkedFetch.Host + (pc & 0xFFF));
            }

            int priv = CurrentEl == 0 ? 0 : 1;
            ref TlbEntry e = ref _tlb[((int)AccessKind.Execute * 2 + priv) * TlbEntries + (int)((pc >> 12) & TlbMask)];
            if (e.Tag == (pc & PageTagMask))
            {
                _fetchPage = e.Tag;
                _fetchHost = e.Host;
                return *(uint*)(e.Host + (pc & 0xFFF));
            }

            var t = TranslateOrFault(pc, AccessKind.Execute, unprivileged: false, 4);
            if (t.Host == null)
            {
                // Executing from a device: no memory answers as instructions.
                InstructionAbort(pc, FaultStatus.ExternalAbort);
            }

            _fetchPage = pc & ~0xFFFul;
            _fetchHost = t.Host;
            return *(uint*)(t.Host + (pc & 0xFFF));
        }
    }
}
