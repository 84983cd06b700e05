namespace Capvisor.Firmware.Hypervisor
{
    /// <summary>
    /// The host's own (Non-secure) physical memory, in 4 KiB granules: where it builds RMI
    /// parameter blocks, stages realm images and keeps each REC's RecRun page, and where the
    /// granules it delegates to the RMM come from.
    /// </summary>
    public interface IHostMemory
    {
        /// <summary>A free Non-secure granule's physical address (contents unspecified).</summary>
        /// <exception cref="RealmHostException">Host memory is exhausted.</exception>
        ulong AllocateGranule();

        /// <summary>
        /// <paramref name="count"/> contiguous free granules starting at a multiple of
        /// <paramref name="alignment"/> (e.g. concatenated root RTTs); returns the first.
        /// </summary>
        /// <exception cref="RealmHostException">Host memory is exhausted.</exception>
        ulong AllocateContiguous(int count, ulong alignment);

        /// <summary>Returns a granule (back in the Non-secure PAS) to the free pool.</summary>
        void FreeGranule(ulong pa);

        /// <summary>Writes <paramref name="data"/> at <paramref name="pa"/> + <paramref name="offset"/> as the Non-secure world.</summary>
        /// <exception cref="UnauthorizedAccessException">The granule is not Non-secure (granule protection fault).</exception>
        void Write(ulong pa, ReadOnlySpan<byte> data, int offset = 0);

        /// <summary>Reads <paramref name="destination"/>.Length bytes at <paramref name="pa"/> + <paramref name="offset"/> as the Non-secure world.</summary>
        /// <exception cref="UnauthorizedAccessException">The granule is not Non-secure (granule protection fault).</exception>
        void Read(ulong pa, Span<byte> destination, int offset = 0);
    }
}
