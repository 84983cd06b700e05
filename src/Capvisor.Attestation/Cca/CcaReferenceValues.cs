namespace Capvisor.Attestation.Cca
{
    /// <summary>Values a relying party expects in the realm token; null members are not checked.</summary>
    public sealed record CcaReferenceValues
    {
        /// <summary>
        /// The challenge the relying party gave. Shorter than 64 bytes, it is compared as Linux's
        /// arm-cca-guest sends it: zero-padded to 64.
        /// </summary>
        public byte[]? Challenge { get; init; }

        /// <summary>The expected realm initial measurement (RIM).</summary>
        public byte[]? InitialMeasurement { get; init; }

        /// <summary>The expected realm personalization value (RPV), zero-padded to 64 bytes when shorter.</summary>
        public byte[]? PersonalizationValue { get; init; }
    }
}
