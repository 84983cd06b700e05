namespace Capvisor.Caps.Kernel
{
    /// <summary>The authority to issue IRQ handler capabilities; created once at boot.</summary>
    public sealed class IrqControlObject : KernelObject
    {
        internal IrqControlObject()
            : base(ObjectType.IrqControl, 0, 0, PhysicalAddressSpace.NonSecure, null, 0)
        {
        }

        /// <inheritdoc/>
        public override bool OwnsMemory => false;
    }
}
