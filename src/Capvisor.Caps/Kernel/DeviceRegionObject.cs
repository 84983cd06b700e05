namespace Capvisor.Caps.Kernel
{
    /// <summary>A memory-mapped device region of any power-of-two size from 4 KiB, retyped from device untyped memory.</summary>
    public sealed class DeviceRegionObject : KernelObject
    {
        internal DeviceRegionObject(int sizeBits, ulong physicalAddress, PhysicalAddressSpace pas, UntypedObject? source)
            : base(ObjectType.DeviceRegion, sizeBits, physicalAddress, pas, source, 0)
        {
        }
    }
}
