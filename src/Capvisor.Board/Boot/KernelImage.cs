using System.Buffers.Binary;
using System.IO.Compression;

namespace Capvisor.Board.Boot
{
    /// <summary>A parsed kernel file: a Linux arm64 Image, an ELF64 AArch64 program or a raw binary.</summary>
    public sealed class KernelImage
    {
        /// <summary>Default load offset of a raw binary or a headerless Image (QEMU's KERNEL64_LOAD_ADDR).</summary>
        public const ulong RawLoadOffset = 0x8_0000;

        private const uint ImageMagic = 0x644D5241; // "ARM\x64" little-endian
        private const ushort ElfMachineAArch64 = 183;
        private const long MaxDecompressedBytes = 1L << 30;

        private KernelImage(KernelFormat format, byte[] data)
        {
            Format = format;
            Data = data;
        }

        /// <summary>The format.</summary>
        public KernelFormat Format { get; }

        /// <summary>The bytes to load (decompressed) for an Image or raw binary; the whole file for ELF.</summary>
        public byte[] Data { get; }

        /// <summary>Image: text_offset from the header.</summary>
        public ulong TextOffset { get; private init; }

        /// <summary>Image: image_size from the header (0 in very old kernels).</summary>
        public ulong ImageSize { get; private init; }

        /// <summary>Image: true when the header says the kernel may sit at any 2 MiB-aligned base (flags bit 3).</summary>
        public bool AnyBase { get; private init; }

        /// <summary>ELF: the entry point.</summary>
        public ulong Entry { get; private init; }

        /// <summary>ELF: the PT_LOAD segments.</summary>
        public IReadOnlyList<ElfSegment> Segments { get; private init; } = [];

        /// <summary>Parses a kernel file; <paramref name="name"/> is used in error messages.</summary>
        /// <exception cref="BootImageException">The file is empty, a corrupt gzip stream, or an ELF that is not a loadable AArch64 program.</exception>
        public static KernelImage Parse(byte[] file, string name)
        {
            if (file.Length == 0)
            {
                throw new BootImageException($"{name}: the kernel file is empty");
            }

            if (file.Length >= 4 && file[0] == 0x7F && file[1] == (byte)'E' && file[2] == (byte)'L' && file[3] == (byte)'F')
            {
                return ParseElf(file, name);
            }

            byte[] data = file;
            if (file.Length >= 2 && file[0] == 0x1F && file[1] == 0x8B)
            {
                data = Gunzip(file, name);
            }

            if (data.Length >= 0x40 && BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(0x38)) == ImageMagic)
            {
                ulong textOffset = BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(8));
                ulong imageSize = BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(16));
                ulong flags = BinaryPrimitives.ReadUInt64LittleEndian(data.AsSpan(24));
                if ((flags & 1) != 0)
                {
                    throw new BootImageException($"{name}: big-endian kernels are not supported");
                }

                return new KernelImage(KernelFormat.LinuxImage, data)
                {
                    // image_size 0 marks a pre-3.17 header whose text_offset is not meaningful.
                    TextOffset = imageSize == 0 ? RawLoadOffset : textOffset,
                    ImageSize = imageSize,
                    AnyBase = (flags & 8) != 0,
                };
            }

            return new KernelImage(KernelFormat.Raw, data);
        }

        private static byte[] Gunzip(byte[] file, string name)
        {
            try
            {
                using var input = new GZipStream(new MemoryStream(file), CompressionMode.Decompress);
                using var output = new MemoryStream();
                var buffer = new byte[81920];
                int n;
                while ((n = input.Read(buffer)) > 0)
                {
                    output.Write(buffer, 0, n);
                    if (output.Length > MaxDecompressedBytes)
                    {
                        throw new BootImageException($"{name}: decompresses to more than 1 GiB");
                    }
                }

                if (output.Length == 0)
                {
                    throw new BootImageException($"{name}: the gzip data is truncated or empty");
                }

                return output.ToArray();
            }
            catch (InvalidDataException e)
            {
                throw new BootImageException($"{name}: corrupt gzip data ({e.Message})");
            }
        }

        private static KernelImage ParseElf(byte[] f, string name)
        {
            if (f.Length < 64)
            {
                throw new BootImageException($"{name}: truncated ELF header");
            }

            if (f[4] != 2)
            {
                throw new BootImageException($"{name}: not a 64-bit ELF file (ELFCLASS{(f[4] == 1 ? "32" : f[4].ToString())}); only AArch64 programs run");
            }

            if (f[5] != 1)
            {
                throw new BootImageException($"{name}: not a little-endian ELF file");
            }

            ushort type = BinaryPrimitives.ReadUInt16LittleEndian(f.AsSpan(16));
            ushort machine = BinaryPrimitives.ReadUInt16LittleEndian(f.AsSpan(18));
            if (machine != ElfMachineAArch64)
            {
                throw new BootImageException($"{name}: ELF machine {machine} is not AArch64 (183)");
            }

            if (type is not (2 or 3))
            {
                throw new BootImageException($"{name}: ELF type {type} is not an executable (ET_EXEC or ET_DYN)");
            }

            ulong entry = BinaryPrimitives.ReadUInt64LittleEndian(f.AsSpan(24));
            ulong phoff = BinaryPrimitives.ReadUInt64LittleEndian(f.AsSpan(32));
            ushort phentsize = BinaryPrimitives.ReadUInt16LittleEndian(f.AsSpan(54));
            ushort phnum = BinaryPrimitives.ReadUInt16LittleEndian(f.AsSpan(56));
            if (phnum == 0 || phentsize < 56 || phoff > (ulong)f.Length || (ulong)phnum * phentsize > (ulong)f.Length - phoff)
            {
                throw new BootImageException($"{name}: ELF program headers are missing or outside the file");
            }

            var segments = new List<ElfSegment>();
            for (int i = 0; i < phnum; i++)
            {
                var ph = f.AsSpan((int)phoff + i * phentsize, 56);
                if (BinaryPrimitives.ReadUInt32LittleEndian(ph) != 1)
                {
                    continue; // only PT_LOAD is loaded
                }

                ulong offset = BinaryPrimitives.ReadUInt64LittleEndian(ph[8..]);
                ulong paddr = BinaryPrimitives.ReadUInt64LittleEndian(ph[24..]);
                ulong filesz = BinaryPrimitives.ReadUInt64LittleEndian(ph[32..]);
                ulong memsz = BinaryPrimitives.ReadUInt64LittleEndian(ph[40..]);
                if (filesz > memsz || offset > (ulong)f.Length || filesz > (ulong)f.Length - offset)
                {
                    throw new BootImageException($"{name}: PT_LOAD segment {i} lies outside the file or has p_filesz > p_memsz");
                }

                segments.Add(new ElfSegment(paddr, f.AsSpan((int)offset, (int)filesz).ToArray(), memsz));
            }

            if (segments.Count == 0)
            {
                throw new BootImageException($"{name}: the ELF file has no PT_LOAD segments");
            }

            return new KernelImage(KernelFormat.Elf, f) { Entry = entry, Segments = segments };
        }
    }
}
