namespace Capvisor.Caps.Kernel
{
    /// <summary>
    /// A thread control block. Its slots hold the thread's CSpace root, VSpace, IPC buffer, fault
    /// endpoint, bound notification and bound vCPU, numbered as in CapDL (<see cref="CSpaceSlot"/> …).
    /// </summary>
    public sealed class TcbObject : KernelObject
    {
        /// <summary>Slot of the CSpace root CNode capability.</summary>
        public const int CSpaceSlot = 0;

        /// <summary>Slot of the VSpace capability.</summary>
        public const int VSpaceSlot = 1;

        /// <summary>Slot of the reply capability.</summary>
        public const int ReplySlot = 2;

        /// <summary>Slot of the caller capability.</summary>
        public const int CallerSlot = 3;

        /// <summary>Slot of the IPC buffer frame capability.</summary>
        public const int IpcBufferSlot = 4;

        /// <summary>Slot of the fault endpoint capability.</summary>
        public const int FaultEndpointSlot = 5;

        /// <summary>Slot of the scheduling context capability.</summary>
        public const int SchedContextSlot = 6;

        /// <summary>Slot of the temporal fault endpoint capability.</summary>
        public const int TemporalFaultEndpointSlot = 7;

        /// <summary>Slot of the bound notification capability.</summary>
        public const int BoundNotificationSlot = 8;

        /// <summary>Slot of the bound vCPU capability.</summary>
        public const int BoundVcpuSlot = 9;

        /// <summary>Number of TCB slots.</summary>
        public const int SlotCount = 10;

        internal TcbObject(ulong physicalAddress, PhysicalAddressSpace pas, UntypedObject? source)
            : base(ObjectType.Tcb, ObjectSizes.TcbBits, physicalAddress, pas, source, SlotCount)
        {
        }

        internal override void Finalise(CapKernel kernel) => kernel.DeleteContents(this);
    }
}
