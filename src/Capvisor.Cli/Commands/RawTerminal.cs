using System.Runtime.InteropServices;

namespace Capvisor.Cli.Commands
{
    /// <summary>
    /// Puts the controlling terminal on standard input into raw mode (no line editing, no echo, no
    /// signals) for the guest's serial console, as QEMU -nographic and kvmtool do, and restores it
    /// on dispose or process exit. Does nothing when standard input is not a terminal or not on Linux.
    /// </summary>
    internal sealed partial class RawTerminal : IDisposable
    {
        // termios is opaque here: a buffer larger than any libc's struct, filled by tcgetattr.
        private const int TermiosBufferSize = 256;
        private const int TcsaNow = 0;
        private readonly byte[]? _saved;

        private RawTerminal(byte[]? saved)
        {
            _saved = saved;
            if (saved != null)
            {
                AppDomain.CurrentDomain.ProcessExit += (_, _) => Restore();
            }
        }

        /// <summary>True when raw mode was entered.</summary>
        public bool Active => _saved != null;

        /// <summary>Enters raw mode if standard input is a terminal.</summary>
        public static RawTerminal Enter()
        {
            if (!OperatingSystem.IsLinux() || Console.IsInputRedirected)
            {
                return new RawTerminal(null);
            }

            try
            {
                if (isatty(0) != 1)
                {
                    return new RawTerminal(null);
                }

                var saved = new byte[TermiosBufferSize];
                if (tcgetattr(0, saved) != 0)
                {
                    return new RawTerminal(null);
                }

                var raw = (byte[])saved.Clone();
                cfmakeraw(raw);
                return tcsetattr(0, TcsaNow, raw) == 0 ? new RawTerminal(saved) : new RawTerminal(null);
            }
            catch (DllNotFoundException)
            {
                return new RawTerminal(null);
            }
            catch (EntryPointNotFoundException)
            {
                return new RawTerminal(null);
            }
        }

        /// <summary>Restores the terminal settings saved by <see cref="Enter"/>.</summary>
        public void Dispose() => Restore();

        private void Restore()
        {
            if (_saved != null)
            {
                tcsetattr(0, TcsaNow, _saved);
            }
        }

        [LibraryImport("libc", SetLastError = true)]
        private static partial int isatty(int fd);

        [LibraryImport("libc", SetLastError = true)]
        private static partial int tcgetattr(int fd, [Out] byte[] termios);

        [LibraryImport("libc", SetLastError = true)]
        private static partial int tcsetattr(int fd, int optionalActions, byte[] termios);

        [LibraryImport("libc")]
        private static partial void cfmakeraw([In, Out] byte[] termios);
    }
}
