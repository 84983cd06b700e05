using Capvisor.Board.Devices;
using Capvisor.Board.Tests.Infrastructure;

namespace Capvisor.Board.Tests.Devices
{
    public sealed class Pl031Tests
    {
        private ulong _ns;

        [Fact]
        public void CountsSecondsFromTheStartTimeAndLoads()
        {
            var rtc = new Pl031(() => _ns, 1000, null);
            Assert.True(rtc.Read(0, 4, out ulong v));
            Assert.Equal(1000ul, v);
            _ns = 2_500_000_000;
            rtc.Read(0, 4, out v);
            Assert.Equal(1002ul, v);
            rtc.Write(0x08, 4, 50);
            rtc.Read(0, 4, out v);
            Assert.Equal(50ul, v);
            rtc.Read(0xFE0, 4, out v);
            Assert.Equal(0x31ul, v);
        }

        [Fact]
        public void MatchRaisesTheInterruptUntilCleared()
        {
            var line = new RecordingLine();
            var rtc = new Pl031(() => _ns, 0, line);
            rtc.Write(0x04, 4, 3);
            rtc.Write(0x10, 4, 1);
            _ns = 2_000_000_000;
            rtc.Tick();
            Assert.False(line.Level);
            _ns = 5_000_000_000;
            rtc.Tick();
            Assert.True(line.Level);
            rtc.Write(0x1C, 4, 1);
            Assert.False(line.Level);
            rtc.Tick();
            Assert.False(line.Level);
        }
    }
}
