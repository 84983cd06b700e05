using Capvisor.Firmware.Hypervisor;
using Capvisor.Firmware.Rmm;
using Capvisor.Firmware.Tests.Rmm;
using F = Capvisor.Firmware.Rmm.RmiFunctionId;

namespace Capvisor.Firmware.Tests.Hypervisor
{
    /// <summary>The production creation sequence over the fake-RAM harness: odd layouts, the host's own RIM, refusals.</summary>
    public sealed class RealmBuilderTests
    {
        private const ulong RamBase = 0x8000_0000;

        [Theory]
        [InlineData(33, 17 * 1024 + 64, false)] // top not 2 MiB aligned: level-3 RIPAS entries
        [InlineData(36, 3 * 1024 + 256, true)]  // start level 1, two concatenated roots
        [InlineData(40, 4 * 1024, false)]
        public void HostRimMatchesTheRmmAndTheReferenceForOddLayouts(int ipaBits, int ramKiB, bool sha512)
        {
            var h = new RmmHarness(granules: 4096);
            RealmBuilder b = HarnessHost.Builder(h);
            var alg = sha512 ? MeasurementAlgorithm.Sha512 : MeasurementAlgorithm.Sha256;
            ulong base_ = RamBase + 0x3000; // not block aligned either
            ulong top = RamBase + ((ulong)ramKiB << 10);
            byte[] blob = Enumerable.Range(0, 9000).Select(i => (byte)(i * 7)).ToArray();
            ulong blobIpa = RamBase + 0x2_0000 + 0x123;

            b.CreateRealm(new RealmConfig { IpaBits = ipaBits, Algorithm = alg });
            b.InitRipas(base_, top);
            b.Populate(blobIpa, blob);
            RecParams rec0 = b.CreateRecs(1, blobIpa, [1, 2, 3]);
            b.Activate();

            var model = new ReferenceRim(sha512);
            model.RealmCreate(0, (uint)ipaBits, 0, 5, 3, 0);
            model.InitRipas(base_, top, RealmBuilder.KvmStartLevel(ipaBits));
            foreach ((ulong ipa, byte[] granule) in HarnessHost.PopulatedGranules(blobIpa, blob))
            {
                model.Data(ipa, granule, measureContent: true);
            }

            model.Rec(RecParams.FlagRunnable, blobIpa, rec0.Gprs);
            byte[] rmm = h.Rmm.FindRealm(b.Rd)!.Rim.ToArray();
            int n = sha512 ? 64 : 32;
            Assert.Equal(Convert.ToHexStringLower(model.Rim.AsSpan(0, n)), Convert.ToHexStringLower(rmm));
            Assert.Equal(Convert.ToHexStringLower(rmm), Convert.ToHexStringLower(b.ExpectedRim));
        }

        [Fact]
        public void RmiFailuresAreTypedHostErrors()
        {
            var h = new RmmHarness(granules: 256);
            RealmBuilder b = HarnessHost.Builder(h);
            var e = Assert.Throws<RealmHostException>(() => b.CreateRealm(new RealmConfig { IpaBits = 60 }));
            Assert.Equal(RmiStatus.ErrorInput, e.Result!.Value.Status);

            b = HarnessHost.Builder(h);
            b.CreateRealm(new RealmConfig { IpaBits = 33 });
            b.InitRipas(RamBase, RamBase + (2UL << 20));
            b.CreateRecs(1, RamBase, [0]);
            b.Activate();

            // After ACTIVATE the realm is no longer NEW: populating is refused, and the host says so.
            e = Assert.Throws<RealmHostException>(() => b.Populate(RamBase, new byte[10]));
            Assert.Contains("DATA_CREATE", e.Message);
            Assert.Equal(RmiStatus.ErrorRealm, e.Result!.Value.Status);

            // DATA_CREATE_UNKNOWN works in any state; a second one on the same IPA is refused (false).
            Assert.True(b.MapProtected(RamBase + 0x5000));
            Assert.False(b.MapProtected(RamBase + 0x5000));
            Assert.Equal(1UL, h.Call(F.RttReadEntry, b.Rd, RamBase + 0x5000, 3).X2); // ASSIGNED
        }
    }
}
