namespace Capvisor.Caps.Kernel
{
    public sealed partial class CapKernel
    {
        private readonly Queue<KernelObject> _finalising = new();
        private bool _draining;

        /// <summary>Copies the capability in <paramref name="src"/> to the empty <paramref name="dest"/>, as its child. A copy is never mapped.</summary>
        public void Copy(CSlot src, CSlot dest) => Mint(src, dest, CapRights.All, 0);

        /// <summary>
        /// Derives a capability into the empty <paramref name="dest"/> with the source's rights masked by
        /// <paramref name="rights"/> and, for an unbadged endpoint or notification, the given non-zero
        /// <paramref name="badge"/>. A badged capability cannot be rebadged.
        /// </summary>
        public void Mint(CSlot src, CSlot dest, CapRights rights, ulong badge)
        {
            Capability cap = RequireCap(src, "source");
            RequireEmpty(dest);
            Install(dest, Derive(cap, rights, badge), src);
        }

        /// <summary>Derives a CNode capability into <paramref name="dest"/> with a new guard of <paramref name="guardBits"/> bits.</summary>
        public void MintCNode(CSlot src, CSlot dest, CapRights rights, ulong guard, int guardBits)
        {
            Capability cap = RequireCap(src, ObjectType.CNode, "source");
            RequireEmpty(dest);
            Install(dest, DeriveGuard(cap, rights, guard, guardBits), src);
        }

        /// <summary>Moves the capability from <paramref name="src"/> to the empty <paramref name="dest"/>, keeping its place in the derivation tree and its mapping.</summary>
        public void Move(CSlot src, CSlot dest)
        {
            Capability cap = RequireCap(src, "source");
            Transfer(src, dest, cap);
        }

        /// <summary>Moves the capability like <see cref="Move"/>, masking its rights and (if unbadged) setting a badge.</summary>
        public void Mutate(CSlot src, CSlot dest, CapRights rights, ulong badge)
        {
            Capability cap = RequireCap(src, "source");
            Transfer(src, dest, Derive(cap, rights, badge));
        }

        /// <summary>Moves a CNode capability like <see cref="Move"/>, masking its rights and setting a new guard.</summary>
        public void MutateCNode(CSlot src, CSlot dest, CapRights rights, ulong guard, int guardBits)
        {
            Capability cap = RequireCap(src, ObjectType.CNode, "source");
            Transfer(src, dest, DeriveGuard(cap, rights, guard, guardBits));
        }

        /// <summary>
        /// Deletes the capability in <paramref name="slot"/> (an empty slot is left alone). Its children move
        /// up to its parent; a mapping it made is removed; if it was the last capability to its object,
        /// the object is destroyed (a CNode or TCB deletes the capabilities it holds).
        /// </summary>
        public void Delete(CSlot slot)
        {
            if (slot.IsEmpty)
            {
                return;
            }

            RemoveCap(slot);
            DrainFinalisation();
        }

        /// <summary>Deletes every capability derived, directly or not, from the one in <paramref name="slot"/>, which stays.</summary>
        public void Revoke(CSlot slot)
        {
            RequireCap(slot, "revoked");
            while (slot.Cap is not null && slot.ChildList.Count > 0)
            {
                CSlot victim = slot.ChildList[^1];
                RemoveCap(victim);
                DrainFinalisation();
            }
        }

        internal void DeleteContents(KernelObject container)
        {
            foreach (CSlot s in container.Slots)
            {
                if (!s.IsEmpty)
                {
                    RemoveCap(s);
                }
            }
        }

        internal void ReleaseIrq(uint irq) => _irqs.Remove(irq);

        private static Capability Derive(Capability cap, CapRights rights, ulong badge)
        {
            if (badge != 0)
            {
                if (cap.Type is not (ObjectType.Endpoint or ObjectType.Notification))
                {
                    throw new CapabilityException(KernelError.InvalidArgument, $"only endpoint and notification capabilities take a badge, not {cap.Type}");
                }

                if (cap.Badge != 0 && cap.Badge != badge)
                {
                    throw new CapabilityException(KernelError.IllegalOperation, $"{cap} is already badged and cannot be rebadged");
                }
            }

            return cap with { Rights = cap.Rights & rights, Badge = badge != 0 ? badge : cap.Badge };
        }

        private static Capability DeriveGuard(Capability cap, CapRights rights, ulong guard, int guardBits)
        {
            var cnode = (CNodeObject)cap.Object;
            if (guardBits < 0 || guardBits + cnode.RadixBits > 64)
            {
                throw new CapabilityException(KernelError.RangeError, $"guard of {guardBits} bits plus radix {cnode.RadixBits} exceeds 64 bits");
            }

            if (guardBits < 64 && guard >> guardBits != 0)
            {
                throw new CapabilityException(KernelError.RangeError, $"guard 0x{guard:x} does not fit in {guardBits} bits");
            }

            return cap with { Rights = cap.Rights & rights, Guard = guard, GuardBits = guardBits };
        }

        private void Transfer(CSlot src, CSlot dest, Capability newCap)
        {
            if (ReferenceEquals(src, dest))
            {
                throw new CapabilityException(KernelError.IllegalOperation, $"source and destination are the same slot {src}");
            }

            RequireEmpty(dest);
            FrameMapping? mapping = src.Mapping;
            if (mapping is not null)
            {
                mapping.VSpace.Remove(mapping.Ipa, src.Cap!.Object.SizeBits);
                mapping.VSpace.Insert(dest, mapping.Ipa, src.Cap!.Object.SizeBits);
            }

            dest.Cap = newCap;
            dest.Mapping = mapping;
            dest.Parent = src.Parent;
            if (src.Parent is not null)
            {
                List<CSlot> siblings = src.Parent.ChildList;
                siblings[siblings.IndexOf(src)] = dest;
            }

            foreach (CSlot child in src.ChildList)
            {
                child.Parent = dest;
            }

            dest.ChildList.AddRange(src.ChildList);
            src.ChildList.Clear();
            src.Cap = null;
            src.Mapping = null;
            src.Parent = null;
        }

        private void RemoveCap(CSlot slot)
        {
            Capability cap = slot.Cap!;
            if (slot.Mapping is { } m)
            {
                m.VSpace.Remove(m.Ipa, cap.Object.SizeBits);
                slot.Mapping = null;
            }

            CSlot? parent = slot.Parent;
            parent?.ChildList.Remove(slot);
            foreach (CSlot child in slot.ChildList)
            {
                child.Parent = parent;
                parent?.ChildList.Add(child);
            }

            slot.ChildList.Clear();
            slot.Parent = null;
            slot.Cap = null;

            KernelObject obj = cap.Object;
            if (--obj.CapCount == 0)
            {
                _live.Remove(obj);
                obj.IsLive = false;
                if (obj.Source is not null)
                {
                    obj.Source.LiveChildren--;
                }

                _finalising.Enqueue(obj);
            }
        }

        // Finalisation can cascade (a CNode holding the last cap to another CNode); a queue keeps the
        // stack flat however deep the chain is.
        private void DrainFinalisation()
        {
            if (_draining)
            {
                return;
            }

            _draining = true;
            try
            {
                while (_finalising.TryDequeue(out KernelObject? obj))
                {
                    obj.Finalise(this);
                }
            }
            finally
            {
                _draining = false;
            }
        }
    }
}
