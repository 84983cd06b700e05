using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace Capvisor.Cli.Tests
{
    /// <summary>
    /// The "newc" cpio format (070701, what the kernel unpacks as an initramfs), read from and
    /// written to gzip, so tests can build initramfs images of their own from the cached one's parts.
    /// </summary>
    internal static class NewcCpio
    {
        private const string Magic = "070701";
        private const string Trailer = "TRAILER!!!";

        /// <summary>The members of a gzipped newc archive.</summary>
        public static List<CpioEntry> ReadGzip(string path)
        {
            using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
            var raw = new MemoryStream();
            gz.CopyTo(raw);
            var bytes = raw.ToArray();
            var entries = new List<CpioEntry>();
            int at = 0;
            while (at + 110 <= bytes.Length)
            {
                string header = Encoding.ASCII.GetString(bytes, at, 110);
                if (!header.StartsWith(Magic, StringComparison.Ordinal))
                {
                    throw new InvalidDataException($"{path}: no newc header at offset {at}");
                }

                uint Field(int i) => uint.Parse(header.AsSpan(6 + (8 * i), 8), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                uint mode = Field(1);
                int size = checked((int)Field(6)), nameSize = checked((int)Field(11));
                string name = Encoding.UTF8.GetString(bytes, at + 110, nameSize - 1);
                at = Align4(at + 110 + nameSize);
                if (name == Trailer)
                {
                    break;
                }

                entries.Add(new CpioEntry(name.StartsWith("./", StringComparison.Ordinal) ? name[2..] : name, mode, bytes[at..(at + size)]));
                at = Align4(at + size);
            }

            return entries;
        }

        /// <summary>Writes <paramref name="entries"/> (owned by root, mtime 0) as a gzipped newc archive.</summary>
        public static void WriteGzip(string path, IEnumerable<CpioEntry> entries)
        {
            using var file = File.Create(path);
            using var gz = new GZipStream(file, CompressionLevel.Optimal);
            uint ino = 1;
            foreach (var e in entries)
            {
                WriteMember(gz, ino++, e.Mode, e.Name, e.Data);
            }

            WriteMember(gz, 0, 0, Trailer, []);
        }

        private static void WriteMember(Stream s, uint ino, uint mode, string name, byte[] data)
        {
            var nameBytes = Encoding.UTF8.GetBytes(name + "\0");
            uint nlink = (mode & CpioEntry.Directory) != 0 ? 2u : 1u;
            uint[] fields = [ino, mode, 0, 0, nlink, 0, (uint)data.Length, 0, 0, 0, 0, (uint)nameBytes.Length, 0];
            var header = new StringBuilder(Magic);
            foreach (var f in fields)
            {
                header.Append(f.ToString("x8", CultureInfo.InvariantCulture));
            }

            s.Write(Encoding.ASCII.GetBytes(header.ToString()));
            s.Write(nameBytes);
            s.Write(new byte[Align4(110 + nameBytes.Length) - (110 + nameBytes.Length)]);
            s.Write(data);
            s.Write(new byte[Align4(data.Length) - data.Length]);
        }

        private static int Align4(int n) => (n + 3) & ~3;
    }
}
