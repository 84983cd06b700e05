using System.Buffers.Binary;
using Capvisor.Arm;
using Capvisor.Board.Memory;

namespace Capvisor.Board.Virtio
{
    /// <summary>
    /// A split virtqueue (virtio 1.1 §2.6) in guest RAM. Everything the driver wrote is checked
    /// when it is used: ring indices, descriptor indices, chain length (at most the queue size, so
    /// a loop ends), buffer ranges inside RAM, and device-writable buffers after readable ones.
    /// Any violation throws <see cref="VirtioException"/>.
    /// </summary>
    public sealed class Virtqueue
    {
        private const ushort DescNext = 1, DescWrite = 2, DescIndirect = 4;
        private const ushort AvailNoInterrupt = 1;

        /// <summary>Most descriptors in one indirect table.</summary>
        public const int MaxIndirect = 1024;

        private readonly PhysicalAddressSpace _memory;
        private readonly byte[] _scratch = new byte[16];
        private VirtioRequest? _request;

        internal Virtqueue(PhysicalAddressSpace memory, int maxSize)
        {
            _memory = memory;
            MaxSize = maxSize;
            Reset();
        }

        /// <summary>QueueNumMax.</summary>
        public int MaxSize { get; }

        /// <summary>QueueNum: the size the driver chose.</summary>
        public int Size { get; internal set; }

        /// <summary>QueueReady.</summary>
        public bool Ready { get; internal set; }

        /// <summary>Descriptor table address.</summary>
        public ulong DescAddr { get; internal set; }

        /// <summary>Available (driver) ring address.</summary>
        public ulong AvailAddr { get; internal set; }

        /// <summary>Used (device) ring address.</summary>
        public ulong UsedAddr { get; internal set; }

        /// <summary>Next available-ring index the device will take.</summary>
        public ushort LastAvail { get; private set; }

        /// <summary>Next used-ring index the device will fill.</summary>
        public ushort UsedIdx { get; private set; }

        internal void Reset()
        {
            Size = MaxSize;
            Ready = false;
            DescAddr = AvailAddr = UsedAddr = 0;
            LastAvail = UsedIdx = 0;
        }

        /// <summary>Checks the layout when the driver sets QueueReady; throws when it is unusable.</summary>
        internal void Validate()
        {
            if (Size == 0 || Size > MaxSize || (Size & (Size - 1)) != 0)
            {
                throw new VirtioException($"queue size {Size} is not a power of 2 in 1..{MaxSize}");
            }

            ulong n = (ulong)Size;
            CheckRange(DescAddr, 16 * n, 16, "descriptor table");
            CheckRange(AvailAddr, 6 + 2 * n, 2, "available ring");
            CheckRange(UsedAddr, 6 + 8 * n, 4, "used ring");
            LastAvail = UsedIdx = 0;
        }

        private void CheckRange(ulong addr, ulong length, ulong align, string what)
        {
            if ((addr & (align - 1)) != 0 || !_memory.Ram.Contains(addr, length))
            {
                throw new VirtioException($"the {what} at 0x{addr:x} (0x{length:x} bytes) is misaligned or outside RAM");
            }
        }

        /// <summary>
        /// Takes requests from the available ring and gives them to <paramref name="device"/> until
        /// the ring is empty or the device leaves one pending. Returns true when the driver should
        /// be interrupted.
        /// </summary>
        internal bool Process(IVirtioDevice device, int index, bool indirectAllowed = false)
        {
            if (!Ready)
            {
                throw new VirtioException($"queue {index} was notified but is not ready");
            }

            if (_request == null || _request.Capacity < Size + MaxIndirect)
            {
                _request = new VirtioRequest(_memory, Size + MaxIndirect);
            }

            bool used = false;
            while (true)
            {
                ushort availIdx = ReadU16(AvailAddr + 2);
                int pending = (ushort)(availIdx - LastAvail);
                if (pending == 0)
                {
                    break;
                }

                if (pending > Size)
                {
                    throw new VirtioException($"queue {index}: available index {availIdx} is {pending} ahead of {LastAvail}, more than the queue size {Size}");
                }

                ushort head = ReadU16(AvailAddr + 4 + 2 * (ulong)(LastAvail % Size));
                BuildChain(head, indirectAllowed);
                if (!device.Handle(index, _request, out uint written))
                {
                    break;
                }

                if (written > _request.WritableLength)
                {
                    written = (uint)Math.Min(_request.WritableLength, uint.MaxValue);
                }

                ulong slot = UsedAddr + 4 + 8 * (ulong)(UsedIdx % Size);
                BinaryPrimitives.WriteUInt32LittleEndian(_scratch, head);
                BinaryPrimitives.WriteUInt32LittleEndian(_scratch.AsSpan(4), written);
                Write(slot, _scratch.AsSpan(0, 8));
                LastAvail++;
                UsedIdx++;
                WriteU16(UsedAddr + 2, UsedIdx);
                used = true;
            }

            return used && (ReadU16(AvailAddr) & AvailNoInterrupt) == 0;
        }

        private void BuildChain(ushort head, bool indirectAllowed)
        {
            var request = _request!;
            request.Clear();
            ulong table = DescAddr;
            uint tableSize = (uint)Size, index = head;
            bool sawWritable = false, inIndirect = false;
            for (int count = 0; ; count++)
            {
                if (index >= tableSize)
                {
                    throw new VirtioException($"descriptor index {index} is outside the table of {tableSize}");
                }

                if (count >= tableSize || request.Count >= request.Capacity)
                {
                    throw new VirtioException($"descriptor chain from {head} is longer than its table (a loop)");
                }

                Read(table + 16 * (ulong)index, _scratch);
                ulong addr = BinaryPrimitives.ReadUInt64LittleEndian(_scratch);
                uint len = BinaryPrimitives.ReadUInt32LittleEndian(_scratch.AsSpan(8));
                ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(_scratch.AsSpan(12));
                ushort next = BinaryPrimitives.ReadUInt16LittleEndian(_scratch.AsSpan(14));
                if (!_memory.Ram.Contains(addr, len))
                {
                    throw new VirtioException($"buffer 0x{addr:x}+0x{len:x} is outside RAM");
                }

                if ((flags & DescIndirect) != 0)
                {
                    if (!indirectAllowed)
                    {
                        throw new VirtioException("indirect descriptor, but VIRTIO_F_INDIRECT_DESC was not negotiated");
                    }

                    if (inIndirect || (flags & DescNext) != 0 || len == 0 || len % 16 != 0 || len / 16 > MaxIndirect)
                    {
                        throw new VirtioException($"bad indirect descriptor (flags 0x{flags:x}, 0x{len:x} bytes, nested {inIndirect})");
                    }

                    inIndirect = true;
                    table = addr;
                    tableSize = len / 16;
                    index = 0;
                    count = -1;
                    continue;
                }

                bool writable = (flags & DescWrite) != 0;
                if (!writable && sawWritable)
                {
                    throw new VirtioException("a device-readable buffer follows a device-writable one");
                }

                sawWritable |= writable;
                request.Add(addr, len, writable);
                if ((flags & DescNext) == 0)
                {
                    return;
                }

                index = next;
            }
        }

        private ushort ReadU16(ulong pa)
        {
            Read(pa, _scratch.AsSpan(0, 2));
            return BinaryPrimitives.ReadUInt16LittleEndian(_scratch);
        }

        private void WriteU16(ulong pa, ushort value)
        {
            Span<byte> b = stackalloc byte[2];
            BinaryPrimitives.WriteUInt16LittleEndian(b, value);
            Write(pa, b);
        }

        private void Read(ulong pa, Span<byte> destination)
        {
            if (_memory.ReadRam(pa, destination) != PhysicalFault.None)
            {
                throw new VirtioException($"virtqueue read at 0x{pa:x} was refused");
            }
        }

        private void Write(ulong pa, ReadOnlySpan<byte> source)
        {
            if (_memory.WriteRam(pa, source) != PhysicalFault.None)
            {
                throw new VirtioException($"virtqueue write at 0x{pa:x} was refused");
            }
        }
    }
}
