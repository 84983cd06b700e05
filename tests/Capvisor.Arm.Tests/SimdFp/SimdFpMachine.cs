using System.Runtime.CompilerServices;

namespace Capvisor.Arm.Tests.SimdFp
{
    /// <summary>A CPU with FP enabled at EL1 and no memory, for driving ExecuteSimdFp directly.</summary>
    internal sealed unsafe class SimdFpMachine : IPhysicalMemory, ICpuHost
    {
        public Cpu Cpu { get; }

        public SimdFpMachine()
        {
            Cpu = new Cpu(0, this, this);
            Cpu.PowerOn(0x1000, 0, el: 1);
            Cpu.CpacrEl1 = 3ul << 20;
            Cpu.Pc = 0x1000;
        }

        /// <summary>ESR_EL1.EC of the last exception an instruction took.</summary>
        public ulong LastExceptionClass { get; private set; }

        /// <summary>Executes one instruction word; returns false if it took an exception (see <see cref="LastExceptionClass"/>).</summary>
        public bool Execute(uint insn)
        {
            Cpu.Pc = 0x1000;
            Cpu.NextPc = 0x1004;
            try
            {
                Cpu.ExecuteSimdFp(insn);
                return true;
            }
            catch (ArchitecturalException)
            {
                LastExceptionClass = Cpu.EsrEl[1] >> 26;
                Cpu.Pc = 0x1000;
                return false;
            }
        }

        public void SetQ(int n, ulong lo, ulong hi)
        {
            Cpu.V[2 * n] = lo;
            Cpu.V[2 * n + 1] = hi;
        }

        public (ulong Lo, ulong Hi) Q(int n) => (Cpu.V[2 * n], Cpu.V[2 * n + 1]);

        public void SetS(int n, float f) => SetQ(n, BitConverter.SingleToUInt32Bits(f), 0);

        public void SetD(int n, double f) => SetQ(n, BitConverter.DoubleToUInt64Bits(f), 0);

        public float S(int n) => BitConverter.UInt32BitsToSingle((uint)Cpu.V[2 * n]);

        public double D(int n) => BitConverter.UInt64BitsToDouble(Cpu.V[2 * n]);

        byte* IPhysicalMemory.GetRamPage(ulong pa, SecurityState state, out PhysicalFault fault)
        {
            fault = PhysicalFault.ExternalAbort;
            return null;
        }

        PhysicalFault IPhysicalMemory.Read(Cpu cpu, ulong pa, int size, SecurityState state, out ulong value)
        {
            value = 0;
            return PhysicalFault.ExternalAbort;
        }

        PhysicalFault IPhysicalMemory.Write(Cpu cpu, ulong pa, int size, SecurityState state, ulong value) => PhysicalFault.ExternalAbort;

        bool ICpuHost.HypervisorCall(Cpu cpu, ushort imm) => false;

        bool ICpuHost.SecureMonitorCall(Cpu cpu, ushort imm) => false;

        bool ICpuHost.TryReadSystemRegister(Cpu cpu, uint encoding, out ulong value)
        {
            value = 0;
            return false;
        }

        bool ICpuHost.TryWriteSystemRegister(Cpu cpu, uint encoding, ulong value) => false;

        /// <summary>The directory holding this source file (to find the C fixtures).</summary>
        public static string SourceDirectory([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
    }
}
