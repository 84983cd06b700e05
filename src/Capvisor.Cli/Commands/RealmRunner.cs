using System.Diagnostics;
using Capvisor.Attestation;
using Capvisor.Attestation.Cca;
using Capvisor.Board.Boot;
using Capvisor.Firmware.Hypervisor;

namespace Capvisor.Cli.Commands
{
    /// <summary>Runs <c>capvisor run --realm</c> (and the demo's realm part) with <see cref="RealmVmm"/>.</summary>
    public static class RealmRunner
    {
        /// <summary>
        /// Builds and runs the realm <paramref name="options"/> describe; the realm's console goes to
        /// <paramref name="serialOutput"/>, Capvisor's messages (and <c>RIM &lt;hex&gt;</c> with
        /// --print-rim) to <paramref name="messages"/>. Returns the process exit status: 0 when the
        /// realm switched off or reset, 1 when the run failed, 2 for unusable arguments or files.
        /// </summary>
        public static int Run(RealmRunOptions options, Stream serialOutput, TextWriter messages, CancellationToken cancellation = default)
        {
            RunOptions board = options.Board;
            try
            {
                if (board.Kernel == null)
                {
                    throw new UsageException("a kernel is required (-k FILE)");
                }

                byte[] kernel = ReadFile(board.Kernel, "kernel");
                byte[]? initrd = board.Initrd != null ? ReadFile(board.Initrd, "initrd") : null;
                using PlatformIdentity platform = LoadPlatform(options.StateDir, messages);
                using var vmm = new RealmVmm(new RealmVmmOptions
                {
                    MemoryMiB = board.MemoryMiB,
                    CpuCount = board.Cpus,
                    Kernel = kernel,
                    KernelName = board.Kernel,
                    Initrd = initrd,
                    CommandLine = board.Params,
                    Algorithm = options.Algorithm,
                    Rpv = options.Rpv,
                    SerialOutput = serialOutput,
                    Deterministic = board.Deterministic,
                    Timeout = board.TimeoutSeconds is double s ? TimeSpan.FromSeconds(s) : null,
                    Platform = platform,
                });
                var clock = Stopwatch.StartNew();
                vmm.Build();
                foreach (string warning in vmm.Layout?.Warnings ?? [])
                {
                    messages.WriteLine($"capvisor run: warning: {warning}");
                }

                if (options.PrintRim)
                {
                    messages.WriteLine($"RIM {Convert.ToHexStringLower(vmm.Realm.ExpectedRim)}");
                }

                double buildSeconds = clock.Elapsed.TotalSeconds;
                RealmRunResult result = vmm.Run(cancellation);
                if (board.Stats)
                {
                    double seconds = clock.Elapsed.TotalSeconds;
                    messages.WriteLine(FormattableString.Invariant(
                        $"capvisor run: realm of {board.MemoryMiB} MiB built in {buildSeconds:F3} s ({vmm.Realm.DataIpas.Count} granules populated); ran {seconds - buildSeconds:F3} s, exits: {string.Join(", ", ExitNames.Select((n, i) => $"{n} {vmm.ExitCounts[i]}"))}"));
                }

                if (result.End != RealmRunEnd.SystemOff)
                {
                    messages.WriteLine($"capvisor run: {result.Message}");
                }

                return result.ExitCode;
            }
            catch (RealmHostException e)
            {
                messages.WriteLine($"capvisor run: {e.Message}");
                return 1;
            }
            catch (Exception e) when (e is BootImageException or ArgumentException or IOException or UnauthorizedAccessException or AttestationFormatException)
            {
                messages.WriteLine($"capvisor run: {e.Message}");
                return 2;
            }
        }

        private static readonly string[] ExitNames = ["sync", "irq", "fiq", "psci", "ripas-change", "host-call", "serror"];

        /// <summary>
        /// The platform identity from the state directory; a missing CPAK is created (as
        /// <c>capvisor platform init</c> would), so a first realm run can attest.
        /// </summary>
        private static PlatformIdentity LoadPlatform(string? stateDir, TextWriter messages)
        {
            string dir = stateDir != null
                ? Path.GetFullPath(stateDir)
                : PlatformIdentity.DefaultStateDirectory()
                    ?? throw new UsageException($"no home directory: give --state-dir or set {PlatformIdentity.StateDirVariable}");
            PlatformIdentity identity = PlatformIdentity.LoadOrCreate(dir, out bool created);
            if (created)
            {
                messages.WriteLine($"capvisor run: created a new CPAK in {identity.KeyPath}");
            }

            return identity;
        }

        private static byte[] ReadFile(string path, string what)
        {
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"{what} file '{path}' does not exist");
            }

            return File.ReadAllBytes(path);
        }
    }
}
