namespace Capvisor.Attestation.Cca
{
    /// <summary>EAT profile names (claim 265) of the CCA token formats this library knows.</summary>
    public static class CcaProfiles
    {
        /// <summary>The RMM 1.0 platform token profile.</summary>
        public const string Platform = "tag:arm.com,2023:cca_platform#1.0.0";

        /// <summary>The platform profile of tokens from before RMM 1.0 (older TF-A/TF-RMM, the tf-rmm vector).</summary>
        public const string LegacyPlatform = "http://arm.com/CCA-SSD/1.0.0";

        /// <summary>
        /// The RMM 1.0 realm token profile. A realm token without claim 265 is the legacy format,
        /// whose RAK is a raw P-384 point instead of a COSE_Key.
        /// </summary>
        public const string Realm = "tag:arm.com,2023:realm#1.0.0";
    }
}
