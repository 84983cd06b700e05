namespace Capvisor.Caps.Kernel
{
    public sealed partial class CapKernel
    {
        /// <summary>
        /// Resolves a capability address as seL4 does: starting from the CNode capability
        /// <paramref name="root"/>, each level consumes the capability's guard bits (which must match
        /// its guard) and then the CNode's radix bits as a slot index, from the most significant of the
        /// <paramref name="depth"/> low bits of <paramref name="cptr"/>. Resolution continues through
        /// CNode capabilities until exactly <paramref name="depth"/> bits are used.
        /// </summary>
        /// <returns>The addressed slot (which may be empty).</returns>
        public static CSlot ResolveSlot(Capability root, ulong cptr, int depth)
        {
            if (depth < 1 || depth > 64)
            {
                throw new CapabilityException(KernelError.RangeError, $"lookup depth {depth} is outside 1..64");
            }

            Capability cap = root;
            int remaining = depth;
            while (true)
            {
                if (cap.Object is not CNodeObject cnode)
                {
                    throw new CapabilityException(KernelError.FailedLookup, $"lookup of 0x{cptr:x} reached {cap}, which is not a CNode, with {remaining} bits left");
                }

                int guardBits = cap.GuardBits;
                int levelBits = guardBits + cnode.RadixBits;
                if (levelBits > remaining)
                {
                    throw new CapabilityException(KernelError.FailedLookup, $"lookup of 0x{cptr:x}: {remaining} bits left but {cap} needs {levelBits}");
                }

                ulong guard = Bits(cptr, remaining - guardBits, guardBits);
                if (guard != cap.Guard)
                {
                    throw new CapabilityException(KernelError.FailedLookup, $"lookup of 0x{cptr:x}: guard 0x{guard:x} does not match 0x{cap.Guard:x} of {cap}");
                }

                int index = (int)Bits(cptr, remaining - levelBits, cnode.RadixBits);
                CSlot slot = cnode[index];
                remaining -= levelBits;
                if (remaining == 0)
                {
                    return slot;
                }

                cap = slot.Cap ?? throw new CapabilityException(KernelError.FailedLookup, $"lookup of 0x{cptr:x}: slot {slot} is empty with {remaining} bits left");
            }
        }

        private static ulong Bits(ulong value, int shift, int count) =>
            count == 0 ? 0 : (value >> shift) & (count == 64 ? ulong.MaxValue : (1UL << count) - 1);
    }
}
