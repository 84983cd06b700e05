using Capvisor.Firmware.Rmm;
using F = Capvisor.Firmware.Rmm.RmiFunctionId;

namespace Capvisor.Firmware.Tests.Rmm
{
    /// <summary>
    /// The RMI sequence KVM issues for kvmtool-cca (cca-interfaces.md §2.7; KVM <c>rme.c</c>):
    /// REALM_CREATE, RTT_INIT_RIPAS over RAM creating RTTs where the walk stops too high,
    /// DATA_CREATE of every loaded blob rounded to 64 KiB, REC_CREATE per vCPU (only vCPU 0
    /// runnable), REALM_ACTIVATE; and the teardown in reverse.
    /// </summary>
    public sealed class KvmtoolHost
    {
        public const ulong PopulateAlign = 64 * 1024;

        private readonly RmmHarness _h;
        private readonly List<ulong> _recs = new();
        private readonly List<(ulong Ipa, int Level)> _rtts = new();
        private readonly List<ulong> _data = new();

        public KvmtoolHost(RmmHarness harness) => _h = harness;

        public ulong Rd { get; private set; }

        public int IpaBits { get; private set; }

        public int StartLevel { get; private set; }

        public IReadOnlyList<ulong> Recs => _recs;

        public IReadOnlyList<ulong> DataIpas => _data;

        public static int KvmStartLevel(int ipaBits) => 4 - ((ipaBits - 8) / 9);

        public void CreateRealm(int ipaBits, MeasurementAlgorithm algorithm, byte[]? rpv = null)
        {
            IpaBits = ipaBits;
            StartLevel = KvmStartLevel(ipaBits);
            RealmParams p = RmmHarness.DefaultParams(ipaBits, StartLevel, algorithm);
            rpv?.CopyTo(p.Rpv, 0);
            Rd = _h.CreateRealm(p);
            Assert.Equal(16UL, _h.Call(F.RecAuxCount, Rd).X1);
        }

        private static ulong Size(int level) => 1UL << (((3 - level) * 9) + 12);

        /// <summary>KVM <c>find_map_level</c>: the largest block level that maps the start of [addr, end).</summary>
        private int MapLevel(ulong addr, ulong end)
        {
            for (int level = Math.Max(StartLevel, 1); level < 3; level++)
            {
                ulong s = Size(level);
                if (addr % s == 0 && end - addr >= s)
                {
                    return level;
                }
            }

            return 3;
        }

        private void CreateRtt(ulong ipa, int level)
        {
            ulong rtt = _h.AllocDelegated();
            RmmHarness.Ok(_h.Call(F.RttCreate, Rd, rtt, ipa & ~(Size(level - 1) - 1), (ulong)level));
            _rtts.Add((ipa & ~(Size(level - 1) - 1), level));
        }

        public void InitRipas(ulong baseIpa, ulong topIpa)
        {
            ulong addr = baseIpa;
            while (addr < topIpa)
            {
                RmiResult r = _h.Call(F.RttInitRipas, Rd, addr, topIpa);
                if (r.Status == RmiStatus.ErrorRtt)
                {
                    int want = MapLevel(addr, topIpa);
                    Assert.True(r.Index < want, $"walk stopped at {r.Index}, wanted {want}");
                    CreateRtt(addr, r.Index + 1);
                    continue;
                }

                RmmHarness.Ok(r);
                Assert.True(r.X1 > addr);
                addr = r.X1;
            }
        }

        /// <summary>Populates [ipa, ipa + content.Length) rounded out to 64 KiB, measured; returns the granules' contents.</summary>
        public List<(ulong Ipa, byte[] Granule)> Populate(ulong ipa, ReadOnlySpan<byte> content)
        {
            ulong start = ipa & ~(PopulateAlign - 1);
            ulong end = (ipa + (ulong)content.Length + PopulateAlign - 1) & ~(PopulateAlign - 1);
            var measured = new List<(ulong, byte[])>();
            for (ulong g = start; g < end; g += 4096)
            {
                byte[] granule = new byte[4096];
                for (int i = 0; i < 4096; i++)
                {
                    long off = (long)(g + (ulong)i) - (long)ipa;
                    if (off >= 0 && off < content.Length)
                    {
                        granule[i] = content[(int)off];
                    }
                }

                ulong src = _h.WriteNsData(granule);
                ulong data = _h.AllocDelegated();
                RmiResult r = _h.Call(F.DataCreate, Rd, data, g, src, RealmMeasurement.MeasureContent);
                if (r.Status == RmiStatus.ErrorRtt)
                {
                    for (int level = r.Index + 1; level <= 3; level++)
                    {
                        CreateRtt(g, level);
                    }

                    r = _h.Call(F.DataCreate, Rd, data, g, src, RealmMeasurement.MeasureContent);
                }

                RmmHarness.Ok(r);
                _data.Add(g);
                measured.Add((g, granule));
            }

            return measured;
        }

        public RecParams CreateRecs(int vcpus, ulong pc, ulong dtb)
        {
            RecParams? first = null;
            for (int i = 0; i < vcpus; i++)
            {
                RecParams p = _h.RecParamsFor((ulong)i, runnable: i == 0, pc: i == 0 ? pc : 0);
                if (i == 0)
                {
                    p.Gprs[0] = dtb;
                    first = p;
                }

                ulong rec = _h.AllocDelegated();
                RmmHarness.Ok(_h.Call(F.RecCreate, Rd, rec, _h.WriteRecParams(p)));
                _recs.Add(rec);
            }

            return first!;
        }

        public void Activate() => RmmHarness.Ok(_h.Call(F.RealmActivate, Rd));

        /// <summary>KVM's teardown: DATA, RECs, RTTs deepest first, the realm; returns every granule it gets back.</summary>
        public List<ulong> Destroy()
        {
            var freed = new List<ulong>();
            foreach (ulong ipa in _data)
            {
                RmiResult r = _h.Call(F.DataDestroy, Rd, ipa);
                RmmHarness.Ok(r);
                freed.Add(r.X1);
            }

            foreach (ulong rec in _recs)
            {
                RmmHarness.Ok(_h.Call(F.RecDestroy, rec));
                freed.Add(rec);
            }

            foreach ((ulong ipa, int level) in _rtts.OrderByDescending(t => t.Level))
            {
                RmiResult r = _h.Call(F.RttDestroy, Rd, ipa, (ulong)level);
                RmmHarness.Ok(r);
                freed.Add(r.X1);
            }

            RmmHarness.Ok(_h.Call(F.RealmDestroy, Rd));
            freed.Add(Rd);
            return freed;
        }
    }
}
