namespace Capvisor.Cli.Commands
{
    /// <summary>
    /// The <c>capvisor demo</c> command: runs the most complete scenario the project supports —
    /// for now a bare-metal program from guest/baremetal/build on the virt board, deterministically.
    /// </summary>
    public static class DemoCommand
    {
        /// <summary>Guest programs tried in order; the first that exists runs.</summary>
        private static readonly string[] Candidates = ["demo.elf", "hello.elf"];

        /// <summary>Runs the command with the arguments after its name.</summary>
        public static int Execute(string[] args)
        {
            if (args.Length > 0 && args[0] is "-h" or "--help")
            {
                Console.Out.WriteLine("usage: capvisor demo\n\nRuns a bare-metal guest program from guest/baremetal/build on the emulated virt board.");
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

            string shown = Path.GetRelativePath(root, program);
            Console.Error.WriteLine($"capvisor demo: booting {shown} on a 1-CPU virt board (GICv3, PL011, PL031, 128 MiB), deterministic time");
            Console.Error.WriteLine("capvisor demo: the guest's serial output follows on standard output");
            var options = new RunOptions { Kernel = program, Deterministic = true, TimeoutSeconds = 60 };
            using var stdout = Console.OpenStandardOutput();
            int status = GuestRunner.Run(options, stdout, null, Console.Error);
            Console.Error.WriteLine(status == 0
                ? "capvisor demo: the guest switched the board off through PSCI SYSTEM_OFF"
                : $"capvisor demo: the guest did not finish cleanly (status {status})");
            return status;
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
