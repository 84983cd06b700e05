namespace Capvisor.Board.Devices
{
    /// <summary>
    /// Passes serial output through to another stream (or nowhere) and calls back once a marker
    /// text has gone by, e.g. a shell prompt. Matching is byte-wise and allocation-free.
    /// </summary>
    internal sealed class MarkerWatchStream(Stream? inner, byte[] marker, Action seen) : Stream
    {
        private int _matched;
        private bool _done;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count)
        {
            inner?.Write(buffer, offset, count);
            for (int i = offset; i < offset + count && !_done; i++)
            {
                byte b = buffer[i];
                _matched = b == marker[_matched] ? _matched + 1 : b == marker[0] ? 1 : 0;
                if (_matched == marker.Length)
                {
                    _done = true;
                    seen();
                }
            }
        }

        public override void Flush() => inner?.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
