using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace Capvisor.Arm.Tests.Differential
{
    /// <summary>
    /// Builds harness.c with aarch64-linux-gnu-gcc and runs batches of cases through it under
    /// qemu-aarch64-static -cpu cortex-a57 (the protocol is described in harness.c).
    /// </summary>
    internal sealed class QemuHarness
    {
        public const string Qemu = "qemu-aarch64-static";
        public const string Gcc = "aarch64-linux-gnu-gcc";

        public sealed class Result
        {
            public int Signal;
            public ulong FaultPc;
            public ulong[] State = new ulong[SequenceGenerator.StateCount];
            public ulong BufferHash;
            public byte[]? Buffer;
        }

        private readonly string _binary;

        private static int EnvTimeout(int fallback) =>
            int.TryParse(Environment.GetEnvironmentVariable("CAPVISOR_DIFF_TIMEOUT"), out int v) ? v : fallback;

        private QemuHarness(string binary) => _binary = binary;

        /// <summary>The reason the tools are unusable, or null when both are on PATH.</summary>
        public static string? MissingTools()
        {
            var missing = new[] { Qemu, Gcc }.Where(t => FindOnPath(t) == null).ToArray();
            return missing.Length == 0 ? null
                : $"differential test skipped: {string.Join(" and ", missing)} not found on PATH (scripts/prerequisites.sh test installs them)";
        }

        private static string? FindOnPath(string tool)
        {
            foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
            {
                string p = Path.Combine(dir, tool);
                if (File.Exists(p))
                {
                    return p;
                }
            }

            return null;
        }

        public static QemuHarness Build()
        {
            string source = Path.Combine(AppContext.BaseDirectory, "Differential", "harness.c");
            string text = File.ReadAllText(source);
            string hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
            string dir = Path.Combine(Path.GetTempPath(), "capvisor-a64-harness");
            Directory.CreateDirectory(dir);
            string binary = Path.Combine(dir, $"harness-{hash}");
            if (!File.Exists(binary))
            {
                string tmp = binary + "." + Environment.ProcessId + ".tmp";
                var psi = new ProcessStartInfo(Gcc, new[] { "-static", "-O2", "-o", tmp, source })
                {
                    RedirectStandardError = true,
                    RedirectStandardOutput = true,
                };
                using var p = Process.Start(psi)!;
                string err = p.StandardError.ReadToEnd();
                p.WaitForExit();
                if (p.ExitCode != 0)
                {
                    throw new InvalidOperationException($"building the harness failed: {err}");
                }

                File.Move(tmp, binary, overwrite: true);
            }

            return new QemuHarness(binary);
        }

        /// <summary>Runs <paramref name="cases"/>; <paramref name="dumpBuffer"/> also returns each data buffer.</summary>
        public List<Result> Run(IReadOnlyList<SequenceGenerator.Case> cases, bool dumpBuffer = false)
        {
            var psi = new ProcessStartInfo(Qemu, new[] { "-cpu", "cortex-a57", _binary })
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var p = Process.Start(psi)!;
            var stderr = p.StandardError.ReadToEndAsync();
            var writer = Task.Run(() =>
            {
                using var input = new BinaryWriter(p.StandardInput.BaseStream);
                foreach (var c in cases)
                {
                    input.Write(dumpBuffer ? 2u : 1u);
                    input.Write(c.Page);
                    input.Write(c.BufferSeed);
                    foreach (ulong v in c.State)
                    {
                        input.Write(v);
                    }
                }

                input.Write(0u);
            });

            var results = new List<Result>(cases.Count);
            using var output = new BinaryReader(p.StandardOutput.BaseStream);
            // A case that never reaches the epilogue would hang the harness: give each batch a
            // generous time limit, then kill it so the test reports which case it was.
            bool timedOut = false;
            using var watchdog = new Timer(_ =>
            {
                timedOut = true;
                try
                {
                    p.Kill();
                }
                catch (InvalidOperationException)
                {
                }
            }, null, TimeSpan.FromSeconds(EnvTimeout(60 + cases.Count / 10)), Timeout.InfiniteTimeSpan);
            try
            {
                for (int i = 0; i < cases.Count; i++)
                {
                    var r = new Result { Signal = (int)output.ReadUInt32(), FaultPc = output.ReadUInt64() };
                    for (int k = 0; k < r.State.Length; k++)
                    {
                        r.State[k] = output.ReadUInt64();
                    }

                    r.BufferHash = output.ReadUInt64();
                    if (dumpBuffer)
                    {
                        r.Buffer = output.ReadBytes((int)SequenceGenerator.DataSize);
                    }

                    results.Add(r);
                }
            }
            catch (EndOfStreamException)
            {
                p.WaitForExit();
                string words = results.Count < cases.Count
                    ? string.Join(" ", cases[results.Count].Words.Select(w => w.ToString("X8")))
                    : "";
                throw new InvalidOperationException(
                    $"the harness {(timedOut ? "timed out" : "stopped")} after {results.Count} of {cases.Count} cases "
                    + $"(exit {p.ExitCode}); next case: {words}; {stderr.Result}");
            }

            writer.Wait();
            p.WaitForExit();
            return results;
        }
    }
}
