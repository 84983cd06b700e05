namespace Capvisor.Caps.Kernel
{
    /// <summary>
    /// One capability slot in a CNode (or in a TCB or IRQ handler). The slot, not the capability,
    /// is the node of the capability derivation tree (CDT): moving a capability moves its node.
    /// </summary>
    public sealed class CSlot
    {
        internal CSlot(KernelObject container, int index)
        {
            Container = container;
            Index = index;
        }

        /// <summary>The object whose slot this is.</summary>
        public KernelObject Container { get; }

        /// <summary>The slot's index in its container.</summary>
        public int Index { get; }

        /// <summary>The capability in the slot, or null when the slot is empty.</summary>
        public Capability? Cap { get; internal set; }

        /// <summary>True when the slot holds no capability.</summary>
        public bool IsEmpty => Cap is null;

        /// <summary>Where the frame or device capability in this slot is mapped, if it is.</summary>
        public FrameMapping? Mapping { get; internal set; }

        /// <summary>The slot holding the capability this one was derived from (null for originals).</summary>
        public CSlot? Parent { get; internal set; }

        internal List<CSlot> ChildList { get; } = [];

        /// <summary>Capabilities derived directly from this one.</summary>
        public IReadOnlyList<CSlot> Children => ChildList;

        /// <summary>Every capability derived, directly or not, from this one.</summary>
        public IEnumerable<CSlot> Descendants()
        {
            var stack = new Stack<CSlot>(ChildList);
            while (stack.Count > 0)
            {
                CSlot s = stack.Pop();
                yield return s;
                foreach (CSlot c in s.ChildList)
                {
                    stack.Push(c);
                }
            }
        }

        /// <inheritdoc/>
        public override string ToString() => $"({Container}, {Index})";
    }
}
