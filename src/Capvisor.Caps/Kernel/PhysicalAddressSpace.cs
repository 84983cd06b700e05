namespace Capvisor.Caps.Kernel
{
    /// <summary>
    /// The physical address space (PAS) a range of memory belongs to, as the granule protection
    /// table will enforce it. Untyped memory carries its PAS so that everything retyped from it
    /// inherits it: a realm's frames can only come from Realm untyped.
    /// </summary>
    public enum PhysicalAddressSpace
    {
        /// <summary>Normal world memory, visible to the untrusted host.</summary>
        NonSecure,

        /// <summary>Secure world memory (TrustZone).</summary>
        Secure,

        /// <summary>Realm world memory, reachable only from realms and the RMM.</summary>
        Realm,
    }
}
