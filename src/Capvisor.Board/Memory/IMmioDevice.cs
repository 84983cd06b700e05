namespace Capvisor.Board.Memory
{
    /// <summary>
    /// A memory-mapped device on the <see cref="MmioBus"/>. Offsets are relative to the region the
    /// device was mapped at. Any offset, size and value may arrive (guest input is hostile).
    /// </summary>
    public interface IMmioDevice
    {
        /// <summary>Reads 1, 2, 4 or 8 bytes; false makes the access a synchronous external abort.</summary>
        bool Read(ulong offset, int size, out ulong value);

        /// <summary>Writes 1, 2, 4 or 8 bytes; false makes the access a synchronous external abort.</summary>
        bool Write(ulong offset, int size, ulong value);
    }
}
