using Capvisor.Firmware.Rmm;
using F = Capvisor.Firmware.Rmm.RmiFunctionId;
using static Capvisor.Firmware.Tests.Rmm.RmmHarness;

namespace Capvisor.Firmware.Tests.Rmm
{
    public class Stage2InvalidationTests
    {
        private sealed class Recorder : IStage2Invalidator
        {
            public List<(ushort Vmid, ulong Ipa, ulong Size)> Calls { get; } = new();

            public void InvalidateIpaRange(ushort vmid, ulong ipa, ulong size) => Calls.Add((vmid, ipa, size));
        }

        [Fact]
        public void LiveEntriesThatChangeAreInvalidatedForTheRealmsVmid()
        {
            var h = new RmmHarness(granules: 2048);
            var tlb = new Recorder();
            h.Rmm.TlbInvalidator = tlb;
            ulong rd = h.CreateRealm(vmid: 77);
            const ulong ram = 0x8000_0000;
            h.CreateRtts(rd, ram, 3);
            Ok(h.Call(F.RttInitRipas, rd, ram, ram + 0x20_0000));
            ulong d = h.AllocDelegated();
            Ok(h.Call(F.DataCreateUnknown, rd, d, ram));
            Assert.Empty(tlb.Calls); // nothing valid was replaced

            Ok(h.Call(F.DataDestroy, rd, ram));
            Assert.Equal((77, ram, 4096UL), tlb.Calls[^1]);

            ulong ns = 1UL << 32;
            h.CreateRtts(rd, ns, 3);
            Ok(h.Call(F.RttMapUnprotected, rd, ns, 3, 0x9000_0000 | (3UL << 6)));
            int before = tlb.Calls.Count;
            Ok(h.Call(F.RttUnmapUnprotected, rd, ns, 3));
            Assert.Equal((77, ns, 4096UL), tlb.Calls[^1]);
            Assert.Equal(before + 1, tlb.Calls.Count);

            Ok(h.Call(F.RttFold, rd, ns, 3));
            Assert.Equal((77, ns, 0x20_0000UL), tlb.Calls[^1]);
        }

        [Fact]
        public void SystemOffStopsTheRealm()
        {
            var h = new RmmHarness();
            ulong rd = h.CreateRealm();
            ulong rec = h.CreateRec(rd, 0);
            Ok(h.Call(F.RealmActivate, rd));
            h.Rmm.SystemOff(h.Rmm.FindRealm(rd)!);
            Status(h.Call(F.RecEnter, rec, h.AllocNs()), RmiStatus.ErrorRealm, 1);
            Ok(h.Call(F.RecDestroy, rec));
            Ok(h.Call(F.RealmDestroy, rd));
        }
    }
}
