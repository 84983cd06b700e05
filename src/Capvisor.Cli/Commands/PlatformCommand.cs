using Capvisor.Attestation;
using Capvisor.Attestation.Cca;
using Capvisor.Attestation.Keys;
using Capvisor.Cli.Commands.Attest;

namespace Capvisor.Cli.Commands
{
    /// <summary>The <c>capvisor platform</c> command: create or show the platform attestation key (CPAK).</summary>
    public static class PlatformCommand
    {
        /// <summary>Environment variable naming the state directory.</summary>
        public const string StateDirVariable = PlatformIdentity.StateDirVariable;

        private const string Usage =
            "usage: capvisor platform init [--state-dir DIR] [--pem | --jwk]\n" +
            "       capvisor platform show [--state-dir DIR] [--pem | --jwk]\n" +
            "\n" +
            "init  creates the platform attestation key (CPAK, ECDSA P-384) once, in DIR/cpak.pem\n" +
            "      (mode 0600); an existing key is kept. Then prints as show does.\n" +
            "show  prints the CPAK's public key and the implementation and instance IDs that the\n" +
            "      platform's tokens carry. --pem or --jwk print only the public key, in that form,\n" +
            "      ready for 'capvisor attest verify --cpak'.\n" +
            "\n" +
            "DIR is --state-dir, else $CAPVISOR_STATE_DIR, else $XDG_STATE_HOME/capvisor, else\n" +
            "~/.local/state/capvisor.";

        private static readonly HashSet<string> ValueOptions = ["--state-dir"];
        private static readonly HashSet<string> FlagOptions = ["--pem", "--jwk", "--help"];

        /// <summary>Runs the command with the arguments after its name.</summary>
        public static int Execute(string[] args) => Execute(args, Console.Out, Console.Error);

        /// <summary>Runs the command writing to the given streams and reading the given environment (for tests).</summary>
        /// <exception cref="UsageException">Unusable arguments (exit status 2).</exception>
        public static int Execute(string[] args, TextWriter stdout, TextWriter stderr, Func<string, string?>? environment = null)
        {
            if (args.Length == 0)
            {
                throw new UsageException("missing sub-command (init or show)");
            }

            if (args[0] is "-h" or "--help" or "help")
            {
                stdout.WriteLine(Usage);
                return 0;
            }

            var parsed = AttestArguments.Parse(args.Skip(1), ValueOptions, FlagOptions);
            if (parsed.Flags.Contains("--help"))
            {
                stdout.WriteLine(Usage);
                return 0;
            }

            if (parsed.Positional.Count > 0)
            {
                throw new UsageException($"unexpected argument '{parsed.Positional[0]}'");
            }

            if (parsed.Flags.Contains("--pem") && parsed.Flags.Contains("--jwk"))
            {
                throw new UsageException("--pem and --jwk exclude each other");
            }

            var stateDir = StateDirectory(parsed, environment);
            PlatformIdentity identity;
            try
            {
                switch (args[0])
                {
                    case "init":
                        identity = PlatformIdentity.LoadOrCreate(stateDir, out var created);
                        stderr.WriteLine(created
                            ? $"capvisor platform: created a new CPAK in {identity.KeyPath}"
                            : $"capvisor platform: kept the existing CPAK in {identity.KeyPath}");
                        break;
                    case "show":
                        if (!File.Exists(Path.Combine(stateDir, PlatformIdentity.KeyFileName)))
                        {
                            stderr.WriteLine($"capvisor platform: no CPAK in {stateDir}; run 'capvisor platform init'");
                            return 1;
                        }

                        identity = PlatformIdentity.Load(stateDir);
                        break;
                    default:
                        throw new UsageException($"unknown sub-command '{args[0]}' (init or show)");
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or AttestationFormatException)
            {
                stderr.WriteLine($"capvisor platform: {e.Message}");
                return 1;
            }

            using (identity)
            {
                WarnIfReadableByOthers(identity.KeyPath, stderr);
                if (parsed.Flags.Contains("--pem"))
                {
                    stdout.Write(EcKeyFile.ToPublicPem(identity.Cpak) + "\n");
                }
                else if (parsed.Flags.Contains("--jwk"))
                {
                    stdout.WriteLine(EcKeyFile.ToJwk(identity.Cpak));
                }
                else
                {
                    stdout.WriteLine($"state-dir:         {stateDir}");
                    stdout.WriteLine($"cpak:              ECDSA P-384, {identity.KeyPath}");
                    stdout.WriteLine($"implementation-id: {Convert.ToHexStringLower(PlatformIdentity.ImplementationId)}");
                    stdout.WriteLine($"instance-id:       {Convert.ToHexStringLower(identity.InstanceId)}");
                    stdout.Write(EcKeyFile.ToPublicPem(identity.Cpak) + "\n");
                }
            }

            return 0;
        }

        private static string StateDirectory(AttestArguments parsed, Func<string, string?>? environment)
        {
            if (parsed.Options.TryGetValue("--state-dir", out var dir))
            {
                return dir.Length > 0 ? Path.GetFullPath(dir) : throw new UsageException("--state-dir is empty");
            }

            return PlatformIdentity.DefaultStateDirectory(environment)
                ?? throw new UsageException($"no home directory: give --state-dir or set {StateDirVariable}");
        }

        private static void WarnIfReadableByOthers(string path, TextWriter stderr)
        {
            if (OperatingSystem.IsWindows())
            {
                return;
            }

            var mode = File.GetUnixFileMode(path);
            if ((mode & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite)) != 0)
            {
                stderr.WriteLine($"capvisor platform: warning: {path} is accessible to other users (chmod 600 it)");
            }
        }
    }
}
