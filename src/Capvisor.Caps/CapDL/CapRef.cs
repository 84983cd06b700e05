namespace Capvisor.Caps.CapDL
{
    /// <summary>A capability slot in a CapDL spec: an object with slots and a slot number.</summary>
    /// <param name="Object">The container (CNode, TCB, page table, IRQ).</param>
    /// <param name="Slot">The slot number.</param>
    public readonly record struct CapRef(ObjectId Object, ulong Slot) : IComparable<CapRef>
    {
        /// <inheritdoc/>
        public int CompareTo(CapRef other)
        {
            int c = Object.CompareTo(other.Object);
            return c != 0 ? c : Slot.CompareTo(other.Slot);
        }

        /// <inheritdoc/>
        public override string ToString() => $"({Object}, {Slot})";
    }
}
