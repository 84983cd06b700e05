using System.Runtime.InteropServices;

namespace Capvisor.Arm.Tests.SimdFp
{
    /// <summary>
    /// SIMD&amp;FP instructions reached through the CPU's own fetch/decode/execute loop (the
    /// Op.SimdFp hook), mixed with integer code as glibc's string routines mix them.
    /// </summary>
    public sealed unsafe class SimdFpRunTests : IPhysicalMemory, ICpuHost, IDisposable
    {
        private const int RamSize = 64 * 1024;
        private readonly byte* _ram = (byte*)NativeMemory.AllocZeroed(RamSize);

        public void Dispose() => NativeMemory.Free(_ram);

        private static readonly uint[] Program =
        {
            0xaa0003e1, // mov x1, x0
            0x3cc10420, // loop: ldr q0, [x1], #16
            0x4e209800, // cmeq v0.16b, v0.16b, #0
            0x0f0c8400, // shrn v0.8b, v0.8h, #4
            0x9e660002, // fmov x2, d0
            0xb4ffff82, // cbz x2, loop
            0xdac00042, // rbit x2, x2
            0xdac01042, // clz x2, x2
            0xd1004021, // sub x1, x1, #16
            0xcb000020, // sub x0, x1, x0
            0x8b420800, // add x0, x0, x2, lsr #2      (x0 = strlen)
            0x9e620001, // scvtf d1, x0
            0x1e61c021, // fsqrt d1, d1
            0x1e6f1002, // fmov d2, #1.5
            0x1e620821, // fmul d1, d1, d2
            0x9e780023, // fcvtzs x3, d1               (x3 = (long)(sqrt(len) * 1.5))
            0x4f03e424, // movi v4.16b, #0x61
            0x6e20a485, // umaxp v5.16b, v4.16b, v0.16b
            0x4e31b8a6, // addv b6, v5.16b
            0x0e013cc4, // umov w4, v6.b[0]
            0xd4200000, // brk #0
        };

        [Fact]
        public void StrlenStyleLoopRunsThroughTheExecutionLoop()
        {
            for (int i = 0; i < Program.Length; i++)
            {
                *(uint*)(_ram + 0x1000 + 4 * i) = Program[i];
            }

            *(uint*)(_ram + 0xA00) = 0x14000000; // b . at the current-EL synchronous vector
            for (int i = 0; i < 64; i++)
            {
                _ram[0x2000 + i] = (byte)(i < 37 ? 'a' : i == 37 ? 0 : 'x');
            }

            var cpu = new Cpu(0, this, this);
            cpu.PowerOn(0x1000, 0x2000, el: 1);
            cpu.CpacrEl1 = 3ul << 20;
            cpu.VbarEl[1] = 0x800;
            cpu.Run(1000);
            Assert.Equal((ulong)ExceptionClass.Brk64, cpu.EsrEl[1] >> 26);
            Assert.Equal(0x1000ul + 4 * (ulong)(Program.Length - 1), cpu.ElrEl[1]);
            Assert.Equal(37ul, cpu.X[0]);
            Assert.Equal(9ul, cpu.X[3]);
            Assert.Equal(0xF8ul, cpu.X[4]); // (8 × 0x61 + 0xF0) mod 256
            Assert.Equal(0ul, cpu.V[2 * 0 + 1]); // shrn .8b cleared the top half
        }

        [Fact]
        public void FpAccessTrapFromTheLoop()
        {
            *(uint*)(_ram + 0x1000) = 0x4e209800; // cmeq v0.16b, v0.16b, #0
            *(uint*)(_ram + 0xA00) = 0x14000000;
            var cpu = new Cpu(0, this, this);
            cpu.PowerOn(0x1000, 0, el: 1);
            cpu.VbarEl[1] = 0x800;
            cpu.Run(10);
            Assert.Equal((ulong)ExceptionClass.FpAccessTrap, cpu.EsrEl[1] >> 26);
            Assert.Equal(0x1000ul, cpu.ElrEl[1]);
        }

        byte* IPhysicalMemory.GetRamPage(ulong pa, SecurityState state, out PhysicalFault fault)
        {
            if (pa < RamSize)
            {
                fault = PhysicalFault.None;
                return _ram + (pa & ~0xFFFul);
            }

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
    }
}
