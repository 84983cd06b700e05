namespace Capvisor.Caps.Kernel
{
    /// <summary>An IPC endpoint. Capabilities with Grant rights to it can carry capabilities between threads.</summary>
    public sealed class EndpointObject : KernelObject
    {
        internal EndpointObject(ulong physicalAddress, PhysicalAddressSpace pas, UntypedObject? source)
            : base(ObjectType.Endpoint, ObjectSizes.EndpointBits, physicalAddress, pas, source, 0)
        {
        }
    }
}
