namespace Capvisor.Attestation.Cbor
{
    /// <summary>The kind of a CBOR data item (RFC 8949 §3.1 major types, with floats split from simple values).</summary>
    public enum CborKind
    {
        /// <summary>Major type 0: an integer 0..2^64-1.</summary>
        UnsignedInteger,

        /// <summary>Major type 1: an integer -2^64..-1.</summary>
        NegativeInteger,

        /// <summary>Major type 2.</summary>
        ByteString,

        /// <summary>Major type 3 (valid UTF-8).</summary>
        TextString,

        /// <summary>Major type 4.</summary>
        Array,

        /// <summary>Major type 5 (keys unique).</summary>
        Map,

        /// <summary>Major type 6: a tag number and one enclosed item.</summary>
        Tag,

        /// <summary>Major type 7 simple values: false, true, null, undefined and unassigned ones.</summary>
        Simple,

        /// <summary>Major type 7 half, single or double precision floats.</summary>
        Float,
    }
}
