using Capvisor.Arm;
using Capvisor.Board.Tests.Infrastructure;

namespace Capvisor.Board.Tests.Memory
{
    /// <summary>Any access pattern on the device window gives an architectural result, never a host exception.</summary>
    public sealed class HostileMmioTests
    {
        [Fact]
        public void RandomAccessesAcrossTheDeviceWindow()
        {
            using var m = Machines.Create(cpus: 2);
            var cpu = m.Cpus[0];
            var rng = new Random(42);
            int[] sizes = [1, 2, 4, 8, 3, 16, 0, -1];
            for (int i = 0; i < 200_000; i++)
            {
                // Mostly near the devices, sometimes anywhere in the low 4 GiB.
                ulong pa = rng.Next(4) == 0
                    ? (ulong)rng.NextInt64(0, 1L << 32)
                    : 0x0800_0000ul + (ulong)rng.Next(0x0104_0000) + (ulong)(rng.Next(2) * 0x0100_0000);
                int size = sizes[rng.Next(sizes.Length)];
                if (rng.Next(2) == 0)
                {
                    m.Memory.Read(cpu, pa, size, SecurityState.NonSecure, out _);
                }
                else
                {
                    m.Memory.Write(cpu, pa, size, SecurityState.NonSecure, (ulong)rng.NextInt64());
                }
            }

            Assert.Equal(PhysicalFault.ExternalAbort, m.Memory.Read(cpu, VirtMemoryMap.Uart, 3, SecurityState.NonSecure, out _));
        }

        [Fact]
        public void DeterministicRtcStartsAtTheFixedEpoch()
        {
            using var m = Machines.Create();
            Assert.Equal(PhysicalFault.None, m.Memory.Read(m.Cpus[0], VirtMemoryMap.Rtc, 4, SecurityState.NonSecure, out ulong seconds));
            Assert.Equal((ulong)VirtMachine.DeterministicEpoch, seconds);
        }
    }
}
