using Capvisor.Attestation.Cbor;

namespace Capvisor.Attestation.Tests.Cbor
{
    public class CborEncoderTests
    {
        [Fact]
        public void SortsMapKeysByTheirEncodings()
        {
            // RFC 8949 §4.2.1 order: 10, 100, -1, "z", "aa", [100], [-1], false.
            var map = CborValue.FromMap(new KeyValuePair<CborValue, CborValue>[]
            {
                new(CborValue.False, 0),
                new(CborValue.FromArray(-1L), 0),
                new("aa", 0),
                new(-1L, 0),
                new(CborValue.FromArray(100L), 0),
                new(100L, 0),
                new("z", 0),
                new(10L, 0),
            });
            Assert.Equal("a80a001864002000617a0062616100811864008120 00f400".Replace(" ", ""), Convert.ToHexStringLower(map.Encode()));
        }

        [Fact]
        public void RefusesDuplicateKeys()
        {
            Assert.Throws<ArgumentException>(() => CborValue.FromMap((1, 1), (1, 2)));
        }

        [Fact]
        public void EncodesIntegerBoundariesInShortestForm()
        {
            Assert.Equal("17", Hex(23));
            Assert.Equal("1818", Hex(24));
            Assert.Equal("18ff", Hex(255));
            Assert.Equal("190100", Hex(256));
            Assert.Equal("19ffff", Hex(65535));
            Assert.Equal("1a00010000", Hex(65536));
            Assert.Equal("1b0000000100000000", Hex(1L << 32));
            Assert.Equal("3bffffffffffffffff", Convert.ToHexStringLower(CborValue.FromNegative(ulong.MaxValue).Encode()));
            Assert.Equal("3b7fffffffffffffff", Hex(long.MinValue));
        }

        private static string Hex(long value) => Convert.ToHexStringLower(CborValue.FromInt64(value).Encode());
    }
}
