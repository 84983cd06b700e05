using System.Net.Sockets;
using System.Text;
using Capvisor.Board.Virtio;
using Capvisor.Board.Virtio.Vsock;

namespace Capvisor.Board.Tests.Virtio
{
    /// <summary>
    /// virtio-vsock against real host Unix sockets, with the fake driver playing Linux's
    /// virtio_transport: receive buffers of a 44-byte header descriptor and a 4 KiB data
    /// descriptor, packets sent as header + payload.
    /// </summary>
    public sealed class VirtioVsockTests : IDisposable
    {
        private const ulong GuestCid = 3;
        private const ulong Tx = FakeDriver.DataBase + 0x4_0000;
        private const int RxBuffers = 8;

        private readonly string _dir = Directory.CreateTempSubdirectory("capvisor-vsock-").FullName;
        private readonly Dictionary<uint, ulong> _rxAddr = [];

        private string UdsPath => Path.Combine(_dir, "v.sock");

        public void Dispose() => Directory.Delete(_dir, true);

        private sealed record Packet(VsockHeader Header, byte[] Payload)
        {
            public string Text => Encoding.ASCII.GetString(Payload);
        }

        private FakeDriver Start(bool postRx = true)
        {
            var d = new FakeDriver(m => new VirtioVsock(GuestCid, UdsPath));
            d.Initialise();
            if (postRx)
            {
                for (int i = 0; i < RxBuffers; i++)
                {
                    PostRx(d, FakeDriver.DataBase + 0x1100 * (ulong)i);
                }
            }

            return d;
        }

        private void PostRx(FakeDriver d, ulong addr)
        {
            ushort head = d.Submit(VirtioVsock.RxQueue, (addr, VsockHeader.Size, true), (addr + VsockHeader.Size, 4096, true));
            _rxAddr[head] = addr;
        }

        private static VirtioVsock Vsock(FakeDriver d) => (VirtioVsock)d.Device;

        private static VsockHeader Header(VsockOp op, uint srcPort, uint dstPort, uint len = 0, uint flags = 0) => new()
        {
            SrcCid = GuestCid,
            DstCid = VirtioVsock.HostCid,
            SrcPort = srcPort,
            DstPort = dstPort,
            Len = len,
            Type = VsockHeader.TypeStream,
            Op = op,
            Flags = flags,
            BufAlloc = 256 * 1024,
        };

        private static void Send(FakeDriver d, VsockHeader h, byte[]? payload = null)
        {
            payload ??= [];
            h.Write(d.Ram.GetSpan(Tx, VsockHeader.Size));
            payload.CopyTo(d.Ram.GetSpan(Tx + VsockHeader.Size, payload.Length));
            if (payload.Length == 0)
            {
                d.Submit(VirtioVsock.TxQueue, (Tx, VsockHeader.Size, false));
            }
            else
            {
                d.Submit(VirtioVsock.TxQueue, (Tx, VsockHeader.Size, false), (Tx + VsockHeader.Size, (uint)payload.Length, false));
            }

            d.Notify(VirtioVsock.TxQueue);
        }

        /// <summary>Everything the device has put in the receive queue (buffers are posted again).</summary>
        private List<Packet> Receive(FakeDriver d)
        {
            Vsock(d).DeliverInput(d.Transport);
            var packets = new List<Packet>();
            while (d.TakeUsed(VirtioVsock.RxQueue) is { } used)
            {
                ulong addr = _rxAddr[used.Id];
                var h = VsockHeader.Read(d.Ram.GetSpan(addr, VsockHeader.Size));
                Assert.Equal(VsockHeader.Size + h.Len, used.Len);
                packets.Add(new Packet(h, d.Ram.GetSpan(addr + VsockHeader.Size, (int)h.Len).ToArray()));
                PostRx(d, addr);
            }

            return packets;
        }

        /// <summary>Waits (bounded) until the host side has produced something, then takes it.</summary>
        private List<Packet> ReceiveWhenReady(FakeDriver d)
        {
            Assert.True(SpinWait.SpinUntil(() => Vsock(d).HasInput, TimeSpan.FromSeconds(20)), "nothing came from the host");
            var packets = Receive(d);
            for (int i = 0; i < 200 && packets.Count == 0; i++)
            {
                Thread.Sleep(10); // the reader thread signalled before the bytes were all in
                packets = Receive(d);
            }

            return packets;
        }

        private static Socket ConnectHost(string path)
        {
            var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { ReceiveTimeout = 20_000 };
            s.Connect(new UnixDomainSocketEndPoint(path));
            return s;
        }

        private static string ReadLine(Socket s)
        {
            var sb = new StringBuilder();
            var b = new byte[1];
            while (s.Receive(b) == 1 && b[0] != '\n')
            {
                sb.Append((char)b[0]);
            }

            return sb.ToString();
        }

        private static string ReadExactly(Socket s, int n)
        {
            var buffer = new byte[n];
            int got = 0;
            while (got < n)
            {
                int k = s.Receive(buffer, got, n - got, SocketFlags.None);
                Assert.True(k > 0, "the host socket closed early");
                got += k;
            }

            return Encoding.ASCII.GetString(buffer);
        }

        [Fact]
        public void ConfigurationHoldsTheGuestCid()
        {
            using var d = Start(postRx: false);
            Assert.Equal(19u, d.R(0x008));
            Assert.True(d.Transport.Read(0x100, 8, out ulong cid));
            Assert.Equal(GuestCid, cid);
            Assert.Throws<ArgumentException>(() => new VirtioVsock(2, Path.Combine(_dir, "x")));
            Assert.Throws<IOException>(() => new VirtioVsock(4, UdsPath)); // the socket already exists
        }

        [Fact]
        public void HostConnectsWithConnectAndExchangesData()
        {
            using var d = Start();
            using var host = ConnectHost(UdsPath);
            host.Send("CONNECT 1234\n"u8);
            var request = Assert.Single(ReceiveWhenReady(d)).Header;
            Assert.Equal(VsockOp.Request, request.Op);
            Assert.Equal(VirtioVsock.HostCid, request.SrcCid);
            Assert.Equal(GuestCid, request.DstCid);
            Assert.Equal(1234u, request.DstPort);
            Assert.True(request.SrcPort >= 1u << 30);
            Assert.Equal(65536u, request.BufAlloc);
            uint hostPort = request.SrcPort;

            Send(d, Header(VsockOp.Response, 1234, hostPort));
            Assert.Equal($"OK {hostPort}", ReadLine(host));

            host.Send("ping\n"u8);
            var data = Assert.Single(ReceiveWhenReady(d));
            Assert.Equal(VsockOp.Rw, data.Header.Op);
            Assert.Equal("ping\n", data.Text);

            Send(d, Header(VsockOp.Rw, 1234, hostPort, 5), "pong\n"u8.ToArray());
            Vsock(d).DeliverInput(d.Transport);
            Assert.Equal("pong\n", ReadExactly(host, 5));

            // The guest closes both ways: an RST finishes it and the host sees end of stream.
            Send(d, Header(VsockOp.Shutdown, 1234, hostPort, flags: 3));
            var rst = Assert.Single(Receive(d)).Header;
            Assert.Equal(VsockOp.Rst, rst.Op);
            Assert.Equal(0, host.Receive(new byte[8]));
            Assert.Equal(0, Vsock(d).ConnectionCount);
            Assert.False(d.NeedsReset);
        }

        [Fact]
        public void GuestRefusalClosesTheHostSocket()
        {
            using var d = Start();
            using var host = ConnectHost(UdsPath);
            host.Send("CONNECT 99\n"u8);
            var request = Assert.Single(ReceiveWhenReady(d)).Header;
            Send(d, Header(VsockOp.Rst, 99, request.SrcPort));
            Assert.Equal(0, host.Receive(new byte[8]));
            Assert.Equal(0, Vsock(d).ConnectionCount);
        }

        [Theory]
        [InlineData("CONNECT\n")]
        [InlineData("CONNECT x\n")]
        [InlineData("CONNECT 99999999999\n")]
        [InlineData("HELLO 5\n")]
        [InlineData("CONNECT 000000000000000000000000000000001\n")]
        public void ABadConnectLineIsClosed(string line)
        {
            using var d = Start();
            using var host = ConnectHost(UdsPath);
            host.Send(Encoding.ASCII.GetBytes(line));
            try
            {
                Assert.Equal(0, host.Receive(new byte[8]));
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
            {
                // Closed with the rest of an over-long line unread.
            }

            Assert.Empty(Receive(d));
        }

        [Fact]
        public void GuestConnectsToHostPortSocket()
        {
            using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(UdsPath + "_5000"));
            listener.Listen(1);
            using var d = Start();
            Send(d, Header(VsockOp.Request, 777, 5000));
            var response = Assert.Single(Receive(d)).Header;
            Assert.Equal(VsockOp.Response, response.Op);
            Assert.Equal(5000u, response.SrcPort);
            Assert.Equal(777u, response.DstPort);
            using var host = listener.Accept();
            host.ReceiveTimeout = 20_000;

            Send(d, Header(VsockOp.Rw, 777, 5000, 6), "hello\n"u8.ToArray());
            Vsock(d).DeliverInput(d.Transport);
            Assert.Equal("hello\n", ReadExactly(host, 6));

            host.Send("world\n"u8);
            var data = Assert.Single(ReceiveWhenReady(d));
            Assert.Equal("world\n", data.Text);
            Assert.Equal(6u, data.Header.FwdCnt); // the 6 bytes it forwarded to the host

            // The host finishes writing: the guest is told no more will come.
            host.Shutdown(SocketShutdown.Send);
            var shutdown = Assert.Single(ReceiveWhenReady(d)).Header;
            Assert.Equal(VsockOp.Shutdown, shutdown.Op);
            Assert.Equal(VsockHeader.ShutdownSend, shutdown.Flags);

            // Nobody listens on port 5001: refused.
            Send(d, Header(VsockOp.Request, 778, 5001));
            Assert.Equal(VsockOp.Rst, Assert.Single(Receive(d)).Header.Op);
            Assert.Equal(1, Vsock(d).ConnectionCount);
            Assert.Equal(0, Vsock(d).ProtocolErrors); // a refusal, not a guest error
        }

        [Fact]
        public void CreditRequestIsAnsweredAndDataWaitsForCredit()
        {
            using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(UdsPath + "_6000"));
            listener.Listen(1);
            using var d = Start();
            var request = Header(VsockOp.Request, 1, 6000);
            request.BufAlloc = 4;
            Send(d, request);
            Assert.Equal(VsockOp.Response, Assert.Single(Receive(d)).Header.Op);
            using var host = listener.Accept();

            // The guest has room for 4 bytes: the rest waits until it reports what it consumed.
            host.Send("abcdefgh"u8);
            Assert.Equal("abcd", Assert.Single(ReceiveWhenReady(d)).Text);
            Assert.Empty(Receive(d));
            var update = Header(VsockOp.CreditUpdate, 1, 6000);
            update.BufAlloc = 4;
            update.FwdCnt = 4;
            Send(d, update);
            Assert.Equal("efgh", Assert.Single(Receive(d)).Text);

            // A fwd_cnt beyond what was sent gives no credit (not 4 GiB of it).
            update.FwdCnt = 1000;
            Send(d, update);
            Assert.Empty(Receive(d));
            host.Send("ijkl"u8);
            Assert.True(SpinWait.SpinUntil(() => Vsock(d).HasInput, TimeSpan.FromSeconds(20))); // the bytes are in
            Assert.Empty(Receive(d));

            var ask = Header(VsockOp.CreditRequest, 1, 6000);
            ask.BufAlloc = 4;
            ask.FwdCnt = 8;
            Send(d, ask);
            var packets = Receive(d);
            Assert.Equal(VsockOp.CreditUpdate, packets[0].Header.Op);
            Assert.Equal(65536u, packets[0].Header.BufAlloc);
            Assert.Equal("ijkl", string.Concat(packets.Skip(1).Select(p => p.Text)));
        }

        [Fact]
        public void DataBeyondTheCreditIsReset()
        {
            using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(UdsPath + "_7000"));
            listener.Listen(1);
            using var d = Start();
            Send(d, Header(VsockOp.Request, 1, 7000));
            Receive(d);
            using var host = listener.Accept();
            var chunk = new byte[40_000];
            Send(d, Header(VsockOp.Rw, 1, 7000, (uint)chunk.Length), chunk);
            Send(d, Header(VsockOp.Rw, 1, 7000, (uint)chunk.Length), chunk); // 80,000 > buf_alloc 65,536
            var rst = Assert.Single(Receive(d)).Header;
            Assert.Equal(VsockOp.Rst, rst.Op);
            Assert.Equal(0, Vsock(d).ConnectionCount);
            Assert.False(d.NeedsReset);
            Assert.Equal(1, Vsock(d).ProtocolErrors);
        }

        [Theory]
        [InlineData("wrong-src-cid")]
        [InlineData("wrong-dst-cid")]
        [InlineData("seqpacket")]
        [InlineData("unknown-op")]
        [InlineData("invalid-op")]
        [InlineData("unknown-connection")]
        public void ProtocolViolationsAreAnsweredWithRst(string how)
        {
            using var d = Start();
            var h = Header(VsockOp.Request, 10, 20);
            switch (how)
            {
                case "wrong-src-cid": h.SrcCid = 4; break;
                case "wrong-dst-cid": h.DstCid = 7; break;
                case "seqpacket": h.Type = 2; break;
                case "unknown-op": h.Op = (VsockOp)99; break;
                case "invalid-op": h.Op = VsockOp.Invalid; break;
                case "unknown-connection": h.Op = VsockOp.Rw; h.Len = 3; break;
            }

            Send(d, h, new byte[h.Len]);
            var rst = Assert.Single(Receive(d)).Header;
            Assert.Equal(VsockOp.Rst, rst.Op);
            Assert.Equal(GuestCid, rst.DstCid);
            Assert.Equal(10u, rst.DstPort);
            Assert.Equal(20u, rst.SrcPort);
            Assert.Equal(how == "wrong-dst-cid" ? 7ul : VirtioVsock.HostCid, rst.SrcCid);
            Assert.False(d.NeedsReset);
            Assert.Equal(1, Vsock(d).ProtocolErrors);

            // An RST is never answered.
            h.Op = VsockOp.Rst;
            h.Len = 0;
            Send(d, h);
            Assert.Empty(Receive(d));
        }

        [Theory]
        [InlineData("short-header")]
        [InlineData("len-past-buffer")]
        [InlineData("huge-len")]
        [InlineData("readable-rx")]
        [InlineData("small-rx")]
        [InlineData("descriptor-loop")]
        [InlineData("outside-ram")]
        public void MalformedPacketsNeedReset(string how)
        {
            using var d = Start(postRx: how is not ("readable-rx" or "small-rx"));
            var h = Header(VsockOp.Request, 1, 2);
            switch (how)
            {
                case "short-header":
                    d.Submit(VirtioVsock.TxQueue, (Tx, 20, false));
                    d.Notify(VirtioVsock.TxQueue);
                    break;
                case "len-past-buffer":
                    h.Op = VsockOp.Rw;
                    h.Len = 100;
                    Send(d, h, new byte[50]);
                    break;
                case "huge-len":
                    h.Op = VsockOp.Rw;
                    h.Len = 0xFFFF_FFF0;
                    h.Write(d.Ram.GetSpan(Tx, VsockHeader.Size));
                    d.Submit(VirtioVsock.TxQueue, (Tx, VsockHeader.Size, false), (Tx + VsockHeader.Size, 0x3_0000, false));
                    d.Notify(VirtioVsock.TxQueue);
                    break;
                case "readable-rx":
                    d.Submit(VirtioVsock.RxQueue, (FakeDriver.DataBase, 4096, false));
                    Send(d, h); // the RST has to go somewhere
                    Vsock(d).DeliverInput(d.Transport);
                    break;
                case "small-rx":
                    d.Submit(VirtioVsock.RxQueue, (FakeDriver.DataBase, 16, true));
                    Send(d, h);
                    Vsock(d).DeliverInput(d.Transport);
                    break;
                case "descriptor-loop":
                    d.WriteDesc(VirtioVsock.TxQueue, 0, Tx, VsockHeader.Size, 1, 0);
                    d.MakeAvailable(VirtioVsock.TxQueue, 0);
                    d.Notify(VirtioVsock.TxQueue);
                    break;
                case "outside-ram":
                    d.Submit(VirtioVsock.TxQueue, (0x1000, VsockHeader.Size, false));
                    d.Notify(VirtioVsock.TxQueue);
                    break;
            }

            Assert.True(d.NeedsReset, how);
            Assert.NotNull(d.Transport.Error);
        }

        [Fact]
        public void AGuestThatTakesNoRepliesStallsItsOwnTransmitQueue()
        {
            using var d = Start(postRx: false);
            for (int i = 0; i < VirtioVsock.ControlLimit + 10; i++)
            {
                var h = Header(VsockOp.Request, (uint)i, 1);
                h.DstCid = 9; // each one earns an RST
                h.Write(d.Ram.GetSpan(Tx + 0x100 * (ulong)(i % 64), VsockHeader.Size));
                d.Submit(VirtioVsock.TxQueue, (Tx + 0x100 * (ulong)(i % 64), VsockHeader.Size, false));
                if (i % 32 == 31)
                {
                    d.Notify(VirtioVsock.TxQueue);
                    while (d.TakeUsed(VirtioVsock.TxQueue) != null)
                    {
                    }
                }
            }

            d.Notify(VirtioVsock.TxQueue);
            Assert.False(d.NeedsReset);
            Assert.Equal(VirtioVsock.ControlLimit, Vsock(d).ProtocolErrors);
            Assert.True(Vsock(d).HasInput);

            // Receive buffers drain the replies and the stalled requests are taken.
            int rsts = 0;
            for (int round = 0; round < 100 && rsts < VirtioVsock.ControlLimit + 10; round++)
            {
                for (int i = 0; i < RxBuffers; i++)
                {
                    PostRx(d, FakeDriver.DataBase + 0x1100 * (ulong)i);
                }

                rsts += Receive(d).Count(p => p.Header.Op == VsockOp.Rst);
            }

            Assert.Equal(VirtioVsock.ControlLimit + 10, rsts);
            Assert.False(d.NeedsReset);
        }

        [Fact]
        public void DriverResetClosesHostConnections()
        {
            using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(UdsPath + "_8000"));
            listener.Listen(1);
            using var d = Start();
            Send(d, Header(VsockOp.Request, 1, 8000));
            Receive(d);
            using var host = listener.Accept();
            host.ReceiveTimeout = 20_000;
            d.W(0x70, 0);
            Assert.Equal(0, host.Receive(new byte[8]));
            Assert.Equal(0, Vsock(d).ConnectionCount);
        }

        [Fact]
        public void DisposeRemovesTheSocket()
        {
            var d = Start(postRx: false);
            Assert.True(File.Exists(UdsPath));
            ((VirtioVsock)d.Device).Dispose();
            d.Dispose();
            Assert.False(File.Exists(UdsPath));
        }
    }
}
