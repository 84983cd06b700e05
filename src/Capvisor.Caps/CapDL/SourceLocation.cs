namespace Capvisor.Caps.CapDL
{
    /// <summary>A position in a source file, 1-based, for error messages.</summary>
    /// <param name="File">The file name as the user gave it.</param>
    /// <param name="Line">Line number, from 1.</param>
    /// <param name="Column">Column number, from 1.</param>
    public readonly record struct SourceLocation(string File, int Line, int Column)
    {
        /// <inheritdoc/>
        public override string ToString() => $"{File}:{Line}:{Column}";
    }
}
