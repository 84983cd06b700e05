using System.Text;
using Capvisor.Board;
using Capvisor.Firmware.Psci;

namespace Capvisor.Cli.Commands
{
    /// <summary>
    /// The <c>capvisor demo</c> command: runs the most complete scenario the project supports —
    /// a bare-metal program from guest/baremetal/build on the virt board, then, when
    /// scripts/guest-assets.sh has fetched them, Debian's arm64 kernel and a busybox initramfs on
    /// two CPUs with a short scripted shell session. Both run in deterministic time.
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
                Console.Out.WriteLine("usage: capvisor demo\n\nRuns a bare-metal guest program from guest/baremetal/build on the emulated virt board,\nthen Debian's kernel if scripts/guest-assets.sh has fetched it.");
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
            Console.Error.WriteLine($"capvisor demo: 1/2 booting {Path.GetRelativePath(root, program)} on a 1-CPU virt board (GICv3, PL011, PL031, PL061, 128 MiB), deterministic time");
            Console.Error.WriteLine("capvisor demo: the guest's serial output follows on standard output");
            var options = new RunOptions { Kernel = program, Deterministic = true, TimeoutSeconds = 60 };
            int status = GuestRunner.Run(options, stdout, null, Console.Error);
            if (status != 0)
            {
                Console.Error.WriteLine($"capvisor demo: the bare-metal guest did not finish cleanly (status {status})");
                return status;
            }

            Console.Error.WriteLine("capvisor demo: the guest switched the board off through PSCI SYSTEM_OFF");
            string assets = Environment.GetEnvironmentVariable("CAPVISOR_GUEST_DIR") ?? Path.Combine(root, ".cache", "guest");
            string kernel = Path.Combine(assets, "Image"), initrd = Path.Combine(assets, "initramfs.cpio.gz");
            if (!File.Exists(kernel) || !File.Exists(initrd))
            {
                Console.Error.WriteLine("capvisor demo: 2/2 skipped: run scripts/guest-assets.sh to also boot Debian's kernel");
                return 0;
            }

            return BootLinux(kernel, initrd, stdout);
        }

        private static int BootLinux(string kernel, string initrd, Stream stdout)
        {
            Console.Error.WriteLine("capvisor demo: 2/2 booting Debian's arm64 kernel with a busybox initramfs on 2 CPUs (PSCI CPU_ON, GICv3, arch timer), deterministic time");
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
