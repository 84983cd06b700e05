using Capvisor.Attestation.Cca;
using Capvisor.Attestation.Keys;
using Capvisor.Cli.Commands;

namespace Capvisor.Cli.Tests
{
    /// <summary><c>capvisor platform init|show</c>: the CPAK is created once, kept private, and printed.</summary>
    public sealed class AttestPlatformCommandTests : IDisposable
    {
        private readonly string _dir = Path.Combine(Directory.CreateTempSubdirectory("capvisor-platform-").FullName, "state");

        public void Dispose() => Directory.Delete(Path.GetDirectoryName(_dir)!, recursive: true);

        [Fact]
        public void InitCreatesOnceAndShowPrintsTheSameKey()
        {
            var (code, stdout, stderr) = Run("init", "--state-dir", _dir);
            Assert.Equal(0, code);
            Assert.Contains("created", stderr);
            var keyPath = Path.Combine(_dir, PlatformIdentity.KeyFileName);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyPath));
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_dir));
            }
            Assert.Empty(Directory.GetFiles(_dir, "*.tmp", SearchOption.AllDirectories).Concat(Directory.GetFiles(_dir, ".*")));
            Assert.Contains("implementation-id: " + Convert.ToHexStringLower(PlatformIdentity.ImplementationId), stdout);
            Assert.Contains("instance-id:       01", stdout);
            Assert.Contains("-----BEGIN PUBLIC KEY-----", stdout);
            var key = File.ReadAllText(keyPath);

            (code, _, stderr) = Run("init", "--state-dir", _dir);
            Assert.Equal(0, code);
            Assert.Contains("kept", stderr);
            Assert.Equal(key, File.ReadAllText(keyPath));

            var (_, show, _) = Run("show", "--state-dir", _dir);
            Assert.Equal(stdout, show);

            // --pem and --jwk give the same public key, usable by attest verify.
            var (_, pem, _) = Run("show", "--state-dir", _dir, "--pem");
            var (_, jwk, _) = Run("show", "--state-dir", _dir, "--jwk");
            using var fromPem = EcKeyFile.Load(pem);
            using var fromJwk = EcKeyFile.Load(jwk);
            using var stored = EcKeyFile.Load(key);
            Assert.False(EcKeyFile.HasPrivateKey(fromPem));
            Assert.Equal(stored.ExportSubjectPublicKeyInfo(), fromPem.ExportSubjectPublicKeyInfo());
            Assert.Equal(stored.ExportSubjectPublicKeyInfo(), fromJwk.ExportSubjectPublicKeyInfo());
        }

        [Fact]
        public void TokensSignedWithThePlatformKeyVerifyWithItsPrintedKey()
        {
            Assert.Equal(0, Run("init", "--state-dir", _dir).Code);
            using var identity = PlatformIdentity.Load(_dir);
            using var rak = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP384);
            var claims = identity.CreateClaims([new SoftwareComponent { MeasurementType = "RMM", MeasurementValue = new byte[32], SignerId = new byte[32] }], []);
            var token = new CcaTokenSigner(identity.Cpak, rak, claims).CreateToken(new RealmClaims
            {
                Challenge = new byte[64],
                PersonalizationValue = new byte[64],
                InitialMeasurement = new byte[32],
                ExtensibleMeasurements = [new byte[32], new byte[32], new byte[32], new byte[32]],
                HashAlgorithm = "sha-256",
            });
            var tokenPath = Path.Combine(_dir, "token.cbor");
            var keyPath = Path.Combine(_dir, "cpak.pub");
            File.WriteAllBytes(tokenPath, token);
            File.WriteAllText(keyPath, Run("show", "--state-dir", _dir, "--pem").Stdout);
            var stdout = new StringWriter();
            Assert.Equal(0, AttestCommand.Execute(["verify", tokenPath, "--cpak", keyPath], stdout, new StringWriter()));
        }

        [Fact]
        public void StateDirectoryComesFromTheEnvironment()
        {
            // The environment is passed in, not set process-wide: tests run in parallel.
            var env = new Dictionary<string, string> { [PlatformCommand.StateDirVariable] = _dir, ["HOME"] = "/nonexistent" };
            Assert.Equal(0, PlatformCommand.Execute(["init"], new StringWriter(), new StringWriter(), name => env.GetValueOrDefault(name)));
            Assert.True(File.Exists(Path.Combine(_dir, PlatformIdentity.KeyFileName)));

            var xdg = Path.Combine(Path.GetDirectoryName(_dir)!, "xdg");
            var stdout = new StringWriter();
            Assert.Equal(0, PlatformCommand.Execute(["init"], stdout, new StringWriter(), name => name == "XDG_STATE_HOME" ? xdg : null));
            Assert.Contains($"state-dir:         {Path.Combine(xdg, "capvisor")}", stdout.ToString());

            var home = Path.Combine(Path.GetDirectoryName(_dir)!, "home");
            Assert.Equal(Path.Combine(home, ".local", "state", "capvisor"), PlatformIdentity.DefaultStateDirectory(name => name == "HOME" ? home : null));
        }

        [Fact]
        public void ShowWithoutKeyFails()
        {
            var (code, _, stderr) = Run("show", "--state-dir", _dir);
            Assert.Equal(1, code);
            Assert.Contains("platform init", stderr);
        }

        [Fact]
        public void ACorruptKeyIsReportedNotReplaced()
        {
            Directory.CreateDirectory(_dir);
            var keyPath = Path.Combine(_dir, PlatformIdentity.KeyFileName);
            File.WriteAllText(keyPath, "garbage");
            Assert.Equal(1, Run("init", "--state-dir", _dir).Code);
            Assert.Equal("garbage", File.ReadAllText(keyPath));
        }

        [Theory]
        [InlineData()]
        [InlineData("create")]
        [InlineData("show", "--pem", "--jwk")]
        [InlineData("show", "extra")]
        [InlineData("show", "--state-dir")]
        [InlineData("init", "--force")]
        public void UnusableArgumentsAreUsageErrors(params string[] args)
        {
            Assert.Throws<UsageException>(() => Run(args));
        }

        private static (int Code, string Stdout, string Stderr) Run(params string[] args)
        {
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            var code = PlatformCommand.Execute(args, stdout, stderr);
            return (code, stdout.ToString(), stderr.ToString());
        }
    }
}
