namespace Capvisor.Arm
{
    /// <summary>Why <see cref="Cpu.Run"/> returned.</summary>
    public enum CpuExit : byte
    {
        /// <summary>The instruction budget ran out.</summary>
        Budget,
        /// <summary>WFI or WFE with nothing pending: the CPU waits for an interrupt or event.</summary>
        Wait,
        /// <summary>The CPU is powered off (PSCI CPU_OFF, or never started).</summary>
        Off,
        /// <summary>Someone called <see cref="Cpu.RequestStop"/>.</summary>
        Stopped,
    }
}
