namespace Capvisor.Attestation.Cca
{
    /// <summary>
    /// The outcome of <see cref="CcaTokenVerifier.Verify"/>: valid, or the first check that failed
    /// and why, with whatever claims could be decoded.
    /// </summary>
    public sealed record CcaVerificationResult
    {
        /// <summary>The check that failed, or <see cref="CcaCheck.None"/>.</summary>
        public CcaCheck FailedCheck { get; init; }

        /// <summary>Why it failed; null when valid.</summary>
        public string? Reason { get; init; }

        /// <summary>The envelope, when it decoded.</summary>
        public CcaToken? Token { get; init; }

        /// <summary>The platform claims, when they decoded (valid or not).</summary>
        public PlatformClaims? Platform { get; init; }

        /// <summary>The realm claims, when they decoded (valid or not).</summary>
        public RealmClaims? Realm { get; init; }

        /// <summary>True when every check passed.</summary>
        public bool IsValid => FailedCheck == CcaCheck.None;

        /// <inheritdoc/>
        public override string ToString() => IsValid ? "valid" : $"invalid: {FailedCheck}: {Reason}";
    }
}
