using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Capvisor.Board.Virtio;
using Capvisor.Board.Virtio.Net;

namespace Capvisor.Board.Tests.Virtio
{
    public sealed class VirtioNetTests
    {
        private const ulong Tx = FakeDriver.DataBase + 0x4_0000;

        /// <summary>A backend the test drives by hand: frames in through <see cref="Inject"/>, out into <see cref="Sent"/>.</summary>
        private sealed class ManualBackend : INetBackend
        {
            private FrameHandler? _handler;

            public List<byte[]> Sent { get; } = [];

            public bool Refuse { get; set; }

            public void Start(FrameHandler onFrame) => _handler = onFrame;

            public bool TrySend(ReadOnlySpan<byte> frame)
            {
                Sent.Add(frame.ToArray());
                return !Refuse;
            }

            public void Inject(byte[] frame) => _handler!(frame);

            public void Dispose()
            {
            }
        }

        private static byte[] Frame(int length, byte fill)
        {
            var f = new byte[length];
            f.AsSpan().Fill(fill);
            f[12] = 0x08; // EtherType IPv4, for the look of it
            f[13] = 0x00;
            return f;
        }

        private static void Transmit(FakeDriver d, byte[] frame, byte flags = 0)
        {
            var header = d.Ram.GetSpan(Tx, VirtioNet.HeaderSize);
            header.Clear();
            header[0] = flags;
            frame.CopyTo(d.Ram.GetSpan(Tx + VirtioNet.HeaderSize, frame.Length));
            // Two descriptors, as Linux sends them: the header, then the frame.
            d.Submit(VirtioNet.TxQueue, (Tx, VirtioNet.HeaderSize, false), (Tx + VirtioNet.HeaderSize, (uint)frame.Length, false));
            d.Notify(VirtioNet.TxQueue);
        }

        private static bool WaitFor(Func<bool> condition) => SpinWait.SpinUntil(condition, TimeSpan.FromSeconds(20));

        [Fact]
        public void ConfigurationHoldsTheMacAndLinkUp()
        {
            using var d = new FakeDriver(m => new VirtioNet(new ManualBackend(), [0x52, 0x54, 0, 0xAA, 0xBB, 0xCC]));
            Assert.Equal(1u, d.R(0x008));
            d.W(0x14, 0);
            Assert.Equal((uint)(VirtioNet.FeatureMac | VirtioNet.FeatureStatus | VirtioMmioTransport.FeatureIndirectDesc), d.R(0x010));
            Assert.True(d.Transport.Read(0x100, 4, out ulong lo));
            Assert.True(d.Transport.Read(0x104, 2, out ulong hi));
            Assert.Equal(0xBB_AA_00_54_52ul | (0xCCul << 40), lo | (hi << 32));
            Assert.True(d.Transport.Read(0x106, 2, out ulong status));
            Assert.Equal(1ul, status);
            d.Transport.Write(0x100, 1, 0xFF); // read-only
            Assert.True(d.Transport.Read(0x100, 1, out ulong first));
            Assert.Equal(0x52ul, first);
        }

        [Fact]
        public void MulticastMacIsRefused() =>
            Assert.Throws<ArgumentException>(() => new VirtioNet(new ManualBackend(), [0x01, 0, 0, 0, 0, 1]));

        [Fact]
        public void FramesCrossARealUdpSocketPairBothWays()
        {
            using var peer = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            peer.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var backend = DatagramNetBackend.Udp(new IPEndPoint(IPAddress.Loopback, 0), (IPEndPoint)peer.LocalEndPoint!);
            using var d = new FakeDriver(m => new VirtioNet(backend));
            var net = (VirtioNet)d.Device;
            d.Initialise(VirtioNet.FeatureMac | VirtioNet.FeatureStatus);

            // Guest to host: one datagram holding exactly the frame, without the virtio header.
            var outgoing = Frame(98, 0x5A);
            Transmit(d, outgoing);
            Assert.Equal(0u, d.TakeUsed(VirtioNet.TxQueue)!.Value.Len);
            var buffer = new byte[2048];
            peer.ReceiveTimeout = 20_000;
            int n = peer.Receive(buffer);
            Assert.Equal(outgoing, buffer.AsSpan(0, n).ToArray());
            Assert.Equal(1, net.TxFrames);
            Assert.True(net.TakeTransmitted());
            Assert.False(net.TakeTransmitted());

            // Host to guest: header (num_buffers = 1) then the frame, in a Linux-sized buffer.
            var incoming = Frame(342, 0xA5);
            peer.SendTo(incoming, backend.LocalEndPoint);
            Assert.True(WaitFor(() => net.HasInput));
            d.Submit(VirtioNet.RxQueue, (FakeDriver.DataBase, 1526, true));
            net.DeliverInput(d.Transport);
            var used = d.TakeUsed(VirtioNet.RxQueue);
            Assert.Equal((uint)(VirtioNet.HeaderSize + incoming.Length), used!.Value.Len);
            var header = d.Ram.GetSpan(FakeDriver.DataBase, VirtioNet.HeaderSize).ToArray();
            Assert.Equal(new byte[] { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0 }, header);
            Assert.Equal(incoming, d.Ram.GetSpan(FakeDriver.DataBase + VirtioNet.HeaderSize, incoming.Length).ToArray());
            Assert.False(net.HasInput);
            Assert.True(d.Irq.Level);
            Assert.False(d.NeedsReset);
        }

        [Fact]
        public void FramesCrossUnixDatagramSockets()
        {
            string dir = Directory.CreateTempSubdirectory("capvisor-net-").FullName;
            try
            {
                string mine = Path.Combine(dir, "vm"), theirs = Path.Combine(dir, "peer");
                using var peer = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
                peer.Bind(new UnixDomainSocketEndPoint(theirs));
                using (var d = new FakeDriver(m => new VirtioNet(DatagramNetBackend.UnixDatagram(mine, theirs))))
                {
                    var net = (VirtioNet)d.Device;
                    d.Initialise();
                    var outgoing = Frame(60, 1);
                    Transmit(d, outgoing);
                    var buffer = new byte[2048];
                    peer.ReceiveTimeout = 20_000;
                    Assert.Equal(outgoing, buffer.AsSpan(0, peer.Receive(buffer)).ToArray());

                    var incoming = Frame(64, 2);
                    peer.SendTo(incoming, new UnixDomainSocketEndPoint(mine));
                    Assert.True(WaitFor(() => net.HasInput));
                    d.Submit(VirtioNet.RxQueue, (FakeDriver.DataBase, 1526, true));
                    net.DeliverInput(d.Transport);
                    Assert.Equal(76u, d.TakeUsed(VirtioNet.RxQueue)!.Value.Len);
                    net.Dispose();
                }

                Assert.False(File.Exists(mine)); // removed on dispose
            }
            finally
            {
                Directory.Delete(dir, true);
            }
        }

        [Fact]
        public void FramesWaitInABoundedQueueAndExcessIsCounted()
        {
            var backend = new ManualBackend();
            using var d = new FakeDriver(m => new VirtioNet(backend));
            var net = (VirtioNet)d.Device;
            d.Initialise();
            for (int i = 0; i < VirtioNet.RxQueueLimit + 44; i++)
            {
                backend.Inject(Frame(60, (byte)i));
            }

            Assert.Equal(44, net.RxDropped);
            for (int i = 0; i < 64; i++)
            {
                d.Submit(VirtioNet.RxQueue, (FakeDriver.DataBase + 0x800 * (ulong)i, 1526, true));
            }

            net.DeliverInput(d.Transport);
            for (int i = 0; i < 64; i++)
            {
                Assert.Equal(72u, d.TakeUsed(VirtioNet.RxQueue)!.Value.Len);
                Assert.Equal((byte)i, d.Ram.GetSpan(FakeDriver.DataBase + 0x800 * (ulong)i + VirtioNet.HeaderSize, 1)[0]);
            }

            Assert.True(net.HasInput); // 192 still queued, in order
            Assert.Equal(64, net.RxFrames);
        }

        [Fact]
        public void AFrameLargerThanTheBufferIsDroppedAndTheBufferKept()
        {
            var backend = new ManualBackend();
            using var d = new FakeDriver(m => new VirtioNet(backend));
            var net = (VirtioNet)d.Device;
            d.Initialise();
            d.Submit(VirtioNet.RxQueue, (FakeDriver.DataBase, 200, true));
            backend.Inject(Frame(1500, 7));
            net.DeliverInput(d.Transport);
            Assert.Null(d.TakeUsed(VirtioNet.RxQueue));
            Assert.Equal(1, net.RxDropped);
            backend.Inject(Frame(100, 8));
            net.DeliverInput(d.Transport);
            Assert.Equal(112u, d.TakeUsed(VirtioNet.RxQueue)!.Value.Len);
            Assert.False(d.NeedsReset);
        }

        [Fact]
        public void RuntsGiantsAndRefusedSendsAreCountedNotFatal()
        {
            var backend = new ManualBackend();
            using var d = new FakeDriver(m => new VirtioNet(backend));
            var net = (VirtioNet)d.Device;
            d.Initialise();
            Transmit(d, new byte[5]); // shorter than an Ethernet header
            backend.Refuse = true;
            Transmit(d, Frame(60, 1));
            Assert.Equal(2, net.TxDropped);
            Assert.Single(backend.Sent);
            Assert.NotNull(d.TakeUsed(VirtioNet.TxQueue));
            Assert.NotNull(d.TakeUsed(VirtioNet.TxQueue));
            Assert.False(d.NeedsReset);
        }

        [Theory]
        [InlineData("short-tx")]
        [InlineData("offload-tx")]
        [InlineData("gso-tx")]
        [InlineData("readable-rx")]
        [InlineData("tiny-rx")]
        [InlineData("loop-tx")]
        [InlineData("outside-ram-rx")]
        [InlineData("index-overflow-rx")]
        public void MalformedBuffersNeedReset(string how)
        {
            var backend = new ManualBackend();
            using var d = new FakeDriver(m => new VirtioNet(backend));
            var net = (VirtioNet)d.Device;
            d.Initialise();
            backend.Inject(Frame(60, 1));
            switch (how)
            {
                case "short-tx":
                    d.Submit(VirtioNet.TxQueue, (Tx, 4, false));
                    d.Notify(VirtioNet.TxQueue);
                    break;
                case "offload-tx":
                    Transmit(d, Frame(60, 1), flags: 1); // NEEDS_CSUM without VIRTIO_NET_F_CSUM
                    break;
                case "gso-tx":
                    d.Ram.GetSpan(Tx, VirtioNet.HeaderSize).Clear();
                    d.Ram.GetSpan(Tx, 2)[1] = 1; // GSO_TCPV4 without VIRTIO_NET_F_HOST_TSO4
                    d.Submit(VirtioNet.TxQueue, (Tx, 100, false));
                    d.Notify(VirtioNet.TxQueue);
                    break;
                case "readable-rx":
                    d.Submit(VirtioNet.RxQueue, (FakeDriver.DataBase, 100, false), (FakeDriver.DataBase + 100, 1500, true));
                    net.DeliverInput(d.Transport);
                    break;
                case "tiny-rx":
                    d.Submit(VirtioNet.RxQueue, (FakeDriver.DataBase, 8, true));
                    net.DeliverInput(d.Transport);
                    break;
                case "loop-tx":
                    d.WriteDesc(VirtioNet.TxQueue, 0, Tx, 12, 1, 1);
                    d.WriteDesc(VirtioNet.TxQueue, 1, Tx + 12, 60, 1, 0);
                    d.MakeAvailable(VirtioNet.TxQueue, 0);
                    d.Notify(VirtioNet.TxQueue);
                    break;
                case "outside-ram-rx":
                    d.Submit(VirtioNet.RxQueue, (FakeDriver.RamBase + FakeDriver.RamSize - 100, 1526, true));
                    net.DeliverInput(d.Transport);
                    break;
                case "index-overflow-rx":
                    d.Submit(VirtioNet.RxQueue, (FakeDriver.DataBase, 1526, true));
                    d.SetAvailIdx(VirtioNet.RxQueue, 1000);
                    net.DeliverInput(d.Transport);
                    break;
            }

            Assert.True(d.NeedsReset, how);
            Assert.NotNull(d.Transport.Error);
            Assert.True((d.Transport.InterruptStatus & 2) != 0); // configuration change
            Assert.Empty(backend.Sent);
            Assert.Equal(0, net.RxFrames);
        }

        [Fact]
        public void AMachineWithANicPlacesItAndPumpsFramesIn()
        {
            var backend = new ManualBackend();
            using var net = new VirtioNet(backend);
            using var m = new VirtMachine(new VirtMachineOptions { MemoryMiB = 16, Deterministic = true, ExtraVirtioDevices = [net] },
                machine => new Infrastructure.TestFirmware(machine));
            Assert.True(m.Memory.Bus.TryFind(VirtioLayout.Address(31) + 8, 4, out var device, out ulong offset));
            Assert.True(device!.Read(offset, 4, out ulong id));
            Assert.Equal(1ul, id);
            Assert.NotNull(net.InputArrived); // the board listens for frames
            m.Dispose();
            Assert.Null(net.InputArrived);
        }
    }
}
