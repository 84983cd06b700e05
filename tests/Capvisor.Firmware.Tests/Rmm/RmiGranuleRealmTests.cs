using Capvisor.Firmware.Rmm;
using F = Capvisor.Firmware.Rmm.RmiFunctionId;
using static Capvisor.Firmware.Tests.Rmm.RmmHarness;

namespace Capvisor.Firmware.Tests.Rmm
{
    public class RmiGranuleRealmTests
    {
        [Fact]
        public void VersionReportsOnePointZero()
        {
            var h = new RmmHarness();
            Assert.Equal(new RmiResult(0, 0x10000, 0x10000), h.Call(F.Version, 0x10000));
            Assert.Equal(new RmiResult(1, 0x10000, 0x10000), h.Call(F.Version, 0x10001));
            Assert.Equal(new RmiResult(1, 0x10000, 0x10000), h.Call(F.Version, 0x20000));
            Assert.Equal(new RmiResult(0, 0x10000, 0x10000), h.Rmm.Handle(F.Version | F.SveHint, 0x10000));
            Assert.Equal(new RmiResult(0, 0x10000, 0x10000), h.Rmm.Handle(0xFFFF_FFFF_0000_0000UL | F.Version, 0x10000));
            Assert.True(F.IsRmi(F.RttSetRipas));
            Assert.True(F.IsRmi(F.GranuleDelegate | F.SveHint));
            Assert.False(F.IsRmi(0xC4000190)); // RSI_VERSION
            Assert.False(F.IsRmi(0x84000000)); // PSCI_VERSION
        }

        [Fact]
        public void FeaturesRegisterZeroIsHonest()
        {
            var h = new RmmHarness();
            ulong r = h.Call(F.Features, 0).X1;
            Assert.Equal(48UL, r & 0xFF);
            Assert.Equal(0UL, (r >> 8) & 1);  // LPA2
            Assert.Equal(0UL, (r >> 9) & 1);  // SVE
            Assert.Equal(5UL, (r >> 14) & 0x3F);
            Assert.Equal(3UL, (r >> 20) & 0x3F);
            Assert.Equal(3UL, (r >> 32) & 3); // SHA-256 and SHA-512
            Assert.Equal(new RmiResult(0, 0), h.Call(F.Features, 1));
        }

        [Theory]
        [InlineData(0xC4000156u)]
        [InlineData(0xC4000160u)]
        [InlineData(0xC4000163u)]
        [InlineData(0xC400016Au)]
        [InlineData(0xC4000190u)]
        public void UnknownFunctionIdsReturnSmcUnknown(uint fid)
        {
            var h = new RmmHarness();
            Assert.Equal(RmiResult.SmcUnknown, h.Call(fid).X0);
        }

        [Fact]
        public void DelegateScrubsAndMovesTheGranuleToRealm()
        {
            var h = new RmmHarness();
            ulong pa = h.AllocNs();
            h.Memory.HostWrite(pa, Enumerable.Repeat((byte)0xAA, 4096).ToArray());
            Ok(h.Call(F.GranuleDelegate, pa));
            Assert.Equal(GranuleState.Delegated, h.Rmm.GetGranuleState(pa));
            Assert.Equal(GranulePas.Realm, h.Memory.GetPas(pa));
            Assert.True(h.Memory.IsZero(pa));
            Assert.Throws<GranuleProtectionFault>(() => h.Memory.HostRead(pa));
        }

        [Fact]
        public void DelegateErrors()
        {
            var h = new RmmHarness();
            ulong pa = h.AllocNs();
            Status(h.Call(F.GranuleDelegate, pa + 8), RmiStatus.ErrorInput);
            Status(h.Call(F.GranuleDelegate, 0x1000), RmiStatus.ErrorInput);                 // not RAM
            Status(h.Call(F.GranuleDelegate, h.Memory.RamEnd), RmiStatus.ErrorInput);        // just past RAM
            Status(h.Call(F.GranuleDelegate, 1UL << 48), RmiStatus.ErrorInput);              // beyond the PA range
            Ok(h.Call(F.GranuleDelegate, pa));
            Status(h.Call(F.GranuleDelegate, pa), RmiStatus.ErrorInput);                     // already delegated
            ulong rd = h.CreateRealm();
            Status(h.Call(F.GranuleDelegate, rd), RmiStatus.ErrorInput);                     // in use

            ulong secure = h.AllocNs();
            h.Memory.Refused.Add(secure);
            Status(h.Call(F.GranuleDelegate, secure), RmiStatus.ErrorInput);                 // EL3 refuses
            Assert.Equal(GranuleState.NonSecure, h.Rmm.GetGranuleState(secure));
            Assert.Equal(GranulePas.NonSecure, h.Memory.GetPas(secure));
        }

        [Fact]
        public void UndelegateErrorsAndSuccess()
        {
            var h = new RmmHarness();
            ulong ns = h.AllocNs();
            Status(h.Call(F.GranuleUndelegate, ns), RmiStatus.ErrorInput);
            ulong pa = h.AllocDelegated();
            Status(h.Call(F.GranuleUndelegate, pa + 0x800), RmiStatus.ErrorInput);
            ulong rd = h.CreateRealm();
            Status(h.Call(F.GranuleUndelegate, rd), RmiStatus.ErrorInput);
            Ok(h.Call(F.GranuleUndelegate, pa));
            Assert.Equal(GranuleState.NonSecure, h.Rmm.GetGranuleState(pa));
            Assert.Equal(GranulePas.NonSecure, h.Memory.GetPas(pa));
            Assert.All(h.Memory.HostRead(pa), b => Assert.Equal(0, b));
        }

        private static (RmmHarness H, ulong Rd, ulong Params, RealmParams P) PrepareCreate(Action<RealmParams>? tweak = null, int s2sz = 33, int sl = 2)
        {
            var h = new RmmHarness();
            RealmParams p = DefaultParams(s2sz, sl);
            ulong rd = h.AllocDelegated();
            h.AlignNext(p.RttNumStart * 4096UL);
            p.RttBase = h.AllocDelegated((int)p.RttNumStart);
            p.Vmid = 1;
            tweak?.Invoke(p);
            return (h, rd, h.WriteParams(p), p);
        }

        public static IEnumerable<object[]> BadRealmParams() => new (string, Action<RealmParams>)[]
        {
            ("s2sz below 32", p => p.S2sz = 31),
            ("s2sz above PA range", p => { p.S2sz = 49; }),
            ("num_bps 0", p => p.NumBps = 0),
            ("concatenated roots not aligned to their size", p => p.RttBase += 4096),
            ("num_bps too many", p => p.NumBps = 6),
            ("num_wps 0", p => p.NumWps = 0),
            ("num_wps too many", p => p.NumWps = 4),
            ("LPA2 unsupported", p => p.Flags = RealmParams.FlagLpa2),
            ("SVE unsupported", p => p.Flags = RealmParams.FlagSve),
            ("PMU unsupported", p => p.Flags = RealmParams.FlagPmu),
            ("unknown algorithm", p => p.Algorithm = 2),
            ("wrong root count", p => p.RttNumStart = 4),
            ("start level too high for s2sz", p => { p.RttLevelStart = 3; p.RttNumStart = 1; }),
            ("start level too low for s2sz", p => { p.RttLevelStart = 0; p.RttNumStart = 1; }),
            ("negative start level", p => { p.RttLevelStart = -1; p.RttNumStart = 1; }),
            ("rtt_base not delegated", p => p.RttBase += 0x100_0000),
            ("rtt_base misaligned", p => p.RttBase += 8),
        }.Select(c => new object[] { c.Item1, c.Item2 });

        [Theory]
        [MemberData(nameof(BadRealmParams))]
        public void RealmCreateRejectsBadParams(string why, Action<RealmParams> tweak)
        {
            (RmmHarness h, ulong rd, ulong pp, RealmParams p) = PrepareCreate(tweak);
            Status(h.Call(F.RealmCreate, rd, pp), RmiStatus.ErrorInput);
            Assert.Equal(GranuleState.Delegated, h.Rmm.GetGranuleState(rd));
            Assert.True(h.Rmm.FindRealm(rd) == null, why);
        }

        [Fact]
        public void RealmCreateArgumentErrors()
        {
            (RmmHarness h, ulong rd, ulong pp, RealmParams p) = PrepareCreate();
            Status(h.Call(F.RealmCreate, rd, pp + 8), RmiStatus.ErrorInput);              // params misaligned
            Status(h.Call(F.RealmCreate, rd, h.AllocDelegated()), RmiStatus.ErrorInput);  // params not NS
            Status(h.Call(F.RealmCreate, rd, 0x1000), RmiStatus.ErrorInput);              // params not RAM
            Status(h.Call(F.RealmCreate, h.AllocNs(), pp), RmiStatus.ErrorInput);         // rd not delegated
            Status(h.Call(F.RealmCreate, p.RttBase, pp), RmiStatus.ErrorInput);           // rd aliases a root RTT
            Status(h.Call(F.RealmCreate, p.RttBase + 0x7000, pp), RmiStatus.ErrorInput);  // ... the last one
            Status(h.Call(F.RealmCreate, rd + 1, pp), RmiStatus.ErrorInput);

            // A failed create keeps nothing: the same VMID and granules work afterwards.
            Ok(h.Call(F.RealmCreate, rd, pp));
            Assert.Equal(GranuleState.Rd, h.Rmm.GetGranuleState(rd));
            for (int i = 0; i < 8; i++)
            {
                Assert.Equal(GranuleState.Rtt, h.Rmm.GetGranuleState(p.RttBase + ((ulong)i * 4096)));
            }

            // VMID in use.
            RealmParams q = DefaultParams();
            q.Vmid = 1;
            ulong rd2 = h.AllocDelegated();
            h.AlignNext(8 * 4096);
            q.RttBase = h.AllocDelegated(8);
            Status(h.Call(F.RealmCreate, rd2, h.WriteParams(q)), RmiStatus.ErrorInput);
            q.Vmid = 2;
            Ok(h.Call(F.RealmCreate, rd2, h.WriteParams(q)));
        }

        [Theory]
        [InlineData(32, 1)]
        [InlineData(32, 2)]
        [InlineData(39, 1)]
        [InlineData(40, 1)]
        [InlineData(43, 1)]
        [InlineData(44, 0)]
        [InlineData(48, 0)]
        [InlineData(34, 2)]
        public void RealmCreateAcceptsConsistentGeometries(int s2sz, int sl)
        {
            (RmmHarness h, ulong rd, ulong pp, RealmParams p) = PrepareCreate(s2sz: s2sz, sl: sl);
            Ok(h.Call(F.RealmCreate, rd, pp));
            RealmDescriptor realm = h.Rmm.FindRealm(rd)!;
            Assert.Equal(RealmState.New, realm.State);

            // The protected half starts UNASSIGNED EMPTY, the unprotected half UNASSIGNED_NS.
            RmiResult low = h.Call(F.RttReadEntry, rd, 0, (ulong)sl);
            Assert.Equal(new RmiResult(0, (ulong)sl, 0, 0, 0), low);
            ulong top = (1UL << (s2sz - 1));
            RmiResult high = h.Call(F.RttReadEntry, rd, top, (ulong)sl);
            Assert.Equal(new RmiResult(0, (ulong)sl, 0, 0, 0), high);
            Status(h.Call(F.RttMapUnprotected, rd, 0, 3, 0), RmiStatus.ErrorInput);
        }

        [Fact]
        public void RealmCreateUsesTheCopyOfItsParameters()
        {
            (RmmHarness h, ulong rd, ulong pp, RealmParams p) = PrepareCreate();
            // The host rewrites s2sz to an invalid value as soon as the RMM has looked at the granule.
            h.Memory.AfterGetGranule = pa =>
            {
                if (pa == pp)
                {
                    h.Memory.AfterGetGranule = null;
                    h.Memory.HostWrite(pp, BitConverter.GetBytes(60u), 8);
                }
            };
            Ok(h.Call(F.RealmCreate, rd, pp));
            RealmDescriptor realm = h.Rmm.FindRealm(rd)!;
            Assert.Equal(33, realm.IpaBits);
            var model = new ReferenceRim(false);
            model.RealmCreate(0, 33, 0, 5, 3, 0);
            Assert.Equal(model.Rim, realm.GetMeasurement(0).ToArray());
        }

        [Fact]
        public void ActivateOnlyFromNew()
        {
            var h = new RmmHarness();
            ulong rd = h.CreateRealm();
            Status(h.Call(F.RealmActivate, h.AllocDelegated()), RmiStatus.ErrorInput);
            Status(h.Call(F.RealmActivate, rd + 0x10), RmiStatus.ErrorInput);
            Ok(h.Call(F.RealmActivate, rd));
            Status(h.Call(F.RealmActivate, rd), RmiStatus.ErrorRealm);
            h.Rmm.FindRealm(rd)!.State = RealmState.SystemOff;
            Status(h.Call(F.RealmActivate, rd), RmiStatus.ErrorRealm);
        }

        [Fact]
        public void DestroyRequiresNoRecsAndNoRtts()
        {
            var h = new RmmHarness();
            RealmParams p = DefaultParams();
            ulong rd = h.CreateRealm(p, vmid: 5);
            Status(h.Call(F.RealmDestroy, h.AllocNs()), RmiStatus.ErrorInput);

            ulong rec = h.CreateRec(rd, 0);
            Status(h.Call(F.RealmDestroy, rd), RmiStatus.ErrorRealm);
            Ok(h.Call(F.RecDestroy, rec));

            h.CreateRtts(rd, 0x8000_0000, 3);
            Status(h.Call(F.RealmDestroy, rd), RmiStatus.ErrorRealm);
            RmiResult d = h.Call(F.RttDestroy, rd, 0x8000_0000, 3);
            Ok(d);

            Ok(h.Call(F.RealmDestroy, rd));
            Assert.Equal(GranuleState.Delegated, h.Rmm.GetGranuleState(rd));
            Assert.Null(h.Rmm.FindRealm(rd));
            for (int i = 0; i < 8; i++)
            {
                ulong root = p.RttBase + ((ulong)i * 4096);
                Assert.Equal(GranuleState.Delegated, h.Rmm.GetGranuleState(root));
                Assert.True(h.Memory.IsZero(root));
            }

            Status(h.Call(F.RealmDestroy, rd), RmiStatus.ErrorInput);
            h.CreateRealm(DefaultParams(), vmid: 5); // the VMID is free again
        }
    }
}
