using Capvisor.Board.Memory;

namespace Capvisor.Board.Devices
{
    /// <summary>
    /// Arm PrimeCell real-time clock (PL031): a seconds counter that starts at the host's wall
    /// clock (or a fixed epoch in deterministic mode) and advances with machine time, with a
    /// match interrupt.
    /// </summary>
    public sealed class Pl031 : IMmioDevice
    {
        private const int Dr = 0x00, Mr = 0x04, Lr = 0x08, Cr = 0x0C, Imsc = 0x10, Ris = 0x14, Mis = 0x18, Icr = 0x1C;
        private static readonly byte[] Id = [0x31, 0x10, 0x14, 0x00, 0x0D, 0xF0, 0x05, 0xB1];

        private readonly Func<ulong> _nowNs;
        private readonly IInterruptLine? _irq;
        private long _offsetSeconds;
        private uint _mr, _lr, _imsc, _ris;
        private uint _lastSeconds;
        private bool _lineLevel;

        /// <summary>
        /// Creates the RTC. <paramref name="nowNs"/> is machine time in nanoseconds;
        /// <paramref name="startSeconds"/> the Unix time the counter shows at machine time 0.
        /// </summary>
        public Pl031(Func<ulong> nowNs, long startSeconds, IInterruptLine? irq)
        {
            _nowNs = nowNs;
            _irq = irq;
            _offsetSeconds = startSeconds;
            _lastSeconds = Seconds;
        }

        private uint Seconds => (uint)(_offsetSeconds + (long)(_nowNs() / 1_000_000_000));

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
                Dr => Seconds,
                Mr => _mr,
                Lr => _lr,
                Cr => 1, // the counter always runs
                Imsc => _imsc,
                Ris => _ris,
                Mis => _ris & _imsc,
                _ => reg >= 0xFE0 ? Id[(reg - 0xFE0) >> 2] : 0u,
            };
            value = (v >> (8 * ((int)offset & 3))) & (size >= 4 ? 0xFFFF_FFFFul : (1ul << (size * 8)) - 1);
            return true;
        }

        /// <inheritdoc/>
        public bool Write(ulong offset, int size, ulong value)
        {
            if (offset >= 0x1000)
            {
                return false;
            }

            uint v = (uint)value;
            switch ((int)offset)
            {
                case Mr: _mr = v; break;
                case Lr:
                    _lr = v;
                    _offsetSeconds = v - (long)(_nowNs() / 1_000_000_000);
                    _lastSeconds = Seconds;
                    break;
                case Imsc: _imsc = v & 1; UpdateInterrupt(); break;
                case Icr: _ris &= ~(v & 1); UpdateInterrupt(); break;
            }

            return true;
        }

        /// <summary>Checks the match register; the board calls it between quanta.</summary>
        public void Tick()
        {
            uint now = Seconds;
            if (now != _lastSeconds)
            {
                // Seconds passed since the last check: a match anywhere in (last, now] counts.
                if (InRange(_mr, _lastSeconds, now))
                {
                    _ris |= 1;
                    UpdateInterrupt();
                }

                _lastSeconds = now;
            }
        }

        private static bool InRange(uint x, uint from, uint to) =>
            from <= to ? x > from && x <= to : x > from || x <= to;

        private void UpdateInterrupt()
        {
            bool level = (_ris & _imsc) != 0;
            if (level != _lineLevel)
            {
                _lineLevel = level;
                _irq?.Set(level);
            }
        }
    }
}
