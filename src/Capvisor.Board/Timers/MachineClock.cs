using System.Diagnostics;

namespace Capvisor.Board.Timers
{
    /// <summary>
    /// Machine time in nanoseconds, and the system counter derived from it (62.5 MHz, as QEMU's
    /// virt board: one tick every 16 ns).
    /// </summary>
    /// <remarks>
    /// <para><b>Deterministic</b>: one retired instruction is one nanosecond. The board runs the
    /// CPUs round-robin in slices; machine time at the start of a slice is <see cref="SliceStartNs"/>,
    /// and a CPU reading the counter mid-slice sees that plus the instructions it has retired in
    /// the slice. When every CPU waits, the board moves time to the next timer deadline. Nothing
    /// depends on the host, so every run of the same inputs is identical.</para>
    /// <para><b>Real time</b>: time is the host's monotonic clock (<see cref="Stopwatch"/>) since
    /// the machine was created.</para>
    /// </remarks>
    public sealed class MachineClock
    {
        /// <summary>CNTFRQ_EL0: the system counter frequency.</summary>
        public const ulong CounterFrequency = 62_500_000;

        /// <summary>Nanoseconds per counter tick.</summary>
        public const ulong NanosecondsPerTick = 1_000_000_000 / CounterFrequency;

        private readonly long _start = Stopwatch.GetTimestamp();
        private ulong[] _sliceStartRetired = [];

        /// <summary>Creates a clock in deterministic or real-time mode.</summary>
        public MachineClock(bool deterministic)
        {
            Deterministic = deterministic;
        }

        /// <summary>True for instruction-count time, false for host time.</summary>
        public bool Deterministic { get; }

        /// <summary>Deterministic mode: machine time at the start of the current slice.</summary>
        public ulong SliceStartNs { get; private set; }

        /// <summary>Prepares per-CPU bookkeeping for <paramref name="cpuCount"/> CPUs.</summary>
        public void Attach(int cpuCount) => _sliceStartRetired = new ulong[cpuCount];

        /// <summary>Deterministic mode: records that CPU <paramref name="cpu"/> starts a slice having retired <paramref name="retired"/> instructions.</summary>
        public void BeginSlice(int cpu, ulong retired) => _sliceStartRetired[cpu] = retired;

        /// <summary>Deterministic mode: ends a round of slices <paramref name="ns"/> long.</summary>
        public void Advance(ulong ns) => SliceStartNs += ns;

        /// <summary>Deterministic mode: moves time forward to <paramref name="ns"/> (never backwards).</summary>
        public void AdvanceTo(ulong ns)
        {
            if (ns > SliceStartNs)
            {
                SliceStartNs = ns;
            }
        }

        /// <summary>Machine time between slices (for devices and deadline checks).</summary>
        public ulong NowNs => Deterministic ? SliceStartNs : HostNs();

        /// <summary>Machine time as CPU <paramref name="cpu"/> sees it while it runs.</summary>
        public ulong NowNsFor(int cpu, ulong retired) =>
            Deterministic ? SliceStartNs + (retired - _sliceStartRetired[cpu]) : HostNs();

        /// <summary>The system counter as CPU <paramref name="cpu"/> sees it.</summary>
        public ulong CounterFor(int cpu, ulong retired) => NowNsFor(cpu, retired) / NanosecondsPerTick;

        /// <summary>The system counter between slices.</summary>
        public ulong Counter => NowNs / NanosecondsPerTick;

        private ulong HostNs()
        {
            long elapsed = Stopwatch.GetTimestamp() - _start;
            return Stopwatch.Frequency == 1_000_000_000
                ? (ulong)elapsed
                : (ulong)((UInt128)(ulong)elapsed * 1_000_000_000 / (ulong)Stopwatch.Frequency);
        }
    }
}
