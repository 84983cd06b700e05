using System.Security.Cryptography;
using Capvisor.Attestation.Cose;

namespace Capvisor.Attestation.Cca
{
    /// <summary>
    /// Makes CCA tokens as an RMM does: the platform token is signed once with the CPAK, its
    /// challenge being the hash of the RAK's COSE_Key; each realm token is signed with the RAK
    /// and joined with the platform token in a tag-399 collection.
    /// </summary>
    /// <remarks>The signer borrows the keys; the caller keeps ownership and disposes of them.</remarks>
    public sealed class CcaTokenSigner
    {
        private readonly ECDsa _rak;
        private readonly CoseAlgorithm _realmAlgorithm;

        /// <summary>Prepares the signer and signs the platform token.</summary>
        /// <param name="cpak">Platform attestation key (P-256 or P-384; P-384 on Capvisor).</param>
        /// <param name="rak">Realm attestation key (P-384 for RMM 1.0).</param>
        /// <param name="platform">Platform claims; the challenge is replaced by the RAK hash.</param>
        /// <param name="rakHashAlgorithm">Hash of the RAK binding: "sha-256" (TF-RMM's choice), "sha-384" or "sha-512".</param>
        /// <exception cref="ArgumentException">A key is on an unsupported curve, or the claims are not valid.</exception>
        public CcaTokenSigner(ECDsa cpak, ECDsa rak, PlatformClaims platform, string rakHashAlgorithm = "sha-256")
        {
            ArgumentNullException.ThrowIfNull(cpak);
            ArgumentNullException.ThrowIfNull(rak);
            ArgumentNullException.ThrowIfNull(platform);
            var cpakCurve = CoseCrypto.CurveOf(cpak) ?? throw new ArgumentException("CPAK must be on P-256, P-384 or P-521", nameof(cpak));
            var rakCurve = CoseCrypto.CurveOf(rak) ?? throw new ArgumentException("RAK must be on P-256, P-384 or P-521", nameof(rak));
            _rak = rak;
            _realmAlgorithm = CoseCrypto.AlgorithmFor(rakCurve);
            RakHashAlgorithm = rakHashAlgorithm;
            RealmPublicKey = CoseKey.FromECDsa(rak).Encode();
            var challenge = CcaHash.TryHash(rakHashAlgorithm, RealmPublicKey)
                ?? throw new ArgumentException($"unsupported RAK hash algorithm \"{rakHashAlgorithm}\"", nameof(rakHashAlgorithm));

            Platform = platform with { Challenge = challenge, NonceCount = 0 };
            if (Platform.Validate() is { } error)
            {
                throw new ArgumentException($"platform claims are not valid: {error}", nameof(platform));
            }

            PlatformToken = CoseSign1.Sign(Platform.Encode(), cpak, CoseCrypto.AlgorithmFor(cpakCurve));
        }

        /// <summary>The signed platform token (COSE_Sign1), the same for every realm token.</summary>
        public byte[] PlatformToken { get; }

        /// <summary>The platform claims as signed.</summary>
        public PlatformClaims Platform { get; }

        /// <summary>The RAK as the realm token's claim 44237 carries it: a COSE_Key, 107 bytes for P-384.</summary>
        public byte[] RealmPublicKey { get; }

        /// <summary>The RAK hash algorithm (claim 44240).</summary>
        public string RakHashAlgorithm { get; }

        /// <summary>
        /// Signs a realm token. The signer fills in the profile, the RAK and its hash algorithm;
        /// the caller gives the challenge, RPV, measurement algorithm, RIM and REMs.
        /// </summary>
        /// <exception cref="ArgumentException">The claims are not valid, or set the RAK to another key.</exception>
        public byte[] SignRealmToken(RealmClaims realm)
        {
            ArgumentNullException.ThrowIfNull(realm);
            if ((realm.PublicKey is not null && !realm.PublicKey.AsSpan().SequenceEqual(RealmPublicKey))
                || (realm.PublicKeyHashAlgorithm is not null && realm.PublicKeyHashAlgorithm != RakHashAlgorithm)
                || (realm.Profile is not null && realm.Profile != CcaProfiles.Realm))
            {
                throw new ArgumentException("realm claims name another RAK, hash algorithm or profile than the signer's", nameof(realm));
            }

            var claims = realm with
            {
                Profile = CcaProfiles.Realm,
                PublicKey = RealmPublicKey,
                PublicKeyHashAlgorithm = RakHashAlgorithm,
                NonceCount = 0,
            };
            if (claims.Validate() is { } error)
            {
                throw new ArgumentException($"realm claims are not valid: {error}", nameof(realm));
            }

            return CoseSign1.Sign(claims.Encode(), _rak, _realmAlgorithm);
        }

        /// <summary>Signs a realm token and returns the whole CCA token (tag-399 collection).</summary>
        /// <exception cref="ArgumentException">See <see cref="SignRealmToken"/>.</exception>
        public byte[] CreateToken(RealmClaims realm) => new CcaToken(PlatformToken, SignRealmToken(realm)).Encode();
    }
}
