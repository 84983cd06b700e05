namespace Capvisor.Firmware.Rmm
{
    /// <summary>
    /// What the RMM uses a 4 KiB granule of RAM for (TF-RMM <c>lib/granule/include/granule_types.h</c>).
    /// Every granule is in exactly one state; every state other than <see cref="NonSecure"/> lives in
    /// the Realm physical address space.
    /// </summary>
    public enum GranuleState : byte
    {
        /// <summary>Non-secure memory, owned by the host.</summary>
        NonSecure = 0,

        /// <summary>Delegated to the realm world but unused; always zero-filled.</summary>
        Delegated = 1,

        /// <summary>A realm descriptor.</summary>
        Rd = 2,

        /// <summary>A realm execution context.</summary>
        Rec = 3,

        /// <summary>An auxiliary granule of a REC.</summary>
        RecAux = 4,

        /// <summary>Realm data mapped at a protected IPA.</summary>
        Data = 5,

        /// <summary>A realm translation table (Arm stage-2 format).</summary>
        Rtt = 6,
    }
}
