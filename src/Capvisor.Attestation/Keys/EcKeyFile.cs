using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Capvisor.Attestation.Cose;

namespace Capvisor.Attestation.Keys
{
    /// <summary>
    /// Reads and writes elliptic-curve keys in the two text forms verifiers exchange: PEM
    /// (SubjectPublicKeyInfo, SEC 1 "EC PRIVATE KEY" or PKCS #8) and JWK (RFC 7517/7518, kty EC).
    /// Only P-256, P-384 and P-521 are accepted, the curves of ES256, ES384 and ES512.
    /// </summary>
    public static class EcKeyFile
    {
        /// <summary>Loads a public or private key from PEM or JWK text.</summary>
        /// <exception cref="AttestationFormatException">The text is neither, or the key is unusable.</exception>
        public static ECDsa Load(string text)
        {
            ArgumentNullException.ThrowIfNull(text);
            var trimmed = text.TrimStart();
            var key = trimmed.StartsWith('{') ? LoadJwk(trimmed) : LoadPem(text);
            if (CoseCrypto.CurveOf(key) is null)
            {
                key.Dispose();
                throw new AttestationFormatException("key is not on P-256, P-384 or P-521");
            }

            return key;
        }

        /// <summary>Whether the key holds its private part.</summary>
        public static bool HasPrivateKey(ECDsa key)
        {
            ArgumentNullException.ThrowIfNull(key);
            try
            {
                return key.ExportParameters(true).D is not null;
            }
            catch (CryptographicException)
            {
                return false;
            }
        }

        /// <summary>The public key as PEM SubjectPublicKeyInfo.</summary>
        public static string ToPublicPem(ECDsa key) => key.ExportSubjectPublicKeyInfoPem();

        /// <summary>The key as a JWK object (public unless <paramref name="includePrivate"/>).</summary>
        public static string ToJwk(ECDsa key, bool includePrivate = false)
        {
            ArgumentNullException.ThrowIfNull(key);
            var curve = CoseCrypto.CurveOf(key) ?? throw new ArgumentException("not a NIST curve key", nameof(key));
            var p = key.ExportParameters(includePrivate);
            var jwk = new JsonObject
            {
                ["kty"] = "EC",
                ["crv"] = CoseCrypto.CurveName(curve),
                ["x"] = Base64Url.EncodeToString(p.Q.X),
                ["y"] = Base64Url.EncodeToString(p.Q.Y),
            };
            if (includePrivate)
            {
                jwk["d"] = Base64Url.EncodeToString(p.D);
            }

            return jwk.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        }

        private static ECDsa LoadPem(string text)
        {
            if (!text.Contains("-----BEGIN", StringComparison.Ordinal))
            {
                throw new AttestationFormatException("key is neither PEM nor a JWK object");
            }

            var key = ECDsa.Create();
            try
            {
                key.ImportFromPem(text);
                return key;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // The platform's importers throw several types for hostile DER (ArgumentException,
                // CryptographicException, PlatformNotSupportedException for unknown curve OIDs…).
                key.Dispose();
                throw new AttestationFormatException($"PEM holds no usable EC key: {e.Message}", e);
            }
        }

        private static ECDsa LoadJwk(string text)
        {
            JsonNode? node;
            try
            {
                node = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { MaxDepth = 8, AllowDuplicateProperties = false });
            }
            catch (JsonException e)
            {
                throw new AttestationFormatException($"JWK is not valid JSON: {e.Message}", e);
            }

            if (node is not JsonObject jwk)
            {
                throw new AttestationFormatException("JWK is not a JSON object");
            }

            if (Member(jwk, "kty") != "EC")
            {
                throw new AttestationFormatException("JWK kty is not \"EC\"");
            }

            CoseCurve curve = Member(jwk, "crv") switch
            {
                "P-256" => CoseCurve.P256,
                "P-384" => CoseCurve.P384,
                "P-521" => CoseCurve.P521,
                var other => throw new AttestationFormatException($"JWK crv {other ?? "(missing)"} is not P-256, P-384 or P-521"),
            };
            var x = Coordinate(jwk, "x") ?? throw new AttestationFormatException("JWK has no x");
            var y = Coordinate(jwk, "y") ?? throw new AttestationFormatException("JWK has no y");
            return CoseCrypto.ImportPublic(curve, x, y, Coordinate(jwk, "d"));
        }

        private static string? Member(JsonObject jwk, string name) =>
            jwk[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

        private static byte[]? Coordinate(JsonObject jwk, string name)
        {
            if (!jwk.ContainsKey(name))
            {
                return null;
            }

            var text = Member(jwk, name) ?? throw new AttestationFormatException($"JWK {name} is not a string");
            try
            {
                return Base64Url.DecodeFromChars(text);
            }
            catch (FormatException e)
            {
                throw new AttestationFormatException($"JWK {name} is not base64url", e);
            }
        }
    }
}
