using System.Security.Cryptography;
using Capvisor.Attestation;
using Capvisor.Attestation.Cca;
using Capvisor.Attestation.Cose;
using Capvisor.Attestation.Keys;
using Capvisor.Cli.Commands.Attest;

namespace Capvisor.Cli.Commands
{
    /// <summary>The <c>capvisor attest</c> command: verify or show a CCA attestation token.</summary>
    public static class AttestCommand
    {
        private const string Usage =
            "usage: capvisor attest verify TOKEN --cpak KEY [--json] [--challenge HEX] [--rim HEX] [--rpv HEX]\n" +
            "       capvisor attest show TOKEN [--json]\n" +
            "\n" +
            "TOKEN is a file holding the token in binary CBOR or in hex ('-' reads standard input):\n" +
            "a tag-399 or tag-907 CCA collection of a platform and a realm token.\n" +
            "\n" +
            "verify  checks the token: claims of both tokens, the platform signature with KEY (the\n" +
            "        platform's CPAK, as PEM public or private key or as JWK), the realm signature\n" +
            "        with the RAK the realm token carries, and the binding (platform challenge =\n" +
            "        hash of the RAK); then the reference values given:\n" +
            "          --challenge HEX  the challenge given to the realm (zero-padded to 64 bytes)\n" +
            "          --rim HEX        the expected realm initial measurement\n" +
            "          --rpv HEX        the expected realm personalization value (zero-padded)\n" +
            "        exit 0: valid; 1: invalid, with the first failing check; 2: unusable arguments.\n" +
            "        --json prints the claims as JSON (Veraison's names) and the verdict on stderr.\n" +
            "show    decodes and prints the claims without verifying anything; --json as above.";

        private static readonly HashSet<string> ValueOptions = ["--cpak", "--challenge", "--rim", "--rpv"];
        private static readonly HashSet<string> FlagOptions = ["--json"];

        /// <summary>Runs the command with the arguments after its name.</summary>
        public static int Execute(string[] args) => Execute(args, Console.Out, Console.Error, Console.OpenStandardInput);

        /// <summary>Runs the command writing to the given streams (for tests).</summary>
        /// <exception cref="UsageException">Unusable arguments (exit status 2).</exception>
        public static int Execute(string[] args, TextWriter stdout, TextWriter stderr, Func<Stream>? stdin = null)
        {
            if (args.Length == 0)
            {
                throw new UsageException("missing sub-command (verify or show)");
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

            if (parsed.Positional.Count != 1)
            {
                throw new UsageException(parsed.Positional.Count == 0 ? "missing TOKEN" : "exactly one TOKEN expected");
            }

            var token = ReadToken(parsed.Positional[0], stdin ?? Console.OpenStandardInput);
            var json = parsed.Flags.Contains("--json");
            switch (args[0])
            {
                case "verify":
                    return Verify(token, parsed, json, stdout, stderr);
                case "show":
                    if (parsed.Options.Count > 0)
                    {
                        throw new UsageException($"{parsed.Options.Keys.First()} is an option of verify, not show");
                    }

                    return Show(token, json, stdout, stderr);
                default:
                    throw new UsageException($"unknown sub-command '{args[0]}' (verify or show)");
            }
        }

        private static int Verify(byte[] token, AttestArguments parsed, bool json, TextWriter stdout, TextWriter stderr)
        {
            if (!parsed.Options.TryGetValue("--cpak", out var keyPath))
            {
                throw new UsageException("verify needs --cpak KEY (the platform attestation public key)");
            }

            var expected = new CcaReferenceValues
            {
                Challenge = parsed.Hex("--challenge"),
                InitialMeasurement = parsed.Hex("--rim"),
                PersonalizationValue = parsed.Hex("--rpv"),
            };
            if (expected.Challenge?.Length > RealmClaims.ChallengeLength || expected.PersonalizationValue?.Length > RealmClaims.ChallengeLength)
            {
                throw new UsageException("--challenge and --rpv are at most 64 bytes");
            }

            using var cpak = LoadKey(keyPath);
            var result = CcaTokenVerifier.Verify(token, cpak, expected);
            var verdict = result.IsValid
                ? $"valid: {result.Token!.Form switch { CcaCollectionForm.Tag399 => "tag 399", _ => "tag 907" }} collection, platform {result.Platform!.Profile}, realm {result.Realm!.Profile ?? "legacy (no profile)"}"
                : $"invalid: {result.FailedCheck}: {result.Reason}";
            if (json)
            {
                stdout.WriteLine(CcaClaimsJson.ToJson(result.Platform, result.Realm));
                stderr.WriteLine(verdict);
            }
            else
            {
                stdout.WriteLine(verdict);
            }

            return result.IsValid ? 0 : 1;
        }

        private static int Show(byte[] bytes, bool json, TextWriter stdout, TextWriter stderr)
        {
            CcaToken token;
            try
            {
                token = CcaToken.Decode(bytes);
            }
            catch (AttestationFormatException e)
            {
                stderr.WriteLine($"capvisor attest: not a CCA token: {e.Message}");
                return 1;
            }

            var ok = true;
            var (platformMessage, platform) = DecodePart(token.PlatformToken, "platform", PlatformClaims.Decode, stderr, ref ok);
            var (realmMessage, realm) = DecodePart(token.RealmToken, "realm", RealmClaims.Decode, stderr, ref ok);
            if (json)
            {
                stdout.WriteLine(CcaClaimsJson.ToJson(platform, realm));
                return ok ? 0 : 1;
            }

            stdout.WriteLine($"collection: {(token.Form == CcaCollectionForm.Tag399 ? "tag 399" : "tag 907 (CMW)")}, not verified");
            if (platform is not null)
            {
                ClaimPrinter.Print(stdout, "platform token", platformMessage, platform);
            }

            if (realm is not null)
            {
                ClaimPrinter.Print(stdout, "realm token", realmMessage, realm);
            }

            return ok ? 0 : 1;
        }

        private delegate T ClaimsDecoder<out T>(ReadOnlySpan<byte> payload);

        private static (CoseSign1? Message, T? Claims) DecodePart<T>(byte[] bytes, string name, ClaimsDecoder<T> decode, TextWriter stderr, ref bool ok)
            where T : class
        {
            try
            {
                var message = CoseSign1.Decode(bytes);
                try
                {
                    return (message, decode(message.Payload));
                }
                catch (AttestationFormatException e)
                {
                    stderr.WriteLine($"capvisor attest: {name} claims: {e.Message}");
                }
            }
            catch (AttestationFormatException e)
            {
                stderr.WriteLine($"capvisor attest: {name} token: {e.Message}");
            }

            ok = false;
            return (null, null);
        }

        private static byte[] ReadToken(string path, Func<Stream> stdin)
        {
            byte[] bytes;
            try
            {
                using var input = path == "-" ? stdin() : File.OpenRead(path);
                bytes = ReadBounded(input, MaxTokenFileLength, $"token '{path}'");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UsageException($"cannot read token '{path}': {e.Message}");
            }

            return TryHex(bytes) ?? bytes;
        }

        // Real tokens are a few KiB; the cap keeps a wrong path (a device, a huge file) from
        // hanging the command or exhausting memory.
        private const int MaxTokenFileLength = 16 << 20;
        private const int MaxKeyFileLength = 64 << 10;

        private static byte[] ReadBounded(Stream input, int limit, string what)
        {
            using var buffer = new MemoryStream();
            var chunk = new byte[81920];
            int read;
            while ((read = input.Read(chunk, 0, chunk.Length)) > 0)
            {
                if (buffer.Length + read > limit)
                {
                    throw new UsageException($"{what} is larger than {limit} bytes");
                }

                buffer.Write(chunk, 0, read);
            }

            return buffer.ToArray();
        }

        // Hex text (as Veraison's vectors are kept) is accepted too: no CBOR token is all hex digits.
        private static byte[]? TryHex(byte[] bytes)
        {
            var text = new string(bytes.Select(b => (char)b).Where(c => !char.IsWhiteSpace(c)).ToArray());
            if (text.Length == 0 || text.Length % 2 != 0 || !text.All(char.IsAsciiHexDigit))
            {
                return null;
            }

            return Convert.FromHexString(text);
        }

        private static ECDsa LoadKey(string path)
        {
            string text;
            try
            {
                using var input = File.OpenRead(path);
                text = System.Text.Encoding.UTF8.GetString(ReadBounded(input, MaxKeyFileLength, $"key '{path}'"));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UsageException($"cannot read key '{path}': {e.Message}");
            }

            try
            {
                return EcKeyFile.Load(text);
            }
            catch (AttestationFormatException e)
            {
                throw new UsageException($"unusable key '{path}': {e.Message}");
            }
        }
    }
}
