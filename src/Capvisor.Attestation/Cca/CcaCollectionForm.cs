namespace Capvisor.Attestation.Cca
{
    /// <summary>The envelope a CCA token comes in.</summary>
    public enum CcaCollectionForm
    {
        /// <summary>Tag 399 with byte-string entries: TF-RMM 1.0, accepted by every verifier. Emitted by this library.</summary>
        Tag399,

        /// <summary>Tag 907 (CMW collection) with <c>[263, bytes]</c> entries: newer TF-RMM and Go ccatoken.</summary>
        Tag907,
    }
}
