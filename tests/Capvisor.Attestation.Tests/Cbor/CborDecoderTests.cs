using Capvisor.Attestation.Cbor;

namespace Capvisor.Attestation.Tests.Cbor
{
    public class CborDecoderTests
    {
        // RFC 8949 Appendix A: encodings in preferred (shortest) form, which deterministic
        // encoding must reproduce byte for byte.
        [Theory]
        [InlineData("00")]
        [InlineData("17")]
        [InlineData("1818")]
        [InlineData("1903e8")]
        [InlineData("1a000f4240")]
        [InlineData("1b000000e8d4a51000")]
        [InlineData("1bffffffffffffffff")]
        [InlineData("3bffffffffffffffff")]
        [InlineData("20")]
        [InlineData("3903e7")]
        [InlineData("f90000")]
        [InlineData("f98000")]
        [InlineData("f93c00")]
        [InlineData("fb3ff199999999999a")]
        [InlineData("f97bff")]
        [InlineData("fa47c35000")]
        [InlineData("fb7e37e43c8800759c")]
        [InlineData("f90001")]
        [InlineData("f97c00")]
        [InlineData("f97e00")]
        [InlineData("f9fc00")]
        [InlineData("f4")]
        [InlineData("f5")]
        [InlineData("f6")]
        [InlineData("f7")]
        [InlineData("f0")]
        [InlineData("f8ff")]
        [InlineData("c074323031332d30332d32315432303a30343a30305a")]
        [InlineData("d74401020304")]
        [InlineData("40")]
        [InlineData("4401020304")]
        [InlineData("60")]
        [InlineData("6161")]
        [InlineData("6449455446")]
        [InlineData("62225c")]
        [InlineData("62c3bc")]
        [InlineData("63e6b0b4")]
        [InlineData("64f0908591")]
        [InlineData("80")]
        [InlineData("83010203")]
        [InlineData("8301820203820405")]
        [InlineData("98190102030405060708090a0b0c0d0e0f101112131415161718181819")]
        [InlineData("a0")]
        [InlineData("a201020304")]
        [InlineData("a26161016162820203")]
        [InlineData("826161a161626163")]
        public void DecodesAndReencodesAppendixAExamples(string hex)
        {
            var bytes = Convert.FromHexString(hex);
            var value = CborDecoder.Decode(bytes);
            Assert.Equal(hex, Convert.ToHexStringLower(value.Encode()));
            Assert.Equal(value, CborDecoder.Decode(bytes, CborDecoderOptions.Default with { RequireDeterministic = true }));
        }

        [Theory]
        [InlineData("5f42010243030405ff", "4501020304 05")]
        [InlineData("7f657374726561646d696e67ff", "6973747265616d696e67")]
        [InlineData("9fff", "80")]
        [InlineData("9f018202039f0405ffff", "8301820203820405")]
        [InlineData("bf61610161629f0203ffff", "a26161016162820203")]
        [InlineData("f93e00", "f93e00")]
        [InlineData("1800", "00")]
        [InlineData("fa3fc00000", "f93e00")]
        public void AcceptsIndefiniteAndNonShortestFormsAndEncodesThemDeterministically(string hex, string deterministic)
        {
            var value = CborDecoder.Decode(Convert.FromHexString(hex));
            Assert.Equal(deterministic.Replace(" ", ""), Convert.ToHexStringLower(value.Encode()));
        }

        [Theory]
        [InlineData("1800")]
        [InlineData("190017")]
        [InlineData("5f4101ff")]
        [InlineData("fa3fc00000")]
        [InlineData("a2020101 01")]
        public void DeterministicModeRejectsOtherEncodings(string hex)
        {
            var bytes = Convert.FromHexString(hex.Replace(" ", ""));
            Assert.Throws<AttestationFormatException>(() => CborDecoder.Decode(bytes, CborDecoderOptions.Default with { RequireDeterministic = true }));
        }

        // RFC 8949 Appendix F.1 (not well-formed) plus validity failures.
        [Theory]
        [InlineData("")]
        [InlineData("18")]
        [InlineData("19 01")]
        [InlineData("1a 0102 03")]
        [InlineData("1b 0102030405060708 00")] // trailing byte
        [InlineData("62 00")]
        [InlineData("43 0102")]
        [InlineData("5a ffffffff 00")]
        [InlineData("7b 7fffffffffffffff 00")]
        [InlineData("81")]
        [InlineData("818181818181818181")]
        [InlineData("a1 00")]
        [InlineData("a2 0102 03")]
        [InlineData("9f 0102")]
        [InlineData("bf 0102 03")]
        [InlineData("5f 4100")]
        [InlineData("7f 6100")]
        [InlineData("1c")]
        [InlineData("1d")]
        [InlineData("1e")]
        [InlineData("3c")]
        [InlineData("5c")]
        [InlineData("7c")]
        [InlineData("9c")]
        [InlineData("bc")]
        [InlineData("dc")]
        [InlineData("fc")]
        [InlineData("fd")]
        [InlineData("fe")]
        [InlineData("1f")]
        [InlineData("3f")]
        [InlineData("df")]
        [InlineData("ff")]
        [InlineData("81 ff")]
        [InlineData("82 00 ff")]
        [InlineData("a1 ff")]
        [InlineData("a1 00 ff")]
        [InlineData("5f 00 ff")]
        [InlineData("5f 21 ff")]
        [InlineData("5f 6100 ff")]
        [InlineData("5f 80 ff")]
        [InlineData("5f 5f 4100 ff ff")]
        [InlineData("7f 4100 ff")]
        [InlineData("f8 00")]
        [InlineData("f8 1f")]
        [InlineData("62 c3 28")] // invalid UTF-8
        [InlineData("7f 61 c3 61 bc ff")] // UTF-8 split across chunks
        [InlineData("a2 01 02 01 03")] // duplicate key
        [InlineData("a2 8101 00 8101 00")] // duplicate composite key
        [InlineData("9b ffffffffffffffff 00")]
        [InlineData("bb 7fffffffffffffff 00")]
        [InlineData("00 00")]
        public void RejectsMalformedInput(string hex)
        {
            var bytes = Convert.FromHexString(hex.Replace(" ", ""));
            Assert.Throws<AttestationFormatException>(() => CborDecoder.Decode(bytes));
        }

        [Fact]
        public void LimitsNestingDepth()
        {
            var deep = Enumerable.Repeat((byte)0x81, 100_000).Append((byte)0x00).ToArray();
            var e = Assert.Throws<AttestationFormatException>(() => CborDecoder.Decode(deep));
            Assert.Contains("nesting", e.Message);

            var tags = Enumerable.Repeat((byte)0xc1, 100_000).Append((byte)0x00).ToArray();
            Assert.Throws<AttestationFormatException>(() => CborDecoder.Decode(tags));

            var ok = Enumerable.Repeat((byte)0x81, 32).Append((byte)0x00).ToArray();
            Assert.Equal(CborKind.Array, CborDecoder.Decode(ok).Kind);
        }

        [Fact]
        public void LimitsItemCountAndInputLength()
        {
            var many = new byte[] { 0x9f }.Concat(new byte[1000]).Append((byte)0xff).ToArray();
            Assert.Equal(1000, CborDecoder.Decode(many).Count);
            Assert.Throws<AttestationFormatException>(() => CborDecoder.Decode(many, CborDecoderOptions.Default with { MaxItems = 500 }));
            Assert.Throws<AttestationFormatException>(() => CborDecoder.Decode(many, CborDecoderOptions.Default with { MaxInputLength = 100 }));
        }

        [Fact]
        public void HugeDeclaredLengthsFailBeforeAllocating()
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            foreach (var hex in new[] { "5bffffffffffffffff", "9bffffffffffffffff", "bbffffffffffffffff", "7b0000000100000000", "5a7fffffff" })
            {
                Assert.Throws<AttestationFormatException>(() => CborDecoder.Decode(Convert.FromHexString(hex)));
            }

            Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20);
        }

        [Fact]
        public void MapLookupIsByValue()
        {
            var map = CborDecoder.Decode(Convert.FromHexString("a3 0a 41aa 19ac cb 6178 3a000f423f 6179".Replace(" ", "")));
            Assert.True(map.TryGetValue(10, out var v));
            Assert.Equal([0xaa], v.AsBytes());
            Assert.True(map.TryGetValue(44235, out v));
            Assert.Equal("x", v.AsText());
            Assert.True(map.TryGetValue(-1_000_000, out v));
            Assert.Equal("y", v.AsText());
            Assert.False(map.TryGetValue(11, out _));
        }

        [Fact]
        public void TypeMismatchesAreFormatErrors()
        {
            var text = CborDecoder.Decode(Convert.FromHexString("6161"));
            Assert.Throws<AttestationFormatException>(() => text.AsBytes());
            Assert.Throws<AttestationFormatException>(() => text.AsInt64());
            Assert.Throws<AttestationFormatException>(() => text.Count);
            Assert.Throws<AttestationFormatException>(() => CborDecoder.Decode(Convert.FromHexString("3bffffffffffffffff")).AsInt64());
        }
    }
}
