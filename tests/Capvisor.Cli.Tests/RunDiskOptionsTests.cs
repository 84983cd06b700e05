using Capvisor.Cli.Commands;

namespace Capvisor.Cli.Tests
{
    public sealed class RunDiskOptionsTests
    {
        [Fact]
        public void DisksParseInKvmtoolSpelling()
        {
            var o = RunOptions.Parse(["-k", "Image", "-d", "a.img", "--disk", "b.img,ro", "--disk=c.img", "--rng"]);
            Assert.Equal([new DiskOption("a.img", false), new DiskOption("b.img", true), new DiskOption("c.img", false)], o.Disks);
            Assert.True(o.Rng);
            Assert.Contains("-d, --disk FILE[,ro]", RunOptions.Usage);
            Assert.Contains("--rng", RunOptions.Usage);
        }

        [Fact]
        public void VirtioConsoleTakesAFile()
        {
            var o = RunOptions.Parse(["-k", "Image", "--virtio-console", "hvc0.log"]);
            Assert.Equal("hvc0.log", o.VirtioConsole);
            Assert.Contains("--virtio-console FILE", RunOptions.Usage);
        }

        [Fact]
        public void AMissingDiskIsAnArgumentError()
        {
            var messages = new StringWriter();
            string missing = Path.Combine(Path.GetTempPath(), $"capvisor-missing-{Guid.NewGuid():N}.img");
            int status = GuestRunner.Run(new RunOptions { Kernel = BareMetalRunner.Elf("demo"), Disks = [new DiskOption(missing, false)] },
                new MemoryStream(), null, messages);
            Assert.Equal(2, status);
            Assert.Contains("does not exist", messages.ToString());
        }

        [Fact]
        public void DumpDtbWithADiskListsOneVirtioNode()
        {
            string image = Path.GetTempFileName(), dtb = Path.GetTempFileName();
            try
            {
                File.WriteAllBytes(image, new byte[8192]);
                var messages = new StringWriter();
                int status = GuestRunner.Run(new RunOptions { DumpDtb = dtb, Disks = [new DiskOption(image, true)] }, new MemoryStream(), null, messages);
                Assert.Equal(0, status);
                var root = Board.DeviceTree.FdtReader.Parse(File.ReadAllBytes(dtb));
                Assert.Single(root.Children, c => c.Name.StartsWith("virtio_mmio@", StringComparison.Ordinal));
                Assert.NotNull(root.Child("virtio_mmio@a003e00"));
            }
            finally
            {
                File.Delete(image);
                File.Delete(dtb);
            }
        }
    }
}
