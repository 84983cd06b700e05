namespace Capvisor.Board.Memory
{
    /// <summary>One device mapping on the <see cref="MmioBus"/>.</summary>
    public readonly record struct MmioRegion(string Name, ulong Base, ulong Size, IMmioDevice Device);
}
