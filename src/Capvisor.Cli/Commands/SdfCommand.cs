using Capvisor.Caps.CapDL;
using Capvisor.Caps.Sdf;

namespace Capvisor.Cli.Commands
{
    /// <summary>The <c>capvisor sdf</c> command: compile a Microkit-style system description to CapDL.</summary>
    public static class SdfCommand
    {
        private const string Usage =
            "usage: capvisor sdf compile FILE [-o OUT]\n" +
            "\n" +
            "Validates a Microkit-style system description (protection_domain, virtual_machine,\n" +
            "vcpu, memory_region, map, channel, irq) and prints the CapDL spec it compiles to\n" +
            "(or writes it to OUT). Exit 2 with file:line:column on an invalid description.";

        /// <summary>Runs the command with the arguments after its name.</summary>
        public static int Execute(string[] args) => Execute(args, Console.Out, Console.Error);

        /// <summary>Runs the command, writing results to <paramref name="stdout"/> and diagnostics to <paramref name="stderr"/>.</summary>
        public static int Execute(string[] args, TextWriter stdout, TextWriter stderr)
        {
            if (args.Length == 0)
            {
                throw new UsageException("missing sub-command (compile)");
            }

            if (args[0] is "-h" or "--help" or "help")
            {
                stdout.WriteLine(Usage);
                return 0;
            }

            if (args[0] != "compile")
            {
                throw new UsageException($"unknown sub-command '{args[0]}' (expected compile)");
            }

            string? input = null;
            string? output = null;
            for (int i = 1; i < args.Length; i++)
            {
                if (args[i] is "-o" or "--output")
                {
                    output = i + 1 < args.Length ? args[++i] : throw new UsageException($"{args[i]} needs a file name");
                }
                else if (args[i].StartsWith('-'))
                {
                    throw new UsageException($"unknown option '{args[i]}'");
                }
                else
                {
                    input = input is null ? args[i] : throw new UsageException("expected one system description file");
                }
            }

            if (input is null)
            {
                throw new UsageException("missing system description FILE");
            }

            try
            {
                string text = CapdlPrinter.Print(SdfCompiler.CompileFile(input));
                if (output is null)
                {
                    stdout.Write(text);
                }
                else
                {
                    File.WriteAllText(output, text);
                }

                return 0;
            }
            catch (CapdlException e)
            {
                stderr.WriteLine($"capvisor sdf: {e.Message}");
                return 2;
            }
            catch (IOException e)
            {
                stderr.WriteLine($"capvisor sdf: cannot write '{output}': {e.Message}");
                return 2;
            }
        }
    }
}
