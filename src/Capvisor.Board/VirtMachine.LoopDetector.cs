using Capvisor.Arm;

namespace Capvisor.Board
{
    public sealed partial class VirtMachine
    {
        /// <summary>
        /// Notices a CPU stuck taking the same exception: slices in which exceptions are dense
        /// (at least one per 64 instructions) and ESR/ELR/FAR at the end of the slice are the same
        /// as after the previous such slice. Interrupt handling in a working guest costs far more
        /// than 64 instructions per exception, so it never trips this.
        /// </summary>
        private struct LoopDetector
        {
            private ulong _count, _esr, _elr, _far;

            /// <summary>Accounts one slice; true when the CPU has looped on one exception more than <paramref name="limit"/> times.</summary>
            public bool Observe(Cpu cpu, ulong retired, ulong exceptions, int limit)
            {
                if (exceptions == 0 || exceptions * 64 < retired)
                {
                    _count = 0;
                    return false;
                }

                int el = Math.Max(1, cpu.CurrentEl);
                ulong esr = cpu.EsrEl[el], elr = cpu.ElrEl[el], far = cpu.FarEl[el];
                if (_count > 0 && esr == _esr && elr == _elr && far == _far)
                {
                    _count += exceptions;
                }
                else
                {
                    _count = exceptions;
                    _esr = esr;
                    _elr = elr;
                    _far = far;
                }

                return _count > (ulong)limit;
            }
        }
    }
}
