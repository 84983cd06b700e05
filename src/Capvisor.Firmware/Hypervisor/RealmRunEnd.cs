namespace Capvisor.Firmware.Hypervisor
{
    /// <summary>Why a realm run ended.</summary>
    public enum RealmRunEnd
    {
        /// <summary>The realm called PSCI SYSTEM_OFF.</summary>
        SystemOff,

        /// <summary>The realm called PSCI SYSTEM_RESET (the host does not restart it).</summary>
        SystemReset,

        /// <summary>The wall-clock limit passed.</summary>
        Timeout,

        /// <summary>The caller cancelled the run.</summary>
        Cancelled,

        /// <summary>No REC is left to run (all turned off or refused).</summary>
        AllRecsOff,

        /// <summary>The realm did something the host cannot serve (e.g. endless faults on one address).</summary>
        RealmError,

        /// <summary>An RMI command the host relies on failed, or host memory ran out.</summary>
        HostError,
    }
}
