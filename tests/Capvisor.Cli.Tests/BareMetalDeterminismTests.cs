namespace Capvisor.Cli.Tests
{
    /// <summary>
    /// <c>capvisor run --deterministic</c> promises identical runs for identical inputs. The
    /// clock program prints raw counter values, spin counts and how far a second CPU counted
    /// while the first looped - numbers that vary from run to run under QEMU - so two
    /// deterministic runs printing the same is a real check of time and CPU scheduling.
    /// </summary>
    public sealed class BareMetalDeterminismTests
    {
        [Fact]
        public void ClockProgramPrintsTheSameTwice()
        {
            var elf = BareMetalRunner.Elf("clock");
            var first = BareMetalRunner.RunCapvisor(elf, cpus: 2, guestTimeoutSeconds: 60);
            Assert.True(first.Exited && first.ExitCode == 0,
                $"first run: exited {first.Exited}, status {first.ExitCode}; stderr:\n{first.StderrTail()}");
            Assert.Contains("clock: done", first.Serial, StringComparison.Ordinal);

            var second = BareMetalRunner.RunCapvisor(elf, cpus: 2, guestTimeoutSeconds: 60);
            Assert.True(second.Exited && second.ExitCode == 0,
                $"second run: exited {second.Exited}, status {second.ExitCode}; stderr:\n{second.StderrTail()}");
            if (first.Serial != second.Serial)
            {
                Assert.Fail("two deterministic runs differ:\n" +
                            BareMetalDiff.Unified(first.Serial, second.Serial, "run 1", "run 2"));
            }
        }
    }
}
