namespace Capvisor.Cli.Commands.Attest
{
    /// <summary>
    /// Parsed arguments of <c>attest</c> and <c>platform</c>: positional words, options with a
    /// value, and flags. Unknown options are usage errors.
    /// </summary>
    internal sealed class AttestArguments
    {
        private AttestArguments(List<string> positional, Dictionary<string, string> options, HashSet<string> flags)
        {
            Positional = positional;
            Options = options;
            Flags = flags;
        }

        public List<string> Positional { get; }

        public Dictionary<string, string> Options { get; }

        public HashSet<string> Flags { get; }

        /// <exception cref="UsageException">An unknown option, a repeated one, or an option without its value.</exception>
        public static AttestArguments Parse(IEnumerable<string> args, IReadOnlySet<string> valueOptions, IReadOnlySet<string> flagOptions)
        {
            var positional = new List<string>();
            var options = new Dictionary<string, string>(StringComparer.Ordinal);
            var flags = new HashSet<string>(StringComparer.Ordinal);
            using var e = args.GetEnumerator();
            while (e.MoveNext())
            {
                var arg = e.Current;
                if (arg.StartsWith("--", StringComparison.Ordinal) && arg.Length > 2)
                {
                    var name = arg;
                    string? value = null;
                    var eq = arg.IndexOf('=');
                    if (eq > 0)
                    {
                        name = arg[..eq];
                        value = arg[(eq + 1)..];
                    }

                    if (valueOptions.Contains(name))
                    {
                        if (value is null)
                        {
                            if (!e.MoveNext())
                            {
                                throw new UsageException($"{name} needs a value");
                            }

                            value = e.Current;
                        }

                        if (!options.TryAdd(name, value))
                        {
                            throw new UsageException($"{name} given twice");
                        }
                    }
                    else if (flagOptions.Contains(name) && value is null)
                    {
                        flags.Add(name);
                    }
                    else
                    {
                        throw new UsageException($"unknown option '{arg}'");
                    }
                }
                else
                {
                    positional.Add(arg);
                }
            }

            return new AttestArguments(positional, options, flags);
        }

        /// <summary>The bytes of a hex option, or null when absent.</summary>
        /// <exception cref="UsageException">Not hex.</exception>
        public byte[]? Hex(string name)
        {
            if (!Options.TryGetValue(name, out var text))
            {
                return null;
            }

            var clean = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? text[2..] : text;
            try
            {
                return Convert.FromHexString(clean);
            }
            catch (FormatException)
            {
                throw new UsageException($"{name} must be an even number of hex digits");
            }
        }
    }
}
