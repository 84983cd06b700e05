namespace Capvisor.Caps.Kernel
{
    /// <summary>The kinds of kernel object untyped memory can be retyped into (plus the boot-time ones).</summary>
    public enum ObjectType
    {
        /// <summary>Untyped memory: a power-of-two region that can be retyped.</summary>
        Untyped,

        /// <summary>A 4 KiB frame.</summary>
        Frame4K,

        /// <summary>A 2 MiB frame.</summary>
        Frame2M,

        /// <summary>A VM's stage-2 address space (root translation table).</summary>
        VSpace,

        /// <summary>An intermediate translation table; it only consumes memory in this model.</summary>
        PageTable,

        /// <summary>A virtual CPU.</summary>
        Vcpu,

        /// <summary>A notification (an array of binary semaphores, used for virtual interrupts and doorbells).</summary>
        Notification,

        /// <summary>An IPC endpoint.</summary>
        Endpoint,

        /// <summary>A table of capability slots.</summary>
        CNode,

        /// <summary>A thread control block.</summary>
        Tcb,

        /// <summary>A memory-mapped device region, retyped from device untyped memory.</summary>
        DeviceRegion,

        /// <summary>The handler for one physical interrupt line (issued by IRQ control, not retyped).</summary>
        IrqHandler,

        /// <summary>The authority to create IRQ handlers (created at boot).</summary>
        IrqControl,
    }
}
