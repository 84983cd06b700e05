using System.Collections.Concurrent;

namespace Capvisor.Board
{
    /// <summary>
    /// Bytes for the UART from a host stream. A seekable stream (a file, a MemoryStream in tests)
    /// is read on the machine's thread, so input arrives at the same machine time on every run; any
    /// other stream (a terminal, a pipe) is read by a background thread.
    /// </summary>
    internal sealed class SerialInputPump : IDisposable
    {
        private readonly Stream _stream;
        private readonly bool _synchronous;
        private readonly ConcurrentQueue<byte> _queue = new();
        private readonly SemaphoreSlim _arrived = new(0);
        private volatile bool _ended;

        public SerialInputPump(Stream stream)
        {
            _stream = stream;
            _synchronous = stream.CanSeek;
            if (!_synchronous)
            {
                var reader = new Thread(ReadLoop) { IsBackground = true, Name = "capvisor serial input" };
                reader.Start();
            }
        }

        /// <summary>True when no more input will come.</summary>
        public bool Finished => _synchronous ? _stream.Position >= _stream.Length : _ended && _queue.IsEmpty;

        public bool TryRead(out byte b)
        {
            if (_synchronous)
            {
                int v = _stream.ReadByte();
                b = (byte)Math.Max(v, 0);
                return v >= 0;
            }

            return _queue.TryDequeue(out b);
        }

        /// <summary>Blocks up to <paramref name="timeout"/> or until input arrives.</summary>
        public void WaitForData(TimeSpan timeout)
        {
            if (_synchronous || !_queue.IsEmpty)
            {
                return;
            }

            _arrived.Wait(timeout);
        }

        private void ReadLoop()
        {
            var buffer = new byte[256];
            try
            {
                int n;
                while ((n = _stream.Read(buffer, 0, buffer.Length)) > 0)
                {
                    for (int i = 0; i < n; i++)
                    {
                        _queue.Enqueue(buffer[i]);
                    }

                    _arrived.Release();
                }
            }
            catch (IOException)
            {
                // The input went away: treat as end of input.
            }
            catch (ObjectDisposedException)
            {
            }

            _ended = true;
            try
            {
                _arrived.Release();
            }
            catch (ObjectDisposedException)
            {
            }
        }

        public void Dispose() => _arrived.Dispose();
    }
}
