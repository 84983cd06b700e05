using System.Buffers.Binary;
using Capvisor.Firmware.Rmm;
using F = Capvisor.Firmware.Rmm.RmiFunctionId;
using static Capvisor.Firmware.Tests.Rmm.RmmHarness;

namespace Capvisor.Firmware.Tests.Rmm
{
    public class RmiRttDataTests
    {
        private const ulong Ram = 0x8000_0000;
        private const ulong Unprotected33 = 1UL << 32;

        private static ulong Entry(RmmHarness h, ulong table, int index) =>
            BinaryPrimitives.ReadUInt64LittleEndian(h.Memory.Peek(table)[(index * 8)..]);

        [Fact]
        public void RttCreateErrors()
        {
            var h = new RmmHarness();
            ulong rd = h.CreateRealm(DefaultParams(40, 1)); // start level 1, two roots
            ulong rtt = h.AllocDelegated();
            Status(h.Call(F.RttCreate, rd, h.AllocNs(), Ram, 2), RmiStatus.ErrorInput);        // rtt not delegated
            Status(h.Call(F.RttCreate, h.AllocDelegated(), rtt, Ram, 2), RmiStatus.ErrorInput); // rd not an RD
            Status(h.Call(F.RttCreate, rd, rd, Ram, 2), RmiStatus.ErrorInput);                  // rtt is the RD
            Status(h.Call(F.RttCreate, rd, rtt + 8, Ram, 2), RmiStatus.ErrorInput);
            Status(h.Call(F.RttCreate, rd, rtt, Ram, 1), RmiStatus.ErrorInput);                 // start level
            Status(h.Call(F.RttCreate, rd, rtt, Ram, 0), RmiStatus.ErrorInput);
            Status(h.Call(F.RttCreate, rd, rtt, Ram, 4), RmiStatus.ErrorInput);
            Status(h.Call(F.RttCreate, rd, rtt, Ram + 0x20_0000, 2), RmiStatus.ErrorInput);     // not 1 GiB aligned
            Status(h.Call(F.RttCreate, rd, rtt, 1UL << 40, 2), RmiStatus.ErrorInput);           // beyond the IPA space
            Status(h.Call(F.RttCreate, rd, rtt, ulong.MaxValue & ~0xFFFUL, 3), RmiStatus.ErrorInput);
            Status(h.Call(F.RttCreate, rd, rtt, Ram, 3), RmiStatus.ErrorRtt, 1);                // no level-2 table yet
            Ok(h.Call(F.RttCreate, rd, rtt, Ram, 2));
            Assert.Equal(GranuleState.Rtt, h.Rmm.GetGranuleState(rtt));
            Status(h.Call(F.RttCreate, rd, h.AllocDelegated(), Ram, 2), RmiStatus.ErrorRtt, 1); // already a table
            Assert.Equal(new RmiResult(0, 1, 2, rtt, 0), h.Call(F.RttReadEntry, rd, Ram, 1));

            // The new table inherits the parent entry: UNASSIGNED EMPTY in the protected half ...
            Assert.All(Enumerable.Range(0, 512), i => Assert.Equal(S2tte.UnassignedEmpty, Entry(h, rtt, i)));
            // ... UNASSIGNED_NS in the unprotected half.
            ulong ns = h.AllocDelegated();
            Ok(h.Call(F.RttCreate, rd, ns, 1UL << 39, 2));
            Assert.All(Enumerable.Range(0, 512), i => Assert.Equal(S2tte.UnassignedNs, Entry(h, ns, i)));
            Assert.Equal(new RmiResult(0, 2, 0, 0, 0), h.Call(F.RttReadEntry, rd, (1UL << 39) + 0x20_0000, 2));
        }

        [Fact]
        public void RttReadEntryErrors()
        {
            var h = new RmmHarness();
            ulong rd = h.CreateRealm();
            Status(h.Call(F.RttReadEntry, h.AllocNs(), Ram, 2), RmiStatus.ErrorInput);
            Status(h.Call(F.RttReadEntry, rd, Ram, 1), RmiStatus.ErrorInput);            // below start level
            Status(h.Call(F.RttReadEntry, rd, Ram, 4), RmiStatus.ErrorInput);
            Status(h.Call(F.RttReadEntry, rd, Ram + 0x1000, 2), RmiStatus.ErrorInput);   // misaligned for level 2
            Status(h.Call(F.RttReadEntry, rd, 1UL << 33, 2), RmiStatus.ErrorInput);      // beyond s2sz
            Assert.Equal(new RmiResult(0, 2, 0, 0, 0), h.Call(F.RttReadEntry, rd, Ram + 0x1000, 3));
        }

        [Fact]
        public void RttDestroyErrorsAndTop()
        {
            var h = new RmmHarness();
            ulong rd = h.CreateRealm();
            h.CreateRtts(rd, Ram, 3);
            Status(h.Call(F.RttDestroy, h.AllocDelegated(), Ram, 3), RmiStatus.ErrorInput);
            Status(h.Call(F.RttDestroy, rd, Ram, 2), RmiStatus.ErrorInput);                 // start level
            Status(h.Call(F.RttDestroy, rd, Ram + 0x1000, 3), RmiStatus.ErrorInput);        // misaligned

            // Not a table: ERROR_RTT at the walk level; X2 skips the non-live entries after it.
            // The root RTT holding Ram covers [2 GiB, 3 GiB) in 2 MiB entries; none after Ram is live.
            RmiResult r = h.Call(F.RttDestroy, rd, Ram + 0x20_0000, 3);
            Status(r, RmiStatus.ErrorRtt, 2);
            Assert.Equal(0xC000_0000UL, r.X2);

            // Live child: ERROR_RTT at the RTT's level, X2 = the address.
            ulong data = h.AllocDelegated();
            Ok(h.Call(F.DataCreateUnknown, rd, data, Ram + 0x3000));
            r = h.Call(F.RttDestroy, rd, Ram, 3);
            Assert.Equal(new RmiResult(RmiResult.Pack(RmiStatus.ErrorRtt, 3), 0, Ram), r);
            Ok(h.Call(F.DataDestroy, rd, Ram + 0x3000));

            ulong rtt = h.Call(F.RttReadEntry, rd, Ram, 2).X3;
            r = h.Call(F.RttDestroy, rd, Ram, 3);
            Ok(r);
            Assert.Equal(rtt, r.X1);
            Assert.Equal(0xC000_0000UL, r.X2);
            Assert.Equal(GranuleState.Delegated, h.Rmm.GetGranuleState(rtt));
            Assert.True(h.Memory.IsZero(rtt));
            // The protected entry becomes UNASSIGNED DESTROYED; its contents are gone.
            Assert.Equal(new RmiResult(0, 2, 0, 0, (ulong)Ripas.Destroyed), h.Call(F.RttReadEntry, rd, Ram, 2));
        }

        [Fact]
        public void SkipNonLiveStopsAtTheNextLiveEntry()
        {
            var h = new RmmHarness();
            ulong rd = h.CreateRealm();
            h.CreateRtts(rd, Ram, 3);
            h.CreateRtts(rd, Ram + 0x60_0000, 3);
            // From the (non-table) 2 MiB entry at Ram + 2 MiB the next live entry is the table at Ram + 6 MiB.
            RmiResult r = h.Call(F.RttDestroy, rd, Ram + 0x20_0000, 3);
            Status(r, RmiStatus.ErrorRtt, 2);
            Assert.Equal(Ram + 0x60_0000, r.X2);
            // Destroying the first table: the walk continues to the next live one.
            r = h.Call(F.RttDestroy, rd, Ram, 3);
            Ok(r);
            Assert.Equal(Ram + 0x60_0000, r.X2);
            // Nothing live after the last table: the end of the root RTT, [2 GiB, 3 GiB).
            r = h.Call(F.RttDestroy, rd, Ram + 0x60_0000, 3);
            Ok(r);
            Assert.Equal(0xC000_0000UL, r.X2);
        }

        [Fact]
        public void DataCreateErrors()
        {
            var h = new RmmHarness();
            ulong rd = h.CreateRealm();
            h.CreateRtts(rd, Ram, 3);
            ulong src = h.WriteNsData(Enumerable.Repeat((byte)7, 4096).ToArray());
            ulong data = h.AllocDelegated();
            Status(h.Call(F.DataCreate, rd, data, Ram, src, 2), RmiStatus.ErrorInput);                    // flags
            Status(h.Call(F.DataCreate, rd, data, Ram, h.AllocDelegated(), 1), RmiStatus.ErrorInput);     // src not NS
            Status(h.Call(F.DataCreate, rd, data, Ram, src + 8, 1), RmiStatus.ErrorInput);                // src misaligned
            Status(h.Call(F.DataCreate, rd, data, Ram, 0x1000, 1), RmiStatus.ErrorInput);                 // src not RAM
            Status(h.Call(F.DataCreate, rd, h.AllocNs(), Ram, src, 1), RmiStatus.ErrorInput);             // data not delegated
            Status(h.Call(F.DataCreate, rd, rd, Ram, src, 1), RmiStatus.ErrorInput);                      // data is the RD
            Status(h.Call(F.DataCreate, h.AllocDelegated(), data, Ram, src, 1), RmiStatus.ErrorInput);    // rd not an RD
            Status(h.Call(F.DataCreate, rd, data, Ram + 8, src, 1), RmiStatus.ErrorInput);                // ipa misaligned
            Status(h.Call(F.DataCreate, rd, data, Unprotected33, src, 1), RmiStatus.ErrorInput);          // unprotected ipa
            Status(h.Call(F.DataCreate, rd, data, 1UL << 33, src, 1), RmiStatus.ErrorInput);              // beyond s2sz
            Status(h.Call(F.DataCreate, rd, data, Ram + 0x20_0000, src, 1), RmiStatus.ErrorRtt, 2);       // no level-3 table
            Ok(h.Call(F.DataCreate, rd, data, Ram, src, 1));
            Status(h.Call(F.DataCreate, rd, h.AllocDelegated(), Ram, src, 1), RmiStatus.ErrorRtt, 3);     // already assigned
            Assert.Equal(GranuleState.Data, h.Rmm.GetGranuleState(data));
            Assert.All(h.Memory.Peek(data).ToArray(), b => Assert.Equal(7, b));

            Ok(h.Call(F.RealmActivate, rd));
            Status(h.Call(F.DataCreate, rd, h.AllocDelegated(), Ram + 0x1000, src, 1), RmiStatus.ErrorRealm);
            Ok(h.Call(F.DataCreateUnknown, rd, h.AllocDelegated(), Ram + 0x1000));                       // any state
            Status(h.Call(F.DataCreateUnknown, rd, h.AllocDelegated(), Unprotected33), RmiStatus.ErrorInput);
            Status(h.Call(F.DataCreateUnknown, rd, h.AllocDelegated(), Ram + 0x1000), RmiStatus.ErrorRtt, 3);
        }

        [Fact]
        public void DataCreateMeasuresWhatItCopied()
        {
            var h = new RmmHarness();
            ulong rd = h.CreateRealm();
            h.CreateRtts(rd, Ram, 3);
            byte[] content = Enumerable.Range(0, 4096).Select(i => (byte)(i * 7)).ToArray();
            ulong src = h.WriteNsData(content);
            RealmDescriptor realm = h.Rmm.FindRealm(rd)!;
            byte[] rimBefore = realm.GetMeasurement(0).ToArray();
            h.Memory.AfterGetGranule = pa =>
            {
                if (pa == src)
                {
                    h.Memory.AfterGetGranule = null;
                    h.Memory.HostWrite(src, new byte[4096]);
                }
            };
            ulong data = h.AllocDelegated();
            Ok(h.Call(F.DataCreate, rd, data, Ram, src, 1));
            Assert.Equal(content, h.Memory.Peek(data).ToArray());

            var model = new ReferenceRim(false);
            model.RealmCreate(0, 33, 0, 5, 3, 0);
            Assert.Equal(model.Rim, rimBefore);
            model.Data(Ram, content, measureContent: true);
            Assert.Equal(model.Rim, realm.GetMeasurement(0).ToArray());
        }

        [Fact]
        public void DataCreateUnknownKeepsTheRipas()
        {
            var h = new RmmHarness();
            ulong rd = h.CreateRealm();
            h.CreateRtts(rd, Ram, 3);
            ulong data = h.AllocDelegated();
            Ok(h.Call(F.DataCreateUnknown, rd, data, Ram));
            Assert.Equal(new RmiResult(0, 3, 1, data, (ulong)Ripas.Empty), h.Call(F.RttReadEntry, rd, Ram, 3));
            ulong table = h.Call(F.RttReadEntry, rd, Ram, 2).X3;
            Assert.Equal(data | S2tte.HipasAssigned, Entry(h, table, 0)); // invalid: the realm cannot access EMPTY
            Ok(h.Call(F.RttInitRipas, rd, Ram + 0x1000, Ram + 0x2000));
            ulong data2 = h.AllocDelegated();
            Ok(h.Call(F.DataCreateUnknown, rd, data2, Ram + 0x1000));
            Assert.Equal(new RmiResult(0, 3, 1, data2, (ulong)Ripas.Ram), h.Call(F.RttReadEntry, rd, Ram + 0x1000, 3));
            Assert.Equal(data2 | 0x7DB, Entry(h, table, 1));
        }

        [Fact]
        public void DataDestroyErrorsAndEffects()
        {
            var h = new RmmHarness();
            ulong rd = h.CreateRealm();
            h.CreateRtts(rd, Ram, 3);
            Ok(h.Call(F.RttInitRipas, rd, Ram, Ram + 0x2000));
            ulong src = h.WriteNsData(Enumerable.Repeat((byte)9, 4096).ToArray());
            ulong d0 = h.AllocDelegated(), d1 = h.AllocDelegated();
            Ok(h.Call(F.DataCreate, rd, d0, Ram, src, 1));
            Ok(h.Call(F.DataCreateUnknown, rd, d1, Ram + 0x5000));

            Status(h.Call(F.DataDestroy, h.AllocNs(), Ram), RmiStatus.ErrorInput);
            Status(h.Call(F.DataDestroy, rd, Ram + 0x10), RmiStatus.ErrorInput);
            Status(h.Call(F.DataDestroy, rd, Unprotected33), RmiStatus.ErrorInput);
            RmiResult r = h.Call(F.DataDestroy, rd, Ram + 0x20_0000);
            Status(r, RmiStatus.ErrorRtt, 2);
            r = h.Call(F.DataDestroy, rd, Ram + 0x1000);                         // UNASSIGNED RAM
            Status(r, RmiStatus.ErrorRtt, 3);
            Assert.Equal(Ram + 0x5000, r.X2);                                  // next live entry

            r = h.Call(F.DataDestroy, rd, Ram);
            Assert.Equal(new RmiResult(0, d0, Ram + 0x5000), r);
            Assert.Equal(GranuleState.Delegated, h.Rmm.GetGranuleState(d0));
            Assert.True(h.Memory.IsZero(d0));
            Assert.Equal(new RmiResult(0, 3, 0, 0, (ulong)Ripas.Destroyed), h.Call(F.RttReadEntry, rd, Ram, 3));

            r = h.Call(F.DataDestroy, rd, Ram + 0x5000);
            Assert.Equal(new RmiResult(0, d1, Ram + 0x20_0000), r);            // nothing live after it in the table
            Assert.Equal(new RmiResult(0, 3, 0, 0, (ulong)Ripas.Empty), h.Call(F.RttReadEntry, rd, Ram + 0x5000, 3));
        }

        [Fact]
        public void InitRipasErrorsAndMeasuresPerEntry()
        {
            var h = new RmmHarness();
            ulong rd = h.CreateRealm();
            Status(h.Call(F.RttInitRipas, rd, Ram, Ram), RmiStatus.ErrorInput);                     // empty range
            Status(h.Call(F.RttInitRipas, rd, Ram + 0x2000, Ram), RmiStatus.ErrorInput);
            Status(h.Call(F.RttInitRipas, h.AllocDelegated(), Ram, Ram + 0x1000), RmiStatus.ErrorInput);
            Status(h.Call(F.RttInitRipas, rd, Ram + 0x10, Ram + 0x1000), RmiStatus.ErrorInput);      // misaligned base
            Status(h.Call(F.RttInitRipas, rd, Ram, Ram + 0x1010), RmiStatus.ErrorInput);             // misaligned top
            Status(h.Call(F.RttInitRipas, rd, Unprotected33 - 0x1000, Unprotected33 + 0x1000), RmiStatus.ErrorInput);
            Status(h.Call(F.RttInitRipas, rd, Ram + 0x1000, Ram + 0x20_0000), RmiStatus.ErrorRtt, 2); // base inside a 2 MiB entry
            Status(h.Call(F.RttInitRipas, rd, Ram, Ram + 0x1000), RmiStatus.ErrorRtt, 2);             // smaller than the entry

            // Two 2 MiB entries and a partial third: progress stops before the entry that does not fit.
            RealmDescriptor realm = h.Rmm.FindRealm(rd)!;
            var model = new ReferenceRim(false);
            model.RealmCreate(0, 33, 0, 5, 3, 0);
            Assert.Equal(new RmiResult(0, Ram + 0x40_0000), h.Call(F.RttInitRipas, rd, Ram, Ram + 0x50_0000));
            model.Ripas(Ram, Ram + 0x20_0000);
            model.Ripas(Ram + 0x20_0000, Ram + 0x40_0000);
            Assert.Equal(model.Rim, realm.GetMeasurement(0).ToArray());

            // RAM entries are visited (and measured) again; an assigned entry stops the walk.
            h.CreateRtts(rd, Ram + 0x40_0000, 3);
            Ok(h.Call(F.DataCreateUnknown, rd, h.AllocDelegated(), Ram + 0x40_2000));
            Assert.Equal(new RmiResult(0, Ram + 0x40_2000), h.Call(F.RttInitRipas, rd, Ram + 0x40_0000, Ram + 0x50_0000));
            model.Ripas(Ram + 0x40_0000, Ram + 0x40_1000);
            model.Ripas(Ram + 0x40_1000, Ram + 0x40_2000);
            Assert.Equal(model.Rim, realm.GetMeasurement(0).ToArray());
            Status(h.Call(F.RttInitRipas, rd, Ram + 0x40_2000, Ram + 0x50_0000), RmiStatus.ErrorRtt, 3);
            Assert.Equal(new RmiResult(0, Ram + 0x20_0000), h.Call(F.RttInitRipas, rd, Ram, Ram + 0x20_0000));

            Ok(h.Call(F.RealmActivate, rd));
            Status(h.Call(F.RttInitRipas, rd, Ram, Ram + 0x20_0000), RmiStatus.ErrorRealm);
        }

        [Fact]
        public void SetRipasCompletesTheRecsRequest()
        {
            var h = new RmmHarness();
            ulong rd = h.CreateRealm();
            ulong other = h.CreateRealm();
            ulong recA = h.CreateRec(rd, 0);
            ulong recB = h.CreateRec(other, 0);
            h.CreateRtts(rd, Ram, 3);
            Ok(h.Call(F.RttInitRipas, rd, Ram, Ram + 0x4000));
            ulong d = h.AllocDelegated();
            Ok(h.Call(F.DataCreateUnknown, rd, d, Ram + 0x1000));   // ASSIGNED RAM
            Ok(h.Call(F.RealmActivate, rd));
            Rec rec = h.Rmm.FindRec(recA)!;
            rec.SetRipasBase = Ram;
            rec.SetRipasTop = Ram + 0x3000;
            rec.SetRipasValue = Ripas.Empty;

            Status(h.Call(F.RttSetRipas, rd, recA, Ram, Ram), RmiStatus.ErrorInput);
            Status(h.Call(F.RttSetRipas, rd, rd, Ram, Ram + 0x1000), RmiStatus.ErrorInput);
            Status(h.Call(F.RttSetRipas, rd, h.AllocDelegated(), Ram, Ram + 0x1000), RmiStatus.ErrorInput);
            Status(h.Call(F.RttSetRipas, h.AllocDelegated(), recA, Ram, Ram + 0x1000), RmiStatus.ErrorInput);
            Status(h.Call(F.RttSetRipas, rd, recB, Ram, Ram + 0x1000), RmiStatus.ErrorRec);          // other realm's REC
            Status(h.Call(F.RttSetRipas, rd, recA, Ram + 0x1000, Ram + 0x2000), RmiStatus.ErrorInput); // not the request's base
            Status(h.Call(F.RttSetRipas, rd, recA, Ram, Ram + 0x4000), RmiStatus.ErrorInput);        // beyond its top

            ulong table = h.Call(F.RttReadEntry, rd, Ram, 2).X3;
            Assert.Equal(new RmiResult(0, Ram + 0x3000), h.Call(F.RttSetRipas, rd, recA, Ram, Ram + 0x3000));
            Assert.Equal(Ram + 0x3000, rec.SetRipasBase);
            Assert.Equal(new RmiResult(0, 3, 0, 0, 0), h.Call(F.RttReadEntry, rd, Ram, 3));
            Assert.Equal(new RmiResult(0, 3, 1, d, 0), h.Call(F.RttReadEntry, rd, Ram + 0x1000, 3));
            Assert.Equal(d | S2tte.HipasAssigned, Entry(h, table, 1)); // no longer a valid mapping

            // Destroying ASSIGNED EMPTY data leaves UNASSIGNED EMPTY; destroying ASSIGNED RAM leaves DESTROYED.
            Ok(h.Call(F.DataDestroy, rd, Ram + 0x1000));
            Assert.Equal(new RmiResult(0, 3, 0, 0, (ulong)Ripas.Empty), h.Call(F.RttReadEntry, rd, Ram + 0x1000, 3));
            Ok(h.Call(F.DataCreateUnknown, rd, h.AllocDelegated(), Ram + 0x3000));
            Ok(h.Call(F.DataDestroy, rd, Ram + 0x3000));
            Assert.Equal(new RmiResult(0, 3, 0, 0, (ulong)Ripas.Destroyed), h.Call(F.RttReadEntry, rd, Ram + 0x3000, 3));

            // DESTROYED entries stop a request without CHANGE_DESTROYED.
            rec.SetRipasBase = Ram + 0x3000;
            rec.SetRipasTop = Ram + 0x4000;
            rec.SetRipasValue = Ripas.Ram;
            Status(h.Call(F.RttSetRipas, rd, recA, Ram + 0x3000, Ram + 0x4000), RmiStatus.ErrorRtt, 3);
            rec.SetRipasChangeDestroyed = true;
            Assert.Equal(new RmiResult(0, Ram + 0x4000), h.Call(F.RttSetRipas, rd, recA, Ram + 0x3000, Ram + 0x4000));
            Assert.Equal(new RmiResult(0, 3, 0, 0, (ulong)Ripas.Ram), h.Call(F.RttReadEntry, rd, Ram + 0x3000, 3));
        }

        [Fact]
        public void MapAndUnmapUnprotected()
        {
            var h = new RmmHarness();
            ulong rd = h.CreateRealm();
            ulong ns = Unprotected33;
            h.CreateRtts(rd, ns, 3);
            ulong hostPa = 0x9000_0000;
            ulong desc = hostPa | (5UL << 2) | (3UL << 6); // MemAttr + S2AP chosen by the host
            Status(h.Call(F.RttMapUnprotected, rd, ns, 0, desc), RmiStatus.ErrorInput);            // level 0
            Status(h.Call(F.RttMapUnprotected, rd, ns, 4, desc), RmiStatus.ErrorInput);
            Status(h.Call(F.RttMapUnprotected, h.AllocNs(), ns, 3, desc), RmiStatus.ErrorInput);
            Status(h.Call(F.RttMapUnprotected, rd, ns, 3, desc | 3), RmiStatus.ErrorInput);        // descriptor type bits
            Status(h.Call(F.RttMapUnprotected, rd, ns, 3, desc | (1UL << 10)), RmiStatus.ErrorInput); // AF is the RMM's
            Status(h.Call(F.RttMapUnprotected, rd, ns, 3, desc | (1UL << 54)), RmiStatus.ErrorInput);
            Status(h.Call(F.RttMapUnprotected, rd, ns, 3, hostPa | (4UL << 2)), RmiStatus.ErrorInput); // reserved MemAttr
            Status(h.Call(F.RttMapUnprotected, rd, ns, 2, desc + 0x1000), RmiStatus.ErrorInput);   // PA not 2 MiB aligned
            Status(h.Call(F.RttMapUnprotected, rd, ns + 8, 3, desc), RmiStatus.ErrorInput);
            Status(h.Call(F.RttMapUnprotected, rd, Ram, 3, desc), RmiStatus.ErrorInput);           // protected IPA
            Status(h.Call(F.RttMapUnprotected, rd, 1UL << 33, 3, desc), RmiStatus.ErrorInput);
            Status(h.Call(F.RttMapUnprotected, rd, ns + 0x20_0000, 3, desc), RmiStatus.ErrorRtt, 2);
            Status(h.Call(F.RttMapUnprotected, rd, ns, 2, hostPa & ~0x1F_FFFFUL), RmiStatus.ErrorRtt, 2); // a table is there

            Ok(h.Call(F.RttMapUnprotected, rd, ns, 3, desc));
            Status(h.Call(F.RttMapUnprotected, rd, ns, 3, desc), RmiStatus.ErrorRtt, 3);
            Assert.Equal(new RmiResult(0, 3, 1, desc, 0), h.Call(F.RttReadEntry, rd, ns, 3));
            ulong table = h.Call(F.RttReadEntry, rd, ns, 2).X3;
            ulong e = Entry(h, table, 0);
            Assert.Equal(desc | (1UL << 55) | (2UL << 53) | (1UL << 10) | (3UL << 8) | 3, e);

            // A 2 MiB block in the unprotected space.
            Ok(h.Call(F.RttMapUnprotected, rd, ns + 0x20_0000, 2, 0xA000_0000 | (3UL << 6)));
            Assert.Equal(new RmiResult(0, 2, 1, 0xA000_0000 | (3UL << 6), 0), h.Call(F.RttReadEntry, rd, ns + 0x20_0000, 2));

            Status(h.Call(F.RttUnmapUnprotected, rd, ns, 0), RmiStatus.ErrorInput);
            Status(h.Call(F.RttUnmapUnprotected, rd, Ram, 3), RmiStatus.ErrorInput);
            RmiResult r = h.Call(F.RttUnmapUnprotected, rd, ns + 0x1000, 3);
            Assert.Equal(RmiResult.Pack(RmiStatus.ErrorRtt, 3), r.X0);
            Assert.Equal(ns + 0x20_0000, r.X1);                                                   // nothing live after it
            Status(h.Call(F.RttUnmapUnprotected, rd, ns + 0x20_0000, 3), RmiStatus.ErrorRtt, 2);  // a block is there
            Assert.Equal(new RmiResult(0, ns + 0x20_0000), h.Call(F.RttUnmapUnprotected, rd, ns, 3));
            Assert.Equal(new RmiResult(0, 3, 0, 0, 0), h.Call(F.RttReadEntry, rd, ns, 3));
            Assert.Equal(S2tte.UnassignedNs, Entry(h, table, 0));
        }

        [Fact]
        public void FoldAndUnfoldAnAssignedBlock()
        {
            var h = new RmmHarness(granules: 2048);
            ulong rd = h.CreateRealm();
            h.CreateRtts(rd, Ram, 3);
            Ok(h.Call(F.RttInitRipas, rd, Ram, Ram + 0x20_0000));
            h.AlignNext(0x20_0000);
            ulong block = h.AllocDelegated(512);
            Assert.Equal(0UL, block % 0x20_0000);
            for (int i = 0; i < 512; i++)
            {
                Ok(h.Call(F.DataCreateUnknown, rd, block + ((ulong)i * 4096), Ram + ((ulong)i * 4096)));
            }

            Status(h.Call(F.RttFold, h.AllocNs(), Ram, 3), RmiStatus.ErrorInput);
            Status(h.Call(F.RttFold, rd, Ram, 2), RmiStatus.ErrorInput);
            Status(h.Call(F.RttFold, rd, Ram + 0x1000, 3), RmiStatus.ErrorInput);
            Status(h.Call(F.RttFold, rd, Ram + 0x20_0000, 3), RmiStatus.ErrorRtt, 2);   // not a table

            ulong rtt = h.Call(F.RttReadEntry, rd, Ram, 2).X3;
            RmiResult r = h.Call(F.RttFold, rd, Ram, 3);
            Assert.Equal(new RmiResult(0, rtt), r);
            Assert.Equal(GranuleState.Delegated, h.Rmm.GetGranuleState(rtt));
            Assert.True(h.Memory.IsZero(rtt));
            Assert.Equal(new RmiResult(0, 2, 1, block, (ulong)Ripas.Ram), h.Call(F.RttReadEntry, rd, Ram, 2));
            Status(h.Call(F.RealmDestroy, rd), RmiStatus.ErrorRealm);                    // the block keeps the root live
            Status(h.Call(F.DataDestroy, rd, Ram), RmiStatus.ErrorRtt, 2);

            // Unfold: a new level-3 table with 512 assigned pages; then the data can go.
            ulong rtt2 = h.AllocDelegated();
            Ok(h.Call(F.RttCreate, rd, rtt2, Ram, 3));
            Assert.Equal(new RmiResult(0, 3, 1, block + 0x5000, (ulong)Ripas.Ram), h.Call(F.RttReadEntry, rd, Ram + 0x5000, 3));
            Ok(h.Call(F.DataDestroy, rd, Ram + 0x5000));

            // Mixed table: cannot fold.
            Status(h.Call(F.RttFold, rd, Ram, 3), RmiStatus.ErrorRtt, 3);
        }

        [Fact]
        public void FoldUniformUnassignedAndUnprotectedTables()
        {
            var h = new RmmHarness();
            ulong rd = h.CreateRealm(DefaultParams(40, 1));
            h.CreateRtts(rd, Ram, 3);
            Ok(h.Call(F.RttInitRipas, rd, Ram, Ram + 0x20_0000));
            ulong l3 = h.Call(F.RttReadEntry, rd, Ram, 2).X3;
            Assert.Equal(new RmiResult(0, l3), h.Call(F.RttFold, rd, Ram, 3));
            Assert.Equal(new RmiResult(0, 2, 0, 0, (ulong)Ripas.Ram), h.Call(F.RttReadEntry, rd, Ram, 2));

            // Unprotected: 512 contiguous pages with equal attributes fold into a block ...
            ulong ns = 1UL << 39;
            h.CreateRtts(rd, ns, 3);
            ulong attrs = 5UL << 2;
            for (int i = 0; i < 512; i++)
            {
                Ok(h.Call(F.RttMapUnprotected, rd, ns + ((ulong)i * 4096), 3, 0xC000_0000 + ((ulong)i * 4096) | attrs));
            }

            Ok(h.Call(F.RttFold, rd, ns, 3));
            Assert.Equal(new RmiResult(0, 2, 1, 0xC000_0000 | attrs, 0), h.Call(F.RttReadEntry, rd, ns, 2));
            // ... and 512 such blocks into a 1 GiB block.
            for (int i = 1; i < 512; i++)
            {
                Ok(h.Call(F.RttMapUnprotected, rd, ns + ((ulong)i * 0x20_0000), 2, 0xC000_0000 + ((ulong)i * 0x20_0000) | attrs));
            }

            Ok(h.Call(F.RttFold, rd, ns, 2));
            Assert.Equal(new RmiResult(0, 1, 1, 0xC000_0000 | attrs, 0), h.Call(F.RttReadEntry, rd, ns, 1));
        }

        [Fact]
        public void NoBlocksAtLevelZero()
        {
            var h = new RmmHarness();
            ulong rd = h.CreateRealm(DefaultParams(48, 0));
            ulong ns = 1UL << 47;
            h.CreateRtts(rd, ns, 1);
            for (int i = 0; i < 512; i++)
            {
                Ok(h.Call(F.RttMapUnprotected, rd, ns + ((ulong)i << 30), 1, ((ulong)i << 30) | (3UL << 6)));
            }

            Status(h.Call(F.RttFold, rd, ns, 1), RmiStatus.ErrorRtt, 0);
            Status(h.Call(F.RttMapUnprotected, rd, ns, 0, 0), RmiStatus.ErrorInput);
        }
    }
}
