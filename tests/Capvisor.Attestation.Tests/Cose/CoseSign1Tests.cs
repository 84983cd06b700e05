using System.Security.Cryptography;
using Capvisor.Attestation.Cbor;
using Capvisor.Attestation.Cose;

namespace Capvisor.Attestation.Tests.Cose
{
    public class CoseSign1Tests
    {
        public static TheoryData<CoseAlgorithm, string> Algorithms => new()
        {
            { CoseAlgorithm.ES256, "nistP256" },
            { CoseAlgorithm.ES384, "nistP384" },
            { CoseAlgorithm.ES512, "nistP521" },
        };

        [Theory]
        [MemberData(nameof(Algorithms))]
        public void SignThenVerifyRoundTrips(CoseAlgorithm algorithm, string curve)
        {
            using var key = ECDsa.Create(ECCurve.CreateFromFriendlyName(curve));
            var payload = "payload"u8.ToArray();
            var message = CoseSign1.Sign(payload, key, algorithm);

            var decoded = CoseSign1.Decode(message);
            Assert.True(decoded.IsTagged);
            Assert.Equal(algorithm, decoded.Algorithm);
            Assert.Equal(payload, decoded.Payload);
            Assert.True(decoded.Verify(key, out var reason), reason);

            using var other = ECDsa.Create(ECCurve.CreateFromFriendlyName(curve));
            Assert.False(decoded.Verify(other, out reason));
            Assert.Contains("does not verify", reason);
        }

        [Fact]
        public void Es384MessageHasTfRmmShape()
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
            var message = CoseSign1.Sign([0xa0], key, CoseAlgorithm.ES384);

            // d2 (tag 18), 84 (array 4), 44 a1013822 (protected {1: -35}), a0, 41 a0, 58 60 (96-byte signature).
            Assert.Equal("d28444a1013822a041a05860", Convert.ToHexStringLower(message.AsSpan(0, 12)));
            Assert.Equal(12 + 96, message.Length);
        }

        [Fact]
        public void RejectsKeyOfAnotherCurve()
        {
            using var p256 = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
            Assert.Throws<ArgumentException>(() => CoseSign1.Sign([], p256, CoseAlgorithm.ES384));
            var message = CoseSign1.Decode(CoseSign1.Sign([], p384, CoseAlgorithm.ES384));
            Assert.False(message.Verify(p256, out var reason));
            Assert.Contains("P-384", reason);
        }

        [Fact]
        public void VerifiesAgainstSignatureInput()
        {
            // An independent Sig_structure: any change to protected header or payload breaks it.
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var message = CoseSign1.Decode(CoseSign1.Sign("abc"u8, key, CoseAlgorithm.ES256));
            var tbs = CborValue.FromArray("Signature1", message.ProtectedHeaderBytes, Array.Empty<byte>(), message.Payload).Encode();
            Assert.True(key.VerifyData(tbs, message.Signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
        }

        [Theory]
        [InlineData("d2 83 40 a0 40")] // 3 items
        [InlineData("d1 84 40 a0 40 40")] // tag 17
        [InlineData("d2 84 a0 a0 40 40")] // protected not bstr
        [InlineData("d2 84 41 80 a0 40 40")] // protected not a map
        [InlineData("d2 84 43 a10126 80 40 40")] // unprotected not a map
        [InlineData("d2 84 43 a10126 a0 f6 40")] // detached payload
        [InlineData("d2 84 43 a10126 a0 40 60")] // signature not bstr
        [InlineData("d2 84 43 a10126 a10126 40 40")] // alg in both buckets
        [InlineData("d2 84 46 a10126028101 a0 40 40")] // crit
        public void RejectsMalformedMessages(string hex)
        {
            Assert.Throws<AttestationFormatException>(() => CoseSign1.Decode(Convert.FromHexString(hex.Replace(" ", ""))));
        }

        [Fact]
        public void UnknownAlgorithmFailsVerificationWithReason()
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var message = CoseSign1.Decode(Convert.FromHexString("8443a10127a0404140".Replace(" ", "")));
            Assert.Null(message.Algorithm);
            Assert.False(message.IsTagged);
            Assert.False(message.Verify(key, out var reason));
            Assert.Contains("unsupported algorithm", reason);
        }
    }
}
