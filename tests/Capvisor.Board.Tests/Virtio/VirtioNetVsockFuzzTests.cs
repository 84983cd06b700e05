using System.Net.Sockets;
using Capvisor.Board.Virtio;
using Capvisor.Board.Virtio.Net;
using Capvisor.Board.Virtio.Vsock;

namespace Capvisor.Board.Tests.Virtio
{
    /// <summary>
    /// Random rings, descriptors, packet headers and register writes against virtio-net and
    /// virtio-vsock, with host traffic arriving meanwhile: the host never sees an exception;
    /// the devices serve, answer RST, or enter DEVICE_NEEDS_RESET.
    /// </summary>
    public sealed class VirtioNetVsockFuzzTests
    {
        private sealed class LoopbackBackend : INetBackend
        {
            private FrameHandler? _handler;

            public void Start(FrameHandler onFrame) => _handler = onFrame;

            public bool TrySend(ReadOnlySpan<byte> frame)
            {
                _handler!(frame); // reflect every frame back at the guest
                return true;
            }

            public void Dispose()
            {
            }
        }

        private static void Scribble(FakeDriver d, Random random, int queues, Action<ulong> plausiblePacket)
        {
            int[] registers = [0x14, 0x20, 0x24, 0x30, 0x38, 0x44, 0x50, 0x64, 0x70];
            for (int round = 0; round < 150; round++)
            {
                d.Initialise();
                var availIdx = new ushort[queues];
                for (int i = 0; i < 40; i++)
                {
                    int q = random.Next(queues);
                    if (random.Next(25) == 0)
                    {
                        // Raw garbage anywhere in the queue's descriptors and rings.
                        random.NextBytes(d.Ram.GetSpan(FakeDriver.Desc(q) + (ulong)random.Next(0xA800), 16));
                    }
                    else
                    {
                        // A well-formed ring entry for a descriptor that may or may not be sensible:
                        // usually a buffer in the data area (tx readable, rx writable) with a
                        // plausible packet in it, sometimes a chain, an odd flag or a wild length.
                        int index = random.Next(64);
                        ulong addr = FakeDriver.DataBase + (ulong)random.Next(0x7_0000);
                        uint len = random.Next(25) == 0 ? (uint)random.NextInt64() : (uint)random.Next(0x2000);
                        ushort flags = (ushort)(q == 1 ? 0 : 2);
                        if (random.Next(15) == 0)
                        {
                            flags = (ushort)random.Next(8);
                        }

                        d.WriteDesc(q, index, addr, len, flags, (ushort)random.Next(64));
                        plausiblePacket(addr);
                        var ring = d.Ram.GetSpan(FakeDriver.Avail(q) + 4 + 2 * (ulong)(availIdx[q] % 64), 2);
                        BitConverter.TryWriteBytes(ring, (ushort)index);
                        availIdx[q]++;
                        d.SetAvailIdx(q, availIdx[q]);
                    }

                    if (random.Next(20) == 0)
                    {
                        d.Transport.Write((ulong)registers[random.Next(registers.Length)], 4, (ulong)random.NextInt64());
                    }

                    d.Notify(q);
                    if (d.Device is IVirtioHostInput host && host.HasInput)
                    {
                        host.DeliverInput(d.Transport);
                    }
                }

                d.W(0x70, 0);
            }
        }

        [Theory]
        [InlineData(1)]
        [InlineData(2)]
        public void RandomNetDriversNeverCrashTheHost(int seed)
        {
            var random = new Random(seed);
            using var d = new FakeDriver(m => new VirtioNet(new LoopbackBackend()));
            Scribble(d, random, 2, addr =>
            {
                var header = d.Ram.GetSpan(addr, VirtioNet.HeaderSize);
                header.Clear();
                if (random.Next(20) == 0)
                {
                    header[random.Next(VirtioNet.HeaderSize)] = (byte)random.Next(256);
                }
            });
            var net = (VirtioNet)d.Device;
            Assert.True(net.TxFrames > 50 && net.RxFrames + net.RxDropped > 50, $"{net.TxFrames} sent, {net.RxFrames} received, {net.RxDropped} dropped: the fuzzing is too weak");
        }

        [Theory]
        [InlineData(1)]
        [InlineData(2)]
        public void RandomVsockDriversNeverCrashTheHost(int seed)
        {
            string dir = Directory.CreateTempSubdirectory("capvisor-vsock-fuzz-").FullName;
            try
            {
                string path = Path.Combine(dir, "v.sock");
                using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                listener.Bind(new UnixDomainSocketEndPoint(path + "_1"));
                listener.Listen(64);
                var random = new Random(seed);
                using var device = new VirtioVsock(3, path);
                using var d = new FakeDriver(m => device);
                Scribble(d, random, 3, addr =>
                {
                    var h = new VsockHeader
                    {
                        SrcCid = random.Next(4) == 0 ? (ulong)random.NextInt64() : 3,
                        DstCid = random.Next(4) == 0 ? (ulong)random.Next(8) : 2,
                        SrcPort = (uint)random.Next(4),
                        DstPort = (uint)random.Next(3),
                        Len = random.Next(3) == 0 ? (uint)random.NextInt64() : (uint)random.Next(0x100),
                        Type = (ushort)random.Next(3),
                        Op = (VsockOp)random.Next(9),
                        Flags = (uint)random.Next(4),
                        BufAlloc = (uint)random.NextInt64(),
                        FwdCnt = (uint)random.NextInt64(),
                    };
                    h.Write(d.Ram.GetSpan(addr, VsockHeader.Size));
                });
                Assert.True(device.ProtocolErrors > 50, $"{device.ProtocolErrors} RSTs: the fuzzing is too weak");
            }
            finally
            {
                Directory.Delete(dir, true);
            }
        }
    }
}
