using System.Buffers.Binary;
using System.Text;

namespace Capvisor.Board.DeviceTree
{
    /// <summary>Parses a flattened device tree blob into an <see cref="FdtNode"/> tree, validating every offset.</summary>
    public static class FdtReader
    {
        /// <summary>Parses <paramref name="blob"/>.</summary>
        /// <exception cref="FormatException">The blob is not a well-formed FDT (version 16 or later).</exception>
        public static FdtNode Parse(ReadOnlySpan<byte> blob)
        {
            if (blob.Length < 40 || BinaryPrimitives.ReadUInt32BigEndian(blob) != FdtWriter.Magic)
            {
                throw new FormatException("not a flattened device tree (bad magic)");
            }

            uint total = Be(blob, 4), offStruct = Be(blob, 8), offStrings = Be(blob, 12);
            uint version = Be(blob, 20), sizeStrings = Be(blob, 32), sizeStruct = Be(blob, 36);
            if (total > blob.Length || version < 16 || offStruct > total || offStrings > total
                || sizeStruct > total - offStruct || sizeStrings > total - offStrings)
            {
                throw new FormatException("malformed device tree header");
            }

            var structure = blob.Slice((int)offStruct, (int)sizeStruct);
            var strings = blob.Slice((int)offStrings, (int)sizeStrings);
            int pos = 0;
            FdtNode? root = null;
            var stack = new Stack<FdtNode>();
            while (true)
            {
                uint token = Token(structure, ref pos);
                switch (token)
                {
                    case FdtWriter.BeginNode:
                    {
                        int end = structure[pos..].IndexOf((byte)0);
                        if (end < 0)
                        {
                            throw new FormatException("unterminated node name");
                        }

                        string name = Encoding.UTF8.GetString(structure.Slice(pos, end));
                        pos = Align(pos + end + 1);
                        FdtNode node;
                        if (stack.Count == 0)
                        {
                            if (root != null)
                            {
                                throw new FormatException("more than one root node");
                            }

                            node = root = new FdtNode(name);
                        }
                        else
                        {
                            node = stack.Peek().AddChild(name);
                        }

                        stack.Push(node);
                        if (stack.Count > 64)
                        {
                            throw new FormatException("device tree nested too deeply");
                        }

                        break;
                    }

                    case FdtWriter.EndNode:
                        if (stack.Count == 0)
                        {
                            throw new FormatException("unbalanced END_NODE");
                        }

                        stack.Pop();
                        break;
                    case FdtWriter.Prop:
                    {
                        uint len = Token(structure, ref pos), nameOff = Token(structure, ref pos);
                        if (stack.Count == 0 || len > (uint)(structure.Length - pos) || nameOff >= (uint)strings.Length)
                        {
                            throw new FormatException("malformed property");
                        }

                        int nameEnd = strings[(int)nameOff..].IndexOf((byte)0);
                        if (nameEnd < 0)
                        {
                            throw new FormatException("unterminated property name");
                        }

                        string name = Encoding.UTF8.GetString(strings.Slice((int)nameOff, nameEnd));
                        stack.Peek().Set(name, structure.Slice(pos, (int)len).ToArray());
                        pos = Align(pos + (int)len);
                        break;
                    }

                    case FdtWriter.Nop:
                        break;
                    case FdtWriter.End:
                        if (root == null || stack.Count != 0)
                        {
                            throw new FormatException("device tree ends inside a node");
                        }

                        return root;
                    default:
                        throw new FormatException($"unknown structure token 0x{token:x}");
                }
            }
        }

        private static uint Be(ReadOnlySpan<byte> b, int offset) => BinaryPrimitives.ReadUInt32BigEndian(b[offset..]);

        private static uint Token(ReadOnlySpan<byte> s, ref int pos)
        {
            if (pos < 0 || pos > s.Length - 4)
            {
                throw new FormatException("device tree structure block ends early");
            }

            uint v = BinaryPrimitives.ReadUInt32BigEndian(s[pos..]);
            pos += 4;
            return v;
        }

        private static int Align(int pos) => (pos + 3) & ~3;
    }
}
