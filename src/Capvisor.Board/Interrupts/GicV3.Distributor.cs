using Capvisor.Board.Memory;

namespace Capvisor.Board.Interrupts
{
    public sealed partial class GicV3
    {
        private DistributorFrame? _distributor;

        /// <summary>The distributor frame (GICD_*), 64 KiB.</summary>
        public IMmioDevice Distributor => _distributor ??= new DistributorFrame(this);

        /// <summary>First slot of the 32 INTIDs starting at 32*<paramref name="word"/>, or -1 (RAZ/WI).</summary>
        private int SpiWordSlot(int word)
        {
            if (word < 1 || word * 32 >= 32 + SpiCount)
            {
                return -1; // INTIDs 0..31 live in the redistributors when affinity routing is on
            }

            return _cpuCount * 32 + word * 32 - 32;
        }

        private uint DistributorRead32(int off)
        {
            switch (off)
            {
                case 0x0000: // GICD_CTLR: DS = 1 and ARE = 1 (both RAO/WI)
                    return (_enableGroup0 ? 1u : 0) | (_enableGroup1 ? 2u : 0) | (1u << 4) | (1u << 6);
                case 0x0004: // GICD_TYPER: No1N, A3V, 16 ID bits, no LPIs, ITLinesNumber
                    return (1u << 25) | (1u << 24) | (0xFu << 19) | (uint)((32 + SpiCount) / 32 - 1);
                case 0x0008: return Iidr;
            }

            if (off >= 0x0080 && off < 0x0400)
            {
                int group = (off - 0x80) >> 7;
                int word = ((off - 0x80) & 0x7F) >> 2;
                return ReadBits((BitRegister)group, SpiWordSlot(word), 32);
            }

            if (off >= 0x0400 && off < 0x0800)
            {
                uint v = 0;
                for (int i = 0; i < 4; i++)
                {
                    v |= (uint)DistributorPriority(off - 0x400 + i) << (8 * i);
                }

                return v;
            }

            if (off >= 0x0C00 && off < 0x0D00)
            {
                return ReadConfig(SpiConfigSlot((off - 0xC00) >> 2));
            }

            if (off >= 0x0D00 && off < 0x0D80)
            {
                return ReadBits(BitRegister.GroupModifier, SpiWordSlot((off - 0xD00) >> 2), 32);
            }

            if (off >= 0x6000 && off < 0x8000)
            {
                int intid = (off - 0x6000) >> 3;
                if (intid < 32 || intid >= 32 + SpiCount)
                {
                    return 0;
                }

                ulong route = _route[intid - 32];
                return (off & 4) == 0 ? (uint)route : (uint)(route >> 32);
            }

            if (off >= 0xFFD0)
            {
                return IdRegister(DistributorId, off);
            }

            return 0;
        }

        private int SpiConfigSlot(int word)
        {
            int first = word * 16;
            return first < 32 || first >= 32 + SpiCount ? -1 : _cpuCount * 32 + first - 32;
        }

        private byte DistributorPriority(int intid) =>
            intid >= 32 && intid < 32 + SpiCount ? _priority[_cpuCount * 32 + intid - 32] : (byte)0;

        private void DistributorWrite32(int off, uint value)
        {
            if (off == 0x0000)
            {
                _enableGroup0 = (value & 1) != 0;
                _enableGroup1 = (value & 2) != 0;
            }
            else if (off >= 0x0080 && off < 0x0400)
            {
                int group = (off - 0x80) >> 7;
                int word = ((off - 0x80) & 0x7F) >> 2;
                WriteBits((BitRegister)group, SpiWordSlot(word), 32, value);
            }
            else if (off >= 0x0400 && off < 0x0800)
            {
                for (int i = 0; i < 4; i++)
                {
                    DistributorWritePriority(off - 0x400 + i, (byte)(value >> (8 * i)));
                }
            }
            else if (off >= 0x0C00 && off < 0x0D00)
            {
                WriteConfig(SpiConfigSlot((off - 0xC00) >> 2), value);
            }
            else if (off >= 0x0D00 && off < 0x0D80)
            {
                WriteBits(BitRegister.GroupModifier, SpiWordSlot((off - 0xD00) >> 2), 32, value);
            }
            else if (off >= 0x6000 && off < 0x8000)
            {
                int intid = (off - 0x6000) >> 3;
                if (intid >= 32 && intid < 32 + SpiCount)
                {
                    int n = intid - 32;
                    ulong route = _route[n];
                    route = (off & 4) == 0
                        ? (route & 0xFFFF_FFFF_0000_0000ul) | value
                        : (route & 0xFFFF_FFFFul) | ((ulong)value << 32);
                    // Aff3 [39:32], IRM [31], Aff2..Aff0 [23:0]; the rest is RES0.
                    _route[n] = route & 0xFF_80FF_FFFFul;
                    _spiTarget[n] = RouteTarget(_route[n]);
                }
            }
            else
            {
                return; // read-only, reserved, ITARGETSR/NSACR/SGIR (RAZ/WI with ARE and DS)
            }

            UpdateAll();
        }

        private void DistributorWritePriority(int intid, byte value)
        {
            if (intid >= 32 && intid < 32 + SpiCount)
            {
                _priority[_cpuCount * 32 + intid - 32] = (byte)(value & PriorityMask);
            }
        }

        private sealed class DistributorFrame(GicV3 gic) : IMmioDevice
        {
            private readonly Func<int, uint> _read32 = gic.DistributorRead32;

            public bool Read(ulong offset, int size, out ulong value)
            {
                if (offset >= DistributorSize)
                {
                    value = 0;
                    return false;
                }

                if (size < 4 && offset >= 0x400 && offset < 0x800)
                {
                    value = 0;
                    for (int i = 0; i < size; i++)
                    {
                        value |= (ulong)gic.DistributorPriority((int)offset - 0x400 + i) << (8 * i);
                    }

                    return true;
                }

                return ReadThrough32(_read32, offset, size, out value);
            }

            public bool Write(ulong offset, int size, ulong value)
            {
                if (offset >= DistributorSize)
                {
                    return false;
                }

                int off = (int)offset;
                if (off >= 0x400 && off < 0x800 && size < 4)
                {
                    for (int i = 0; i < size; i++)
                    {
                        gic.DistributorWritePriority(off - 0x400 + i, (byte)(value >> (8 * i)));
                    }

                    gic.UpdateAll();
                    return true;
                }

                if (size == 8)
                {
                    gic.DistributorWrite32(off, (uint)value);
                    gic.DistributorWrite32(off + 4, (uint)(value >> 32));
                }
                else if (size == 4 && (off & 3) == 0)
                {
                    gic.DistributorWrite32(off, (uint)value);
                }

                return true; // other sub-word writes are ignored
            }
        }
    }
}
