using System.Security.Cryptography;
using Capvisor.Attestation.Cbor;
using Capvisor.Attestation.Cca;
using Capvisor.Attestation.Cose;
using Capvisor.Attestation.Tests.Infrastructure;

namespace Capvisor.Attestation.Tests.Cca
{
    public class SignerTests
    {
        public static TheoryData<string, string, string> Combinations()
        {
            var data = new TheoryData<string, string, string>();
            foreach (var cpak in new[] { "nistP256", "nistP384", "nistP521" })
            {
                foreach (var rak in new[] { "nistP256", "nistP384", "nistP521" })
                {
                    data.Add(cpak, rak, "sha-256");
                }
            }

            data.Add("nistP384", "nistP384", "sha-384");
            data.Add("nistP384", "nistP384", "sha-512");
            return data;
        }

        [Theory]
        [MemberData(nameof(Combinations))]
        public void SignedTokensVerify(string cpakCurve, string rakCurve, string rakHash)
        {
            using var cpak = ECDsa.Create(ECCurve.CreateFromFriendlyName(cpakCurve));
            using var rak = ECDsa.Create(ECCurve.CreateFromFriendlyName(rakCurve));
            var signer = new CcaTokenSigner(cpak, rak, TestTokens.Platform(), rakHash);
            var token = signer.CreateToken(TestTokens.Realm());

            var result = CcaTokenVerifier.Verify(token, cpak);
            Assert.True(result.IsValid, result.ToString());
            Assert.Equal(CcaCollectionForm.Tag399, result.Token!.Form);
            Assert.Equal(CcaProfiles.Realm, result.Realm!.Profile);
            Assert.Equal(signer.RealmPublicKey, result.Realm.PublicKey);
            Assert.Equal(rakHash, result.Realm.PublicKeyHashAlgorithm);

            using var pub = ECDsa.Create();
            pub.ImportSubjectPublicKeyInfo(cpak.ExportSubjectPublicKeyInfo(), out _);
            Assert.True(CcaTokenVerifier.Verify(token, pub).IsValid);

            using var other = ECDsa.Create(ECCurve.CreateFromFriendlyName(cpakCurve));
            Assert.Equal(CcaCheck.PlatformSignature, CcaTokenVerifier.Verify(token, other).FailedCheck);
        }

        [Fact]
        public void TokenHasTfRmmShape()
        {
            var token = TestTokens.Create(out var cpak);
            using (cpak)
            {
                var collection = CcaToken.Decode(token);
                var realm = CoseSign1.Decode(collection.RealmToken);
                Assert.Equal(CoseAlgorithm.ES384, realm.Algorithm);
                Assert.Equal(0, realm.UnprotectedHeaders.Count);
                var claims = RealmClaims.Decode(realm.Payload);
                Assert.Equal(107, claims.PublicKey!.Length);
                Assert.Equal("sha-256", claims.PublicKeyHashAlgorithm);
                var platform = PlatformClaims.Decode(CoseSign1.Decode(collection.PlatformToken).Payload);
                Assert.Equal(SHA256.HashData(claims.PublicKey), platform.Challenge);

                // Deterministic CBOR throughout, so the token is accepted in the strictest mode.
                CborDecoder.Decode(token, CborDecoderOptions.Default with { RequireDeterministic = true });
                CborDecoder.Decode(realm.Payload, CborDecoderOptions.Default with { RequireDeterministic = true });
            }
        }

        [Fact]
        public void PlatformTokenIsSignedOnceAndShared()
        {
            using var cpak = ECDsa.Create(ECCurve.NamedCurves.nistP384);
            using var rak = ECDsa.Create(ECCurve.NamedCurves.nistP384);
            var signer = new CcaTokenSigner(cpak, rak, TestTokens.Platform());
            var a = CcaToken.Decode(signer.CreateToken(TestTokens.Realm()));
            var b = CcaToken.Decode(signer.CreateToken(TestTokens.Realm(new byte[64])));
            Assert.Equal(a.PlatformToken, b.PlatformToken);
            Assert.NotEqual(a.RealmToken, b.RealmToken);
        }

        [Fact]
        public void RefusesInvalidClaims()
        {
            using var cpak = ECDsa.Create(ECCurve.NamedCurves.nistP384);
            using var rak = ECDsa.Create(ECCurve.NamedCurves.nistP384);
            Assert.Throws<ArgumentException>(() => new CcaTokenSigner(cpak, rak, TestTokens.Platform() with { Lifecycle = 0x7000 }));
            Assert.Throws<ArgumentException>(() => new CcaTokenSigner(cpak, rak, TestTokens.Platform(), "sha-1"));
            var signer = new CcaTokenSigner(cpak, rak, TestTokens.Platform());
            Assert.Throws<ArgumentException>(() => signer.CreateToken(TestTokens.Realm(new byte[32])));
            Assert.Throws<ArgumentException>(() => signer.CreateToken(TestTokens.Realm() with { PublicKey = new byte[107] }));
            Assert.Throws<ArgumentException>(() => signer.CreateToken(TestTokens.Realm() with { Profile = "x" }));
        }

        [Fact]
        public void ReferenceValuesAreChecked()
        {
            var token = TestTokens.Create(out var cpak);
            using (cpak)
            {
                var realm = TestTokens.Realm();
                Assert.True(CcaTokenVerifier.Verify(token, cpak, new CcaReferenceValues
                {
                    Challenge = realm.Challenge,
                    InitialMeasurement = realm.InitialMeasurement,
                    PersonalizationValue = realm.PersonalizationValue,
                }).IsValid);

                // Shorter values are compared zero-padded, as the guest sends them.
                Assert.Equal(CcaCheck.Challenge, CcaTokenVerifier.Verify(token, cpak, new() { Challenge = realm.Challenge![..32] }).FailedCheck);
                Assert.True(CcaTokenVerifier.Verify(token, cpak, new() { PersonalizationValue = new byte[5] }).IsValid);
                Assert.Equal(CcaCheck.Challenge, CcaTokenVerifier.Verify(token, cpak, new() { Challenge = new byte[64] }).FailedCheck);
                Assert.Equal(CcaCheck.InitialMeasurement, CcaTokenVerifier.Verify(token, cpak, new() { InitialMeasurement = new byte[32] }).FailedCheck);
                Assert.Equal(CcaCheck.PersonalizationValue, CcaTokenVerifier.Verify(token, cpak, new() { PersonalizationValue = [1] }).FailedCheck);
            }
        }

        [Fact]
        public void Tag907FormRoundTrips()
        {
            var token = TestTokens.Create(out var cpak);
            using (cpak)
            {
                var decoded = CcaToken.Decode(token);
                var cmw = new CcaToken(decoded.PlatformToken, decoded.RealmToken, CcaCollectionForm.Tag907).Encode();
                var result = CcaTokenVerifier.Verify(cmw, cpak);
                Assert.True(result.IsValid, result.ToString());
                Assert.Equal(CcaCollectionForm.Tag907, result.Token!.Form);
            }
        }
    }
}
