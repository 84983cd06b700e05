using Capvisor.Attestation.Cca;
using Capvisor.Firmware.Rmm;

namespace Capvisor.Firmware.Hypervisor
{
    /// <summary>What the host VMM builds: kvmtool's realm options plus the board's run limits.</summary>
    public sealed record RealmVmmOptions
    {
        /// <summary>Realm RAM in MiB, at IPA 0x40000000.</summary>
        public int MemoryMiB { get; init; } = 128;

        /// <summary>Number of vCPUs (RECs); only vCPU 0 starts runnable.</summary>
        public int CpuCount { get; init; } = 1;

        /// <summary>The image: Linux arm64 Image (optionally gzipped), ELF64 or raw binary.</summary>
        public byte[] Kernel { get; init; } = [];

        /// <summary>Name of the image for messages.</summary>
        public string KernelName { get; init; } = "kernel";

        /// <summary>Optional initrd.</summary>
        public byte[]? Initrd { get; init; }

        /// <summary>Kernel command line (/chosen/bootargs).</summary>
        public string? CommandLine { get; init; }

        /// <summary>Measurement algorithm.</summary>
        public MeasurementAlgorithm Algorithm { get; init; } = MeasurementAlgorithm.Sha256;

        /// <summary>Realm Personalization Value (at most 64 bytes, zero-padded).</summary>
        public byte[] Rpv { get; init; } = [];

        /// <summary>IPA width; null picks <see cref="RealmConfig.IpaBitsFor"/> of the RAM's end.</summary>
        public int? IpaBits { get; init; }

        /// <summary>Where the PL011's output (the realm's console) goes.</summary>
        public Stream? SerialOutput { get; init; }

        /// <summary>Deterministic board time (1 instruction = 1 ns).</summary>
        public bool Deterministic { get; init; }

        /// <summary>Wall-clock limit for <see cref="RealmVmm.Run"/>.</summary>
        public TimeSpan? Timeout { get; init; }

        /// <summary>
        /// The platform identity whose CPAK signs the platform token, or null for a realm that
        /// cannot attest (RSI token calls then fail).
        /// </summary>
        public PlatformIdentity? Platform { get; init; }

        /// <summary>Times the same protected or unprotected IPA may fault in a row before the run is ended as hostile.</summary>
        public int RepeatedFaultLimit { get; init; } = 64;
    }
}
