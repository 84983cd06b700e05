using Capvisor.Attestation.Cbor;

namespace Capvisor.Attestation.Cca
{
    /// <summary>One entry of the platform's software components claim (2399), as in the PSA token.</summary>
    public sealed record SoftwareComponent
    {
        /// <summary>Component type, e.g. "BL" or "RMM" (label 1, optional).</summary>
        public string? MeasurementType { get; init; }

        /// <summary>Digest of the component (label 2, mandatory, 32/48/64 bytes).</summary>
        public byte[]? MeasurementValue { get; init; }

        /// <summary>Version (label 4, optional).</summary>
        public string? Version { get; init; }

        /// <summary>Digest of the signer's key (label 5, mandatory, 32/48/64 bytes).</summary>
        public byte[]? SignerId { get; init; }

        /// <summary>Hash algorithm of the measurement (label 6, optional).</summary>
        public string? MeasurementDescription { get; init; }

        /// <summary>What is wrong with this component, or null.</summary>
        public string? Validate()
        {
            if (MeasurementValue is null)
            {
                return "missing mandatory measurement-value";
            }

            if (!CcaHash.IsDigestLength(MeasurementValue.Length))
            {
                return $"measurement-value is {MeasurementValue.Length} bytes (must be 32, 48 or 64)";
            }

            if (SignerId is null)
            {
                return "missing mandatory signer-id";
            }

            if (!CcaHash.IsDigestLength(SignerId.Length))
            {
                return $"signer-id is {SignerId.Length} bytes (must be 32, 48 or 64)";
            }

            return null;
        }

        internal static SoftwareComponent FromCbor(CborValue item)
        {
            if (item.Kind != CborKind.Map)
            {
                throw ClaimReader.Wrong("cca-platform-sw-components", CcaClaimKeys.SoftwareComponents, "an array of maps", item);
            }

            return new SoftwareComponent
            {
                MeasurementType = ClaimReader.Text(item, 1, "measurement-type"),
                MeasurementValue = ClaimReader.Bytes(item, 2, "measurement-value"),
                Version = ClaimReader.Text(item, 4, "version"),
                SignerId = ClaimReader.Bytes(item, 5, "signer-id"),
                MeasurementDescription = ClaimReader.Text(item, 6, "measurement-description"),
            };
        }

        internal CborValue ToCbor()
        {
            var entries = new List<(long, CborValue)>();
            if (MeasurementType is not null)
            {
                entries.Add((1, MeasurementType));
            }

            if (MeasurementValue is not null)
            {
                entries.Add((2, MeasurementValue));
            }

            if (Version is not null)
            {
                entries.Add((4, Version));
            }

            if (SignerId is not null)
            {
                entries.Add((5, SignerId));
            }

            if (MeasurementDescription is not null)
            {
                entries.Add((6, MeasurementDescription));
            }

            return CborValue.FromMap(entries);
        }
    }
}
