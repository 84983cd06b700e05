using System.Security.Cryptography;
using Capvisor.Attestation.Keys;
using Capvisor.Attestation.Tests.Infrastructure;

namespace Capvisor.Attestation.Tests.Keys
{
    public class EcKeyFileTests
    {
        [Fact]
        public void PemPrivatePemPublicAndJwkNameTheSameKey()
        {
            using var pem = Fixture.Key("ccatoken/realm/testvectors/tf-rmm/cca_platform.pem");
            using var pub = Fixture.Key("ccatoken/realm/testvectors/tf-rmm/cca_platform.pub");
            using var jwk = Fixture.Key("ccatoken/extracted/keys/testRMMCPAK.jwk.json");
            Assert.True(EcKeyFile.HasPrivateKey(pem));
            Assert.False(EcKeyFile.HasPrivateKey(pub));
            Assert.Equal(pem.ExportSubjectPublicKeyInfo(), pub.ExportSubjectPublicKeyInfo());
            Assert.Equal(pem.ExportSubjectPublicKeyInfo(), jwk.ExportSubjectPublicKeyInfo());
        }

        [Fact]
        public void JwkRoundTrips()
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
            using var pub = EcKeyFile.Load(EcKeyFile.ToJwk(key));
            using var priv = EcKeyFile.Load(EcKeyFile.ToJwk(key, includePrivate: true));
            Assert.Equal(key.ExportSubjectPublicKeyInfo(), pub.ExportSubjectPublicKeyInfo());
            Assert.True(EcKeyFile.HasPrivateKey(priv));
            using var fromPem = EcKeyFile.Load(EcKeyFile.ToPublicPem(key));
            Assert.Equal(key.ExportSubjectPublicKeyInfo(), fromPem.ExportSubjectPublicKeyInfo());
        }

        [Theory]
        [InlineData("")]
        [InlineData("hello")]
        [InlineData("{")]
        [InlineData("[]")]
        [InlineData("{\"kty\":\"RSA\"}")]
        [InlineData("{\"kty\":\"EC\",\"crv\":\"P-192\",\"x\":\"AA\",\"y\":\"AA\"}")]
        [InlineData("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"!!\",\"y\":\"AA\"}")]
        [InlineData("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":1,\"y\":\"AA\"}")]
        [InlineData("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AA\",\"y\":\"AA\"}")]
        [InlineData("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")]
        public void RejectsUnusableKeys(string text)
        {
            Assert.Throws<AttestationFormatException>(() => EcKeyFile.Load(text));
        }

        [Fact]
        public void RejectsTheBadTrustAnchorOfRustCcatoken()
        {
            // ta-02-bad.json holds a point that is not on P-256 (rust verify_legacy_token_error).
            Assert.Throws<AttestationFormatException>(() => Fixture.TrustAnchor("rust-ccatoken/testdata/ta-02-bad.json"));
        }

        [Fact]
        public void RejectsRsaPem()
        {
            using var rsa = RSA.Create(2048);
            Assert.Throws<AttestationFormatException>(() => EcKeyFile.Load(rsa.ExportSubjectPublicKeyInfoPem()));
        }
    }
}
