namespace Capvisor.Caps.Kernel
{
    /// <summary>Why a kernel operation failed; the codes follow seL4's <c>seL4_Error</c>.</summary>
    public enum KernelError
    {
        /// <summary>An argument is out of its allowed set (type, size, badge).</summary>
        InvalidArgument,

        /// <summary>A capability is of the wrong type or lacks a right the operation needs.</summary>
        InvalidCapability,

        /// <summary>The operation is not allowed on this object in its current state.</summary>
        IllegalOperation,

        /// <summary>A number (slot index, count, address) is outside the allowed range.</summary>
        RangeError,

        /// <summary>An address is not aligned to the object's size.</summary>
        AlignmentError,

        /// <summary>A capability address did not resolve (guard mismatch, depth mismatch, empty slot).</summary>
        FailedLookup,

        /// <summary>The destination slot or address range is occupied.</summary>
        DeleteFirst,

        /// <summary>The source has derived capabilities that must be revoked first.</summary>
        RevokeFirst,

        /// <summary>The untyped region has no room for the requested objects.</summary>
        NotEnoughMemory,
    }
}
