namespace Capvisor.Board.Boot
{
    /// <summary>How a kernel file is loaded.</summary>
    public enum KernelFormat
    {
        /// <summary>Linux arm64 Image (magic "ARM\x64" at 0x38), possibly gzipped.</summary>
        LinuxImage,
        /// <summary>ELF64 AArch64 executable: PT_LOAD segments at their physical addresses.</summary>
        Elf,
        /// <summary>Anything else: raw bytes at RAM base + 0x80000, entered like an Image.</summary>
        Raw,
    }
}
