namespace Capvisor.Caps.Kernel
{
    /// <summary>
    /// Untyped memory: a naturally aligned power-of-two region of one physical address space.
    /// Retype carves objects from it at an advancing watermark; the watermark returns to the
    /// start only when no object retyped from it is still live (after revoke).
    /// </summary>
    public sealed class UntypedObject : KernelObject
    {
        internal UntypedObject(int sizeBits, ulong physicalAddress, PhysicalAddressSpace pas, bool isDevice, UntypedObject? source)
            : base(ObjectType.Untyped, sizeBits, physicalAddress, pas, source, 0)
        {
            IsDevice = isDevice;
        }

        /// <summary>Device memory: may only become frames, device regions or smaller device untypeds, and is never zeroed.</summary>
        public bool IsDevice { get; }

        /// <summary>Offset of the first free byte.</summary>
        public ulong Watermark { get; internal set; }

        /// <summary>Objects retyped from this untyped that are still live.</summary>
        public int LiveChildren { get; internal set; }

        /// <summary>Bytes not yet handed out.</summary>
        public ulong FreeBytes => Size - Watermark;
    }
}
