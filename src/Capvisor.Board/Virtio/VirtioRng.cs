using System.Security.Cryptography;

namespace Capvisor.Board.Virtio
{
    /// <summary>
    /// virtio-rng (virtio 1.1 §5.4): fills each device-writable buffer with entropy from the host
    /// RNG, or in deterministic mode from a seeded generator (SplitMix64) so runs stay identical.
    /// </summary>
    public sealed class VirtioRng : IVirtioDevice
    {
        private readonly byte[] _buffer = new byte[4096];
        private readonly bool _deterministic;
        private ulong _state;

        /// <summary>Host entropy, or with <paramref name="deterministicSeed"/> a reproducible stream.</summary>
        public VirtioRng(ulong? deterministicSeed = null)
        {
            _deterministic = deterministicSeed.HasValue;
            _state = deterministicSeed ?? 0;
        }

        /// <inheritdoc/>
        public uint DeviceId => 4;

        /// <inheritdoc/>
        public ulong Features => 0;

        /// <inheritdoc/>
        public int QueueCount => 1;

        /// <inheritdoc/>
        public int QueueMaxSize => 8;

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
            // At most one buffer's worth per request, as QEMU caps its reply; the driver asks again.
            int n = (int)Math.Min(request.WritableLength, _buffer.Length);
            var chunk = _buffer.AsSpan(0, n);
            if (_deterministic)
            {
                for (int i = 0; i < n; i++)
                {
                    if ((i & 7) == 0)
                    {
                        _state += 0x9E3779B97F4A7C15;
                    }

                    ulong z = _state + (ulong)(i & 7);
                    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
                    z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
                    chunk[i] = (byte)(z ^ (z >> 31));
                }
            }
            else
            {
                RandomNumberGenerator.Fill(chunk);
            }

            request.Write(0, chunk);
            written = (uint)n;
            return true;
        }
    }
}
