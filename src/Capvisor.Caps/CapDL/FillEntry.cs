namespace Capvisor.Caps.CapDL
{
    /// <summary>
    /// One <c>fill</c> item of a frame: <c>{dest_offset length SOURCE...}</c>, e.g.
    /// <c>{0 4096 CDL_FrameFill_FileData "kernel.bin" 8192}</c>.
    /// </summary>
    /// <param name="Offset">Offset in the frame of the first byte written.</param>
    /// <param name="Length">Number of bytes written.</param>
    /// <param name="Source">The remaining words: the fill type and its arguments, as written (strings keep their quotes).</param>
    public sealed record FillEntry(ulong Offset, ulong Length, IReadOnlyList<string> Source)
    {
        /// <summary>The fill type that copies bytes from a file.</summary>
        public const string FileData = "CDL_FrameFill_FileData";

        /// <summary>True when the entry copies bytes from a file.</summary>
        public bool IsFileData => Source.Count == 3 && Source[0] == FileData;

        /// <summary>The file name of a file-data fill (without quotes).</summary>
        public string FileName => Source[1].Trim('"');

        /// <summary>The offset in the file of a file-data fill.</summary>
        public ulong FileOffset => CapdlNumber.Parse(Source[2]);

        /// <summary>Equality by value, including the source words.</summary>
        public bool Equals(FillEntry? other) =>
            other is not null && Offset == other.Offset && Length == other.Length && Source.SequenceEqual(other.Source);

        /// <inheritdoc/>
        public override int GetHashCode() => HashCode.Combine(Offset, Length, Source.Count);

        /// <inheritdoc/>
        public override string ToString() => $"{{{Offset} {Length} {string.Join(' ', Source)}}}";
    }
}
