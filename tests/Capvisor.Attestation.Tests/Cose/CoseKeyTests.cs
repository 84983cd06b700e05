using System.Security.Cryptography;
using Capvisor.Attestation.Cose;
using Capvisor.Attestation.Tests.Infrastructure;

namespace Capvisor.Attestation.Tests.Cose
{
    public class CoseKeyTests
    {
        [Fact]
        public void EncodesTheRakLikeTfRmm()
        {
            // testRAKPubCOSE.hex is the 107-byte COSE_Key of testRAK.jwk.json in Veraison's tests.
            using var rak = Fixture.Key("ccatoken/extracted/keys/testRAK.jwk.json");
            var expected = Fixture.Bytes("ccatoken/extracted/keys/testRAKPubCOSE.hex");
            var encoded = CoseKey.FromECDsa(rak).Encode();
            Assert.Equal(107, encoded.Length);
            Assert.Equal(Convert.ToHexStringLower(expected), Convert.ToHexStringLower(encoded));
        }

        [Theory]
        [InlineData("ccatoken/extracted/keys/testRAKPubCOSE.hex")]
        [InlineData("ccatoken/extracted/keys/TestAltRAKPubCOSE.hex")]
        public void DecodesVectorKeys(string file)
        {
            var key = CoseKey.Decode(Fixture.Bytes(file));
            Assert.Equal(CoseCurve.P384, key.Curve);
            using var ecdsa = key.ToECDsa();
            Assert.Equal(384, ecdsa.KeySize);
            Assert.Equal(Fixture.Bytes(file), key.Encode());
        }

        [Fact]
        public void RawAndCoseFormsNameTheSamePoint()
        {
            var cose = CoseKey.Decode(Fixture.Bytes("ccatoken/extracted/keys/testRAKPubCOSE.hex"));
            var raw = Fixture.Bytes("ccatoken/extracted/keys/TestRAKPubRaw.hex");
            Assert.Equal(raw, [0x04, .. cose.X, .. cose.Y]);
        }

        [Theory]
        [InlineData("a0")]
        [InlineData("80")]
        [InlineData("a10102")] // no crv
        [InlineData("a201012001")] // OKP
        [InlineData("a401022002214100224100")] // 1-byte coordinates
        [InlineData("a4010220042140224100")] // unknown curve
        [InlineData("a3010220022140")] // no y
        [InlineData("a401022002215830")] // truncated
        public void RejectsBadKeys(string hex)
        {
            var bytes = Convert.FromHexString(hex);
            Assert.Throws<AttestationFormatException>(() => CoseKey.Decode(bytes));
        }

        [Fact]
        public void RejectsPointOffTheCurve()
        {
            var good = CoseKey.Decode(Fixture.Bytes("ccatoken/extracted/keys/testRAKPubCOSE.hex"));
            var y = (byte[])good.Y.Clone();
            y[^1] ^= 1;
            var bad = Capvisor.Attestation.Cbor.CborValue.FromMap((1, 2), (-1, 2), (-2, good.X), (-3, y)).Encode();
            Assert.Throws<AttestationFormatException>(() => CoseKey.Decode(bad));
        }

        [Fact]
        public void RoundTripsEveryCurve()
        {
            foreach (var curve in new[] { ECCurve.NamedCurves.nistP256, ECCurve.NamedCurves.nistP384, ECCurve.NamedCurves.nistP521 })
            {
                using var key = ECDsa.Create(curve);
                var cose = CoseKey.Decode(CoseKey.FromECDsa(key).Encode());
                using var back = cose.ToECDsa();
                Assert.Equal(key.ExportSubjectPublicKeyInfo(), back.ExportSubjectPublicKeyInfo());
            }
        }
    }
}
