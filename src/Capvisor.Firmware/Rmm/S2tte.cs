namespace Capvisor.Firmware.Rmm
{
    /// <summary>
    /// Realm stage-2 translation table entries in Arm VMSAv8-64 format, 4 KiB granule, no LPA2,
    /// encoded as TF-RMM v1.0-rel0 does (<c>lib/s2tt/src/s2tt.c</c>, <c>s2tt_pvt_defs.h</c>).
    /// Valid entries (tables, ASSIGNED RAM pages/blocks, ASSIGNED_NS) are what the CPU walks;
    /// invalid entries carry the RMM's host-IPA state (HIPAS, bits [4:2]) and realm IPA state
    /// (RIPAS, bits [6:5]) in bits the architecture ignores. Protected mappings use
    /// MemAttr 0b110 with FEAT_S2FWB (Normal write-back), S2AP RW, inner shareable, AF.
    /// </summary>
    internal static class S2tte
    {
        public const int PageLevel = 3;
        public const int MinBlockLevel = 1;
        public const int EntriesPerTable = 512;
        public const int MaxPaBits = 48;

        public const ulong DescTypeMask = 3;
        public const ulong Invalid = 0;
        public const ulong BlockType = 1;
        public const ulong TableType = 3;
        public const ulong PageType = 3;

        public const int HipasShift = 2;
        public const ulong HipasMask = 7UL << HipasShift;
        public const ulong HipasUnassigned = 0UL << HipasShift;
        public const ulong HipasAssigned = 1UL << HipasShift;
        public const int RipasShift = 5;
        public const ulong RipasMask = 3UL << RipasShift;

        public const ulong Ns = 1UL << 55;
        public const ulong Af = 1UL << 10;
        public const ulong Xn = 2UL << 53;
        public const ulong MemAttrMask = 7UL << 2;
        public const ulong MemAttrFwbNormalWb = (1UL << 4) | (2UL << 2);
        public const ulong MemAttrFwbReserved = 1UL << 4;
        public const ulong ApMask = 3UL << 6;
        public const ulong ApRw = 3UL << 6;
        public const ulong ShIs = 3UL << 8;

        public const ulong ProtectedAttrs = MemAttrFwbNormalWb | ApRw | Af | ShIs;

        /// <summary>Attributes of an unprotected mapping the host chooses.</summary>
        public const ulong NsAttrMask = MemAttrMask | ApMask;

        /// <summary>Attributes of an unprotected mapping the RMM forces.</summary>
        public const ulong NsAttrRmm = Af | Ns | Xn;

        public static int LevelShift(int level) => ((PageLevel - level) * 9) + 12;

        public static ulong MapSize(int level) => 1UL << LevelShift(level);

        /// <summary>Output address bits [47:shift] of an entry at <paramref name="level"/>.</summary>
        public static ulong LevelMask(int level) => ((1UL << MaxPaBits) - 1) & ~((1UL << LevelShift(level)) - 1);

        public static int Index(ulong ipa, int level) => (int)((ipa >> LevelShift(level)) & (EntriesPerTable - 1));

        public static bool IsAddrLevelAligned(ulong addr, int level) => addr == (addr & LevelMask(level));

        public static ulong UnassignedEmpty => HipasUnassigned | ((ulong)Ripas.Empty << RipasShift);

        public static ulong UnassignedRam => HipasUnassigned | ((ulong)Ripas.Ram << RipasShift);

        public static ulong UnassignedDestroyed => HipasUnassigned | ((ulong)Ripas.Destroyed << RipasShift);

        public static ulong UnassignedNs => Ns | HipasUnassigned;

        public static ulong Unassigned(Ripas ripas) => HipasUnassigned | ((ulong)ripas << RipasShift);

        public static ulong Assigned(ulong pa, int level, Ripas ripas)
        {
            if (ripas == Ripas.Ram)
            {
                return pa | ProtectedAttrs | (level == PageLevel ? PageType : BlockType);
            }

            return pa | HipasAssigned | ((ulong)ripas << RipasShift);
        }

        public static ulong AssignedNs(ulong hostDesc, int level)
        {
            ulong e = (hostDesc & ~DescTypeMask) | ShIs | NsAttrRmm;
            return e | (level == PageLevel ? PageType : BlockType);
        }

        public static ulong Table(ulong pa) => pa | TableType;

        private static bool HasHipas(ulong e, ulong hipas) => (e & DescTypeMask) == Invalid && (e & HipasMask) == hipas;

        private static bool HasUnassignedRipas(ulong e, Ripas r) => (e & RipasMask) == ((ulong)r << RipasShift) && HasHipas(e, HipasUnassigned);

        private static bool HasAssignedRipas(ulong e, Ripas r) => (e & RipasMask) == ((ulong)r << RipasShift) && HasHipas(e, HipasAssigned);

        public static bool IsUnassigned(ulong e) => HasHipas(e, HipasUnassigned);

        public static bool IsUnassignedEmpty(ulong e) => (e & Ns) == 0 && HasUnassignedRipas(e, Ripas.Empty);

        public static bool IsUnassignedRam(ulong e) => HasUnassignedRipas(e, Ripas.Ram);

        public static bool IsUnassignedDestroyed(ulong e) => HasUnassignedRipas(e, Ripas.Destroyed);

        public static bool IsUnassignedNs(ulong e) => (e & Ns) != 0 && HasHipas(e, HipasUnassigned);

        public static bool IsAssignedEmpty(ulong e) => HasAssignedRipas(e, Ripas.Empty);

        public static bool IsAssignedDestroyed(ulong e) => HasAssignedRipas(e, Ripas.Destroyed);

        private static bool IsValidLeaf(ulong e, int level, ulong ns)
        {
            if ((e & Ns) != ns)
            {
                return false;
            }

            ulong type = e & DescTypeMask;
            if (level == PageLevel)
            {
                return type == PageType;
            }

            return level >= MinBlockLevel && type == BlockType;
        }

        public static bool IsAssignedRam(ulong e, int level) => IsValidLeaf(e, level, 0);

        public static bool IsAssignedNs(ulong e, int level) => IsValidLeaf(e, level, Ns);

        public static bool IsTable(ulong e, int level) => level < PageLevel && (e & DescTypeMask) == TableType;

        /// <summary>An entry that is ASSIGNED in the protected space (counted in its table's refcount).</summary>
        public static bool IsAssignedProtected(ulong e, int level) => IsAssignedRam(e, level) || IsAssignedEmpty(e) || IsAssignedDestroyed(e);

        /// <summary>Whether the entry has an output address: valid descriptors and ASSIGNED protected ones.</summary>
        public static bool IsLive(ulong e) => (e & DescTypeMask) != Invalid || IsAssignedEmpty(e) || IsAssignedDestroyed(e);

        public static bool HasRipas(ulong e, int level) => (e & Ns) == 0 && !IsTable(e, level);

        public static ulong Pa(ulong e, int level) => IsTable(e, level) ? e & LevelMask(PageLevel) : e & LevelMask(level);

        /// <summary>RIPAS of a protected, non-table entry.</summary>
        public static Ripas GetRipas(ulong e) => (e & DescTypeMask) != Invalid ? Ripas.Ram : (Ripas)((e & RipasMask) >> RipasShift);

        /// <summary>Whether a host-supplied unprotected descriptor only uses the address and host-controlled attribute bits.</summary>
        public static bool HostNsIsValid(ulong desc, int level)
        {
            ulong mask = LevelMask(level) | NsAttrMask;
            if ((desc & ~mask) != 0)
            {
                return false;
            }

            return (desc & MemAttrMask) != MemAttrFwbReserved;
        }

        /// <summary>The host's view of an ASSIGNED_NS entry: address and host attributes.</summary>
        public static ulong HostNs(ulong e, int level) => e & (LevelMask(level) | NsAttrMask);
    }
}
