using System.Text;
using Capvisor.Board;
using Capvisor.Cli.Commands;

namespace Capvisor.Cli.Tests
{
    /// <summary>
    /// Whole-system smoke test: Debian's arm64 kernel (scripts/guest-assets.sh) boots on the board
    /// in deterministic mode with 2 CPUs until it starts /init. Without the assets it passes
    /// unless CAPVISOR_REQUIRE_GUEST_ASSETS=1, which the test command sets after fetching them.
    /// </summary>
    public sealed class RunLinuxBootTests
    {
        private const string InitMarker = "Run /init as init process";

        [Fact]
        public void DebianKernelBootsToInitWithTwoCpus()
        {
            if (!GuestAssets.TryFind(out string kernel, out string initrd))
            {
                return;
            }

            using var cancel = new CancellationTokenSource();
            var serial = new MarkerStream(InitMarker, cancel);
            var messages = new StringWriter();
            GuestRunner.Run(new RunOptions
            {
                Kernel = kernel,
                Initrd = initrd,
                Params = "console=ttyAMA0 nokaslr panic=-1",
                Cpus = 2,
                Deterministic = true,
                TimeoutSeconds = 600,
            }, serial, null, messages, cancel.Token);

            string log = serial.Text;
            Assert.True(log.Contains(InitMarker), $"the kernel did not reach /init; {messages}\n{Tail(log)}");
            Assert.Contains("Booting Linux on physical CPU 0x0000000000 [0x411fd070]", log);
            Assert.Contains("psci: PSCIv1.1 detected in firmware.", log);
            Assert.Contains("GICv3: CPU0: found redistributor 0 region 0:0x00000000080a0000", log);
            Assert.Contains("GICv3: CPU1: found redistributor 1 region 0:0x00000000080c0000", log);
            Assert.Contains("arch_timer: cp15 timer(s) running at 62.50MHz (virt).", log);
            Assert.Contains("smp: Brought up 1 node, 2 CPUs", log);
            Assert.Contains("9000000.pl011: ttyAMA0 at MMIO 0x9000000", log);
            Assert.Contains("rtc-pl031 9010000.pl031: registered as rtc0", log);
            Assert.DoesNotContain("Unable to handle kernel", log);
        }

        [Fact]
        public void DebianShellRunsACommandAndPowersOff()
        {
            if (!GuestAssets.TryFind(out string kernel, out string initrd))
            {
                return;
            }

            var (exit, log) = InProcessLinux.Run(kernel, initrd, ["echo capvisor-$((6*7))", "poweroff -f"]);
            Assert.True(exit.Reason == MachineExitReason.SystemOff, $"{exit.Message}\n{Tail(log)}");
            Assert.Contains("\ncapvisor-42", log);
            Assert.Contains("reboot: Power down", log);
        }

        private static string Tail(string log) => log.Length > 3000 ? log[^3000..] : log;

        /// <summary>Collects serial output and cancels the run once a marker line has been printed.</summary>
        private sealed class MarkerStream(string marker, CancellationTokenSource cancel) : Stream
        {
            private readonly StringBuilder _text = new();

            public string Text => _text.ToString();

            public override bool CanRead => false;
            public override bool CanSeek => false;
            public override bool CanWrite => true;
            public override long Length => _text.Length;
            public override long Position { get => _text.Length; set => throw new NotSupportedException(); }

            public override void Write(byte[] buffer, int offset, int count)
            {
                if (_text.Length > 16 << 20)
                {
                    return; // a runaway guest must not eat the host's memory
                }

                int start = Math.Max(0, _text.Length - marker.Length);
                _text.Append(Encoding.UTF8.GetString(buffer, offset, count));
                if (_text.ToString(start, _text.Length - start).Contains(marker, StringComparison.Ordinal))
                {
                    cancel.Cancel();
                }
            }

            public override void Flush()
            {
            }

            public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
            public override void SetLength(long value) => throw new NotSupportedException();
        }
    }
}
