namespace Capvisor.Attestation
{
    /// <summary>
    /// Input that is not a well-formed CBOR item, COSE structure, CCA token, claim set or key.
    /// It is the only exception the decoders of this library throw for bad input, so callers that
    /// handle untrusted bytes need to catch this type alone.
    /// </summary>
    public sealed class AttestationFormatException : Exception
    {
        /// <summary>Creates the exception with a message that says what was wrong and where.</summary>
        public AttestationFormatException(string message)
            : base(message)
        {
        }

        /// <summary>Creates the exception, keeping the lower-level cause.</summary>
        public AttestationFormatException(string message, Exception inner)
            : base(message, inner)
        {
        }
    }
}
