namespace Capvisor.Arm.Tests.SimdFp
{
    /// <summary>Executing pre-decoded SIMD&amp;FP instructions allocates nothing.</summary>
    public sealed class SimdFpAllocationTests
    {
        private static readonly uint[] Hot =
        {
            0x6e228c20, 0x4e209820, 0x6e22a420, 0x0f0c8420, 0x4f02e420, 0x4e032020, 0x6ea21c20, 0x4e220c20,
            0x1e222820, 0x1f420c20, 0x1e221820, 0x1e61c020, 0x1e202018, 0x9e620020, 0x1e780020, 0x4e22d420,
            0x4fc21820, 0x0e617820, 0x6e30f820, 0x2ea2c020, 0x4e021820, 0x6e171ad5, 0x1e674020, 0x9e19f020,
        };

        [Fact]
        public void SteadyStateExecutionDoesNotAllocate()
        {
            var m = new SimdFpMachine();
            for (int i = 0; i < 64; i++)
            {
                m.Cpu.V[i] = 0x3FF8_0000_4020_0000ul * (ulong)(i + 1);
            }

            foreach (uint insn in Hot)
            {
                Assert.True(m.Execute(insn), $"{insn:X8}");
            }

            // Several rounds: runtime work on this thread (tiering, type loading) may allocate
            // once; an engine that allocated per instruction would allocate in every round.
            long least = long.MaxValue;
            for (int round = 0; round < 5; round++)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int n = 0; n < 200; n++)
                {
                    foreach (uint insn in Hot)
                    {
                        m.Cpu.ExecuteSimdFp(insn);
                    }
                }

                least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
            }

            Assert.Equal(0, least);
        }
    }
}
