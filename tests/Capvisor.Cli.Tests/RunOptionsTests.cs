using Capvisor.Cli.Commands;

namespace Capvisor.Cli.Tests
{
    public sealed class RunOptionsTests
    {
        [Fact]
        public void ShortAndLongFormsAreKvmtools()
        {
            var a = RunOptions.Parse(["-k", "Image", "-i", "initrd", "-p", "console=ttyAMA0", "-m", "256", "-c", "2"]);
            var b = RunOptions.Parse(["--kernel", "Image", "--initrd=initrd", "--params", "console=ttyAMA0", "--mem=256", "--cpus", "2"]);
            Assert.Equal(a, b);
            Assert.Equal("Image", a.Kernel);
            Assert.Equal("initrd", a.Initrd);
            Assert.Equal("console=ttyAMA0", a.Params);
            Assert.Equal(256, a.MemoryMiB);
            Assert.Equal(2, a.Cpus);
        }

        [Fact]
        public void Defaults()
        {
            var o = RunOptions.Parse([]);
            Assert.Equal(128, o.MemoryMiB);
            Assert.Equal(1, o.Cpus);
            Assert.False(o.Deterministic);
            Assert.Null(o.TimeoutSeconds);
        }

        [Theory]
        [InlineData("256M", 256)]
        [InlineData("1G", 1024)]
        [InlineData("2g", 2048)]
        [InlineData("64", 64)]
        public void MemorySizes(string value, int mib)
        {
            Assert.Equal(mib, RunOptions.Parse(["-m", value]).MemoryMiB);
        }

        [Fact]
        public void OtherOptions()
        {
            var o = RunOptions.Parse(["--dtb", "a.dtb", "--dumpdtb", "b.dtb", "--timeout", "2.5", "--deterministic", "--help"]);
            Assert.Equal("a.dtb", o.Dtb);
            Assert.Equal("b.dtb", o.DumpDtb);
            Assert.Equal(2.5, o.TimeoutSeconds);
            Assert.True(o.Deterministic);
            Assert.True(o.Help);
        }

        [Theory]
        [InlineData("--frobnicate")]
        [InlineData("-k")]
        [InlineData("-m", "lots")]
        [InlineData("-c", "-1")]
        [InlineData("--timeout", "0")]
        [InlineData("--timeout", "soon")]
        [InlineData("-d", ",ro")]
        [InlineData("--realm")]
        public void BadArgumentsAreUsageErrors(params string[] args)
        {
            Assert.Throws<UsageException>(() => RunOptions.Parse(args));
        }

        [Fact]
        public void HelpListsEveryOption()
        {
            foreach (var option in new[] { "-k, --kernel", "-i, --initrd", "-p, --params", "-m, --mem", "-c, --cpus", "--dtb", "--dumpdtb", "--timeout", "--deterministic" })
            {
                Assert.Contains(option, RunOptions.Usage);
            }
        }
    }
}
