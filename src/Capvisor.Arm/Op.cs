namespace Capvisor.Arm
{
    /// <summary>Operations the execution engine dispatches on.</summary>
    internal enum Op : ushort
    {
        /// <summary>Unallocated or unimplemented encoding: UNDEFINED.</summary>
        Undefined = 0,
    }
}
