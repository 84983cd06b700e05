namespace Capvisor.Attestation.Cca
{
    /// <summary>Why a claim set is not valid: the first claim that breaks its profile's rules.</summary>
    /// <param name="Key">The claim's CBOR label.</param>
    /// <param name="Name">The claim's name, as Veraison's JSON spells it.</param>
    /// <param name="Reason">What is wrong with it.</param>
    public sealed record ClaimError(long Key, string Name, string Reason)
    {
        /// <inheritdoc/>
        public override string ToString() => $"{Name} ({Key}): {Reason}";
    }
}
