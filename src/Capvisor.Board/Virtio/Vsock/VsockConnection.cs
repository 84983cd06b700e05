using System.Net.Sockets;

namespace Capvisor.Board.Virtio.Vsock
{
    /// <summary>
    /// One stream between a guest port and a host Unix socket. The machine thread owns the
    /// protocol state and the outbox (guest to host); a reader thread fills the inbox (host to
    /// guest), which holds at most <see cref="BufferSize"/> bytes, so a host that writes faster
    /// than the guest reads is held back by its own socket buffer.
    /// </summary>
    internal sealed class VsockConnection : IDisposable
    {
        /// <summary>Bytes buffered each way; also the buf_alloc the guest is given.</summary>
        public const int BufferSize = 64 * 1024;

        private readonly object _sync = new();
        private readonly byte[] _inbox = new byte[BufferSize];
        private readonly byte[] _outbox = new byte[BufferSize];
        private readonly Action _onInput;
        private int _inStart, _inCount, _outStart, _outCount;
        private bool _inEof, _inError;
        private Thread? _reader;
        private volatile bool _closed;

        public VsockConnection(Socket socket, uint guestPort, uint hostPort, bool established, Action onInput)
        {
            Socket = socket;
            socket.Blocking = false;
            GuestPort = guestPort;
            HostPort = hostPort;
            Established = established;
            _onInput = onInput;
        }

        public Socket Socket { get; }

        public uint GuestPort { get; }

        public uint HostPort { get; }

        /// <summary>False while a host-initiated connection waits for the guest's RESPONSE.</summary>
        public bool Established { get; set; }

        /// <summary>SHUTDOWN flags the guest has sent.</summary>
        public uint PeerShutdown { get; set; }

        /// <summary>True once the guest was told that the host sends no more (SHUTDOWN SEND).</summary>
        public bool ShutdownSent { get; set; }

        /// <summary>True once the host socket's sending side is shut after the guest's SHUTDOWN SEND.</summary>
        public bool HostWriteShut { get; set; }

        /// <summary>A CREDIT_UPDATE is queued and not yet delivered.</summary>
        public bool CreditUpdateQueued { get; set; }

        /// <summary>The guest's receive buffer size and what it has consumed (from its last packet).</summary>
        public uint PeerBufAlloc { get; set; }

        public uint PeerFwdCnt { get; set; }

        /// <summary>Payload bytes sent to the guest, ever (wraps, as the protocol's counters do).</summary>
        public uint TxCnt { get; set; }

        /// <summary>Payload bytes received from the guest, and forwarded to the host socket.</summary>
        public uint RxCnt { get; set; }

        public uint FwdCnt { get; set; }

        /// <summary>The fwd_cnt last told to the guest.</summary>
        public uint FwdCntSent { get; set; }

        /// <summary>
        /// Bytes the guest can still take: its buffer minus what is in flight. A fwd_cnt claiming
        /// more than was sent makes the difference wrap past buf_alloc: no credit, not a huge one.
        /// </summary>
        public uint PeerCredit
        {
            get
            {
                uint inFlight = TxCnt - PeerFwdCnt;
                return inFlight > PeerBufAlloc ? 0 : PeerBufAlloc - inFlight;
            }
        }

        /// <summary>Free space in the outbox: the credit the guest may use.</summary>
        public int OutboxFree => BufferSize - _outCount;

        public bool OutboxEmpty => _outCount == 0;

        /// <summary>Starts the reader thread (once the connection is established).</summary>
        public void StartReading()
        {
            if (_reader != null)
            {
                return;
            }

            _reader = new Thread(ReadLoop) { IsBackground = true, Name = $"capvisor vsock {HostPort}->{GuestPort}" };
            _reader.Start();
        }

        /// <summary>Bytes waiting for the guest, and whether the host has finished or failed.</summary>
        public int InboxCount(out bool eof, out bool error)
        {
            lock (_sync)
            {
                eof = _inEof;
                error = _inError;
                return _inCount;
            }
        }

        /// <summary>Takes up to destination.Length bytes from the inbox.</summary>
        public int TakeInbox(Span<byte> destination)
        {
            lock (_sync)
            {
                int n = Math.Min(destination.Length, _inCount);
                int first = Math.Min(n, BufferSize - _inStart);
                _inbox.AsSpan(_inStart, first).CopyTo(destination);
                _inbox.AsSpan(0, n - first).CopyTo(destination[first..]);
                _inStart = (_inStart + n) % BufferSize;
                _inCount -= n;
                Monitor.PulseAll(_sync);
                return n;
            }
        }

        /// <summary>Appends guest data to the outbox; the caller has checked <see cref="OutboxFree"/>.</summary>
        public void AppendOutbox(ReadOnlySpan<byte> data)
        {
            int end = (_outStart + _outCount) % BufferSize;
            int first = Math.Min(data.Length, BufferSize - end);
            data[..first].CopyTo(_outbox.AsSpan(end));
            data[first..].CopyTo(_outbox);
            _outCount += data.Length;
        }

        /// <summary>
        /// Writes what the outbox holds to the host socket without blocking. Returns the bytes
        /// written; throws <see cref="SocketException"/> when the host side is gone.
        /// </summary>
        public int FlushOutbox()
        {
            int total = 0;
            while (_outCount > 0)
            {
                int n = Math.Min(_outCount, BufferSize - _outStart);
                int sent;
                try
                {
                    sent = Socket.Send(_outbox.AsSpan(_outStart, n));
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.WouldBlock)
                {
                    break;
                }

                _outStart = (_outStart + sent) % BufferSize;
                _outCount -= sent;
                total += sent;
                if (sent < n)
                {
                    break;
                }
            }

            return total;
        }

        private void ReadLoop()
        {
            var buffer = new byte[4096];
            try
            {
                while (!_closed)
                {
                    int free;
                    lock (_sync)
                    {
                        while (_inCount == BufferSize && !_closed)
                        {
                            Monitor.Wait(_sync, 100);
                        }

                        free = BufferSize - _inCount;
                    }

                    if (_closed)
                    {
                        return;
                    }

                    if (!Socket.Poll(100_000, SelectMode.SelectRead))
                    {
                        continue;
                    }

                    int n;
                    try
                    {
                        n = Socket.Receive(buffer, 0, Math.Min(free, buffer.Length), SocketFlags.None);
                    }
                    catch (SocketException e) when (e.SocketErrorCode == SocketError.WouldBlock)
                    {
                        continue;
                    }

                    lock (_sync)
                    {
                        if (n == 0)
                        {
                            _inEof = true;
                        }
                        else
                        {
                            int end = (_inStart + _inCount) % BufferSize;
                            int first = Math.Min(n, BufferSize - end);
                            buffer.AsSpan(0, first).CopyTo(_inbox.AsSpan(end));
                            buffer.AsSpan(first, n - first).CopyTo(_inbox);
                            _inCount += n;
                        }
                    }

                    _onInput();
                    if (n == 0)
                    {
                        return;
                    }
                }
            }
            catch (SocketException)
            {
                lock (_sync)
                {
                    _inError = true;
                }

                _onInput();
            }
            catch (ObjectDisposedException)
            {
            }
        }

        /// <summary>Closes the host socket; the reader thread ends.</summary>
        public void Dispose()
        {
            _closed = true;
            lock (_sync)
            {
                Monitor.PulseAll(_sync);
            }

            try
            {
                Socket.Shutdown(SocketShutdown.Both);
            }
            catch (SocketException)
            {
            }
            catch (ObjectDisposedException)
            {
            }

            Socket.Dispose();
        }
    }
}
