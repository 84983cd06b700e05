using Capvisor.Caps.Kernel;

namespace Capvisor.Caps.CapDL
{
    /// <summary>
    /// A capability in a CapDL spec: to an object (<see cref="Target"/>) or, for the kernel's
    /// singleton capabilities (<c>irq_control</c>, <c>asid_control</c>, <c>sched_control</c>,
    /// <c>domain</c>, <c>io_space_master</c>), to <see cref="Special"/>.
    /// </summary>
    public sealed record SpecCap
    {
        /// <summary>The names of the kernel's singleton capabilities.</summary>
        public static readonly IReadOnlyList<string> SpecialNames = ["io_space_master", "asid_control", "irq_control", "domain", "sched_control"];

        /// <summary>The object referred to (null for a special capability).</summary>
        public ObjectId? Target { get; init; }

        /// <summary>The special capability's name, or null.</summary>
        public string? Special { get; init; }

        /// <summary>Access rights (R, W, G — written X on frames — and P for GrantReply).</summary>
        public CapRights Rights { get; init; }

        /// <summary>Badge of an endpoint, notification or SMC capability.</summary>
        public ulong Badge { get; init; }

        /// <summary>Guard of a CNode capability.</summary>
        public ulong Guard { get; init; }

        /// <summary>Guard size of a CNode capability, in bits.</summary>
        public ulong GuardSize { get; init; }

        /// <summary>Reply capability flag for TCB capabilities.</summary>
        public ReplyKind Reply { get; init; }

        /// <summary>ASID of a frame or page-table capability, as (high, low).</summary>
        public (ulong High, ulong Low)? Asid { get; init; }

        /// <summary>Whether a frame mapping is cacheable (the default).</summary>
        public bool Cached { get; init; } = true;

        /// <summary>The page-table slot a frame capability is mapped through (<c>mapping:</c>).</summary>
        public CapRef? Mapping { get; init; }

        /// <summary>The core of a <c>sched_control</c> capability.</summary>
        public ulong? Core { get; init; }

        /// <inheritdoc/>
        public override string ToString() => Target?.ToString() ?? Special ?? "?";
    }
}
