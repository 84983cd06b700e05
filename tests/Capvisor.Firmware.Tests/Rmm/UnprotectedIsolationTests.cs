using Capvisor.Firmware.Rmm;
using static Capvisor.Firmware.Tests.Rmm.RmmHarness;
using F = Capvisor.Firmware.Rmm.RmiFunctionId;

namespace Capvisor.Firmware.Tests.Rmm
{
    /// <summary>
    /// Realm granules never become the output of an unprotected mapping: RTT_MAP_UNPROTECTED refuses
    /// them and GRANULE_DELEGATE refuses granules some realm maps unprotected (what the NS bit of
    /// stage-2 descriptors and the granule protection check give on hardware).
    /// </summary>
    public sealed class UnprotectedIsolationTests
    {
        private const ulong Ns = 1UL << 32; // unprotected half of a 33-bit IPA space
        private const ulong Attrs = (3UL << 6) | (6UL << 2);

        [Fact]
        public void MappingARealmGranuleUnprotectedIsRefused()
        {
            var h = new RmmHarness();
            ulong rd = h.CreateRealm();
            h.CreateRtts(rd, Ns, 3);
            ulong delegated = h.AllocDelegated();
            RealmDescriptor realm = h.Rmm.FindRealm(rd)!;
            foreach (ulong pa in new[] { delegated, rd, realm.RootRttBase })
            {
                Status(h.Call(F.RttMapUnprotected, rd, Ns, 3, pa | Attrs), RmiStatus.ErrorInput);
            }

            // A block that contains one realm granule is refused too; a Non-secure one is fine.
            ulong blockBase = RmmHarness.RamBase + 0x20_0000;
            Status(h.Call(F.RttMapUnprotected, rd, Ns + 0x20_0000, 2, (delegated & ~0x1F_FFFFUL) | Attrs), RmiStatus.ErrorInput);
            Ok(h.Call(F.RttMapUnprotected, rd, Ns + 0x20_0000, 2, blockBase | Attrs));
            Ok(h.Call(F.RttMapUnprotected, rd, Ns, 3, h.AllocNs() | Attrs));
        }

        [Fact]
        public void DelegatingAGranuleThatARealmMapsUnprotectedIsRefusedUntilUnmapped()
        {
            var h = new RmmHarness();
            ulong rd = h.CreateRealm();
            h.CreateRtts(rd, Ns, 3);
            ulong page = h.AllocNs();
            Ok(h.Call(F.RttMapUnprotected, rd, Ns, 3, page | Attrs));
            Status(h.Call(F.GranuleDelegate, page), RmiStatus.ErrorInput);
            Ok(h.Call(F.RttUnmapUnprotected, rd, Ns, 3));
            Ok(h.Call(F.GranuleDelegate, page));
        }

        [Fact]
        public void BlockMappingsStayCountedThroughUnfoldAndFold()
        {
            var h = new RmmHarness();
            ulong rd = h.CreateRealm();
            h.CreateRtts(rd, Ns + 0x20_0000, 2);
            ulong block = RmmHarness.RamBase + 0x20_0000; // granules above what the harness has handed out
            Ok(h.Call(F.RttMapUnprotected, rd, Ns + 0x20_0000, 2, block | Attrs));
            Status(h.Call(F.GranuleDelegate, block + 0x5000), RmiStatus.ErrorInput);

            // Unfold into pages, unmap one: only that one may be delegated.
            Ok(h.Call(F.RttCreate, rd, h.AllocDelegated(), Ns + 0x20_0000, 3));
            Ok(h.Call(F.RttUnmapUnprotected, rd, Ns + 0x20_0000 + 0x5000, 3));
            Status(h.Call(F.GranuleDelegate, block + 0x6000), RmiStatus.ErrorInput);
            Ok(h.Call(F.GranuleDelegate, block + 0x5000));
            Ok(h.Call(F.GranuleUndelegate, block + 0x5000));

            // Map it back and fold: the block is counted as one again, and unmapping it frees all.
            Ok(h.Call(F.RttMapUnprotected, rd, Ns + 0x20_0000 + 0x5000, 3, (block + 0x5000) | Attrs));
            Ok(h.Call(F.RttFold, rd, Ns + 0x20_0000, 3));
            Status(h.Call(F.GranuleDelegate, block + 0x5000), RmiStatus.ErrorInput);
            Ok(h.Call(F.RttUnmapUnprotected, rd, Ns + 0x20_0000, 2));
            Ok(h.Call(F.GranuleDelegate, block + 0x5000));
            Ok(h.Call(F.GranuleDelegate, block + 0x1F_F000));
        }

        [Fact]
        public void MappingsDiscardedWithTheirTableNoLongerCount()
        {
            var h = new RmmHarness();
            ulong rd = h.CreateRealm();
            h.CreateRtts(rd, Ns, 3);
            ulong page = h.AllocNs();
            Ok(h.Call(F.RttMapUnprotected, rd, Ns, 3, page | Attrs));
            RmiResult d = h.Call(F.RttDestroy, rd, Ns, 3);
            if (d.Status == RmiStatus.Success)
            {
                Ok(h.Call(F.GranuleDelegate, page)); // the mapping went with the table
            }
            else
            {
                Status(h.Call(F.GranuleDelegate, page), RmiStatus.ErrorInput); // still mapped
            }
        }

        [Fact]
        public void ARealmCannotBeGivenItsOwnRttThroughTheUnprotectedHalf()
        {
            using var r = new BoardRealm(RealmAsm.Program(Array.Empty<uint>()));
            const ulong ipa = BoardRealm.UnprotectedBit | 0x1000_0000;
            r.H.CreateRtts(r.Rd, ipa, 3);
            Status(r.H.Call(F.RttMapUnprotected, r.Rd, ipa, 3, r.Realm.RootRttBase | Attrs), RmiStatus.ErrorInput);
            Status(r.H.Call(F.RttMapUnprotected, r.Rd, ipa, 3, r.PaOf(BoardRealm.CodeIpa) | Attrs), RmiStatus.ErrorInput);
        }
    }
}
