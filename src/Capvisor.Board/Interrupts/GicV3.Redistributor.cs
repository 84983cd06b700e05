using Capvisor.Board.Memory;

namespace Capvisor.Board.Interrupts
{
    public sealed partial class GicV3
    {
        private RedistributorFrames? _redistributors;

        /// <summary>The redistributors: <see cref="RedistributorStride"/> bytes per CPU, CPU 0 first.</summary>
        public IMmioDevice Redistributors => _redistributors ??= new RedistributorFrames(this);

        private uint RedistributorRead32(int cpu, int off)
        {
            if (off < 0x10000)
            {
                switch (off)
                {
                    case 0x0004: return Iidr;
                    case 0x0008: // GICR_TYPER[31:0]: processor number, Last
                        return ((uint)cpu << 8) | (cpu == _cpuCount - 1 ? 1u << 4 : 0);
                    case 0x000C: // GICR_TYPER[63:32]: affinity
                        return Affinity(cpu);
                    case 0x0014: // GICR_WAKER: ChildrenAsleep follows ProcessorSleep at once
                        return _cpuIf[cpu].ProcessorSleep ? 6u : 0u;
                }

                return off >= 0xFFD0 ? IdRegister(RedistributorId, off) : 0;
            }

            off -= 0x10000;
            int first = cpu * 32;
            switch (off)
            {
                case 0x0080: return ReadBits(BitRegister.Group, first, 32);
                case 0x0100: return ReadBits(BitRegister.SetEnable, first, 32);
                case 0x0180: return ReadBits(BitRegister.ClearEnable, first, 32);
                case 0x0200: return ReadBits(BitRegister.SetPending, first, 32);
                case 0x0280: return ReadBits(BitRegister.ClearPending, first, 32);
                case 0x0300: return ReadBits(BitRegister.SetActive, first, 32);
                case 0x0380: return ReadBits(BitRegister.ClearActive, first, 32);
                case 0x0C00: return ReadConfig(first);
                case 0x0C04: return ReadConfig(first + 16);
                case 0x0D00: return ReadBits(BitRegister.GroupModifier, first, 32);
            }

            if (off >= 0x0400 && off < 0x0420)
            {
                uint v = 0;
                for (int i = 0; i < 4; i++)
                {
                    v |= (uint)_priority[first + off - 0x400 + i] << (8 * i);
                }

                return v;
            }

            return 0;
        }

        private void RedistributorWrite32(int cpu, int off, uint value)
        {
            if (off < 0x10000)
            {
                if (off == 0x0014)
                {
                    _cpuIf[cpu].ProcessorSleep = (value & 2) != 0;
                }

                return;
            }

            off -= 0x10000;
            int first = cpu * 32;
            switch (off)
            {
                case 0x0080: WriteBits(BitRegister.Group, first, 32, value); break;
                case 0x0100: WriteBits(BitRegister.SetEnable, first, 32, value); break;
                case 0x0180: WriteBits(BitRegister.ClearEnable, first, 32, value); break;
                case 0x0200: WriteBits(BitRegister.SetPending, first, 32, value); break;
                case 0x0280: WriteBits(BitRegister.ClearPending, first, 32, value); break;
                case 0x0300: WriteBits(BitRegister.SetActive, first, 32, value); break;
                case 0x0380: WriteBits(BitRegister.ClearActive, first, 32, value); break;
                case 0x0C00: break; // SGIs are always edge-triggered
                case 0x0C04: WriteConfig(first + 16, value); break;
                case 0x0D00: WriteBits(BitRegister.GroupModifier, first, 32, value); break;
                default:
                    if (off >= 0x0400 && off < 0x0420)
                    {
                        for (int i = 0; i < 4; i++)
                        {
                            _priority[first + off - 0x400 + i] = (byte)((value >> (8 * i)) & PriorityMask);
                        }

                        break;
                    }

                    return;
            }

            Update(cpu);
        }

        private sealed class RedistributorFrames(GicV3 gic) : IMmioDevice
        {
            public bool Read(ulong offset, int size, out ulong value)
            {
                int cpu = (int)(offset / RedistributorStride);
                if (cpu >= gic._cpuCount)
                {
                    value = 0;
                    return false;
                }

                int off = (int)(offset % RedistributorStride);
                if (size < 4 && off >= 0x10400 && off < 0x10420)
                {
                    value = 0;
                    for (int i = 0; i < size; i++)
                    {
                        value |= (ulong)gic._priority[cpu * 32 + off - 0x10400 + i] << (8 * i);
                    }

                    return true;
                }

                if (size == 8)
                {
                    value = gic.RedistributorRead32(cpu, off) | ((ulong)gic.RedistributorRead32(cpu, off + 4) << 32);
                    return true;
                }

                uint word = gic.RedistributorRead32(cpu, off & ~3);
                value = (word >> (8 * (off & 3))) & (size == 4 ? 0xFFFF_FFFFu : (1u << (size * 8)) - 1);
                return true;
            }

            public bool Write(ulong offset, int size, ulong value)
            {
                int cpu = (int)(offset / RedistributorStride);
                if (cpu >= gic._cpuCount)
                {
                    return false;
                }

                int off = (int)(offset % RedistributorStride);
                if (off >= 0x10400 && off < 0x10420 && size < 4)
                {
                    for (int i = 0; i < size; i++)
                    {
                        gic._priority[cpu * 32 + off - 0x10400 + i] = (byte)((value >> (8 * i)) & PriorityMask);
                    }

                    gic.Update(cpu);
                }
                else if (size == 8)
                {
                    gic.RedistributorWrite32(cpu, off, (uint)value);
                    gic.RedistributorWrite32(cpu, off + 4, (uint)(value >> 32));
                }
                else if (size == 4 && (off & 3) == 0)
                {
                    gic.RedistributorWrite32(cpu, off, (uint)value);
                }

                return true;
            }
        }
    }
}
