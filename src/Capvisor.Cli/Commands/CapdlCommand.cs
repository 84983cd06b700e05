using Capvisor.Caps.Analysis;
using Capvisor.Caps.CapDL;

namespace Capvisor.Cli.Commands
{
    /// <summary>The <c>capvisor capdl</c> command: print, measure and check CapDL specifications.</summary>
    public static class CapdlCommand
    {
        private const string Usage =
            "usage: capvisor capdl print SPEC\n" +
            "       capvisor capdl measure SPEC [--fill-dir DIR]\n" +
            "       capvisor capdl check SPEC --isolate NAME --from NAME\n" +
            "\n" +
            "print    the spec in canonical form (print of the output is the output)\n" +
            "measure  SHA-256 of the canonical spec and its fill contents (fill files are\n" +
            "         read from DIR, by default the spec's directory)\n" +
            "check    can thread --from ever obtain a capability to --isolate (an object,\n" +
            "         or every element of an array)? exit 0: no; 1: yes, with a witness;\n" +
            "         2: invalid spec or arguments";

        /// <summary>Runs the command with the arguments after its name.</summary>
        public static int Execute(string[] args) => Execute(args, Console.Out, Console.Error);

        /// <summary>Runs the command, writing results to <paramref name="stdout"/> and diagnostics to <paramref name="stderr"/>.</summary>
        public static int Execute(string[] args, TextWriter stdout, TextWriter stderr)
        {
            if (args.Length == 0)
            {
                throw new UsageException("missing sub-command (print, measure or check)");
            }

            if (args[0] is "-h" or "--help" or "help")
            {
                stdout.WriteLine(Usage);
                return 0;
            }

            string sub = args[0];
            var options = new Dictionary<string, string>();
            var positional = new List<string>();
            for (int i = 1; i < args.Length; i++)
            {
                if (args[i] is "--isolate" or "--from" or "--fill-dir")
                {
                    if (i + 1 >= args.Length)
                    {
                        throw new UsageException($"{args[i]} needs a value");
                    }

                    options[args[i]] = args[++i];
                }
                else if (args[i].StartsWith("--", StringComparison.Ordinal))
                {
                    throw new UsageException($"unknown option '{args[i]}'");
                }
                else
                {
                    positional.Add(args[i]);
                }
            }

            if (positional.Count != 1)
            {
                throw new UsageException(positional.Count == 0 ? "missing SPEC file" : $"expected one SPEC file, got {positional.Count}");
            }

            string path = positional[0];
            try
            {
                switch (sub)
                {
                    case "print":
                        stdout.Write(CapdlPrinter.Print(CapdlParser.ParseFile(path)));
                        return 0;
                    case "measure":
                    {
                        CapdlSpec spec = CapdlParser.ParseFile(path);
                        string dir = options.GetValueOrDefault("--fill-dir") ?? Path.GetDirectoryName(Path.GetFullPath(path))!;
                        byte[] digest = CapdlDigest.Compute(spec, name => File.ReadAllBytes(Path.Combine(dir, name)));
                        stdout.WriteLine($"sha256:{Convert.ToHexStringLower(digest)}");
                        return 0;
                    }

                    case "check":
                    {
                        string isolate = options.GetValueOrDefault("--isolate") ?? throw new UsageException("check needs --isolate NAME");
                        string from = options.GetValueOrDefault("--from") ?? throw new UsageException("check needs --from NAME");
                        CapdlSpec spec = CapdlParser.ParseFile(path);
                        AuthorityResult r = AuthorityAnalysis.Check(spec, isolate, from);
                        if (!r.Reachable)
                        {
                            stdout.WriteLine($"isolated: {from} cannot obtain a capability to {isolate}");
                            return 0;
                        }

                        stdout.WriteLine($"NOT isolated: {from} can obtain {r.Target}");
                        int n = 1;
                        foreach (AuthorityStep step in r.Witness)
                        {
                            stdout.WriteLine($"  {n++}. {step.Subject} gets {step.Object}: {step.How}");
                        }

                        return 1;
                    }

                    default:
                        throw new UsageException($"unknown sub-command '{sub}' (expected print, measure or check)");
                }
            }
            catch (CapdlException e)
            {
                stderr.WriteLine($"capvisor capdl: {e.Message}");
                return 2;
            }
        }
    }
}
