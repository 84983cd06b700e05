namespace Capvisor.Firmware.Rmm
{
    /// <summary>
    /// SMC64 function IDs of the RSI 1.0 commands a realm issues (FID 0xC4000190–0xC4000199;
    /// TF-RMM <c>lib/smc/include/smc-rsi.h</c>), and the RSI return codes.
    /// </summary>
    public static class RsiFunctionId
    {
        public const uint Version = 0xC4000190;
        public const uint Features = 0xC4000191;
        public const uint MeasurementRead = 0xC4000192;
        public const uint MeasurementExtend = 0xC4000193;
        public const uint AttestationTokenInit = 0xC4000194;
        public const uint AttestationTokenContinue = 0xC4000195;
        public const uint RealmConfig = 0xC4000196;
        public const uint IpaStateSet = 0xC4000197;
        public const uint IpaStateGet = 0xC4000198;
        public const uint HostCall = 0xC4000199;

        /// <summary>The RSI ABI version the RMM implements: 1.0.</summary>
        public const ulong AbiVersion = 0x10000;

        /// <summary>RSI_SUCCESS.</summary>
        public const ulong Success = 0;

        /// <summary>RSI_ERROR_INPUT: an argument is out of range, unaligned or names memory the call cannot use.</summary>
        public const ulong ErrorInput = 1;

        /// <summary>RSI_ERROR_STATE: the call is not allowed now (e.g. TOKEN_CONTINUE without TOKEN_INIT).</summary>
        public const ulong ErrorState = 2;

        /// <summary>RSI_INCOMPLETE: call again to continue (TOKEN_CONTINUE).</summary>
        public const ulong Incomplete = 3;

        /// <summary>RSI_ERROR_UNKNOWN.</summary>
        public const ulong ErrorUnknown = 4;

        /// <summary>IPA_STATE_SET flag bit 0: the change may turn DESTROYED memory into EMPTY or RAM.</summary>
        public const ulong ChangeDestroyed = 1;

        /// <summary>IPA_STATE_SET response: the host accepted the change.</summary>
        public const ulong Accept = 0;

        /// <summary>IPA_STATE_SET response: the host rejected the change.</summary>
        public const ulong Reject = 1;

        /// <summary>Size of RsiRealmConfig (one granule).</summary>
        public const int RealmConfigSize = 0x1000;

        /// <summary>Size and alignment of RsiHostCall: imm (u16 at 0) and gprs[31] at 8.</summary>
        public const int HostCallSize = 0x100;

        /// <summary>General-purpose registers an RsiHostCall carries.</summary>
        public const int HostCallGprs = 31;
    }
}
