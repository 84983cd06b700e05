namespace Capvisor.Caps.Kernel
{
    /// <summary>
    /// The capability kernel: seL4's object model run by the hypervisor. It owns every kernel
    /// object, the capability derivation tree and, through <see cref="IPhysicalMemory"/>, the
    /// memory it zeroes on retype. The hypervisor builds VMs, realms and channels only through
    /// its operations; anything they refuse raises <see cref="CapabilityException"/> and changes
    /// nothing. Not thread-safe: callers serialise (as seL4's big kernel lock does).
    /// </summary>
    public sealed partial class CapKernel
    {
        private readonly HashSet<KernelObject> _live = [];
        private readonly HashSet<CNodeObject> _rootCNodes = [];
        private readonly List<UntypedObject> _bootUntypeds = [];
        private readonly Dictionary<uint, IrqHandlerObject> _irqs = [];
        private bool _irqControlIssued;

        /// <summary>Creates a kernel whose untyped memory is backed by <paramref name="memory"/>.</summary>
        public CapKernel(IPhysicalMemory memory)
        {
            Memory = memory;
        }

        /// <summary>The physical memory behind untyped regions.</summary>
        public IPhysicalMemory Memory { get; }

        /// <summary>All live objects.</summary>
        public IReadOnlyCollection<KernelObject> LiveObjects => _live;

        /// <summary>
        /// Boot-time: creates a CNode outside any untyped (like seL4's initial thread CNode) to hold
        /// the first capabilities. It lives as long as the kernel.
        /// </summary>
        public CNodeObject CreateRootCNode(int radixBits)
        {
            if (radixBits < 1 || radixBits > ObjectSizes.MaxCNodeRadix)
            {
                throw new CapabilityException(KernelError.RangeError, $"CNode radix {radixBits} is outside 1..{ObjectSizes.MaxCNodeRadix}");
            }

            var cnode = new CNodeObject(radixBits, 0, PhysicalAddressSpace.NonSecure, null);
            cnode.CapCount = 1; // held by the kernel itself, so it is never finalised
            _live.Add(cnode);
            _rootCNodes.Add(cnode);
            return cnode;
        }

        /// <summary>
        /// Boot-time: declares untyped memory at <paramref name="physicalAddress"/> of 2^<paramref name="sizeBits"/>
        /// bytes in <paramref name="pas"/>, and places an original capability to it in <paramref name="dest"/>.
        /// Boot untypeds must be naturally aligned and must not overlap one another.
        /// </summary>
        public UntypedObject AddUntyped(CSlot dest, PhysicalAddressSpace pas, ulong physicalAddress, int sizeBits, bool isDevice = false)
        {
            if (sizeBits < ObjectSizes.MinUntypedBits || sizeBits > ObjectSizes.MaxUntypedBits)
            {
                throw new CapabilityException(KernelError.RangeError, $"untyped size 2^{sizeBits} is outside 2^{ObjectSizes.MinUntypedBits}..2^{ObjectSizes.MaxUntypedBits}");
            }

            ulong size = 1UL << sizeBits;
            if ((physicalAddress & (size - 1)) != 0)
            {
                throw new CapabilityException(KernelError.AlignmentError, $"untyped at 0x{physicalAddress:x} is not aligned to its size 0x{size:x}");
            }

            foreach (UntypedObject u in _bootUntypeds)
            {
                if (Overlaps(u.PhysicalAddress, u.Size, physicalAddress, size))
                {
                    throw new CapabilityException(KernelError.DeleteFirst, $"untyped 0x{physicalAddress:x}/{sizeBits} overlaps {u}");
                }
            }

            RequireEmpty(dest);
            var ut = new UntypedObject(sizeBits, physicalAddress, pas, isDevice, null);
            _bootUntypeds.Add(ut);
            Install(dest, new Capability(ut, CapRights.All), null);
            return ut;
        }

        /// <summary>Boot-time: places the IRQ control capability in <paramref name="dest"/> (once per kernel).</summary>
        public IrqControlObject CreateIrqControl(CSlot dest)
        {
            if (_irqControlIssued)
            {
                throw new CapabilityException(KernelError.IllegalOperation, "IRQ control has already been created");
            }

            RequireEmpty(dest);
            var control = new IrqControlObject();
            _irqControlIssued = true;
            Install(dest, new Capability(control, CapRights.All), null);
            return control;
        }

        internal static bool Overlaps(ulong a, ulong aSize, ulong b, ulong bSize) => a < b + bSize && b < a + aSize;

        private static void RequireEmpty(CSlot dest)
        {
            if (!dest.Container.IsLive)
            {
                throw new CapabilityException(KernelError.InvalidCapability, $"destination slot {dest} belongs to a destroyed {dest.Container.Type}");
            }

            if (!dest.IsEmpty)
            {
                throw new CapabilityException(KernelError.DeleteFirst, $"destination slot {dest} is not empty");
            }
        }

        private static Capability RequireCap(CSlot slot, string role)
        {
            return slot.Cap ?? throw new CapabilityException(KernelError.FailedLookup, $"{role} slot {slot} is empty");
        }

        private static Capability RequireCap(CSlot slot, ObjectType type, string role)
        {
            Capability cap = RequireCap(slot, role);
            if (cap.Type != type)
            {
                throw new CapabilityException(KernelError.InvalidCapability, $"{role} slot {slot} holds a {cap.Type} capability, not {type}");
            }

            return cap;
        }

        /// <summary>Puts <paramref name="cap"/> into the empty <paramref name="slot"/> as a child of <paramref name="parent"/>.</summary>
        private void Install(CSlot slot, Capability cap, CSlot? parent)
        {
            slot.Cap = cap;
            slot.Parent = parent;
            parent?.ChildList.Add(slot);
            KernelObject obj = cap.Object;
            if (obj.CapCount++ == 0)
            {
                _live.Add(obj);
            }
        }
    }
}
