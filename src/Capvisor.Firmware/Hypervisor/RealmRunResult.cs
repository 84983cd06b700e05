namespace Capvisor.Firmware.Hypervisor
{
    /// <summary>How a realm run ended, with a message for the user.</summary>
    /// <param name="End">The reason.</param>
    /// <param name="Message">What happened, in words.</param>
    public sealed record RealmRunResult(RealmRunEnd End, string Message)
    {
        /// <summary>Process exit status, as for normal runs: 0 when the realm switched off or reset, else 1.</summary>
        public int ExitCode => End is RealmRunEnd.SystemOff or RealmRunEnd.SystemReset ? 0 : 1;
    }
}
