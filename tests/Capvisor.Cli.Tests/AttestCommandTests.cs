using System.Security.Cryptography;
using Capvisor.Attestation.Cca;
using Capvisor.Attestation.Keys;
using Capvisor.Cli.Commands;

namespace Capvisor.Cli.Tests
{
    /// <summary><c>capvisor attest verify|show</c>: exit statuses, messages and JSON.</summary>
    public sealed class AttestCommandTests : IDisposable
    {
        private readonly string _dir = Directory.CreateTempSubdirectory("capvisor-attest-").FullName;
        private readonly ECDsa _cpak = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        private readonly ECDsa _rak = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        private readonly RealmClaims _realm = new()
        {
            Challenge = [.. Enumerable.Repeat((byte)0xab, 32), .. new byte[32]],
            PersonalizationValue = new byte[64],
            InitialMeasurement = SHA256.HashData("rim"u8),
            ExtensibleMeasurements = [new byte[32], new byte[32], new byte[32], new byte[32]],
            HashAlgorithm = "sha-256",
        };

        public AttestCommandTests()
        {
            var platform = new PlatformClaims
            {
                Profile = CcaProfiles.Platform,
                ImplementationId = new byte[32],
                InstanceId = [0x01, .. new byte[32]],
                Config = [],
                Lifecycle = PlatformLifecycle.Secured,
                SoftwareComponents = [new SoftwareComponent { MeasurementType = "RMM", MeasurementValue = new byte[32], SignerId = new byte[32] }],
                HashAlgorithm = "sha-256",
            };
            var token = new CcaTokenSigner(_cpak, _rak, platform).CreateToken(_realm);
            File.WriteAllBytes(PathOf("token.cbor"), token);
            File.WriteAllText(PathOf("token.hex"), Convert.ToHexStringLower(token) + "\n");
            File.WriteAllText(PathOf("cpak.pub"), _cpak.ExportSubjectPublicKeyInfoPem());
            File.WriteAllText(PathOf("cpak.pem"), _cpak.ExportECPrivateKeyPem());
            File.WriteAllText(PathOf("cpak.jwk"), EcKeyFile.ToJwk(_cpak));
            using var other = ECDsa.Create(ECCurve.NamedCurves.nistP384);
            File.WriteAllText(PathOf("other.pub"), other.ExportSubjectPublicKeyInfoPem());
            var parts = CcaToken.Decode(token);
            var realmToken = (byte[])parts.RealmToken.Clone();
            realmToken[^1] ^= 0x01;
            File.WriteAllBytes(PathOf("badsig.cbor"), new CcaToken(parts.PlatformToken, realmToken).Encode());
            token[token.Length / 2] ^= 0x10;
            File.WriteAllBytes(PathOf("tampered.cbor"), token);
            File.WriteAllText(PathOf("garbage.key"), "not a key");
            File.WriteAllBytes(PathOf("garbage.cbor"), [0xd9, 0x01, 0x8f, 0xa1]);
        }

        public void Dispose()
        {
            _cpak.Dispose();
            _rak.Dispose();
            Directory.Delete(_dir, recursive: true);
        }

        [Theory]
        [InlineData("token.cbor", "cpak.pub")]
        [InlineData("token.cbor", "cpak.pem")]
        [InlineData("token.cbor", "cpak.jwk")]
        [InlineData("token.hex", "cpak.pub")]
        public void ValidTokenExitsZero(string token, string key)
        {
            var (code, stdout, _) = Run("verify", PathOf(token), "--cpak", PathOf(key));
            Assert.Equal(0, code);
            Assert.StartsWith("valid: tag 399 collection, platform tag:arm.com,2023:cca_platform#1.0.0, realm tag:arm.com,2023:realm#1.0.0", stdout);
        }

        [Theory]
        [InlineData("token.cbor", "other.pub", "invalid: PlatformSignature")]
        [InlineData("tampered.cbor", "cpak.pub", "invalid: ")]
        [InlineData("garbage.cbor", "cpak.pub", "invalid: Format")]
        [InlineData("badsig.cbor", "cpak.pub", "invalid: RealmSignature")]
        public void InvalidTokenExitsOneWithTheFailingCheck(string token, string key, string message)
        {
            var (code, stdout, _) = Run("verify", PathOf(token), "--cpak", PathOf(key));
            Assert.Equal(1, code);
            Assert.StartsWith(message, stdout);
        }

        [Fact]
        public void ReferenceValuesAreChecked()
        {
            var rim = Convert.ToHexStringLower(_realm.InitialMeasurement!);
            Assert.Equal(0, Run("verify", PathOf("token.cbor"), "--cpak", PathOf("cpak.pub"), "--rim", rim, "--challenge", string.Concat(Enumerable.Repeat("ab", 32)), "--rpv", "00").Code);

            var (code, stdout, _) = Run("verify", PathOf("token.cbor"), "--cpak", PathOf("cpak.pub"), "--rim", new string('0', 64));
            Assert.Equal(1, code);
            Assert.StartsWith("invalid: InitialMeasurement", stdout);

            (code, stdout, _) = Run("verify", PathOf("token.cbor"), "--cpak", PathOf("cpak.pub"), "--challenge", "ff");
            Assert.Equal(1, code);
            Assert.StartsWith("invalid: Challenge", stdout);

            (code, stdout, _) = Run("verify", PathOf("token.cbor"), "--cpak", PathOf("cpak.pub"), "--rpv=01");
            Assert.Equal(1, code);
            Assert.StartsWith("invalid: PersonalizationValue", stdout);
        }

        [Fact]
        public void JsonPrintsTheClaimsAndTheVerdictOnStderr()
        {
            var (code, stdout, stderr) = Run("verify", PathOf("token.cbor"), "--cpak", PathOf("cpak.pub"), "--json");
            Assert.Equal(0, code);
            var json = System.Text.Json.Nodes.JsonNode.Parse(stdout)!;
            Assert.Equal(CcaProfiles.Realm, (string?)json["cca-realm-delegated-token"]!["cca-realm-profile"]);
            Assert.Equal(0x3000, (int)json["cca-platform-token"]!["cca-platform-lifecycle"]!);
            Assert.StartsWith("valid", stderr);
        }

        [Theory]
        [InlineData()]
        [InlineData("verify")]
        [InlineData("verify", "@token")]
        [InlineData("verify", "@token", "--cpak")]
        [InlineData("verify", "@token", "--cpak", "@garbage.key")]
        [InlineData("verify", "@token", "--cpak", "@missing.pub")]
        [InlineData("verify", "@missing.cbor", "--cpak", "@cpak.pub")]
        [InlineData("verify", "@token", "--cpak", "@cpak.pub", "--rim", "xyz")]
        [InlineData("verify", "@token", "--cpak", "@cpak.pub", "--frobnicate")]
        [InlineData("verify", "@token", "@token", "--cpak", "@cpak.pub")]
        [InlineData("show", "@token", "--rim", "00")]
        [InlineData("check", "@token")]
        [InlineData("verify", "/dev/zero", "--cpak", "@cpak.pub")]
        [InlineData("verify", "@token", "--cpak", "/dev/zero")]
        public void UnusableArgumentsAreUsageErrors(params string[] args)
        {
            var resolved = args.Select(a => a == "@token" ? PathOf("token.cbor") : a.StartsWith('@') ? PathOf(a[1..]) : a).ToArray();
            Assert.Throws<UsageException>(() => Run(resolved));
        }

        [Fact]
        public void ShowPrintsClaimsWithoutVerifying()
        {
            var (code, stdout, _) = Run("show", PathOf("token.cbor"));
            Assert.Equal(0, code);
            Assert.Contains("collection: tag 399, not verified", stdout);
            Assert.Contains("platform token: COSE_Sign1, ES384", stdout);
            Assert.Contains("realm token: COSE_Sign1, ES384", stdout);
            Assert.Contains(Convert.ToHexStringLower(_realm.InitialMeasurement!), stdout);
            Assert.Contains("0x3000 (secured)", stdout);

            // A token whose signature is broken still shows: show does not verify.
            Assert.Equal(0, Run("show", PathOf("badsig.cbor")).Code);
            (code, stdout, _) = Run("show", PathOf("token.cbor"), "--json");
            Assert.Equal(0, code);
            Assert.NotNull(System.Text.Json.Nodes.JsonNode.Parse(stdout)!["cca-platform-token"]);

            Assert.Equal(1, Run("show", PathOf("garbage.cbor")).Code);
        }

        [Fact]
        public void ReadsStandardInput()
        {
            var bytes = File.ReadAllBytes(PathOf("token.cbor"));
            var stdout = new StringWriter();
            var code = AttestCommand.Execute(["verify", "-", "--cpak", PathOf("cpak.pub")], stdout, new StringWriter(), () => new MemoryStream(bytes));
            Assert.Equal(0, code);
        }

        private string PathOf(string name) => Path.Combine(_dir, name);

        private static (int Code, string Stdout, string Stderr) Run(params string[] args)
        {
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            var code = AttestCommand.Execute(args, stdout, stderr);
            return (code, stdout.ToString(), stderr.ToString());
        }
    }
}
