using System.Security.Cryptography;
using Capvisor.Attestation.Cbor;

namespace Capvisor.Attestation.Cose
{
    /// <summary>
    /// An RFC 9052 §7 COSE_Key of type EC2 (RFC 9053 §7.1.1): how RMM 1.0 realm tokens carry the
    /// realm attestation key (RAK).
    /// </summary>
    public sealed class CoseKey
    {
        private const long LabelKty = 1;
        private const long LabelAlg = 3;
        private const long LabelCrv = -1;
        private const long LabelX = -2;
        private const long LabelY = -3;
        private const long LabelD = -4;
        private const long KtyEc2 = 2;

        private CoseKey(CoseCurve curve, byte[] x, byte[] y, byte[]? d, CoseAlgorithm? algorithm)
        {
            Curve = curve;
            X = x;
            Y = y;
            D = d;
            Algorithm = algorithm;
        }

        /// <summary>The curve (label -1).</summary>
        public CoseCurve Curve { get; }

        /// <summary>The x coordinate (label -2), big-endian, full length.</summary>
        public byte[] X { get; }

        /// <summary>The y coordinate (label -3).</summary>
        public byte[] Y { get; }

        /// <summary>The private scalar (label -4), when the key carries it.</summary>
        public byte[]? D { get; }

        /// <summary>The algorithm the key is restricted to (label 3), when stated.</summary>
        public CoseAlgorithm? Algorithm { get; }

        /// <summary>The public key of an ECDsa key on P-256, P-384 or P-521.</summary>
        /// <exception cref="ArgumentException">The key is on another curve.</exception>
        public static CoseKey FromECDsa(ECDsa key)
        {
            ArgumentNullException.ThrowIfNull(key);
            var curve = CoseCrypto.CurveOf(key) ?? throw new ArgumentException("only P-256, P-384 and P-521 keys have a COSE EC2 form", nameof(key));
            var p = key.ExportParameters(false);
            return new CoseKey(curve, p.Q.X!, p.Q.Y!, null, null);
        }

        /// <summary>Decodes a COSE_Key; only EC2 keys on the NIST curves with uncompressed points are accepted.</summary>
        /// <exception cref="AttestationFormatException">Not such a key.</exception>
        public static CoseKey Decode(ReadOnlySpan<byte> encoded)
        {
            var map = CborDecoder.Decode(encoded);
            if (map.Kind != CborKind.Map)
            {
                throw new AttestationFormatException($"COSE_Key: expected a map, found {map}");
            }

            if (!map.TryGetValue(LabelKty, out var kty))
            {
                throw new AttestationFormatException("COSE_Key: missing kty (1)");
            }

            if (!kty.TryGetInt64(out var ktyValue) || ktyValue != KtyEc2)
            {
                throw new AttestationFormatException($"COSE_Key: kty {kty} is not EC2 (2)");
            }

            if (!map.TryGetValue(LabelCrv, out var crv) || !crv.TryGetInt64(out var crvValue) || crvValue is < 1 or > 3)
            {
                throw new AttestationFormatException("COSE_Key: crv (-1) missing or not P-256 (1), P-384 (2) or P-521 (3)");
            }

            var curve = (CoseCurve)crvValue;
            var length = CoseCrypto.CoordinateLength(curve);
            var x = Coordinate(map, LabelX, "x", length);
            if (!map.TryGetValue(LabelY, out var yItem) || yItem.Kind != CborKind.ByteString)
            {
                // A boolean y is point compression (RFC 9053 §7.1.1), which neither TF-RMM nor the verifiers use.
                throw new AttestationFormatException("COSE_Key: y (-3) missing or not an uncompressed coordinate");
            }

            var y = Coordinate(map, LabelY, "y", length);
            byte[]? d = map.TryGetValue(LabelD, out _) ? Coordinate(map, LabelD, "d", length) : null;
            CoseAlgorithm? algorithm = null;
            if (map.TryGetValue(LabelAlg, out var alg))
            {
                if (!alg.TryGetInt64(out var a) || !CoseCrypto.IsDefined(a) || CoseCrypto.CurveOf((CoseAlgorithm)a) != curve)
                {
                    throw new AttestationFormatException($"COSE_Key: alg {alg} is not the ECDSA algorithm of {CoseCrypto.CurveName(curve)}");
                }

                algorithm = (CoseAlgorithm)a;
            }

            // Check the point now, so that a key that decodes is a key that can verify.
            using (CoseCrypto.ImportPublic(curve, x, y))
            {
            }

            return new CoseKey(curve, x, y, d, algorithm);
        }

        /// <summary>
        /// The public key as TF-RMM encodes it (<c>t_cose_key_encode</c>): <c>{1: 2, -1: crv, -2: x, -3: y}</c>,
        /// deterministic, 107 bytes for P-384.
        /// </summary>
        public byte[] Encode() => CborValue.FromMap(
            (LabelKty, KtyEc2),
            (LabelCrv, (long)Curve),
            (LabelX, X),
            (LabelY, Y)).Encode();

        /// <summary>An ECDsa holding this public key (the private part is never imported).</summary>
        public ECDsa ToECDsa() => CoseCrypto.ImportPublic(Curve, X, Y);

        private static byte[] Coordinate(CborValue map, long label, string name, int length)
        {
            if (!map.TryGetValue(label, out var item) || item.Kind != CborKind.ByteString)
            {
                throw new AttestationFormatException($"COSE_Key: {name} ({label}) missing or not a byte string");
            }

            var bytes = item.AsBytes();
            if (bytes.Length != length)
            {
                throw new AttestationFormatException($"COSE_Key: {name} is {bytes.Length} bytes, {length} expected");
            }

            return bytes;
        }
    }
}
