using Capvisor.Arm;
using Capvisor.Firmware.Rmm;
using static Capvisor.Board.Tests.Infrastructure.A64;
using static Capvisor.Firmware.Tests.Rmm.RealmAsm;
using F = Capvisor.Firmware.Rmm.RmiFunctionId;
using L = Capvisor.Firmware.Rmm.RecRunLayout;

namespace Capvisor.Firmware.Tests.Rmm
{
    /// <summary>
    /// Unprotected mappings are Non-secure (stage-2 descriptor NS = 1): a host that maps a Realm-PAS
    /// granule (here the realm's own root RTT) into the unprotected half gives the realm a fault,
    /// never access to RMM or realm memory.
    /// </summary>
    public sealed class UnprotectedIsolationTests
    {
        [Fact]
        public void UnprotectedMappingOfARealmGranuleFaultsInsteadOfReachingIt()
        {
            const ulong ipa = BoardRealm.UnprotectedBit | 0x1000_0000;
            byte[] image = Program(Mov64(10, ipa).Append(LdrX(11, 10)).Append(Save(11, 0))
                .Concat(Mov64(12, 0x1234)).Append(StrX(12, 10)));
            using var r = new BoardRealm(image);
            ulong root = r.Realm.RootRttBase;
            byte[] before = r.Machine.Ram.GetSpan(root, 4096, SecurityState.Realm).ToArray();
            r.H.CreateRtts(r.Rd, ipa, 3);

            // PA | S2AP RW | MemAttr (FWB) normal write-back, as a host would pass it.
            RmmHarness.Ok(r.H.Call(F.RttMapUnprotected, r.Rd, ipa, 3, root | (3UL << 6) | (6UL << 2)));
            for (int i = 0; i < 10; i++)
            {
                RmiResult e = r.Enter(r.ExitReason == L.ExitSync && ((r.ExitEsr >> 24) & 1) != 0 ? L.EnterFlagInjectSea : 0);
                RmmHarness.Ok(e);
                if (r.ExitReason == L.ExitIrq)
                {
                    break;
                }
            }

            Assert.Equal(0UL, r.Result(0));
            Assert.Equal(before, r.Machine.Ram.GetSpan(root, 4096, SecurityState.Realm).ToArray());
        }
    }
}
