using Capvisor.Board.Devices;
using Capvisor.Board.Tests.Infrastructure;

namespace Capvisor.Board.Tests.Devices
{
    public sealed class Pl061Tests
    {
        private readonly RecordingLine _irq = new();
        private readonly Pl061 _gpio;

        public Pl061Tests()
        {
            _gpio = new Pl061(_irq);
        }

        private uint R(ulong off)
        {
            Assert.True(_gpio.Read(off, 4, out ulong v));
            return (uint)v;
        }

        [Fact]
        public void Identification()
        {
            uint[] expected = [0x61, 0x10, 0x04, 0x00, 0x0D, 0xF0, 0x05, 0xB1];
            for (int i = 0; i < 8; i++)
            {
                Assert.Equal(expected[i], R(0xFE0 + (ulong)i * 4));
            }
        }

        [Fact]
        public void DataRegisterIsMaskedByAddressBits()
        {
            _gpio.Write(0x400, 4, 0x0F); // pins 0..3 outputs
            _gpio.Write(0x3FC, 4, 0xFF);
            Assert.Equal(0x0Fu, R(0x3FC));
            _gpio.Write(0x004, 4, 0x00); // mask 0x01: clears pin 0 only
            Assert.Equal(0x0Eu, R(0x3FC));
            Assert.Equal(0x02u, R(0x008)); // read through mask 0x02
        }

        [Fact]
        public void PowerButtonRisingEdgeRaisesTheInterrupt()
        {
            _gpio.Write(0x40C, 4, 1 << 3); // IEV: rising
            _gpio.Write(0x410, 4, 1 << 3); // IE
            _gpio.SetInput(3, true);
            Assert.True(_irq.Level);
            Assert.Equal(1u << 3, R(0x418));
            Assert.Equal(1u << 3, R(0x3FC) & (1 << 3));
            _gpio.Write(0x41C, 4, 1 << 3);
            Assert.False(_irq.Level);
            _gpio.SetInput(3, false); // falling edge: not selected
            Assert.False(_irq.Level);
        }
    }
}
