namespace Capvisor.Board.Virtio.Net
{
    /// <summary>Where a <see cref="VirtioNet"/> sends the guest's Ethernet frames and gets frames for it.</summary>
    public interface INetBackend : IDisposable
    {
        /// <summary>
        /// Starts delivering received frames to <paramref name="onFrame"/> on a host thread; the span
        /// is valid only during the call.
        /// </summary>
        void Start(FrameHandler onFrame);

        /// <summary>Sends one frame without blocking. Returns false when the host dropped it.</summary>
        bool TrySend(ReadOnlySpan<byte> frame);
    }

    /// <summary>Receives one Ethernet frame from a backend.</summary>
    public delegate void FrameHandler(ReadOnlySpan<byte> frame);
}
