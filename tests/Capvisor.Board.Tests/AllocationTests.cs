using Capvisor.Arm;
using Capvisor.Board.Interrupts;
using Capvisor.Board.Tests.Infrastructure;
using static Capvisor.Board.Tests.Infrastructure.A64;

namespace Capvisor.Board.Tests
{
    /// <summary>Device accesses, timer and GIC system registers and the per-quantum work allocate nothing.</summary>
    public sealed class AllocationTests
    {
        [Fact]
        public void DeviceAccessesAndSystemRegistersAllocateNothing()
        {
            using var m = Machines.Create(cpus: 2);
            var cpu = m.Cpus[0];
            var host = (ICpuHost)m;
            uint cntvct = Encode(3, 3, 14, 0, 2), cntvCtl = Encode(3, 3, 14, 3, 1);
            void Work()
            {
                m.Memory.Read(cpu, VirtMemoryMap.GicDistributor + 0x104, 4, SecurityState.NonSecure, out _);
                m.Memory.Write(cpu, VirtMemoryMap.GicDistributor + 0x104, 4, SecurityState.NonSecure, 2);
                m.Memory.Read(cpu, VirtMemoryMap.GicRedistributors + 0x1_0100, 4, SecurityState.NonSecure, out _);
                m.Memory.Read(cpu, VirtMemoryMap.GicRedistributors + 0x8, 8, SecurityState.NonSecure, out _);
                m.Memory.Write(cpu, VirtMemoryMap.Uart, 1, SecurityState.NonSecure, 'a');
                m.Memory.Read(cpu, VirtMemoryMap.Uart + 0x18, 4, SecurityState.NonSecure, out _);
                m.Memory.Read(cpu, VirtMemoryMap.Rtc, 4, SecurityState.NonSecure, out _);
                m.Memory.Read(cpu, VirtMemoryMap.Gpio + 0x3FC, 4, SecurityState.NonSecure, out _);
                m.Memory.Read(cpu, 0x0A00_0000, 4, SecurityState.NonSecure, out _);
                host.TryReadSystemRegister(cpu, GicV3.Registers.ICC_IAR1_EL1, out _);
                host.TryWriteSystemRegister(cpu, GicV3.Registers.ICC_EOIR1_EL1, 1023);
                host.TryWriteSystemRegister(cpu, GicV3.Registers.ICC_SGI1R_EL1, (1ul << 24) | 2);
                host.TryReadSystemRegister(cpu, cntvct, out _);
                host.TryWriteSystemRegister(cpu, cntvCtl, 1);
            }

            for (int i = 0; i < 1000; i++)
            {
                Work();
            }

            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 20_000; i++)
            {
                Work();
            }

            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated < 1024, $"280,000 device and register accesses allocated {allocated} bytes");
        }

        [Fact]
        public void PerQuantumWorkAllocatesNothing()
        {
            // The same 400k-instruction program in 400 quanta and in 400,000: any per-quantum
            // allocation (scheduling, timer checks, RTC, UART flush) shows up as the difference.
            var code = Mov64(9, 100_000).Concat([Nop, 0xF1000529 /* subs x9, x9, #1 */, 0x54000001u | ((uint)(-2 & 0x7FFFF) << 5) /* b.ne */])
                .Concat(SystemOff()).ToArray();
            long Allocated(long quantum)
            {
                using var m = new VirtMachine(new VirtMachineOptions
                {
                    MemoryMiB = 16,
                    Kernel = Elf(code, VirtMemoryMap.RamBase + 0x8_0000),
                    Deterministic = true,
                    SerialOutput = Stream.Null,
                    Quantum = quantum,
                }, mc => new TestFirmware(mc));
                long before = GC.GetAllocatedBytesForCurrentThread();
                Assert.Equal(MachineExitReason.SystemOff, m.Run().Reason);
                return GC.GetAllocatedBytesForCurrentThread() - before;
            }

            Allocated(1000); // warm-up
            long coarse = Allocated(1000), fine = Allocated(1);
            Assert.True(fine - coarse < 16 * 1024, $"400,000 quanta allocated {fine - coarse} bytes more than 400");
        }
    }
}
