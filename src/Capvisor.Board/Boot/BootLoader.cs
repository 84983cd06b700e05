using Capvisor.Board.DeviceTree;
using Capvisor.Board.Memory;

namespace Capvisor.Board.Boot
{
    /// <summary>
    /// Places the kernel, initrd and device tree in RAM the way QEMU's <c>-kernel</c> direct boot
    /// does (hw/arm/boot.c), without QEMU's boot stub: the board sets the registers itself.
    /// </summary>
    /// <remarks>
    /// <list type="bullet">
    /// <item>Image: at RAM base + text_offset, moved up by 2 MiB when that is below 4 KiB (where
    /// QEMU's stub lives), so a modern kernel (text_offset 0) starts at RAM base + 2 MiB.</item>
    /// <item>Raw binary: at RAM base + 0x80000, entered like an Image (x0 = DTB).</item>
    /// <item>ELF: PT_LOAD segments at their physical addresses; every segment must lie in RAM,
    /// except segments wholly in the (unmodelled) flash window, which are skipped with a warning;
    /// x0 = 0 (QEMU sets no registers for ELF).</item>
    /// <item>Initrd: RAM base + min(RAM/2, 128 MiB), above the end of a Linux kernel.</item>
    /// <item>DTB: after the initrd, 2 MiB-aligned; for ELF at RAM base when no segment is there.</item>
    /// </list>
    /// </remarks>
    public static class BootLoader
    {
        private const ulong Align2M = 2ul << 20;
        private const ulong StubSize = 0x1000;

        /// <summary>QEMU virt's two 64 MiB flash banks, which this board does not model.</summary>
        private const ulong FlashEnd = 0x0800_0000;

        /// <summary>
        /// Loads everything into <paramref name="memory"/>. <paramref name="buildDtb"/> receives the
        /// initrd range and returns the blob to place.
        /// </summary>
        /// <exception cref="BootImageException">Something does not fit in RAM or overlaps.</exception>
        public static BootLayout Load(PhysicalAddressSpace memory, KernelImage kernel, byte[]? initrd,
            Func<ulong?, ulong?, byte[]> buildDtb)
        {
            var ram = memory.Ram;
            ulong kernelStart, kernelEnd, entry;
            var occupied = new List<(ulong Start, ulong End, string What)>();
            var warnings = new List<string>();
            switch (kernel.Format)
            {
                case KernelFormat.Elf:
                    kernelStart = ulong.MaxValue;
                    kernelEnd = 0;
                    foreach (var seg in kernel.Segments)
                    {
                        if (seg.MemorySize == 0)
                        {
                            continue;
                        }

                        if (seg.PhysicalAddress + seg.MemorySize <= FlashEnd && seg.PhysicalAddress + seg.MemorySize > seg.PhysicalAddress)
                        {
                            // QEMU loads such segments (often a linker's stray .note) into its
                            // flash; the program runs from RAM, so skipping them keeps it runnable.
                            warnings.Add($"ELF segment at 0x{seg.PhysicalAddress:x} (0x{seg.MemorySize:x} bytes) lies in the flash window, which this board does not model; not loaded");
                            continue;
                        }

                        if (!ram.Contains(seg.PhysicalAddress, seg.MemorySize))
                        {
                            throw new BootImageException(
                                $"ELF segment at 0x{seg.PhysicalAddress:x} (0x{seg.MemorySize:x} bytes) is outside RAM [0x{ram.Base:x}, 0x{ram.End:x})");
                        }

                        Copy(memory, seg.PhysicalAddress, seg.Data);
                        kernelStart = Math.Min(kernelStart, seg.PhysicalAddress);
                        kernelEnd = Math.Max(kernelEnd, seg.PhysicalAddress + seg.MemorySize);
                        occupied.Add((seg.PhysicalAddress, seg.PhysicalAddress + seg.MemorySize, "the kernel"));
                    }

                    entry = kernel.Entry;
                    if (!ram.Contains(entry, 4))
                    {
                        throw new BootImageException($"ELF entry point 0x{entry:x} is outside RAM");
                    }

                    break;
                default:
                    ulong offset = kernel.Format == KernelFormat.LinuxImage ? kernel.TextOffset : KernelImage.RawLoadOffset;
                    if (offset < StubSize)
                    {
                        offset += Align2M;
                    }

                    kernelStart = ram.Base + offset;
                    ulong size = Math.Max((ulong)kernel.Data.Length, kernel.ImageSize);
                    if (!ram.Contains(kernelStart, size))
                    {
                        throw new BootImageException(
                            $"the kernel ({size >> 20} MiB at 0x{kernelStart:x}) does not fit in {ram.Size >> 20} MiB of RAM; use a larger -m");
                    }

                    Copy(memory, kernelStart, kernel.Data);
                    kernelEnd = kernelStart + size;
                    entry = kernelStart;
                    occupied.Add((kernelStart, kernelEnd, "the kernel"));
                    break;
            }

            ulong initrdStart = ram.Base + Math.Min(ram.Size / 2, 128ul << 20);
            if (kernel.Format != KernelFormat.Elf)
            {
                initrdStart = Math.Max(initrdStart, (kernelEnd + 0xFFF) & ~0xFFFul);
            }

            ulong? initrdStartProp = null, initrdEndProp = null;
            ulong initrdSize = 0;
            if (initrd != null)
            {
                initrdSize = (ulong)initrd.Length;
                if (!ram.Contains(initrdStart, initrdSize))
                {
                    throw new BootImageException(
                        $"the initrd ({initrdSize >> 10} KiB at 0x{initrdStart:x}) does not fit in {ram.Size >> 20} MiB of RAM; use a larger -m");
                }

                CheckFree(occupied, initrdStart, initrdSize, "the initrd");
                Copy(memory, initrdStart, initrd);
                occupied.Add((initrdStart, initrdStart + initrdSize, "the initrd"));
                initrdStartProp = initrdStart;
                initrdEndProp = initrdStart + initrdSize;
            }

            byte[] dtb = buildDtb(initrdStartProp, initrdEndProp);
            if ((ulong)dtb.Length > Align2M)
            {
                throw new BootImageException($"the device tree is {dtb.Length} bytes; Linux accepts at most 2 MiB");
            }

            ulong dtbAddress = ((initrdStart + initrdSize) + Align2M - 1) & ~(Align2M - 1);
            if (kernel.Format == KernelFormat.Elf && IsFree(occupied, ram.Base, (ulong)dtb.Length))
            {
                dtbAddress = ram.Base;
            }

            if (!ram.Contains(dtbAddress, (ulong)dtb.Length))
            {
                throw new BootImageException($"the device tree does not fit in RAM at 0x{dtbAddress:x}; use a larger -m");
            }

            CheckFree(occupied, dtbAddress, (ulong)dtb.Length, "the device tree");
            Copy(memory, dtbAddress, dtb);
            return new BootLayout
            {
                Format = kernel.Format,
                KernelStart = kernelStart,
                KernelEnd = kernelEnd,
                Entry = entry,
                InitrdStart = initrdStartProp,
                InitrdEnd = initrdEndProp,
                DtbAddress = dtbAddress,
                X0 = kernel.Format == KernelFormat.Elf ? 0 : dtbAddress,
                Warnings = warnings,
            };
        }

        private static void Copy(PhysicalAddressSpace memory, ulong pa, byte[] data)
        {
            if (memory.WriteRam(pa, data) != Arm.PhysicalFault.None)
            {
                throw new BootImageException($"cannot write {data.Length} bytes at 0x{pa:x}: not RAM");
            }
        }

        private static bool IsFree(List<(ulong Start, ulong End, string What)> occupied, ulong start, ulong size) =>
            occupied.TrueForAll(o => start + size <= o.Start || start >= o.End);

        private static void CheckFree(List<(ulong Start, ulong End, string What)> occupied, ulong start, ulong size, string what)
        {
            foreach (var o in occupied)
            {
                if (start < o.End && o.Start < start + size)
                {
                    throw new BootImageException($"{what} at 0x{start:x} would overlap {o.What} [0x{o.Start:x}, 0x{o.End:x})");
                }
            }
        }
    }
}
