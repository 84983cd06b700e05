using System.Text;
using Capvisor.Board.DeviceTree;
using Capvisor.Cli.Commands;

namespace Capvisor.Cli.Tests
{
    /// <summary><c>capvisor run</c> in-process through <see cref="GuestRunner"/>: serial output and messages captured.</summary>
    public sealed class RunCommandTests : IDisposable
    {
        private readonly string _dir = Directory.CreateTempSubdirectory("capvisor-run-").FullName;

        public void Dispose() => Directory.Delete(_dir, recursive: true);

        private static (int Status, string Serial, string Messages) Run(RunOptions options)
        {
            var serial = new MemoryStream();
            var messages = new StringWriter();
            int status = GuestRunner.Run(options, serial, null, messages);
            return (status, Encoding.UTF8.GetString(serial.ToArray()), messages.ToString());
        }

        [Fact]
        public void BareMetalDemoRunsToSystemOff()
        {
            var (status, serial, messages) = Run(new RunOptions { Kernel = BareMetalRunner.Elf("demo"), Deterministic = true, TimeoutSeconds = 60 });
            Assert.Equal(0, status);
            Assert.Contains("powering off with PSCI SYSTEM_OFF", serial);
            Assert.Equal("", messages); // nothing but the guest's output on a clean run
        }

        [Fact]
        public void DeterministicRunsPrintTheSame()
        {
            var options = new RunOptions { Kernel = BareMetalRunner.Elf("timer"), Deterministic = true, TimeoutSeconds = 60 };
            Assert.Equal(Run(options).Serial, Run(options).Serial);
        }

        [Fact]
        public void MissingKernelFileIsOneLineAndStatus2()
        {
            var (status, serial, messages) = Run(new RunOptions { Kernel = Path.Combine(_dir, "nope") });
            Assert.Equal(2, status);
            Assert.Equal("", serial);
            Assert.Single(messages.TrimEnd('\n').Split('\n'));
            Assert.Contains("does not exist", messages);
        }

        [Fact]
        public void NoKernelIsAUsageError()
        {
            Assert.Throws<UsageException>(() => Run(new RunOptions()));
        }

        [Fact]
        public void UnsupportedElfIsOneLineAndStatus2()
        {
            var elf = new byte[64];
            elf[0] = 0x7F;
            elf[1] = (byte)'E';
            elf[2] = (byte)'L';
            elf[3] = (byte)'F';
            elf[4] = 1; // ELFCLASS32
            elf[5] = 1;
            string path = Path.Combine(_dir, "arm32.elf");
            File.WriteAllBytes(path, elf);
            var (status, _, messages) = Run(new RunOptions { Kernel = path });
            Assert.Equal(2, status);
            Assert.Contains("64-bit", messages);
            Assert.Single(messages.TrimEnd('\n').Split('\n'));
        }

        [Fact]
        public void TimeoutIsStatus1WithAReason()
        {
            string path = Path.Combine(_dir, "spin.bin");
            File.WriteAllBytes(path, BitConverter.GetBytes(0x14000000u)); // b .
            var (status, _, messages) = Run(new RunOptions { Kernel = path, TimeoutSeconds = 0.3 });
            Assert.Equal(1, status);
            Assert.Contains("timed out", messages);
        }

        [Fact]
        public void DumpDtbWritesTheGeneratedTree()
        {
            string path = Path.Combine(_dir, "virt.dtb");
            var (status, serial, _) = Run(new RunOptions { DumpDtb = path, Cpus = 2, MemoryMiB = 256, Params = "quiet" });
            Assert.Equal(0, status);
            Assert.Equal("", serial);
            var root = FdtReader.Parse(File.ReadAllBytes(path));
            Assert.NotNull(root.Find("/cpus/cpu@1"));
            Assert.Equal([0u, 0x4000_0000u, 0u, 0x1000_0000u], root.Find("/memory@40000000")!.GetCells("reg")!);
            Assert.Equal("quiet", root.Find("/chosen")!.GetStrings("bootargs")![0]);
        }

        [Fact]
        public void UserDtbIsUsed()
        {
            string dtb = Path.Combine(_dir, "mine.dtb");
            Run(new RunOptions { DumpDtb = dtb });
            string copy = Path.Combine(_dir, "copy.dtb");
            var (status, _, _) = Run(new RunOptions { DumpDtb = copy, Dtb = dtb, Params = "x=1" });
            Assert.Equal(0, status);
            Assert.Equal("x=1", FdtReader.Parse(File.ReadAllBytes(copy)).Find("/chosen")!.GetStrings("bootargs")![0]);
        }

        [Fact]
        public void BadCpuCountIsStatus2()
        {
            var (status, _, messages) = Run(new RunOptions { DumpDtb = Path.Combine(_dir, "x.dtb"), Cpus = 0 });
            Assert.Equal(2, status);
            Assert.Contains("CPUs", messages);
        }
    }
}
