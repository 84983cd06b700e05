using System.Text;
using Capvisor.Board;

namespace Capvisor.Cli.Tests
{
    /// <summary>
    /// Whole-system test of the virtio devices: Debian's kernel with the initramfs from
    /// scripts/guest-assets.sh (which loads virtio_mmio, virtio_blk, virtio_rng, virtio_console)
    /// sees /dev/vda backed by a raw image, reads and writes a sector, reads /dev/hwrng, and has
    /// /dev/hvc0. Without the assets it passes unless CAPVISOR_REQUIRE_GUEST_ASSETS=1.
    /// </summary>
    public sealed class RunLinuxVirtioTests
    {
        [Fact]
        public void DebianSeesAVirtioDiskRngAndConsole()
        {
            if (!GuestAssets.TryFind(out string kernel, out string initrd))
            {
                return;
            }

            string image = Path.Combine(Path.GetTempPath(), $"capvisor-vda-{Guid.NewGuid():N}.img");
            try
            {
                var bytes = new byte[1 << 20];
                Encoding.ASCII.GetBytes("capvisor-sector-two").CopyTo(bytes, 2 * 512);
                File.WriteAllBytes(image, bytes);
                var console = new MemoryStream();
                MachineExit exit;
                string log;
                using (var disk = new FileStream(image, FileMode.Open, FileAccess.ReadWrite))
                {
                    (exit, log) = InProcessLinux.Run(kernel, initrd,
                        [
                            "echo size=$(cat /sys/block/vda/size) ro=$(cat /sys/block/vda/ro)",
                            "echo read=$(dd if=/dev/vda bs=512 skip=2 count=1 2>/dev/null | head -c 19)",
                            "echo written-by-guest | dd of=/dev/vda bs=512 seek=4 conv=sync,notrunc,fsync 2>/dev/null",
                            "echo rng=$(cat /sys/class/misc/hw_random/rng_current) $(head -c 8 /dev/hwrng | wc -c)",
                            "echo hvc-output > /dev/hvc0",
                            "sync",
                            "poweroff -f",
                        ],
                        o => o with { Disks = [new VirtioDisk(disk)], VirtioRng = true, VirtioConsoleOutput = console });
                }

                Assert.True(exit.Reason == MachineExitReason.SystemOff, $"{exit.Message}\n{InProcessLinux.Tail(log)}");
                Assert.True(log.Contains("[vda] 2048 512-byte logical blocks"), InProcessLinux.Tail(log));
                Assert.True(log.Contains("\nsize=2048 ro=0"), InProcessLinux.Tail(log));
                Assert.True(log.Contains("\nread=capvisor-sector-two"), InProcessLinux.Tail(log));
                Assert.True(log.Contains("\nrng=virtio_rng.0 8"), InProcessLinux.Tail(log));
                Assert.DoesNotContain("Unable to handle kernel", log);
                Assert.Contains("hvc-output", Encoding.ASCII.GetString(console.ToArray()));
                var after = File.ReadAllBytes(image);
                Assert.Equal("written-by-guest\n", Encoding.ASCII.GetString(after, 4 * 512, 17));
            }
            finally
            {
                File.Delete(image);
            }
        }

    }
}
