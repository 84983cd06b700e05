using System.Security.Cryptography;

namespace Capvisor.Attestation.Cose
{
    /// <summary>Maps COSE algorithms and curves onto .NET's ECDsa and hash names.</summary>
    internal static class CoseCrypto
    {
        public static bool IsDefined(long algorithm) => algorithm is -7 or -35 or -36;

        public static CoseCurve CurveOf(CoseAlgorithm algorithm) => algorithm switch
        {
            CoseAlgorithm.ES256 => CoseCurve.P256,
            CoseAlgorithm.ES384 => CoseCurve.P384,
            CoseAlgorithm.ES512 => CoseCurve.P521,
            _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
        };

        public static CoseAlgorithm AlgorithmFor(CoseCurve curve) => curve switch
        {
            CoseCurve.P256 => CoseAlgorithm.ES256,
            CoseCurve.P384 => CoseAlgorithm.ES384,
            CoseCurve.P521 => CoseAlgorithm.ES512,
            _ => throw new ArgumentOutOfRangeException(nameof(curve)),
        };

        public static HashAlgorithmName HashOf(CoseAlgorithm algorithm) => algorithm switch
        {
            CoseAlgorithm.ES256 => HashAlgorithmName.SHA256,
            CoseAlgorithm.ES384 => HashAlgorithmName.SHA384,
            CoseAlgorithm.ES512 => HashAlgorithmName.SHA512,
            _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
        };

        /// <summary>Bytes of one coordinate (and of r and s): 32, 48 or 66.</summary>
        public static int CoordinateLength(CoseCurve curve) => curve switch
        {
            CoseCurve.P256 => 32,
            CoseCurve.P384 => 48,
            CoseCurve.P521 => 66,
            _ => throw new ArgumentOutOfRangeException(nameof(curve)),
        };

        public static ECCurve ToECCurve(CoseCurve curve) => curve switch
        {
            CoseCurve.P256 => ECCurve.NamedCurves.nistP256,
            CoseCurve.P384 => ECCurve.NamedCurves.nistP384,
            CoseCurve.P521 => ECCurve.NamedCurves.nistP521,
            _ => throw new ArgumentOutOfRangeException(nameof(curve)),
        };

        public static string CurveName(CoseCurve curve) => curve switch
        {
            CoseCurve.P256 => "P-256",
            CoseCurve.P384 => "P-384",
            CoseCurve.P521 => "P-521",
            _ => curve.ToString(),
        };

        /// <summary>The COSE curve of a key, or null when it is not one of the three NIST curves.</summary>
        public static CoseCurve? CurveOf(ECDsa key)
        {
            // By OID, not key size: brainpoolP256r1 is 256 bits too.
            var curve = key.ExportParameters(false).Curve;
            return curve.Oid?.Value switch
            {
                "1.2.840.10045.3.1.7" => CoseCurve.P256,
                "1.3.132.0.34" => CoseCurve.P384,
                "1.3.132.0.35" => CoseCurve.P521,
                _ => curve.Oid?.FriendlyName switch
                {
                    "nistP256" or "ECDSA_P256" => CoseCurve.P256,
                    "nistP384" or "ECDSA_P384" => CoseCurve.P384,
                    "nistP521" or "ECDSA_P521" => CoseCurve.P521,
                    _ => null,
                },
            };
        }

        /// <summary>
        /// Imports a public point, turning the platform's errors for points off the curve into
        /// the library's format error.
        /// </summary>
        public static ECDsa ImportPublic(CoseCurve curve, byte[] x, byte[] y, byte[]? d = null)
        {
            var length = CoordinateLength(curve);
            if (x.Length != length || y.Length != length || (d is not null && d.Length != length))
            {
                throw new AttestationFormatException($"{CurveName(curve)} key coordinates must be {length} bytes");
            }

            var key = ECDsa.Create();
            try
            {
                key.ImportParameters(new ECParameters { Curve = ToECCurve(curve), Q = new ECPoint { X = x, Y = y }, D = d });
                return key;
            }
            catch (Exception e) when (e is CryptographicException or ArgumentException or PlatformNotSupportedException)
            {
                key.Dispose();
                throw new AttestationFormatException($"not a valid {CurveName(curve)} key: {e.Message}", e);
            }
        }
    }
}
