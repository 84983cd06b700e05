using System.Globalization;
using System.Text;

namespace Capvisor.Cli.Tests
{
    /// <summary>
    /// guest/baremetal/virtio-evil.c, a malicious virtio-blk driver, against <c>capvisor run -d</c>:
    /// every hostile request (looping chains, buffers outside RAM, 0xFFFFFFFF lengths, ranges that
    /// wrap, available indices more than a queue ahead, bad indirect tables, bad rings and queue
    /// sizes) must leave the device in DEVICE_NEEDS_RESET with nothing used, requests the device can
    /// parse but must refuse must get an error status byte, a reset must bring the device back, and
    /// the program must run to its end (Capvisor neither crashes nor hangs).
    /// </summary>
    /// <remarks>
    /// QEMU 7.2 (<c>-global virtio-mmio.force-legacy=false -device virtio-blk-device</c>) also runs
    /// the program to its end, but is more lenient: it completes requests whose buffers lie outside
    /// RAM (through its bounce buffer: writes dropped), requests with an indirect descriptor that was
    /// not negotiated or that also has NEXT, queue sizes 3 and 4096 (it keeps 256), rings outside RAM
    /// (no check at QueueReady), requests notified before DRIVER_OK (it processes them at once), and
    /// DRIVER_OK without FEATURES_OK; QueueReady of queue 9, which virtio-blk does not have, reads back
    /// 1; it reports QueueNumMax 1024 (VIRTQUEUE_MAX_SIZE) where Capvisor reports the queue's 256, and
    /// raises used-buffer and configuration interrupts (3) where Capvisor raises the configuration
    /// interrupt (2) with NEEDS_RESET. It logs each error on stderr ("Looped
    /// descriptor", "Virtqueue size exceeded", ...). Its transcript is therefore not required to be
    /// equal; it is used to show that the program's well-formed requests are right.
    /// </remarks>
    public sealed class BareMetalVirtioEvilTests
    {
        private const string Expected = """
            virtio-evil: start
            transport 31: version 2 device 2
            queue 0 max 256, queue 9 max 0
            good read: status 0f, interrupt 1, used 1 (len 513, blk status 0)
              sector 0: capvisor
            looping chain: status 4f NEEDS_RESET, interrupt 2, used 0
            self loop: status 4f NEEDS_RESET, interrupt 2, used 0
            buffer past RAM: status 4f NEEDS_RESET, interrupt 2, used 0
            buffer far outside RAM: status 4f NEEDS_RESET, interrupt 2, used 0
            huge length: status 4f NEEDS_RESET, interrupt 2, used 0
            wrapping range: status 4f NEEDS_RESET, interrupt 2, used 0
            avail idx +13: status 4f NEEDS_RESET, interrupt 2, used 0
            avail idx +0x8000: status 4f NEEDS_RESET, interrupt 2, used 0
            head outside table: status 4f NEEDS_RESET, interrupt 2, used 0
            next outside table: status 4f NEEDS_RESET, interrupt 2, used 0
            writable before readable: status 4f NEEDS_RESET, interrupt 2, used 0
            indirect not negotiated: status 4f NEEDS_RESET, interrupt 2, used 0
            indirect read: status 0f, interrupt 1, used 1 (len 513, blk status 0)
            indirect length 44: status 4f NEEDS_RESET, interrupt 2, used 0
            nested indirect: status 4f NEEDS_RESET, interrupt 2, used 0
            indirect with NEXT: status 4f NEEDS_RESET, interrupt 2, used 0
            indirect table past RAM: status 4f NEEDS_RESET, interrupt 2, used 0
            loop in indirect table: status 4f NEEDS_RESET, interrupt 2, used 0
            sector past the end: status 0f, interrupt 1, used 1 (len 1, blk status 1)
            unknown request type: status 0f, interrupt 1, used 1 (len 1, blk status 2)
            short header: status 4f NEEDS_RESET, interrupt 2, used 0
            rings outside RAM: status after DRIVER_OK 4f
            rings outside RAM: status 4f NEEDS_RESET, interrupt 0, used 0
            misaligned descriptor table: status 4f NEEDS_RESET, interrupt 0, used 0
            queue size 3: status 4f NEEDS_RESET, interrupt 0, used 0
            queue size 4096: status 4f NEEDS_RESET, interrupt 0, used 0
            notify before DRIVER_OK: used 0
            then DRIVER_OK: status 0f, interrupt 1, used 1 (len 513, blk status 0)
            DRIVER_OK without FEATURES_OK: status 40 NEEDS_RESET, interrupt 0, used 0
            queue 9: ready 0, byte read of magic 0, halfword read of version 0
            queue 9 and narrow accesses: status 0f, interrupt 0, used 0
            notify queue 7: status 0f, interrupt 0, used 0
            good read after all that: status 0f, interrupt 1, used 1 (len 513, blk status 0)
              sector 0: capvisor
            31 cases, 23 left the device needing a reset
            virtio-evil: done

            """;

        [Fact]
        public void HostileVirtqueuesGetNeedsResetAndTheProgramFinishes()
        {
            var elf = BareMetalRunner.Elf("virtio-evil");
            string image = DiskImage();
            try
            {
                var run = BareMetalRunner.Run(LinuxSession.DotnetHost,
                    [LinuxSession.CapvisorDll, "run", "-k", elf, "-m", "128", "-d", image, "--deterministic", "--timeout", "120"],
                    TimeSpan.FromMinutes(3));
                Assert.True(run.Exited && run.ExitCode == 0, $"exit {run.ExitCode}\n{run.Serial}\n{run.StderrTail()}");
                Assert.True(Expected.ReplaceLineEndings("\n") == run.Serial.ReplaceLineEndings("\n"),
                    BareMetalDiff.Unified(Expected, run.Serial, "expected", "capvisor"));

                // The disk is as it was: none of the refused requests wrote to it.
                Assert.Equal(File.ReadAllBytes(image), ExpectedDisk());
            }
            finally
            {
                File.Delete(image);
            }
        }

        [Fact]
        public void QemuRunsTheProgramToItsEndAndServesItsWellFormedReads()
        {
            var elf = BareMetalRunner.Elf("virtio-evil");
            string image = DiskImage();
            try
            {
                var args = new List<string>(BareMetalRunner.QemuMachine)
                {
                    "-display", "none", "-serial", "stdio", "-monitor", "none", "-nic", "none", "-no-reboot",
                    "-global", "virtio-mmio.force-legacy=false",
                    "-drive", $"file={image},if=none,format=raw,id=d0", "-device", "virtio-blk-device,drive=d0",
                    "-kernel", elf,
                };
                var run = BareMetalRunner.Run("qemu-system-aarch64", args, TimeSpan.FromMinutes(2));
                Assert.True(run.Exited && run.ExitCode == 0, $"exit {run.ExitCode}\n{run.Serial}\n{run.StderrTail()}");
                Assert.Contains("\ngood read: status 0f, interrupt 1, used 1 (len 513, blk status 0)\n  sector 0: capvisor\n", run.Serial);
                Assert.Contains("\ngood read after all that: status 0f, interrupt 1, used 1 (len 513, blk status 0)\n  sector 0: capvisor\n", run.Serial);
                Assert.Contains("\nindirect read: status 0f, interrupt 1, used 1 (len 513, blk status 0)\n", run.Serial);
                Assert.Contains("\nlooping chain: status 4f NEEDS_RESET", run.Serial);
                Assert.Contains("\nsector past the end: status 0f, interrupt 1, used 1 (len 513, blk status 1)\n", run.Serial);
                Assert.EndsWith("virtio-evil: done\n", run.Serial);
            }
            finally
            {
                File.Delete(image);
            }
        }

        private static byte[] ExpectedDisk()
        {
            var bytes = new byte[64 * 1024];
            Encoding.ASCII.GetBytes("capvisor-evil-disk").CopyTo(bytes, 0);
            return bytes;
        }

        private static string DiskImage()
        {
            string path = Path.Combine(Path.GetTempPath(),
                string.Create(CultureInfo.InvariantCulture, $"capvisor-evil-{Guid.NewGuid():N}.img"));
            File.WriteAllBytes(path, ExpectedDisk());
            return path;
        }
    }
}
