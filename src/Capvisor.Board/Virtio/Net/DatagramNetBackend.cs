using System.Net;
using System.Net.Sockets;

namespace Capvisor.Board.Virtio.Net
{
    /// <summary>
    /// One Ethernet frame per datagram on an unprivileged socket: UDP, wire-compatible with QEMU's
    /// <c>-netdev dgram,local.type=inet,...,remote.type=inet,...</c> and the older
    /// <c>-netdev socket,udp=REMOTE,localaddr=LOCAL</c> (no length prefix, no header), or a Unix
    /// datagram socket (QEMU's <c>-netdev dgram,local.type=unix,...</c>). A UDP socket is
    /// connected to its peer, so the kernel discards datagrams from anyone else.
    /// </summary>
    public sealed class DatagramNetBackend : INetBackend
    {
        /// <summary>Largest frame: the largest UDP payload over IPv4.</summary>
        public const int MaxFrame = 65507;

        private readonly Socket _socket;
        private readonly EndPoint _remote;
        private readonly string? _unlinkOnDispose;
        private Thread? _reader;
        private volatile bool _disposed;

        private DatagramNetBackend(Socket socket, EndPoint remote, string? unlinkOnDispose)
        {
            _socket = socket;
            _remote = remote;
            _unlinkOnDispose = unlinkOnDispose;
        }

        /// <summary>The address the socket is bound to (the port is known after binding to port 0).</summary>
        public EndPoint LocalEndPoint => _socket.LocalEndPoint!;

        /// <summary>A UDP socket bound to <paramref name="local"/> exchanging frames with <paramref name="remote"/>.</summary>
        /// <exception cref="IOException">The address cannot be bound.</exception>
        public static DatagramNetBackend Udp(IPEndPoint local, IPEndPoint remote)
        {
            var socket = new Socket(local.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                socket.Bind(local);
                socket.Connect(remote);
                socket.Blocking = false;
            }
            catch (SocketException e)
            {
                socket.Dispose();
                throw new IOException($"cannot use UDP {local} -> {remote}: {e.Message}", e);
            }

            return new DatagramNetBackend(socket, remote, null);
        }

        /// <summary>
        /// A Unix datagram socket bound to <paramref name="localPath"/> (which must not exist; it is
        /// removed again on dispose) sending to <paramref name="remotePath"/>.
        /// </summary>
        /// <exception cref="IOException">The path exists or cannot be bound.</exception>
        public static DatagramNetBackend UnixDatagram(string localPath, string remotePath)
        {
            if (File.Exists(localPath) || Directory.Exists(localPath))
            {
                throw new IOException($"'{localPath}' already exists");
            }

            var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            try
            {
                socket.Bind(new UnixDomainSocketEndPoint(localPath));
                socket.Blocking = false;
            }
            catch (SocketException e)
            {
                socket.Dispose();
                throw new IOException($"cannot bind the Unix datagram socket '{localPath}': {e.Message}", e);
            }

            return new DatagramNetBackend(socket, new UnixDomainSocketEndPoint(remotePath), localPath);
        }

        /// <inheritdoc/>
        public void Start(FrameHandler onFrame)
        {
            if (_reader != null)
            {
                throw new InvalidOperationException("the backend is already started");
            }

            _reader = new Thread(() => ReadLoop(onFrame)) { IsBackground = true, Name = "capvisor net receive" };
            _reader.Start();
        }

        /// <inheritdoc/>
        public bool TrySend(ReadOnlySpan<byte> frame)
        {
            if (_disposed)
            {
                return false;
            }

            try
            {
                // The socket is non-blocking: a full socket buffer or an absent peer loses the
                // frame, as a wire would, instead of stalling the machine.
                int sent = _socket.Connected
                    ? _socket.Send(frame)
                    : _socket.SendTo(frame, SocketFlags.None, _remote);
                return sent == frame.Length;
            }
            catch (SocketException)
            {
                return false;
            }
            catch (ObjectDisposedException)
            {
                return false;
            }
        }

        private void ReadLoop(FrameHandler onFrame)
        {
            var buffer = new byte[MaxFrame + 1];
            while (!_disposed)
            {
                int n;
                try
                {
                    // The socket is non-blocking (so that sending never stalls the machine); wait
                    // here in slices so that Dispose is noticed.
                    if (!_socket.Poll(100_000, SelectMode.SelectRead))
                    {
                        continue;
                    }

                    n = _socket.Receive(buffer);
                }
                catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.ConnectionRefused or SocketError.ConnectionReset or SocketError.Interrupted)
                {
                    continue; // an ICMP "port unreachable" for an earlier send: the peer is not up yet
                }
                catch (SocketException)
                {
                    return;
                }
                catch (ObjectDisposedException)
                {
                    return;
                }

                if (n > 0 && n <= MaxFrame)
                {
                    onFrame(buffer.AsSpan(0, n));
                }
            }
        }

        /// <inheritdoc/>
        public void Dispose()
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            try
            {
                _socket.Shutdown(SocketShutdown.Both);
            }
            catch (SocketException)
            {
            }

            _socket.Dispose();
            if (_unlinkOnDispose != null)
            {
                File.Delete(_unlinkOnDispose);
            }
        }
    }
}
