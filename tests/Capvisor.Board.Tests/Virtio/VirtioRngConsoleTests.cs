using Capvisor.Board.Virtio;

namespace Capvisor.Board.Tests.Virtio
{
    public sealed class VirtioRngConsoleTests
    {
        private static byte[] Entropy(ulong? seed, uint length)
        {
            using var d = new FakeDriver(m => new VirtioRng(seed));
            d.Initialise();
            d.Submit(0, (FakeDriver.DataBase, length, true));
            d.Notify(0);
            var used = d.TakeUsed(0);
            Assert.NotNull(used);
            Assert.Equal(length, used.Value.Len);
            return d.Ram.GetSpan(FakeDriver.DataBase, (int)length).ToArray();
        }

        [Fact]
        public void RngFillsTheBuffer()
        {
            var bytes = Entropy(null, 64);
            Assert.Contains(bytes, b => b != 0);
        }

        [Fact]
        public void DeterministicRngRepeats()
        {
            Assert.Equal(Entropy(42, 256), Entropy(42, 256));
            Assert.NotEqual(Entropy(42, 256), Entropy(43, 256));
        }

        [Fact]
        public void RngCapsLargeRequests()
        {
            using var d = new FakeDriver(m => new VirtioRng(1));
            d.Initialise();
            d.Submit(0, (FakeDriver.DataBase, 0x10000, true));
            d.Notify(0);
            Assert.Equal(4096u, d.TakeUsed(0)!.Value.Len);
        }

        [Fact]
        public void ConsoleTransmitsToTheStream()
        {
            var output = new MemoryStream();
            using var d = new FakeDriver(m => new VirtioConsole(output));
            Assert.Equal(3u, d.R(0x008));
            d.Initialise();
            "hello\n"u8.CopyTo(d.Ram.GetSpan(FakeDriver.DataBase, 6));
            d.Submit(1, (FakeDriver.DataBase, 6, false));
            d.Notify(1);
            Assert.Equal("hello\n", System.Text.Encoding.ASCII.GetString(output.ToArray()));
            Assert.NotNull(d.TakeUsed(1));
        }

        [Fact]
        public void ConsoleKeepsReceiveBuffers()
        {
            using var d = new FakeDriver(m => new VirtioConsole(null));
            d.Initialise();
            d.Submit(0, (FakeDriver.DataBase, 64, true));
            d.Notify(0);
            Assert.Null(d.TakeUsed(0));
            Assert.False(d.NeedsReset);
        }
    }
}
