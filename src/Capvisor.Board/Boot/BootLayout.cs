namespace Capvisor.Board.Boot
{
    /// <summary>Where the boot images went and how the boot CPU starts.</summary>
    public sealed record BootLayout
    {
        /// <summary>The kernel's format.</summary>
        public KernelFormat Format { get; init; }

        /// <summary>Lowest physical address the kernel occupies.</summary>
        public ulong KernelStart { get; init; }

        /// <summary>One past the highest address the kernel occupies (including BSS / image_size).</summary>
        public ulong KernelEnd { get; init; }

        /// <summary>Where the boot CPU starts.</summary>
        public ulong Entry { get; init; }

        /// <summary>Initrd placement, or null.</summary>
        public ulong? InitrdStart { get; init; }

        /// <summary>Initrd end (exclusive), or null.</summary>
        public ulong? InitrdEnd { get; init; }

        /// <summary>Where the device tree blob is.</summary>
        public ulong DtbAddress { get; init; }

        /// <summary>The value of x0 at entry: the DTB address for Linux-style kernels, 0 for ELF (as QEMU).</summary>
        public ulong X0 { get; init; }

        /// <summary>What was loaded differently from what the image asked for (e.g. segments skipped).</summary>
        public IReadOnlyList<string> Warnings { get; init; } = [];
    }
}
