using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Capvisor.Cli.Tests
{
    /// <summary>What a scripted <c>capvisor run</c> of Linux printed and how the process ended.</summary>
    internal sealed record LinuxSessionResult(bool Exited, int ExitCode, string Serial, string Stderr)
    {
        /// <summary>
        /// The values of the lines the guest printed as <c>key=value</c> at the start of a line (the
        /// shell's echo of the command that printed them starts with the prompt, so it never matches).
        /// </summary>
        public IReadOnlyDictionary<string, string> Values()
        {
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var raw in Serial.Split('\n'))
            {
                var line = raw.TrimEnd('\r');
                int eq = line.IndexOf('=', StringComparison.Ordinal);
                if (eq > 0 && line.AsSpan(0, eq).IndexOfAnyExcept("abcdefghijklmnopqrstuvwxyz0123456789_") < 0)
                {
                    values[line[..eq]] = line[(eq + 1)..];
                }
            }

            return values;
        }

        /// <summary>The end of the serial output and stderr, for failure messages.</summary>
        public string Tail(int chars = 4000) =>
            $"exited {Exited}, exit code {ExitCode}\n--- serial (tail) ---\n{(Serial.Length > chars ? Serial[^chars..] : Serial)}\n--- stderr ---\n{Stderr}";
    }

    /// <summary>
    /// Drives Linux's shell on the serial console of <c>capvisor run</c> (a child process of the test,
    /// taken from the test's output directory): waits for the first shell prompt on standard output,
    /// then types the script on standard input, as a person at the console would. Linux's PL011
    /// driver drops what waits in the receive FIFO when it starts, so typing earlier would lose input.
    /// </summary>
    internal static class LinuxSession
    {
        /// <summary>busybox ash's prompt as root in /.</summary>
        public const string Prompt = "/ # ";

        private const int MaxSerialChars = 4 << 20;

        /// <summary>The dotnet host running these tests (the test host is started by it), else "dotnet" from PATH.</summary>
        public static string DotnetHost
        {
            get
            {
                var self = Environment.ProcessPath;
                return self != null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
            }
        }

        /// <summary>capvisor.dll from this test's output directory (what this build compiled).</summary>
        public static string CapvisorDll
        {
            get
            {
                var dll = Path.Combine(AppContext.BaseDirectory, "capvisor.dll");
                Assert.True(File.Exists(dll), $"{dll} is missing: the test project must reference Capvisor.Cli");
                return dll;
            }
        }

        /// <summary>
        /// Runs <c>capvisor run ARGS</c>, types <paramref name="script"/> after the first prompt and
        /// waits until the process ends (the script should end with <c>poweroff -f</c>) or
        /// <paramref name="timeout"/> passes (then the process is killed and Exited is false).
        /// </summary>
        public static LinuxSessionResult Run(IEnumerable<string> capvisorArgs, string script, TimeSpan timeout)
        {
            var psi = new ProcessStartInfo(DotnetHost)
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            psi.ArgumentList.Add(CapvisorDll);
            psi.ArgumentList.Add("run");
            foreach (var a in capvisorArgs)
            {
                psi.ArgumentList.Add(a);
            }

            psi.Environment["CAPVISOR_ROOT"] = BareMetalRunner.RepoRoot;
            using var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start capvisor");
            var serial = new StringBuilder();
            var prompted = new ManualResetEventSlim();
            var reader = Task.Run(() =>
            {
                var buf = new byte[65536];
                int n;
                while ((n = p.StandardOutput.BaseStream.Read(buf)) > 0)
                {
                    lock (serial)
                    {
                        if (serial.Length < MaxSerialChars)
                        {
                            int from = Math.Max(0, serial.Length - Prompt.Length);
                            serial.Append(Encoding.Latin1.GetString(buf, 0, n));
                            if (!prompted.IsSet && serial.ToString(from, serial.Length - from).Contains(Prompt, StringComparison.Ordinal))
                            {
                                prompted.Set();
                            }
                        }
                    }
                }
            });
            var stderr = p.StandardError.ReadToEndAsync();
            var clock = Stopwatch.StartNew();
            if (WaitHandle.WaitAny([prompted.WaitHandle, ((IAsyncResult)reader).AsyncWaitHandle], timeout) == 0)
            {
                try
                {
                    p.StandardInput.Write(script.ReplaceLineEndings("\n"));
                    p.StandardInput.Flush();
                }
                catch (IOException)
                {
                    // capvisor ended before reading its input; the output says why
                }
            }

            var left = timeout - clock.Elapsed;
            bool exited = p.WaitForExit(left > TimeSpan.Zero ? left : TimeSpan.Zero);
            if (!exited)
            {
                try
                {
                    p.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // it exited between the timeout and the kill
                }

                p.WaitForExit();
            }

            reader.Wait(TimeSpan.FromSeconds(10));
            stderr.Wait(TimeSpan.FromSeconds(10));
            string text;
            lock (serial)
            {
                text = serial.ToString();
            }

            return new LinuxSessionResult(exited, exited ? p.ExitCode : -1, text,
                stderr.IsCompletedSuccessfully ? stderr.Result : "");
        }

        /// <summary>An integer in the invariant culture (for command lines).</summary>
        public static string Num(long value) => value.ToString(CultureInfo.InvariantCulture);
    }
}
