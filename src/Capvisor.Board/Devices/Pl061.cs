using Capvisor.Board.Memory;

namespace Capvisor.Board.Devices
{
    /// <summary>
    /// Arm PrimeCell GPIO (PL061), as on QEMU's virt board where pin 3 is the power button
    /// (the device tree's gpio-keys node). Eight pins with direction, level/edge detection and
    /// interrupt masking; the data register is addressed through bits [9:2] as a write mask.
    /// </summary>
    public sealed class Pl061 : IMmioDevice
    {
        private static readonly byte[] Id = [0x61, 0x10, 0x04, 0x00, 0x0D, 0xF0, 0x05, 0xB1];
        private readonly IInterruptLine? _irq;
        private uint _data, _input, _dir, _is, _ibe, _iev, _ie, _ris, _afsel;
        private bool _lineLevel;

        /// <summary>Creates the GPIO controller.</summary>
        public Pl061(IInterruptLine? irq)
        {
            _irq = irq;
        }

        /// <summary>Drives input pin <paramref name="pin"/> (0..7) from outside, e.g. the power button.</summary>
        public void SetInput(int pin, bool level)
        {
            if ((uint)pin > 7)
            {
                return;
            }

            uint bit = 1u << pin;
            uint old = _input;
            _input = level ? _input | bit : _input & ~bit;
            bool rising = (old & bit) == 0 && level, falling = (old & bit) != 0 && !level;
            if ((_is & bit) == 0 && (rising || falling))
            {
                bool wanted = (_ibe & bit) != 0 || ((_iev & bit) != 0 ? rising : falling);
                if (wanted)
                {
                    _ris |= bit;
                }
            }

            UpdateLevelInterrupts();
        }

        /// <inheritdoc/>
        public bool Read(ulong offset, int size, out ulong value)
        {
            value = 0;
            if (offset >= 0x1000)
            {
                return false;
            }

            int reg = (int)offset & ~3;
            uint v = reg switch
            {
                < 0x400 => ((_data & _dir) | (_input & ~_dir)) & (uint)(reg >> 2),
                0x400 => _dir,
                0x404 => _is,
                0x408 => _ibe,
                0x40C => _iev,
                0x410 => _ie,
                0x414 => _ris,
                0x418 => _ris & _ie,
                0x420 => _afsel,
                >= 0xFE0 => Id[(reg - 0xFE0) >> 2],
                _ => 0,
            };
            value = (v >> (8 * ((int)offset & 3))) & (size >= 4 ? 0xFFul : (1ul << (size * 8)) - 1);
            return true;
        }

        /// <inheritdoc/>
        public bool Write(ulong offset, int size, ulong value)
        {
            if (offset >= 0x1000)
            {
                return false;
            }

            uint v = (uint)value & 0xFF;
            int reg = (int)offset;
            if (reg < 0x400)
            {
                uint mask = (uint)(reg >> 2) & _dir;
                _data = (_data & ~mask) | (v & mask);
                return true;
            }

            switch (reg)
            {
                case 0x400: _dir = v; break;
                case 0x404: _is = v; break;
                case 0x408: _ibe = v; break;
                case 0x40C: _iev = v; break;
                case 0x410: _ie = v; break;
                case 0x41C: _ris &= ~v; break;
                case 0x420: _afsel = v; break;
                default: return true;
            }

            UpdateLevelInterrupts();
            return true;
        }

        private void UpdateLevelInterrupts()
        {
            // Level-sensitive pins report their matching level continuously.
            uint high = _input & ~_dir;
            uint levelMatch = (high & _iev) | (~high & ~_iev & 0xFF);
            _ris = (_ris & ~_is) | (levelMatch & _is);
            bool level = (_ris & _ie) != 0;
            if (level != _lineLevel)
            {
                _lineLevel = level;
                _irq?.Set(level);
            }
        }
    }
}
