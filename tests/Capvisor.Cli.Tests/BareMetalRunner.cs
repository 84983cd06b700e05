using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace Capvisor.Cli.Tests
{
    /// <summary>What a guest run printed on its serial console and how it ended.</summary>
    internal sealed record BareMetalRun(bool Exited, int ExitCode, string Serial, string Stderr, TimeSpan Elapsed)
    {
        /// <summary>The last lines of stderr, for failure messages.</summary>
        public string StderrTail(int lines = 15)
        {
            var all = Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
        }
    }

    /// <summary>
    /// Builds the bare-metal programs under guest/baremetal and runs them under QEMU (the
    /// reference) and under Capvisor (<c>capvisor run</c> as a child process, taken from this
    /// test's own output directory, so the code under test is what this build compiled).
    /// </summary>
    internal static class BareMetalRunner
    {
        /// <summary>Serial output beyond this is dropped (a runaway guest must not eat the host's memory).</summary>
        private const int MaxSerialBytes = 4 << 20;

        public static readonly string[] QemuMachine =
            ["-M", "virt,gic-version=3", "-cpu", "cortex-a57", "-m", "128"];

        private static readonly Lazy<string> Root = new(FindRoot);
        private static readonly Lazy<string?> BuildError = new(BuildGuests);

        public static string RepoRoot => Root.Value;

        public static string GuestDir => Path.Combine(RepoRoot, "guest", "baremetal");

        /// <summary>The repository root: $CAPVISOR_ROOT (scripts/test.sh sets it) or the directory holding Capvisor.slnx.</summary>
        private static string FindRoot()
        {
            var env = Environment.GetEnvironmentVariable("CAPVISOR_ROOT");
            if (!string.IsNullOrEmpty(env) && File.Exists(Path.Combine(env, "Capvisor.slnx")))
            {
                return env;
            }

            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Capvisor.slnx")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException(
                "cannot find the repository root: set CAPVISOR_ROOT or run from inside the repository");
        }

        /// <summary>Runs make once per test run (cheap when the programs are up to date); null on success.</summary>
        private static string? BuildGuests()
        {
            try
            {
                var r = Run("make", ["-s", "-C", GuestDir], TimeSpan.FromMinutes(5));
                if (r.Exited && r.ExitCode == 0)
                {
                    return null;
                }

                return $"make -C guest/baremetal failed (exit {r.ExitCode}):\n{r.Serial}\n{r.StderrTail(30)}";
            }
            catch (Win32Exception e)
            {
                return $"cannot run make: {e.Message}";
            }
        }

        /// <summary>Path of build/NAME.elf, built if needed; fails the test with the build's errors otherwise.</summary>
        public static string Elf(string program)
        {
            if (BuildError.Value is { } error)
            {
                Assert.Fail(error + "\n(scripts/prerequisites.sh test installs gcc-aarch64-linux-gnu and make)");
            }

            var elf = Path.Combine(GuestDir, "build", program + ".elf");
            Assert.True(File.Exists(elf), $"{elf} was not built");
            return elf;
        }

        /// <summary>Runs the program under qemu-system-aarch64 (TCG), serial on stdout.</summary>
        public static BareMetalRun RunQemu(string elf, int cpus, TimeSpan timeout, string? input = null)
        {
            var args = new List<string>(QemuMachine)
            {
                "-smp", cpus.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "-display", "none", "-serial", "stdio", "-monitor", "none", "-nic", "none", "-no-reboot",
                "-kernel", elf,
            };
            try
            {
                return Run("qemu-system-aarch64", args, timeout, input);
            }
            catch (Win32Exception e)
            {
                Assert.Fail($"cannot run qemu-system-aarch64 ({e.Message}); scripts/prerequisites.sh test installs qemu-system-arm");
                throw;
            }
        }

        /// <summary>Runs the program under <c>capvisor run --deterministic</c> from this test's output directory.</summary>
        public static BareMetalRun RunCapvisor(string elf, int cpus, int guestTimeoutSeconds, string? input = null)
        {
            var dll = Path.Combine(AppContext.BaseDirectory, "capvisor.dll");
            Assert.True(File.Exists(dll), $"{dll} is missing: the test project must reference Capvisor.Cli");
            var args = new List<string>
            {
                dll, "run", "-k", elf, "-m", "128",
                "-c", cpus.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--deterministic",
                "--timeout", guestTimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
            return Run(DotnetHost(), args, TimeSpan.FromSeconds(guestTimeoutSeconds + 60), input);
        }

        /// <summary>The dotnet host running these tests (the test host is started by it), else "dotnet" from PATH.</summary>
        private static string DotnetHost()
        {
            var self = Environment.ProcessPath;
            return self != null && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
        }

        /// <summary>
        /// Runs a process with <paramref name="input"/> (Latin-1) on stdin, then stdin closed; kills it
        /// (and its children) after <paramref name="timeout"/>.
        /// </summary>
        public static BareMetalRun Run(string file, IEnumerable<string> args, TimeSpan timeout, string? input = null)
        {
            var psi = new ProcessStartInfo(file)
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var a in args)
            {
                psi.ArgumentList.Add(a);
            }

            psi.Environment["CAPVISOR_ROOT"] = RepoRoot;
            var clock = Stopwatch.StartNew();
            using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
            if (input != null)
            {
                try
                {
                    p.StandardInput.BaseStream.Write(Encoding.Latin1.GetBytes(input));
                    p.StandardInput.BaseStream.Flush();
                }
                catch (IOException)
                {
                    // the process exited without reading its input; its output says why
                }
            }

            p.StandardInput.Close();
            var stdout = new MemoryStream();
            var outTask = CopyCappedAsync(p.StandardOutput.BaseStream, stdout);
            var errTask = p.StandardError.ReadToEndAsync();
            var exited = p.WaitForExit(timeout);
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

            outTask.Wait(TimeSpan.FromSeconds(10));
            errTask.Wait(TimeSpan.FromSeconds(10));
            var serial = Encoding.Latin1.GetString(stdout.ToArray());
            var stderr = errTask.IsCompletedSuccessfully ? errTask.Result : "";
            return new BareMetalRun(exited, exited ? p.ExitCode : -1, serial, stderr, clock.Elapsed);
        }

        private static async Task CopyCappedAsync(Stream from, MemoryStream to)
        {
            var buf = new byte[65536];
            int n;
            while ((n = await from.ReadAsync(buf).ConfigureAwait(false)) > 0)
            {
                var room = MaxSerialBytes - (int)to.Length;
                if (room > 0)
                {
                    to.Write(buf, 0, Math.Min(n, room));
                }
            }
        }
    }
}
