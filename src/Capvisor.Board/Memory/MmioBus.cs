namespace Capvisor.Board.Memory
{
    /// <summary>
    /// The device part of the physical address space: non-overlapping regions, each owned by one
    /// <see cref="IMmioDevice"/>. Lookups allocate nothing.
    /// </summary>
    public sealed class MmioBus
    {
        private MmioRegion[] _regions = [];
        private int _lastHit;

        /// <summary>The mapped regions, sorted by base address.</summary>
        public IReadOnlyList<MmioRegion> Regions => _regions;

        /// <summary>Maps <paramref name="device"/> at [<paramref name="physicalBase"/>, +<paramref name="size"/>).</summary>
        /// <exception cref="ArgumentException">The region is empty, wraps, or overlaps a mapped region.</exception>
        public void Map(string name, ulong physicalBase, ulong size, IMmioDevice device)
        {
            ArgumentNullException.ThrowIfNull(device);
            if (size == 0 || physicalBase + size < physicalBase)
            {
                throw new ArgumentException($"MMIO region '{name}' at 0x{physicalBase:x} has an invalid size 0x{size:x}");
            }

            foreach (var r in _regions)
            {
                if (physicalBase < r.Base + r.Size && r.Base < physicalBase + size)
                {
                    throw new ArgumentException(
                        $"MMIO region '{name}' [0x{physicalBase:x}, 0x{physicalBase + size:x}) overlaps '{r.Name}' [0x{r.Base:x}, 0x{r.Base + r.Size:x})");
                }
            }

            var list = new List<MmioRegion>(_regions) { new(name, physicalBase, size, device) };
            list.Sort((a, b) => a.Base.CompareTo(b.Base));
            _regions = list.ToArray();
            _lastHit = 0;
        }

        /// <summary>True when any mapped region intersects [<paramref name="pa"/>, +<paramref name="size"/>).</summary>
        public bool Overlaps(ulong pa, ulong size)
        {
            foreach (var r in _regions)
            {
                if (pa < r.Base + r.Size && r.Base < pa + size)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>Finds the region that holds the whole access, or returns false.</summary>
        public bool TryFind(ulong pa, int size, out IMmioDevice? device, out ulong offset)
        {
            var regions = _regions;
            int hit = _lastHit;
            if ((uint)hit < (uint)regions.Length && Holds(regions[hit], pa, size))
            {
                device = regions[hit].Device;
                offset = pa - regions[hit].Base;
                return true;
            }

            int lo = 0, hi = regions.Length - 1;
            while (lo <= hi)
            {
                int mid = (lo + hi) >> 1;
                var r = regions[mid];
                if (pa < r.Base)
                {
                    hi = mid - 1;
                }
                else if (pa - r.Base >= r.Size)
                {
                    lo = mid + 1;
                }
                else if (Holds(r, pa, size))
                {
                    _lastHit = mid;
                    device = r.Device;
                    offset = pa - r.Base;
                    return true;
                }
                else
                {
                    break; // the access runs past the region's end
                }
            }

            device = null;
            offset = 0;
            return false;
        }

        private static bool Holds(MmioRegion r, ulong pa, int size) =>
            pa >= r.Base && pa - r.Base < r.Size && r.Size - (pa - r.Base) >= (ulong)size;
    }
}
