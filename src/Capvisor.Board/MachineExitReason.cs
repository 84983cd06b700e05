namespace Capvisor.Board
{
    /// <summary>Why <see cref="VirtMachine.Run"/> returned.</summary>
    public enum MachineExitReason
    {
        /// <summary>PSCI SYSTEM_OFF.</summary>
        SystemOff,
        /// <summary>PSCI SYSTEM_RESET (Capvisor does not reboot, like QEMU -no-reboot).</summary>
        SystemReset,
        /// <summary>The wall-clock timeout passed.</summary>
        Timeout,
        /// <summary>A CPU kept taking the same exception without progress.</summary>
        ExceptionLoop,
        /// <summary>Every CPU is powered off.</summary>
        AllCpusOff,
        /// <summary>Every CPU waits for an interrupt that nothing can raise.</summary>
        Deadlock,
        /// <summary>The caller cancelled the run.</summary>
        Cancelled,
    }
}
