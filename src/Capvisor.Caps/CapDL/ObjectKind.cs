namespace Capvisor.Caps.CapDL
{
    /// <summary>The object types of the capDL-tool language (all architectures, so real specs parse).</summary>
    public enum ObjectKind
    {
        /// <summary><c>ep</c></summary>
        Endpoint,

        /// <summary><c>notification</c></summary>
        Notification,

        /// <summary><c>tcb</c></summary>
        Tcb,

        /// <summary><c>cnode</c></summary>
        CNode,

        /// <summary><c>ut</c></summary>
        Untyped,

        /// <summary><c>irq</c></summary>
        Irq,

        /// <summary><c>ioapic_irq</c></summary>
        IoapicIrq,

        /// <summary><c>msi_irq</c></summary>
        MsiIrq,

        /// <summary><c>arm_irq</c></summary>
        ArmIrq,

        /// <summary><c>asid_pool</c></summary>
        AsidPool,

        /// <summary><c>pt</c></summary>
        PT,

        /// <summary><c>pd</c></summary>
        PD,

        /// <summary><c>pml4</c></summary>
        Pml4,

        /// <summary><c>pdpt</c></summary>
        Pdpt,

        /// <summary><c>pud</c></summary>
        Pud,

        /// <summary><c>pgd</c></summary>
        Pgd,

        /// <summary><c>frame</c></summary>
        Frame,

        /// <summary><c>io_ports</c></summary>
        IoPorts,

        /// <summary><c>io_device</c></summary>
        IoDevice,

        /// <summary><c>arm_io_device</c></summary>
        ArmIoDevice,

        /// <summary><c>io_pt</c></summary>
        IoPT,

        /// <summary><c>vcpu</c></summary>
        Vcpu,

        /// <summary><c>sc</c></summary>
        SchedContext,

        /// <summary><c>rtreply</c></summary>
        RtReply,

        /// <summary><c>streamid</c></summary>
        StreamId,

        /// <summary><c>contextbank</c></summary>
        ContextBank,

        /// <summary><c>smc</c></summary>
        Smc,

        /// <summary><c>arm_sgi_signal</c></summary>
        ArmSgiSignal,
    }
}
