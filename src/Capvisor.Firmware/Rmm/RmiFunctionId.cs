namespace Capvisor.Firmware.Rmm
{
    /// <summary>
    /// SMC64 function IDs of the RMI 1.0 commands (Standard Secure Service, FID 0xC4000150–0xC4000169;
    /// TF-RMM <c>lib/smc/include/smc-rmi.h</c>). 0x156, 0x160 and 0x163 are unused in 1.0.
    /// </summary>
    public static class RmiFunctionId
    {
        public const uint Version = 0xC4000150;
        public const uint GranuleDelegate = 0xC4000151;
        public const uint GranuleUndelegate = 0xC4000152;
        public const uint DataCreate = 0xC4000153;
        public const uint DataCreateUnknown = 0xC4000154;
        public const uint DataDestroy = 0xC4000155;
        public const uint RealmActivate = 0xC4000157;
        public const uint RealmCreate = 0xC4000158;
        public const uint RealmDestroy = 0xC4000159;
        public const uint RecCreate = 0xC400015A;
        public const uint RecDestroy = 0xC400015B;
        public const uint RecEnter = 0xC400015C;
        public const uint RttCreate = 0xC400015D;
        public const uint RttDestroy = 0xC400015E;
        public const uint RttMapUnprotected = 0xC400015F;
        public const uint RttReadEntry = 0xC4000161;
        public const uint RttUnmapUnprotected = 0xC4000162;
        public const uint PsciComplete = 0xC4000164;
        public const uint Features = 0xC4000165;
        public const uint RttFold = 0xC4000166;
        public const uint RecAuxCount = 0xC4000167;
        public const uint RttInitRipas = 0xC4000168;
        public const uint RttSetRipas = 0xC4000169;

        /// <summary>The SMCCC SVE hint bit, which the RMM ignores in a function ID.</summary>
        public const uint SveHint = 1u << 16;

        /// <summary>The RMI ABI version the RMM implements: 1.0 as (major &lt;&lt; 16) | minor.</summary>
        public const ulong AbiVersion = 0x10000;

        /// <summary>Whether <paramref name="functionId"/> (W0, SVE hint ignored) lies in the RMI range 0xC4000150–0xC400018F.</summary>
        public static bool IsRmi(ulong functionId)
        {
            uint fid = (uint)functionId & ~SveHint;
            return fid >= 0xC4000150 && fid <= 0xC400018F;
        }
    }
}
