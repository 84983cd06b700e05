using Capvisor.Arm;

namespace Capvisor.Board.Tests.Infrastructure
{
    /// <summary>Just enough firmware for board tests: HVC #0 with x0 = SYSTEM_OFF switches off, anything else returns -1.</summary>
    internal sealed class TestFirmware(IMachineControl machine) : IFirmware
    {
        public int Calls { get; private set; }

        public bool HypervisorCall(Cpu cpu, ushort imm)
        {
            Calls++;
            if (cpu.X[0] == 0x8400_0008)
            {
                machine.SystemOff();
            }
            else
            {
                cpu.X[0] = ulong.MaxValue;
            }

            return true;
        }

        public bool SecureMonitorCall(Cpu cpu, ushort imm) => false;
    }
}
