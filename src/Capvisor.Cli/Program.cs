using Capvisor.Cli.Commands;

namespace Capvisor.Cli
{
    /// <summary>The <c>capvisor</c> command: dispatches to one class per sub-command.</summary>
    public static class Program
    {
        /// <summary>Sub-commands, in the order <c>--help</c> lists them.</summary>
        private static readonly (string Name, string Summary, Func<string[], int> Run)[] Commands =
        [
            ("run", "run a guest on the emulated virt board (kvmtool-style options)", RunCommand.Execute),
            ("demo", "run the most complete scenario the project supports", DemoCommand.Execute),
            ("attest", "verify or show a CCA attestation token", AttestCommand.Execute),
            ("platform", "create or show the platform attestation key (CPAK)", PlatformCommand.Execute),
            ("capdl", "check, print or measure a CapDL specification", CapdlCommand.Execute),
            ("sdf", "compile a Microkit-style system description to CapDL", SdfCommand.Execute),
        ];

        /// <summary>Entry point. Exit status: 0 success, 1 a negative result, 2 unusable arguments.</summary>
        public static int Main(string[] args)
        {
            if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
            {
                PrintUsage(args.Length == 0 ? Console.Error : Console.Out);
                return args.Length == 0 ? 2 : 0;
            }

            foreach (var (name, _, run) in Commands)
            {
                if (name == args[0])
                {
                    try
                    {
                        return run(args[1..]);
                    }
                    catch (UsageException e)
                    {
                        Console.Error.WriteLine($"capvisor {name}: {e.Message}");
                        Console.Error.WriteLine($"Try 'capvisor {name} --help'.");
                        return 2;
                    }
                }
            }

            Console.Error.WriteLine($"capvisor: unknown command '{args[0]}'");
            PrintUsage(Console.Error);
            return 2;
        }

        private static void PrintUsage(TextWriter w)
        {
            w.WriteLine("usage: capvisor COMMAND [OPTIONS]");
            w.WriteLine();
            w.WriteLine("Arm CCA realms on an emulated Armv9-A virt board.");
            w.WriteLine();
            w.WriteLine("commands:");
            foreach (var (name, summary, _) in Commands)
            {
                w.WriteLine($"  {name,-10} {summary}");
            }

            w.WriteLine();
            w.WriteLine("'capvisor COMMAND --help' describes a command's options.");
        }
    }
}
