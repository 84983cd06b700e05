namespace Capvisor.Arm.Tests.SimdFp
{
    public sealed class SimdFpPerfProbe
    {
        private readonly Xunit.Abstractions.ITestOutputHelper _o;

        public SimdFpPerfProbe(Xunit.Abstractions.ITestOutputHelper o) => _o = o;

        [Fact]
        public void Probe()
        {
            if (Environment.GetEnvironmentVariable("CAPVISOR_SIMDFP_PERF") is null)
            {
                return;
            }

            var m = new SimdFpMachine();
            for (int i = 0; i < 64; i++)
            {
                m.Cpu.V[i] = 0x3FF8_0000_4020_0000ul * (ulong)(i + 1);
            }

            foreach (uint insn in new uint[] { 0x6e228c20, 0x4e209820, 0x6e22a420, 0x0f0c8420, 0x4f02e420, 0x6ea21c20, 0x4e220c20, 0x1e222820, 0x1f420c20, 0x1e221820, 0x4e22d420, 0x9e620020, 0x1e780020, 0x6e171ad5, 0x4e021820 })
            {
                for (int i = 0; i < 10000; i++) m.Cpu.ExecuteSimdFp(insn);
                var sw = System.Diagnostics.Stopwatch.StartNew();
                for (int i = 0; i < 1000000; i++) m.Cpu.ExecuteSimdFp(insn);
                _o.WriteLine($"{insn:X8}: {sw.Elapsed.TotalMilliseconds:F1} ns/op");
            }
        }
    }
}
