using System.Buffers.Binary;

namespace Capvisor.Board.Virtio.Vsock
{
    /// <summary><c>struct virtio_vsock_hdr</c>: 44 bytes, little-endian, packed.</summary>
    public struct VsockHeader
    {
        /// <summary>Bytes in the header.</summary>
        public const int Size = 44;

        /// <summary>VIRTIO_VSOCK_TYPE_STREAM.</summary>
        public const ushort TypeStream = 1;

        /// <summary>SHUTDOWN flags.</summary>
        public const uint ShutdownReceive = 1, ShutdownSend = 2;

        /// <summary>Source context ID.</summary>
        public ulong SrcCid;

        /// <summary>Destination context ID.</summary>
        public ulong DstCid;

        /// <summary>Source port.</summary>
        public uint SrcPort;

        /// <summary>Destination port.</summary>
        public uint DstPort;

        /// <summary>Payload bytes after the header.</summary>
        public uint Len;

        /// <summary>Socket type (1 stream, 2 seqpacket).</summary>
        public ushort Type;

        /// <summary>Operation.</summary>
        public VsockOp Op;

        /// <summary>Operation flags (SHUTDOWN).</summary>
        public uint Flags;

        /// <summary>The sender's receive buffer size.</summary>
        public uint BufAlloc;

        /// <summary>Bytes the sender has consumed from its receive buffer, ever (wraps).</summary>
        public uint FwdCnt;

        /// <summary>Decodes a header.</summary>
        public static VsockHeader Read(ReadOnlySpan<byte> b) => new()
        {
            SrcCid = BinaryPrimitives.ReadUInt64LittleEndian(b),
            DstCid = BinaryPrimitives.ReadUInt64LittleEndian(b[8..]),
            SrcPort = BinaryPrimitives.ReadUInt32LittleEndian(b[16..]),
            DstPort = BinaryPrimitives.ReadUInt32LittleEndian(b[20..]),
            Len = BinaryPrimitives.ReadUInt32LittleEndian(b[24..]),
            Type = BinaryPrimitives.ReadUInt16LittleEndian(b[28..]),
            Op = (VsockOp)BinaryPrimitives.ReadUInt16LittleEndian(b[30..]),
            Flags = BinaryPrimitives.ReadUInt32LittleEndian(b[32..]),
            BufAlloc = BinaryPrimitives.ReadUInt32LittleEndian(b[36..]),
            FwdCnt = BinaryPrimitives.ReadUInt32LittleEndian(b[40..]),
        };

        /// <summary>Encodes the header into the first <see cref="Size"/> bytes of <paramref name="b"/>.</summary>
        public readonly void Write(Span<byte> b)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(b, SrcCid);
            BinaryPrimitives.WriteUInt64LittleEndian(b[8..], DstCid);
            BinaryPrimitives.WriteUInt32LittleEndian(b[16..], SrcPort);
            BinaryPrimitives.WriteUInt32LittleEndian(b[20..], DstPort);
            BinaryPrimitives.WriteUInt32LittleEndian(b[24..], Len);
            BinaryPrimitives.WriteUInt16LittleEndian(b[28..], Type);
            BinaryPrimitives.WriteUInt16LittleEndian(b[30..], (ushort)Op);
            BinaryPrimitives.WriteUInt32LittleEndian(b[32..], Flags);
            BinaryPrimitives.WriteUInt32LittleEndian(b[36..], BufAlloc);
            BinaryPrimitives.WriteUInt32LittleEndian(b[40..], FwdCnt);
        }
    }
}
