namespace Capvisor.Firmware.Psci
{
    /// <summary>PSCI and SMCCC function IDs (Arm DEN 0022 and DEN 0028); bit 30 selects the SMC64 form.</summary>
    public static class PsciFunction
    {
        public const uint PsciVersion = 0x8400_0000;
        public const uint CpuSuspend32 = 0x8400_0001, CpuSuspend64 = 0xC400_0001;
        public const uint CpuOff = 0x8400_0002;
        public const uint CpuOn32 = 0x8400_0003, CpuOn64 = 0xC400_0003;
        public const uint AffinityInfo32 = 0x8400_0004, AffinityInfo64 = 0xC400_0004;
        public const uint Migrate32 = 0x8400_0005, Migrate64 = 0xC400_0005;
        public const uint MigrateInfoType = 0x8400_0006;
        public const uint MigrateInfoUpCpu32 = 0x8400_0007, MigrateInfoUpCpu64 = 0xC400_0007;
        public const uint SystemOff = 0x8400_0008;
        public const uint SystemReset = 0x8400_0009;
        public const uint PsciFeatures = 0x8400_000A;

        /// <summary>SMCCC_VERSION (Arm architecture service).</summary>
        public const uint SmcccVersion = 0x8000_0000;

        /// <summary>SMCCC_ARCH_FEATURES.</summary>
        public const uint SmcccArchFeatures = 0x8000_0001;
    }
}
