using System.Buffers.Binary;
using System.Text;

namespace Capvisor.Board.DeviceTree
{
    /// <summary>
    /// Serialises an <see cref="FdtNode"/> tree as a flattened device tree blob (DTSpec v0.4,
    /// format version 17): header, empty memory reservation map, structure block, strings block.
    /// </summary>
    public static class FdtWriter
    {
        internal const uint Magic = 0xD00DFEED;
        internal const uint BeginNode = 1, EndNode = 2, Prop = 3, Nop = 4, End = 9;
        private const int HeaderSize = 40;

        /// <summary>Produces the blob for <paramref name="root"/>.</summary>
        public static byte[] Write(FdtNode root, uint bootCpuId = 0)
        {
            var structure = new List<byte>(4096);
            var strings = new List<byte>(512);
            var stringOffsets = new Dictionary<string, int>(StringComparer.Ordinal);
            WriteNode(root, structure, strings, stringOffsets);
            AppendU32(structure, End);

            const int reserveMapOffset = HeaderSize;
            const int reserveMapSize = 16; // one terminating (0, 0) entry
            int structOffset = reserveMapOffset + reserveMapSize;
            int stringsOffset = structOffset + structure.Count;
            int total = stringsOffset + strings.Count;
            total = (total + 7) & ~7;

            var blob = new byte[total];
            var span = blob.AsSpan();
            BinaryPrimitives.WriteUInt32BigEndian(span[0..], Magic);
            BinaryPrimitives.WriteUInt32BigEndian(span[4..], (uint)total);
            BinaryPrimitives.WriteUInt32BigEndian(span[8..], (uint)structOffset);
            BinaryPrimitives.WriteUInt32BigEndian(span[12..], (uint)stringsOffset);
            BinaryPrimitives.WriteUInt32BigEndian(span[16..], reserveMapOffset);
            BinaryPrimitives.WriteUInt32BigEndian(span[20..], 17);
            BinaryPrimitives.WriteUInt32BigEndian(span[24..], 16);
            BinaryPrimitives.WriteUInt32BigEndian(span[28..], bootCpuId);
            BinaryPrimitives.WriteUInt32BigEndian(span[32..], (uint)strings.Count);
            BinaryPrimitives.WriteUInt32BigEndian(span[36..], (uint)structure.Count);
            structure.CopyTo(blob, structOffset);
            strings.CopyTo(blob, stringsOffset);
            return blob;
        }

        private static void WriteNode(FdtNode node, List<byte> s, List<byte> strings, Dictionary<string, int> offsets)
        {
            AppendU32(s, BeginNode);
            s.AddRange(Encoding.UTF8.GetBytes(node.Name));
            s.Add(0);
            Pad(s);
            foreach (var (name, value) in node.Properties)
            {
                if (!offsets.TryGetValue(name, out int nameOffset))
                {
                    nameOffset = strings.Count;
                    offsets[name] = nameOffset;
                    strings.AddRange(Encoding.UTF8.GetBytes(name));
                    strings.Add(0);
                }

                AppendU32(s, Prop);
                AppendU32(s, (uint)value.Length);
                AppendU32(s, (uint)nameOffset);
                s.AddRange(value);
                Pad(s);
            }

            foreach (var child in node.Children)
            {
                WriteNode(child, s, strings, offsets);
            }

            AppendU32(s, EndNode);
        }

        private static void AppendU32(List<byte> s, uint v)
        {
            s.Add((byte)(v >> 24));
            s.Add((byte)(v >> 16));
            s.Add((byte)(v >> 8));
            s.Add((byte)v);
        }

        private static void Pad(List<byte> s)
        {
            while ((s.Count & 3) != 0)
            {
                s.Add(0);
            }
        }
    }
}
