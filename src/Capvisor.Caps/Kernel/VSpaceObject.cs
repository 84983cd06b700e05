namespace Capvisor.Caps.Kernel
{
    /// <summary>
    /// A VM's stage-2 address space. Frames and device regions are mapped into it through their
    /// capabilities; each capability maps at most once, and deleting it removes the mapping.
    /// </summary>
    public sealed class VSpaceObject : KernelObject
    {
        /// <summary>IPA width the VSpace accepts (48 bits, a 4-level stage-2 walk).</summary>
        public const int IpaBits = 48;

        private const int SmallBits = 12;
        private const int LargeBits = 21;

        // Mappings are kept per 4 KiB and per 2 MiB granule so that lookups and overlap checks are O(1).
        private readonly Dictionary<ulong, CSlot> _small = [];
        private readonly Dictionary<ulong, CSlot> _large = [];
        private readonly Dictionary<ulong, int> _smallPerLarge = [];

        internal VSpaceObject(ulong physicalAddress, PhysicalAddressSpace pas, UntypedObject? source)
            : base(ObjectType.VSpace, ObjectSizes.VSpaceBits, physicalAddress, pas, source, 0)
        {
        }

        internal HashSet<VcpuObject> BoundVcpus { get; } = [];

        /// <summary>The vCPUs bound to this address space.</summary>
        public IReadOnlyCollection<VcpuObject> Vcpus => BoundVcpus;

        /// <summary>The slots of the capabilities mapped here, each once.</summary>
        public IEnumerable<CSlot> MappedSlots => _small.Values.Concat(_large.Values).Distinct();

        /// <summary>Translates <paramref name="ipa"/>; false when nothing is mapped there.</summary>
        public bool TryTranslate(ulong ipa, out VSpaceTranslation translation)
        {
            if (_small.TryGetValue(ipa >> SmallBits, out CSlot? slot) || _large.TryGetValue(ipa >> LargeBits, out slot))
            {
                FrameMapping m = slot.Mapping!;
                KernelObject obj = slot.Cap!.Object;
                translation = new VSpaceTranslation(obj.PhysicalAddress + (ipa - m.Ipa), obj.AddressSpace, m.Rights, obj);
                return true;
            }

            translation = default;
            return false;
        }

        internal static bool UsesLargeGranules(KernelObject obj) => obj.SizeBits >= LargeBits;

        internal bool IsFree(ulong ipa, int sizeBits)
        {
            ulong end = ipa + (1UL << sizeBits);
            if (sizeBits >= LargeBits)
            {
                for (ulong a = ipa; a < end; a += 1UL << LargeBits)
                {
                    if (_large.ContainsKey(a >> LargeBits) || _smallPerLarge.ContainsKey(a >> LargeBits))
                    {
                        return false;
                    }
                }

                return true;
            }

            if (_large.ContainsKey(ipa >> LargeBits))
            {
                return false;
            }

            for (ulong a = ipa; a < end; a += 1UL << SmallBits)
            {
                if (_small.ContainsKey(a >> SmallBits))
                {
                    return false;
                }
            }

            return true;
        }

        internal void Insert(CSlot slot, ulong ipa, int sizeBits)
        {
            ulong end = ipa + (1UL << sizeBits);
            if (sizeBits >= LargeBits)
            {
                for (ulong a = ipa; a < end; a += 1UL << LargeBits)
                {
                    _large[a >> LargeBits] = slot;
                }

                return;
            }

            for (ulong a = ipa; a < end; a += 1UL << SmallBits)
            {
                _small[a >> SmallBits] = slot;
                _smallPerLarge[a >> LargeBits] = _smallPerLarge.GetValueOrDefault(a >> LargeBits) + 1;
            }
        }

        internal void Remove(ulong ipa, int sizeBits)
        {
            ulong end = ipa + (1UL << sizeBits);
            if (sizeBits >= LargeBits)
            {
                for (ulong a = ipa; a < end; a += 1UL << LargeBits)
                {
                    _large.Remove(a >> LargeBits);
                }

                return;
            }

            for (ulong a = ipa; a < end; a += 1UL << SmallBits)
            {
                if (_small.Remove(a >> SmallBits))
                {
                    ulong key = a >> LargeBits;
                    int n = _smallPerLarge[key] - 1;
                    if (n == 0)
                    {
                        _smallPerLarge.Remove(key);
                    }
                    else
                    {
                        _smallPerLarge[key] = n;
                    }
                }
            }
        }

        internal override void Finalise(CapKernel kernel)
        {
            foreach (CSlot s in MappedSlots.ToList())
            {
                s.Mapping = null;
            }

            _small.Clear();
            _large.Clear();
            _smallPerLarge.Clear();
            foreach (VcpuObject v in BoundVcpus)
            {
                v.VSpace = null;
            }

            BoundVcpus.Clear();
        }
    }
}
