namespace Capvisor.Caps.Kernel
{
    public sealed partial class CapKernel
    {
        /// <summary>
        /// Creates <paramref name="count"/> objects of <paramref name="type"/> from the untyped capability in
        /// <paramref name="untypedSlot"/> and places capabilities with all rights to them in consecutive slots of
        /// <paramref name="destCNode"/> from <paramref name="destOffset"/>, as children of the untyped capability.
        /// Each object is aligned to its own size above the untyped's watermark, and its memory is zeroed
        /// (device memory excepted). When no object retyped earlier is still live the watermark first
        /// returns to the start, so memory is reused only after revoke.
        /// </summary>
        /// <param name="untypedSlot">Slot holding the untyped capability.</param>
        /// <param name="type">Object type to create.</param>
        /// <param name="sizeBits">Size for untyped and device regions, radix for CNodes; ignored for fixed-size types.</param>
        /// <param name="destCNode">CNode receiving the new capabilities.</param>
        /// <param name="destOffset">First destination slot.</param>
        /// <param name="count">Number of objects.</param>
        /// <returns>The new objects, in slot order.</returns>
        public IReadOnlyList<KernelObject> Retype(CSlot untypedSlot, ObjectType type, int sizeBits, CNodeObject destCNode, int destOffset, int count)
        {
            Capability utCap = RequireCap(untypedSlot, ObjectType.Untyped, "untyped");
            var ut = (UntypedObject)utCap.Object;
            ValidateRetype(ut, type, sizeBits);

            if (count < 1 || count > destCNode.Slots.Count)
            {
                throw new CapabilityException(KernelError.RangeError, $"object count {count} is outside 1..{destCNode.Slots.Count}");
            }

            if (destOffset < 0 || destOffset > destCNode.Slots.Count - count)
            {
                throw new CapabilityException(KernelError.RangeError, $"destination slots {destOffset}..{destOffset + count - 1} are outside the CNode's {destCNode.Slots.Count} slots");
            }

            for (int i = 0; i < count; i++)
            {
                RequireEmpty(destCNode[destOffset + i]);
            }

            int objBits = ObjectSizes.SizeBits(type, sizeBits);
            if (objBits > ut.SizeBits)
            {
                throw new CapabilityException(KernelError.NotEnoughMemory, $"a 2^{objBits}-byte {type} does not fit in {ut}");
            }

            ulong objSize = 1UL << objBits;
            ulong watermark = ut.LiveChildren == 0 ? 0 : ut.Watermark;
            ulong start = (watermark + objSize - 1) & ~(objSize - 1);
            ulong needed = objSize * (ulong)count;
            if (start > ut.Size || ut.Size - start < needed)
            {
                throw new CapabilityException(KernelError.NotEnoughMemory, $"{count} x {type} (0x{needed:x} bytes) does not fit in {ut}: 0x{ut.Size - Math.Min(start, ut.Size):x} bytes free at offset 0x{start:x}");
            }

            var created = new List<KernelObject>(count);
            for (int i = 0; i < count; i++)
            {
                ulong pa = ut.PhysicalAddress + start + ((ulong)i * objSize);
                if (!ut.IsDevice)
                {
                    Memory.Zero(pa, objSize);
                }

                KernelObject obj = Create(type, sizeBits, pa, ut);
                ut.LiveChildren++;
                Install(destCNode[destOffset + i], new Capability(obj, CapRights.All), untypedSlot);
                created.Add(obj);
            }

            ut.Watermark = start + needed;
            return created;
        }

        private static void ValidateRetype(UntypedObject ut, ObjectType type, int sizeBits)
        {
            switch (type)
            {
                case ObjectType.IrqHandler or ObjectType.IrqControl:
                    throw new CapabilityException(KernelError.InvalidArgument, $"{type} objects are not made by retype");
                case ObjectType.Untyped when sizeBits < ObjectSizes.MinUntypedBits || sizeBits > ObjectSizes.MaxUntypedBits:
                    throw new CapabilityException(KernelError.RangeError, $"untyped size 2^{sizeBits} is outside 2^{ObjectSizes.MinUntypedBits}..2^{ObjectSizes.MaxUntypedBits}");
                case ObjectType.DeviceRegion when sizeBits < 12 || sizeBits > ObjectSizes.MaxUntypedBits:
                    throw new CapabilityException(KernelError.RangeError, $"device region size 2^{sizeBits} is below 4 KiB or too large");
                case ObjectType.CNode when sizeBits < 1 || sizeBits > ObjectSizes.MaxCNodeRadix:
                    throw new CapabilityException(KernelError.RangeError, $"CNode radix {sizeBits} is outside 1..{ObjectSizes.MaxCNodeRadix}");
            }

            if (ut.IsDevice && type is not (ObjectType.Frame4K or ObjectType.Frame2M or ObjectType.DeviceRegion or ObjectType.Untyped))
            {
                throw new CapabilityException(KernelError.InvalidArgument, $"device untyped {ut} can only become frames, device regions or untyped, not {type}");
            }

            if (!ut.IsDevice && type == ObjectType.DeviceRegion)
            {
                throw new CapabilityException(KernelError.InvalidArgument, $"device regions come from device untyped; {ut} is RAM");
            }
        }

        private static KernelObject Create(ObjectType type, int sizeBits, ulong pa, UntypedObject ut) => type switch
        {
            ObjectType.Untyped => new UntypedObject(sizeBits, pa, ut.AddressSpace, ut.IsDevice, ut),
            ObjectType.Frame4K or ObjectType.Frame2M => new FrameObject(type, pa, ut.AddressSpace, ut, ut.IsDevice),
            ObjectType.DeviceRegion => new DeviceRegionObject(sizeBits, pa, ut.AddressSpace, ut),
            ObjectType.VSpace => new VSpaceObject(pa, ut.AddressSpace, ut),
            ObjectType.PageTable => new PageTableObject(pa, ut.AddressSpace, ut),
            ObjectType.Vcpu => new VcpuObject(pa, ut.AddressSpace, ut),
            ObjectType.Notification => new NotificationObject(pa, ut.AddressSpace, ut),
            ObjectType.Endpoint => new EndpointObject(pa, ut.AddressSpace, ut),
            ObjectType.CNode => new CNodeObject(sizeBits, pa, ut.AddressSpace, ut),
            ObjectType.Tcb => new TcbObject(pa, ut.AddressSpace, ut),
            _ => throw new CapabilityException(KernelError.InvalidArgument, $"{type} objects are not made by retype"),
        };
    }
}
