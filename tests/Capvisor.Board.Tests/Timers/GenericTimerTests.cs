using Capvisor.Arm;
using Capvisor.Board.Timers;

namespace Capvisor.Board.Tests.Timers
{
    public sealed class GenericTimerTests
    {
        private static readonly uint Cntfrq = SysReg.Encode(3, 3, 14, 0, 0);
        private static readonly uint Cntpct = SysReg.Encode(3, 3, 14, 0, 1);
        private static readonly uint CntpTval = SysReg.Encode(3, 3, 14, 2, 0);
        private static readonly uint CntpCtl = SysReg.Encode(3, 3, 14, 2, 1);
        private static readonly uint CntpCval = SysReg.Encode(3, 3, 14, 2, 2);
        private static readonly uint CntvCtl = SysReg.Encode(3, 3, 14, 3, 1);
        private static readonly uint CntvCval = SysReg.Encode(3, 3, 14, 3, 2);

        [Fact]
        public void FrequencyIsQemus()
        {
            var t = new GenericTimer();
            Assert.True(t.TryRead(Cntfrq, 0, out ulong f));
            Assert.Equal(62_500_000ul, f);
            Assert.True(t.TryRead(Cntpct, 1234, out ulong c));
            Assert.Equal(1234ul, c);
            Assert.False(t.TryWrite(Cntpct, 0, 5));
        }

        [Fact]
        public void TvalIsSignedDistanceToCval()
        {
            var t = new GenericTimer();
            t.TryWrite(CntpTval, 1000, 500);
            Assert.Equal(1500ul, t.PhysicalCompare);
            t.TryRead(CntpTval, 1600, out ulong tval);
            Assert.Equal(0xFFFF_FF9Cul, tval); // -100 as 32 bits
            t.TryWrite(CntpTval, 1000, 0xFFFF_FFFF); // -1
            Assert.Equal(999ul, t.PhysicalCompare);
        }

        [Fact]
        public void OutputNeedsEnableUnmaskedAndDeadline()
        {
            var t = new GenericTimer();
            t.TryWrite(CntpCval, 0, 100);
            Assert.False(t.PhysicalOutput(200));
            t.TryWrite(CntpCtl, 0, 1);
            Assert.False(t.PhysicalOutput(99));
            Assert.True(t.PhysicalOutput(100));
            t.TryRead(CntpCtl, 100, out ulong ctl);
            Assert.Equal(5ul, ctl); // ISTATUS | ENABLE
            t.TryWrite(CntpCtl, 0, 3);
            Assert.False(t.PhysicalOutput(100));
            t.TryRead(CntpCtl, 100, out ctl);
            Assert.Equal(7ul, ctl); // ISTATUS still reports the condition
        }

        [Fact]
        public void NextDeadlineIsTheEarliestArmedCompare()
        {
            var t = new GenericTimer();
            Assert.Equal(ulong.MaxValue, t.NextDeadline(0));
            t.TryWrite(CntpCval, 0, 500);
            t.TryWrite(CntpCtl, 0, 1);
            t.TryWrite(CntvCval, 0, 300);
            t.TryWrite(CntvCtl, 0, 1);
            Assert.Equal(300ul, t.NextDeadline(0));
            t.TryWrite(CntvCtl, 0, 3); // masked
            Assert.Equal(500ul, t.NextDeadline(0));
            Assert.Equal(ulong.MaxValue, t.NextDeadline(500)); // already fired
        }

        [Fact]
        public void DeterministicClockCountsInstructions()
        {
            var clock = new MachineClock(deterministic: true);
            clock.Attach(2);
            clock.BeginSlice(1, 100);
            Assert.Equal(160ul / 16, clock.CounterFor(1, 260));
            clock.Advance(1600);
            Assert.Equal(100ul, clock.Counter);
            clock.AdvanceTo(800);
            Assert.Equal(1600ul, clock.NowNs);
        }
    }
}
