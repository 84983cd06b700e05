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
        private readonly Func<long, ulong> _counter;
        private RecExecution? _rec;

        public RealmCpuHost(RealmManagementMonitor rmm, Func<long, ulong> counter)
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

        /// <summary>The system counter as the realm sees it now (time advances with the instructions it runs).</summary>
        /// <remarks>
        /// Never earlier than at the REC's last exit: the board's clock need not have moved
        /// between two REC_ENTERs, but the realm's time must not go back.
        /// </remarks>
        public ulong Now(Cpu cpu)
        {
            RecExecution x = _rec!;
            ulong board = _counter((long)(cpu.Retired - x.EntryRetired));
            return Math.Max(board, x.LastExitCounter + (board - x.EntryBoardCounter));
        }

        /// <summary>Starts the REC's time for a REC_ENTER.</summary>
        public void BeginEntry(Cpu cpu)
        {
            _rec!.EntryRetired = cpu.Retired;
            _rec.EntryBoardCounter = _counter(0);
        }

        public bool TryReadSystemRegister(Cpu cpu, uint encoding, out ulong value)
        {
            if (GenericTimer.Handles(encoding))
            {
                return _rec!.Timer.TryRead(encoding, Now(cpu), out value);
            }

            if (RealmGicCpuInterface.Handles(encoding) && _rec!.Gic.TryRead(encoding, out value))
            {
                cpu.IrqLine = _rec.Gic.IrqPending;
                return true;
            }

            value = 0;
            return false;
        }

        public bool TryWriteSystemRegister(Cpu cpu, uint encoding, ulong value)
        {
            if (GenericTimer.Handles(encoding))
            {
                return _rec!.Timer.TryWrite(encoding, Now(cpu), value);
            }

            if (RealmGicCpuInterface.IsSgiRegister(encoding))
            {
                // SGIs are the host's to deliver: exit as a trapped MSR (EC 0x18, Rt hidden), value in gprs[0].
                ulong iss = ((ulong)(encoding >> 14 & 3) << 20) | ((ulong)(encoding & 7) << 17) | ((ulong)(encoding >> 11 & 7) << 14)
                    | ((ulong)(encoding >> 7 & 0xF) << 10) | ((ulong)(encoding >> 3 & 0xF) << 1);
                _rec!.StageExit(RecRunLayout.ExitSync);
                _rec.Set(RecRunLayout.ExitEsr, (0x18UL << 26) | (1UL << 25) | iss);
                _rec.SetGpr(0, value);
                return true;
            }

            if (RealmGicCpuInterface.Handles(encoding) && _rec!.Gic.TryWrite(encoding, value))
            {
                cpu.IrqLine = _rec.Gic.IrqPending;
                return true;
            }

            return false;
        }
    }
}
