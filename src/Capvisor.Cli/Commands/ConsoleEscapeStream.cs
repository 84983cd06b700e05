namespace Capvisor.Cli.Commands
{
    /// <summary>
    /// Console input for the guest with QEMU's escape: Ctrl-A x ends the run (the stream then
    /// reports end of input and <see cref="Escaped"/> fires); Ctrl-A Ctrl-A sends one Ctrl-A.
    /// Every other byte passes through unchanged.
    /// </summary>
    public sealed class ConsoleEscapeStream(Stream inner) : Stream
    {
        private const byte CtrlA = 0x01;
        private bool _afterCtrlA, _ended;

        /// <summary>Raised (on the reading thread) when the user types Ctrl-A x.</summary>
        public event Action? Escaped;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            while (!_ended)
            {
                int n = inner.Read(buffer, offset, count);
                if (n <= 0)
                {
                    return 0;
                }

                int w = offset;
                for (int i = offset; i < offset + n; i++)
                {
                    byte b = buffer[i];
                    if (_afterCtrlA)
                    {
                        _afterCtrlA = false;
                        if (b is (byte)'x' or (byte)'X')
                        {
                            _ended = true;
                            Escaped?.Invoke();
                            return w - offset;
                        }

                        if (b != CtrlA)
                        {
                            buffer[w++] = CtrlA;
                        }

                        buffer[w++] = b;
                    }
                    else if (b == CtrlA)
                    {
                        _afterCtrlA = true;
                    }
                    else
                    {
                        buffer[w++] = b;
                    }
                }

                if (w > offset)
                {
                    return w - offset;
                }
            }

            return 0;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
