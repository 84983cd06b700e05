namespace Capvisor.Caps.Kernel
{
    public sealed partial class CapKernel
    {
        /// <summary>
        /// Maps the frame or device region whose capability is in <paramref name="frameSlot"/> into the VSpace
        /// of <paramref name="vspaceSlot"/> at <paramref name="ipa"/>. The mapping's rights are the capability's
        /// rights masked by <paramref name="rights"/> and must include Read. A capability maps once; copy it to
        /// map the same memory again.
        /// </summary>
        public void Map(CSlot frameSlot, CSlot vspaceSlot, ulong ipa, CapRights rights)
        {
            Capability frame = RequireCap(frameSlot, "frame");
            if (frame.Type is not (ObjectType.Frame4K or ObjectType.Frame2M or ObjectType.DeviceRegion))
            {
                throw new CapabilityException(KernelError.InvalidCapability, $"{frame} is not a frame or device region");
            }

            var vspace = (VSpaceObject)RequireCap(vspaceSlot, ObjectType.VSpace, "VSpace").Object;
            if (frameSlot.Mapping is not null)
            {
                throw new CapabilityException(KernelError.DeleteFirst, $"{frame} is already mapped at 0x{frameSlot.Mapping.Ipa:x}; copy the capability to map it again");
            }

            int bits = frame.Object.SizeBits;
            ulong size = 1UL << bits;
            if ((ipa & (size - 1)) != 0)
            {
                throw new CapabilityException(KernelError.AlignmentError, $"IPA 0x{ipa:x} is not aligned to the 0x{size:x}-byte {frame.Type}");
            }

            if (ipa >= 1UL << VSpaceObject.IpaBits || (1UL << VSpaceObject.IpaBits) - ipa < size)
            {
                throw new CapabilityException(KernelError.RangeError, $"IPA 0x{ipa:x} + 0x{size:x} is beyond the {VSpaceObject.IpaBits}-bit IPA space");
            }

            CapRights effective = frame.Rights & rights & (CapRights.Read | CapRights.Write | CapRights.Grant);
            if ((effective & CapRights.Read) == 0)
            {
                throw new CapabilityException(KernelError.InvalidArgument, $"a mapping needs Read; {frame} masked by {rights} gives {effective}");
            }

            if (!vspace.IsFree(ipa, bits))
            {
                throw new CapabilityException(KernelError.DeleteFirst, $"IPA range 0x{ipa:x}+0x{size:x} overlaps an existing mapping");
            }

            vspace.Insert(frameSlot, ipa, bits);
            frameSlot.Mapping = new FrameMapping(vspace, ipa, effective);
        }

        /// <summary>Removes the mapping made through the capability in <paramref name="frameSlot"/>, if any.</summary>
        public void Unmap(CSlot frameSlot)
        {
            Capability frame = RequireCap(frameSlot, "frame");
            if (frameSlot.Mapping is { } m)
            {
                m.VSpace.Remove(m.Ipa, frame.Object.SizeBits);
                frameSlot.Mapping = null;
            }
        }

        /// <summary>Binds the vCPU in <paramref name="vcpuSlot"/> to the VSpace in <paramref name="vspaceSlot"/>, replacing an earlier binding.</summary>
        public void BindVcpu(CSlot vcpuSlot, CSlot vspaceSlot)
        {
            var vcpu = (VcpuObject)RequireCap(vcpuSlot, ObjectType.Vcpu, "vCPU").Object;
            var vspace = (VSpaceObject)RequireCap(vspaceSlot, ObjectType.VSpace, "VSpace").Object;
            vcpu.VSpace?.BoundVcpus.Remove(vcpu);
            vcpu.VSpace = vspace;
            vspace.BoundVcpus.Add(vcpu);
        }

        /// <summary>Issues the handler for interrupt <paramref name="irq"/> into <paramref name="dest"/>; each interrupt has at most one live handler.</summary>
        public IrqHandlerObject IssueIrqHandler(CSlot irqControlSlot, uint irq, CSlot dest)
        {
            RequireCap(irqControlSlot, ObjectType.IrqControl, "IRQ control");
            RequireEmpty(dest);
            if (irq >= 1020)
            {
                throw new CapabilityException(KernelError.RangeError, $"interrupt {irq} is not a GIC SGI, PPI or SPI (0..1019)");
            }

            if (_irqs.ContainsKey(irq))
            {
                throw new CapabilityException(KernelError.RevokeFirst, $"interrupt {irq} already has a handler");
            }

            var handler = new IrqHandlerObject(irq);
            _irqs[irq] = handler;
            Install(dest, new Capability(handler, CapRights.All), irqControlSlot);
            return handler;
        }

        /// <summary>Makes the interrupt of <paramref name="handlerSlot"/> signal the notification in <paramref name="notificationSlot"/> (with that capability's badge).</summary>
        public void SetIrqNotification(CSlot handlerSlot, CSlot notificationSlot)
        {
            var handler = (IrqHandlerObject)RequireCap(handlerSlot, ObjectType.IrqHandler, "IRQ handler").Object;
            RequireCap(notificationSlot, ObjectType.Notification, "notification");
            Delete(handler.Slots[0]);
            Copy(notificationSlot, handler.Slots[0]);
        }

        /// <summary>Delivers interrupt <paramref name="irq"/>: signals the bound notification and masks the line until acknowledged. False if nothing handles it.</summary>
        public bool RaiseIrq(uint irq)
        {
            if (!_irqs.TryGetValue(irq, out IrqHandlerObject? handler) || handler.IsMasked || handler.Slots[0].Cap is not { } ntfn)
            {
                return false;
            }

            ((NotificationObject)ntfn.Object).Signal(ntfn.Badge == 0 ? 1 : ntfn.Badge);
            handler.IsMasked = true;
            return true;
        }

        /// <summary>Acknowledges the interrupt of <paramref name="handlerSlot"/> so it can be delivered again.</summary>
        public void AckIrq(CSlot handlerSlot) =>
            ((IrqHandlerObject)RequireCap(handlerSlot, ObjectType.IrqHandler, "IRQ handler").Object).IsMasked = false;

        /// <summary>Signals the notification in <paramref name="slot"/> with its badge; needs Write.</summary>
        public void Signal(CSlot slot)
        {
            Capability cap = RequireCap(slot, ObjectType.Notification, "notification");
            if ((cap.Rights & CapRights.Write) == 0)
            {
                throw new CapabilityException(KernelError.InvalidCapability, $"{cap} lacks Write, needed to signal");
            }

            ((NotificationObject)cap.Object).Signal(cap.Badge == 0 ? 1 : cap.Badge);
        }

        /// <summary>Returns and clears the notification's pending word without blocking; needs Read.</summary>
        public ulong Poll(CSlot slot)
        {
            Capability cap = RequireCap(slot, ObjectType.Notification, "notification");
            if ((cap.Rights & CapRights.Read) == 0)
            {
                throw new CapabilityException(KernelError.InvalidCapability, $"{cap} lacks Read, needed to wait");
            }

            return ((NotificationObject)cap.Object).Poll();
        }

        /// <summary>
        /// Checks the kernel's internal invariants and throws <see cref="InvalidOperationException"/> naming the
        /// first violation: live objects do not overlap, each object's capability count matches the capabilities
        /// that exist, the derivation tree's links agree, and every mapping is recorded on both sides.
        /// </summary>
        public void CheckInvariants()
        {
            var memoryObjects = _live.Where(o => o.OwnsMemory && o.Source is not null).ToList();
            foreach (KernelObject a in memoryObjects)
            {
                foreach (KernelObject b in memoryObjects)
                {
                    if (!ReferenceEquals(a, b) && Overlaps(a.PhysicalAddress, a.Size, b.PhysicalAddress, b.Size) && !IsAncestor(a, b) && !IsAncestor(b, a))
                    {
                        throw new InvalidOperationException($"live objects overlap: {a} and {b}");
                    }
                }
            }

            var counts = new Dictionary<KernelObject, int>();
            foreach (KernelObject container in _live.ToList())
            {
                foreach (CSlot s in container.Slots)
                {
                    if (s.Cap is { } cap)
                    {
                        counts[cap.Object] = counts.GetValueOrDefault(cap.Object) + 1;
                        if (s.Parent is { } p && !p.ChildList.Contains(s))
                        {
                            throw new InvalidOperationException($"{s} names parent {p}, which does not list it");
                        }

                        foreach (CSlot c in s.ChildList)
                        {
                            if (c.Parent != s || c.Cap is null)
                            {
                                throw new InvalidOperationException($"{s} lists child {c}, which does not name it as parent");
                            }
                        }

                        if (s.Mapping is { } m && (!m.VSpace.TryTranslate(m.Ipa, out VSpaceTranslation t) || t.Object != cap.Object))
                        {
                            throw new InvalidOperationException($"{s} records a mapping at 0x{m.Ipa:x} that its VSpace does not hold");
                        }
                    }
                    else if (s.ChildList.Count > 0 || s.Parent is not null || s.Mapping is not null)
                    {
                        throw new InvalidOperationException($"empty slot {s} still has derivation links or a mapping");
                    }
                }
            }

            foreach (KernelObject o in _live)
            {
                int expected = counts.GetValueOrDefault(o) + (_rootCNodes.Contains(o) ? 1 : 0);
                if (o.CapCount != expected)
                {
                    throw new InvalidOperationException($"{o} counts {o.CapCount} capabilities but {expected} exist");
                }
            }
        }

        private static bool IsAncestor(KernelObject a, KernelObject b)
        {
            for (UntypedObject? u = b.Source; u is not null; u = u.Source)
            {
                if (ReferenceEquals(u, a))
                {
                    return true;
                }
            }

            return false;
        }
    }
}
