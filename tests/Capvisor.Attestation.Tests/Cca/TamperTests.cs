using System.Security.Cryptography;
using Capvisor.Attestation.Cca;
using Capvisor.Attestation.Tests.Infrastructure;

namespace Capvisor.Attestation.Tests.Cca
{
    /// <summary>No single-byte change of a valid token yields a valid token.</summary>
    public class TamperTests
    {
        [Fact]
        public void EveryByteOfASignedTokenIsProtected()
        {
            var token = TestTokens.Create(out var cpak);
            using (cpak)
            {
                AssertEverySingleByteChangeIsRejected(token, cpak, changesPerByte: 2);
            }
        }

        [Fact]
        public void EveryByteOfTheTfRmmVectorIsProtected()
        {
            using var cpak = Fixture.Key("ccatoken/realm/testvectors/tf-rmm/cca_platform.pub");
            AssertEverySingleByteChangeIsRejected(Fixture.Bytes("ccatoken/realm/testvectors/tf-rmm/cca_token.cbor"), cpak, changesPerByte: 1);
        }

        [Fact]
        public void EveryValueOfTheStructuralBytesIsRejected()
        {
            // Exhaustive over all 255 other values for the bytes that frame the collection and
            // both COSE messages' headers, where a change could most plausibly keep the token parsable.
            var token = TestTokens.Create(out var cpak);
            using (cpak)
            {
                Assert.True(CcaTokenVerifier.Verify(token, cpak).IsValid);
                var copy = (byte[])token.Clone();
                for (var i = 0; i < 24; i++)
                {
                    for (var v = 0; v < 256; v++)
                    {
                        if (v == token[i])
                        {
                            continue;
                        }

                        copy[i] = (byte)v;
                        var result = CcaTokenVerifier.Verify(copy, cpak);
                        Assert.False(result.IsValid, $"byte {i} set to 0x{v:x2} still verifies");
                    }

                    copy[i] = token[i];
                }
            }
        }

        // Every position, each with the low bit flipped and/or a seeded random other value, so
        // that all positions and, across them, all bit patterns are covered at a bounded cost.
        private static void AssertEverySingleByteChangeIsRejected(byte[] token, ECDsa cpak, int changesPerByte)
        {
            Assert.True(CcaTokenVerifier.Verify(token, cpak).IsValid);
            var random = new Random(token.Length);
            var copy = (byte[])token.Clone();
            for (var i = 0; i < token.Length; i++)
            {
                for (var c = 0; c < changesPerByte; c++)
                {
                    var flip = c == 1 ? (byte)0x01 : (byte)random.Next(1, 256);
                    copy[i] = (byte)(token[i] ^ flip);
                    var result = CcaTokenVerifier.Verify(copy, cpak);
                    Assert.False(result.IsValid, $"byte {i} xor 0x{flip:x2} still verifies");
                }

                copy[i] = token[i];
            }

            // Truncation and extension too.
            Assert.False(CcaTokenVerifier.Verify(token.AsSpan(0, token.Length - 1), cpak).IsValid);
            Assert.False(CcaTokenVerifier.Verify([.. token, 0x00], cpak).IsValid);
        }
    }
}
