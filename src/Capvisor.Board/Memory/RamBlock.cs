using System.Runtime.InteropServices;

namespace Capvisor.Board.Memory
{
    /// <summary>
    /// Guest RAM: one zero-filled native block at a fixed physical base. The host pointer is
    /// 4 KiB-aligned, so a granule's host address is <c>Pointer + (pa - Base)</c>.
    /// </summary>
    /// <remarks>
    /// The block comes from <see cref="NativeMemory.AllocZeroed(nuint)"/>, which for large sizes
    /// maps fresh pages: untouched RAM costs no host memory.
    /// </remarks>
    public sealed unsafe class RamBlock : IDisposable
    {
        private void* _allocation;
        private byte* _pointer;

        /// <summary>Physical address of the first byte.</summary>
        public ulong Base { get; }

        /// <summary>Size in bytes (a multiple of 4 KiB).</summary>
        public ulong Size { get; }

        /// <summary>One past the last physical address.</summary>
        public ulong End => Base + Size;

        /// <summary>Allocates <paramref name="size"/> bytes of RAM at <paramref name="physicalBase"/>.</summary>
        /// <exception cref="ArgumentOutOfRangeException">The size is zero or not a multiple of 4 KiB, or the block would wrap.</exception>
        public RamBlock(ulong physicalBase, ulong size)
        {
            if (size == 0 || (size & 0xFFF) != 0 || (physicalBase & 0xFFF) != 0 || physicalBase + size < physicalBase)
            {
                throw new ArgumentOutOfRangeException(nameof(size), "RAM must be a non-empty, 4 KiB-aligned range");
            }

            Base = physicalBase;
            Size = size;
            _allocation = NativeMemory.AllocZeroed((nuint)(size + 0x1000));
            _pointer = (byte*)(((nuint)_allocation + 0xFFF) & ~(nuint)0xFFF);
        }

        /// <summary>True when [<paramref name="pa"/>, <paramref name="pa"/> + <paramref name="length"/>) lies inside RAM.</summary>
        public bool Contains(ulong pa, ulong length) =>
            pa >= Base && length <= Size && pa - Base <= Size - length;

        /// <summary>Host address of the byte at <paramref name="pa"/>; the caller has checked <see cref="Contains"/>.</summary>
        internal byte* HostPointer(ulong pa)
        {
            ObjectDisposedException.ThrowIf(_pointer == null, this);
            return _pointer + (pa - Base);
        }

        /// <summary>
        /// The granule protection table host-side accesses are checked against, or null (every
        /// granule accessible). Set by <see cref="PhysicalAddressSpace.GranuleProtection"/>.
        /// </summary>
        public IGranuleProtectionTable? GranuleProtection { get; internal set; }

        /// <summary>
        /// A bounds-checked view of guest RAM for the host (device models, loaders, the untrusted
        /// host), which accesses as Non-secure: with a granule protection table installed, every
        /// granule of the range must be Non-secure.
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">The range is not entirely inside RAM.</exception>
        /// <exception cref="UnauthorizedAccessException">A granule of the range is not accessible from the Non-secure state.</exception>
        public Span<byte> GetSpan(ulong pa, int length) => GetSpan(pa, length, Arm.SecurityState.NonSecure);

        /// <summary>
        /// A bounds-checked view of guest RAM for code running in <paramref name="state"/> (e.g.
        /// the RMM in the Realm state, EL3 in Root), checked against the granule protection table.
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">The range is not entirely inside RAM.</exception>
        /// <exception cref="UnauthorizedAccessException">A granule of the range is not accessible from <paramref name="state"/>.</exception>
        public Span<byte> GetSpan(ulong pa, int length, Arm.SecurityState state)
        {
            if (length < 0 || !Contains(pa, (ulong)length))
            {
                throw new ArgumentOutOfRangeException(nameof(pa), $"0x{pa:x}+0x{length:x} is outside RAM");
            }

            if (GranuleProtection is { } gpt && length > 0)
            {
                for (ulong g = pa & ~0xFFFul; g < pa + (ulong)length; g += 0x1000)
                {
                    if (gpt.Check(g, state) != Arm.PhysicalFault.None)
                    {
                        throw new UnauthorizedAccessException($"granule protection fault: 0x{g:x} is not accessible from the {state} state");
                    }
                }
            }

            return new Span<byte>(HostPointer(pa), length);
        }

        /// <summary>Frees the block.</summary>
        public void Dispose()
        {
            void* allocation = _allocation;
            _allocation = null;
            _pointer = null;
            if (allocation != null)
            {
                NativeMemory.Free(allocation);
            }

            GC.SuppressFinalize(this);
        }

        /// <summary>Frees the block if <see cref="Dispose"/> was not called.</summary>
        ~RamBlock()
        {
            if (_allocation != null)
            {
                NativeMemory.Free(_allocation);
            }
        }
    }
}
