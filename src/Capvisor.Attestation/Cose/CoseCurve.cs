namespace Capvisor.Attestation.Cose
{
    /// <summary>COSE elliptic curves for EC2 keys (IANA COSE Elliptic Curves registry).</summary>
    public enum CoseCurve
    {
        /// <summary>NIST P-256.</summary>
        P256 = 1,

        /// <summary>NIST P-384.</summary>
        P384 = 2,

        /// <summary>NIST P-521.</summary>
        P521 = 3,
    }
}
