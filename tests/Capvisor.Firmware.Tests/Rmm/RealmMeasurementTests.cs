using System.Security.Cryptography;
using Capvisor.Firmware.Rmm;
using F = Capvisor.Firmware.Rmm.RmiFunctionId;

namespace Capvisor.Firmware.Tests.Rmm
{
    public class RealmMeasurementTests
    {
        // shared/reference/cca-interfaces.md §4.1; veraison/cca-realm-measurements @ 08aaf5a3
        // tests/event_log.rs expects the same value as base64 "iWDVaCY3CqpvybOgQdQkBolYK6QeKti7j5rfbSoM1ec=".
        private const string RimVector = "8960d56826370aaa6fc9b3a041d4240689582ba41e2ad8bb8f9adf6d2a0cd5e7";

        [Fact]
        public void ReferenceRimVectorFromRealmParams()
        {
            var p = new RealmParams { Flags = 0, S2sz = 48, SveVl = 0, NumBps = 5, NumWps = 3, PmuNumCtrs = 0, Algorithm = 0 };
            byte[] rim = new byte[64];
            RealmMeasurement.MeasureRealmParams(p, MeasurementAlgorithm.Sha256, rim);
            Assert.Equal(RimVector, Convert.ToHexStringLower(rim.AsSpan(0, 32)));
            Assert.All(rim.AsSpan(32).ToArray(), b => Assert.Equal(0, b));
            Assert.Equal(Convert.FromBase64String("iWDVaCY3CqpvybOgQdQkBolYK6QeKti7j5rfbSoM1ec="), rim.AsSpan(0, 32).ToArray());
        }

        [Fact]
        public void UnmeasuredRealmParamsDoNotChangeTheRim()
        {
            var a = new RealmParams { S2sz = 48, NumBps = 5, NumWps = 3 };
            var b = new RealmParams { S2sz = 48, NumBps = 5, NumWps = 3, Vmid = 7, RttBase = 0x1000, RttLevelStart = 1, RttNumStart = 2 };
            b.Rpv[0] = 0xAA;
            byte[] ra = new byte[64], rb = new byte[64];
            RealmMeasurement.MeasureRealmParams(a, MeasurementAlgorithm.Sha256, ra);
            RealmMeasurement.MeasureRealmParams(b, MeasurementAlgorithm.Sha256, rb);
            Assert.Equal(ra, rb);
        }

        [Fact]
        public void RealmCreateThroughRmiReproducesTheVector()
        {
            var h = new RmmHarness();
            RealmParams p = RmmHarness.DefaultParams(s2sz: 48, startLevel: 0);
            p.Rpv[5] = 1;
            ulong rd = h.CreateRealm(p, vmid: 9);
            RealmDescriptor realm = h.Rmm.FindRealm(rd)!;
            Assert.Equal(RimVector, Convert.ToHexStringLower(realm.Rim));
            Assert.Equal(32, realm.Rim.Length);
            for (int i = 1; i < 5; i++)
            {
                Assert.True(realm.GetMeasurement(i).IndexOfAnyExcept((byte)0) < 0);
            }
        }

        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public void DescriptorsMatchTheIndependentModel(bool sha512)
        {
            var alg = sha512 ? MeasurementAlgorithm.Sha512 : MeasurementAlgorithm.Sha256;
            var model = new ReferenceRim(sha512);
            model.RealmCreate(RealmParams.FlagPmu, 40, 0, 1, 2, 6);
            byte[] rim = new byte[64];
            RealmMeasurement.MeasureRealmParams(new RealmParams { Flags = RealmParams.FlagPmu, S2sz = 40, NumBps = 1, NumWps = 2, PmuNumCtrs = 6, Algorithm = (byte)alg }, alg, rim);
            Assert.Equal(model.Rim, rim);

            model.Ripas(0x8000_0000, 0x8020_0000);
            RealmMeasurement.MeasureRipas(alg, rim, 0x8000_0000, 0x8020_0000);
            Assert.Equal(model.Rim, rim);

            byte[] granule = new byte[4096];
            new Random(3).NextBytes(granule);
            model.Data(0x8000_1000, granule, measureContent: true);
            RealmMeasurement.MeasureData(alg, rim, granule, 0x8000_1000, 1);
            Assert.Equal(model.Rim, rim);

            model.Data(0x8000_2000, granule, measureContent: false);
            RealmMeasurement.MeasureData(alg, rim, granule, 0x8000_2000, 0);
            Assert.Equal(model.Rim, rim);

            ulong[] gprs = [0x8800_0000, 1, 2, 3, 4, 5, 6, 7];
            var rp = new RecParams { Flags = RecParams.FlagRunnable, Pc = 0x8008_0000, Mpidr = 0x123, NumAux = 16 };
            gprs.CopyTo(rp.Gprs, 0);
            rp.Aux[3] = 0xDEAD_0000;
            model.Rec(RecParams.FlagRunnable, 0x8008_0000, gprs);
            RealmMeasurement.MeasureRec(alg, rim, rp);
            Assert.Equal(model.Rim, rim);
            if (!sha512)
            {
                Assert.True(rim.AsSpan(32).IndexOfAnyExcept((byte)0) < 0);
            }
        }

        [Theory]
        [InlineData(false, 0)]
        [InlineData(false, 17)]
        [InlineData(false, 64)]
        [InlineData(true, 1)]
        [InlineData(true, 64)]
        public void ExtendChainsTheCurrentValueAndTheUnpaddedData(bool sha512, int size)
        {
            var alg = sha512 ? MeasurementAlgorithm.Sha512 : MeasurementAlgorithm.Sha256;
            int n = sha512 ? 64 : 32;
            byte[] value = Enumerable.Range(1, size).Select(i => (byte)i).ToArray();
            byte[] rem = new byte[64];
            RealmMeasurement.Extend(alg, rem, value);
            byte[] first = sha512 ? SHA512.HashData(new byte[n].Concat(value).ToArray()) : SHA256.HashData(new byte[n].Concat(value).ToArray());
            Assert.Equal(first, rem.AsSpan(0, n).ToArray());

            RealmMeasurement.Extend(alg, rem, value);
            byte[] second = sha512 ? SHA512.HashData(first.Concat(value).ToArray()) : SHA256.HashData(first.Concat(value).ToArray());
            Assert.Equal(second, rem.AsSpan(0, n).ToArray());
            Assert.True(rem.AsSpan(n).IndexOfAnyExcept((byte)0) < 0);
        }

        [Fact]
        public void RsiExtendAndReadFollowTheRegisterConvention()
        {
            var h = new RmmHarness();
            ulong rd = h.CreateRealm(RmmHarness.DefaultParams(algorithm: MeasurementAlgorithm.Sha512));
            RealmDescriptor realm = h.Rmm.FindRealm(rd)!;
            ulong[] words = [0x0706050403020100, 0x0F0E0D0C0B0A0908, 0, 0, 0, 0, 0, 0xFFFF_FFFF_FFFF_FFFF];
            Assert.False(realm.TryExtend(0, 8, words));   // the RIM cannot be extended
            Assert.False(realm.TryExtend(5, 8, words));
            Assert.False(realm.TryExtend(1, 65, words));
            Assert.True(realm.GetMeasurement(1).IndexOfAnyExcept((byte)0) < 0);

            Assert.True(realm.TryExtend(2, 10, words));
            byte[] expected = SHA512.HashData(new byte[64].Concat(Enumerable.Range(0, 10).Select(i => (byte)i)).ToArray());
            Assert.Equal(expected, realm.GetMeasurement(2).ToArray());
            Assert.True(realm.TryExtend(4, 64, words));

            ulong[] read = new ulong[8];
            Assert.False(realm.TryRead(5, read));
            Assert.True(realm.TryRead(2, read));
            Assert.Equal(BitConverter.ToUInt64(expected, 0), read[0]);
            Assert.Equal(BitConverter.ToUInt64(expected, 56), read[7]);
            Assert.True(realm.TryRead(0, read));
            Assert.Equal(BitConverter.ToUInt64(realm.GetMeasurement(0)[..8]), read[0]);
        }

        [Fact]
        public void ExtendRejectsMoreThanOneSlot()
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => RealmMeasurement.Extend(MeasurementAlgorithm.Sha256, new byte[64], new byte[65]));
        }

        [Fact]
        public void UnknownDataFlagsAndDataCreateUnknownLeaveTheRimAlone()
        {
            var h = new RmmHarness();
            ulong rd = h.CreateRealm();
            RealmDescriptor realm = h.Rmm.FindRealm(rd)!;
            h.CreateRtts(rd, 0x8000_0000, 3);
            byte[] before = realm.GetMeasurement(0).ToArray();
            RmmHarness.Ok(h.Call(F.DataCreateUnknown, rd, h.AllocDelegated(), 0x8000_0000));
            Assert.Equal(before, realm.GetMeasurement(0).ToArray());
            RmmHarness.Status(h.Call(F.DataCreate, rd, h.AllocDelegated(), 0x8000_1000, h.AllocNs(), 2), RmiStatus.ErrorInput);
            Assert.Equal(before, realm.GetMeasurement(0).ToArray());
        }
    }
}
