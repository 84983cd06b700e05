using System.Diagnostics;
using System.Text;
using Xunit.Abstractions;

namespace Capvisor.Arm.Tests.Differential
{
    /// <summary>
    /// Random instruction sequences run on Capvisor's CPU and under
    /// <c>qemu-aarch64-static -cpu cortex-a57</c> must leave the same X0–X30, SP, NZCV, V0–V7
    /// and data buffer, or stop with the same exception at the same instruction.
    /// </summary>
    /// <remarks>
    /// CI runs a fixed seed. Longer runs: <c>CAPVISOR_DIFF_SEQUENCES=200000 CAPVISOR_DIFF_SEED=7
    /// dotnet test tests/Capvisor.Arm.Tests --filter Differential</c>; add <c>CAPVISOR_DIFF_TRACE=1</c>
    /// to list the exceptions sequences end in.
    /// </remarks>
    public sealed class DifferentialTests
    {
        private readonly ITestOutputHelper _output;

        public DifferentialTests(ITestOutputHelper output) => _output = output;

        private static int EnvInt(string name, int fallback) =>
            int.TryParse(Environment.GetEnvironmentVariable(name), out int v) ? v : fallback;

        [Fact]
        public void RandomSequencesMatchQemu()
        {
            string? missing = QemuHarness.MissingTools();
            if (missing != null)
            {
                _output.WriteLine(missing);
                return;
            }

            int total = EnvInt("CAPVISOR_DIFF_SEQUENCES", 10000);
            int seed = EnvInt("CAPVISOR_DIFF_SEED", 20261122);
            var harness = QemuHarness.Build();
            var generator = new SequenceGenerator(seed);
            using var runner = new CapvisorRunner();
            var rng = new Random(seed);

            int mismatches = 0, faults = 0;
            long instructions = 0;
            var report = new StringBuilder();
            var watch = Stopwatch.StartNew();
            const int Batch = 1000;
            for (int start = 0; start < total; start += Batch)
            {
                var cases = new List<SequenceGenerator.Case>();
                for (int i = start; i < Math.Min(total, start + Batch); i++)
                {
                    bool dpOnly = i % 4 == 3;
                    cases.Add(generator.Next(rng.Next(1, dpOnly ? 12 : 24), dpOnly));
                }

                var expected = harness.Run(cases);
                for (int i = 0; i < cases.Count; i++)
                {
                    var got = runner.Run(cases[i]);
                    instructions += got.Steps;
                    if (got.Signal != 0)
                    {
                        faults++;
                    }

                    string? diff = Compare(expected[i], got);
                    if (diff != null)
                    {
                        mismatches++;
                        if (mismatches <= 8)
                        {
                            report.AppendLine($"case {start + i}: {diff}");
                            report.AppendLine("  words: " + string.Join(" ", cases[i].Words.Select(w => w.ToString("X8"))));
                        }
                    }
                }
            }

            _output.WriteLine($"{total} sequences, {instructions} instructions executed on Capvisor, {faults} ended in an exception, "
                + $"{mismatches} mismatches, {watch.Elapsed.TotalSeconds:F1} s (seed {seed})");
            Assert.True(mismatches == 0, $"{mismatches} of {total} sequences differ from QEMU:\n{report}");
        }

        [Fact]
        public void ConstrainedUnpredictableChoicesMatchQemu()
        {
            string? missing = QemuHarness.MissingTools();
            if (missing != null)
            {
                _output.WriteLine(missing);
                return;
            }

            var harness = QemuHarness.Build();
            var generator = new SequenceGenerator(4242);
            using var runner = new CapvisorRunner();
            var cases = Enumerable.Range(0, 1500).Select(_ => generator.NextUnpredictable()).ToList();
            var expected = harness.Run(cases);
            var report = new StringBuilder();
            int mismatches = 0;
            for (int i = 0; i < cases.Count; i++)
            {
                string? diff = Compare(expected[i], runner.Run(cases[i]));
                if (diff != null && ++mismatches <= 8)
                {
                    report.AppendLine($"case {i}: {diff}");
                    report.AppendLine("  words: " + string.Join(" ", cases[i].Words.Select(w => w.ToString("X8"))));
                }
            }

            _output.WriteLine($"{cases.Count} CONSTRAINED UNPREDICTABLE cases, {mismatches} mismatches");
            Assert.True(mismatches == 0, $"{mismatches} cases differ from QEMU:\n{report}");
        }

        /// <summary>
        /// Random words from the whole encoding space, one per case: Capvisor must find a word
        /// UNDEFINED exactly when QEMU does. Only decoding is compared here (a random word may
        /// access any address, which qemu-user and Capvisor's RAM map differently). Excluded:
        /// the SIMD&amp;FP data-processing space (tested by SimdFp, which leaves out crypto), SVC (a real system call under qemu-user), writes to
        /// TPIDR_EL0 (the harness's base pointer) and the ID and timer registers, which Linux
        /// emulates or enables for EL0 and qemu-user imitates.
        /// </summary>
        [Fact]
        public void UndefinedEncodingsMatchQemu()
        {
            string? missing = QemuHarness.MissingTools();
            if (missing != null)
            {
                _output.WriteLine(missing);
                return;
            }

            int total = EnvInt("CAPVISOR_DIFF_WORDS", 12000);
            var rng = new Random(EnvInt("CAPVISOR_DIFF_SEED", 20261122) + 1);
            var harness = QemuHarness.Build();
            var generator = new SequenceGenerator(99);
            using var runner = new CapvisorRunner();
            var cases = new List<SequenceGenerator.Case>();
            while (cases.Count < total)
            {
                uint w = (uint)rng.NextInt64(0, 1L << 32);
                bool excluded = ((w >> 25) & 7) == 7
                    || (w & 0xFFE0_001F) == 0xD400_0001
                    || (w & 0xFFFF_FFE0) == 0xD51B_D040
                    || (w & 0xFFF8_F000) == 0xD538_0000
                    || (w & 0xFFDF_F000) == 0xD51B_E000;
                if (!excluded)
                {
                    cases.Add(generator.NextSingle(w));
                }
            }

            var expected = harness.Run(cases);
            var report = new StringBuilder();
            int mismatches = 0, undefined = 0;
            ulong start = SequenceGenerator.CodePage + SequenceGenerator.SeqOffset;
            for (int i = 0; i < cases.Count; i++)
            {
                var got = runner.Run(cases[i]);
                bool qemuUndefined = expected[i].Signal == 4 && expected[i].FaultPc == start;
                bool capvisorUndefined = got.Signal == 4 && got.FaultPc == start;
                undefined += qemuUndefined ? 1 : 0;
                if (qemuUndefined != capvisorUndefined && ++mismatches <= 20)
                {
                    report.AppendLine($"{cases[i].Words[0]:X8}: qemu {(qemuUndefined ? "UNDEFINED" : "executes")}, capvisor {(capvisorUndefined ? "UNDEFINED" : "executes")} (EC {got.Ec:X})");
                }
            }

            _output.WriteLine($"{total} random words, {undefined} UNDEFINED under QEMU, {mismatches} disagreements");
            Assert.True(mismatches == 0, $"{mismatches} words decode differently from QEMU:\n{report}");
        }

        private static readonly string[] Names = Enumerable.Range(0, 31).Select(i => $"x{i}")
            .Concat(new[] { "sp", "nzcv" })
            .Concat(Enumerable.Range(0, 16).Select(i => $"v{i / 2}.{(i % 2 == 0 ? "lo" : "hi")}"))
            .ToArray();

        private static int SignalClass(int signal) => signal == 7 ? 11 : signal; // SIGBUS ~ SIGSEGV

        private static string? Compare(QemuHarness.Result expected, CapvisorRunner.Outcome got)
        {
            var sb = new StringBuilder();
            if (SignalClass(expected.Signal) != SignalClass(got.Signal) || (expected.Signal != 0 && expected.FaultPc != got.FaultPc))
            {
                sb.Append($"qemu signal {expected.Signal} at {expected.FaultPc:X}, capvisor signal {got.Signal} (EC {got.Ec:X}) at {got.FaultPc:X}; ");
            }

            int count = expected.Signal == 0 ? SequenceGenerator.StateCount : 33;
            for (int k = 0; k < count; k++)
            {
                if (expected.State[k] != got.State[k])
                {
                    sb.Append($"{Names[k]} qemu {expected.State[k]:X} capvisor {got.State[k]:X}; ");
                }
            }

            if (expected.BufferHash != got.BufferHash)
            {
                sb.Append("data buffer differs; ");
            }

            return sb.Length == 0 ? null : sb.ToString();
        }
    }
}
