using System.Buffers.Binary;
using System.Text;

namespace Capvisor.Board.DeviceTree
{
    /// <summary>A device-tree node: a name, ordered properties (raw big-endian values) and children.</summary>
    public sealed class FdtNode
    {
        private readonly List<KeyValuePair<string, byte[]>> _properties = [];
        private readonly List<FdtNode> _children = [];

        /// <summary>Creates a node; the root's name is empty.</summary>
        public FdtNode(string name)
        {
            Name = name;
        }

        /// <summary>Node name with unit address (e.g. <c>pl011@9000000</c>).</summary>
        public string Name { get; }

        /// <summary>Properties in insertion order.</summary>
        public IReadOnlyList<KeyValuePair<string, byte[]>> Properties => _properties;

        /// <summary>Child nodes in insertion order.</summary>
        public IReadOnlyList<FdtNode> Children => _children;

        /// <summary>Adds a child node and returns it.</summary>
        public FdtNode AddChild(string name)
        {
            var child = new FdtNode(name);
            _children.Add(child);
            return child;
        }

        /// <summary>The child called <paramref name="name"/>, or null.</summary>
        public FdtNode? Child(string name) => _children.Find(c => c.Name == name);

        /// <summary>Finds a node by absolute path (<c>/chosen</c>, <c>/cpus/cpu@0</c>).</summary>
        public FdtNode? Find(string path)
        {
            FdtNode? node = this;
            foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                node = node?.Child(part);
            }

            return node;
        }

        /// <summary>Sets (replaces or appends) a property's raw value.</summary>
        public FdtNode Set(string name, byte[] value)
        {
            int i = _properties.FindIndex(p => p.Key == name);
            if (i >= 0)
            {
                _properties[i] = new(name, value);
            }
            else
            {
                _properties.Add(new(name, value));
            }

            return this;
        }

        /// <summary>Sets an empty (boolean) property.</summary>
        public FdtNode SetEmpty(string name) => Set(name, []);

        /// <summary>Sets a NUL-terminated string property.</summary>
        public FdtNode SetString(string name, string value) => Set(name, Encoding.UTF8.GetBytes(value + "\0"));

        /// <summary>Sets a string-list property (each string NUL-terminated).</summary>
        public FdtNode SetStrings(string name, params string[] values) =>
            Set(name, Encoding.UTF8.GetBytes(string.Concat(values.Select(v => v + "\0"))));

        /// <summary>Sets a property of 32-bit big-endian cells.</summary>
        public FdtNode SetCells(string name, params uint[] cells)
        {
            var bytes = new byte[cells.Length * 4];
            for (int i = 0; i < cells.Length; i++)
            {
                BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4 * i), cells[i]);
            }

            return Set(name, bytes);
        }

        /// <summary>Sets a property of 64-bit values, each as two cells.</summary>
        public FdtNode SetU64s(string name, params ulong[] values)
        {
            var bytes = new byte[values.Length * 8];
            for (int i = 0; i < values.Length; i++)
            {
                BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(8 * i), values[i]);
            }

            return Set(name, bytes);
        }

        /// <summary>Removes a property if present.</summary>
        public void Remove(string name) => _properties.RemoveAll(p => p.Key == name);

        /// <summary>The raw value of a property, or null.</summary>
        public byte[]? Get(string name)
        {
            foreach (var p in _properties)
            {
                if (p.Key == name)
                {
                    return p.Value;
                }
            }

            return null;
        }

        /// <summary>A property as big-endian cells, or null.</summary>
        public uint[]? GetCells(string name)
        {
            var raw = Get(name);
            if (raw == null)
            {
                return null;
            }

            var cells = new uint[raw.Length / 4];
            for (int i = 0; i < cells.Length; i++)
            {
                cells[i] = BinaryPrimitives.ReadUInt32BigEndian(raw.AsSpan(4 * i));
            }

            return cells;
        }

        /// <summary>A property as a list of NUL-separated strings, or null.</summary>
        public string[]? GetStrings(string name)
        {
            var raw = Get(name);
            return raw == null ? null : Encoding.UTF8.GetString(raw).TrimEnd('\0').Split('\0');
        }
    }
}
