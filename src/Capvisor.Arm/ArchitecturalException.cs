namespace Capvisor.Arm
{
    /// <summary>
    /// Unwinds an instruction that took an architectural exception. The CPU state already
    /// points at the exception vector when it is thrown; the execution loop catches it.
    /// One preallocated instance is reused, so taking an exception allocates nothing.
    /// </summary>
    internal sealed class ArchitecturalException : Exception
    {
        public static readonly ArchitecturalException Instance = new();

        private ArchitecturalException()
            : base("guest exception taken")
        {
        }
    }
}
