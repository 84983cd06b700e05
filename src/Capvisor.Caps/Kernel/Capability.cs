namespace Capvisor.Caps.Kernel
{
    /// <summary>
    /// An unforgeable reference to a kernel object with access rights and, depending on the
    /// object, a badge (endpoints and notifications) or a guard (CNodes). Immutable: deriving a
    /// capability makes a new one.
    /// </summary>
    /// <param name="Object">The object the capability refers to.</param>
    /// <param name="Rights">The access rights it confers.</param>
    /// <param name="Badge">The badge delivered with messages and signals sent through it (endpoints, notifications).</param>
    /// <param name="Guard">The guard value checked when a CSpace lookup passes through this CNode capability.</param>
    /// <param name="GuardBits">The number of guard bits a lookup through this CNode capability consumes.</param>
    public sealed record Capability(KernelObject Object, CapRights Rights, ulong Badge = 0, ulong Guard = 0, int GuardBits = 0)
    {
        /// <summary>The object's type.</summary>
        public ObjectType Type => Object.Type;

        /// <inheritdoc/>
        public override string ToString()
        {
            string extra = Type switch
            {
                ObjectType.Endpoint or ObjectType.Notification when Badge != 0 => $", badge 0x{Badge:x}",
                ObjectType.CNode => $", guard 0x{Guard:x}/{GuardBits}",
                _ => string.Empty,
            };
            return $"cap({Object}, {Rights}{extra})";
        }
    }
}
