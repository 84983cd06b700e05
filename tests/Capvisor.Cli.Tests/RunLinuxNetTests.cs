using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Capvisor.Board;
using Capvisor.Board.Virtio;
using Capvisor.Board.Virtio.Net;
using Capvisor.Cli.Commands;

namespace Capvisor.Cli.Tests
{
    /// <summary>
    /// Debian's virtio_net driver on the UDP backend: the guest configures eth0 and pings 10.0.2.2,
    /// which a small ARP + ICMP echo responder in this test answers on the other end of the UDP
    /// socket pair. Without the guest assets it passes unless CAPVISOR_REQUIRE_GUEST_ASSETS=1.
    /// </summary>
    public sealed class RunLinuxNetTests
    {
        private static readonly byte[] HostMac = [0x52, 0x55, 0x0A, 0x00, 0x02, 0x02];
        private static readonly byte[] HostIp = [10, 0, 2, 2];

        /// <summary>Answers ARP requests and ICMP echo requests for 10.0.2.2, as QEMU's slirp gateway would.</summary>
        private sealed class Responder : IDisposable
        {
            private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            private readonly Thread _thread;
            private volatile bool _stop;

            public Responder()
            {
                _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                _thread = new Thread(Loop) { IsBackground = true };
            }

            public IPEndPoint EndPoint => (IPEndPoint)_socket.LocalEndPoint!;

            public int ArpReplies;
            public int EchoReplies;
            public int OtherFrames;

            public void Start(EndPoint guest)
            {
                _socket.Connect(guest);
                _thread.Start();
            }

            private void Loop()
            {
                var f = new byte[2048];
                while (!_stop)
                {
                    int n;
                    try
                    {
                        if (!_socket.Poll(100_000, SelectMode.SelectRead))
                        {
                            continue;
                        }

                        n = _socket.Receive(f);
                    }
                    catch (SocketException)
                    {
                        continue;
                    }
                    catch (ObjectDisposedException)
                    {
                        return;
                    }

                    var frame = f.AsSpan(0, n);
                    ushort type = n >= 14 ? BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) : (ushort)0;
                    if (type == 0x0806 && n >= 42 && BinaryPrimitives.ReadUInt16BigEndian(frame[20..]) == 1 && frame[38..42].SequenceEqual(HostIp))
                    {
                        var reply = new byte[42];
                        frame[6..12].CopyTo(reply);                       // to the asker
                        HostMac.CopyTo(reply, 6);
                        frame[12..20].CopyTo(reply.AsSpan(12));           // ARP, Ethernet/IPv4
                        reply[21] = 2;                                    // reply
                        HostMac.CopyTo(reply, 22);
                        HostIp.CopyTo(reply, 28);
                        frame[22..32].CopyTo(reply.AsSpan(32));           // the asker's MAC and IP
                        _socket.Send(reply);
                        Interlocked.Increment(ref ArpReplies);
                    }
                    else if (type == 0x0800 && n >= 42 && frame[23] == 1 && frame[34] == 8 && frame[30..34].SequenceEqual(HostIp))
                    {
                        var reply = frame.ToArray();
                        frame[6..12].CopyTo(reply);
                        HostMac.CopyTo(reply, 6);
                        frame[30..34].CopyTo(reply.AsSpan(26));           // swap the addresses
                        frame[26..30].CopyTo(reply.AsSpan(30));
                        int ihl = (frame[14] & 0xF) * 4;
                        reply[14 + ihl] = 0;                              // echo reply
                        BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(24), 0);
                        BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(24), Checksum(reply.AsSpan(14, ihl)));
                        BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(14 + ihl + 2), 0);
                        int ipLength = BinaryPrimitives.ReadUInt16BigEndian(frame[16..]);
                        BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(14 + ihl + 2), Checksum(reply.AsSpan(14 + ihl, ipLength - ihl)));
                        _socket.Send(reply);
                        Interlocked.Increment(ref EchoReplies);
                    }
                    else
                    {
                        Interlocked.Increment(ref OtherFrames); // IPv6 neighbour discovery and the like
                    }
                }
            }

            private static ushort Checksum(ReadOnlySpan<byte> data)
            {
                uint sum = 0;
                for (int i = 0; i + 1 < data.Length; i += 2)
                {
                    sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
                }

                if ((data.Length & 1) != 0)
                {
                    sum += (uint)data[^1] << 8;
                }

                while (sum > 0xFFFF)
                {
                    sum = (sum & 0xFFFF) + (sum >> 16);
                }

                return (ushort)~sum;
            }

            public void Dispose()
            {
                _stop = true;
                _socket.Dispose();
            }
        }

        [Fact]
        public void DebianPingsTheHostOverUdp()
        {
            if (!GuestAssets.TryFind(out string kernel, out string initrd))
            {
                return;
            }

            using var responder = new Responder();
            var backend = DatagramNetBackend.Udp(new IPEndPoint(IPAddress.Loopback, 0), responder.EndPoint);
            responder.Start(backend.LocalEndPoint);
            using var net = new VirtioNet(backend);
            var (exit, log) = InProcessLinux.Run(kernel, initrd,
                [
                    "echo mac=$(cat /sys/class/net/eth0/address)",
                    "ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up",
                    "ping -c 2 -W 10 10.0.2.2",
                    "echo carrier=$(cat /sys/class/net/eth0/carrier)",
                    "poweroff -f",
                ],
                o => o with { ExtraVirtioDevices = [net] });
            Assert.True(exit.Reason == MachineExitReason.SystemOff, $"{exit.Message}\n{InProcessLinux.Tail(log)}");
            Assert.True(log.Contains("\nmac=52:54:00:12:34:56"), InProcessLinux.Tail(log));
            Assert.True(log.Contains("2 packets transmitted, 2 packets received, 0% packet loss"), InProcessLinux.Tail(log));
            Assert.True(log.Contains("\ncarrier=1"), InProcessLinux.Tail(log));
            Assert.DoesNotContain("Unable to handle kernel", log);
            Assert.Equal(2, responder.EchoReplies);
            Assert.True(responder.ArpReplies >= 1);
            Assert.True(net.RxFrames >= 3, $"{net.RxFrames} frames received");
            Assert.Equal(0, net.RxDropped);
        }

        /// <summary>
        /// The wire format against QEMU 7.2 itself: a QEMU whose only job is networking (its CPU
        /// sits in WFI) joins a <c>-netdev dgram</c> socket and its user-mode network (slirp) on one
        /// hub. Debian on Capvisor pings slirp's gateway and fetches a line over TCP from a server
        /// on the host's loopback through slirp's 10.0.2.2, many frames each way.
        /// </summary>
        [Fact]
        public void DebianReachesQemuUserNetworkingThroughTheDgramBackend()
        {
            if (!GuestAssets.TryFind(out string kernel, out string initrd))
            {
                return;
            }

            string dir = Directory.CreateTempSubdirectory("capvisor-net-qemu-").FullName;
            using var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            server.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            server.Listen(1);
            int serverPort = ((IPEndPoint)server.LocalEndPoint!).Port;
            string? heard = null;
            var serve = new Thread(() =>
            {
                try
                {
                    using var c = server.Accept();
                    c.ReceiveTimeout = 120_000;
                    var buffer = new byte[256];
                    int n = c.Receive(buffer);
                    heard = Encoding.ASCII.GetString(buffer, 0, n).Trim();
                    c.Send(Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("tcp-through-slirp ", 200)) + "end\n"));
                    c.Shutdown(SocketShutdown.Send);
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                }
            }) { IsBackground = true };
            serve.Start();

            int qemuPort;
            using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
            {
                probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                qemuPort = ((IPEndPoint)probe.LocalEndPoint!).Port;
            }

            var backend = DatagramNetBackend.Udp(new IPEndPoint(IPAddress.Loopback, 0), new IPEndPoint(IPAddress.Loopback, qemuPort));
            using var net = new VirtioNet(backend);
            int myPort = ((IPEndPoint)backend.LocalEndPoint).Port;
            string wfi = Path.Combine(dir, "wfi.bin");
            File.WriteAllBytes(wfi, [0x7F, 0x20, 0x03, 0xD5, 0xFF, 0xFF, 0xFF, 0x17]); // wfi; b .-4
            var qemu = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("qemu-system-aarch64",
            [
                "-M", "virt", "-cpu", "cortex-a57", "-nodefaults", "-display", "none", "-kernel", wfi,
                "-netdev", $"dgram,id=d0,local.type=inet,local.host=127.0.0.1,local.port={qemuPort},remote.type=inet,remote.host=127.0.0.1,remote.port={myPort}",
                "-netdev", "user,id=u0,restrict=off",
                "-netdev", "hubport,id=p0,hubid=0,netdev=d0",
                "-netdev", "hubport,id=p1,hubid=0,netdev=u0",
            ]) { RedirectStandardInput = true })!;
            try
            {
                var (exit, log) = InProcessLinux.Run(kernel, initrd,
                    [
                        "ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up",
                        "ping -c 1 -W 10 10.0.2.2",
                        $"echo hello-over-tcp | nc 10.0.2.2 {serverPort} > /tmp/got",
                        "echo words=$(wc -w < /tmp/got) last=$(tail -c 4 /tmp/got)",
                        "poweroff -f",
                    ],
                    o => o with { Timeout = TimeSpan.FromMinutes(3), ExtraVirtioDevices = [net] });
                Assert.False(qemu.HasExited, "QEMU stopped early");
                Assert.True(exit.Reason == MachineExitReason.SystemOff, $"{exit.Message}\n{InProcessLinux.Tail(log)}");
                Assert.True(log.Contains("1 packets transmitted, 1 packets received, 0% packet loss"), InProcessLinux.Tail(log));
                Assert.True(log.Contains("\nwords=201 last=end"), InProcessLinux.Tail(log));
                Assert.Equal("hello-over-tcp", heard);
            }
            finally
            {
                qemu.Kill();
                qemu.WaitForExit();
                qemu.Dispose();
                server.Dispose();
                Directory.Delete(dir, true);
            }
        }

        [Theory]
        [InlineData("udp:5555:127.0.0.1:5556", "127.0.0.1:5555", "127.0.0.1:5556", null)]
        [InlineData("udp:0:10.1.2.3:9,mac=02:00:00:00:00:01", "0.0.0.0:0", "10.1.2.3:9", "020000000001")]
        public void NetOptionParsesUdp(string value, string local, string remote, string? mac)
        {
            var o = RunOptions.Parse(["--net", value]).Nets.Single();
            Assert.Equal(local, o.Local!.ToString());
            Assert.Equal(remote, o.Remote!.ToString());
            Assert.Equal(mac, o.Mac == null ? null : Convert.ToHexString(o.Mac));
        }

        [Fact]
        public void NetOptionParsesUnixAndVsock()
        {
            var o = RunOptions.Parse(["--net", "unix:/tmp/a:/tmp/b", "--vsock", "3:/tmp/v.sock"]);
            Assert.Equal(("/tmp/a", "/tmp/b"), (o.Nets[0].LocalPath, o.Nets[0].RemotePath));
            Assert.Equal(new VsockOption(3, "/tmp/v.sock"), o.Vsock);
        }

        [Theory]
        [InlineData("--net", "udp:1:2")]
        [InlineData("--net", "udp:x:127.0.0.1:1")]
        [InlineData("--net", "udp:1:127.0.0.1:70000")]
        [InlineData("--net", "tap:tap0")]
        [InlineData("--net", "udp:1:127.0.0.1:2,mac=01:00:00:00:00:00")]
        [InlineData("--net", "udp:1:127.0.0.1:2,mac=zz:00:00:00:00:00")]
        [InlineData("--vsock", "2:/tmp/x")]
        [InlineData("--vsock", "3:")]
        [InlineData("--vsock", "/tmp/x")]
        public void BadNetAndVsockOptionsAreUsageErrors(string option, string value) =>
            Assert.Throws<UsageException>(() => RunOptions.Parse([option, value]));

        [Fact]
        public void ABusyPortIsAnArgumentError()
        {
            using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            int port = ((IPEndPoint)taken.LocalEndPoint!).Port;
            var messages = new StringWriter();
            var options = RunOptions.Parse(["-k", "/dev/null", "--net", $"udp:{port}:127.0.0.1:9"]);
            Assert.Equal(2, GuestRunner.Run(options, Stream.Null, null, messages));
            Assert.Contains("cannot use UDP", messages.ToString());
        }

    }
}
