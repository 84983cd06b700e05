using Capvisor.Arm;
using Capvisor.Firmware.Monitor;
using Capvisor.Firmware.Rmm;

namespace Capvisor.Firmware.Hypervisor
{
    /// <summary>
    /// RMI as the Non-secure host issues it: the arguments go into a Non-secure CPU's X0–X6 and
    /// the EL3 monitor handles an <c>SMC #0</c> from that CPU, which routes RMI function IDs to
    /// the RMM only from the Non-secure state. Nothing here touches the RMM directly.
    /// </summary>
    public sealed class SmcRmiChannel : IRmiChannel
    {
        private readonly El3Monitor _monitor;
        private readonly Cpu _cpu;

        /// <summary>Issues SMCs to <paramref name="monitor"/> from <paramref name="cpu"/> (the host's physical CPU, Non-secure).</summary>
        /// <exception cref="ArgumentException">The CPU is not in the Non-secure state.</exception>
        public SmcRmiChannel(El3Monitor monitor, Cpu cpu)
        {
            if (cpu.Security != SecurityState.NonSecure)
            {
                throw new ArgumentException("the host issues RMI from the Non-secure state", nameof(cpu));
            }

            _monitor = monitor;
            _cpu = cpu;
        }

        /// <inheritdoc/>
        public RmiResult Call(uint functionId, ulong x1 = 0, ulong x2 = 0, ulong x3 = 0, ulong x4 = 0, ulong x5 = 0, ulong x6 = 0)
        {
            ulong[] x = _cpu.X;
            x[0] = functionId;
            x[1] = x1;
            x[2] = x2;
            x[3] = x3;
            x[4] = x4;
            x[5] = x5;
            x[6] = x6;
            if (!_monitor.SecureMonitorCall(_cpu, 0))
            {
                return new RmiResult(RmiResult.SmcUnknown);
            }

            return new RmiResult(x[0], x[1], x[2], x[3], x[4]);
        }
    }
}
