namespace Capvisor.Caps.Kernel
{
    /// <summary>
    /// Physical memory kept as 4 KiB pages allocated on first write. A page never written reads
    /// as zero, so multi-gigabyte untyped regions cost nothing until used, and zeroing a range
    /// just drops its pages. Not thread-safe: the kernel serialises all access.
    /// </summary>
    public sealed class SparsePhysicalMemory : IPhysicalMemory
    {
        private const int PageBits = 12;
        private const ulong PageSize = 1UL << PageBits;
        private readonly Dictionary<ulong, byte[]> _pages = [];

        /// <summary>Number of pages currently holding data (for tests and diagnostics).</summary>
        public int ResidentPages => _pages.Count;

        /// <inheritdoc/>
        public void Zero(ulong address, ulong length)
        {
            ulong end = address + length;
            ulong a = address;
            while (a < end)
            {
                ulong page = a >> PageBits;
                ulong offset = a & (PageSize - 1);
                ulong chunk = Math.Min(PageSize - offset, end - a);
                if (chunk == PageSize)
                {
                    _pages.Remove(page);
                }
                else if (_pages.TryGetValue(page, out byte[]? data))
                {
                    Array.Clear(data, (int)offset, (int)chunk);
                }

                a += chunk;
                if (a == 0)
                {
                    break; // wrapped at the top of the 64-bit space
                }
            }
        }

        /// <inheritdoc/>
        public void Read(ulong address, Span<byte> destination)
        {
            int done = 0;
            while (done < destination.Length)
            {
                ulong a = address + (ulong)done;
                ulong offset = a & (PageSize - 1);
                int chunk = (int)Math.Min(PageSize - offset, (ulong)(destination.Length - done));
                if (_pages.TryGetValue(a >> PageBits, out byte[]? data))
                {
                    data.AsSpan((int)offset, chunk).CopyTo(destination.Slice(done, chunk));
                }
                else
                {
                    destination.Slice(done, chunk).Clear();
                }

                done += chunk;
            }
        }

        /// <inheritdoc/>
        public void Write(ulong address, ReadOnlySpan<byte> source)
        {
            int done = 0;
            while (done < source.Length)
            {
                ulong a = address + (ulong)done;
                ulong offset = a & (PageSize - 1);
                int chunk = (int)Math.Min(PageSize - offset, (ulong)(source.Length - done));
                ulong page = a >> PageBits;
                if (!_pages.TryGetValue(page, out byte[]? data))
                {
                    data = new byte[PageSize];
                    _pages[page] = data;
                }

                source.Slice(done, chunk).CopyTo(data.AsSpan((int)offset, chunk));
                done += chunk;
            }
        }

        /// <summary>True when every byte of the range is zero.</summary>
        public bool IsZero(ulong address, ulong length)
        {
            ulong end = address + length;
            foreach (var (page, data) in _pages)
            {
                ulong start = page << PageBits;
                if (start + PageSize <= address || start >= end)
                {
                    continue;
                }

                ulong from = Math.Max(start, address) - start;
                ulong to = Math.Min(start + PageSize, end) - start;
                if (data.AsSpan((int)from, (int)(to - from)).ContainsAnyExcept((byte)0))
                {
                    return false;
                }
            }

            return true;
        }
    }
}
