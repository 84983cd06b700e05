using Capvisor.Board.Memory;

namespace Capvisor.Board.Devices
{
    /// <summary>
    /// Arm PrimeCell UART (PL011) as on QEMU's virt board: transmitted bytes go to a host stream
    /// at once (the TX FIFO never fills), received bytes wait in a 16-entry FIFO (1 entry with
    /// FIFOs disabled). The RX interrupt is raised while received data waits, the TX interrupt
    /// after each transmitted byte until cleared (QEMU's model; Linux's driver relies on neither
    /// more nor less).
    /// </summary>
    public sealed class Pl011 : IMmioDevice
    {
        private const int FifoDepth = 16;

        // Registers (offsets).
        private const int Dr = 0x000, Rsr = 0x004, Fr = 0x018, Ilpr = 0x020, Ibrd = 0x024, Fbrd = 0x028,
            LcrH = 0x02C, Cr = 0x030, Ifls = 0x034, Imsc = 0x038, Ris = 0x03C, Mis = 0x040, Icr = 0x044, Dmacr = 0x048;

        // Interrupt bits (RIS/MIS/IMSC/ICR).
        internal const uint IntRx = 1 << 4, IntTx = 1 << 5, IntRt = 1 << 6, IntAll = 0x7FF;

        // Flag register bits.
        private const uint FrTxfe = 1 << 7, FrRxff = 1 << 6, FrRxfe = 1 << 4;

        private readonly Stream? _output;
        private readonly IInterruptLine? _irq;
        private readonly ushort[] _rxFifo = new ushort[FifoDepth];
        private int _rxHead, _rxCount;
        private uint _ris, _imsc, _lcrH, _cr = 0x300, _ifls = 0x12, _ilpr, _ibrd, _fbrd, _dmacr, _rsr;
        private bool _lineLevel;
        private readonly byte[] _txBuffer = new byte[4096];
        private int _txCount;

        /// <summary>QEMU's PL011 peripheral and PrimeCell identification bytes (0xFE0..0xFFC).</summary>
        private static readonly byte[] Id = [0x11, 0x10, 0x14, 0x00, 0x0D, 0xF0, 0x05, 0xB1];

        /// <summary>Creates the UART; <paramref name="output"/> receives transmitted bytes.</summary>
        public Pl011(Stream? output, IInterruptLine? irq)
        {
            _output = output;
            _irq = irq;
        }

        /// <summary>True when the receive FIFO has room for another byte.</summary>
        public bool CanReceive => _rxCount < RxCapacity;

        private int RxCapacity => (_lcrH & (1 << 4)) != 0 ? FifoDepth : 1;

        /// <summary>Delivers one byte from the host side (keyboard, pipe). Dropped when the FIFO is full.</summary>
        public void Receive(byte b)
        {
            if (!CanReceive)
            {
                return;
            }

            _rxFifo[(_rxHead + _rxCount) % FifoDepth] = b;
            _rxCount++;
            _ris |= IntRx;
            UpdateInterrupt();
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
            uint v;
            switch (reg)
            {
                case Dr:
                    v = PopRx();
                    break;
                case Rsr: v = _rsr; break;
                case Fr:
                    v = FrTxfe | (_rxCount == 0 ? FrRxfe : 0) | (_rxCount >= RxCapacity ? FrRxff : 0);
                    break;
                case Ilpr: v = _ilpr; break;
                case Ibrd: v = _ibrd; break;
                case Fbrd: v = _fbrd; break;
                case LcrH: v = _lcrH; break;
                case Cr: v = _cr; break;
                case Ifls: v = _ifls; break;
                case Imsc: v = _imsc; break;
                case Ris: v = _ris; break;
                case Mis: v = _ris & _imsc; break;
                case Dmacr: v = _dmacr; break;
                default:
                    v = reg >= 0xFE0 ? Id[(reg - 0xFE0) >> 2] : 0u;
                    break;
            }

            value = (v >> (8 * ((int)offset & 3))) & SizeMask(size);
            return true;
        }

        /// <inheritdoc/>
        public bool Write(ulong offset, int size, ulong value)
        {
            if (offset >= 0x1000)
            {
                return false;
            }

            if ((offset & 3) != 0)
            {
                return true; // sub-word writes into the middle of a register are ignored
            }

            uint v = (uint)value;
            switch ((int)offset)
            {
                case Dr:
                    Transmit((byte)v);
                    _ris |= IntTx;
                    UpdateInterrupt();
                    break;
                case Rsr: _rsr = 0; break; // UARTECR: any write clears the errors
                case Ilpr: _ilpr = v & 0xFF; break;
                case Ibrd: _ibrd = v & 0xFFFF; break;
                case Fbrd: _fbrd = v & 0x3F; break;
                case LcrH:
                    if (((_lcrH ^ v) & (1 << 4)) != 0)
                    {
                        // Changing FEN flushes the receive FIFO.
                        _rxCount = 0;
                        _ris &= ~IntRx;
                    }

                    _lcrH = v & 0xFF;
                    UpdateInterrupt();
                    break;
                case Cr: _cr = v & 0xFF87; break;
                case Ifls: _ifls = v & 0x3F; break;
                case Imsc: _imsc = v & IntAll; UpdateInterrupt(); break;
                case Icr: _ris &= ~(v & IntAll); UpdateInterrupt(); break;
                case Dmacr: _dmacr = v & 7; break;
            }

            return true;
        }

        /// <summary>Writes buffered transmitted bytes to the output stream.</summary>
        public void Flush()
        {
            if (_txCount > 0 && _output != null)
            {
                _output.Write(_txBuffer, 0, _txCount);
                _output.Flush();
            }

            _txCount = 0;
        }

        private void Transmit(byte b)
        {
            _txBuffer[_txCount++] = b;
            if (_txCount == _txBuffer.Length || b == (byte)'\n')
            {
                Flush();
            }
        }

        private uint PopRx()
        {
            if (_rxCount == 0)
            {
                return 0;
            }

            uint v = _rxFifo[_rxHead];
            _rxHead = (_rxHead + 1) % FifoDepth;
            _rxCount--;
            if (_rxCount == 0)
            {
                _ris &= ~(IntRx | IntRt);
            }

            UpdateInterrupt();
            return v;
        }

        private void UpdateInterrupt()
        {
            bool level = (_ris & _imsc) != 0;
            if (level != _lineLevel)
            {
                _lineLevel = level;
                _irq?.Set(level);
            }
        }

        private static ulong SizeMask(int size) => size >= 8 ? ulong.MaxValue : (1ul << (size * 8)) - 1;
    }
}
