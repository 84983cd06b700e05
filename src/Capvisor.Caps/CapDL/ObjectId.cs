namespace Capvisor.Caps.CapDL
{
    /// <summary>The name of a CapDL object: a plain name, or an element of an array (<c>name[3]</c>).</summary>
    /// <param name="Name">The declared name.</param>
    /// <param name="Index">The element index for arrays, null otherwise.</param>
    public readonly record struct ObjectId(string Name, int? Index) : IComparable<ObjectId>
    {
        /// <inheritdoc/>
        public int CompareTo(ObjectId other)
        {
            int c = string.CompareOrdinal(Name, other.Name);
            return c != 0 ? c : (Index ?? -1).CompareTo(other.Index ?? -1);
        }

        /// <inheritdoc/>
        public override string ToString() => Index is int i ? $"{Name}[{i}]" : Name;
    }
}
