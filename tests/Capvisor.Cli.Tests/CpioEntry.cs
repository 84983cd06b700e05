namespace Capvisor.Cli.Tests
{
    /// <summary>One member of a cpio archive: a path without the leading "./", its mode and contents.</summary>
    internal sealed record CpioEntry(string Name, uint Mode, byte[] Data)
    {
        public const uint Directory = 0x4000, RegularFile = 0x8000;
    }
}
