using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;

namespace Capvisor.Arm.Tests.SimdFp
{
    /// <summary>
    /// Builds the static AArch64 harness (Fixtures/simdfp_harness.c) once and runs batches of
    /// single-instruction records through it under qemu-aarch64-static -cpu cortex-a57.
    /// </summary>
    internal static class SimdFpQemu
    {
        public const int RecordSize = 16 + 31 * 8 + 512;

        private static readonly Lazy<string?> HarnessPath = new(Build);

        public static string? SkipReason
        {
            get
            {
                if (FindTool("qemu-aarch64-static") is null)
                {
                    return "qemu-aarch64-static not installed";
                }

                if (FindTool("aarch64-linux-gnu-gcc") is null)
                {
                    return "aarch64-linux-gnu-gcc not installed";
                }

                return HarnessPath.Value is null ? "harness failed to build" : null;
            }
        }

        private static string? FindTool(string name)
        {
            foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':'))
            {
                string p = Path.Combine(dir, name);
                if (File.Exists(p))
                {
                    return p;
                }
            }

            return null;
        }

        private static string? Build()
        {
            string src = Path.Combine(SimdFpMachine.SourceDirectory(), "Fixtures", "simdfp_harness.c");
            byte[] text = File.ReadAllBytes(src);
            string hash = Convert.ToHexString(SHA256.HashData(text))[..16];
            string dir = Path.Combine(Path.GetTempPath(), "capvisor-simdfp");
            Directory.CreateDirectory(dir);
            string exe = Path.Combine(dir, "harness-" + hash);
            if (File.Exists(exe))
            {
                return exe;
            }

            string tmp = exe + "." + Environment.ProcessId;
            var psi = new ProcessStartInfo("aarch64-linux-gnu-gcc", $"-O1 -static -o {tmp} {src}")
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            };
            using var p = Process.Start(psi)!;
            p.StandardOutput.ReadToEnd();
            string err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0)
            {
                Console.Error.WriteLine(err);
                return null;
            }

            File.Move(tmp, exe, overwrite: true);
            return exe;
        }

        /// <summary>Runs the records (RecordSize bytes each) and returns the output records.</summary>
        public static byte[] Run(byte[] input)
        {
            string dir = Path.Combine(Path.GetTempPath(), "capvisor-simdfp");
            string inPath = Path.Combine(dir, $"in-{Environment.ProcessId}-{Guid.NewGuid():N}.bin");
            string outPath = inPath.Replace("in-", "out-");
            File.WriteAllBytes(inPath, input);
            try
            {
                var psi = new ProcessStartInfo("qemu-aarch64-static", $"-cpu cortex-a57 {HarnessPath.Value} {inPath} {outPath}")
                {
                    RedirectStandardError = true,
                };
                using var p = Process.Start(psi)!;
                string err = p.StandardError.ReadToEnd();
                p.WaitForExit();
                if (p.ExitCode != 0)
                {
                    throw new InvalidOperationException("harness failed: " + err);
                }

                return File.ReadAllBytes(outPath);
            }
            finally
            {
                File.Delete(inPath);
                File.Delete(outPath);
            }
        }

        public static void WriteRecord(Span<byte> rec, uint insn, uint fpcr, uint fpsr, uint nzcv, ReadOnlySpan<ulong> x, ReadOnlySpan<ulong> v)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(rec, insn);
            BinaryPrimitives.WriteUInt32LittleEndian(rec[4..], fpcr);
            BinaryPrimitives.WriteUInt32LittleEndian(rec[8..], fpsr);
            BinaryPrimitives.WriteUInt32LittleEndian(rec[12..], nzcv);
            for (int i = 0; i < 31; i++)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(rec[(16 + 8 * i)..], x[i]);
            }

            for (int i = 0; i < 64; i++)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(rec[(16 + 248 + 8 * i)..], v[i]);
            }
        }
    }
}
