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
        /// <summary>
        /// The CPU needs the C# firmware at EL2: a stage-2 abort or a trapped WFI/WFE
        /// (<see cref="Cpu.EsrEl2"/>, <see cref="Cpu.FarEl2"/> and <see cref="Cpu.HpfarEl2"/> describe
        /// it and <see cref="Cpu.Pc"/> is the instruction, not executed), or an HVC/SMC handler
        /// asked to leave the run loop after completing (<see cref="Cpu.ExitAfterInstruction"/>).
        /// </summary>
        Hypervisor,
    }
}
