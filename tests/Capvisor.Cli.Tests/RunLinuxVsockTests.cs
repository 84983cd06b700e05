using System.Net.Sockets;
using System.Text;
using Capvisor.Board;
using Capvisor.Board.Virtio;

namespace Capvisor.Cli.Tests
{
    /// <summary>
    /// Debian's virtio vsock transport against the Unix-socket convention of Firecracker: a host
    /// program connects with <c>CONNECT 1234</c> to capvisor-vsock listening in the guest, then the
    /// guest connects to CID 2 port 5000, which reaches the host's socket PATH_5000. Without the
    /// guest assets it passes unless CAPVISOR_REQUIRE_GUEST_ASSETS=1.
    /// </summary>
    public sealed class RunLinuxVsockTests
    {
        [Fact]
        public void DebianTalksToHostUnixSocketsBothWays()
        {
            if (!GuestAssets.TryFind(out string kernel, out string initrd))
            {
                return;
            }

            string dir = Directory.CreateTempSubdirectory("capvisor-vsock-linux-").FullName;
            try
            {
                string path = Path.Combine(dir, "v.sock");
                using var vsock = new VirtioVsock(7, path);
                using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                listener.Bind(new UnixDomainSocketEndPoint(path + "_5000"));
                listener.Listen(1);
                string? hostToGuest = null, guestToHost = null;
                using var stop = new CancellationTokenSource();
                var hostInitiated = new Thread(() => hostToGuest = ConnectUntilAccepted(path, stop.Token)) { IsBackground = true };
                var guestInitiated = new Thread(() => guestToHost = AcceptAndAnswer(listener)) { IsBackground = true };
                hostInitiated.Start();
                guestInitiated.Start();

                var (exit, log) = InProcessLinux.Run(kernel, initrd,
                    [
                        "capvisor-vsock listen 1234",
                        "capvisor-vsock connect 2 5000 hello-from-guest",
                        "capvisor-vsock connect 2 5001 nobody-listens || echo refused=$?",
                        "poweroff -f",
                    ],
                    o => o with { ExtraVirtioDevices = [vsock] });

                stop.Cancel();
                listener.Dispose();
                hostInitiated.Join(TimeSpan.FromSeconds(30));
                guestInitiated.Join(TimeSpan.FromSeconds(30));
                Assert.True(exit.Reason == MachineExitReason.SystemOff, $"{exit.Message}\n{InProcessLinux.Tail(log)}");
                Assert.True(log.Contains("\nvsock-listening 1234"), InProcessLinux.Tail(log));
                Assert.True(log.Contains("\nvsock-got: hello-from-host"), InProcessLinux.Tail(log));
                Assert.Equal("echo: hello-from-host", hostToGuest);
                Assert.Equal("hello-from-guest", guestToHost);
                Assert.True(log.Contains("\nvsock-reply: host-says: hello-from-guest"), InProcessLinux.Tail(log));
                Assert.True(log.Contains("capvisor-vsock: connect: Connection reset by peer") && log.Contains("\nrefused=1"), InProcessLinux.Tail(log));
                Assert.DoesNotContain("Unable to handle kernel", log);
                Assert.Equal(0, vsock.ProtocolErrors);
            }
            finally
            {
                Directory.Delete(dir, true);
            }
        }

        /// <summary>
        /// Connects with CONNECT 1234 until the guest accepts (it refuses with a closed socket while
        /// nothing listens yet), sends a line and returns the guest's answer.
        /// </summary>
        private static string? ConnectUntilAccepted(string path, CancellationToken stop)
        {
            while (!stop.IsCancellationRequested)
            {
                using var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { ReceiveTimeout = 120_000 };
                try
                {
                    s.Connect(new UnixDomainSocketEndPoint(path));
                    s.Send("CONNECT 1234\n"u8);
                    string? ok = ReadLine(s);
                    if (ok == null)
                    {
                        Thread.Sleep(50);
                        continue;
                    }

                    if (!ok.StartsWith("OK ", StringComparison.Ordinal))
                    {
                        return $"unexpected '{ok}'";
                    }

                    s.Send("hello-from-host\n"u8);
                    return ReadLine(s);
                }
                catch (SocketException e)
                {
                    return $"socket error {e.SocketErrorCode}";
                }
            }

            return null;
        }

        private static string? AcceptAndAnswer(Socket listener)
        {
            try
            {
                using var s = listener.Accept();
                s.ReceiveTimeout = 120_000;
                string? line = ReadLine(s);
                s.Send(Encoding.ASCII.GetBytes($"host-says: {line}\n"));
                return line;
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return null;
            }
        }

        /// <summary>One line without its newline, or null at end of stream.</summary>
        private static string? ReadLine(Socket s)
        {
            var sb = new StringBuilder();
            var b = new byte[1];
            while (true)
            {
                if (s.Receive(b) != 1)
                {
                    return sb.Length == 0 ? null : sb.ToString();
                }

                if (b[0] == '\n')
                {
                    return sb.ToString();
                }

                sb.Append((char)b[0]);
            }
        }

    }
}
