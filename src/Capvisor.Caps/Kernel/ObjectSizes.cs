namespace Capvisor.Caps.Kernel
{
    /// <summary>Object sizes (log2 bytes), as seL4 uses them on AArch64 with hypervisor support.</summary>
    public static class ObjectSizes
    {
        /// <summary>Bytes per CNode slot, log2.</summary>
        public const int SlotBits = 5;

        /// <summary>Endpoint size, log2.</summary>
        public const int EndpointBits = 4;

        /// <summary>Notification size, log2.</summary>
        public const int NotificationBits = 5;

        /// <summary>TCB size, log2.</summary>
        public const int TcbBits = 11;

        /// <summary>vCPU size, log2.</summary>
        public const int VcpuBits = 12;

        /// <summary>Stage-2 root table size, log2.</summary>
        public const int VSpaceBits = 12;

        /// <summary>Translation table size, log2.</summary>
        public const int PageTableBits = 12;

        /// <summary>Smallest untyped, log2.</summary>
        public const int MinUntypedBits = 4;

        /// <summary>Largest untyped, log2 (a 47-bit physical address space).</summary>
        public const int MaxUntypedBits = 47;

        /// <summary>Largest CNode radix.</summary>
        public const int MaxCNodeRadix = 24;

        /// <summary>
        /// log2 size of an object of <paramref name="type"/>; <paramref name="userSizeBits"/> is the size for
        /// untyped and device regions and the radix for CNodes, and is ignored otherwise.
        /// </summary>
        public static int SizeBits(ObjectType type, int userSizeBits) => type switch
        {
            ObjectType.Untyped or ObjectType.DeviceRegion => userSizeBits,
            ObjectType.CNode => userSizeBits + SlotBits,
            ObjectType.Frame4K => 12,
            ObjectType.Frame2M => 21,
            ObjectType.VSpace => VSpaceBits,
            ObjectType.PageTable => PageTableBits,
            ObjectType.Vcpu => VcpuBits,
            ObjectType.Notification => NotificationBits,
            ObjectType.Endpoint => EndpointBits,
            ObjectType.Tcb => TcbBits,
            _ => throw new CapabilityException(KernelError.InvalidArgument, $"{type} objects are not made by retype"),
        };
    }
}
