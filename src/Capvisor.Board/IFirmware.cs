using Capvisor.Arm;

namespace Capvisor.Board
{
    /// <summary>
    /// What plays EL2/EL3 for the board: it receives the guest's HVC and SMC calls. Implemented
    /// above the board (Capvisor.Firmware) and handed to <see cref="VirtMachine"/>, so the board
    /// depends on no firmware.
    /// </summary>
    public interface IFirmware
    {
        /// <summary>HVC #imm from EL1; false when unhandled (the HVC is then UNDEFINED).</summary>
        bool HypervisorCall(Cpu cpu, ushort imm);

        /// <summary>SMC #imm from EL1; false when unhandled (the SMC is then UNDEFINED).</summary>
        bool SecureMonitorCall(Cpu cpu, ushort imm);
    }
}
