namespace Capvisor.Caps.Kernel
{
    /// <summary>
    /// The physical memory behind untyped regions. The kernel writes through it only to zero memory
    /// on retype and to fill frames; the hypervisor backs it with guest RAM, tests with
    /// <see cref="SparsePhysicalMemory"/>.
    /// </summary>
    public interface IPhysicalMemory
    {
        /// <summary>Sets <paramref name="length"/> bytes from <paramref name="address"/> to zero.</summary>
        void Zero(ulong address, ulong length);

        /// <summary>Copies bytes from memory at <paramref name="address"/> into <paramref name="destination"/>.</summary>
        void Read(ulong address, Span<byte> destination);

        /// <summary>Copies <paramref name="source"/> into memory at <paramref name="address"/>.</summary>
        void Write(ulong address, ReadOnlySpan<byte> source);
    }
}
