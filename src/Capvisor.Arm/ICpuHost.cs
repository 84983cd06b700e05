namespace Capvisor.Arm
{
    /// <summary>
    /// What surrounds the CPU: the firmware that plays EL2/EL3 in C#, and the system-register
    /// devices of the board (GIC CPU interface, generic timer).
    /// </summary>
    public interface ICpuHost
    {
        /// <summary>HVC #imm from EL1. Returns false when nothing handles it (then it is UNDEFINED).</summary>
        bool HypervisorCall(Cpu cpu, ushort imm);

        /// <summary>SMC #imm from EL1. Returns false when nothing handles it (then it is UNDEFINED).</summary>
        bool SecureMonitorCall(Cpu cpu, ushort imm);

        /// <summary>
        /// Reads a system register the CPU itself does not hold (e.g. ICC_*, CNT*).
        /// <paramref name="encoding"/> is <see cref="SysReg"/>'s packed op0:op1:CRn:CRm:op2.
        /// </summary>
        /// <returns>false when no device implements it: the access is UNDEFINED.</returns>
        bool TryReadSystemRegister(Cpu cpu, uint encoding, out ulong value);

        /// <summary>Writes a system register the CPU itself does not hold.</summary>
        bool TryWriteSystemRegister(Cpu cpu, uint encoding, ulong value);

        /// <summary>
        /// SEV: signals an event to every CPU of the system (waking WFE). A system with one CPU
        /// needs nothing more than the local event register.
        /// </summary>
        void SendEventToAll(Cpu source) => source.SendEventLocal();
    }
}
