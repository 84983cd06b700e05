namespace Capvisor.Firmware.Rmm
{
    /// <summary>
    /// What the RMM reports in RMI feature register 0 and validates REALM_CREATE against
    /// (bit layout from TF-RMM <c>lib/smc/include/smc-rmi.h</c>). The defaults describe the
    /// emulated CPU honestly: 48-bit PA, no LPA2, no SVE, no PMU, 6 breakpoints and 4 watchpoints
    /// (encoded as count − 1, as in ID_AA64DFR0_EL1), SHA-256 and SHA-512.
    /// </summary>
    public sealed record RmmFeatures
    {
        /// <summary>Physical (and maximum IPA) address width in bits.</summary>
        public int PaBits { get; init; } = 48;

        /// <summary>Whether SVE is offered to realms.</summary>
        public bool SveEnabled { get; init; }

        /// <summary>Maximum SVE vector length, encoded as VQ − 1.</summary>
        public int SveVl { get; init; }

        /// <summary>Breakpoints, encoded as count − 1 (ID_AA64DFR0_EL1.BRPs).</summary>
        public int NumBps { get; init; } = 5;

        /// <summary>Watchpoints, encoded as count − 1 (ID_AA64DFR0_EL1.WRPs).</summary>
        public int NumWps { get; init; } = 3;

        /// <summary>Whether a PMU is offered to realms.</summary>
        public bool PmuEnabled { get; init; }

        /// <summary>Number of PMU event counters (PMCR_EL0.N).</summary>
        public int PmuNumCounters { get; init; }

        /// <summary>Whether FEAT_HPMN0 is implemented (a realm may ask for zero PMU counters).</summary>
        public bool Hpmn0 { get; init; }

        /// <summary>Number of GICv3 list registers minus one offered to realms (ICH_VTR_EL2.ListRegs).</summary>
        public int GicV3NumLrs { get; init; } = 15;

        /// <summary>log2 of the maximum number of RECs + 1 (TF-RMM: the granule refcount width, 10).</summary>
        public int MaxRecsOrder { get; init; } = 10;

        /// <summary>Number of auxiliary granules every REC takes (TF-RMM: 16).</summary>
        public int RecAuxCount { get; init; } = 16;

        /// <summary>Feature register 0 as FEATURES(0) returns it.</summary>
        public ulong Register0
        {
            get
            {
                ulong r = (ulong)(PaBits & 0xFF);
                r |= (SveEnabled ? 1UL : 0) << 9;
                r |= (SveEnabled ? (ulong)(SveVl & 0xF) : 0) << 10;
                r |= (ulong)(NumBps & 0x3F) << 14;
                r |= (ulong)(NumWps & 0x3F) << 20;
                r |= (PmuEnabled ? 1UL : 0) << 26;
                r |= (ulong)(PmuNumCounters & 0x1F) << 27;
                r |= 1UL << 32; // SHA-256
                r |= 1UL << 33; // SHA-512
                r |= (ulong)(GicV3NumLrs & 0xF) << 34;
                r |= (ulong)(MaxRecsOrder & 0xF) << 38;
                return r;
            }
        }
    }
}
