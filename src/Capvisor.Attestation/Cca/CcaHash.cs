using System.Security.Cryptography;

namespace Capvisor.Attestation.Cca
{
    /// <summary>Hash algorithms named by their IANA Hash Function Textual Names, as CCA claims name them.</summary>
    internal static class CcaHash
    {
        /// <summary>Names the PSA/CCA platform profile allows for claim 2402.</summary>
        public static bool IsIanaName(string name) =>
            name is "md2" or "md5" or "sha-1" or "sha-224" or "sha-256" or "sha-384" or "sha-512" or "shake128" or "shake256";

        /// <summary>The digest of <paramref name="data"/>, or null when this library cannot compute that algorithm.</summary>
        public static byte[]? TryHash(string name, ReadOnlySpan<byte> data) => name switch
        {
            "sha-256" => SHA256.HashData(data),
            "sha-384" => SHA384.HashData(data),
            "sha-512" => SHA512.HashData(data),
            _ => null,
        };

        public static bool IsDigestLength(int length) => length is 32 or 48 or 64;
    }
}
