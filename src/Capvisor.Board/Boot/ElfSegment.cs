namespace Capvisor.Board.Boot
{
    /// <summary>A PT_LOAD segment: file bytes at a physical address, zero-filled up to <see cref="MemorySize"/>.</summary>
    public sealed record ElfSegment(ulong PhysicalAddress, byte[] Data, ulong MemorySize);
}
