namespace Capvisor.Caps.Analysis
{
    /// <summary>The answer of <see cref="AuthorityAnalysis"/>: whether the subject can reach the protected objects and, if so, how.</summary>
    /// <param name="Reachable">True when some protected object can be obtained.</param>
    /// <param name="Target">The protected object reached, when <paramref name="Reachable"/>.</param>
    /// <param name="Witness">The facts that lead there, in order; empty when not reachable.</param>
    public sealed record AuthorityResult(bool Reachable, string? Target, IReadOnlyList<AuthorityStep> Witness);
}
