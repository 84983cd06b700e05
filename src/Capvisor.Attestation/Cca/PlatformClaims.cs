using Capvisor.Attestation.Cbor;
using K = Capvisor.Attestation.Cca.CcaClaimKeys;

namespace Capvisor.Attestation.Cca
{
    /// <summary>
    /// The claims of a CCA platform token, for both the RMM 1.0 profile and the legacy one.
    /// Decoding only checks types; <see cref="Validate"/> checks the profile's rules, so that a
    /// claim set can be inspected even when it is not valid (as Veraison separates the two).
    /// </summary>
    public sealed record PlatformClaims
    {
        /// <summary>Profile (265): <see cref="CcaProfiles.Platform"/> or <see cref="CcaProfiles.LegacyPlatform"/>.</summary>
        public string? Profile { get; init; }

        /// <summary>Challenge (10): the RAK hash, 32, 48 or 64 bytes.</summary>
        public byte[]? Challenge { get; init; }

        /// <summary>
        /// How many nonces the decoded claim 10 held (EAT allows an array); exactly one is valid.
        /// Zero for claims built in code, where <see cref="Challenge"/> alone counts.
        /// </summary>
        public int NonceCount { get; init; }

        /// <summary>Implementation ID (2396), 32 bytes.</summary>
        public byte[]? ImplementationId { get; init; }

        /// <summary>Instance ID (256), 33 bytes starting with 0x01 (UEID type RAND).</summary>
        public byte[]? InstanceId { get; init; }

        /// <summary>Platform configuration (2401).</summary>
        public byte[]? Config { get; init; }

        /// <summary>Security lifecycle (2395); see <see cref="PlatformLifecycle"/>.</summary>
        public int? Lifecycle { get; init; }

        /// <summary>Software components (2399), at least one.</summary>
        public IReadOnlyList<SoftwareComponent>? SoftwareComponents { get; init; }

        /// <summary>Verification service indicator (2400, optional, non-empty).</summary>
        public string? VerificationService { get; init; }

        /// <summary>Hash algorithm (2402), an IANA hash name.</summary>
        public string? HashAlgorithm { get; init; }

        /// <summary>Whether this claim set uses the legacy profile.</summary>
        public bool IsLegacy => Profile == CcaProfiles.LegacyPlatform;

        /// <summary>Decodes a platform token payload. Unknown claims are ignored.</summary>
        /// <exception cref="AttestationFormatException">Not a map, or a known claim has the wrong CBOR type.</exception>
        public static PlatformClaims Decode(ReadOnlySpan<byte> payload)
        {
            var map = ClaimReader.Map(payload, "platform token");
            var (challenge, count) = ClaimReader.Nonce(map, K.Challenge, "cca-platform-challenge");
            int? lifecycle = null;
            if (map.TryGetValue(K.Lifecycle, out var lc))
            {
                if (lc.Kind != CborKind.UnsignedInteger || lc.AsUInt64() > ushort.MaxValue)
                {
                    throw ClaimReader.Wrong("cca-platform-lifecycle", K.Lifecycle, "an unsigned 16-bit integer", lc);
                }

                lifecycle = (int)lc.AsUInt64();
            }

            IReadOnlyList<SoftwareComponent>? components = null;
            if (map.TryGetValue(K.SoftwareComponents, out var sw))
            {
                if (sw.Kind != CborKind.Array)
                {
                    throw ClaimReader.Wrong("cca-platform-sw-components", K.SoftwareComponents, "an array", sw);
                }

                components = sw.Items.Select(SoftwareComponent.FromCbor).ToArray();
            }

            return new PlatformClaims
            {
                Profile = ClaimReader.Text(map, K.Profile, "cca-platform-profile"),
                Challenge = challenge,
                NonceCount = count,
                ImplementationId = ClaimReader.Bytes(map, K.ImplementationId, "cca-platform-implementation-id"),
                InstanceId = ClaimReader.Bytes(map, K.InstanceId, "cca-platform-instance-id"),
                Config = ClaimReader.Bytes(map, K.Config, "cca-platform-config"),
                Lifecycle = lifecycle,
                SoftwareComponents = components,
                VerificationService = ClaimReader.Text(map, K.VerificationService, "cca-platform-service-indicator"),
                HashAlgorithm = ClaimReader.Text(map, K.PlatformHashAlgorithm, "cca-platform-hash-algo-id"),
            };
        }

        /// <summary>The claims as a CBOR map (present claims only).</summary>
        public CborValue ToCbor()
        {
            var entries = new List<(long, CborValue)>();
            Add(entries, K.Profile, Profile);
            Add(entries, K.Challenge, Challenge);
            Add(entries, K.ImplementationId, ImplementationId);
            Add(entries, K.InstanceId, InstanceId);
            Add(entries, K.Config, Config);
            if (Lifecycle is { } lifecycle)
            {
                entries.Add((K.Lifecycle, lifecycle));
            }

            if (SoftwareComponents is not null)
            {
                entries.Add((K.SoftwareComponents, CborValue.FromArray(SoftwareComponents.Select(c => c.ToCbor()))));
            }

            Add(entries, K.VerificationService, VerificationService);
            Add(entries, K.PlatformHashAlgorithm, HashAlgorithm);
            return CborValue.FromMap(entries);
        }

        /// <summary>The deterministic CBOR encoding: the platform token's payload.</summary>
        public byte[] Encode() => ToCbor().Encode();

        /// <summary>
        /// Checks the rules both profiles share (Veraison ccatoken/psatoken): known profile; exactly
        /// one 32/48/64-byte challenge; 32-byte implementation ID; 33-byte instance ID of UEID
        /// type RAND; configuration present; lifecycle in a defined range; at least one valid
        /// software component; service indicator non-empty if present; IANA hash name.
        /// </summary>
        /// <returns>The first broken rule, or null when the claims are valid.</returns>
        public ClaimError? Validate()
        {
            if (Profile is null)
            {
                return new(K.Profile, "cca-platform-profile", "missing mandatory claim");
            }

            if (Profile is not (CcaProfiles.Platform or CcaProfiles.LegacyPlatform))
            {
                return new(K.Profile, "cca-platform-profile", $"unknown profile \"{Profile}\"");
            }

            var nonces = NonceCount == 0 && Challenge is not null ? 1 : NonceCount;
            if (nonces == 0)
            {
                return new(K.Challenge, "cca-platform-challenge", "missing mandatory claim");
            }

            if (nonces != 1)
            {
                return new(K.Challenge, "cca-platform-challenge", $"got {nonces} nonces, want 1");
            }

            if (!CcaHash.IsDigestLength(Challenge!.Length))
            {
                return new(K.Challenge, "cca-platform-challenge", $"length {Challenge.Length} (must be 32, 48 or 64 bytes)");
            }

            if (ImplementationId is null)
            {
                return new(K.ImplementationId, "cca-platform-implementation-id", "missing mandatory claim");
            }

            if (ImplementationId.Length != 32)
            {
                return new(K.ImplementationId, "cca-platform-implementation-id", $"length {ImplementationId.Length} (must be 32 bytes)");
            }

            if (InstanceId is null)
            {
                return new(K.InstanceId, "cca-platform-instance-id", "missing mandatory claim");
            }

            if (InstanceId.Length != 33 || InstanceId[0] != 0x01)
            {
                return new(K.InstanceId, "cca-platform-instance-id", $"must be 33 bytes starting with 0x01 (UEID RAND), is {InstanceId.Length} bytes");
            }

            if (Config is null)
            {
                return new(K.Config, "cca-platform-config", "missing mandatory claim");
            }

            if (Lifecycle is not { } lifecycle)
            {
                return new(K.Lifecycle, "cca-platform-lifecycle", "missing mandatory claim");
            }

            if (PlatformLifecycle.StateOf(lifecycle) is null)
            {
                return new(K.Lifecycle, "cca-platform-lifecycle", $"value 0x{lifecycle:x4} is in no lifecycle range");
            }

            if (SoftwareComponents is null || SoftwareComponents.Count == 0)
            {
                return new(K.SoftwareComponents, "cca-platform-sw-components", "missing mandatory claim (at least one component)");
            }

            for (var i = 0; i < SoftwareComponents.Count; i++)
            {
                if (SoftwareComponents[i].Validate() is { } problem)
                {
                    return new(K.SoftwareComponents, "cca-platform-sw-components", $"component {i}: {problem}");
                }
            }

            if (VerificationService is not null && VerificationService.Length == 0)
            {
                return new(K.VerificationService, "cca-platform-service-indicator", "empty string");
            }

            if (HashAlgorithm is null)
            {
                return new(K.PlatformHashAlgorithm, "cca-platform-hash-algo-id", "missing mandatory claim");
            }

            if (!CcaHash.IsIanaName(HashAlgorithm))
            {
                return new(K.PlatformHashAlgorithm, "cca-platform-hash-algo-id", $"\"{HashAlgorithm}\" is not an IANA hash name");
            }

            return null;
        }

        private static void Add(List<(long, CborValue)> entries, long key, byte[]? value)
        {
            if (value is not null)
            {
                entries.Add((key, value));
            }
        }

        private static void Add(List<(long, CborValue)> entries, long key, string? value)
        {
            if (value is not null)
            {
                entries.Add((key, value));
            }
        }
    }
}
