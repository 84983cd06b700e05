using System.Text.Json;
using System.Text.Json.Nodes;

namespace Capvisor.Attestation.Cca
{
    /// <summary>
    /// CCA claim sets in the JSON form of Veraison's ccatoken (member names such as
    /// <c>cca-platform-challenge</c>, byte strings in standard base64), so that claims printed
    /// here can be compared with Veraison's output and its JSON test vectors read.
    /// </summary>
    public static class CcaClaimsJson
    {
        private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

        /// <summary>Platform claims as a JSON object (present claims only).</summary>
        public static JsonObject ToJson(PlatformClaims claims)
        {
            ArgumentNullException.ThrowIfNull(claims);
            var o = new JsonObject();
            Put(o, "cca-platform-profile", claims.Profile);
            Put(o, "cca-platform-challenge", claims.Challenge);
            Put(o, "cca-platform-implementation-id", claims.ImplementationId);
            Put(o, "cca-platform-instance-id", claims.InstanceId);
            Put(o, "cca-platform-config", claims.Config);
            if (claims.Lifecycle is { } lifecycle)
            {
                o["cca-platform-lifecycle"] = lifecycle;
            }

            if (claims.SoftwareComponents is { } components)
            {
                var array = new JsonArray();
                foreach (var c in components)
                {
                    var item = new JsonObject();
                    Put(item, "measurement-type", c.MeasurementType);
                    Put(item, "measurement-value", c.MeasurementValue);
                    Put(item, "version", c.Version);
                    Put(item, "signer-id", c.SignerId);
                    Put(item, "measurement-description", c.MeasurementDescription);
                    array.Add(item);
                }

                o["cca-platform-sw-components"] = array;
            }

            Put(o, "cca-platform-service-indicator", claims.VerificationService);
            Put(o, "cca-platform-hash-algo-id", claims.HashAlgorithm);
            return o;
        }

        /// <summary>Realm claims as a JSON object (present claims only).</summary>
        public static JsonObject ToJson(RealmClaims claims)
        {
            ArgumentNullException.ThrowIfNull(claims);
            var o = new JsonObject();
            Put(o, "cca-realm-profile", claims.Profile);
            Put(o, "cca-realm-challenge", claims.Challenge);
            Put(o, "cca-realm-personalization-value", claims.PersonalizationValue);
            Put(o, "cca-realm-initial-measurement", claims.InitialMeasurement);
            if (claims.ExtensibleMeasurements is { } rems)
            {
                o["cca-realm-extensible-measurements"] = new JsonArray(rems.Select(r => (JsonNode?)Convert.ToBase64String(r)).ToArray());
            }

            Put(o, "cca-realm-hash-algo-id", claims.HashAlgorithm);
            Put(o, "cca-realm-public-key", claims.PublicKey);
            Put(o, "cca-realm-public-key-hash-algo-id", claims.PublicKeyHashAlgorithm);
            return o;
        }

        /// <summary>Both claim sets as Veraison names the parts of a CCA token.</summary>
        public static string ToJson(PlatformClaims? platform, RealmClaims? realm)
        {
            var o = new JsonObject();
            if (platform is not null)
            {
                o["cca-platform-token"] = ToJson(platform);
            }

            if (realm is not null)
            {
                o["cca-realm-delegated-token"] = ToJson(realm);
            }

            return o.ToJsonString(Indented);
        }

        /// <summary>Reads platform claims from JSON. Unknown members are ignored, as Go's decoder does.</summary>
        /// <exception cref="AttestationFormatException">Not JSON, or a known member has the wrong type or bad base64.</exception>
        public static PlatformClaims ParsePlatform(string json)
        {
            var o = Object(json);
            var (challenge, count) = Nonce(o, "cca-platform-challenge");
            int? lifecycle = null;
            if (o["cca-platform-lifecycle"] is { } lc)
            {
                lifecycle = lc is JsonValue v && v.TryGetValue<int>(out var n) && n is >= 0 and <= ushort.MaxValue
                    ? n
                    : throw new AttestationFormatException("cca-platform-lifecycle is not a 16-bit unsigned integer");
            }

            IReadOnlyList<SoftwareComponent>? components = null;
            if (o["cca-platform-sw-components"] is { } sw)
            {
                if (sw is not JsonArray array)
                {
                    throw new AttestationFormatException("cca-platform-sw-components is not an array");
                }

                components = array.Select(item => item is JsonObject c
                    ? new SoftwareComponent
                    {
                        MeasurementType = Text(c, "measurement-type"),
                        MeasurementValue = Bytes(c, "measurement-value"),
                        Version = Text(c, "version"),
                        SignerId = Bytes(c, "signer-id"),
                        MeasurementDescription = Text(c, "measurement-description"),
                    }
                    : throw new AttestationFormatException("a software component is not an object")).ToArray();
            }

            return new PlatformClaims
            {
                Profile = Text(o, "cca-platform-profile"),
                Challenge = challenge,
                NonceCount = count,
                ImplementationId = Bytes(o, "cca-platform-implementation-id"),
                InstanceId = Bytes(o, "cca-platform-instance-id"),
                Config = Bytes(o, "cca-platform-config"),
                Lifecycle = lifecycle,
                SoftwareComponents = components,
                VerificationService = Text(o, "cca-platform-service-indicator"),
                HashAlgorithm = Text(o, "cca-platform-hash-algo-id"),
            };
        }

        /// <summary>
        /// Reads realm claims from JSON. Without <c>cca-realm-profile</c> the claims are in the
        /// legacy format (raw RAK), as in CBOR.
        /// </summary>
        /// <exception cref="AttestationFormatException">Not JSON, or a known member has the wrong type or bad base64.</exception>
        public static RealmClaims ParseRealm(string json)
        {
            var o = Object(json);
            var (challenge, count) = Nonce(o, "cca-realm-challenge");
            IReadOnlyList<byte[]>? rems = null;
            if (o["cca-realm-extensible-measurements"] is { } node)
            {
                rems = node is JsonArray array
                    ? array.Select(r => Base64(r, "cca-realm-extensible-measurements")).ToArray()
                    : throw new AttestationFormatException("cca-realm-extensible-measurements is not an array");
            }

            return new RealmClaims
            {
                Profile = Text(o, "cca-realm-profile"),
                Challenge = challenge,
                NonceCount = count,
                PersonalizationValue = Bytes(o, "cca-realm-personalization-value"),
                InitialMeasurement = Bytes(o, "cca-realm-initial-measurement"),
                ExtensibleMeasurements = rems,
                HashAlgorithm = Text(o, "cca-realm-hash-algo-id"),
                PublicKey = Bytes(o, "cca-realm-public-key"),
                PublicKeyHashAlgorithm = Text(o, "cca-realm-public-key-hash-algo-id"),
            };
        }

        private static JsonObject Object(string json)
        {
            ArgumentNullException.ThrowIfNull(json);
            try
            {
                return JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { MaxDepth = 16, AllowDuplicateProperties = false }) as JsonObject
                    ?? throw new AttestationFormatException("claims are not a JSON object");
            }
            catch (JsonException e)
            {
                throw new AttestationFormatException($"claims are not valid JSON: {e.Message}", e);
            }
        }

        private static (byte[]? First, int Count) Nonce(JsonObject o, string name)
        {
            switch (o[name])
            {
                case null:
                    return (null, 0);
                case JsonArray array:
                    var nonces = array.Select(n => Base64(n, name)).ToArray();
                    return (nonces.FirstOrDefault(), nonces.Length);
                case var single:
                    return (Base64(single, name), 1);
            }
        }

        private static string? Text(JsonObject o, string name) => o[name] switch
        {
            null => null,
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            _ => throw new AttestationFormatException($"{name} is not a string"),
        };

        private static byte[]? Bytes(JsonObject o, string name) => o[name] is { } node ? Base64(node, name) : null;

        private static byte[] Base64(JsonNode? node, string name)
        {
            if (node is not JsonValue v || !v.TryGetValue<string>(out var s))
            {
                throw new AttestationFormatException($"{name} is not a base64 string");
            }

            try
            {
                return Convert.FromBase64String(s);
            }
            catch (FormatException e)
            {
                throw new AttestationFormatException($"{name} is not valid base64", e);
            }
        }

        private static void Put(JsonObject o, string name, string? value)
        {
            if (value is not null)
            {
                o[name] = value;
            }
        }

        private static void Put(JsonObject o, string name, byte[]? value)
        {
            if (value is not null)
            {
                o[name] = Convert.ToBase64String(value);
            }
        }
    }
}
