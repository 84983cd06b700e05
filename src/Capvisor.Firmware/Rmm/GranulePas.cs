namespace Capvisor.Firmware.Rmm
{
    /// <summary>The physical address space a granule belongs to in the granule protection table.</summary>
    public enum GranulePas : byte
    {
        /// <summary>Non-secure: accessible to the host.</summary>
        NonSecure = 0,

        /// <summary>Secure (TrustZone).</summary>
        Secure = 1,

        /// <summary>Realm: accessible only to realms and the RMM.</summary>
        Realm = 2,

        /// <summary>Root: EL3 only.</summary>
        Root = 3,
    }
}
