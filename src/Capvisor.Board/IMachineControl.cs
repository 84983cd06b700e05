using Capvisor.Arm;

namespace Capvisor.Board
{
    /// <summary>The board operations firmware needs: CPU power, system power, and what is RAM.</summary>
    public interface IMachineControl
    {
        /// <summary>Number of CPUs.</summary>
        int CpuCount { get; }

        /// <summary>CPU <paramref name="index"/>.</summary>
        Cpu GetCpu(int index);

        /// <summary>The index of the CPU whose MPIDR affinity fields equal <paramref name="mpidr"/>'s, or -1.</summary>
        int FindCpu(ulong mpidr);

        /// <summary>True when [<paramref name="pa"/>, +<paramref name="length"/>) is RAM.</summary>
        bool IsRam(ulong pa, ulong length);

        /// <summary>Powers CPU <paramref name="index"/> on at <paramref name="entry"/> (EL1h, MMU off, DAIF masked, x0 = <paramref name="context"/>).</summary>
        void PowerOnCpu(int index, ulong entry, ulong context);

        /// <summary>Powers CPU <paramref name="index"/> off.</summary>
        void PowerOffCpu(int index);

        /// <summary>Ends the run: the guest switched the system off.</summary>
        void SystemOff();

        /// <summary>Ends the run: the guest asked for a reset.</summary>
        void SystemReset();
    }
}
