namespace Capvisor.Attestation.Cca
{
    /// <summary>The CCA platform security lifecycle (claim 2395): ranges of values, one per state.</summary>
    public static class PlatformLifecycle
    {
        /// <summary>The value Capvisor's platform reports: "secured", no debug.</summary>
        public const int Secured = 0x3000;

        /// <summary>The state of a lifecycle value, or null when it lies in no defined range.</summary>
        public static string? StateOf(long value) => value switch
        {
            >= 0x0000 and <= 0x00ff => "unknown",
            >= 0x1000 and <= 0x10ff => "assembly-and-test",
            >= 0x2000 and <= 0x20ff => "cca-platform-rot-provisioning",
            >= 0x3000 and <= 0x30ff => "secured",
            >= 0x4000 and <= 0x40ff => "non-cca-platform-rot-debug",
            >= 0x5000 and <= 0x50ff => "recoverable-cca-platform-rot-debug",
            >= 0x6000 and <= 0x60ff => "decommissioned",
            _ => null,
        };
    }
}
