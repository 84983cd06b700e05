namespace Capvisor.Arm
{
    /// <summary>The Arm security states, which select the physical address space of an access.</summary>
    public enum SecurityState : byte
    {
        /// <summary>Non-secure: the host, normal-world guests.</summary>
        NonSecure = 0,
        /// <summary>Secure world.</summary>
        Secure = 1,
        /// <summary>Realm world (Arm CCA).</summary>
        Realm = 2,
        /// <summary>Root: EL3 only.</summary>
        Root = 3,
    }
}
