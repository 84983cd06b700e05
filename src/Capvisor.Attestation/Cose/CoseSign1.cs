using System.Security.Cryptography;
using Capvisor.Attestation.Cbor;

namespace Capvisor.Attestation.Cose
{
    /// <summary>
    /// An RFC 9052 §4.2 COSE_Sign1 message with an embedded payload, signed with ECDSA
    /// (ES256, ES384, ES512; signatures in the fixed-length r‖s form of RFC 9053 §2.1).
    /// </summary>
    public sealed class CoseSign1
    {
        /// <summary>The CBOR tag of a COSE_Sign1 message.</summary>
        public const ulong Tag = 18;

        private const long HeaderAlg = 1;
        private const long HeaderCrit = 2;

        private CoseSign1(byte[] protectedBytes, CborValue protectedHeaders, CborValue unprotectedHeaders,
            byte[] payload, byte[] signature, bool tagged)
        {
            ProtectedHeaderBytes = protectedBytes;
            ProtectedHeaders = protectedHeaders;
            UnprotectedHeaders = unprotectedHeaders;
            Payload = payload;
            Signature = signature;
            IsTagged = tagged;
            if (protectedHeaders.TryGetValue(HeaderAlg, out var alg) && alg.TryGetInt64(out var a) && CoseCrypto.IsDefined(a))
            {
                Algorithm = (CoseAlgorithm)a;
            }
        }

        /// <summary>The serialized protected header map, exactly as signed.</summary>
        public byte[] ProtectedHeaderBytes { get; }

        /// <summary>The decoded protected header map.</summary>
        public CborValue ProtectedHeaders { get; }

        /// <summary>The unprotected header map.</summary>
        public CborValue UnprotectedHeaders { get; }

        /// <summary>The payload.</summary>
        public byte[] Payload { get; }

        /// <summary>The signature (r‖s).</summary>
        public byte[] Signature { get; }

        /// <summary>Whether the message carried CBOR tag 18.</summary>
        public bool IsTagged { get; }

        /// <summary>The protected algorithm, or null when it is absent or not one this library knows.</summary>
        public CoseAlgorithm? Algorithm { get; }

        /// <summary>
        /// Decodes a COSE_Sign1 message, tagged or not. Header rules of RFC 9052 §3 are enforced:
        /// both header buckets are maps, no label is in both, and a <c>crit</c> header is refused
        /// because this library understands no extension header.
        /// </summary>
        /// <param name="encoded">The message.</param>
        /// <param name="requireTag">Refuse the untagged form, as CCA tokens (and both Veraison verifiers) do.</param>
        /// <exception cref="AttestationFormatException">Not a COSE_Sign1 message with an embedded payload.</exception>
        public static CoseSign1 Decode(ReadOnlySpan<byte> encoded, bool requireTag = false)
        {
            var item = CborDecoder.Decode(encoded);
            var tagged = false;
            if (item.Kind == CborKind.Tag)
            {
                if (item.TagNumber != Tag)
                {
                    throw new AttestationFormatException($"COSE_Sign1: tag {item.TagNumber}, expected {Tag}");
                }

                tagged = true;
                item = item.TagContent;
            }

            if (requireTag && !tagged)
            {
                throw new AttestationFormatException("COSE_Sign1: tag 18 missing");
            }

            if (item.Kind != CborKind.Array || item.Count != 4)
            {
                throw new AttestationFormatException("COSE_Sign1: expected an array of 4 items");
            }

            var parts = item.Items;
            if (parts[0].Kind != CborKind.ByteString)
            {
                throw new AttestationFormatException("COSE_Sign1: protected header is not a byte string");
            }

            var protectedBytes = parts[0].AsBytes();

            // RFC 9052 §3: an empty protected bucket is the zero-length string, standing for an empty map.
            var protectedHeaders = protectedBytes.Length == 0 ? CborValue.EmptyMap : CborDecoder.Decode(protectedBytes);
            if (protectedHeaders.Kind != CborKind.Map)
            {
                throw new AttestationFormatException("COSE_Sign1: protected header is not a map");
            }

            var unprotectedHeaders = parts[1];
            if (unprotectedHeaders.Kind != CborKind.Map)
            {
                throw new AttestationFormatException("COSE_Sign1: unprotected header is not a map");
            }

            foreach (var (label, _) in unprotectedHeaders.Entries)
            {
                if (protectedHeaders.TryGetValue(label, out _))
                {
                    throw new AttestationFormatException($"COSE_Sign1: header {label} is both protected and unprotected");
                }
            }

            if (protectedHeaders.TryGetValue(HeaderCrit, out _) || unprotectedHeaders.TryGetValue(HeaderCrit, out _))
            {
                throw new AttestationFormatException("COSE_Sign1: critical headers are not supported");
            }

            if (parts[2].IsNull)
            {
                throw new AttestationFormatException("COSE_Sign1: detached payloads are not supported");
            }

            if (parts[2].Kind != CborKind.ByteString)
            {
                throw new AttestationFormatException("COSE_Sign1: payload is not a byte string");
            }

            if (parts[3].Kind != CborKind.ByteString)
            {
                throw new AttestationFormatException("COSE_Sign1: signature is not a byte string");
            }

            return new CoseSign1(protectedBytes, protectedHeaders, unprotectedHeaders, parts[2].AsBytes(), parts[3].AsBytes(), tagged);
        }

        /// <summary>
        /// Signs <paramref name="payload"/> and returns the tagged COSE_Sign1 message, with the
        /// algorithm as the only protected header and an empty unprotected header, as TF-RMM does.
        /// </summary>
        /// <exception cref="ArgumentException">The key is not on the curve of <paramref name="algorithm"/>.</exception>
        public static byte[] Sign(ReadOnlySpan<byte> payload, ECDsa key, CoseAlgorithm algorithm)
        {
            ArgumentNullException.ThrowIfNull(key);
            if (CoseCrypto.CurveOf(key) != CoseCrypto.CurveOf(algorithm))
            {
                throw new ArgumentException($"{algorithm} needs a {CoseCrypto.CurveName(CoseCrypto.CurveOf(algorithm))} key", nameof(key));
            }

            var protectedBytes = CborValue.FromMap((HeaderAlg, (long)algorithm)).Encode();
            var toBeSigned = SigStructure(protectedBytes, payload);
            var signature = key.SignData(toBeSigned, CoseCrypto.HashOf(algorithm), DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

            var encoder = new CborEncoder();
            encoder.WriteTag(Tag);
            encoder.WriteStartArray(4);
            encoder.WriteByteString(protectedBytes);
            encoder.WriteStartMap(0);
            encoder.WriteByteString(payload);
            encoder.WriteByteString(signature);
            return encoder.WrittenSpan.ToArray();
        }

        /// <summary>
        /// Checks the signature with <paramref name="publicKey"/>. Fails, with a reason, when the
        /// protected algorithm is missing or unknown, does not match the key's curve, or the
        /// signature is wrong.
        /// </summary>
        public bool Verify(ECDsa publicKey, out string? reason)
        {
            ArgumentNullException.ThrowIfNull(publicKey);
            if (Algorithm is not { } algorithm)
            {
                reason = ProtectedHeaders.TryGetValue(HeaderAlg, out var alg)
                    ? $"unsupported algorithm {alg}"
                    : "no algorithm in the protected header";
                return false;
            }

            var curve = CoseCrypto.CurveOf(algorithm);
            if (CoseCrypto.CurveOf(publicKey) != curve)
            {
                reason = $"{algorithm} needs a {CoseCrypto.CurveName(curve)} key";
                return false;
            }

            if (Signature.Length != 2 * CoseCrypto.CoordinateLength(curve))
            {
                reason = $"signature is {Signature.Length} bytes, {2 * CoseCrypto.CoordinateLength(curve)} expected for {algorithm}";
                return false;
            }

            var toBeSigned = SigStructure(ProtectedHeaderBytes, Payload);
            if (!publicKey.VerifyData(toBeSigned, Signature, CoseCrypto.HashOf(algorithm), DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
            {
                reason = $"{algorithm} signature does not verify";
                return false;
            }

            reason = null;
            return true;
        }

        /// <summary>Checks the signature; see <see cref="Verify(ECDsa, out string?)"/>.</summary>
        public bool Verify(ECDsa publicKey) => Verify(publicKey, out _);

        // RFC 9052 §4.4: Sig_structure = ["Signature1", body_protected, external_aad, payload].
        private static byte[] SigStructure(ReadOnlySpan<byte> protectedBytes, ReadOnlySpan<byte> payload)
        {
            var encoder = new CborEncoder();
            encoder.WriteStartArray(4);
            encoder.WriteTextString("Signature1");
            encoder.WriteByteString(protectedBytes);
            encoder.WriteByteString([]);
            encoder.WriteByteString(payload);
            return encoder.WrittenSpan.ToArray();
        }
    }
}
