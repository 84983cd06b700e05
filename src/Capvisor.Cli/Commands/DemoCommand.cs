using System.Text;
using Capvisor.Attestation.Cca;
using Capvisor.Board;
using Capvisor.Firmware.Psci;

namespace Capvisor.Cli.Commands
{
    /// <summary>
    /// The <c>capvisor demo</c> command: runs the most complete scenario the project supports —
    /// a bare-metal program from guest/baremetal/build on the virt board; then guest/realm's
    /// realm-hello as an Arm CCA realm, whose attestation token is verified against the platform's
    /// CPAK and the RIM the host expected; then, when scripts/guest-assets.sh has fetched them,
    /// Debian's arm64 kernel and a busybox initramfs on two CPUs with a short scripted shell
    /// session. All run in deterministic time.
    /// </summary>
    public static class DemoCommand
    {
        /// <summary>Guest programs tried in order; the first that exists runs.</summary>
        private static readonly string[] Candidates = ["demo.elf", "hello.elf"];

        /// <summary>What the demo types at the busybox prompt.</summary>
        private const string ShellScript = "uname -a\ncat /proc/interrupts\npoweroff -f\n";

        /// <summary>Runs the command with the arguments after its name.</summary>
        public static int Execute(string[] args)
        {
            if (args.Length > 0 && args[0] is "-h" or "--help")
            {
                Console.Out.WriteLine("usage: capvisor demo\n\nRuns a bare-metal guest program from guest/baremetal/build on the emulated virt board,\nthen guest/realm's realm-hello as a CCA realm (its attestation token is verified against the\nplatform CPAK in $CAPVISOR_STATE_DIR or ~/.local/state/capvisor, created if missing),\nthen Debian's kernel if scripts/guest-assets.sh has fetched it.");
                return 0;
            }

            if (args.Length > 0)
            {
                throw new UsageException($"unexpected argument '{args[0]}'");
            }

            string root = Environment.GetEnvironmentVariable("CAPVISOR_ROOT") ?? Directory.GetCurrentDirectory();
            string build = Path.Combine(root, "guest", "baremetal", "build");
            string? program = FindProgram(build);
            if (program == null)
            {
                Console.Error.WriteLine($"capvisor demo: no guest program in {build}; build them with 'make -C guest'");
                return 2;
            }

            using var stdout = Console.OpenStandardOutput();
            Console.Error.WriteLine($"capvisor demo: 1/3 booting {Path.GetRelativePath(root, program)} on a 1-CPU virt board (GICv3, PL011, PL031, PL061, 128 MiB), deterministic time");
            Console.Error.WriteLine("capvisor demo: the guest's serial output follows on standard output");
            var options = new RunOptions { Kernel = program, Deterministic = true, TimeoutSeconds = 60 };
            int status = GuestRunner.Run(options, stdout, null, Console.Error);
            if (status != 0)
            {
                Console.Error.WriteLine($"capvisor demo: the bare-metal guest did not finish cleanly (status {status})");
                return status;
            }

            Console.Error.WriteLine("capvisor demo: the guest switched the board off through PSCI SYSTEM_OFF");
            status = RunRealm(root, stdout);
            if (status != 0)
            {
                return status;
            }

            string assets = Environment.GetEnvironmentVariable("CAPVISOR_GUEST_DIR") ?? Path.Combine(root, ".cache", "guest");
            string kernel = Path.Combine(assets, "Image"), initrd = Path.Combine(assets, "initramfs.cpio.gz");
            if (!File.Exists(kernel) || !File.Exists(initrd))
            {
                Console.Error.WriteLine("capvisor demo: 3/3 skipped: run scripts/guest-assets.sh to also boot Debian's kernel");
                return 0;
            }

            return BootLinux(kernel, initrd, stdout);
        }

        private static int BootLinux(string kernel, string initrd, Stream stdout)
        {
            Console.Error.WriteLine("capvisor demo: 3/3 booting Debian's arm64 kernel with a busybox initramfs on 2 CPUs (PSCI CPU_ON, GICv3, arch timer), deterministic time");
            Console.Error.WriteLine($"capvisor demo: at the first prompt it types: {ShellScript.Replace("\n", "; ").TrimEnd(' ', ';')}");
            using var machine = new VirtMachine(new VirtMachineOptions
            {
                Kernel = File.ReadAllBytes(kernel),
                KernelName = kernel,
                Initrd = File.ReadAllBytes(initrd),
                CommandLine = "console=ttyAMA0 nokaslr",
                CpuCount = 2,
                Deterministic = true,
                Timeout = TimeSpan.FromMinutes(5),
                SerialOutput = stdout,
                SerialInput = new MemoryStream(Encoding.ASCII.GetBytes(ShellScript)),
                SerialInputAfter = "/ # ",
            }, m => new PsciFirmware(m));
            var started = DateTime.UtcNow;
            var exit = machine.Run();
            double seconds = (DateTime.UtcNow - started).TotalSeconds;
            ulong instructions = machine.Cpus.Aggregate(0ul, (sum, c) => sum + c.Retired);
            Console.Error.WriteLine(exit.Reason == MachineExitReason.SystemOff
                ? $"capvisor demo: Linux powered the board off through PSCI SYSTEM_OFF after {instructions / 1e6:0} M instructions, {machine.Clock.NowNs / 1e9:0.00} s of machine time, {seconds:0.0} s of host time"
                : $"capvisor demo: the Linux run ended badly: {exit.Message}");
            return exit.ExitCode;
        }

        /// <summary>
        /// Part 2: realm-hello in a realm built by the untrusted host (run --realm --print-rim),
        /// then its token checked as <c>capvisor attest verify</c> checks one, against the
        /// platform CPAK, the challenge it printed and the RIM the host printed before it started.
        /// </summary>
        private static int RunRealm(string root, Stream stdout)
        {
            string elf = Path.Combine(root, "guest", "realm", "build", "realm-hello.elf");
            if (!File.Exists(elf))
            {
                Console.Error.WriteLine($"capvisor demo: 2/3 skipped: no {Path.GetRelativePath(root, elf)}; build it with 'make -C guest'");
                return 0;
            }

            string? stateDir = PlatformIdentity.DefaultStateDirectory();
            if (stateDir == null)
            {
                Console.Error.WriteLine($"capvisor demo: 2/3 skipped: no home directory; set {PlatformIdentity.StateDirVariable}");
                return 0;
            }

            Console.Error.WriteLine($"capvisor demo: 2/3 running {Path.GetRelativePath(root, elf)} as an Arm CCA realm (RMM 1.0: REALM_CREATE, INIT_RIPAS, measured DATA_CREATE, REC, ACTIVATE; RSI over SMC), deterministic time");
            Console.Error.WriteLine($"capvisor demo: the platform CPAK is in {stateDir}; the realm prints its RIM, REM0 and an attestation token");
            var serial = new MemoryStream();
            var messages = new StringWriter();
            Console.Error.WriteLine("capvisor demo: the host prints the RIM it expects (--print-rim) before the realm starts:");
            var options = new RealmRunOptions
            {
                Board = new RunOptions { Kernel = elf, Deterministic = true, TimeoutSeconds = 60 },
                PrintRim = true,
                StateDir = stateDir,
                Rpv = Encoding.UTF8.GetBytes("capvisor demo"),
            };
            int status = RealmRunner.Run(options, new TeeStream(stdout, serial), new TeeWriter(Console.Error, messages));
            if (status != 0)
            {
                Console.Error.WriteLine($"capvisor demo: the realm did not finish cleanly (status {status})");
                return status;
            }

            string[] output = Encoding.UTF8.GetString(serial.ToArray()).Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
            string? Field(string[] lines, string label) =>
                lines.FirstOrDefault(l => l.StartsWith(label + " ", StringComparison.Ordinal))?[(label.Length + 1)..];
            string? hostRim = Field(messages.ToString().Split('\n').Select(l => l.TrimEnd('\r')).ToArray(), "RIM");
            string? guestRim = Field(output, "RIM");
            string? challenge = Field(output, "CHALLENGE");
            int begin = Array.IndexOf(output, "TOKEN-BEGIN"), end = Array.IndexOf(output, "TOKEN-END");
            if (hostRim == null || guestRim == null || challenge == null || begin < 0 || end <= begin)
            {
                Console.Error.WriteLine("capvisor demo: the realm's output lacks its RIM, challenge or token");
                return 1;
            }

            byte[] token = Convert.FromHexString(string.Concat(output[(begin + 1)..end]));
            using PlatformIdentity platform = PlatformIdentity.Load(stateDir);
            var result = CcaTokenVerifier.Verify(token, platform.Cpak, new CcaReferenceValues
            {
                Challenge = Convert.FromHexString(challenge),
                InitialMeasurement = Convert.FromHexString(hostRim),
                PersonalizationValue = options.Rpv,
            });
            Console.Error.WriteLine(hostRim == guestRim
                ? "capvisor demo: the RIM the realm read with RSI_MEASUREMENT_READ equals the host's"
                : $"capvisor demo: RIM MISMATCH: the realm read {guestRim}, the host expected {hostRim}");
            Console.Error.WriteLine(result.IsValid
                ? $"capvisor demo: token of {token.Length} bytes verified against the CPAK (as 'capvisor attest verify --cpak {Path.Combine(stateDir, PlatformIdentity.KeyFileName)} --rim {hostRim} --challenge ...'): valid, platform {result.Platform!.Profile}, realm {result.Realm!.Profile}"
                : $"capvisor demo: the token is invalid: {result.FailedCheck}: {result.Reason}");
            return result.IsValid && hostRim == guestRim ? 0 : 1;
        }

        /// <summary>Writes to two streams (the console and a capture).</summary>
        private sealed class TeeStream(Stream first, Stream second) : Stream
        {
            public override bool CanRead => false;

            public override bool CanSeek => false;

            public override bool CanWrite => true;

            public override long Length => throw new NotSupportedException();

            public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

            public override void Flush()
            {
                first.Flush();
                second.Flush();
            }

            public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

            public override void SetLength(long value) => throw new NotSupportedException();

            public override void Write(byte[] buffer, int offset, int count)
            {
                first.Write(buffer, offset, count);
                second.Write(buffer, offset, count);
            }
        }

        /// <summary>Writes to the console and a capture.</summary>
        private sealed class TeeWriter(TextWriter first, TextWriter second) : TextWriter
        {
            public override Encoding Encoding => first.Encoding;

            public override void Write(char value)
            {
                first.Write(value);
                second.Write(value);
            }

            public override void Write(string? value)
            {
                first.Write(value);
                second.Write(value);
            }
        }

        private static string? FindProgram(string build)
        {
            foreach (var name in Candidates)
            {
                string path = Path.Combine(build, name);
                if (File.Exists(path))
                {
                    return path;
                }
            }

            return Directory.Exists(build) ? Directory.GetFiles(build, "*.elf").OrderBy(p => p, StringComparer.Ordinal).FirstOrDefault() : null;
        }
    }
}
