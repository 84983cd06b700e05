namespace Capvisor.Board
{
    /// <summary>How a run ended, with a one-line explanation.</summary>
    public sealed record MachineExit(MachineExitReason Reason, string Message)
    {
        /// <summary>Process exit status: 0 for SYSTEM_OFF and SYSTEM_RESET, 1 otherwise.</summary>
        public int ExitCode => Reason is MachineExitReason.SystemOff or MachineExitReason.SystemReset ? 0 : 1;
    }
}
