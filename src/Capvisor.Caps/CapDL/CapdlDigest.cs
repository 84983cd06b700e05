using System.Security.Cryptography;
using System.Text;

namespace Capvisor.Caps.CapDL
{
    /// <summary>
    /// The measurement of a spec: SHA-256 over a domain-separation tag, the canonical text
    /// (<see cref="CapdlPrinter"/>) and, for every file-data fill, the SHA-256 of the bytes it
    /// writes. Formatting, comments, declaration order, slot numbering style and cap names
    /// do not change it; any object, capability, right, badge or fill byte does.
    /// </summary>
    public static class CapdlDigest
    {
        private const string Tag = "capvisor-capdl-measurement-v1\n";

        /// <summary>
        /// Computes the digest. <paramref name="readFile"/> returns a fill file's contents by the name
        /// the spec gives; it may be null only when the spec has no file-data fills.
        /// </summary>
        /// <exception cref="CapdlException">A fill file is missing or shorter than the fill needs.</exception>
        public static byte[] Compute(CapdlSpec spec, Func<string, byte[]>? readFile)
        {
            using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            h.AppendData(Encoding.UTF8.GetBytes(Tag));
            h.AppendData(Encoding.UTF8.GetBytes(CapdlPrinter.Print(spec)));
            foreach (SpecObject o in spec.Objects.Values)
            {
                for (int i = 0; i < o.Fill.Count; i++)
                {
                    FillEntry f = o.Fill[i];
                    if (!f.IsFileData)
                    {
                        continue;
                    }

                    byte[] content = FillBytes(spec, o, f, readFile);
                    h.AppendData(Encoding.UTF8.GetBytes($"fill {o.Id} {i} {Convert.ToHexStringLower(SHA256.HashData(content))}\n"));
                }
            }

            return h.GetHashAndReset();
        }

        /// <summary>The bytes a file-data fill writes into its frame.</summary>
        /// <exception cref="CapdlException">The file is missing or too short.</exception>
        public static byte[] FillBytes(CapdlSpec spec, SpecObject frame, FillEntry fill, Func<string, byte[]>? readFile)
        {
            string where = spec.Locations.TryGetValue(frame.Id, out SourceLocation loc) ? $"{loc}: " : string.Empty;
            if (readFile is null)
            {
                throw new CapdlException($"{where}frame '{frame.Id}' is filled from '{fill.FileName}', but no fill directory was given");
            }

            byte[] data;
            try
            {
                data = readFile(fill.FileName);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CapdlException($"{where}frame '{frame.Id}' is filled from '{fill.FileName}', which cannot be read: {e.Message}");
            }

            ulong off = fill.FileOffset;
            if (off > (ulong)data.Length || fill.Length > (ulong)data.Length - off)
            {
                throw new CapdlException($"{where}frame '{frame.Id}' fills {fill.Length} bytes from offset {off} of '{fill.FileName}', which has only {data.Length} bytes");
            }

            return data.AsSpan((int)off, (int)fill.Length).ToArray();
        }
    }
}
