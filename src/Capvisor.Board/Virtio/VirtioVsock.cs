using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using Capvisor.Board.Virtio.Vsock;

namespace Capvisor.Board.Virtio
{
    /// <summary>
    /// virtio-vsock (virtio 1.2 §5.10), stream sockets only, connected to host Unix sockets the
    /// way Firecracker does it. Host to guest: a program connects to <c>UDS_PATH</c>, writes
    /// <c>CONNECT &lt;port&gt;\n</c>, and reads <c>OK &lt;host port&gt;\n</c> once the guest accepts (the
    /// socket is closed if the guest refuses). Guest to host: a connection to CID 2 port P is
    /// connected to the Unix socket <c>UDS_PATH_P</c>. Flow control is the protocol's credit
    /// scheme: each direction buffers at most <see cref="VsockConnection.BufferSize"/> bytes.
    /// A malformed packet (shorter than its header, or a length its buffer does not hold) puts the
    /// device into DEVICE_NEEDS_RESET; a well-formed packet that breaks the protocol (wrong CID,
    /// type or operation, unknown connection, data beyond the credit given) is answered with RST.
    /// </summary>
    public sealed class VirtioVsock : IVirtioDevice, IVirtioHostInput, IDisposable
    {
        /// <summary>The host's CID (VMADDR_CID_HOST).</summary>
        public const ulong HostCid = 2;

        /// <summary>Queues: 0 receive (device to guest), 1 transmit, 2 events.</summary>
        public const int RxQueue = 0, TxQueue = 1, EventQueue = 2;

        /// <summary>Largest payload in one packet (VIRTIO_VSOCK_MAX_PKT_BUF_SIZE).</summary>
        public const int MaxPayload = 64 * 1024;

        /// <summary>Most connections at once.</summary>
        public const int MaxConnections = 64;

        /// <summary>Control packets (RESPONSE, RST, …) waiting for receive buffers before transmit stalls.</summary>
        public const int ControlLimit = 256;

        private const uint FirstHostPort = 1u << 30;

        private readonly ulong _guestCid;
        private readonly string _udsPath;
        private readonly VsockHostListener? _listener;
        private readonly Dictionary<(uint Guest, uint Host), VsockConnection> _connections = [];
        private readonly List<VsockConnection> _order = [];
        private readonly Queue<(VsockConnection? Connection, VsockHeader Header)> _control = new();
        private readonly ConcurrentQueue<(Socket Socket, uint Port)> _hostConnects = new();
        private readonly byte[] _payload = new byte[MaxPayload];
        private readonly byte[] _header = new byte[VsockHeader.Size];
        private uint _nextHostPort = FirstHostPort;
        private int _cursor;
        private volatile bool _dataReady, _transmitted;
        private bool _txStalled;

        /// <summary>
        /// A device giving the guest CID <paramref name="guestCid"/>, listening on the Unix socket
        /// <paramref name="udsPath"/> (which must not exist; removed on dispose).
        /// </summary>
        /// <exception cref="ArgumentException">The CID is reserved (0, 1, 2, or 2^32-1 and above).</exception>
        /// <exception cref="IOException">The socket path exists or cannot be bound.</exception>
        public VirtioVsock(ulong guestCid, string udsPath)
        {
            if (guestCid < 3 || guestCid >= 0xFFFF_FFFF)
            {
                throw new ArgumentException($"the guest CID must be 3..4294967294, not {guestCid}");
            }

            _guestCid = guestCid;
            _udsPath = udsPath;
            _listener = new VsockHostListener(udsPath, OnHostConnect, MaxConnections);
        }

        /// <summary>The guest's CID.</summary>
        public ulong GuestCid => _guestCid;

        /// <summary>Open connections.</summary>
        public int ConnectionCount => _connections.Count;

        /// <summary>RSTs sent to the guest because one of its packets broke the protocol.</summary>
        public long ProtocolErrors { get; private set; }

        /// <inheritdoc/>
        public uint DeviceId => 19;

        /// <inheritdoc/>
        public ulong Features => 0; // no feature bit: stream sockets only

        /// <inheritdoc/>
        public int QueueCount => 3;

        /// <inheritdoc/>
        public int QueueMaxSize => 128;

        /// <inheritdoc/>
        public bool HasInput => _control.Count > 0 || !_hostConnects.IsEmpty || _dataReady || _txStalled || HasOutbox();

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
        public byte ReadConfig(int offset) => offset is >= 0 and < 8 ? (byte)(_guestCid >> (8 * offset)) : (byte)0;

        /// <inheritdoc/>
        public void WriteConfig(int offset, byte value)
        {
            // guest_cid is read-only.
        }

        /// <inheritdoc/>
        public void Reset()
        {
            foreach (var c in _order)
            {
                c.Dispose();
            }

            _connections.Clear();
            _order.Clear();
            _control.Clear();
            _txStalled = false;
        }

        /// <inheritdoc/>
        public void DeliverInput(VirtioMmioTransport transport)
        {
            if ((transport.Status & VirtioMmioTransport.StatusDriverOk) == 0
                || (transport.Status & VirtioMmioTransport.StatusNeedsReset) != 0)
            {
                return; // host connections wait until there is a live driver
            }

            AcceptHostConnects();
            FlushOutboxes();
            _dataReady = false;
            transport.Kick(RxQueue);
            if (_txStalled && _control.Count < ControlLimit)
            {
                _txStalled = false;
                transport.Kick(TxQueue);
                transport.Kick(RxQueue);
            }
        }

        /// <inheritdoc/>
        public bool Handle(int queue, VirtioRequest request, out uint written)
        {
            written = 0;
            switch (queue)
            {
                case RxQueue:
                    return Receive(request, out written);
                case TxQueue:
                    return Transmit(request);
                default:
                    return false; // event buffers: kept (no transport reset event is ever sent)
            }
        }

        private bool Transmit(VirtioRequest request)
        {
            if (_control.Count >= ControlLimit)
            {
                _txStalled = true; // the guest is not taking replies: stop taking requests
                return false;
            }

            if (request.ReadableLength < VsockHeader.Size)
            {
                throw new VirtioException($"vsock packet of {request.ReadableLength} bytes is shorter than its {VsockHeader.Size}-byte header");
            }

            request.Read(0, _header);
            var h = VsockHeader.Read(_header);
            long room = request.ReadableLength - VsockHeader.Size;
            if (h.Len > room || h.Len > MaxPayload)
            {
                throw new VirtioException($"vsock packet says {h.Len} payload bytes; its buffers hold {room} (at most {MaxPayload})");
            }

            _transmitted = true;
            Process(h, request);
            return true;
        }

        private void Process(in VsockHeader h, VirtioRequest request)
        {
            if (h.Op == VsockOp.Rst)
            {
                if (h.SrcCid == _guestCid && h.DstCid == HostCid && Find(h) is { } gone)
                {
                    Close(gone);
                }

                return; // never answer an RST
            }

            if (h.SrcCid != _guestCid || h.DstCid != HostCid || h.Type != VsockHeader.TypeStream)
            {
                Refuse(h);
                return;
            }

            var c = Find(h);
            if (h.Op == VsockOp.Request)
            {
                if (c != null)
                {
                    Close(c);
                    Refuse(h);
                    return;
                }

                ConnectToHost(h);
                return;
            }

            if (c == null)
            {
                Refuse(h);
                return;
            }

            c.PeerBufAlloc = h.BufAlloc;
            c.PeerFwdCnt = h.FwdCnt;
            _dataReady = true; // the guest's credit may have grown
            switch (h.Op)
            {
                case VsockOp.Response when !c.Established:
                    c.Established = true;
                    if (!TrySendAll(c.Socket, Encoding.ASCII.GetBytes($"OK {c.HostPort}\n")))
                    {
                        Reset(c);
                        return;
                    }

                    c.StartReading();
                    break;
                case VsockOp.Rw when c.Established && (c.PeerShutdown & VsockHeader.ShutdownSend) == 0:
                    if (h.Len > c.OutboxFree)
                    {
                        Reset(c); // more than the credit it was given
                        return;
                    }

                    var data = _payload.AsSpan(0, (int)h.Len);
                    request.Read(VsockHeader.Size, data);
                    c.AppendOutbox(data);
                    c.RxCnt += h.Len;
                    break;
                case VsockOp.CreditUpdate:
                    break;
                case VsockOp.CreditRequest:
                    QueueCreditUpdate(c);
                    break;
                case VsockOp.Shutdown:
                    c.PeerShutdown |= h.Flags & (VsockHeader.ShutdownReceive | VsockHeader.ShutdownSend);
                    if (c.PeerShutdown == (VsockHeader.ShutdownReceive | VsockHeader.ShutdownSend))
                    {
                        // Both ways closed: the peer expects an RST to finish (§5.10.6.6).
                        TryFlush(c);
                        QueueControl(c, VsockOp.Rst, 0);
                        Close(c);
                    }

                    break;
                default:
                    Reset(c); // INVALID, an unknown op, RESPONSE twice, data before RESPONSE or after SHUTDOWN
                    return;
            }
        }

        private bool Receive(VirtioRequest request, out uint written)
        {
            written = 0;
            if (request.ReadableLength != 0 || request.WritableLength < VsockHeader.Size)
            {
                throw new VirtioException($"vsock receive buffer must be device-writable and at least {VsockHeader.Size} bytes");
            }

            if (_control.TryDequeue(out var control))
            {
                var h = control.Header;
                if (control.Connection is { } cc)
                {
                    Stamp(cc, ref h);
                    if (h.Op == VsockOp.CreditUpdate)
                    {
                        cc.CreditUpdateQueued = false;
                    }
                }

                h.Write(_header);
                request.Write(0, _header);
                written = VsockHeader.Size;
                return true;
            }

            int room = (int)Math.Min(request.WritableLength - VsockHeader.Size, MaxPayload);
            for (int k = 0; k < _order.Count; k++)
            {
                var c = _order[(_cursor + k) % _order.Count];
                if (!c.Established || (c.PeerShutdown & VsockHeader.ShutdownReceive) != 0)
                {
                    continue;
                }

                int available = c.InboxCount(out bool eof, out bool error);
                if (error)
                {
                    Reset(c, hostFailed: true);
                    return Receive(request, out written);
                }

                var h = Header(c, VsockOp.Rw, 0);
                if (available > 0 && c.PeerCredit > 0 && room > 0)
                {
                    int n = (int)Math.Min(Math.Min(available, c.PeerCredit), (uint)room);
                    n = c.TakeInbox(_payload.AsSpan(0, n));
                    h.Len = (uint)n;
                    c.TxCnt += (uint)n;
                    request.Write(VsockHeader.Size, _payload.AsSpan(0, n));
                }
                else if (available == 0 && eof && !c.ShutdownSent)
                {
                    h.Op = VsockOp.Shutdown;
                    h.Flags = VsockHeader.ShutdownSend;
                    c.ShutdownSent = true;
                }
                else
                {
                    continue;
                }

                _cursor = (_cursor + k + 1) % Math.Max(1, _order.Count);
                Stamp(c, ref h);
                h.Write(_header);
                request.Write(0, _header);
                written = VsockHeader.Size + h.Len;
                return true;
            }

            return false;
        }

        private void ConnectToHost(in VsockHeader h)
        {
            if (_connections.Count >= MaxConnections)
            {
                Refuse(h, protocolError: false);
                return;
            }

            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                // Unix sockets connect at once or fail (EAGAIN when the backlog is full): never blocks.
                socket.Blocking = false;
                socket.Connect(new UnixDomainSocketEndPoint($"{_udsPath}_{h.DstPort}"));
            }
            catch (SocketException)
            {
                socket.Dispose();
                Refuse(h, protocolError: false); // nobody listens on PATH_port: connection refused
                return;
            }

            var c = new VsockConnection(socket, h.SrcPort, h.DstPort, established: true, OnConnectionInput)
            {
                PeerBufAlloc = h.BufAlloc,
                PeerFwdCnt = h.FwdCnt,
            };
            Add(c);
            QueueControl(c, VsockOp.Response, 0);
            c.StartReading();
        }

        private void AcceptHostConnects()
        {
            while (_hostConnects.TryDequeue(out var pending))
            {
                if (_connections.Count >= MaxConnections || _control.Count >= ControlLimit)
                {
                    pending.Socket.Dispose();
                    continue;
                }

                uint hostPort = _nextHostPort;
                while (_connections.ContainsKey((pending.Port, hostPort)))
                {
                    hostPort = hostPort == uint.MaxValue ? FirstHostPort : hostPort + 1;
                }

                _nextHostPort = hostPort == uint.MaxValue ? FirstHostPort : hostPort + 1;
                var c = new VsockConnection(pending.Socket, pending.Port, hostPort, established: false, OnConnectionInput);
                Add(c);
                QueueControl(c, VsockOp.Request, 0);
            }
        }

        private void FlushOutboxes()
        {
            for (int i = _order.Count - 1; i >= 0; i--)
            {
                if (i < _order.Count)
                {
                    TryFlush(_order[i]);
                }
            }
        }

        /// <summary>Forwards buffered guest data; tells the guest its credit once a quarter of the buffer is free again.</summary>
        private void TryFlush(VsockConnection c)
        {
            try
            {
                c.FwdCnt += (uint)c.FlushOutbox();
                if (c.OutboxEmpty && (c.PeerShutdown & VsockHeader.ShutdownSend) != 0 && !c.HostWriteShut)
                {
                    c.HostWriteShut = true;
                    c.Socket.Shutdown(SocketShutdown.Send);
                }
            }
            catch (SocketException)
            {
                Reset(c, hostFailed: true);
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }

            if (c.FwdCnt - c.FwdCntSent >= VsockConnection.BufferSize / 4)
            {
                QueueCreditUpdate(c);
            }
        }

        private bool HasOutbox()
        {
            foreach (var c in _order)
            {
                if (!c.OutboxEmpty)
                {
                    return true;
                }
            }

            return false;
        }

        private void QueueCreditUpdate(VsockConnection c)
        {
            if (!c.CreditUpdateQueued)
            {
                c.CreditUpdateQueued = true;
                QueueControl(c, VsockOp.CreditUpdate, 0);
            }
        }

        private VsockConnection? Find(in VsockHeader h) => _connections.GetValueOrDefault((h.SrcPort, h.DstPort));

        private void Add(VsockConnection c)
        {
            _connections.Add((c.GuestPort, c.HostPort), c);
            _order.Add(c);
        }

        private void Close(VsockConnection c)
        {
            if (_connections.Remove((c.GuestPort, c.HostPort)))
            {
                _order.Remove(c);
                c.Dispose();
            }
        }

        /// <summary>Tears a connection down with an RST to the guest.</summary>
        private void Reset(VsockConnection c, bool hostFailed = false)
        {
            if (!hostFailed)
            {
                ProtocolErrors++;
            }

            QueueControl(c, VsockOp.Rst, 0);
            Close(c);
        }

        /// <summary>Answers a packet that belongs to no connection, or breaks the rules, with an RST.</summary>
        private void Refuse(in VsockHeader h, bool protocolError = true)
        {
            if (protocolError)
            {
                ProtocolErrors++;
            }

            _control.Enqueue((null, new VsockHeader
            {
                SrcCid = h.DstCid,
                DstCid = _guestCid,
                SrcPort = h.DstPort,
                DstPort = h.SrcPort,
                Type = VsockHeader.TypeStream,
                Op = VsockOp.Rst,
            }));
        }

        private void QueueControl(VsockConnection c, VsockOp op, uint flags) => _control.Enqueue((c, Header(c, op, flags)));

        private VsockHeader Header(VsockConnection c, VsockOp op, uint flags) => new()
        {
            SrcCid = HostCid,
            DstCid = _guestCid,
            SrcPort = c.HostPort,
            DstPort = c.GuestPort,
            Type = VsockHeader.TypeStream,
            Op = op,
            Flags = flags,
        };

        /// <summary>Every packet tells the guest our current buffer space.</summary>
        private static void Stamp(VsockConnection c, ref VsockHeader h)
        {
            h.BufAlloc = VsockConnection.BufferSize;
            h.FwdCnt = c.FwdCnt;
            c.FwdCntSent = c.FwdCnt;
        }

        private static bool TrySendAll(Socket socket, byte[] bytes)
        {
            try
            {
                return socket.Send(bytes) == bytes.Length;
            }
            catch (SocketException)
            {
                return false;
            }
        }

        private void OnHostConnect(Socket socket, uint port)
        {
            _hostConnects.Enqueue((socket, port));
            InputArrived?.Invoke();
        }

        private void OnConnectionInput()
        {
            _dataReady = true;
            InputArrived?.Invoke();
        }

        /// <summary>Stops listening and closes every connection.</summary>
        public void Dispose()
        {
            _listener?.Dispose();
            Reset();
            while (_hostConnects.TryDequeue(out var pending))
            {
                pending.Socket.Dispose();
            }
        }
    }
}
