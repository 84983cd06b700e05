using System.Diagnostics;
using System.Security.Cryptography;
using Capvisor.Attestation.Cbor;
using Capvisor.Attestation.Cca;
using Capvisor.Attestation.Cose;
using Capvisor.Attestation.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Capvisor.Attestation.Tests.Fuzz
{
    /// <summary>
    /// Random and mutated inputs to every decoder: the only exception allowed is
    /// <see cref="AttestationFormatException"/>, each input must finish quickly and allocate a
    /// bounded multiple of its size. The budget is fixed (deterministic seeds) so CI runs the
    /// same inputs every time; set CAPVISOR_FUZZ_ITERATIONS for a deeper run.
    /// </summary>
    public class DecoderFuzzTests(ITestOutputHelper output)
    {
        private static readonly int Iterations =
            int.TryParse(Environment.GetEnvironmentVariable("CAPVISOR_FUZZ_ITERATIONS"), out var n) && n > 0 ? n : 4000;

        // Generous on purpose: the point is "bounded by the input", not a tight budget.
        private const long AllocationPerInputByte = 1024;
        private const long AllocationSlack = 256 << 10;
        // A hang shows as minutes; this only has to be far above honest work on a loaded CI machine.
        private static TimeSpan MaxTimeFor(int length) => TimeSpan.FromSeconds(2) + TimeSpan.FromMilliseconds(length / 50.0);

        private static readonly byte[][] Seeds = LoadSeeds();

        [Fact]
        public void RandomBytes()
        {
            var random = new Random(0x5eed);
            Run(random, () =>
            {
                var input = new byte[random.Next(0, 96)];
                random.NextBytes(input);
                return input;
            });
        }

        [Fact]
        public void CborShapedBytes()
        {
            // Mostly initial bytes with small arguments, so that the inputs nest and recurse
            // instead of failing on the first byte.
            var random = new Random(0xcb0f);
            byte[] heads = [0x00, 0x18, 0x19, 0x1a, 0x1b, 0x20, 0x38, 0x40, 0x41, 0x58, 0x5f, 0x60, 0x61, 0x7f, 0x80, 0x81, 0x82, 0x98, 0x9f,
                0xa0, 0xa1, 0xa2, 0xbf, 0xc0, 0xd2, 0xd9, 0xf4, 0xf6, 0xf8, 0xf9, 0xfa, 0xfb, 0xff, 0x1c, 0x5b, 0x9b, 0xbb];
            Run(random, () =>
            {
                var input = new byte[random.Next(1, 64)];
                for (var i = 0; i < input.Length; i++)
                {
                    input[i] = random.Next(3) == 0 ? (byte)random.Next(256) : heads[random.Next(heads.Length)];
                }

                return input;
            });
        }

        [Fact]
        public void MutatedTokensAndPayloads()
        {
            var random = new Random(0x70c3);
            Run(random, () => Mutate(random, Seeds[random.Next(Seeds.Length)]));
        }

        [Fact]
        public void MutatedJsonClaimsAndKeys()
        {
            // The text inputs a user or relying party hands in: claim sets and key files.
            var texts = new[]
            {
                "ccatoken/platform/testvectors/json/test-token-valid-full.json",
                "ccatoken/realm/testvectors/json/test-cca-claims-all-valid.json",
                "ccatoken/extracted/keys/testRAK.jwk.json",
                "ccatoken/extracted/keys/testIAK.jwk.json",
                "ccatoken/realm/testvectors/tf-rmm/cca_platform.pem",
                "ccatoken/realm/testvectors/tf-rmm/cca_platform.pub",
            }.Select(f => System.Text.Encoding.UTF8.GetBytes(Fixture.Text(f))).ToArray();
            var random = new Random(0x7e57);
            for (var i = 0; i < Iterations / 4; i++)
            {
                var text = System.Text.Encoding.UTF8.GetString(Mutate(random, texts[random.Next(texts.Length)]));
                var input = System.Text.Encoding.UTF8.GetBytes(text);
                Expect(() => CcaClaimsJson.ParsePlatform(text).Validate(), input);
                Expect(() => CcaClaimsJson.ParseRealm(text).Validate(), input);
                Expect(() => Capvisor.Attestation.Keys.EcKeyFile.Load(text).Dispose(), input);
            }
        }

        [Fact]
        public void GeneratedItemsRoundTrip()
        {
            // Structure-aware: any item the encoder writes decodes back to an equal item.
            var random = new Random(0x1234);
            for (var i = 0; i < Iterations; i++)
            {
                var value = RandomItem(random, 0);
                var encoded = value.Encode();
                var decoded = CborDecoder.Decode(encoded, CborDecoderOptions.Default with { RequireDeterministic = true });
                Assert.Equal(value, decoded);
                Assert.Equal(encoded, decoded.Encode());
            }
        }

        [Fact]
        public void HostileShapesStayBounded()
        {
            var inputs = new List<byte[]>
            {
                Enumerable.Repeat((byte)0x81, 1 << 20).ToArray(),
                Enumerable.Repeat((byte)0x9f, 1 << 20).ToArray(),
                Enumerable.Repeat((byte)0xd9, 1 << 20).ToArray(),
                (byte[])[0x9f, .. Enumerable.Repeat((byte)0xa0, 1 << 18), 0xff],
                (byte[])[0x9f, .. Enumerable.Repeat((byte)0x80, 1 << 18), 0xff],
                (byte[])[0x5f, .. Enumerable.Repeat((byte)0x40, 1 << 18), 0xff],
                (byte[])[0x7f, .. Enumerable.Repeat((byte)0x60, 1 << 18), 0xff],
                (byte[])[0x9a, 0x00, 0x04, 0x00, 0x00, .. new byte[1 << 18]],
                (byte[])[0xba, 0x00, 0x02, 0x00, 0x00, .. Enumerable.Range(0, 1 << 17).SelectMany(i => new byte[] { 0x1a, (byte)(i >> 24), (byte)(i >> 16), (byte)(i >> 8), (byte)i, 0x00 })],
            };

            // A map with many equal-looking composite keys: duplicate detection must not go quadratic.
            var manyKeys = new List<byte> { 0xb9, 0x80, 0x00 };
            for (var i = 0; i < 0x8000; i++)
            {
                manyKeys.AddRange([0x81, 0x19, (byte)(i >> 8), (byte)i, 0x00]);
            }

            inputs.Add([.. manyKeys]);
            foreach (var input in inputs)
            {
                Check(input);
            }
        }

        private void Run(Random random, Func<byte[]> next)
        {
            var slowest = TimeSpan.Zero;
            long mostAllocated = 0;
            for (var i = 0; i < Iterations; i++)
            {
                var (time, allocated) = Check(next());
                slowest = time > slowest ? time : slowest;
                mostAllocated = Math.Max(mostAllocated, allocated);
            }

            output.WriteLine($"{Iterations} inputs; slowest {slowest.TotalMilliseconds:F1} ms; most allocated {mostAllocated} bytes");
        }

        private static readonly ECDsa Cpak = ECDsa.Create(ECCurve.NamedCurves.nistP384);

        private static (TimeSpan Time, long Allocated) Check(byte[] input)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            var clock = Stopwatch.StartNew();
            Expect(() => CborDecoder.Decode(input), input);
            Expect(() => CborDecoder.Decode(input, CborDecoderOptions.Default with { RequireDeterministic = true }), input);
            Expect(() => CoseSign1.Decode(input), input);
            Expect(() => CoseKey.Decode(input), input);
            Expect(() => CcaToken.Decode(input), input);
            Expect(() => PlatformClaims.Decode(input).Validate(), input);
            Expect(() => RealmClaims.Decode(input).Validate(), input);
            try
            {
                CcaTokenVerifier.Verify(input, Cpak);
            }
            catch (Exception e)
            {
                Assert.Fail($"Verify threw {e.GetType().Name} ({e.Message}) for {Convert.ToHexStringLower(input.AsSpan(0, Math.Min(input.Length, 64)))}");
            }

            var time = clock.Elapsed;
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(time < MaxTimeFor(input.Length), $"{time} for an input of {input.Length} bytes");

            // Nine decoders ran over the input, hence the factor.
            Assert.True(allocated < 9 * (AllocationPerInputByte * input.Length + AllocationSlack), $"{allocated} bytes allocated for an input of {input.Length} bytes");
            return (time, allocated);
        }

        private static void Expect(Action decode, byte[] input)
        {
            try
            {
                decode();
            }
            catch (AttestationFormatException)
            {
            }
            catch (Exception e)
            {
                Assert.Fail($"{e.GetType().Name} ({e.Message}) for {Convert.ToHexStringLower(input.AsSpan(0, Math.Min(input.Length, 64)))}\n{e.StackTrace}");
            }
        }

        private static byte[] Mutate(Random random, byte[] seed)
        {
            var data = new List<byte>(seed);
            var edits = random.Next(1, 6);
            for (var e = 0; e < edits && data.Count > 0; e++)
            {
                var at = random.Next(data.Count);
                switch (random.Next(7))
                {
                    case 0:
                        data[at] ^= (byte)(1 << random.Next(8));
                        break;
                    case 1:
                        data[at] = (byte)random.Next(256);
                        break;
                    case 2:
                        data.RemoveAt(at);
                        break;
                    case 3:
                        data.Insert(at, (byte)random.Next(256));
                        break;
                    case 4:
                        data.RemoveRange(at, data.Count - at);
                        break;
                    case 5:
                        // Interesting values for heads and lengths.
                        data[at] = new byte[] { 0x00, 0x17, 0x18, 0x1f, 0x3f, 0x5f, 0x7f, 0x9f, 0xbf, 0xdf, 0xff, 0xfb, 0x1b }[random.Next(13)];
                        break;
                    default:
                        var length = Math.Min(random.Next(1, 32), data.Count - at);
                        data.InsertRange(random.Next(data.Count), data.GetRange(at, length));
                        break;
                }
            }

            return [.. data];
        }

        private static CborValue RandomItem(Random random, int depth)
        {
            var kind = random.Next(depth > 4 ? 6 : 9);
            switch (kind)
            {
                case 0:
                    return CborValue.FromUInt64((ulong)random.NextInt64() >> random.Next(64));
                case 1:
                    return CborValue.FromNegative((ulong)random.NextInt64() >> random.Next(64));
                case 2:
                    var bytes = new byte[random.Next(0, 70)];
                    random.NextBytes(bytes);
                    return CborValue.FromBytes(bytes);
                case 3:
                    return CborValue.FromText(new string(Enumerable.Range(0, random.Next(0, 20)).Select(_ => (char)random.Next(0x20, 0x3000)).Where(c => !char.IsSurrogate(c)).ToArray()));
                case 4:
                    return random.Next(4) switch { 0 => CborValue.True, 1 => CborValue.False, 2 => CborValue.Null, _ => CborValue.FromSimple((byte)random.Next(32, 256)) };
                case 5:
                    return CborValue.FromDouble(random.Next(3) switch { 0 => random.Next(-1000, 1000) / 4.0, 1 => random.NextDouble(), _ => BitConverter.Int64BitsToDouble(random.NextInt64()) });
                case 6:
                    return CborValue.FromArray(Enumerable.Range(0, random.Next(0, 6)).Select(_ => RandomItem(random, depth + 1)).ToArray());
                case 7:
                    var entries = new Dictionary<CborValue, CborValue>();
                    for (var i = random.Next(0, 6); i > 0; i--)
                    {
                        entries.TryAdd(RandomItem(random, depth + 1), RandomItem(random, depth + 1));
                    }

                    return CborValue.FromMap(entries);
                default:
                    return CborValue.FromTag((ulong)random.Next(0, 100000), RandomItem(random, depth + 1));
            }
        }

        private static byte[][] LoadSeeds()
        {
            var seeds = new List<byte[]>
            {
                Fixture.Bytes("ccatoken/realm/testvectors/tf-rmm/cca_token.cbor"),
                Fixture.Bytes("ccatoken/extracted/testGoodCCAToken.hex"),
                Fixture.Bytes("ccatoken/extracted/testRMMLegacyEvidence.hex"),
                Fixture.Bytes("ccatoken/extracted/testBadUnwrappedTokens.hex"),
                Fixture.Bytes("ccatoken/extracted/platform/testEncodedCcaPlatformClaimsAll.hex"),
                Fixture.Bytes("ccatoken/extracted/realm/testEncodedCcaRealmClaimsAll.hex"),
                Fixture.Bytes("ccatoken/extracted/keys/testRAKPubCOSE.hex"),
                TestTokens.Create(out var cpak),
            };
            cpak.Dispose();
            var token = CcaToken.Decode(seeds[0]);
            seeds.Add(token.PlatformToken);
            seeds.Add(token.RealmToken);
            return [.. seeds];
        }
    }
}
