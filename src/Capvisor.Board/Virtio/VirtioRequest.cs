using Capvisor.Arm;
using Capvisor.Board.Memory;

namespace Capvisor.Board.Virtio
{
    /// <summary>
    /// One descriptor chain, already checked by <see cref="Virtqueue"/>: every buffer lies inside
    /// guest RAM, device-readable buffers come first, and the totals do not overflow. Reused for
    /// every request of a queue (no allocation per request).
    /// </summary>
    public sealed class VirtioRequest
    {
        private readonly PhysicalAddressSpace _memory;
        private readonly ulong[] _addr;
        private readonly uint[] _len;

        internal VirtioRequest(PhysicalAddressSpace memory, int capacity)
        {
            _memory = memory;
            _addr = new ulong[capacity];
            _len = new uint[capacity];
        }

        /// <summary>Number of device-readable buffers (they come first).</summary>
        public int ReadableCount { get; private set; }

        /// <summary>Number of buffers in all.</summary>
        public int Count { get; private set; }

        /// <summary>Total bytes in the device-readable buffers.</summary>
        public long ReadableLength { get; private set; }

        /// <summary>Total bytes in the device-writable buffers.</summary>
        public long WritableLength { get; private set; }

        internal int Capacity => _addr.Length;

        internal void Clear()
        {
            ReadableCount = Count = 0;
            ReadableLength = WritableLength = 0;
        }

        internal void Add(ulong addr, uint len, bool writable)
        {
            _addr[Count] = addr;
            _len[Count] = len;
            Count++;
            if (writable)
            {
                WritableLength += len;
            }
            else
            {
                ReadableCount++;
                ReadableLength += len;
            }
        }

        /// <summary>Copies device-readable bytes starting at <paramref name="offset"/> into <paramref name="destination"/>.</summary>
        /// <exception cref="VirtioException">The range is past the readable buffers or guest RAM refused the access.</exception>
        public void Read(long offset, Span<byte> destination)
        {
            if (offset < 0 || offset + destination.Length > ReadableLength)
            {
                throw new VirtioException("read past the device-readable buffers");
            }

            Copy(0, ReadableCount, offset, destination, default, write: false);
        }

        /// <summary>Copies <paramref name="source"/> into the device-writable buffers at <paramref name="offset"/>.</summary>
        /// <exception cref="VirtioException">The range is past the writable buffers or guest RAM refused the access.</exception>
        public void Write(long offset, ReadOnlySpan<byte> source)
        {
            if (offset < 0 || offset + source.Length > WritableLength)
            {
                throw new VirtioException("write past the device-writable buffers");
            }

            Copy(ReadableCount, Count, offset, default, source, write: true);
        }

        private void Copy(int first, int end, long offset, Span<byte> destination, ReadOnlySpan<byte> source, bool write)
        {
            int remaining = write ? source.Length : destination.Length;
            int done = 0;
            for (int i = first; i < end && remaining > 0; i++)
            {
                if (offset >= _len[i])
                {
                    offset -= _len[i];
                    continue;
                }

                int n = (int)Math.Min(remaining, _len[i] - offset);
                ulong pa = _addr[i] + (ulong)offset;
                var fault = write
                    ? _memory.WriteRam(pa, source.Slice(done, n))
                    : _memory.ReadRam(pa, destination.Slice(done, n));
                if (fault != PhysicalFault.None)
                {
                    throw new VirtioException($"guest memory at 0x{pa:x} refused a DMA access ({fault})");
                }

                done += n;
                remaining -= n;
                offset = 0;
            }
        }
    }
}
