namespace Capvisor.Caps.CapDL
{
    /// <summary>An object of a CapDL spec with its parameters and the capabilities in its slots.</summary>
    public sealed class SpecObject
    {
        /// <summary>Creates an object.</summary>
        public SpecObject(ObjectId id, ObjectKind kind)
        {
            Id = id;
            Kind = kind;
        }

        /// <summary>The object's name.</summary>
        public ObjectId Id { get; }

        /// <summary>The object's type.</summary>
        public ObjectKind Kind { get; }

        /// <summary>
        /// log2 size: <c>N bits</c> for ut, cnode and sc (for a cnode, the radix); the frame size for
        /// frames (<c>4k</c> is 12). Null when not given.
        /// </summary>
        public int? SizeBits { get; set; }

        /// <summary>The fixed physical address (<c>paddr:</c>), if any.</summary>
        public ulong? Paddr { get; set; }

        /// <summary>The other parameters by keyword (<c>prio</c>, <c>ip</c>, <c>init</c>…), in canonical text form.</summary>
        public SortedDictionary<string, string> Parameters { get; } = new(StringComparer.Ordinal);

        /// <summary>The frame's fill entries.</summary>
        public List<FillEntry> Fill { get; } = [];

        /// <summary>The capabilities in the object's slots.</summary>
        public SortedDictionary<ulong, SpecCap> Slots { get; } = [];

        /// <summary>
        /// IceCap's <c>extern</c> objects: named with the prefix <c>extern_</c>, they are provided by the
        /// platform when the spec is realised rather than created from untyped memory.
        /// </summary>
        public bool IsExtern => Id.Name.StartsWith("extern_", StringComparison.Ordinal);

        /// <summary>True when two objects have equal type and parameters (slots not compared).</summary>
        public bool SameDeclaration(SpecObject other) =>
            Kind == other.Kind && SizeBits == other.SizeBits && Paddr == other.Paddr
            && Parameters.SequenceEqual(other.Parameters) && Fill.SequenceEqual(other.Fill);

        /// <inheritdoc/>
        public override string ToString() => $"{Id} ({ObjectKinds.Keyword(Kind)})";
    }
}
