using Capvisor.Firmware.Rmm;
using F = Capvisor.Firmware.Rmm.RmiFunctionId;

namespace Capvisor.Firmware.Hypervisor
{
    /// <summary>
    /// The RMI sequence KVM issues for kvmtool-cca (cca-interfaces.md §2.7; KVM <c>rme.c</c>),
    /// through an <see cref="IRmiChannel"/> only: REALM_CREATE (+ REC_AUX_COUNT), RTT_INIT_RIPAS
    /// over RAM creating RTTs where the walk stops above the largest aligned block, DATA_CREATE of
    /// every loaded blob rounded out to 64 KiB (measured), REC_CREATE per vCPU (only vCPU 0
    /// runnable), REALM_ACTIVATE; after activation DATA_CREATE_UNKNOWN for faulting RAM and
    /// RTT_SET_RIPAS for the realm's RIPAS requests; and the teardown in reverse.
    /// </summary>
    /// <remarks>
    /// The host cannot read the RIM through RMI. It computes the value it expects
    /// (<see cref="ExpectedRim"/>) from what it asked for, as veraison/cca-realm-measurements
    /// does from a VMM's command line; the realm reads the RMM's own value with
    /// RSI_MEASUREMENT_READ, and the two must agree.
    /// </remarks>
    public sealed class RealmBuilder
    {
        /// <summary>kvmtool-cca populates regions in 64 KiB units.</summary>
        public const ulong PopulateAlign = 64 * 1024;

        private const ulong Granule = RealmManagementMonitor.GranuleSize;

        private readonly IRmiChannel _rmi;
        private readonly IHostMemory _host;
        private readonly List<ulong> _recs = new();
        private readonly List<ulong[]> _recAux = new();
        private readonly List<(ulong Ipa, int Level, ulong Pa)> _rtts = new();
        private readonly HashSet<(int Level, ulong Ipa)> _rttIndex = new();
        private readonly List<ulong> _data = new();
        private readonly List<ulong> _roots = new();
        private readonly List<ulong> _unprotected = new();
        private readonly byte[] _rim = new byte[RealmMeasurement.SlotSize];
        private int _auxCount;

        /// <summary>Creates the builder over <paramref name="rmi"/> with granules from <paramref name="host"/>.</summary>
        public RealmBuilder(IRmiChannel rmi, IHostMemory host)
        {
            _rmi = rmi;
            _host = host;
        }

        /// <summary>The realm descriptor's address (0 before <see cref="CreateRealm"/>).</summary>
        public ulong Rd { get; private set; }

        /// <summary>IPA width of the realm.</summary>
        public int IpaBits { get; private set; }

        /// <summary>Level of the root RTTs (KVM's choice for the IPA width).</summary>
        public int StartLevel { get; private set; }

        /// <summary>Measurement algorithm of the realm.</summary>
        public MeasurementAlgorithm Algorithm { get; private set; }

        /// <summary>The REC granules, in vCPU order.</summary>
        public IReadOnlyList<ulong> Recs => _recs;

        /// <summary>IPAs of every DATA granule the host created, in creation order.</summary>
        public IReadOnlyList<ulong> DataIpas => _data;

        /// <summary>The RIM the host expects from the commands it issued so far.</summary>
        public ReadOnlySpan<byte> ExpectedRim => _rim.AsSpan(0, RealmMeasurement.HashSize(Algorithm));

        /// <summary>Base of the unprotected IPA half (the top IPA bit).</summary>
        public ulong UnprotectedBase => 1UL << (IpaBits - 1);

        /// <summary>KVM <c>get_start_level</c>.</summary>
        public static int KvmStartLevel(int ipaBits) => 4 - ((ipaBits - 8) / 9);

        /// <summary>Bytes mapped by one entry of an RTT at <paramref name="level"/>.</summary>
        public static ulong EntrySize(int level) => 1UL << (((3 - level) * 9) + 12);

        private static void Ok(string command, RmiResult r)
        {
            if (r.Status != RmiStatus.Success)
            {
                throw new RealmHostException(command, r);
            }
        }

        /// <summary>A fresh host granule, delegated to the Realm world.</summary>
        public ulong AllocateDelegated()
        {
            ulong pa = _host.AllocateGranule();
            RmiResult r = _rmi.Call(F.GranuleDelegate, pa);
            if (r.Status != RmiStatus.Success)
            {
                _host.FreeGranule(pa);
                throw new RealmHostException("GRANULE_DELEGATE", r);
            }

            return pa;
        }

        private void Release(ulong pa)
        {
            Ok("GRANULE_UNDELEGATE", _rmi.Call(F.GranuleUndelegate, pa));
            _host.FreeGranule(pa);
        }

        /// <summary>Writes a parameter block into a host granule, runs <paramref name="call"/> with its address, frees it.</summary>
        private RmiResult WithBlock(ReadOnlySpan<byte> block, Func<ulong, RmiResult> call)
        {
            ulong pa = _host.AllocateGranule();
            try
            {
                _host.Write(pa, block);
                return call(pa);
            }
            finally
            {
                _host.FreeGranule(pa);
            }
        }

        /// <summary>REALM_CREATE with a fresh RD and root RTTs, then REC_AUX_COUNT.</summary>
        public void CreateRealm(RealmConfig config)
        {
            if (Rd != 0)
            {
                throw new InvalidOperationException("the realm exists already");
            }

            if (config.Rpv.Length > RealmParams.RpvSize)
            {
                throw new ArgumentException($"the RPV is at most {RealmParams.RpvSize} bytes", nameof(config));
            }

            IpaBits = config.IpaBits;
            StartLevel = KvmStartLevel(config.IpaBits);
            Algorithm = config.Algorithm;
            int resolved = ((3 - StartLevel) * 9) + 12 + 9;
            uint rootCount = resolved >= IpaBits ? 1u : 1u << (IpaBits - resolved);
            var p = new RealmParams
            {
                S2sz = (uint)IpaBits,
                NumBps = config.NumBps,
                NumWps = config.NumWps,
                Algorithm = (byte)config.Algorithm,
                RttLevelStart = StartLevel,
                RttNumStart = rootCount,
            };
            config.Rpv.CopyTo(p.Rpv, 0);
            ulong rd = AllocateDelegated();

            // The roots are concatenated tables: contiguous and aligned to their total size,
            // which is what the CPU's stage-2 walk takes from VTTBR_EL2.BADDR.
            ulong roots = _host.AllocateContiguous((int)rootCount, rootCount * Granule);
            for (int i = 0; i < rootCount; i++)
            {
                ulong root = roots + ((ulong)i * Granule);
                RmiResult d = _rmi.Call(F.GranuleDelegate, root);
                if (d.Status != RmiStatus.Success)
                {
                    throw new RealmHostException("GRANULE_DELEGATE", d);
                }

                _roots.Add(root);
            }

            p.RttBase = _roots[0];
            p.Vmid = (ushort)(rd >> 12);
            byte[] block = new byte[RealmParams.Size];
            p.Write(block);
            Ok("REALM_CREATE", WithBlock(block, pa => _rmi.Call(F.RealmCreate, rd, pa)));
            Rd = rd;
            RealmMeasurement.MeasureRealmParams(p, Algorithm, _rim);
            RmiResult aux = _rmi.Call(F.RecAuxCount, rd);
            Ok("REC_AUX_COUNT", aux);
            if (aux.X1 > RecParams.MaxAux)
            {
                throw new RealmHostException($"REC_AUX_COUNT {aux.X1} is more than {RecParams.MaxAux}");
            }

            _auxCount = (int)aux.X1;
        }

        /// <summary>KVM <c>find_map_level</c>: the largest block level that maps the start of [addr, end).</summary>
        private int MapLevel(ulong addr, ulong end)
        {
            for (int level = Math.Max(StartLevel, 1); level < 3; level++)
            {
                ulong s = EntrySize(level);
                if (addr % s == 0 && end - addr >= s)
                {
                    return level;
                }
            }

            return 3;
        }

        /// <summary>Level of the deepest RTT the host created that covers <paramref name="ipa"/>.</summary>
        private int WalkLevel(ulong ipa)
        {
            int level = StartLevel;
            while (level < 3 && _rttIndex.Contains((level + 1, ipa & ~(EntrySize(level) - 1))))
            {
                level++;
            }

            return level;
        }

        private void CreateRtt(ulong ipa, int level)
        {
            ulong aligned = ipa & ~(EntrySize(level - 1) - 1);
            ulong rtt = AllocateDelegated();
            RmiResult r = _rmi.Call(F.RttCreate, Rd, rtt, aligned, (ulong)level);
            if (r.Status != RmiStatus.Success)
            {
                Release(rtt);
                throw new RealmHostException("RTT_CREATE", r);
            }

            _rtts.Add((aligned, level, rtt));
            _rttIndex.Add((level, aligned));
        }

        /// <summary>Creates the missing RTTs from the level after <paramref name="walkedLevel"/> down to <paramref name="level"/>.</summary>
        private void CreateRtts(ulong ipa, int walkedLevel, int level)
        {
            for (int l = walkedLevel + 1; l <= level; l++)
            {
                CreateRtt(ipa, l);
            }
        }

        /// <summary>RTT_INIT_RIPAS over [<paramref name="baseIpa"/>, <paramref name="topIpa"/>), creating RTTs as KVM does.</summary>
        public void InitRipas(ulong baseIpa, ulong topIpa)
        {
            ulong addr = baseIpa;
            while (addr < topIpa)
            {
                RmiResult r = _rmi.Call(F.RttInitRipas, Rd, addr, topIpa);
                if (r.Status == RmiStatus.ErrorRtt)
                {
                    int want = MapLevel(addr, topIpa);
                    if (r.Index >= want || r.Index < StartLevel)
                    {
                        throw new RealmHostException("RTT_INIT_RIPAS", r);
                    }

                    CreateRtt(addr, r.Index + 1);
                    continue;
                }

                Ok("RTT_INIT_RIPAS", r);
                if (r.X1 <= addr || r.X1 > topIpa)
                {
                    throw new RealmHostException($"RTT_INIT_RIPAS made no valid progress from 0x{addr:x} (top 0x{r.X1:x})");
                }

                // The RMM measures one RIPAS descriptor per RTT entry it visited.
                ulong size = EntrySize(WalkLevel(addr));
                for (ulong e = addr; e < r.X1; e += size)
                {
                    RealmMeasurement.MeasureRipas(Algorithm, _rim, e, e + size);
                }

                addr = r.X1;
            }
        }

        /// <summary>
        /// Populates [<paramref name="ipa"/>, <paramref name="ipa"/> + <paramref name="content"/>.Length)
        /// rounded out to 64 KiB with measured DATA_CREATE, each granule staged in one host granule.
        /// Returns the populated IPA range.
        /// </summary>
        public (ulong Start, ulong End) Populate(ulong ipa, ReadOnlySpan<byte> content)
        {
            ulong start = ipa & ~(PopulateAlign - 1);
            ulong end = (ipa + (ulong)content.Length + PopulateAlign - 1) & ~(PopulateAlign - 1);
            byte[] granule = new byte[Granule];
            ulong src = _host.AllocateGranule();
            try
            {
                for (ulong g = start; g < end; g += Granule)
                {
                    Array.Clear(granule);
                    long from = (long)g - (long)ipa;
                    long lo = Math.Max(0, from), hi = Math.Min(content.Length, from + (long)Granule);
                    if (hi > lo)
                    {
                        content[(int)lo..(int)hi].CopyTo(granule.AsSpan((int)(lo - from)));
                    }

                    _host.Write(src, granule);
                    CreateData(g, src, granule);
                }
            }
            finally
            {
                _host.FreeGranule(src);
            }

            return (start, end);
        }

        private void CreateData(ulong ipa, ulong src, ReadOnlySpan<byte> granule)
        {
            ulong data = AllocateDelegated();
            RmiResult r = _rmi.Call(F.DataCreate, Rd, data, ipa, src, RealmMeasurement.MeasureContent);
            if (r.Status == RmiStatus.ErrorRtt && r.Index < 3)
            {
                CreateRtts(ipa, r.Index, 3);
                r = _rmi.Call(F.DataCreate, Rd, data, ipa, src, RealmMeasurement.MeasureContent);
            }

            if (r.Status != RmiStatus.Success)
            {
                Release(data);
                throw new RealmHostException("DATA_CREATE", r);
            }

            _data.Add(ipa);
            RealmMeasurement.MeasureData(Algorithm, _rim, granule, ipa, RealmMeasurement.MeasureContent);
        }

        /// <summary>
        /// REC_CREATE for <paramref name="vcpus"/> vCPUs in index order; vCPU 0 is runnable at
        /// <paramref name="pc"/> with X0–X7 = <paramref name="gprs"/>. Returns vCPU 0's parameters.
        /// </summary>
        public RecParams CreateRecs(int vcpus, ulong pc, ReadOnlySpan<ulong> gprs)
        {
            if (gprs.Length > RecParams.GprCount)
            {
                throw new ArgumentException($"at most {RecParams.GprCount} registers", nameof(gprs));
            }

            RecParams? first = null;
            byte[] block = new byte[RecParams.Size];
            for (int i = _recs.Count; i < vcpus; i++)
            {
                ulong index = (ulong)i;
                var p = new RecParams
                {
                    Flags = i == 0 ? RecParams.FlagRunnable : 0,
                    Mpidr = (index & 0xF) | ((index >> 4 & 0xFF) << 8),
                    Pc = i == 0 ? pc : 0,
                    NumAux = (ulong)_auxCount,
                };
                if (i == 0)
                {
                    gprs.CopyTo(p.Gprs);
                    first = p;
                }

                ulong[] aux = new ulong[_auxCount];
                for (int a = 0; a < _auxCount; a++)
                {
                    aux[a] = AllocateDelegated();
                    p.Aux[a] = aux[a];
                }

                ulong rec = AllocateDelegated();
                p.Write(block);
                Ok("REC_CREATE", WithBlock(block, pa => _rmi.Call(F.RecCreate, Rd, rec, pa)));
                _recs.Add(rec);
                _recAux.Add(aux);
                if ((p.Flags & RecParams.FlagRunnable) != 0)
                {
                    RealmMeasurement.MeasureRec(Algorithm, _rim, p);
                }
            }

            return first ?? throw new InvalidOperationException("the RECs exist already");
        }

        /// <summary>REALM_ACTIVATE.</summary>
        public void Activate() => Ok("REALM_ACTIVATE", _rmi.Call(F.RealmActivate, Rd));

        /// <summary>
        /// Backs the protected granule at <paramref name="ipa"/> with a fresh delegated granule
        /// (DATA_CREATE_UNKNOWN, creating RTTs down to level 3). Returns false when the RMM
        /// refuses for a reason other than missing tables (e.g. the entry is already assigned).
        /// </summary>
        public bool MapProtected(ulong ipa)
        {
            ipa &= ~(Granule - 1);
            ulong data = AllocateDelegated();
            RmiResult r = _rmi.Call(F.DataCreateUnknown, Rd, data, ipa);
            if (r.Status == RmiStatus.ErrorRtt && r.Index < 3 && r.Index >= StartLevel)
            {
                CreateRtts(ipa, r.Index, 3);
                r = _rmi.Call(F.DataCreateUnknown, Rd, data, ipa);
            }

            if (r.Status != RmiStatus.Success)
            {
                Release(data);
                return false;
            }

            _data.Add(ipa);
            return true;
        }

        /// <summary>
        /// Maps the host granule <paramref name="pa"/> at the unprotected <paramref name="ipa"/>
        /// (RTT_MAP_UNPROTECTED at level 3 with Normal write-back read/write attributes, creating
        /// RTTs as needed). Returns false when the RMM refuses.
        /// </summary>
        public bool MapUnprotected(ulong ipa, ulong pa)
        {
            ipa &= ~(Granule - 1);
            ulong desc = pa | S2tte.MemAttrFwbNormalWb | S2tte.ApRw;
            RmiResult r = _rmi.Call(F.RttMapUnprotected, Rd, ipa, 3, desc);
            if (r.Status == RmiStatus.ErrorRtt && r.Index < 3 && r.Index >= StartLevel)
            {
                CreateRtts(ipa, r.Index, 3);
                r = _rmi.Call(F.RttMapUnprotected, Rd, ipa, 3, desc);
            }

            if (r.Status != RmiStatus.Success)
            {
                return false;
            }

            _unprotected.Add(ipa);
            return true;
        }

        /// <summary>
        /// RTT_SET_RIPAS for <paramref name="rec"/>'s pending request over [<paramref name="baseIpa"/>,
        /// <paramref name="topIpa"/>), creating RTTs where the walk stops; returns the top reached
        /// (<paramref name="baseIpa"/> when the RMM refused).
        /// </summary>
        public ulong SetRipas(ulong rec, ulong baseIpa, ulong topIpa)
        {
            ulong addr = baseIpa;
            int tries = 0;
            while (addr < topIpa && tries++ < 64)
            {
                RmiResult r = _rmi.Call(F.RttSetRipas, Rd, rec, addr, topIpa);
                if (r.Status == RmiStatus.ErrorRtt && r.Index < 3 && r.Index >= StartLevel)
                {
                    CreateRtt(addr, r.Index + 1);
                    continue;
                }

                if (r.Status != RmiStatus.Success || r.X1 <= addr || r.X1 > topIpa)
                {
                    break;
                }

                addr = r.X1;
                tries = 0;
            }

            return addr;
        }

        /// <summary>
        /// KVM's teardown: DATA_DESTROY, REC_DESTROY, RTT_DESTROY deepest first, REALM_DESTROY;
        /// every granule is then undelegated and returned to host memory. Returns those granules.
        /// </summary>
        public List<ulong> Destroy()
        {
            var freed = new List<ulong>();
            foreach (ulong ipa in _unprotected)
            {
                Ok("RTT_UNMAP_UNPROTECTED", _rmi.Call(F.RttUnmapUnprotected, Rd, ipa, 3));
            }

            foreach (ulong ipa in _data)
            {
                RmiResult r = _rmi.Call(F.DataDestroy, Rd, ipa);
                Ok("DATA_DESTROY", r);
                freed.Add(r.X1);
            }

            for (int i = 0; i < _recs.Count; i++)
            {
                Ok("REC_DESTROY", _rmi.Call(F.RecDestroy, _recs[i]));
                freed.Add(_recs[i]);
                freed.AddRange(_recAux[i]);
            }

            foreach ((ulong ipa, int level, ulong _) in _rtts.OrderByDescending(t => t.Level))
            {
                RmiResult r = _rmi.Call(F.RttDestroy, Rd, ipa, (ulong)level);
                Ok("RTT_DESTROY", r);
                freed.Add(r.X1);
            }

            Ok("REALM_DESTROY", _rmi.Call(F.RealmDestroy, Rd));
            freed.Add(Rd);
            freed.AddRange(_roots);
            foreach (ulong pa in freed)
            {
                Release(pa);
            }

            _data.Clear();
            _unprotected.Clear();
            _recs.Clear();
            _recAux.Clear();
            _rtts.Clear();
            _rttIndex.Clear();
            _roots.Clear();
            Rd = 0;
            return freed;
        }
    }
}
