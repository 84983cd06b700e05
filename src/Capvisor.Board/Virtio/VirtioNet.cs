using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using Capvisor.Board.Virtio.Net;

namespace Capvisor.Board.Virtio
{
    /// <summary>
    /// virtio-net (virtio 1.1 §5.1), one queue pair, no offloads: it offers only VIRTIO_NET_F_MAC
    /// and VIRTIO_NET_F_STATUS (link always up) besides what the transport adds, so every frame
    /// carries the 12-byte version 1 <c>virtio_net_hdr</c> with nothing to do in it. Frames go to
    /// and come from an <see cref="INetBackend"/>. Received frames wait in a queue of at most
    /// <see cref="RxQueueLimit"/> frames until the guest posts receive buffers; what does not fit is
    /// dropped and counted in <see cref="RxDropped"/>, as a full NIC ring would.
    /// </summary>
    public sealed class VirtioNet : IVirtioDevice, IVirtioHostInput, IDisposable
    {
        /// <summary>VIRTIO_NET_F_MAC: the configuration space holds the MAC address.</summary>
        public const ulong FeatureMac = 1ul << 5;

        /// <summary>VIRTIO_NET_F_STATUS: the configuration space holds the link status.</summary>
        public const ulong FeatureStatus = 1ul << 16;

        /// <summary>Size of <c>struct virtio_net_hdr</c> with num_buffers (version 1).</summary>
        public const int HeaderSize = 12;

        /// <summary>Queue 0 receives (device to guest), queue 1 transmits.</summary>
        public const int RxQueue = 0, TxQueue = 1;

        /// <summary>Received frames held while the guest has no receive buffer.</summary>
        public const int RxQueueLimit = 256;

        /// <summary>QEMU's default MAC for the first NIC (52:54:00:12:34:56).</summary>
        public static ReadOnlySpan<byte> DefaultMac => [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];

        private const ushort LinkUp = 1;
        private const int MinFrame = 14; // an Ethernet header

        private readonly INetBackend _backend;
        private readonly byte[] _mac;
        private readonly byte[] _frame = new byte[HeaderSize + DatagramNetBackend.MaxFrame];
        private readonly byte[] _rxHeader = new byte[HeaderSize];
        private readonly ConcurrentQueue<(byte[] Buffer, int Length)> _rx = new();
        private int _rxCount;
        private long _rxDropped, _txDropped;
        private volatile bool _transmitted;

        /// <summary>A NIC with MAC <paramref name="mac"/> (default <see cref="DefaultMac"/>) on <paramref name="backend"/>, which it owns.</summary>
        /// <exception cref="ArgumentException">The MAC is not 6 bytes or is a multicast address.</exception>
        public VirtioNet(INetBackend backend, ReadOnlySpan<byte> mac = default)
        {
            if (mac.IsEmpty)
            {
                mac = DefaultMac;
            }

            if (mac.Length != 6 || (mac[0] & 1) != 0)
            {
                throw new ArgumentException("a MAC address is 6 bytes and not multicast");
            }

            _backend = backend;
            _mac = mac.ToArray();
            _backend.Start(OnFrame);
        }

        /// <inheritdoc/>
        public uint DeviceId => 1;

        /// <inheritdoc/>
        public ulong Features => FeatureMac | FeatureStatus;

        /// <inheritdoc/>
        public int QueueCount => 2;

        /// <inheritdoc/>
        public int QueueMaxSize => 256;

        /// <summary>The MAC address.</summary>
        public ReadOnlySpan<byte> Mac => _mac;

        /// <summary>Frames from the host dropped: the receive queue was full, or the guest's buffer too small.</summary>
        public long RxDropped => Interlocked.Read(ref _rxDropped);

        /// <summary>Frames from the guest dropped: malformed size, or the host socket refused them.</summary>
        public long TxDropped => Interlocked.Read(ref _txDropped);

        /// <summary>Frames the guest sent that the backend accepted.</summary>
        public long TxFrames { get; private set; }

        /// <summary>Frames given to the guest.</summary>
        public long RxFrames { get; private set; }

        /// <inheritdoc/>
        public bool HasInput => !_rx.IsEmpty; // not _rxCount: that counts a frame before it is queued

        /// <inheritdoc/>
        public Action? InputArrived { get; set; }

        /// <inheritdoc/>
        public bool TakeTransmitted()
        {
            bool t = _transmitted;
            _transmitted = false;
            return t;
        }

        /// <inheritdoc/>
        public void DeliverInput(VirtioMmioTransport transport) => transport.Kick(RxQueue);

        /// <inheritdoc/>
        public byte ReadConfig(int offset) => offset switch
        {
            >= 0 and < 6 => _mac[offset],
            6 => LinkUp & 0xFF,
            7 => LinkUp >> 8,
            _ => 0,
        };

        /// <inheritdoc/>
        public void WriteConfig(int offset, byte value)
        {
            // Read-only: VIRTIO_NET_F_CTRL_MAC_ADDR (the only way to change the MAC) is not offered.
        }

        /// <inheritdoc/>
        public void Reset()
        {
            // Frames queued for the old driver are stale once it resets.
            while (_rx.TryDequeue(out var f))
            {
                Interlocked.Decrement(ref _rxCount);
                ArrayPool<byte>.Shared.Return(f.Buffer);
            }
        }

        /// <inheritdoc/>
        public bool Handle(int queue, VirtioRequest request, out uint written)
        {
            written = 0;
            return queue == RxQueue ? Receive(request, out written) : Transmit(request);
        }

        private bool Transmit(VirtioRequest request)
        {
            if (request.ReadableLength < HeaderSize)
            {
                throw new VirtioException($"transmit buffer of {request.ReadableLength} bytes has no {HeaderSize}-byte virtio_net_hdr");
            }

            request.Read(0, _frame.AsSpan(0, HeaderSize));
            byte flags = _frame[0], gsoType = _frame[1];
            if (flags != 0 || gsoType != 0)
            {
                // NEEDS_CSUM, DATA_VALID and GSO need features that were not offered.
                throw new VirtioException($"transmit header asks for offloads that were not negotiated (flags 0x{flags:x}, gso_type {gsoType})");
            }

            long length = request.ReadableLength - HeaderSize;
            if (length < MinFrame || length > DatagramNetBackend.MaxFrame)
            {
                Interlocked.Increment(ref _txDropped);
                return true;
            }

            var frame = _frame.AsSpan(HeaderSize, (int)length);
            request.Read(HeaderSize, frame);
            _transmitted = true;
            if (_backend.TrySend(frame))
            {
                TxFrames++;
            }
            else
            {
                Interlocked.Increment(ref _txDropped);
            }

            return true;
        }

        private bool Receive(VirtioRequest request, out uint written)
        {
            written = 0;
            if (request.ReadableLength != 0 || request.WritableLength < HeaderSize)
            {
                throw new VirtioException($"receive buffer must be device-writable and at least {HeaderSize} bytes");
            }

            while (_rx.TryDequeue(out var f))
            {
                Interlocked.Decrement(ref _rxCount);
                try
                {
                    if (HeaderSize + f.Length > request.WritableLength)
                    {
                        Interlocked.Increment(ref _rxDropped); // larger than the guest's MTU allows
                        continue;
                    }

                    // No offloads: every field 0 but num_buffers, which is 1 without MRG_RXBUF.
                    BinaryPrimitives.WriteUInt16LittleEndian(_rxHeader.AsSpan(10), 1);
                    request.Write(0, _rxHeader);
                    request.Write(HeaderSize, f.Buffer.AsSpan(0, f.Length));
                    written = (uint)(HeaderSize + f.Length);
                    RxFrames++;
                    return true;
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(f.Buffer);
                }
            }

            return false; // nothing to receive: the buffer stays available
        }

        private void OnFrame(ReadOnlySpan<byte> frame)
        {
            if (frame.Length < MinFrame || Interlocked.Increment(ref _rxCount) > RxQueueLimit)
            {
                if (frame.Length >= MinFrame)
                {
                    Interlocked.Decrement(ref _rxCount);
                }

                Interlocked.Increment(ref _rxDropped);
                return;
            }

            var buffer = ArrayPool<byte>.Shared.Rent(frame.Length);
            frame.CopyTo(buffer);
            _rx.Enqueue((buffer, frame.Length));
            InputArrived?.Invoke();
        }

        /// <summary>Closes the backend.</summary>
        public void Dispose()
        {
            _backend.Dispose();
            Reset();
        }
    }
}
