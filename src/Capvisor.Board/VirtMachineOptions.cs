namespace Capvisor.Board
{
    /// <summary>How to build and run a <see cref="VirtMachine"/>.</summary>
    public sealed record VirtMachineOptions
    {
        /// <summary>Default RAM: 128 MiB, QEMU's default for <c>-M virt</c>.</summary>
        public const int DefaultMemoryMiB = 128;

        /// <summary>Most CPUs: QEMU's first redistributor region holds 123.</summary>
        public const int MaxCpus = VirtMemoryMap.MaxCpus;

        /// <summary>Most RAM (MiB): 64 GiB; RAM is reserved lazily, so untouched memory costs nothing.</summary>
        public const int MaxMemoryMiB = 64 * 1024;

        /// <summary>RAM size in MiB.</summary>
        public int MemoryMiB { get; init; } = DefaultMemoryMiB;

        /// <summary>Number of CPUs; CPU 0 boots, the others start powered off.</summary>
        public int CpuCount { get; init; } = 1;

        /// <summary>The kernel file contents (Image, gzipped Image, ELF or raw); null boots nothing.</summary>
        public byte[]? Kernel { get; init; }

        /// <summary>Name of the kernel in error messages.</summary>
        public string KernelName { get; init; } = "kernel";

        /// <summary>The initrd contents, or null.</summary>
        public byte[]? Initrd { get; init; }

        /// <summary>The kernel command line (/chosen/bootargs), or null.</summary>
        public string? CommandLine { get; init; }

        /// <summary>A device tree blob to use instead of the generated one (/chosen is still updated).</summary>
        public byte[]? DeviceTree { get; init; }

        /// <summary>Deterministic time (instruction count) instead of host time.</summary>
        public bool Deterministic { get; init; }

        /// <summary>Wall-clock limit for <see cref="VirtMachine.Run"/>, or null.</summary>
        public TimeSpan? Timeout { get; init; }

        /// <summary>Where the UART's output goes, or null to discard it.</summary>
        public Stream? SerialOutput { get; init; }

        /// <summary>Where the UART's input comes from, or null for none. Seekable streams are read synchronously (deterministic).</summary>
        public Stream? SerialInput { get; init; }

        /// <summary>
        /// Holds <see cref="SerialInput"/> back until the guest has printed this text (e.g. a shell
        /// prompt), for scripted sessions: Linux's PL011 driver discards what waits in the FIFO when
        /// it starts, as on QEMU. Null feeds input from the start.
        /// </summary>
        public string? SerialInputAfter { get; init; }

        /// <summary>virtio-blk disks, in QEMU's -device order: the first takes the highest transport, so Linux, probing by address, names the last one /dev/vda. The caller owns the streams.</summary>
        public IReadOnlyList<VirtioDisk> Disks { get; init; } = [];

        /// <summary>Adds a virtio-rng device (host entropy; a fixed seed when <see cref="Deterministic"/>).</summary>
        public bool VirtioRng { get; init; }

        /// <summary>Adds a virtio-console device whose port 0 output goes to this stream (null: none).</summary>
        public Stream? VirtioConsoleOutput { get; init; }

        /// <summary>
        /// Virtio devices the caller built (virtio-net, virtio-vsock), placed after the disks, rng and
        /// console in this order. Devices that take host input (<see cref="Virtio.IVirtioHostInput"/>)
        /// make a run depend on host timing even with <see cref="Deterministic"/>. The caller owns them.
        /// </summary>
        public IReadOnlyList<Virtio.IVirtioDevice> ExtraVirtioDevices { get; init; } = [];

        /// <summary>Instructions per CPU per scheduling slice.</summary>
        public long Quantum { get; init; } = 20_000;

        /// <summary>PSCI conduit advertised in the device tree: "hvc" or "smc".</summary>
        public string PsciMethod { get; init; } = "hvc";

        /// <summary>
        /// Arm RME: installs a <see cref="Memory.GranuleProtectionTable"/> (every granule Non-secure at
        /// start) so that the firmware (Capvisor.Firmware.Monitor.El3Monitor) can host the RMM. Off
        /// by default: ordinary guests see the board exactly as QEMU's virt.
        /// </summary>
        public bool EnableRmm { get; init; }

        /// <summary>Consecutive identical exceptions (same ESR, ELR, FAR, no progress) that count as a loop.</summary>
        public int ExceptionLoopLimit { get; init; } = 10_000;
    }

    /// <summary>A virtio-blk disk: a seekable stream of 512-byte sectors.</summary>
    /// <param name="File">The image; read-write unless <paramref name="ReadOnly"/>.</param>
    /// <param name="ReadOnly">Offer VIRTIO_BLK_F_RO and refuse writes.</param>
    /// <param name="Serial">What GET_ID returns (at most 20 bytes), or null for none.</param>
    public sealed record VirtioDisk(Stream File, bool ReadOnly = false, string? Serial = null);
}
