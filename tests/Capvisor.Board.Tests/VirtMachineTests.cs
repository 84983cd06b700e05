using Capvisor.Arm;
using Capvisor.Board.Interrupts;
using Capvisor.Board.Tests.Infrastructure;
using Capvisor.Board.Timers;
using static Capvisor.Board.Tests.Infrastructure.A64;

namespace Capvisor.Board.Tests
{
    public sealed class VirtMachineTests
    {
        private static readonly uint CntvctEl0 = Encode(3, 3, 14, 0, 2);
        private static readonly uint CntvCtlEl0 = Encode(3, 3, 14, 3, 1);
        private static readonly uint CntvCvalEl0 = Encode(3, 3, 14, 3, 2);
        private static readonly uint VbarEl1 = Encode(3, 0, 12, 0, 0);

        [Fact]
        public void ProgramPrintsThroughTheUartAndSwitchesOff()
        {
            var code = PutChar('H').Concat(PutChar('i')).Concat(PutChar('\n')).Concat(SystemOff());
            var (exit, serial, machine) = Machines.RunProgram(code);
            using (machine)
            {
                Assert.Equal(MachineExitReason.SystemOff, exit.Reason);
                Assert.Equal(0, exit.ExitCode);
                Assert.Equal("Hi\n", serial);
            }
        }

        [Fact]
        public void DeterministicRunsAreIdentical()
        {
            var code = PutChar('x').Concat(Mov64(5, 0)).Concat(Mrs(6, CntvctEl0).Yield()).Concat(SystemOff()).ToArray();
            var a = Machines.RunProgram(code);
            var b = Machines.RunProgram(code);
            using (a.Machine)
            using (b.Machine)
            {
                Assert.Equal(a.Serial, b.Serial);
                Assert.Equal(a.Machine.Cpus[0].Retired, b.Machine.Cpus[0].Retired);
                Assert.Equal(a.Machine.Cpus[0].X[6], b.Machine.Cpus[0].X[6]);
                Assert.Equal(a.Machine.Clock.NowNs, b.Machine.Clock.NowNs);
            }
        }

        [Fact]
        public void WfiWithTimerArmedJumpsTimeToTheDeadlineAndTakesThePpi()
        {
            const ulong ticks = 1_000_000; // 16 ms of machine time
            var code = new List<uint>();
            code.AddRange(Mov64(1, VirtMemoryMap.GicDistributor));
            code.AddRange(Mov64(2, 3));
            code.Add(StrW(2, 1)); // GICD_CTLR: enable groups 0 and 1
            code.AddRange(Mov64(1, VirtMemoryMap.GicRedistributors + 0x14));
            code.AddRange(Mov64(2, 0));
            code.Add(StrW(2, 1)); // GICR_WAKER: awake
            code.AddRange(Mov64(1, VirtMemoryMap.GicRedistributors + 0x10080));
            code.AddRange(Mov64(2, 0xFFFF_FFFF));
            code.Add(StrW(2, 1)); // GICR_IGROUPR0: all group 1
            code.AddRange(Mov64(1, VirtMemoryMap.GicRedistributors + 0x10100));
            code.AddRange(Mov64(2, 1u << GenericTimer.VirtualIntid));
            code.Add(StrW(2, 1)); // GICR_ISENABLER0: the virtual timer
            code.AddRange(Mov64(3, 0xF0));
            code.Add(Msr(GicV3.Registers.ICC_PMR_EL1, 3));
            code.AddRange(Mov64(3, 1));
            code.Add(Msr(GicV3.Registers.ICC_IGRPEN1_EL1, 3));
            code.Add(Mrs(5, CntvctEl0));
            code.AddRange(Mov64(6, ticks));
            code.Add(0x8B0600A5); // add x5, x5, x6
            code.Add(Msr(CntvCvalEl0, 5));
            code.AddRange(Mov64(6, 1));
            code.Add(Msr(CntvCtlEl0, 6));
            code.Add(Wfi); // DAIF is masked: the pending IRQ wakes WFI without being taken
            code.Add(Mrs(7, GicV3.Registers.ICC_IAR1_EL1));
            code.Add(Mrs(8, CntvctEl0));
            code.AddRange(SystemOff());

            var (exit, _, machine) = Machines.RunProgram(code);
            using (machine)
            {
                Assert.Equal(MachineExitReason.SystemOff, exit.Reason);
                var cpu = machine.Cpus[0];
                Assert.Equal((ulong)GenericTimer.VirtualIntid, cpu.X[7]);
                Assert.True(cpu.X[8] >= cpu.X[5], "the counter must have reached the deadline");
                Assert.True(cpu.Retired < 1000, "time jumped: almost no instructions ran");
            }
        }

        [Fact]
        public void WaitingForeverIsADeadlock()
        {
            var (exit, _, machine) = Machines.RunProgram([Wfi, BranchSelf]);
            using (machine)
            {
                Assert.Equal(MachineExitReason.Deadlock, exit.Reason);
                Assert.NotEqual(0, exit.ExitCode);
            }
        }

        [Fact]
        public void SpinningHitsTheTimeout()
        {
            var (exit, _, machine) = Machines.RunProgram([BranchSelf], timeout: TimeSpan.FromMilliseconds(200));
            using (machine)
            {
                Assert.Equal(MachineExitReason.Timeout, exit.Reason);
                Assert.Contains("timed out", exit.Message);
            }
        }

        [Fact]
        public void ExceptionToAnUnmappedVectorIsReportedAsALoop()
        {
            // VBAR_EL1 = 0 (no memory there); then an undefined instruction: every vector fetch aborts.
            var code = Mov64(1, 0).Append(Msr(VbarEl1, 1)).Append(0u);
            var (exit, _, machine) = Machines.RunProgram(code);
            using (machine)
            {
                Assert.Equal(MachineExitReason.ExceptionLoop, exit.Reason);
                Assert.Contains("ESR_EL1=0x", exit.Message);
                Assert.Contains("ELR_EL1=0x200", exit.Message);
            }
        }

        [Fact]
        public void SecondaryCpusStartPoweredOffAndLastCpuOffEndsTheRun()
        {
            using var machine = Machines.Create(cpus: 3);
            Assert.All(machine.Cpus, c => Assert.False(c.PoweredOn));
            Assert.Equal(MachineExitReason.AllCpusOff, machine.Run().Reason);
        }

        [Fact]
        public void UartInputReachesTheGuest()
        {
            // Read UARTDR once the RX FIFO is non-empty, echo it, switch off.
            var code = new List<uint>();
            code.AddRange(Mov64(1, VirtMemoryMap.Uart));
            code.Add(LdrW(3, 1)); // UARTDR
            code.Add(StrB(3, 1));
            code.AddRange(SystemOff());
            var (exit, serial, machine) = Machines.RunProgram(code, input: new MemoryStream("Z"u8.ToArray()));
            using (machine)
            {
                Assert.Equal(MachineExitReason.SystemOff, exit.Reason);
                Assert.Equal("Z", serial);
            }
        }

        [Fact]
        public void InputIsHeldBackUntilTheMarkerIsPrinted()
        {
            // Prints '>' then reads UARTDR: with the input held until '>', the read finds 'Q'.
            // Without the marker having been printed yet, an earlier read would find nothing.
            var code = new List<uint>();
            code.AddRange(Mov64(1, VirtMemoryMap.Uart));
            code.Add(LdrW(4, 1)); // UARTDR before the prompt: empty
            code.AddRange(PutChar('>'));
            code.AddRange(Mov64(9, 30_000));
            code.Add(0xF1000529); // subs x9, x9, #1 (wait a few quanta)
            code.Add(0x54000001u | ((uint)(-1 & 0x7FFFF) << 5)); // b.ne
            code.Add(LdrW(3, 1)); // UARTDR after the prompt
            code.AddRange(SystemOff());
            var output = new MemoryStream();
            using var m = new VirtMachine(new VirtMachineOptions
            {
                MemoryMiB = 16,
                Kernel = Elf(code, VirtMemoryMap.RamBase + 0x8_0000),
                Deterministic = true,
                SerialOutput = output,
                SerialInput = new MemoryStream("Q"u8.ToArray()),
                SerialInputAfter = ">",
            }, mc => new TestFirmware(mc));
            Assert.Equal(MachineExitReason.SystemOff, m.Run().Reason);
            Assert.Equal(0ul, m.Cpus[0].X[4]);
            Assert.Equal((ulong)'Q', m.Cpus[0].X[3]);
            Assert.Equal(">", System.Text.Encoding.ASCII.GetString(output.ToArray()));
        }

        [Fact]
        public void FindCpuFollowsMpidrLayout()
        {
            using var machine = Machines.Create(cpus: 10);
            Assert.Equal(0, machine.FindCpu(0x8000_0000));
            Assert.Equal(7, machine.FindCpu(7));
            Assert.Equal(9, machine.FindCpu(0x101));
            Assert.Equal(-1, machine.FindCpu(8));
            Assert.Equal(-1, machine.FindCpu(0x102));
            Assert.Equal(-1, machine.FindCpu(0x1_0000_0000));
            Assert.Equal(0x101ul, machine.Cpus[9].Mpidr & 0xFFFF);
        }

        [Fact]
        public void SevSignalsEveryCpu()
        {
            using var m = new VirtMachine(new VirtMachineOptions { CpuCount = 2 });
            ((ICpuHost)m).SendEventToAll(m.Cpus[0]);
            m.Cpus[1].WaitForEvent(); // consumes the event instead of sleeping
            Assert.False(m.Cpus[1].Waiting);
            m.Cpus[1].WaitForEvent();
            Assert.True(m.Cpus[1].Waiting);
        }

        [Fact]
        public void OptionsOutOfRangeAreRejected()
        {
            Assert.Throws<ArgumentException>(() => new VirtMachine(new VirtMachineOptions { CpuCount = 0 }));
            Assert.Throws<ArgumentException>(() => new VirtMachine(new VirtMachineOptions { CpuCount = 124 }));
            Assert.Throws<ArgumentException>(() => new VirtMachine(new VirtMachineOptions { MemoryMiB = 1 }));
        }
    }

    internal static class EnumerableExtensions
    {
        public static IEnumerable<uint> Yield(this uint word) => [word];
    }
}
