namespace Capvisor.Caps.Kernel
{
    /// <summary>A virtual CPU. It runs in the VSpace it is bound to.</summary>
    public sealed class VcpuObject : KernelObject
    {
        internal VcpuObject(ulong physicalAddress, PhysicalAddressSpace pas, UntypedObject? source)
            : base(ObjectType.Vcpu, ObjectSizes.VcpuBits, physicalAddress, pas, source, 0)
        {
        }

        /// <summary>The stage-2 address space the vCPU runs in, once bound.</summary>
        public VSpaceObject? VSpace { get; internal set; }

        internal override void Finalise(CapKernel kernel)
        {
            VSpace?.BoundVcpus.Remove(this);
            VSpace = null;
        }
    }
}
