namespace Capvisor.Caps.Kernel
{
    /// <summary>A table of 2^radix capability slots; CNodes linked by CNode capabilities form a CSpace.</summary>
    public sealed class CNodeObject : KernelObject
    {
        internal CNodeObject(int radixBits, ulong physicalAddress, PhysicalAddressSpace pas, UntypedObject? source)
            : base(ObjectType.CNode, radixBits + ObjectSizes.SlotBits, physicalAddress, pas, source, 1 << radixBits)
        {
            RadixBits = radixBits;
        }

        /// <summary>log2 of the number of slots.</summary>
        public int RadixBits { get; }

        /// <summary>The slot at <paramref name="index"/>.</summary>
        public CSlot this[int index] => Slots[index];

        internal override void Finalise(CapKernel kernel) => kernel.DeleteContents(this);
    }
}
