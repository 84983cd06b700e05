namespace Capvisor.Board.DeviceTree
{
    /// <summary>What the generated virt device tree describes.</summary>
    public sealed record VirtDeviceTreeOptions
    {
        /// <summary>Number of CPUs.</summary>
        public int CpuCount { get; init; } = 1;

        /// <summary>Start of RAM.</summary>
        public ulong RamBase { get; init; } = VirtMemoryMap.RamBase;

        /// <summary>RAM size in bytes.</summary>
        public ulong RamSize { get; init; } = 128ul << 20;

        /// <summary>PSCI conduit: "hvc" (QEMU without EL2/EL3) or "smc".</summary>
        public string PsciMethod { get; init; } = "hvc";

        /// <summary>Kernel command line (/chosen/bootargs), or null for none.</summary>
        public string? BootArgs { get; init; }

        /// <summary>Initrd start (/chosen/linux,initrd-start), or null.</summary>
        public ulong? InitrdStart { get; init; }

        /// <summary>Initrd end, exclusive (/chosen/linux,initrd-end), or null.</summary>
        public ulong? InitrdEnd { get; init; }

        /// <summary>Bytes for /chosen/rng-seed, or null to omit it.</summary>
        public byte[]? RngSeed { get; init; }

        /// <summary>Indices of the virtio-mmio transports to describe (those with a device); QEMU lists all 32.</summary>
        public IReadOnlyList<int> VirtioTransports { get; init; } = [];
    }
}
