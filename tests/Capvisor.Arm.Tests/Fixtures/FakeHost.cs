using Capvisor.Arm;

namespace Capvisor.Arm.Tests.Fixtures
{
    /// <summary>Records HVC/SMC calls; implements no device system registers.</summary>
    public sealed class FakeHost : ICpuHost
    {
        public List<(string Kind, ushort Imm)> Calls { get; } = new();

        public bool HypervisorCall(Cpu cpu, ushort imm)
        {
            Calls.Add(("hvc", imm));
            return true;
        }

        public bool SecureMonitorCall(Cpu cpu, ushort imm)
        {
            Calls.Add(("smc", imm));
            return true;
        }

        public bool TryReadSystemRegister(Cpu cpu, uint encoding, out ulong value)
        {
            value = 0;
            return false;
        }

        public bool TryWriteSystemRegister(Cpu cpu, uint encoding, ulong value) => false;
    }
}
