namespace Capvisor.Cli.Tests
{
    /// <summary>
    /// Differential tests: each bare-metal program in guest/baremetal must print exactly what it
    /// prints under <c>qemu-system-aarch64 -M virt,gic-version=3 -cpu cortex-a57</c> when run by
    /// <c>capvisor run --deterministic</c>, and Capvisor must end it through PSCI SYSTEM_OFF
    /// (exit status 0). The programs print no times and no run-dependent addresses, so their
    /// QEMU transcripts are deterministic.
    /// </summary>
    public sealed class BareMetalDifferentialTests
    {
        private const int GuestTimeoutSeconds = 60;

        /// <summary>Program name (guest/baremetal/build/NAME.elf) and CPU count.</summary>
        public static TheoryData<string, int> Programs => new()
        {
            { "arith", 1 },
            { "exceptions", 1 },
            { "mmu", 1 },
            { "timer", 1 },
            { "psci", 2 },
            { "smp", 2 },
            { "fpsimd", 1 },
            { "devices", 1 },
            { "echo", 1 },
            { "debug", 1 },
            { "demo", 1 },
            { "bench-quick", 1 },
        };

        /// <summary>What a program reads from its serial console (standard input of both emulators).</summary>
        private static readonly Dictionary<string, string> Inputs = new()
        {
            ["echo"] = "hello, capvisor\nsecond line\n",
        };

        [Theory]
        [MemberData(nameof(Programs))]
        public void PrintsWhatQemuPrints(string program, int cpus)
        {
            var elf = BareMetalRunner.Elf(program);

            var input = Inputs.GetValueOrDefault(program);
            var qemu = BareMetalRunner.RunQemu(elf, cpus, TimeSpan.FromSeconds(GuestTimeoutSeconds), input);
            Assert.True(qemu.Exited && qemu.ExitCode == 0,
                $"the QEMU reference run of {program} did not end cleanly (exited {qemu.Exited}, status {qemu.ExitCode}):\n{qemu.StderrTail()}");
            Assert.DoesNotContain("UNEXPECTED EXCEPTION", qemu.Serial, StringComparison.Ordinal);
            Assert.False(qemu.Serial.Length == 0, $"the QEMU reference run of {program} printed nothing");

            var capvisor = BareMetalRunner.RunCapvisor(elf, cpus, GuestTimeoutSeconds, input);
            var how = capvisor.Exited
                ? $"capvisor exited with status {capvisor.ExitCode} after {capvisor.Elapsed.TotalSeconds:F1} s"
                : $"capvisor was killed after {capvisor.Elapsed.TotalSeconds:F1} s";
            if (capvisor.Serial != qemu.Serial)
            {
                Assert.Fail(
                    $"{program}: Capvisor's serial output differs from QEMU's.\n" +
                    $"First difference at {BareMetalDiff.FirstDifference(qemu.Serial, capvisor.Serial)}\n" +
                    $"{how}; its stderr ends:\n{capvisor.StderrTail()}\n\n" +
                    BareMetalDiff.Unified(qemu.Serial, capvisor.Serial, $"qemu/{program}", $"capvisor/{program}"));
            }

            Assert.True(capvisor.Exited && capvisor.ExitCode == 0,
                $"{program}: the output matches QEMU's but {how} (PSCI SYSTEM_OFF should give 0); stderr:\n{capvisor.StderrTail()}");
        }
    }
}
