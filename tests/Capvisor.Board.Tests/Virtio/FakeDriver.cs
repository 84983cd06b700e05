using System.Buffers.Binary;
using Capvisor.Board.Memory;
using Capvisor.Board.Tests.Infrastructure;
using Capvisor.Board.Virtio;

namespace Capvisor.Board.Tests.Virtio
{
    /// <summary>
    /// A virtio driver in C#: it programs a <see cref="VirtioMmioTransport"/> through its registers
    /// and builds split virtqueues in guest RAM, and can break every rule on purpose.
    /// </summary>
    internal sealed class FakeDriver : IDisposable
    {
        public const ulong RamBase = 0x4000_0000;
        public const ulong RamSize = 1 << 20;
        public const ulong DataBase = RamBase + 0x8_0000;

        private readonly ushort[] _availIdx = new ushort[4];
        private readonly ushort[] _nextDesc = new ushort[4];
        private readonly ushort[] _usedSeen = new ushort[4];
        private readonly int[] _size = new int[4];

        public FakeDriver(Func<PhysicalAddressSpace, IVirtioDevice> device)
        {
            Ram = new RamBlock(RamBase, RamSize);
            Memory = new PhysicalAddressSpace(Ram, new MmioBus());
            Device = device(Memory);
            Transport = new VirtioMmioTransport(Device, Memory, Irq);
        }

        public RamBlock Ram { get; }

        public PhysicalAddressSpace Memory { get; }

        public IVirtioDevice Device { get; }

        public VirtioMmioTransport Transport { get; }

        public RecordingLine Irq { get; } = new();

        public bool NeedsReset => (Transport.Status & VirtioMmioTransport.StatusNeedsReset) != 0;

        public static ulong Desc(int q) => RamBase + 0x1_0000 * (ulong)q;

        public static ulong Avail(int q) => Desc(q) + 0x8000;

        public static ulong Used(int q) => Desc(q) + 0xA000;

        public uint R(int off)
        {
            Assert.True(Transport.Read((ulong)off, 4, out ulong v));
            return (uint)v;
        }

        public void W(int off, uint v) => Assert.True(Transport.Write((ulong)off, 4, v));

        /// <summary>The usual initialisation (virtio 1.1 §3.1.1) with VERSION_1 plus <paramref name="extraFeatures"/>.</summary>
        public void Initialise(ulong extraFeatures = 0, int queueSize = 0)
        {
            W(0x70, 0);
            W(0x70, VirtioMmioTransport.StatusAcknowledge);
            W(0x70, VirtioMmioTransport.StatusAcknowledge | VirtioMmioTransport.StatusDriver);
            ulong features = VirtioMmioTransport.FeatureVersion1 | extraFeatures;
            W(0x24, 0);
            W(0x20, (uint)features);
            W(0x24, 1);
            W(0x20, (uint)(features >> 32));
            W(0x70, 1 | 2 | 8);
            Assert.Equal(1u | 2 | 8, R(0x70));
            for (int q = 0; q < Device.QueueCount; q++)
            {
                SetUpQueue(q, queueSize == 0 ? (int)Math.Min(Device.QueueMaxSize, 64) : queueSize);
            }

            W(0x70, 1 | 2 | 8 | 4);
        }

        public void SetUpQueue(int q, int size, ulong? desc = null)
        {
            W(0x30, (uint)q);
            W(0x38, (uint)size);
            ulong d = desc ?? Desc(q);
            W(0x80, (uint)d);
            W(0x84, (uint)(d >> 32));
            W(0x90, (uint)Avail(q));
            W(0x94, (uint)(Avail(q) >> 32));
            W(0xA0, (uint)Used(q));
            W(0xA4, (uint)(Used(q) >> 32));
            W(0x44, 1);
            _size[q] = size;
        }

        /// <summary>Writes descriptor <paramref name="index"/> of queue <paramref name="q"/>.</summary>
        public void WriteDesc(int q, int index, ulong addr, uint len, ushort flags, ushort next)
        {
            var d = Ram.GetSpan(Desc(q) + 16 * (ulong)index, 16);
            BinaryPrimitives.WriteUInt64LittleEndian(d, addr);
            BinaryPrimitives.WriteUInt32LittleEndian(d[8..], len);
            BinaryPrimitives.WriteUInt16LittleEndian(d[12..], flags);
            BinaryPrimitives.WriteUInt16LittleEndian(d[14..], next);
        }

        /// <summary>Builds a chain of the given buffers, makes it available and returns its head.</summary>
        public ushort Submit(int q, params (ulong Addr, uint Len, bool Writable)[] buffers)
        {
            ushort head = _nextDesc[q];
            for (int i = 0; i < buffers.Length; i++)
            {
                int index = (head + i) % _size[q];
                bool last = i == buffers.Length - 1;
                WriteDesc(q, index, buffers[i].Addr, buffers[i].Len,
                    (ushort)((last ? 0 : 1) | (buffers[i].Writable ? 2 : 0)), (ushort)((index + 1) % _size[q]));
            }

            _nextDesc[q] = (ushort)((head + buffers.Length) % _size[q]);
            MakeAvailable(q, head);
            return head;
        }

        /// <summary>Puts <paramref name="head"/> in the available ring and bumps its index.</summary>
        public void MakeAvailable(int q, ushort head)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(Ram.GetSpan(Avail(q) + 4 + 2 * (ulong)(_availIdx[q] % _size[q]), 2), head);
            _availIdx[q]++;
            SetAvailIdx(q, _availIdx[q]);
        }

        public void SetAvailIdx(int q, ushort idx) => BinaryPrimitives.WriteUInt16LittleEndian(Ram.GetSpan(Avail(q) + 2, 2), idx);

        public void Notify(int q) => W(0x50, (uint)q);

        public ushort UsedIdx(int q) => BinaryPrimitives.ReadUInt16LittleEndian(Ram.GetSpan(Used(q) + 2, 2));

        /// <summary>The next used element, or null when the device has returned nothing new.</summary>
        public (uint Id, uint Len)? TakeUsed(int q)
        {
            if (UsedIdx(q) == _usedSeen[q])
            {
                return null;
            }

            var e = Ram.GetSpan(Used(q) + 4 + 8 * (ulong)(_usedSeen[q] % _size[q]), 8);
            _usedSeen[q]++;
            return (BinaryPrimitives.ReadUInt32LittleEndian(e), BinaryPrimitives.ReadUInt32LittleEndian(e[4..]));
        }

        public void Dispose() => Ram.Dispose();
    }
}
