namespace Capvisor.Caps.Kernel
{
    /// <summary>
    /// The handler for one interrupt line. Slot 0 holds the notification the interrupt signals,
    /// with the badge of the capability placed there.
    /// </summary>
    public sealed class IrqHandlerObject : KernelObject
    {
        internal IrqHandlerObject(uint irq)
            : base(ObjectType.IrqHandler, 0, 0, PhysicalAddressSpace.NonSecure, null, 1)
        {
            Irq = irq;
        }

        /// <summary>The interrupt number (GIC INTID).</summary>
        public uint Irq { get; }

        /// <summary>Whether an interrupt was delivered and not yet acknowledged.</summary>
        public bool IsMasked { get; internal set; }

        /// <inheritdoc/>
        public override bool OwnsMemory => false;

        internal override void Finalise(CapKernel kernel)
        {
            kernel.DeleteContents(this);
            kernel.ReleaseIrq(Irq);
        }
    }
}
