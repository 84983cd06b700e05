namespace Capvisor.Board.Virtio
{
    /// <summary>
    /// A virtio device behind a <see cref="VirtioMmioTransport"/>. The transport validates the
    /// virtqueues and the descriptor chains; the device sees only a checked <see cref="VirtioRequest"/>.
    /// </summary>
    public interface IVirtioDevice
    {
        /// <summary>Virtio device ID (2 block, 3 console, 4 entropy).</summary>
        uint DeviceId { get; }

        /// <summary>Feature bits offered (the transport adds VIRTIO_F_VERSION_1).</summary>
        ulong Features { get; }

        /// <summary>Number of virtqueues.</summary>
        int QueueCount { get; }

        /// <summary>Largest queue size (a power of 2, at most 32768).</summary>
        int QueueMaxSize { get; }

        /// <summary>Reads one byte of the device-specific configuration space (0 past its end).</summary>
        byte ReadConfig(int offset);

        /// <summary>Writes one byte of the configuration space (ignored where read-only).</summary>
        void WriteConfig(int offset, byte value);

        /// <summary>Returns the device to its reset state (the driver wrote 0 to Status).</summary>
        void Reset();

        /// <summary>
        /// Handles one request from queue <paramref name="queue"/>. Returns false to leave it (and
        /// the rest of the queue) for later, e.g. a receive buffer with no data yet; otherwise sets
        /// <paramref name="written"/> to the bytes written into the device-writable buffers.
        /// Throws <see cref="VirtioException"/> for a request the device cannot accept.
        /// </summary>
        bool Handle(int queue, VirtioRequest request, out uint written);
    }

    /// <summary>A driver error that puts the device into DEVICE_NEEDS_RESET.</summary>
    public sealed class VirtioException(string message) : Exception(message);
}
