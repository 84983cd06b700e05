using System.Buffers.Binary;

namespace Capvisor.Firmware.Rmm
{
    /// <summary>
    /// RmiRealmParams, the 4096-byte Non-secure granule the host passes to REALM_CREATE
    /// (layout: TF-RMM <c>lib/smc/include/smc-rmi.h</c> <c>struct rmi_realm_params</c>).
    /// </summary>
    public sealed class RealmParams
    {
        /// <summary>Size of the structure: one granule.</summary>
        public const int Size = 4096;

        /// <summary>Flag bit 0: LPA2.</summary>
        public const ulong FlagLpa2 = 1UL << 0;

        /// <summary>Flag bit 1: SVE.</summary>
        public const ulong FlagSve = 1UL << 1;

        /// <summary>Flag bit 2: PMU.</summary>
        public const ulong FlagPmu = 1UL << 2;

        internal const int OffsetFlags = 0x000;
        internal const int OffsetS2sz = 0x008;
        internal const int OffsetSveVl = 0x010;
        internal const int OffsetNumBps = 0x018;
        internal const int OffsetNumWps = 0x020;
        internal const int OffsetPmuNumCtrs = 0x028;
        internal const int OffsetAlgorithm = 0x030;
        internal const int OffsetRpv = 0x400;
        internal const int OffsetVmid = 0x800;
        internal const int OffsetRttBase = 0x808;
        internal const int OffsetRttLevelStart = 0x810;
        internal const int OffsetRttNumStart = 0x818;

        /// <summary>Size of the Realm Personalization Value.</summary>
        public const int RpvSize = 64;

        public ulong Flags { get; set; }
        public uint S2sz { get; set; }
        public uint SveVl { get; set; }
        public uint NumBps { get; set; }
        public uint NumWps { get; set; }
        public uint PmuNumCtrs { get; set; }

        /// <summary>The raw algorithm byte (0 SHA-256, 1 SHA-512; anything else is rejected).</summary>
        public byte Algorithm { get; set; }

        /// <summary>Realm Personalization Value (64 bytes).</summary>
        public byte[] Rpv { get; } = new byte[RpvSize];

        public ushort Vmid { get; set; }
        public ulong RttBase { get; set; }
        public long RttLevelStart { get; set; }
        public uint RttNumStart { get; set; }

        /// <summary>Decodes a copy of the granule (the caller copies it out of Non-secure memory first).</summary>
        public static RealmParams Read(ReadOnlySpan<byte> granule)
        {
            if (granule.Length < Size)
            {
                throw new ArgumentException($"RmiRealmParams needs {Size} bytes.", nameof(granule));
            }

            var p = new RealmParams
            {
                Flags = BinaryPrimitives.ReadUInt64LittleEndian(granule[OffsetFlags..]),
                S2sz = BinaryPrimitives.ReadUInt32LittleEndian(granule[OffsetS2sz..]),
                SveVl = BinaryPrimitives.ReadUInt32LittleEndian(granule[OffsetSveVl..]),
                NumBps = BinaryPrimitives.ReadUInt32LittleEndian(granule[OffsetNumBps..]),
                NumWps = BinaryPrimitives.ReadUInt32LittleEndian(granule[OffsetNumWps..]),
                PmuNumCtrs = BinaryPrimitives.ReadUInt32LittleEndian(granule[OffsetPmuNumCtrs..]),
                Algorithm = granule[OffsetAlgorithm],
                Vmid = BinaryPrimitives.ReadUInt16LittleEndian(granule[OffsetVmid..]),
                RttBase = BinaryPrimitives.ReadUInt64LittleEndian(granule[OffsetRttBase..]),
                RttLevelStart = BinaryPrimitives.ReadInt64LittleEndian(granule[OffsetRttLevelStart..]),
                RttNumStart = BinaryPrimitives.ReadUInt32LittleEndian(granule[OffsetRttNumStart..]),
            };
            granule.Slice(OffsetRpv, RpvSize).CopyTo(p.Rpv);
            return p;
        }

        /// <summary>Encodes the structure into a zero-filled 4096-byte buffer (what a host writes).</summary>
        public void Write(Span<byte> granule)
        {
            if (granule.Length < Size)
            {
                throw new ArgumentException($"RmiRealmParams needs {Size} bytes.", nameof(granule));
            }

            granule[..Size].Clear();
            WriteMeasured(granule);
            Rpv.CopyTo(granule[OffsetRpv..]);
            BinaryPrimitives.WriteUInt16LittleEndian(granule[OffsetVmid..], Vmid);
            BinaryPrimitives.WriteUInt64LittleEndian(granule[OffsetRttBase..], RttBase);
            BinaryPrimitives.WriteInt64LittleEndian(granule[OffsetRttLevelStart..], RttLevelStart);
            BinaryPrimitives.WriteUInt32LittleEndian(granule[OffsetRttNumStart..], RttNumStart);
        }

        /// <summary>
        /// Writes only the fields the RIM covers (flags, s2sz, sve_vl, num_bps, num_wps,
        /// pmu_num_ctrs, algorithm) into an already zeroed buffer; RPV, VMID and RTT fields are not
        /// measured (TF-RMM <c>lib/measurement/src/rim.c</c>).
        /// </summary>
        internal void WriteMeasured(Span<byte> granule)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(granule[OffsetFlags..], Flags);
            BinaryPrimitives.WriteUInt32LittleEndian(granule[OffsetS2sz..], S2sz);
            BinaryPrimitives.WriteUInt32LittleEndian(granule[OffsetSveVl..], SveVl);
            BinaryPrimitives.WriteUInt32LittleEndian(granule[OffsetNumBps..], NumBps);
            BinaryPrimitives.WriteUInt32LittleEndian(granule[OffsetNumWps..], NumWps);
            BinaryPrimitives.WriteUInt32LittleEndian(granule[OffsetPmuNumCtrs..], PmuNumCtrs);
            granule[OffsetAlgorithm] = Algorithm;
        }
    }
}
