using Capvisor.Board.Devices;
using Capvisor.Board.Tests.Infrastructure;

namespace Capvisor.Board.Tests.Devices
{
    public sealed class Pl011Tests
    {
        private readonly MemoryStream _out = new();
        private readonly RecordingLine _irq = new();
        private readonly Pl011 _uart;

        public Pl011Tests()
        {
            _uart = new Pl011(_out, _irq);
        }

        private uint R(ulong off)
        {
            Assert.True(_uart.Read(off, 4, out ulong v));
            return (uint)v;
        }

        private void W(ulong off, uint v) => Assert.True(_uart.Write(off, 4, v));

        [Fact]
        public void TransmitsToTheStream()
        {
            foreach (char c in "ok\n")
            {
                W(0x000, c);
            }

            Assert.Equal("ok\n", System.Text.Encoding.ASCII.GetString(_out.ToArray()));
        }

        [Fact]
        public void FlagsAtReset()
        {
            uint fr = R(0x018);
            Assert.NotEqual(0u, fr & (1 << 7)); // TXFE
            Assert.NotEqual(0u, fr & (1 << 4)); // RXFE
            Assert.Equal(0u, fr & (1 << 5)); // TXFF never
            Assert.Equal(0x300u, R(0x030)); // UARTCR: TXE, RXE
            Assert.Equal(0x12u, R(0x034)); // UARTIFLS
        }

        [Fact]
        public void PrimeCellIdentification()
        {
            uint[] expected = [0x11, 0x10, 0x14, 0x00, 0x0D, 0xF0, 0x05, 0xB1];
            for (int i = 0; i < 8; i++)
            {
                Assert.Equal(expected[i], R(0xFE0 + (ulong)i * 4));
            }
        }

        [Fact]
        public void ReceiveFifoAndRxInterrupt()
        {
            W(0x02C, 1 << 4); // FIFOs on
            W(0x038, 1 << 4); // RXIM
            for (int i = 0; i < 20; i++)
            {
                _uart.Receive((byte)('a' + i));
            }

            Assert.True(_irq.Level);
            Assert.NotEqual(0u, R(0x018) & (1 << 6)); // RXFF after 16
            Assert.False(_uart.CanReceive);
            var got = new List<char>();
            while ((R(0x018) & (1 << 4)) == 0)
            {
                got.Add((char)R(0x000));
            }

            Assert.Equal("abcdefghijklmnop", new string(got.ToArray()));
            Assert.False(_irq.Level);
            Assert.Equal(0u, R(0x03C) & (1 << 4));
        }

        [Fact]
        public void WithoutFifoOnlyOneByteWaits()
        {
            _uart.Receive((byte)'x');
            Assert.False(_uart.CanReceive);
            _uart.Receive((byte)'y');
            Assert.Equal((uint)'x', R(0x000));
            Assert.Equal(0u, R(0x000));
        }

        [Fact]
        public void TxInterruptAfterWriteUntilCleared()
        {
            W(0x038, 1 << 5);
            Assert.False(_irq.Level);
            W(0x000, 'a');
            Assert.True(_irq.Level);
            Assert.Equal(1u << 5, R(0x040));
            W(0x044, 0x7FF);
            Assert.False(_irq.Level);
        }

        [Fact]
        public void OutOfRangeAndOddAccessesAreHarmless()
        {
            Assert.False(_uart.Read(0x1000, 4, out _));
            Assert.False(_uart.Write(0x1000, 4, 0));
            Assert.True(_uart.Write(0x001, 1, 0xFF));
            Assert.True(_uart.Read(0x019, 1, out _));
            Assert.True(_uart.Read(0x018, 8, out _));
            Assert.Empty(_out.ToArray());
        }
    }
}
