using System.Buffers.Binary;
using System.Reflection;
using Capvisor.Firmware.Rmm;
using F = Capvisor.Firmware.Rmm.RmiFunctionId;

namespace Capvisor.Firmware.Tests.Rmm
{
    /// <summary>
    /// Random RMI command sequences from a hostile host. After every command: every granule is in
    /// exactly one state and the GPT agrees with it; unused realm granules are zero; RD refcounts
    /// count RECs; RTT refcounts count live children; every RTT and DATA granule is reachable
    /// from exactly one place; the host can read no granule that is not Non-secure.
    /// </summary>
    public class RmmPropertyTests
    {
        private const int Granules = 256;
        private const int Steps = 500;

        // Weighted so that realms live long enough to be populated, run and torn down.
        private static readonly uint[] Commands = new (uint Fid, int Weight)[]
        {
            (F.GranuleDelegate, 8), (F.GranuleUndelegate, 1),
            (F.RealmCreate, 3), (F.RealmActivate, 1), (F.RealmDestroy, 1),
            (F.RecCreate, 3), (F.RecDestroy, 1), (F.RecEnter, 2), (F.RecAuxCount, 1), (F.PsciComplete, 2),
            (F.RttCreate, 8), (F.RttDestroy, 2), (F.RttFold, 2), (F.RttReadEntry, 2),
            (F.RttMapUnprotected, 4), (F.RttUnmapUnprotected, 2), (F.RttInitRipas, 5), (F.RttSetRipas, 3),
            (F.DataCreate, 6), (F.DataCreateUnknown, 5), (F.DataDestroy, 3),
            (F.Version, 1), (F.Features, 1), (0xC4000156, 1),
        }.SelectMany(c => Enumerable.Repeat(c.Fid, c.Weight)).ToArray();

        private static readonly (int S2sz, int Sl)[] Geometries = [(33, 2), (32, 1), (32, 2)];

        private static readonly ulong[] BaseIpas =
        [
            0, 0x1000, 0x2000, 0x1F_F000, 0x20_0000, 0x20_1000, 0x40_0000, 0x4000_0000,
            0x8000_0000, 0x8000_1000, 0x8020_0000, 0x7FFF_F000, 0xC000_0000, 0x1_0000_0000, 0x1_0000_1000,
            0x1_0020_0000, 0x1_8000_0000, 0x1_FFFF_F000, 0x2_0000_0000, 0x123,
        ];

        public static IEnumerable<object[]> Seeds() => Enumerable.Range(1, 24).Select(s => new object[] { s });

        [Theory]
        [MemberData(nameof(Seeds))]
        public void RandomCommandSequencesKeepTheInvariants(int seed)
        {
            var rng = new Random(seed);
            var h = new RmmHarness(Granules, new RmmFeatures { RecAuxCount = 2 });
            var all = h.Memory.Granules().ToArray();
            var log = new List<string>();
            for (int step = 0; step < Steps; step++)
            {
                uint fid = Commands[rng.Next(Commands.Length)];
                string what;
                try
                {
                    what = Issue(h, rng, all, fid);
                }
                catch (Exception e)
                {
                    throw new Xunit.Sdk.XunitException($"seed {seed} step {step}: {e}\n{string.Join("\n", log.TakeLast(15))}");
                }

                log.Add(what);
                string? broken = CheckInvariants(h, all);
                if (broken != null)
                {
                    Assert.Fail($"seed {seed} step {step}: {broken}\n{string.Join("\n", log.TakeLast(15))}");
                }
            }
        }

        private static T Pick<T>(Random rng, IReadOnlyList<T> items) => items[rng.Next(items.Count)];

        private static ulong AnyPa(Random rng, ulong[] all) => rng.Next(12) switch
        {
            0 => 0x1000,
            1 => all[^1] + 0x1000,
            2 => Pick(rng, all) + 8,
            3 => 1UL << 48,
            _ => Pick(rng, all),
        };

        private static ulong InState(RmmHarness h, Random rng, ulong[] all, GranuleState state)
        {
            var c = state == GranuleState.NonSecure
                ? all.Where(pa => h.Rmm.GetGranuleState(pa) == GranuleState.NonSecure).ToList()
                : h.Rmm.SnapshotGranules().Where(g => g.State == state).Select(g => g.Pa).ToList();
            return c.Count > 0 && rng.Next(8) != 0 ? Pick(rng, c) : AnyPa(rng, all);
        }

        /// <summary>
        /// An IPA near one of a few hot spots of <paramref name="rd"/>'s IPA space (start of RAM, an
        /// odd region, the unprotected half), aligned to <paramref name="level"/> most of the time, so
        /// that commands build on each other.
        /// </summary>
        private static ulong Ipa(RmmHarness h, Random rng, ulong rd, int level)
        {
            if (rng.Next(10) == 0)
            {
                return Pick(rng, BaseIpas);
            }

            int bits = h.Rmm.FindRealm(rd)?.IpaBits ?? 33;
            ulong[] hot = [0, 0x8000_0000 % (1UL << (bits - 1)), 0x4000_0000, 1UL << (bits - 1)];
            ulong size = 1UL << (((3 - Math.Clamp(level, 0, 3)) * 9) + 12);
            ulong ipa = Pick(rng, hot) + ((ulong)rng.Next(3) * size);
            return rng.Next(8) == 0 ? ipa + ((ulong)rng.Next(1, 8) * 0x1000) : ipa;
        }

        private static ulong Level(Random rng) => rng.Next(8) switch
        {
            0 => (ulong)rng.Next(5),
            1 or 2 => 2,
            _ => 3,
        };

        private static ulong NsScratch(RmmHarness h, Random rng, ulong[] all)
        {
            var ns = all.Where(pa => h.Rmm.GetGranuleState(pa) == GranuleState.NonSecure).ToList();
            return ns.Count > 0 ? Pick(rng, ns) : 0;
        }

        /// <summary>Like a KVM host: RTT_CREATE down to level 3 for <paramref name="ipa"/>, stopping at the first failure.</summary>
        private static void TryBuildTables(RmmHarness h, Random rng, ulong[] all, ulong rd, ulong ipa)
        {
            for (int guard = 0; guard < 4; guard++)
            {
                RmiResult r = h.Call(F.RttReadEntry, rd, ipa & ~0xFFFUL, 3);
                if (r.Status != RmiStatus.Success || r.X1 >= 3)
                {
                    return;
                }

                ulong rtt = InState(h, rng, all, GranuleState.Delegated);
                ulong level = r.X1 + 1;
                ulong parentSize = 1UL << (((3 - (int)r.X1) * 9) + 12);
                if (h.Call(F.RttCreate, rd, rtt, ipa & ~(parentSize - 1), level).Status != RmiStatus.Success)
                {
                    return;
                }
            }
        }

        private static string Issue(RmmHarness h, Random rng, ulong[] all, uint fid)
        {
            ulong Rd() => InState(h, rng, all, GranuleState.Rd);
            ulong RdNew()
            {
                var fresh = h.Rmm.SnapshotRealms().Where(r => r.State == RealmState.New).ToList();
                return fresh.Count > 0 && rng.Next(4) != 0 ? Pick(rng, fresh).Address : Rd();
            }

            ulong Rec() => InState(h, rng, all, GranuleState.Rec);
            ulong Del() => InState(h, rng, all, GranuleState.Delegated);
            ulong[] a = new ulong[5];
            switch (fid)
            {
                case F.GranuleDelegate:
                    a[0] = InState(h, rng, all, GranuleState.NonSecure);
                    break;
                case F.GranuleUndelegate:
                    a[0] = rng.Next(3) == 0 ? AnyPa(rng, all) : Del();
                    break;
                case F.RealmCreate:
                {
                    ulong pp = NsScratch(h, rng, all);
                    if (pp == 0)
                    {
                        return "no NS granule for params";
                    }

                    (int s2sz, int sl) = Pick(rng, Geometries);
                    RealmParams p = RmmHarness.DefaultParams(s2sz, sl, rng.Next(2) == 0 ? MeasurementAlgorithm.Sha256 : MeasurementAlgorithm.Sha512);
                    p.Vmid = (ushort)rng.Next(4);
                    p.RttBase = Del();
                    if (rng.Next(6) == 0)
                    {
                        p.NumBps = (uint)rng.Next(8);
                    }

                    byte[] buf = new byte[4096];
                    p.Write(buf);
                    h.Memory.HostWrite(pp, buf);
                    a[0] = Del();
                    a[1] = rng.Next(10) == 0 ? AnyPa(rng, all) : pp;
                    break;
                }

                case F.RealmActivate:
                    // Realms being populated stay NEW most of the time.
                    a[0] = rng.Next(3) == 0 ? Rd() : AnyPa(rng, all);
                    break;
                case F.RealmDestroy:
                case F.RecAuxCount:
                    a[0] = Rd();
                    break;
                case F.RecCreate:
                {
                    ulong recRd = RdNew();
                    ulong pp = NsScratch(h, rng, all);
                    if (pp == 0)
                    {
                        return "no NS granule for REC params";
                    }

                    var p = new RecParams
                    {
                        Flags = (ulong)rng.Next(2),
                        Mpidr = (ulong)rng.Next(3),
                        Pc = (ulong)rng.Next(4) * 0x1000,
                        NumAux = rng.Next(8) == 0 ? (ulong)rng.Next(4) : 2,
                    };
                    p.Aux[0] = Del();
                    p.Aux[1] = Del();
                    byte[] buf = new byte[4096];
                    p.Write(buf);
                    h.Memory.HostWrite(pp, buf);
                    a[0] = recRd;
                    a[1] = Del();
                    a[2] = pp;
                    break;
                }

                case F.RecDestroy:
                    a[0] = Rec();
                    break;
                case F.RecEnter:
                    a[0] = Rec();
                    a[1] = rng.Next(4) == 0 ? AnyPa(rng, all) : NsScratch(h, rng, all);
                    break;
                case F.PsciComplete:
                {
                    a[0] = Rec();
                    a[1] = Rec();
                    if (h.Rmm.FindRec(a[0]) is { } caller && h.Rmm.FindRec(a[1]) is { } target && rng.Next(2) == 0)
                    {
                        caller.PsciPending = true;
                        caller.Gprs[0] = rng.Next(2) == 0 ? 0xC4000003UL : 0x84000004UL;
                        caller.Gprs[1] = target.MpidrEl1;
                    }

                    a[2] = rng.Next(3) == 0 ? unchecked((ulong)-3L) : 0;
                    break;
                }

                case F.RttCreate:
                    a[0] = Rd();
                    a[1] = Del();
                    a[3] = Level(rng);
                    a[2] = Ipa(h, rng, a[0], (int)a[3] - 1);
                    break;
                case F.RttDestroy:
                case F.RttFold:
                    a[0] = Rd();
                    a[2] = Level(rng);
                    a[1] = Ipa(h, rng, a[0], (int)a[2] - 1);
                    break;
                case F.RttReadEntry:
                case F.RttUnmapUnprotected:
                case F.DataDestroy:
                    a[0] = Rd();
                    a[2] = Level(rng);
                    a[1] = Ipa(h, rng, a[0], (int)a[2]);
                    break;
                case F.RttMapUnprotected:
                    a[0] = Rd();
                    a[2] = Level(rng);
                    a[1] = Ipa(h, rng, a[0], (int)a[2]);
                    a[3] = ((ulong)rng.Next(16) << 21) | (rng.Next(4) == 0 ? (ulong)rng.Next(1 << 12) : (3UL << 6) | (5UL << 2));
                    break;
                case F.RttInitRipas:
                    a[0] = RdNew();
                    a[1] = Ipa(h, rng, a[0], rng.Next(2, 4));
                    a[2] = a[1] + (rng.Next(2) == 0 ? (ulong)rng.Next(1, 1200) * 0x1000 : (ulong)rng.Next(1, 4) * 0x20_0000);
                    break;
                case F.RttSetRipas:
                {
                    a[0] = Rd();
                    a[1] = Rec();
                    a[2] = Ipa(h, rng, a[0], 3);
                    a[3] = a[2] + ((ulong)rng.Next(1, 600) * 0x1000);
                    if (h.Rmm.FindRec(a[1]) is { } rec && rng.Next(3) != 0)
                    {
                        rec.SetRipasBase = a[2];
                        rec.SetRipasTop = a[3];
                        rec.SetRipasValue = (Ripas)rng.Next(2);
                        rec.SetRipasChangeDestroyed = rng.Next(2) == 0;
                    }

                    break;
                }

                case F.DataCreate:
                {
                    ulong src = NsScratch(h, rng, all);
                    if (src != 0)
                    {
                        byte[] content = new byte[4096];
                        rng.NextBytes(content);
                        h.Memory.HostWrite(src, content);
                    }

                    a[0] = RdNew();
                    a[1] = Del();
                    a[2] = Ipa(h, rng, a[0], 3);
                    a[3] = rng.Next(6) == 0 ? AnyPa(rng, all) : src;
                    a[4] = rng.Next(10) == 0 ? 2UL : (ulong)rng.Next(2);
                    break;
                }

                case F.DataCreateUnknown:
                    a[0] = Rd();
                    a[1] = Del();
                    a[2] = Ipa(h, rng, a[0], 3);
                    break;
                default:
                    a[0] = rng.Next(2) == 0 ? 0x10000UL : (ulong)rng.Next(3);
                    break;
            }

            if (fid is F.DataCreate or F.DataCreateUnknown && rng.Next(2) == 0)
            {
                TryBuildTables(h, rng, all, a[0], a[2]);
            }

            RmiResult r = h.Call(fid, a[0], a[1], a[2], a[3], a[4]);
            return $"{fid:x}({string.Join(", ", a.Select(x => x.ToString("x")))}) -> {r}";
        }

        private static string? CheckInvariants(RmmHarness h, ulong[] all)
        {
            var states = h.Rmm.SnapshotGranules().ToDictionary(g => g.Pa, g => (g.State, g.RefCount));
            foreach (ulong pa in states.Keys)
            {
                if (!h.Memory.IsRam(pa))
                {
                    return $"state for non-RAM 0x{pa:x}";
                }
            }

            foreach (ulong pa in all)
            {
                GranuleState s = states.TryGetValue(pa, out var g) ? g.State : GranuleState.NonSecure;
                GranulePas expected = s == GranuleState.NonSecure ? GranulePas.NonSecure : GranulePas.Realm;
                if (h.Memory.GetPas(pa) != expected)
                {
                    return $"0x{pa:x} is {s} but PAS {h.Memory.GetPas(pa)}";
                }

                if (s != GranuleState.NonSecure)
                {
                    try
                    {
                        h.Memory.HostRead(pa);
                        return $"host read {s} granule 0x{pa:x}";
                    }
                    catch (GranuleProtectionFault)
                    {
                    }
                }

                if (s is GranuleState.Delegated or GranuleState.Rd or GranuleState.Rec or GranuleState.RecAux && !h.Memory.IsZero(pa))
                {
                    return $"{s} granule 0x{pa:x} not zero";
                }

                if (s is GranuleState.Delegated or GranuleState.Data or GranuleState.RecAux && g.RefCount != 0)
                {
                    return $"{s} granule 0x{pa:x} has refcount {g.RefCount}";
                }
            }

            var realms = h.Rmm.SnapshotRealms();
            var recs = h.Rmm.SnapshotRecs();
            if (realms.Select(r => r.Vmid).Distinct().Count() != realms.Count)
            {
                return "VMID shared";
            }

            if (states.Count(s => s.Value.State == GranuleState.Rd) != realms.Count
                || states.Count(s => s.Value.State == GranuleState.Rec) != recs.Count
                || states.Count(s => s.Value.State == GranuleState.RecAux) != recs.Sum(r => r.AuxGranules.Count))
            {
                return "RD/REC/REC_AUX granules do not match the objects";
            }

            foreach (Rec rec in recs)
            {
                if (states[rec.Address].State != GranuleState.Rec || rec.AuxGranules.Any(a => states[a].State != GranuleState.RecAux)
                    || !realms.Contains(rec.Realm) || rec.Index >= rec.Realm.RecCount)
                {
                    return $"REC 0x{rec.Address:x} inconsistent";
                }
            }

            var seenRtt = new HashSet<ulong>();
            var seenData = new HashSet<ulong>();
            foreach (RealmDescriptor rd in realms)
            {
                if (states[rd.Address].State != GranuleState.Rd || states[rd.Address].RefCount != recs.Count(r => r.Realm == rd))
                {
                    return $"RD 0x{rd.Address:x} refcount {states[rd.Address].RefCount} vs RECs";
                }

                ulong ipa = 0;
                for (int t = 0; t < rd.RootRttCount; t++)
                {
                    ulong root = rd.RootRttBase + ((ulong)t * 4096);
                    string? e = CheckTable(h, states, rd, root, rd.StartLevel, ipa, seenRtt, seenData);
                    if (e != null)
                    {
                        return e;
                    }

                    ipa += 512 * (1UL << (((3 - rd.StartLevel) * 9) + 12));
                }
            }

            if (states.Count(s => s.Value.State == GranuleState.Rtt) != seenRtt.Count)
            {
                return "unreachable RTT granule";
            }

            if (states.Count(s => s.Value.State == GranuleState.Data) != seenData.Count)
            {
                return "unreachable DATA granule";
            }

            return null;
        }

        private static string? CheckTable(RmmHarness h, Dictionary<ulong, (GranuleState State, int RefCount)> states, RealmDescriptor rd,
            ulong table, int level, ulong baseIpa, HashSet<ulong> seenRtt, HashSet<ulong> seenData)
        {
            if (!states.TryGetValue(table, out var g) || g.State != GranuleState.Rtt || !seenRtt.Add(table))
            {
                return $"RTT 0x{table:x} at level {level} not an RTT or reached twice";
            }

            ulong size = 1UL << (((3 - level) * 9) + 12);
            int live = 0;
            ReadOnlySpan<byte> t = h.Memory.Peek(table);
            for (int i = 0; i < 512; i++)
            {
                ulong ipa = baseIpa + ((ulong)i * size);
                if (ipa >= rd.IpaSize)
                {
                    break;
                }

                ulong e = BinaryPrimitives.ReadUInt64LittleEndian(t[(i * 8)..]);
                bool ns = (e & (1UL << 55)) != 0;
                bool isTable = level < 3 && (e & 3) == 3;
                if (isTable)
                {
                    live++;
                    string? err = CheckTable(h, states, rd, e & 0xFFFF_FFFF_F000, level + 1, ipa, seenRtt, seenData);
                    if (err != null)
                    {
                        return err;
                    }

                    continue;
                }

                if (rd.InPar(ipa) == ns)
                {
                    return $"entry {e:x} for IPA {ipa:x} has the wrong NS bit";
                }

                bool valid = (e & 3) != 0;
                bool assignedInvalid = !valid && ((e >> 2) & 7) == 1;
                if (!ns && (valid || assignedInvalid))
                {
                    live++;
                    ulong pa = e & 0xFFFF_FFFF_F000 & ~(size - 1);
                    for (ulong off = 0; off < size; off += 4096)
                    {
                        if (!states.TryGetValue(pa + off, out var d) || d.State != GranuleState.Data || !seenData.Add(pa + off))
                        {
                            return $"DATA 0x{pa + off:x} mapped at {ipa:x} is not DATA or mapped twice";
                        }
                    }
                }
            }

            if (g.RefCount != live)
            {
                return $"RTT 0x{table:x} refcount {g.RefCount} but {live} live children";
            }

            return null;
        }

        [Fact]
        public void TheMonitorHandsOutNoMemory()
        {
            Type[] forbidden = [typeof(Span<byte>), typeof(ReadOnlySpan<byte>), typeof(Memory<byte>), typeof(byte[]),
                typeof(IPhysicalGranules), typeof(RealmDescriptor), typeof(Rec)];
            foreach (MemberInfo m in typeof(RealmManagementMonitor).GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static))
            {
                Type? t = m switch
                {
                    MethodInfo mi => mi.ReturnType,
                    PropertyInfo pi => pi.PropertyType,
                    FieldInfo fi => fi.FieldType,
                    _ => null,
                };
                Assert.DoesNotContain(t, forbidden);
            }
        }
    }
}
