using System.Text.Json.Nodes;
using Capvisor.Attestation.Cca;
using Capvisor.Attestation.Tests.Infrastructure;

namespace Capvisor.Attestation.Tests.Cca
{
    /// <summary>
    /// Tokens made with fresh keys by an independent implementation (Python cbor2 + cryptography,
    /// Fixtures/cross_impl.py) verify when valid and fail the right check in each broken variant;
    /// and tokens made here verify there.
    /// </summary>
    public sealed class CrossImplementationTests : IDisposable
    {
        private readonly string _dir = Directory.CreateTempSubdirectory("capvisor-xi-").FullName;

        public void Dispose() => Directory.Delete(_dir, recursive: true);

        [Fact]
        public void IndependentTokensGiveTheExpectedResults()
        {
            var (code, output) = Python.Run("make", _dir);
            Assert.True(code == 0, output);
            var expected = JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, "expected.json")))!.AsObject();
            Assert.True(expected.Count > 40);
            using var cpak = Capvisor.Attestation.Keys.EcKeyFile.Load(File.ReadAllText(Path.Combine(_dir, "cpak.pem")));
            using var cpakJwk = Capvisor.Attestation.Keys.EcKeyFile.Load(File.ReadAllText(Path.Combine(_dir, "cpak.jwk.json")));
            var failures = new List<string>();
            foreach (var (name, check) in expected)
            {
                var keyFile = Path.Combine(_dir, name + ".pem");
                using var key = File.Exists(keyFile) ? Capvisor.Attestation.Keys.EcKeyFile.Load(File.ReadAllText(keyFile)) : null;
                var token = File.ReadAllBytes(Path.Combine(_dir, name + ".cbor"));
                var result = CcaTokenVerifier.Verify(token, key ?? cpak);
                if (result.FailedCheck.ToString() != check!.GetValue<string>())
                {
                    failures.Add($"{name}: expected {check}, got {result}");
                }

                if (key is null && CcaTokenVerifier.Verify(token, cpakJwk).FailedCheck != result.FailedCheck)
                {
                    failures.Add($"{name}: PEM and JWK forms of the CPAK disagree");
                }
            }

            Assert.True(failures.Count == 0, string.Join("\n", failures));
        }

        [Fact]
        public void OurTokensVerifyInTheIndependentChecker()
        {
            var token = TestTokens.Create(out var cpak);
            using (cpak)
            {
                var tokenPath = Path.Combine(_dir, "ours.cbor");
                var keyPath = Path.Combine(_dir, "ours.pem");
                File.WriteAllBytes(tokenPath, token);
                File.WriteAllText(keyPath, cpak.ExportSubjectPublicKeyInfoPem());
                var (code, output) = Python.Run("verify", tokenPath, keyPath);
                Assert.True(code == 0, output);

                token[^5] ^= 1;
                File.WriteAllBytes(tokenPath, token);
                (code, output) = Python.Run("verify", tokenPath, keyPath);
                Assert.True(code == 1, output);
            }
        }
    }
}
