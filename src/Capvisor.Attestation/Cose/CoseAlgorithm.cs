namespace Capvisor.Attestation.Cose
{
    /// <summary>COSE signature algorithms this library signs and verifies (IANA COSE Algorithms registry).</summary>
    public enum CoseAlgorithm
    {
        /// <summary>ECDSA with SHA-256 on P-256.</summary>
        ES256 = -7,

        /// <summary>ECDSA with SHA-384 on P-384: what TF-RMM uses for realm tokens.</summary>
        ES384 = -35,

        /// <summary>ECDSA with SHA-512 on P-521.</summary>
        ES512 = -36,
    }
}
