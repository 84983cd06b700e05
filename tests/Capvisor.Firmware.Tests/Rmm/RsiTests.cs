using System.Buffers.Binary;
using System.Security.Cryptography;
using Capvisor.Attestation.Cca;
using Capvisor.Firmware.Rmm;
using static Capvisor.Board.Tests.Infrastructure.A64;
using static Capvisor.Firmware.Tests.Rmm.RealmAsm;
using L = Capvisor.Firmware.Rmm.RecRunLayout;
using R = Capvisor.Firmware.Rmm.RsiFunctionId;

namespace Capvisor.Firmware.Tests.Rmm
{
    /// <summary>RSI 1.0 over SMC from a realm program on the board, checked against independent computations.</summary>
    public sealed class RsiTests
    {
        private static readonly ulong[] Challenge = Enumerable.Range(1, 8).Select(i => 0x0101_0101_0101_0101UL * (ulong)i).ToArray();

        private static byte[] Bytes(IEnumerable<ulong> words) => words.SelectMany(BitConverter.GetBytes).ToArray();

        /// <summary>The RIM of a <see cref="BoardRealm"/>, computed by the test's own model (not the RMM).</summary>
        private static byte[] IndependentRim(BoardRealm r, bool sha512)
        {
            var model = new ReferenceRim(sha512);
            model.RealmCreate(0, BoardRealm.IpaBits, 0, 5, 3, 0);
            model.InitRipas(BoardRealm.RamIpa, BoardRealm.RamIpa + BoardRealm.RamSize, 2);
            foreach ((ulong ipa, byte[] granule) in r.Blobs)
            {
                model.Data(ipa, granule, measureContent: true);
            }

            model.Rec(RecParams.FlagRunnable, BoardRealm.CodeIpa, r.Rec0.Gprs);
            return model.Rim[..(sha512 ? 64 : 32)];
        }

        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public void VersionRealmConfigAndMeasurementReadGiveTheRealmsValues(bool sha512)
        {
            byte[] image = Program(SmcSaving(0, 3, R.Version, 0x10000)
                .Concat(SmcSaving(3, 1, R.RealmConfig, BoardRealm.UnpopulatedIpa))
                .Concat(Mov64(10, BoardRealm.UnpopulatedIpa))
                .Append(LdrX(11, 10, 0)).Append(Save(11, 4))
                .Append(LdrX(11, 10, 8)).Append(Save(11, 5))
                .Append(LdrX(11, 10, 0x200)).Append(Save(11, 6))
                .Concat(SmcSaving(8, 9, R.MeasurementRead, 0))
                .Concat(SmcSaving(20, 1, R.Features, 0)));
            using var r = new BoardRealm(image, sha512 ? MeasurementAlgorithm.Sha512 : MeasurementAlgorithm.Sha256);

            // REALM_CONFIG names RIPAS RAM without a granule: the host is asked to fault it in,
            // and the SMC runs again afterwards.
            RmmHarness.Ok(r.Enter());
            Assert.Equal(L.ExitSync, r.ExitReason);
            Assert.Equal(0x24UL, r.ExitEsr >> 26);
            Assert.Equal(BoardRealm.UnpopulatedIpa, r.ExitIpa);
            r.CreateUnknown(BoardRealm.UnpopulatedIpa);
            RmmHarness.Ok(r.Enter());
            Assert.Equal(L.ExitIrq, r.ExitReason);

            Assert.Equal(R.Success, r.Result(0));
            Assert.Equal(0x10000UL, r.Result(1));
            Assert.Equal(0x10000UL, r.Result(2));
            Assert.Equal(R.Success, r.Result(3));
            Assert.Equal((ulong)BoardRealm.IpaBits, r.Result(4));
            Assert.Equal(sha512 ? 1UL : 0UL, r.Result(5));
            Assert.Equal(BinaryPrimitives.ReadUInt64LittleEndian(BoardRealm.Rpv), r.Result(6));

            Assert.Equal(R.Success, r.Result(8));
            byte[] rim = Bytes(Enumerable.Range(9, 8).Select(r.Result));
            byte[] expected = IndependentRim(r, sha512);
            Assert.Equal(Convert.ToHexStringLower(expected), Convert.ToHexStringLower(rim[..expected.Length]));
            Assert.All(rim[expected.Length..], b => Assert.Equal(0, b));
            Assert.Equal(expected, r.Realm.Rim.ToArray());
            Assert.Equal(R.Success, r.Result(20));
        }

        [Fact]
        public void MeasurementExtendChainsTheRemAsTfRmmDoes()
        {
            ulong v0 = 0x0706_0504_0302_0100, v1 = 0x0F0E_0D0C_0B0A_0908;
            byte[] image = Program(SmcSaving(0, 1, R.MeasurementExtend, 1, 16, v0, v1)
                .Concat(SmcSaving(1, 1, R.MeasurementExtend, 1, 3, 0xAABBCC))
                .Concat(SmcSaving(2, 9, R.MeasurementRead, 1))
                .Concat(SmcSaving(11, 9, R.MeasurementRead, 2)));
            using var r = new BoardRealm(image);
            RmmHarness.Ok(r.Enter());
            Assert.Equal(L.ExitIrq, r.ExitReason);
            Assert.Equal(R.Success, r.Result(0));
            Assert.Equal(R.Success, r.Result(1));

            byte[] rem = SHA256.HashData([.. new byte[32], .. BitConverter.GetBytes(v0), .. BitConverter.GetBytes(v1)]);
            rem = SHA256.HashData([.. rem, 0xCC, 0xBB, 0xAA]);
            Assert.Equal(R.Success, r.Result(2));
            Assert.Equal(Convert.ToHexStringLower([.. rem, .. new byte[32]]), Convert.ToHexStringLower(Bytes(Enumerable.Range(3, 8).Select(r.Result))));
            Assert.Equal(R.Success, r.Result(11));
            Assert.All(Enumerable.Range(12, 8).Select(r.Result), w => Assert.Equal(0UL, w));
        }

        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public void AttestationTokenVerifiesAgainstTheCpakWithTheRealmsClaims(bool sha512)
        {
            var loop = new List<uint>();
            loop.AddRange(Mov64(0, R.AttestationTokenContinue));
            loop.AddRange(Mov64(1, BoardRealm.BufferIpa));
            loop.Add(MovReg(2, 19));
            loop.AddRange(Mov64(3, 200)); // small chunks: several INCOMPLETE answers
            loop.Add(Smc0);
            loop.Add(AddReg(19, 19, 1));
            loop.Add(CmpImm(0, (uint)R.Incomplete));
            loop.Add(BEq(-loop.Count));
            byte[] image = Program(SmcSaving(10, 1, R.AttestationTokenContinue, BoardRealm.BufferIpa, 0, 64)
                .Concat(SmcSaving(11, 1, R.MeasurementExtend, 2, 8, 0x1122_3344_5566_7788))
                .Concat(SmcSaving(0, 2, R.AttestationTokenInit, Challenge))
                .Concat(Mov64(19, 0)).Concat(loop)
                .Append(Save(0, 2)).Append(Save(19, 3))
                .Concat(SmcSaving(4, 1, R.AttestationTokenContinue, BoardRealm.BufferIpa, 0, 64)));
            using var r = new BoardRealm(image, sha512 ? MeasurementAlgorithm.Sha512 : MeasurementAlgorithm.Sha256);
            RmmHarness.Ok(r.Enter());
            Assert.Equal(L.ExitIrq, r.ExitReason);

            Assert.Equal(R.ErrorState, r.Result(10)); // CONTINUE before INIT
            Assert.Equal(R.Success, r.Result(11));
            Assert.Equal(R.Success, r.Result(0));
            ulong size = r.Result(1);
            Assert.InRange(size, 600UL, 4096UL);
            Assert.Equal(R.Success, r.Result(2));
            Assert.Equal(size, r.Result(3));
            Assert.Equal(R.ErrorState, r.Result(4)); // done: a new INIT is needed

            byte[] token = r.ReadRealm(BoardRealm.BufferIpa, (int)size);
            byte[] rim = IndependentRim(r, sha512);
            CcaVerificationResult v = CcaTokenVerifier.Verify(token, r.Identity!.Cpak, new CcaReferenceValues
            {
                Challenge = Bytes(Challenge),
                InitialMeasurement = rim,
                PersonalizationValue = BoardRealm.Rpv,
            });
            Assert.True(v.IsValid, v.ToString());
            RealmClaims realm = v.Realm!;
            Assert.Equal(CcaProfiles.Realm, realm.Profile);
            Assert.Equal(sha512 ? "sha-512" : "sha-256", realm.HashAlgorithm);
            byte[] rem2 = sha512
                ? SHA512.HashData([.. new byte[64], .. BitConverter.GetBytes(0x1122_3344_5566_7788UL)])
                : SHA256.HashData([.. new byte[32], .. BitConverter.GetBytes(0x1122_3344_5566_7788UL)]);
            Assert.Equal(4, realm.ExtensibleMeasurements!.Count);
            Assert.Equal(new byte[rim.Length], realm.ExtensibleMeasurements[0]);
            Assert.Equal(rem2, realm.ExtensibleMeasurements[1]);
            Assert.Equal(r.Rmm.Attestation!.RealmPublicKey, realm.PublicKey);

            PlatformClaims platform = v.Platform!;
            Assert.Equal(PlatformIdentity.ImplementationId, platform.ImplementationId);
            Assert.Equal(r.Identity.InstanceId, platform.InstanceId);
            Assert.Equal(PlatformLifecycle.Secured, platform.Lifecycle);
            Assert.Contains(platform.SoftwareComponents!, c => c.MeasurementType == "RMM"
                && c.MeasurementValue!.SequenceEqual(SHA256.HashData(File.ReadAllBytes(typeof(RealmCpuRunner).Assembly.Location))));
        }

        [Fact]
        public void TokenInitWithoutAPlatformKeyAnswersAnErrorAndTheRealmGoesOn()
        {
            using var r = new BoardRealm(Program(SmcSaving(0, 1, R.AttestationTokenInit, Challenge)
                .Concat(SmcSaving(1, 1, R.AttestationTokenContinue, BoardRealm.BufferIpa, 0, 64))), attestation: false);
            RmmHarness.Ok(r.Enter());
            Assert.Equal(L.ExitIrq, r.ExitReason);
            Assert.Equal(R.ErrorUnknown, r.Result(0));
            Assert.Equal(R.ErrorState, r.Result(1));
        }

        public static IEnumerable<object[]> HostileCalls()
        {
            const ulong unp = BoardRealm.UnprotectedBit;
            ulong[] none = [];
            return new (string Why, ulong Fid, ulong[] Args, ulong Expected)[]
            {
                ("config unaligned", R.RealmConfig, [BoardRealm.ResultsIpa + 8], R.ErrorInput),
                ("config unprotected", R.RealmConfig, [unp | BoardRealm.BufferIpa], R.ErrorInput),
                ("config beyond IPA space", R.RealmConfig, [1UL << 40], R.ErrorInput),
                ("config all ones", R.RealmConfig, [ulong.MaxValue & ~0xFFFUL], R.ErrorInput),
                ("config RIPAS EMPTY", R.RealmConfig, [BoardRealm.RamIpa + BoardRealm.RamSize], R.ErrorInput),
                ("read index 5", R.MeasurementRead, [5], R.ErrorInput),
                ("read index huge", R.MeasurementRead, [ulong.MaxValue], R.ErrorInput),
                ("extend RIM", R.MeasurementExtend, [0, 8, 1], R.ErrorInput),
                ("extend index 5", R.MeasurementExtend, [5, 8, 1], R.ErrorInput),
                ("extend size 65", R.MeasurementExtend, [1, 65, 1], R.ErrorInput),
                ("extend size huge", R.MeasurementExtend, [1, ulong.MaxValue, 1], R.ErrorInput),
                ("continue without init", R.AttestationTokenContinue, [BoardRealm.BufferIpa, 0, 64], R.ErrorState),
                ("continue unaligned", R.AttestationTokenContinue, [BoardRealm.BufferIpa + 0x10, 0, 64], R.ErrorInput),
                ("continue offset 4096", R.AttestationTokenContinue, [BoardRealm.BufferIpa, 4096, 0], R.ErrorInput),
                ("continue past the granule", R.AttestationTokenContinue, [BoardRealm.BufferIpa, 4000, 97], R.ErrorInput),
                ("continue size wraps", R.AttestationTokenContinue, [BoardRealm.BufferIpa, 8, ulong.MaxValue], R.ErrorInput),
                ("continue unprotected", R.AttestationTokenContinue, [BoardRealm.UnprotectedBit | BoardRealm.BufferIpa, 0, 64], R.ErrorInput),
                ("set top = base", R.IpaStateSet, [BoardRealm.UnpopulatedIpa, BoardRealm.UnpopulatedIpa, 1, 0], R.ErrorInput),
                ("set unaligned", R.IpaStateSet, [BoardRealm.UnpopulatedIpa + 1, BoardRealm.UnpopulatedIpa + 0x1000, 1, 0], R.ErrorInput),
                ("set DESTROYED", R.IpaStateSet, [BoardRealm.UnpopulatedIpa, BoardRealm.UnpopulatedIpa + 0x1000, 2, 0], R.ErrorInput),
                ("set into unprotected", R.IpaStateSet, [0, unp + 0x1000, 1, 0], R.ErrorInput),
                ("set wraps", R.IpaStateSet, [0xFFFF_FFFF_FFFF_F000, 0x1000, 1, 0], R.ErrorInput),
                ("get empty range", R.IpaStateGet, [BoardRealm.RamIpa, BoardRealm.RamIpa], R.ErrorInput),
                ("get unprotected", R.IpaStateGet, [unp, unp + 0x1000], R.ErrorInput),
                ("get unaligned", R.IpaStateGet, [BoardRealm.RamIpa + 4, BoardRealm.RamIpa + 0x1000], R.ErrorInput),
                ("host call unaligned", R.HostCall, [BoardRealm.HostCallIpa + 8], R.ErrorInput),
                ("host call unprotected", R.HostCall, [unp | BoardRealm.HostCallIpa], R.ErrorInput),
                ("host call RIPAS EMPTY", R.HostCall, [BoardRealm.RamIpa + BoardRealm.RamSize], R.ErrorInput),
                ("version 2.0", R.Version, [0x20000], R.ErrorInput),
                ("unknown RSI", 0xC400_01AF, none, ulong.MaxValue),
                ("RMI from a realm", 0xC400_0151, [BoardRealm.RamIpa], ulong.MaxValue),
                ("RMI REC_ENTER from a realm", 0xC400_015C, [0, 0], ulong.MaxValue),
                ("SMC32 unknown", 0x8200_0000, none, ulong.MaxValue),
            }.Select(c => new object[] { c.Why, c.Fid, c.Args, c.Expected });
        }

        [Theory]
        [MemberData(nameof(HostileCalls))]
        public void HostileArgumentsGetAnErrorStatusAndNoExit(string why, ulong fid, ulong[] args, ulong expected)
        {
            using var r = new BoardRealm(Program(SmcSaving(0, 1, fid, args)));
            RmmHarness.Ok(r.Enter());
            Assert.True(r.ExitReason == L.ExitIrq, $"{why}: exit {r.ExitReason}");
            Assert.True(expected == r.Result(0), $"{why}: X0 = 0x{r.Result(0):x}");
            Assert.Equal(0UL, r.Result(SlotVectorTaken));
        }

        [Theory]
        [InlineData(1)]
        [InlineData(2)]
        [InlineData(3)]
        [InlineData(4)]
        [InlineData(5)]
        [InlineData(6)]
        public void RandomRealmCallsNeverBreakTheHostOrTheRmm(int seed)
        {
            var rng = new Random(seed);
            ulong[] fids =
            [
                R.Version, R.Features, R.MeasurementRead, R.MeasurementExtend, R.AttestationTokenInit,
                R.AttestationTokenContinue, R.RealmConfig, R.IpaStateSet, R.IpaStateGet, R.HostCall,
                0x8400_0000, 0x8400_000A, 0xC400_0001, 0xC400_0003, 0xC400_0004, 0x8400_0003, 0x8000_0000, 0xC400_0150 + (ulong)rng.Next(0x40),
            ];
            ulong[] interesting =
            [
                0, 1, 2, 3, 4, 5, 64, 65, 0xFFF, 0x1000, BoardRealm.RamIpa, BoardRealm.BufferIpa, BoardRealm.HostCallIpa,
                BoardRealm.UnpopulatedIpa, BoardRealm.RamIpa + BoardRealm.RamSize, BoardRealm.UnprotectedBit,
                BoardRealm.UnprotectedBit | BoardRealm.BufferIpa, 1UL << 40, ulong.MaxValue, ulong.MaxValue & ~0xFFFUL,
            ];
            var body = new List<uint>();
            while (body.Count < 0x1A0)
            {
                ulong fid = fids[rng.Next(fids.Length)];
                var args = new ulong[rng.Next(5)];
                for (int i = 0; i < args.Length; i++)
                {
                    args[i] = rng.Next(3) == 0 ? (ulong)rng.NextInt64() : interesting[rng.Next(interesting.Length)];
                }

                body.AddRange(Smc(fid, args));
            }

            using var r = new BoardRealm(Program(body), attestation: seed % 2 == 0);
            for (int entries = 0; entries < 200; entries++)
            {
                RmiResult e = r.Enter(r.ExitReason == L.ExitRipasChange && rng.Next(2) == 0 ? L.EnterFlagRipasResponse : 0);
                if (e.Status != RmiStatus.Success)
                {
                    Assert.Equal(RmiStatus.ErrorRec, e.Status); // a PSCI request left pending
                    break;
                }

                if (r.ExitReason == L.ExitSync && r.ExitIpa < BoardRealm.RamIpa + BoardRealm.RamSize && r.ExitIpa >= BoardRealm.RamIpa)
                {
                    r.CreateUnknown(r.ExitIpa);
                }

                if (r.ExitReason == L.ExitIrq && r.Cpu.Pc >= BoardRealm.CodeIpa + 0x600 && r.Cpu.Pc < BoardRealm.CodeIpa + 0x800)
                {
                    break; // reached the final spin
                }
            }

            Assert.Equal(RealmState.Active, r.Realm.State);
        }

        [Fact]
        public void TokenStateIsPerRec()
        {
            ulong entry = BoardRealm.CodeIpa + SecondaryOffset;
            byte[] image = Program(
                SmcSaving(0, 1, R.AttestationTokenInit, Challenge)
                .Concat(SmcSaving(1, 1, 0xC400_0003, 1, entry, 0))
                .Concat(SmcSaving(2, 2, R.AttestationTokenContinue, BoardRealm.BufferIpa, 0, 4096)),
                secondary: SmcSaving(40, 1, R.AttestationTokenContinue, BoardRealm.HostCallIpa, 0, 64)
                    .Concat(SmcSaving(41, 1, R.AttestationTokenInit, Challenge)));
            using var r = new BoardRealm(image, vcpus: 2);
            RmmHarness.Ok(r.Enter());
            Assert.Equal(L.ExitPsci, r.ExitReason);
            RmmHarness.Ok(r.H.Call(RmiFunctionId.PsciComplete, r.Host.Recs[0], r.Host.Recs[1], 0));

            // REC 1 starts a token of its own; REC 0's is untouched.
            RmmHarness.Ok(r.EnterRec(1));
            Assert.Equal(L.ExitIrq, r.ExitReason);
            Assert.Equal(R.ErrorState, r.Result(40));
            Assert.Equal(R.Success, r.Result(41));

            RmmHarness.Ok(r.Enter());
            Assert.Equal(L.ExitIrq, r.ExitReason);
            Assert.Equal(R.Success, r.Result(0));
            Assert.Equal(R.Success, r.Result(2));
            byte[] token = r.ReadRealm(BoardRealm.BufferIpa, (int)r.Result(3));
            Assert.True(CcaTokenVerifier.Verify(token, r.Identity!.Cpak, new CcaReferenceValues { Challenge = Bytes(Challenge) }).IsValid);
        }
    }
}
