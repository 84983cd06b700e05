using System.Text;
using Capvisor.Firmware.Rmm;

namespace Capvisor.Cli.Commands
{
    /// <summary>
    /// <c>capvisor run --realm</c>: kvmtool-cca's realm options (<c>--realm</c>,
    /// <c>--measurement-algo</c>, <c>--realm-pv</c>) plus <c>--realm-pv-hex</c>, <c>--print-rim</c>
    /// and <c>--state-dir</c>; the board options a realm supports are parsed by <see cref="RunOptions"/>.
    /// </summary>
    public sealed record RealmRunOptions
    {
        /// <summary>The realm section of <c>run --help</c>.</summary>
        public const string Usage = """

            realm options (the host side plays KVM + kvmtool-cca; the guest runs as an Arm CCA realm):
                  --realm           run the kernel in a realm: REALM_CREATE, INIT_RIPAS over all
                                    RAM, measured DATA_CREATE of each loaded blob (64 KiB
                                    rounded), a REC per CPU (CPU 0 runnable, Linux boot protocol),
                                    ACTIVATE; the realm reaches the PL011 at its unprotected alias
                                    0x09000000 | 1 << (IPA width - 1) and uses PSCI over SMC.
                                    Only -k, -i, -p, -m, -c, --timeout, --deterministic and
                                    --stats combine with it.
                  --measurement-algo sha256|sha512
                                    realm measurement algorithm (default sha256)
                  --realm-pv STR    realm personalization value: the bytes of STR (UTF-8, at most 64)
                  --realm-pv-hex HEX  the same as hex (at most 64 bytes; zero-padded)
                  --print-rim       print "RIM <hex>" (the initial measurement the host expects)
                                    to standard error before the realm starts
                  --state-dir DIR   platform state directory holding the CPAK that signs the
                                    platform token (default $CAPVISOR_STATE_DIR, else
                                    $XDG_STATE_HOME/capvisor, else ~/.local/state/capvisor); a
                                    missing CPAK is created there, as 'capvisor platform init' does
            """;

        /// <summary>Options that mean "this is a realm run" (the rest of the parser is <see cref="RunOptions"/>).</summary>
        private static readonly HashSet<string> RealmFlags = ["--realm", "--print-rim"];

        private static readonly HashSet<string> RealmValues = ["--measurement-algo", "--realm-pv", "--realm-pv-hex", "--state-dir"];

        /// <summary>Board options a realm run accepts: value-taking ones, then flags.</summary>
        private static readonly HashSet<string> BoardValues = ["-k", "--kernel", "-i", "--initrd", "-p", "--params", "-m", "--mem", "-c", "--cpus", "--timeout"];

        private static readonly HashSet<string> BoardFlags = ["--deterministic", "--stats", "-h", "--help"];

        /// <summary>The board options (-k, -i, -p, -m, -c, --timeout, --deterministic, --stats).</summary>
        public RunOptions Board { get; init; } = new();

        /// <summary>--measurement-algo.</summary>
        public MeasurementAlgorithm Algorithm { get; init; } = MeasurementAlgorithm.Sha256;

        /// <summary>--realm-pv or --realm-pv-hex (empty when neither).</summary>
        public byte[] Rpv { get; init; } = [];

        /// <summary>--print-rim.</summary>
        public bool PrintRim { get; init; }

        /// <summary>--state-dir.</summary>
        public string? StateDir { get; init; }

        /// <summary>Whether <paramref name="args"/> (after <c>run</c>) ask for a realm or use a realm-only option.</summary>
        public static bool IsRealmRun(IReadOnlyList<string> args) =>
            args.Any(a => RealmFlags.Contains(OptionName(a)) || RealmValues.Contains(OptionName(a)));

        private static string OptionName(string arg) =>
            arg.StartsWith("--", StringComparison.Ordinal) && arg.IndexOf('=') is int eq and > 0 ? arg[..eq] : arg;

        /// <summary>Parses the arguments after <c>run</c> of a realm run.</summary>
        /// <exception cref="UsageException">An option is unknown, unsupported with --realm, missing its value, or malformed.</exception>
        public static RealmRunOptions Parse(IReadOnlyList<string> args)
        {
            var o = new RealmRunOptions();
            var board = new List<string>();
            bool realm = false;
            string? pv = null, pvHex = null;
            for (int i = 0; i < args.Count; i++)
            {
                string arg = OptionName(args[i]);
                string? inline = arg.Length < args[i].Length ? args[i][(arg.Length + 1)..] : null;
                string Value()
                {
                    if (inline != null)
                    {
                        return inline;
                    }

                    if (i + 1 >= args.Count)
                    {
                        throw new UsageException($"option {arg} needs a value");
                    }

                    return args[++i];
                }

                switch (arg)
                {
                    case "--realm":
                        realm = true;
                        break;
                    case "--print-rim":
                        o = o with { PrintRim = true };
                        break;
                    case "--measurement-algo":
                        o = o with { Algorithm = ParseAlgorithm(Value()) };
                        break;
                    case "--realm-pv":
                        pv = Value();
                        break;
                    case "--realm-pv-hex":
                        pvHex = Value();
                        break;
                    case "--state-dir":
                        string dir = Value();
                        o = o with { StateDir = dir.Length > 0 ? dir : throw new UsageException("--state-dir is empty") };
                        break;
                    default:
                        if (BoardValues.Contains(arg))
                        {
                            board.Add(arg);
                            board.Add(Value());
                        }
                        else if (BoardFlags.Contains(arg))
                        {
                            board.Add(arg);
                        }
                        else if (arg.StartsWith('-'))
                        {
                            throw new UsageException($"option '{arg}' is not supported with --realm");
                        }
                        else
                        {
                            throw new UsageException($"unexpected argument '{arg}'");
                        }

                        break;
                }
            }

            RunOptions parsed = RunOptions.Parse(board);
            if (!realm && !parsed.Help)
            {
                throw new UsageException("--measurement-algo, --realm-pv, --realm-pv-hex, --print-rim and --state-dir need --realm");
            }

            if (pv != null && pvHex != null)
            {
                throw new UsageException("--realm-pv and --realm-pv-hex exclude each other");
            }

            byte[] rpv = [];
            if (pv != null)
            {
                rpv = Encoding.UTF8.GetBytes(pv);
            }
            else if (pvHex != null)
            {
                rpv = ParseHex(pvHex);
            }

            if (rpv.Length > RealmParams.RpvSize)
            {
                throw new UsageException($"the realm personalization value is at most {RealmParams.RpvSize} bytes, not {rpv.Length}");
            }

            return o with { Board = parsed, Rpv = rpv };
        }

        private static MeasurementAlgorithm ParseAlgorithm(string s) => s.ToLowerInvariant() switch
        {
            "sha256" or "sha-256" => MeasurementAlgorithm.Sha256,
            "sha512" or "sha-512" => MeasurementAlgorithm.Sha512,
            _ => throw new UsageException($"--measurement-algo must be sha256 or sha512, not '{s}'"),
        };

        private static byte[] ParseHex(string s)
        {
            string text = s.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? s[2..] : s;
            if (text.Length == 0 || text.Length % 2 != 0 || !text.All(char.IsAsciiHexDigit))
            {
                throw new UsageException($"--realm-pv-hex needs an even number of hex digits, not '{s}'");
            }

            return Convert.FromHexString(text);
        }
    }
}
