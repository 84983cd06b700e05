using System.Buffers.Binary;

namespace Capvisor.Firmware.Rmm
{
    /// <summary>
    /// The Realm Management Monitor's RMI: the host's commands to create, populate, run and destroy
    /// realms, following the RMM 1.0 specification as TF-RMM v1.0-rel0 implements it
    /// (<c>runtime/rmi/*.c</c>). The RMM tracks the state of every granule, keeps realm RTTs in
    /// delegated granules in Arm stage-2 format, copies host structures out of Non-secure memory
    /// before validating them, and hands out no reference to Realm memory.
    /// </summary>
    /// <remarks>
    /// All commands run under one lock, so concurrent callers (one per physical CPU) see each
    /// command as atomic; REC_ENTER releases it while the REC runs, and the REC's "running" mark
    /// keeps other commands off it as TF-RMM's REC refcount does.
    /// </remarks>
    public sealed partial class RealmManagementMonitor
    {
        /// <summary>Granule size.</summary>
        public const int GranuleSize = 4096;

        private const ulong GranuleMask = GranuleSize - 1;

        // TF-RMM: the granule refcount field is 10 bits wide.
        private const int RefcountMax = (1 << 10) - 1;

        private readonly object _sync = new();
        private readonly IPhysicalGranules _memory;
        private readonly Dictionary<ulong, GranuleInfo> _granules = new();
        private readonly Dictionary<ulong, RealmDescriptor> _realms = new();
        private readonly Dictionary<ulong, Rec> _recs = new();
        private readonly HashSet<ushort> _vmids = new();

        /// <summary>Creates the RMM over <paramref name="memory"/>; every granule starts Non-secure.</summary>
        public RealmManagementMonitor(IPhysicalGranules memory, RmmFeatures? features = null)
        {
            ArgumentNullException.ThrowIfNull(memory);
            _memory = memory;
            Features = features ?? new RmmFeatures();
        }

        /// <summary>The features the RMM reports and enforces.</summary>
        public RmmFeatures Features { get; }

        /// <summary>Runs RECs for REC_ENTER; null until the CPU integration provides one.</summary>
        public IRecRunner? RecRunner { get; set; }

        /// <summary>Stage-2 TLB maintenance after live RTT entries change; null when nothing caches translations.</summary>
        public IStage2Invalidator? TlbInvalidator { get; set; }

        /// <summary>
        /// Executes one RMI command: <paramref name="functionId"/> from W0 (SMCCC: the upper half of
        /// X0 and the SVE hint bit are ignored), arguments X1–X6. An unknown function ID returns
        /// <see cref="RmiResult.SmcUnknown"/> in X0.
        /// </summary>
        public RmiResult Handle(ulong functionId, ulong x1 = 0, ulong x2 = 0, ulong x3 = 0, ulong x4 = 0, ulong x5 = 0, ulong x6 = 0)
        {
            uint fid = (uint)functionId & ~RmiFunctionId.SveHint;
            if (fid == RmiFunctionId.RecEnter)
            {
                return RecEnter(x1, x2);
            }

            lock (_sync)
            {
                return fid switch
                {
                    RmiFunctionId.Version => Version(x1),
                    RmiFunctionId.GranuleDelegate => GranuleDelegate(x1),
                    RmiFunctionId.GranuleUndelegate => GranuleUndelegate(x1),
                    RmiFunctionId.DataCreate => DataCreate(x1, x2, x3, x4, x5),
                    RmiFunctionId.DataCreateUnknown => DataCreateUnknown(x1, x2, x3),
                    RmiFunctionId.DataDestroy => DataDestroy(x1, x2),
                    RmiFunctionId.RealmActivate => RealmActivate(x1),
                    RmiFunctionId.RealmCreate => RealmCreate(x1, x2),
                    RmiFunctionId.RealmDestroy => RealmDestroy(x1),
                    RmiFunctionId.RecCreate => RecCreate(x1, x2, x3),
                    RmiFunctionId.RecDestroy => RecDestroy(x1),
                    RmiFunctionId.RttCreate => RttCreate(x1, x2, x3, x4),
                    RmiFunctionId.RttDestroy => RttDestroy(x1, x2, x3),
                    RmiFunctionId.RttMapUnprotected => RttMapUnprotected(x1, x2, x3, x4),
                    RmiFunctionId.RttReadEntry => RttReadEntry(x1, x2, x3),
                    RmiFunctionId.RttUnmapUnprotected => RttUnmapUnprotected(x1, x2, x3),
                    RmiFunctionId.PsciComplete => PsciComplete(x1, x2, x3),
                    RmiFunctionId.Features => new RmiResult(0, x1 == 0 ? Features.Register0 : 0),
                    RmiFunctionId.RttFold => RttFold(x1, x2, x3),
                    RmiFunctionId.RecAuxCount => RecAuxCount(x1),
                    RmiFunctionId.RttInitRipas => RttInitRipas(x1, x2, x3),
                    RmiFunctionId.RttSetRipas => RttSetRipas(x1, x2, x3, x4),
                    _ => new RmiResult(RmiResult.SmcUnknown),
                };
            }
        }

        /// <summary>The state of the granule at <paramref name="pa"/> (Non-secure for anything the RMM does not hold).</summary>
        public GranuleState GetGranuleState(ulong pa)
        {
            lock (_sync)
            {
                return _granules.TryGetValue(pa, out GranuleInfo? g) ? g.State : GranuleState.NonSecure;
            }
        }

        /// <summary>The realm whose RD is at <paramref name="rdAddress"/>, for the RSI and CPU integration (never the host).</summary>
        internal RealmDescriptor? FindRealm(ulong rdAddress)
        {
            lock (_sync)
            {
                return _realms.GetValueOrDefault(rdAddress);
            }
        }

        /// <summary>The REC at <paramref name="recAddress"/>, for the RSI and CPU integration (never the host).</summary>
        internal Rec? FindRec(ulong recAddress)
        {
            lock (_sync)
            {
                return _recs.GetValueOrDefault(recAddress);
            }
        }

        /// <summary>
        /// The realm called PSCI SYSTEM_OFF or SYSTEM_RESET (TF-RMM <c>runtime/rsi/psci.c</c>
        /// <c>system_off_reboot</c>): no REC of it runs again; the host can only destroy it.
        /// </summary>
        internal void SystemOff(RealmDescriptor realm)
        {
            lock (_sync)
            {
                realm.State = RealmState.SystemOff;
            }
        }

        /// <summary>Granules the RMM holds (every state but Non-secure) with their refcounts, for invariant checks.</summary>
        internal IReadOnlyList<(ulong Pa, GranuleState State, int RefCount)> SnapshotGranules()
        {
            lock (_sync)
            {
                return _granules.Select(kv => (kv.Key, kv.Value.State, kv.Value.RefCount)).ToList();
            }
        }

        internal IReadOnlyList<RealmDescriptor> SnapshotRealms()
        {
            lock (_sync)
            {
                return _realms.Values.ToList();
            }
        }

        internal IReadOnlyList<Rec> SnapshotRecs()
        {
            lock (_sync)
            {
                return _recs.Values.ToList();
            }
        }

        private static RmiResult Version(ulong requested)
        {
            RmiStatus status = requested == RmiFunctionId.AbiVersion ? RmiStatus.Success : RmiStatus.ErrorInput;
            return new RmiResult((ulong)status, RmiFunctionId.AbiVersion, RmiFunctionId.AbiVersion);
        }

        // ---- granule bookkeeping -------------------------------------------------------------

        private sealed class GranuleInfo
        {
            public GranuleInfo(GranuleState state) => State = state;

            public GranuleState State { get; set; }

            public int RefCount { get; set; }
        }

        /// <summary>Whether <paramref name="pa"/> names a granule of RAM the RMM can track (aligned, within 48 bits).</summary>
        private bool IsGranule(ulong pa) =>
            (pa & GranuleMask) == 0 && pa < (1UL << S2tte.MaxPaBits) && _memory.IsRam(pa);

        private GranuleState StateOf(ulong pa) =>
            _granules.TryGetValue(pa, out GranuleInfo? g) ? g.State : GranuleState.NonSecure;

        /// <summary>TF-RMM <c>find_lock_granule</c>: the granule if <paramref name="pa"/> is a valid granule in <paramref name="expected"/>.</summary>
        private GranuleInfo? Find(ulong pa, GranuleState expected)
        {
            if (expected == GranuleState.NonSecure || !IsGranule(pa))
            {
                return null;
            }

            return _granules.TryGetValue(pa, out GranuleInfo? g) && g.State == expected ? g : null;
        }

        private bool IsNonSecureGranule(ulong pa) => IsGranule(pa) && StateOf(pa) == GranuleState.NonSecure;

        private void SetState(ulong pa, GranuleState state)
        {
            if (state == GranuleState.NonSecure)
            {
                _granules.Remove(pa);
            }
            else if (_granules.TryGetValue(pa, out GranuleInfo? g))
            {
                g.State = state;
            }
            else
            {
                _granules.Add(pa, new GranuleInfo(state));
            }
        }

        private GranuleInfo Info(ulong pa) => _granules[pa];

        private void Scrub(ulong pa) => _memory.GetGranule(pa)[..GranuleSize].Clear();

        /// <summary>
        /// Copies the start of a Non-secure granule into RMM memory (TF-RMM <c>ns_buffer_read</c>):
        /// fails unless the RMM sees it as Non-secure and the GPT agrees, so the host cannot pass
        /// realm memory, and later host writes cannot change what the RMM validated.
        /// </summary>
        private bool TryCopyFromNonSecure(ulong pa, Span<byte> destination)
        {
            if (!IsNonSecureGranule(pa) || _memory.GetPas(pa) != GranulePas.NonSecure)
            {
                return false;
            }

            _memory.GetGranule(pa)[..destination.Length].CopyTo(destination);
            return true;
        }

        private bool TryCopyToNonSecure(ulong pa, int offset, ReadOnlySpan<byte> source)
        {
            if (!IsNonSecureGranule(pa) || _memory.GetPas(pa) != GranulePas.NonSecure)
            {
                return false;
            }

            source.CopyTo(_memory.GetGranule(pa)[offset..]);
            return true;
        }

        private ulong ReadEntry(ulong table, int index) =>
            BinaryPrimitives.ReadUInt64LittleEndian(_memory.GetGranule(table)[(index * 8)..]);

        private void WriteEntry(ulong table, int index, ulong value) =>
            BinaryPrimitives.WriteUInt64LittleEndian(_memory.GetGranule(table)[(index * 8)..], value);

        private void FillTable(ulong table, Func<int, ulong> entry)
        {
            Span<byte> t = _memory.GetGranule(table);
            for (int i = 0; i < S2tte.EntriesPerTable; i++)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(t[(i * 8)..], entry(i));
            }
        }

        private void Invalidate(RealmDescriptor rd, ulong ipa, ulong size) =>
            TlbInvalidator?.InvalidateIpaRange(rd.Vmid, ipa, size);
    }
}
