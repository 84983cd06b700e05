namespace Capvisor.Attestation.Cbor
{
    /// <summary>Limits and strictness of <see cref="CborDecoder"/>.</summary>
    /// <remarks>
    /// The limits are checked before anything is allocated, so a hostile input can make the
    /// decoder allocate at most a small multiple of its own length.
    /// </remarks>
    public sealed record CborDecoderOptions
    {
        /// <summary>Defaults fit attestation tokens: a CCA token nests at most 6 levels.</summary>
        public static CborDecoderOptions Default { get; } = new();

        /// <summary>Maximum nesting of arrays, maps and tags; deeper input is rejected.</summary>
        public int MaxDepth { get; init; } = 32;

        /// <summary>Maximum number of data items in one decoded value, counting every nested item.</summary>
        public int MaxItems { get; init; } = 1 << 20;

        /// <summary>Maximum input length in bytes.</summary>
        public int MaxInputLength { get; init; } = 16 << 20;

        /// <summary>
        /// When true, accept only the deterministic encoding of RFC 8949 §4.2.1: shortest
        /// argument encodings, definite lengths and map keys in bytewise order of their encodings.
        /// </summary>
        public bool RequireDeterministic { get; init; }
    }
}
