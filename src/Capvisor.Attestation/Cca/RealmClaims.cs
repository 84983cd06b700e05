using System.Security.Cryptography;
using Capvisor.Attestation.Cbor;
using Capvisor.Attestation.Cose;
using K = Capvisor.Attestation.Cca.CcaClaimKeys;

namespace Capvisor.Attestation.Cca
{
    /// <summary>
    /// The claims of a CCA realm token: the RMM 1.0 profile (<see cref="CcaProfiles.Realm"/>, RAK
    /// as COSE_Key) or, without a profile claim, the legacy format (RAK as a raw P-384 point).
    /// </summary>
    public sealed record RealmClaims
    {
        /// <summary>Length of the realm challenge and of the RPV.</summary>
        public const int ChallengeLength = 64;

        /// <summary>Number of REMs in RMM 1.0.</summary>
        public const int ExtensibleMeasurementCount = 4;

        /// <summary>Profile (265); null in the legacy format.</summary>
        public string? Profile { get; init; }

        /// <summary>Challenge (10): the 64 bytes the realm passed to RSI_ATTEST_TOKEN_INIT.</summary>
        public byte[]? Challenge { get; init; }

        /// <summary>How many nonces the decoded claim 10 held; zero for claims built in code.</summary>
        public int NonceCount { get; init; }

        /// <summary>Realm personalization value (44235), 64 bytes.</summary>
        public byte[]? PersonalizationValue { get; init; }

        /// <summary>Realm initial measurement (44238), 32, 48 or 64 bytes.</summary>
        public byte[]? InitialMeasurement { get; init; }

        /// <summary>Realm extensible measurements (44239), four of 32, 48 or 64 bytes.</summary>
        public IReadOnlyList<byte[]>? ExtensibleMeasurements { get; init; }

        /// <summary>Measurement hash algorithm (44236), e.g. "sha-256".</summary>
        public string? HashAlgorithm { get; init; }

        /// <summary>The RAK (44237): COSE_Key bytes, or a raw 97-byte point in the legacy format.</summary>
        public byte[]? PublicKey { get; init; }

        /// <summary>Hash algorithm of the RAK hash in the platform challenge (44240).</summary>
        public string? PublicKeyHashAlgorithm { get; init; }

        /// <summary>Whether this claim set is in the legacy (profile-less) format.</summary>
        public bool IsLegacy => Profile is null;

        /// <summary>Decodes a realm token payload. Unknown claims are ignored.</summary>
        /// <exception cref="AttestationFormatException">Not a map, or a known claim has the wrong CBOR type.</exception>
        public static RealmClaims Decode(ReadOnlySpan<byte> payload)
        {
            var map = ClaimReader.Map(payload, "realm token");
            var (challenge, count) = ClaimReader.Nonce(map, K.Challenge, "cca-realm-challenge");
            return new RealmClaims
            {
                Profile = ClaimReader.Text(map, K.Profile, "cca-realm-profile"),
                Challenge = challenge,
                NonceCount = count,
                PersonalizationValue = ClaimReader.Bytes(map, K.PersonalizationValue, "cca-realm-personalization-value"),
                InitialMeasurement = ClaimReader.Bytes(map, K.InitialMeasurement, "cca-realm-initial-measurement"),
                ExtensibleMeasurements = ClaimReader.BytesList(map, K.ExtensibleMeasurements, "cca-realm-extensible-measurements"),
                HashAlgorithm = ClaimReader.Text(map, K.RealmHashAlgorithm, "cca-realm-hash-algo-id"),
                PublicKey = ClaimReader.Bytes(map, K.RealmPublicKey, "cca-realm-public-key"),
                PublicKeyHashAlgorithm = ClaimReader.Text(map, K.RealmPublicKeyHashAlgorithm, "cca-realm-public-key-hash-algo-id"),
            };
        }

        /// <summary>The claims as a CBOR map (present claims only).</summary>
        public CborValue ToCbor()
        {
            var entries = new List<(long, CborValue)>();
            if (Profile is not null)
            {
                entries.Add((K.Profile, Profile));
            }

            if (Challenge is not null)
            {
                entries.Add((K.Challenge, Challenge));
            }

            if (PersonalizationValue is not null)
            {
                entries.Add((K.PersonalizationValue, PersonalizationValue));
            }

            if (InitialMeasurement is not null)
            {
                entries.Add((K.InitialMeasurement, InitialMeasurement));
            }

            if (ExtensibleMeasurements is not null)
            {
                entries.Add((K.ExtensibleMeasurements, CborValue.FromArray(ExtensibleMeasurements.Select(m => CborValue.FromBytes(m)))));
            }

            if (HashAlgorithm is not null)
            {
                entries.Add((K.RealmHashAlgorithm, HashAlgorithm));
            }

            if (PublicKey is not null)
            {
                entries.Add((K.RealmPublicKey, PublicKey));
            }

            if (PublicKeyHashAlgorithm is not null)
            {
                entries.Add((K.RealmPublicKeyHashAlgorithm, PublicKeyHashAlgorithm));
            }

            return CborValue.FromMap(entries);
        }

        /// <summary>The deterministic CBOR encoding: the realm token's payload.</summary>
        public byte[] Encode() => ToCbor().Encode();

        /// <summary>
        /// Checks the realm profile's rules (Veraison ccatoken, rust-ccatoken): profile absent or
        /// RMM 1.0; exactly one 64-byte challenge; 64-byte RPV; RIM and four REMs of 32/48/64
        /// bytes; hash algorithm names present; a RAK that parses in the profile's form.
        /// </summary>
        /// <returns>The first broken rule, or null when the claims are valid.</returns>
        public ClaimError? Validate()
        {
            if (Profile is not null && Profile != CcaProfiles.Realm)
            {
                return new(K.Profile, "cca-realm-profile", $"unknown profile \"{Profile}\"");
            }

            var nonces = NonceCount == 0 && Challenge is not null ? 1 : NonceCount;
            if (nonces == 0)
            {
                return new(K.Challenge, "cca-realm-challenge", "missing mandatory claim");
            }

            if (nonces != 1)
            {
                return new(K.Challenge, "cca-realm-challenge", $"got {nonces} nonces, want 1");
            }

            if (Challenge!.Length != ChallengeLength)
            {
                return new(K.Challenge, "cca-realm-challenge", $"length {Challenge.Length} (must be 64 bytes)");
            }

            if (PersonalizationValue is null)
            {
                return new(K.PersonalizationValue, "cca-realm-personalization-value", "missing mandatory claim");
            }

            if (PersonalizationValue.Length != ChallengeLength)
            {
                return new(K.PersonalizationValue, "cca-realm-personalization-value", $"length {PersonalizationValue.Length} (must be 64 bytes)");
            }

            if (InitialMeasurement is null)
            {
                return new(K.InitialMeasurement, "cca-realm-initial-measurement", "missing mandatory claim");
            }

            if (!CcaHash.IsDigestLength(InitialMeasurement.Length))
            {
                return new(K.InitialMeasurement, "cca-realm-initial-measurement", $"length {InitialMeasurement.Length} (must be 32, 48 or 64 bytes)");
            }

            if (ExtensibleMeasurements is null)
            {
                return new(K.ExtensibleMeasurements, "cca-realm-extensible-measurements", "missing mandatory claim");
            }

            if (ExtensibleMeasurements.Count != ExtensibleMeasurementCount)
            {
                return new(K.ExtensibleMeasurements, "cca-realm-extensible-measurements", $"{ExtensibleMeasurements.Count} measurements (must be 4)");
            }

            for (var i = 0; i < ExtensibleMeasurements.Count; i++)
            {
                if (!CcaHash.IsDigestLength(ExtensibleMeasurements[i].Length))
                {
                    return new(K.ExtensibleMeasurements, "cca-realm-extensible-measurements", $"measurement {i} is {ExtensibleMeasurements[i].Length} bytes (must be 32, 48 or 64)");
                }
            }

            if (string.IsNullOrEmpty(HashAlgorithm))
            {
                return new(K.RealmHashAlgorithm, "cca-realm-hash-algo-id", HashAlgorithm is null ? "missing mandatory claim" : "empty string");
            }

            if (PublicKey is null)
            {
                return new(K.RealmPublicKey, "cca-realm-public-key", "missing mandatory claim");
            }

            try
            {
                using (GetPublicKey())
                {
                }
            }
            catch (AttestationFormatException e)
            {
                return new(K.RealmPublicKey, "cca-realm-public-key", e.Message);
            }

            if (string.IsNullOrEmpty(PublicKeyHashAlgorithm))
            {
                return new(K.RealmPublicKeyHashAlgorithm, "cca-realm-public-key-hash-algo-id", PublicKeyHashAlgorithm is null ? "missing mandatory claim" : "empty string");
            }

            return null;
        }

        /// <summary>
        /// The RAK in the form the profile prescribes: a COSE_Key (EC2) when the profile claim is
        /// present, a raw uncompressed P-384 point (0x04‖X‖Y, 97 bytes) when it is not.
        /// </summary>
        /// <exception cref="AttestationFormatException">The claim is missing or not a usable key in that form.</exception>
        public ECDsa GetPublicKey()
        {
            if (PublicKey is null)
            {
                throw new AttestationFormatException("realm token has no public key claim");
            }

            if (!IsLegacy)
            {
                return CoseKey.Decode(PublicKey).ToECDsa();
            }

            if (PublicKey.Length != 97 || PublicKey[0] != 0x04)
            {
                throw new AttestationFormatException($"legacy RAK must be a 97-byte uncompressed P-384 point, is {PublicKey.Length} bytes");
            }

            return CoseCrypto.ImportPublic(CoseCurve.P384, PublicKey[1..49], PublicKey[49..]);
        }
    }
}
