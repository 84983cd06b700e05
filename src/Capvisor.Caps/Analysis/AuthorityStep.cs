namespace Capvisor.Caps.Analysis
{
    /// <summary>One fact on a witness path: which subject gains access to which object, and how.</summary>
    /// <param name="Subject">The thread (TCB) that gains the access.</param>
    /// <param name="Object">The object it gains a capability to (or access to).</param>
    /// <param name="How">The rule that gives it, naming every object involved.</param>
    public sealed record AuthorityStep(string Subject, string Object, string How)
    {
        /// <inheritdoc/>
        public override string ToString() => $"{Subject} -> {Object}: {How}";
    }
}
