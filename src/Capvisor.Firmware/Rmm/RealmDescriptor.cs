using System.Buffers.Binary;

namespace Capvisor.Firmware.Rmm
{
    /// <summary>
    /// The RMM's record of a realm (what TF-RMM keeps in the RD granule): lifecycle state, stage-2
    /// configuration, personalization value and measurements. Held by the RMM, never by the host;
    /// the RD granule itself stays zero in Realm PAS.
    /// </summary>
    public sealed class RealmDescriptor
    {
        private readonly byte[] _rpv = new byte[RealmParams.RpvSize];
        private readonly byte[] _measurements = new byte[RealmMeasurement.SlotCount * RealmMeasurement.SlotSize];

        // RECs of one realm extend REMs from different CPUs.
        private readonly object _measurementSync = new();

        internal RealmDescriptor(ulong address, RealmParams p, MeasurementAlgorithm algorithm)
        {
            Address = address;
            Algorithm = algorithm;
            IpaBits = (int)p.S2sz;
            StartLevel = (int)p.RttLevelStart;
            RootRttCount = (int)p.RttNumStart;
            RootRttBase = p.RttBase;
            Vmid = p.Vmid;
            SveEnabled = (p.Flags & RealmParams.FlagSve) != 0;
            SveVq = SveEnabled ? (int)p.SveVl : 0;
            PmuEnabled = (p.Flags & RealmParams.FlagPmu) != 0;
            PmuNumCounters = (int)p.PmuNumCtrs;
            p.Rpv.CopyTo(_rpv, 0);
        }

        /// <summary>Physical address of the RD granule.</summary>
        public ulong Address { get; }

        /// <summary>Lifecycle state.</summary>
        public RealmState State { get; internal set; }

        /// <summary>Measurement hash algorithm.</summary>
        public MeasurementAlgorithm Algorithm { get; }

        /// <summary>IPA width in bits (RmiRealmParams.s2sz).</summary>
        public int IpaBits { get; }

        /// <summary>Stage-2 starting level.</summary>
        public int StartLevel { get; }

        /// <summary>Number of concatenated starting-level RTTs.</summary>
        public int RootRttCount { get; }

        /// <summary>Physical address of the first starting-level RTT (VTTBR_EL2.BADDR).</summary>
        public ulong RootRttBase { get; }

        /// <summary>The realm's VMID.</summary>
        public ushort Vmid { get; }

        public bool SveEnabled { get; }

        /// <summary>SVE vector length as VQ − 1.</summary>
        public int SveVq { get; }

        public bool PmuEnabled { get; }

        public int PmuNumCounters { get; }

        /// <summary>Number of RECs created so far (the next REC's index).</summary>
        public ulong RecCount { get; internal set; }

        /// <summary>Size of the IPA space.</summary>
        public ulong IpaSize => 1UL << IpaBits;

        /// <summary>Whether <paramref name="ipa"/> is in the protected half of the IPA space.</summary>
        public bool InPar(ulong ipa) => ipa < (1UL << (IpaBits - 1));

        /// <summary>The Realm Personalization Value.</summary>
        public ReadOnlySpan<byte> Rpv => _rpv;

        /// <summary>Measurement slot <paramref name="index"/> (0 = RIM, 1–4 = REMs), 64 bytes.</summary>
        public ReadOnlySpan<byte> GetMeasurement(int index) => MeasurementSlot(index);

        /// <summary>The RIM, truncated to the algorithm's digest size.</summary>
        public ReadOnlySpan<byte> Rim => GetMeasurement(0)[..RealmMeasurement.HashSize(Algorithm)];

        internal Span<byte> MeasurementSlot(int index)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, RealmMeasurement.SlotCount);
            return _measurements.AsSpan(index * RealmMeasurement.SlotSize, RealmMeasurement.SlotSize);
        }

        /// <summary>
        /// RSI_MEASUREMENT_EXTEND with the realm's registers: X1 <paramref name="index"/> (1–4),
        /// X2 <paramref name="size"/> (≤ 64), X3–X10 <paramref name="words"/> holding the value as
        /// little-endian bytes. Returns false, changing nothing, where RSI returns ERROR_INPUT
        /// (TF-RMM <c>runtime/rsi/realm_attest.c</c> <c>handle_rsi_measurement_extend</c>).
        /// </summary>
        internal bool TryExtend(ulong index, ulong size, ReadOnlySpan<ulong> words)
        {
            if (index == 0 || index >= RealmMeasurement.SlotCount || size > RealmMeasurement.SlotSize || words.Length < 8)
            {
                return false;
            }

            Span<byte> value = stackalloc byte[RealmMeasurement.SlotSize];
            for (int i = 0; i < 8; i++)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(value[(i * 8)..], words[i]);
            }

            lock (_measurementSync)
            {
                RealmMeasurement.Extend(Algorithm, MeasurementSlot((int)index), value[..(int)size]);
            }

            return true;
        }

        /// <summary>
        /// RSI_MEASUREMENT_READ: measurement <paramref name="index"/> (0–4) as eight little-endian
        /// words for X1–X8 (unused words zero). Returns false for an index RSI rejects.
        /// </summary>
        internal bool TryRead(ulong index, Span<ulong> words)
        {
            if (index >= RealmMeasurement.SlotCount || words.Length < 8)
            {
                return false;
            }

            lock (_measurementSync)
            {
                ReadOnlySpan<byte> slot = MeasurementSlot((int)index);
                for (int i = 0; i < 8; i++)
                {
                    words[i] = BinaryPrimitives.ReadUInt64LittleEndian(slot[(i * 8)..]);
                }
            }

            return true;
        }

        internal void Scrub()
        {
            Array.Clear(_measurements);
            Array.Clear(_rpv);
        }
    }
}
