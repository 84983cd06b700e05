namespace Capvisor.Caps.Kernel
{
    /// <summary>A 4 KiB or 2 MiB page of memory that can be mapped into a VSpace.</summary>
    public sealed class FrameObject : KernelObject
    {
        internal FrameObject(ObjectType type, ulong physicalAddress, PhysicalAddressSpace pas, UntypedObject? source, bool isDevice)
            : base(type, type == ObjectType.Frame2M ? 21 : 12, physicalAddress, pas, source, 0)
        {
            IsDevice = isDevice;
        }

        /// <summary>Whether the frame is device memory (retyped from device untyped).</summary>
        public bool IsDevice { get; }
    }
}
