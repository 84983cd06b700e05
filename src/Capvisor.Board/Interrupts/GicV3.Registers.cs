namespace Capvisor.Board.Interrupts
{
    public sealed partial class GicV3
    {
        /// <summary>The per-INTID bit registers shared by the distributor and the SGI_base frame.</summary>
        private enum BitRegister
        {
            Group,
            SetEnable,
            ClearEnable,
            SetPending,
            ClearPending,
            SetActive,
            ClearActive,
            GroupModifier,
        }

        private static readonly byte[] DistributorId = [0x44, 0, 0, 0, 0x92, 0xB4, 0x3B, 0, 0x0D, 0xF0, 0x05, 0xB1];
        private static readonly byte[] RedistributorId = [0x44, 0, 0, 0, 0x93, 0xB4, 0x3B, 0, 0x0D, 0xF0, 0x05, 0xB1];

        /// <summary>Implementer Arm (0x43B), as QEMU's GIC.</summary>
        private const uint Iidr = 0x43B;

        /// <summary>Reads 32 INTIDs' bits; <paramref name="firstSlot"/> &lt; 0 means the INTIDs do not exist (RAZ).</summary>
        private uint ReadBits(BitRegister reg, int firstSlot, int count)
        {
            if (firstSlot < 0)
            {
                return 0;
            }

            uint v = 0;
            for (int i = 0; i < count; i++)
            {
                int s = firstSlot + i;
                bool bit = reg switch
                {
                    BitRegister.Group => _group1[s],
                    BitRegister.SetEnable or BitRegister.ClearEnable => _enabled[s],
                    BitRegister.SetPending or BitRegister.ClearPending => Pending(s),
                    BitRegister.SetActive or BitRegister.ClearActive => _active[s],
                    _ => _groupModifier[s],
                };
                if (bit)
                {
                    v |= 1u << i;
                }
            }

            return v;
        }

        private void WriteBits(BitRegister reg, int firstSlot, int count, uint value)
        {
            if (firstSlot < 0)
            {
                return;
            }

            for (int i = 0; i < count; i++)
            {
                int s = firstSlot + i;
                bool bit = (value & (1u << i)) != 0;
                switch (reg)
                {
                    case BitRegister.Group: _group1[s] = bit; break;
                    case BitRegister.GroupModifier: _groupModifier[s] = bit; break;
                    case BitRegister.SetEnable: if (bit) _enabled[s] = true; break;
                    case BitRegister.ClearEnable: if (bit) _enabled[s] = false; break;
                    case BitRegister.SetPending: if (bit) _pendingLatch[s] = true; break;
                    case BitRegister.ClearPending: if (bit) _pendingLatch[s] = false; break;
                    case BitRegister.SetActive: if (bit) _active[s] = true; break;
                    case BitRegister.ClearActive: if (bit) _active[s] = false; break;
                }
            }
        }

        /// <summary>ICFGR word for 16 INTIDs starting at <paramref name="firstSlot"/> (bit 2k+1 = edge-triggered).</summary>
        private uint ReadConfig(int firstSlot)
        {
            if (firstSlot < 0)
            {
                return 0;
            }

            uint v = 0;
            for (int i = 0; i < 16; i++)
            {
                if (_edge[firstSlot + i])
                {
                    v |= 2u << (2 * i);
                }
            }

            return v;
        }

        private void WriteConfig(int firstSlot, uint value)
        {
            if (firstSlot < 0)
            {
                return;
            }

            for (int i = 0; i < 16; i++)
            {
                _edge[firstSlot + i] = (value & (2u << (2 * i))) != 0;
            }
        }

        private static uint IdRegister(byte[] ids, int offset) => ids[(offset - 0xFFD0) >> 2];

        /// <summary>Performs a sub-register, word or double-word access through a 32-bit register file.</summary>
        private static bool ReadThrough32(Func<int, uint> read32, ulong offset, int size, out ulong value)
        {
            int off = (int)offset;
            if (size == 8)
            {
                value = read32(off) | ((ulong)read32(off + 4) << 32);
                return true;
            }

            uint word = read32(off & ~3);
            int shift = 8 * (off & 3);
            value = (word >> shift) & (size == 4 ? 0xFFFF_FFFFu : (1u << (size * 8)) - 1);
            return true;
        }
    }
}
