using Capvisor.Cli.Commands;

namespace Capvisor.Cli.Tests
{
    public sealed class RunConsoleEscapeTests
    {
        private static (byte[] Data, bool Escaped) ReadAll(params byte[] input)
        {
            bool escaped = false;
            var stream = new ConsoleEscapeStream(new MemoryStream(input));
            stream.Escaped += () => escaped = true;
            var output = new MemoryStream();
            stream.CopyTo(output, 3); // small reads: the escape may straddle reads
            return (output.ToArray(), escaped);
        }

        [Fact]
        public void OrdinaryBytesPassThrough()
        {
            var (data, escaped) = ReadAll("ls -l\r\x03"u8.ToArray());
            Assert.Equal("ls -l\r\x03"u8.ToArray(), data);
            Assert.False(escaped);
        }

        [Fact]
        public void CtrlAXEndsInput()
        {
            var (data, escaped) = ReadAll([(byte)'a', 0x01, (byte)'x', (byte)'b']);
            Assert.Equal([(byte)'a'], data);
            Assert.True(escaped);
        }

        [Fact]
        public void DoubleCtrlASendsOneAndOtherPairsPassThrough()
        {
            var (data, escaped) = ReadAll([0x01, 0x01, 0x01, (byte)'c', (byte)'z']);
            Assert.Equal([0x01, 0x01, (byte)'c', (byte)'z'], data);
            Assert.False(escaped);
        }
    }
}
