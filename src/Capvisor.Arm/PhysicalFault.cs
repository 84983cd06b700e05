namespace Capvisor.Arm
{
    /// <summary>What a physical access ends in, besides success.</summary>
    public enum PhysicalFault : byte
    {
        /// <summary>The access completed.</summary>
        None = 0,
        /// <summary>No device or memory answers at the address: synchronous external abort.</summary>
        ExternalAbort = 1,
        /// <summary>The granule protection table forbids the access (granule protection fault).</summary>
        GranuleProtection = 2,
    }
}
