using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Capvisor.Board.Virtio.Vsock
{
    /// <summary>
    /// The Unix socket host programs connect to (Firecracker's convention): each connection first
    /// sends <c>CONNECT &lt;port&gt;\n</c> naming the guest port. The line is read on a short-lived
    /// thread per connection (a bounded number at once, 10 s each);
    /// anything else closes the connection.
    /// </summary>
    internal sealed class VsockHostListener : IDisposable
    {
        private const int MaxLine = 32;

        private readonly Socket _listener;
        private readonly string _path;
        private readonly Action<Socket, uint> _onConnect;
        private readonly int _maxHandshakes;
        private int _handshakes;
        private volatile bool _closed;

        public VsockHostListener(string path, Action<Socket, uint> onConnect, int maxHandshakes)
        {
            if (File.Exists(path) || Directory.Exists(path))
            {
                throw new IOException($"'{path}' already exists");
            }

            _path = path;
            _onConnect = onConnect;
            _maxHandshakes = maxHandshakes;
            _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                _listener.Bind(new UnixDomainSocketEndPoint(path));
                _listener.Listen(16);
            }
            catch (SocketException e)
            {
                _listener.Dispose();
                throw new IOException($"cannot listen on the Unix socket '{path}': {e.Message}", e);
            }

            new Thread(AcceptLoop) { IsBackground = true, Name = "capvisor vsock listener" }.Start();
        }

        private void AcceptLoop()
        {
            try
            {
                while (!_closed)
                {
                    if (!_listener.Poll(100_000, SelectMode.SelectRead))
                    {
                        continue;
                    }

                    var socket = _listener.Accept();
                    if (Interlocked.Increment(ref _handshakes) > _maxHandshakes)
                    {
                        Interlocked.Decrement(ref _handshakes);
                        socket.Dispose();
                        continue;
                    }

                    new Thread(() => Handshake(socket)) { IsBackground = true, Name = "capvisor vsock handshake" }.Start();
                }
            }
            catch (SocketException)
            {
            }
            catch (ObjectDisposedException)
            {
            }
        }

        private void Handshake(Socket socket)
        {
            try
            {
                if (ReadConnect(socket) is uint port && !_closed)
                {
                    _onConnect(socket, port);
                    return;
                }

                socket.Dispose();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                socket.Dispose();
            }
            finally
            {
                Interlocked.Decrement(ref _handshakes);
            }
        }

        /// <summary>Reads "CONNECT &lt;port&gt;\n" a byte at a time, so no stream data after it is consumed.</summary>
        private static uint? ReadConnect(Socket socket)
        {
            socket.ReceiveTimeout = 10_000;
            Span<byte> line = stackalloc byte[MaxLine];
            int n = 0;
            while (true)
            {
                if (n == MaxLine || socket.Receive(line.Slice(n, 1)) != 1)
                {
                    return null;
                }

                if (line[n] == '\n')
                {
                    break;
                }

                n++;
            }

            string text = Encoding.ASCII.GetString(line[..n]);
            const string verb = "CONNECT ";
            if (!text.StartsWith(verb, StringComparison.Ordinal)
                || !uint.TryParse(text.AsSpan(verb.Length), NumberStyles.None, CultureInfo.InvariantCulture, out uint port))
            {
                return null;
            }

            return port;
        }

        public void Dispose()
        {
            _closed = true;
            _listener.Dispose();
            try
            {
                File.Delete(_path);
            }
            catch (IOException)
            {
            }
        }
    }
}
