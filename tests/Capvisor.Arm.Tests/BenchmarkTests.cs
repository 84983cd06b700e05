using System.Diagnostics;
using Capvisor.Arm.Tests.Fixtures;
using Xunit.Abstractions;

namespace Capvisor.Arm.Tests
{
    /// <summary>
    /// Interpreter throughput on CPU-bound loops. Prints MIPS; asserts only the results, never
    /// the timing. Meaningful numbers need a Release build:
    /// <c>dotnet test tests/Capvisor.Arm.Tests -c Release --filter Benchmark --logger "console;verbosity=detailed"</c>.
    /// <c>CAPVISOR_BENCH_INSTRUCTIONS</c> sets the instructions per loop (default 20 million).
    /// </summary>
    public sealed class BenchmarkTests
    {
        private readonly ITestOutputHelper _output;

        public BenchmarkTests(ITestOutputHelper output) => _output = output;

        public static TheoryData<string, uint[]> Loops => new()
        {
            {
                "alu+mem", new uint[]
                {
                    0xD2A80000, // movz x0, #0x4000, lsl #16
                    0xD2800001, // mov x1, #0
                    0xD2A80404, // mov x4, #0x40200000
                    0x8B000021, // 1: add x1, x1, x0
                    0xCA000C22, // eor x2, x1, x0, lsl #3
                    0xF9400483, // ldr x3, [x4, #8]
                    0xF9000882, // str x2, [x4, #16]
                    0x92401C65, // and x5, x3, #0xff
                    0xF1000400, // subs x0, x0, #1
                    0x54FFFF41, // b.ne 1b
                }
            },
            {
                "alu", new uint[]
                {
                    0xD2A80003, // movz x3, #0x4000, lsl #16
                    0x91000421, // 1: add x1, x1, #1
                    0x8B010042, // add x2, x2, x1
                    0xEB03003F, // cmp x1, x3
                    0x54FFFFA1, // b.ne 1b
                }
            },
            {
                "pairs", new uint[]
                {
                    0xD2A80000, // movz x0, #0x4000, lsl #16
                    0xD2A80404, // mov x4, #0x40200000
                    0xA9401885, // 1: ldp x5, x6, [x4]
                    0x8B0600A5, // add x5, x5, x6
                    0xA9011885, // stp x5, x6, [x4, #16]
                    0xD3432CA7, // ubfx x7, x5, #3, #9
                    0xB5000027, // cbnz x7, 2f
                    0xD1000400, // 2: sub x0, x0, #1
                    0xB5FFFF40, // cbnz x0, 1b
                }
            },
        };

        [Theory]
        [MemberData(nameof(Loops))]
        public void LoopThroughput(string name, uint[] program)
        {
            long instructions = long.TryParse(Environment.GetEnvironmentVariable("CAPVISOR_BENCH_INSTRUCTIONS"), out long n) ? n : 20_000_000;
            using var m = new TestMachine();
            m.EnableMmu();
            m.Load(program);
            m.Cpu.Pc = TestMachine.CodeBase;
            // Warm up: decode cache, TLB, and tiered compilation of Run/Execute (the board calls
            // Run in quanta, so Run itself is re-jitted at tier 1 rather than run via OSR).
            for (int i = 0; i < 3; i++)
            {
                for (int k = 0; k < 40; k++)
                {
                    m.Cpu.Run(50_000);
                }

                Thread.Sleep(150);
            }

            const long Quantum = 1_000_000;
            ulong retired = m.Cpu.Retired;
            var process = Process.GetCurrentProcess();
            var cpuBefore = process.TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            var exit = CpuExit.Budget;
            double bestQuantum = double.MaxValue; // the least disturbed quantum, on a shared machine
            for (long done = 0; done < instructions && exit == CpuExit.Budget; done += Quantum)
            {
                long start = Stopwatch.GetTimestamp();
                exit = m.Cpu.Run(Math.Min(Quantum, instructions - done));
                bestQuantum = Math.Min(bestQuantum, Stopwatch.GetElapsedTime(start).TotalSeconds / Math.Min(Quantum, instructions - done));
            }

            watch.Stop();
            process.Refresh();
            double cpuSeconds = (process.TotalProcessorTime - cpuBefore).TotalSeconds;
            Assert.Equal(CpuExit.Budget, exit);
            Assert.False(m.TookException(out _));
            double mips = (m.Cpu.Retired - retired) / watch.Elapsed.TotalSeconds / 1e6;
            double cpuMips = (m.Cpu.Retired - retired) / cpuSeconds / 1e6;
#if DEBUG
            const string config = "Debug build: run with -c Release for real numbers";
#else
            const string config = "Release build";
#endif
            _output.WriteLine($"{name}: {m.Cpu.Retired - retired} instructions in {watch.Elapsed.TotalMilliseconds:F0} ms = {mips:F1} MIPS wall clock, {cpuMips:F1} MIPS per CPU second of the process, {1e-6 / bestQuantum:F1} MIPS in the best 1M-instruction quantum ({config})");
        }
    }
}
