namespace Capvisor.Arm
{
    /// <summary>Properties of a data access beyond its address and size.</summary>
    [Flags]
    public enum AccessFlags : byte
    {
        /// <summary>An ordinary load or store.</summary>
        None = 0,
        /// <summary>LDTR/STTR: checked with EL0 permissions when executed at EL1.</summary>
        Unprivileged = 1,
        /// <summary>Exclusive, acquire/release or atomic: must be naturally aligned.</summary>
        AlignmentRequired = 2,
    }
}
