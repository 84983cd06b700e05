namespace Capvisor.Caps.Kernel
{
    /// <summary>
    /// A kernel object: a typed, naturally aligned piece of physical memory (or, for IRQ objects,
    /// a kernel-owned resource) that capabilities refer to. An object lives while at least one
    /// capability refers to it.
    /// </summary>
    public abstract class KernelObject
    {
        private static long s_nextId;
        private readonly CSlot[] _slots;

        private protected KernelObject(ObjectType type, int sizeBits, ulong physicalAddress, PhysicalAddressSpace pas, UntypedObject? source, int slotCount)
        {
            Id = Interlocked.Increment(ref s_nextId);
            Type = type;
            SizeBits = sizeBits;
            PhysicalAddress = physicalAddress;
            AddressSpace = pas;
            Source = source;
            _slots = new CSlot[slotCount];
            for (int i = 0; i < slotCount; i++)
            {
                _slots[i] = new CSlot(this, i);
            }
        }

        /// <summary>A process-wide unique number, for diagnostics and stable ordering.</summary>
        public long Id { get; }

        /// <summary>The object's type.</summary>
        public ObjectType Type { get; }

        /// <summary>log2 of the object's size in bytes (0 for objects that own no memory).</summary>
        public int SizeBits { get; }

        /// <summary>Size in bytes; 0 for objects that own no memory (IRQ handler, IRQ control).</summary>
        public ulong Size => OwnsMemory ? 1UL << SizeBits : 0;

        /// <summary>Physical address of the object's memory.</summary>
        public ulong PhysicalAddress { get; }

        /// <summary>The physical address space of the object's memory, inherited from its untyped.</summary>
        public PhysicalAddressSpace AddressSpace { get; }

        /// <summary>The untyped object this object was retyped from; null for boot objects.</summary>
        public UntypedObject? Source { get; }

        /// <summary>True while a capability refers to the object.</summary>
        public bool IsLive { get; internal set; } = true;

        /// <summary>The capability slots the object holds (CNode slots, TCB slots, the IRQ handler's notification).</summary>
        public IReadOnlyList<CSlot> Slots => _slots;

        /// <summary>Whether the object occupies physical memory of its own.</summary>
        public virtual bool OwnsMemory => true;

        /// <summary>Number of capabilities that refer to the object.</summary>
        internal int CapCount { get; set; }

        /// <summary>Releases what the object holds when its last capability goes (mappings, bindings).</summary>
        internal virtual void Finalise(CapKernel kernel)
        {
        }

        /// <inheritdoc/>
        public override string ToString() =>
            OwnsMemory ? $"{Type}#{Id}@{AddressSpace}:0x{PhysicalAddress:x}/{SizeBits}" : $"{Type}#{Id}";
    }
}
