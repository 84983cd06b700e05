using Capvisor.Board.Memory;

namespace Capvisor.Firmware.Hypervisor
{
    /// <summary>
    /// The host's granule allocator over the board's RAM: a bump pointer plus a free list, with
    /// every access made as the Non-secure world through <see cref="RamBlock.GetSpan(ulong, int)"/>,
    /// so a delegated granule is out of the host's reach exactly as the GPT says.
    /// </summary>
    public sealed class BoardHostMemory : IHostMemory
    {
        private const ulong Granule = GranuleProtectionTable.GranuleSize;

        private readonly RamBlock _ram;
        private readonly Stack<ulong> _free = new();
        private readonly ulong _end;
        private ulong _next;

        /// <summary>Allocates from [<paramref name="start"/>, <paramref name="end"/>) of <paramref name="ram"/>.</summary>
        public BoardHostMemory(RamBlock ram, ulong start, ulong end)
        {
            if ((start & (Granule - 1)) != 0 || (end & (Granule - 1)) != 0 || !ram.Contains(start, end - start))
            {
                throw new ArgumentOutOfRangeException(nameof(start), "the host pool must be granule-aligned RAM");
            }

            _ram = ram;
            _next = start;
            _end = end;
        }

        /// <summary>Granules handed out and not freed.</summary>
        public int InUse { get; private set; }

        /// <inheritdoc/>
        public ulong AllocateGranule()
        {
            ulong pa;
            if (_free.Count > 0)
            {
                pa = _free.Pop();
            }
            else if (_next < _end)
            {
                pa = _next;
                _next += Granule;
            }
            else
            {
                throw new RealmHostException($"host memory exhausted ({(_end - _ram.Base) >> 20} MiB board RAM)");
            }

            InUse++;
            return pa;
        }

        /// <inheritdoc/>
        public ulong AllocateContiguous(int count, ulong alignment)
        {
            ulong first = (_next + alignment - 1) & ~(alignment - 1);
            if (count < 1 || first < _next || first + ((ulong)count * Granule) > _end)
            {
                throw new RealmHostException($"host memory exhausted ({(_end - _ram.Base) >> 20} MiB board RAM)");
            }

            for (ulong pa = _next; pa < first; pa += Granule)
            {
                _free.Push(pa);
            }

            _next = first + ((ulong)count * Granule);
            InUse += count;
            return first;
        }

        /// <inheritdoc/>
        public void FreeGranule(ulong pa)
        {
            InUse--;
            _free.Push(pa);
        }

        /// <inheritdoc/>
        public void Write(ulong pa, ReadOnlySpan<byte> data, int offset = 0) =>
            data.CopyTo(_ram.GetSpan(pa + (ulong)offset, data.Length));

        /// <inheritdoc/>
        public void Read(ulong pa, Span<byte> destination, int offset = 0) =>
            _ram.GetSpan(pa + (ulong)offset, destination.Length).CopyTo(destination);
    }
}
