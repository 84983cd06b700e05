namespace Capvisor.Caps.Kernel
{
    /// <summary>A capability-kernel operation was refused; <see cref="Error"/> says why in seL4's terms.</summary>
    public sealed class CapabilityException : Exception
    {
        /// <summary>Creates the exception.</summary>
        public CapabilityException(KernelError error, string message)
            : base(message)
        {
            Error = error;
        }

        /// <summary>The seL4-style error code, for callers that turn it into a status for a guest.</summary>
        public KernelError Error { get; }
    }
}
