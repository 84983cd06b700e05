using System.Buffers.Binary;
using System.Text;
using Xunit.Abstractions;

namespace Capvisor.Arm.Tests.SimdFp
{
    /// <summary>
    /// Random single instructions from every SIMD&amp;FP data-processing class, run under
    /// qemu-aarch64-static -cpu cortex-a57 and through Cpu.ExecuteSimdFp on the same state;
    /// V0–V31, X0–X30, FPSR, NZCV and UNDEFINED-ness must match bit for bit.
    /// CAPVISOR_SIMDFP_COUNT / CAPVISOR_SIMDFP_SEED / CAPVISOR_SIMDFP_TEMPLATE widen or focus a run.
    /// </summary>
    public sealed class SimdFpDifferentialTests
    {
        private readonly ITestOutputHelper _out;

        public SimdFpDifferentialTests(ITestOutputHelper output) => _out = output;

        [Fact]
        public void RandomInstructionsMatchQemu()
        {
            string? skip = SimdFpQemu.SkipReason;
            if (skip is not null)
            {
                _out.WriteLine("skipped: " + skip);
                return;
            }

            int count = int.TryParse(Environment.GetEnvironmentVariable("CAPVISOR_SIMDFP_COUNT"), out int c) ? c : 300000;
            int seed = int.TryParse(Environment.GetEnvironmentVariable("CAPVISOR_SIMDFP_SEED"), out int s) ? s : 20261122;
            string? only = Environment.GetEnvironmentVariable("CAPVISOR_SIMDFP_TEMPLATE");
            var report = Run(count, seed, only);
            _out.WriteLine(report.Summary);
            Assert.True(report.Mismatches == 0, report.Summary + "\n" + report.Details);
        }

        internal sealed record DiffReport(int Mismatches, string Summary, string Details);

        internal static DiffReport Run(int count, int seed, string? onlyTemplate)
        {
            var gen = new SimdFpGenerator(seed);
            const int batch = 4000;
            var inputs = new List<(byte[] Data, int[] Templates)>();
            for (int done = 0; done < count; done += batch)
            {
                int n = Math.Min(batch, count - done);
                byte[] data = new byte[n * SimdFpQemu.RecordSize];
                int[] templates = new int[n];
                ulong[] x = new ulong[31];
                ulong[] v = new ulong[64];
                for (int i = 0; i < n; i++)
                {
                    uint insn;
                    int t;
                    do
                    {
                        insn = gen.Instruction(out t);
                    }
                    while (onlyTemplate is not null && SimdFpGenerator.Templates[t].Name != onlyTemplate);

                    for (int j = 0; j < 31; j++)
                    {
                        x[j] = gen.XValue();
                    }

                    for (int j = 0; j < 64; j++)
                    {
                        v[j] = gen.Lane64();
                    }

                    if (SimdFpGenerator.Templates[t].Name.StartsWith("fp-", StringComparison.Ordinal) || ((insn >> 28) & 1) == 0)
                    {
                        gen.Correlate(insn, v);
                    }

                    templates[i] = t;
                    SimdFpQemu.WriteRecord(data.AsSpan(i * SimdFpQemu.RecordSize), insn, gen.Fpcr(), gen.Fpsr(), gen.Nzcv(), x, v);
                }

                inputs.Add((data, templates));
            }

            var outputs = new byte[inputs.Count][];
            Parallel.For(0, inputs.Count, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i => outputs[i] = SimdFpQemu.Run(inputs[i].Data));

            var machine = new SimdFpMachine();
            var cpu = machine.Cpu;
            int nt = SimdFpGenerator.Templates.Length;
            int[] total = new int[nt], undef = new int[nt], bad = new int[nt];
            int mismatches = 0;
            var details = new StringBuilder();
            for (int b = 0; b < inputs.Count; b++)
            {
                byte[] data = inputs[b].Data;
                byte[] expected = outputs[b];
                int n = data.Length / SimdFpQemu.RecordSize;
                Assert.Equal(data.Length, expected.Length);
                for (int i = 0; i < n; i++)
                {
                    ReadOnlySpan<byte> rec = data.AsSpan(i * SimdFpQemu.RecordSize, SimdFpQemu.RecordSize);
                    ReadOnlySpan<byte> exp = expected.AsSpan(i * SimdFpQemu.RecordSize, SimdFpQemu.RecordSize);
                    uint insn = BinaryPrimitives.ReadUInt32LittleEndian(rec);
                    cpu.Fpcr = BinaryPrimitives.ReadUInt32LittleEndian(rec[4..]);
                    cpu.Fpsr = BinaryPrimitives.ReadUInt32LittleEndian(rec[8..]);
                    cpu.Nzcv = BinaryPrimitives.ReadUInt32LittleEndian(rec[12..]);
                    for (int j = 0; j < 31; j++)
                    {
                        cpu.X[j] = BinaryPrimitives.ReadUInt64LittleEndian(rec[(16 + 8 * j)..]);
                    }

                    for (int j = 0; j < 64; j++)
                    {
                        cpu.V[j] = BinaryPrimitives.ReadUInt64LittleEndian(rec[(264 + 8 * j)..]);
                    }

                    int t = inputs[b].Templates[i];
                    total[t]++;
                    bool ok = machine.Execute(insn);
                    uint status = BinaryPrimitives.ReadUInt32LittleEndian(exp);
                    string? diff = null;
                    if (status == 2)
                    {
                        diff = "harness took an unexpected signal";
                    }
                    else if (!ok && machine.LastExceptionClass != 0)
                    {
                        diff = $"Capvisor took exception class {machine.LastExceptionClass:X2}";
                    }
                    else if ((status == 1) != !ok)
                    {
                        diff = status == 1 ? "QEMU: UNDEFINED, Capvisor executed it" : "Capvisor: UNDEFINED, QEMU executed it";
                    }
                    else if (status == 1)
                    {
                        undef[t]++;
                    }
                    else
                    {
                        var sb = new StringBuilder();
                        uint fpsr = BinaryPrimitives.ReadUInt32LittleEndian(exp[4..]);
                        uint nzcv = BinaryPrimitives.ReadUInt32LittleEndian(exp[8..]);
                        if (fpsr != cpu.Fpsr)
                        {
                            sb.Append($" FPSR qemu={fpsr:X8} capvisor={cpu.Fpsr:X8}");
                        }

                        if (nzcv != cpu.Nzcv)
                        {
                            sb.Append($" NZCV qemu={nzcv:X8} capvisor={cpu.Nzcv:X8}");
                        }

                        for (int j = 0; j < 31; j++)
                        {
                            ulong e = BinaryPrimitives.ReadUInt64LittleEndian(exp[(16 + 8 * j)..]);
                            if (e != cpu.X[j])
                            {
                                sb.Append($" X{j} in={BinaryPrimitives.ReadUInt64LittleEndian(rec[(16 + 8 * j)..]):X16} qemu={e:X16} capvisor={cpu.X[j]:X16}");
                            }
                        }

                        for (int j = 0; j < 32; j++)
                        {
                            ulong elo = BinaryPrimitives.ReadUInt64LittleEndian(exp[(264 + 16 * j)..]);
                            ulong ehi = BinaryPrimitives.ReadUInt64LittleEndian(exp[(272 + 16 * j)..]);
                            if (elo != cpu.V[2 * j] || ehi != cpu.V[2 * j + 1])
                            {
                                sb.Append($" V{j} qemu={ehi:X16}:{elo:X16} capvisor={cpu.V[2 * j + 1]:X16}:{cpu.V[2 * j]:X16}");
                            }
                        }

                        if (sb.Length > 0)
                        {
                            diff = sb.ToString();
                        }
                    }

                    if (diff is not null)
                    {
                        mismatches++;
                        bad[t]++;
                        if (mismatches <= 60)
                        {
                            var ins = new StringBuilder();
                            foreach (int reg in new[] { (int)(insn & 31), (int)((insn >> 5) & 31), (int)((insn >> 16) & 31), (int)((insn >> 10) & 31) })
                            {
                                ins.Append($" V{reg}={BinaryPrimitives.ReadUInt64LittleEndian(rec[(272 + 16 * reg)..]):X16}:{BinaryPrimitives.ReadUInt64LittleEndian(rec[(264 + 16 * reg)..]):X16}");
                            }

                            details.AppendLine($"{SimdFpGenerator.Templates[t].Name} {insn:X8} fpcr={BinaryPrimitives.ReadUInt32LittleEndian(rec[4..]):X8} fpsr={BinaryPrimitives.ReadUInt32LittleEndian(rec[8..]):X8} nzcv={BinaryPrimitives.ReadUInt32LittleEndian(rec[12..]):X8} |{ins} |{diff}");
                        }
                    }
                }
            }

            var summary = new StringBuilder();
            summary.AppendLine($"SIMD&FP differential: {total.Sum()} instances (seed {seed}), {mismatches} mismatches");
            for (int t = 0; t < nt; t++)
            {
                if (total[t] > 0)
                {
                    summary.AppendLine($"  {SimdFpGenerator.Templates[t].Name,-24} {total[t],7} run, {undef[t],6} undefined, {bad[t],5} mismatched");
                }
            }

            return new DiffReport(mismatches, summary.ToString(), details.ToString());
        }
    }
}
