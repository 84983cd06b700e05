namespace Capvisor.Caps.CapDL
{
    /// <summary>The <c>domains</c> section: the domain schedule and its start index.</summary>
    public sealed class DomainSchedule
    {
        /// <summary>(domain, duration) pairs.</summary>
        public List<(ulong Domain, ulong Duration)> Schedule { get; } = [];

        /// <summary>Index of the first entry to run, or null for <c>no_start</c>.</summary>
        public ulong? Start { get; set; } = 0;

        /// <summary>The <c>index_shift</c>.</summary>
        public ulong IndexShift { get; set; }
    }
}
