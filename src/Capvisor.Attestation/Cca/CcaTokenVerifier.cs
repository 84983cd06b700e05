using System.Security.Cryptography;
using Capvisor.Attestation.Cose;

namespace Capvisor.Attestation.Cca
{
    /// <summary>
    /// Verifies a CCA token the way Veraison's verifiers do: both messages must be tagged
    /// COSE_Sign1 (tag 18); claims are validated first, then the
    /// platform signature with the CPAK, the realm signature with the RAK from the realm claims,
    /// and the binding of the two (platform challenge = hash of the RAK claim); then any
    /// reference values the caller gives.
    /// </summary>
    public static class CcaTokenVerifier
    {
        /// <summary>Verifies <paramref name="token"/> against the platform key <paramref name="cpak"/>.</summary>
        /// <remarks>Never throws for bad token bytes: every problem becomes a failed check in the result.</remarks>
        public static CcaVerificationResult Verify(ReadOnlySpan<byte> token, ECDsa cpak, CcaReferenceValues? expected = null)
        {
            ArgumentNullException.ThrowIfNull(cpak);

            CcaToken collection;
            CoseSign1 platformMessage;
            CoseSign1 realmMessage;
            try
            {
                collection = CcaToken.Decode(token);
            }
            catch (AttestationFormatException e)
            {
                return Fail(CcaCheck.Format, e.Message);
            }

            try
            {
                platformMessage = CoseSign1.Decode(collection.PlatformToken, requireTag: true);
            }
            catch (AttestationFormatException e)
            {
                return Fail(CcaCheck.Format, "platform token: " + e.Message) with { Token = collection };
            }

            try
            {
                realmMessage = CoseSign1.Decode(collection.RealmToken, requireTag: true);
            }
            catch (AttestationFormatException e)
            {
                return Fail(CcaCheck.Format, "realm token: " + e.Message) with { Token = collection };
            }

            var result = new CcaVerificationResult { Token = collection };
            PlatformClaims platform;
            try
            {
                platform = PlatformClaims.Decode(platformMessage.Payload);
            }
            catch (AttestationFormatException e)
            {
                return result with { FailedCheck = CcaCheck.PlatformClaims, Reason = e.Message };
            }

            result = result with { Platform = platform };
            RealmClaims realm;
            try
            {
                realm = RealmClaims.Decode(realmMessage.Payload);
            }
            catch (AttestationFormatException e)
            {
                return result with { FailedCheck = CcaCheck.RealmClaims, Reason = e.Message };
            }

            result = result with { Realm = realm };
            if (platform.Validate() is { } platformError)
            {
                return result with { FailedCheck = CcaCheck.PlatformClaims, Reason = platformError.ToString() };
            }

            if (realm.Validate() is { } realmError)
            {
                return result with { FailedCheck = CcaCheck.RealmClaims, Reason = realmError.ToString() };
            }

            if (!platformMessage.Verify(cpak, out var platformReason))
            {
                return result with { FailedCheck = CcaCheck.PlatformSignature, Reason = platformReason };
            }

            ECDsa rak;
            try
            {
                rak = realm.GetPublicKey();
            }
            catch (AttestationFormatException e)
            {
                // Validate() has parsed the key already; kept so that Verify can never throw.
                return result with { FailedCheck = CcaCheck.RealmClaims, Reason = e.Message };
            }

            using (rak)
            {
                if (!realmMessage.Verify(rak, out var realmReason))
                {
                    return result with { FailedCheck = CcaCheck.RealmSignature, Reason = realmReason };
                }
            }

            var rakHash = CcaHash.TryHash(realm.PublicKeyHashAlgorithm!, realm.PublicKey);
            if (rakHash is null)
            {
                return result with { FailedCheck = CcaCheck.Binding, Reason = $"RAK hash algorithm \"{realm.PublicKeyHashAlgorithm}\" is not supported (sha-256, sha-384, sha-512)" };
            }

            if (!rakHash.AsSpan().SequenceEqual(platform.Challenge))
            {
                return result with { FailedCheck = CcaCheck.Binding, Reason = $"platform challenge is not the {realm.PublicKeyHashAlgorithm} hash of the realm public key" };
            }

            if (expected?.Challenge is { } challenge && !Matches(challenge, realm.Challenge!))
            {
                return result with { FailedCheck = CcaCheck.Challenge, Reason = "realm challenge differs from the expected one" };
            }

            if (expected?.InitialMeasurement is { } rim && !rim.AsSpan().SequenceEqual(realm.InitialMeasurement))
            {
                return result with { FailedCheck = CcaCheck.InitialMeasurement, Reason = $"RIM is {Convert.ToHexStringLower(realm.InitialMeasurement!)}, expected {Convert.ToHexStringLower(rim)}" };
            }

            if (expected?.PersonalizationValue is { } rpv && !Matches(rpv, realm.PersonalizationValue!))
            {
                return result with { FailedCheck = CcaCheck.PersonalizationValue, Reason = "RPV differs from the expected one" };
            }

            return result;
        }

        private static bool Matches(byte[] expected, byte[] actual)
        {
            if (expected.Length > actual.Length)
            {
                return false;
            }

            // Zero-padding, as the RMM's 64-byte registers receive shorter values.
            return actual.AsSpan(0, expected.Length).SequenceEqual(expected) && !actual.AsSpan(expected.Length).ContainsAnyExcept((byte)0);
        }

        private static CcaVerificationResult Fail(CcaCheck check, string reason) => new() { FailedCheck = check, Reason = reason };
    }
}
