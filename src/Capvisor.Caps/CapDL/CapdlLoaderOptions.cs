using Capvisor.Caps.Kernel;

namespace Capvisor.Caps.CapDL
{
    /// <summary>What <see cref="CapdlLoader"/> builds a spec from.</summary>
    public sealed class CapdlLoaderOptions
    {
        /// <summary>
        /// Slots holding untyped capabilities to allocate from, tried in order. Their physical address
        /// space is what the spec's objects get (Realm untyped for a realm).
        /// </summary>
        public required IReadOnlyList<CSlot> Untypeds { get; init; }

        /// <summary>The IRQ control capability, needed when the spec has <c>irq maps</c> or <c>irq_control</c> capabilities.</summary>
        public CSlot? IrqControl { get; init; }

        /// <summary>Reads a fill file by the name the spec gives; needed when frames have file-data fills.</summary>
        public Func<string, byte[]>? ReadFile { get; init; }

        /// <summary>Capabilities the platform provides for the spec's <c>extern_</c> objects, by object name.</summary>
        public IReadOnlyDictionary<string, CSlot> Externs { get; init; } = new Dictionary<string, CSlot>();
    }
}
