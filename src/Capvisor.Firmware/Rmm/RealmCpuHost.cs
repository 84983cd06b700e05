using Capvisor.Arm;
using Capvisor.Board.Timers;

namespace Capvisor.Firmware.Rmm
{
    /// <summary>
    /// What surrounds a realm's CPU: SMC goes to the RMM (RSI and PSCI); HVC has no handler, so it
    /// is UNDEFINED in the realm as on CCA hardware; the EL1 timers are the REC's own, counting
    /// the board's system counter.
    /// </summary>
    internal sealed class RealmCpuHost : ICpuHost
    {
        private readonly RealmManagementMonitor _rmm;
        private readonly Func<ulong> _counter;
        private RecExecution? _rec;

        public RealmCpuHost(RealmManagementMonitor rmm, Func<ulong> counter)
        {
            _rmm = rmm;
            _counter = counter;
        }

        /// <summary>Binds the host to its REC (once, right after the REC's CPU exists).</summary>
        public void Bind(RecExecution rec) => _rec = rec;

        public bool HypervisorCall(Cpu cpu, ushort imm) => false;

        public bool SecureMonitorCall(Cpu cpu, ushort imm)
        {
            _rmm.HandleRealmSmc(_rec!, cpu);
            return true;
        }

        public bool TryReadSystemRegister(Cpu cpu, uint encoding, out ulong value)
        {
            if (GenericTimer.Handles(encoding))
            {
                return _rec!.Timer.TryRead(encoding, _counter(), out value);
            }

            value = 0;
            return false;
        }

        public bool TryWriteSystemRegister(Cpu cpu, uint encoding, ulong value) =>
            GenericTimer.Handles(encoding) && _rec!.Timer.TryWrite(encoding, _counter(), value);
    }
}
