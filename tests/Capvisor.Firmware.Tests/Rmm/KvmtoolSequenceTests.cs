using System.Buffers.Binary;
using Capvisor.Firmware.Hypervisor;
using Capvisor.Firmware.Rmm;
using Capvisor.Firmware.Tests.Hypervisor;
using F = Capvisor.Firmware.Rmm.RmiFunctionId;

namespace Capvisor.Firmware.Tests.Rmm
{
    public class KvmtoolSequenceTests
    {
        private const ulong RamBase = 0x8000_0000;

        [Theory]
        [InlineData(33, false)]
        [InlineData(33, true)]
        [InlineData(40, false)]
        [InlineData(48, false)]
        public void RealmBuiltLikeKvmtoolHasTheIndependentlyComputedRim(int ipaBits, bool sha512)
        {
            var h = new RmmHarness(granules: 2048);
            var host = HarnessHost.Builder(h);
            var alg = sha512 ? MeasurementAlgorithm.Sha512 : MeasurementAlgorithm.Sha256;
            byte[] rpv = Enumerable.Range(0, 64).Select(i => (byte)(i * 3)).ToArray();
            var rng = new Random(ipaBits);
            byte[] kernel = new byte[150 * 1024 + 123];
            byte[] initrd = new byte[20_000];
            byte[] dtb = new byte[3000];
            rng.NextBytes(kernel);
            rng.NextBytes(initrd);
            rng.NextBytes(dtb);
            ulong ramSize = 32UL << 20;
            ulong dtbIpa = RamBase + ramSize - (2UL << 20);
            ulong initrdIpa = ((dtbIpa - (ulong)initrd.Length - 4) & ~3UL) - 0x1_0000;

            host.CreateRealm(new RealmConfig { IpaBits = ipaBits, Algorithm = alg, Rpv = rpv });
            host.InitRipas(RamBase, RamBase + ramSize);
            var blobs = new List<(ulong Ipa, byte[] Granule)>();
            foreach ((ulong ipa, byte[] content) in new[] { (RamBase, kernel), (initrdIpa, initrd), (dtbIpa, dtb) })
            {
                host.Populate(ipa, content);
                blobs.AddRange(HarnessHost.PopulatedGranules(ipa, content));
            }

            RecParams rec0 = host.CreateRecs(vcpus: 2, pc: RamBase, gprs: [dtbIpa]);
            host.Activate();

            var model = new ReferenceRim(sha512);
            model.RealmCreate(0, (uint)ipaBits, 0, 5, 3, 0);
            model.InitRipas(RamBase, RamBase + ramSize, RealmBuilder.KvmStartLevel(ipaBits));
            foreach ((ulong ipa, byte[] granule) in blobs)
            {
                model.Data(ipa, granule, measureContent: true);
            }

            model.Rec(RecParams.FlagRunnable, RamBase, rec0.Gprs);

            RealmDescriptor realm = h.Rmm.FindRealm(host.Rd)!;
            Assert.Equal(RealmState.Active, realm.State);
            Assert.Equal(Convert.ToHexStringLower(model.Rim), Convert.ToHexStringLower(realm.GetMeasurement(0)));

            // The host's own expectation (what --print-rim shows) is the same value.
            Assert.Equal(Convert.ToHexStringLower(realm.Rim), Convert.ToHexStringLower(host.ExpectedRim));
            Assert.Equal(rpv, realm.Rpv.ToArray());
        }

        [Fact]
        public void PopulatedMemoryIsMappedAndHiddenFromTheHost()
        {
            var h = new RmmHarness(granules: 2048);
            var host = HarnessHost.Builder(h);
            host.CreateRealm(new RealmConfig { IpaBits = 33 });
            host.InitRipas(RamBase, RamBase + (4UL << 20));
            byte[] image = Enumerable.Range(0, 5000).Select(i => (byte)i).ToArray();
            host.Populate(RamBase + 0x1000, image);

            RmiResult entry = h.Call(F.RttReadEntry, host.Rd, RamBase + 0x1000, 3);
            RmmHarness.Ok(entry);
            Assert.Equal(3UL, entry.X1);
            Assert.Equal(1UL, entry.X2); // ASSIGNED
            Assert.Equal((ulong)Ripas.Ram, entry.X4);
            ulong pa = entry.X3;
            Assert.Equal(GranuleState.Data, h.Rmm.GetGranuleState(pa));
            Assert.Equal(image.AsSpan(0, 4096).ToArray(), h.Memory.Peek(pa).ToArray());
            Assert.Throws<GranuleProtectionFault>(() => h.Memory.HostRead(pa));

            // The descriptor is a real stage-2 page descriptor: PA | Normal WB (FWB) | RW | IS | AF | page.
            ulong table = ReadTableFor(h, host.Rd, RamBase, 3);
            ulong desc = BinaryPrimitives.ReadUInt64LittleEndian(h.Memory.Peek(table)[(1 * 8)..]);
            Assert.Equal(pa | 0x7DB, desc);

            // Unpopulated RAM in the same 64 KiB region is measured zero data; the next region is UNASSIGNED RAM.
            RmiResult after = h.Call(F.RttReadEntry, host.Rd, RamBase + 0x10000, 3);
            Assert.Equal(0UL, after.X2);
            Assert.Equal((ulong)Ripas.Ram, after.X4);
        }

        private static ulong ReadTableFor(RmmHarness h, ulong rd, ulong ipa, int level)
        {
            RmiResult r = h.Call(F.RttReadEntry, rd, ipa & ~((1UL << (((3 - (level - 1)) * 9) + 12)) - 1), (ulong)(level - 1));
            Assert.Equal(2UL, r.X2); // TABLE
            return r.X3;
        }

        [Fact]
        public void RecEnterWithoutRunnerExitsWithIrq()
        {
            var h = new RmmHarness(granules: 2048);
            var host = HarnessHost.Builder(h);
            host.CreateRealm(new RealmConfig { IpaBits = 33 });
            host.InitRipas(RamBase, RamBase + (2UL << 20));
            host.CreateRecs(2, RamBase, [0]);
            ulong run = h.AllocNs();
            RmmHarness.Status(h.Call(F.RecEnter, host.Recs[0], run), RmiStatus.ErrorRealm, 0);
            host.Activate();
            h.Memory.HostWrite(run, new byte[] { 0xFF, 0xFF }, RecRunLayout.ExitOffset + RecRunLayout.ExitEsr);
            RmmHarness.Ok(h.Call(F.RecEnter, host.Recs[0], run));
            byte[] rr = h.Memory.HostRead(run);
            Assert.Equal(RecRunLayout.ExitIrq, RmmHarness.Le64(rr, RecRunLayout.ExitOffset + RecRunLayout.ExitReason));
            Assert.Equal(0UL, RmmHarness.Le64(rr, RecRunLayout.ExitOffset + RecRunLayout.ExitEsr));
            RmmHarness.Status(h.Call(F.RecEnter, host.Recs[1], run), RmiStatus.ErrorRec);
        }

        [Fact]
        public void TeardownReturnsEveryGranuleZeroed()
        {
            var h = new RmmHarness(granules: 2048);
            var host = HarnessHost.Builder(h, out HarnessHost memory);
            host.CreateRealm(new RealmConfig { IpaBits = 33, Algorithm = MeasurementAlgorithm.Sha512 });
            host.InitRipas(RamBase, RamBase + (8UL << 20));
            host.Populate(RamBase + 0x20_0000, new byte[70_000].Select((_, i) => (byte)(i | 1)).ToArray());
            host.CreateRecs(3, RamBase, [0]);
            host.Activate();

            ulong rd = host.Rd;
            List<ulong> freed = host.Destroy();

            // Every granule came back undelegated, zeroed, and was returned to host memory.
            Assert.Empty(h.Rmm.SnapshotGranules());
            foreach (ulong pa in freed)
            {
                Assert.Equal(GranulePas.NonSecure, h.Memory.GetPas(pa));
                Assert.True(h.Memory.HostRead(pa).All(b => b == 0), $"granule 0x{pa:x} is not zero");
                Assert.Contains(pa, memory.Freed);
            }

            Assert.Equal(freed.Count, freed.Distinct().Count());
            Assert.Contains(rd, freed);
        }
    }
}
