namespace Capvisor.Board.Virtio
{
    /// <summary>
    /// virtio-console (virtio 1.1 §5.3) with one port and no multiport: queue 0 receives (host to
    /// guest; buffers stay pending, there is no input yet), queue 1 transmits to a host stream.
    /// Linux binds it as /dev/hvc0.
    /// </summary>
    public sealed class VirtioConsole(Stream? output) : IVirtioDevice
    {
        private readonly byte[] _buffer = new byte[4096];

        /// <inheritdoc/>
        public uint DeviceId => 3;

        /// <inheritdoc/>
        public ulong Features => 0;

        /// <inheritdoc/>
        public int QueueCount => 2;

        /// <inheritdoc/>
        public int QueueMaxSize => 128;

        /// <inheritdoc/>
        public byte ReadConfig(int offset) => 0;

        /// <inheritdoc/>
        public void WriteConfig(int offset, byte value)
        {
        }

        /// <inheritdoc/>
        public void Reset()
        {
        }

        /// <inheritdoc/>
        public bool Handle(int queue, VirtioRequest request, out uint written)
        {
            written = 0;
            if (queue == 0)
            {
                return false; // no host input: keep the receive buffers
            }

            for (long done = 0; done < request.ReadableLength;)
            {
                int n = (int)Math.Min(_buffer.Length, request.ReadableLength - done);
                request.Read(done, _buffer.AsSpan(0, n));
                output?.Write(_buffer, 0, n);
                done += n;
            }

            output?.Flush();
            return true;
        }
    }
}
