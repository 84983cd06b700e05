namespace Capvisor.Caps.CapDL
{
    /// <summary>
    /// A resolved CapDL specification: objects by name, the capabilities in their slots, which
    /// untyped covers which object, the IRQ map and the capability derivation tree. Copies, cap
    /// names, paths and slot numbering of the text are already resolved, so two texts that mean
    /// the same thing give equal specs (and the same <see cref="CapdlPrinter"/> output and digest).
    /// </summary>
    public sealed class CapdlSpec
    {
        /// <summary>Creates an empty spec for <paramref name="arch"/>.</summary>
        public CapdlSpec(string arch)
        {
            Arch = arch;
        }

        /// <summary>The <c>arch</c> line (aarch64, arm11, ia32, x86_64, riscv).</summary>
        public string Arch { get; }

        /// <summary>All objects, ordered by name.</summary>
        public SortedDictionary<ObjectId, SpecObject> Objects { get; } = [];

        /// <summary>For each untyped, the objects carved from it.</summary>
        public SortedDictionary<ObjectId, SortedSet<ObjectId>> Covers { get; } = [];

        /// <summary>Interrupt number to IRQ object.</summary>
        public SortedDictionary<ulong, ObjectId> IrqMap { get; } = [];

        /// <summary>Derivation tree: child slot to parent slot.</summary>
        public SortedDictionary<CapRef, CapRef> Cdt { get; } = [];

        /// <summary>The <c>domains</c> section, if present.</summary>
        public DomainSchedule? Domains { get; set; }

        /// <summary>Where each object was first declared (empty for specs built in code).</summary>
        public Dictionary<ObjectId, SourceLocation> Locations { get; } = [];

        /// <summary>The object named <paramref name="id"/>.</summary>
        public SpecObject this[ObjectId id] => Objects[id];

        /// <summary>The elements of the array <paramref name="name"/>, or the single object of that name.</summary>
        public IReadOnlyList<ObjectId> Resolve(string name)
        {
            var single = new ObjectId(name, null);
            if (Objects.ContainsKey(single))
            {
                return [single];
            }

            return Objects.Keys.Where(k => k.Name == name && k.Index is not null).ToList();
        }

        /// <summary>The untyped that covers <paramref name="id"/>, if any.</summary>
        public ObjectId? CoveringUntyped(ObjectId id)
        {
            foreach (var (ut, covered) in Covers)
            {
                if (covered.Contains(id))
                {
                    return ut;
                }
            }

            return null;
        }
    }
}
