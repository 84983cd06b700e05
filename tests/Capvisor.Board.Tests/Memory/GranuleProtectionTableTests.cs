using Capvisor.Arm;
using Capvisor.Board.Memory;
using Capvisor.Board.Tests.Infrastructure;

namespace Capvisor.Board.Tests.Memory
{
    public sealed unsafe class GranuleProtectionTableTests
    {
        private const ulong Target = VirtMemoryMap.RamBase + 0x40_0000;

        private static readonly SecurityState[] States = [SecurityState.NonSecure, SecurityState.Secure, SecurityState.Realm, SecurityState.Root];

        public static TheoryData<SecurityState, SecurityState> Matrix()
        {
            var data = new TheoryData<SecurityState, SecurityState>();
            foreach (var state in States)
            {
                foreach (var pas in States)
                {
                    data.Add(state, pas);
                }
            }

            return data;
        }

        private static bool Expected(SecurityState state, SecurityState pas) => state switch
        {
            SecurityState.Root => true,
            SecurityState.Secure => pas is SecurityState.Secure or SecurityState.NonSecure,
            SecurityState.Realm => pas is SecurityState.Realm or SecurityState.NonSecure,
            _ => pas == SecurityState.NonSecure,
        };

        private static VirtMachine Create(byte[]? kernel = null, bool enableRmm = true) =>
            new(new VirtMachineOptions
            {
                MemoryMiB = 16,
                Kernel = kernel,
                Deterministic = true,
                Timeout = TimeSpan.FromSeconds(20),
                EnableRmm = enableRmm,
            }, m => new TestFirmware(m));

        [Theory]
        [MemberData(nameof(Matrix))]
        public void EveryAccessIsCheckedAgainstTheAccessingState(SecurityState state, SecurityState pas)
        {
            using var m = Create();
            var gpt = m.Gpt!;
            var cpu = m.Cpus[0];
            m.Ram.GetSpan(Target, 8).Fill(0x77);
            gpt.SetPas(Target, pas);
            bool ok = Expected(state, pas);
            var want = ok ? PhysicalFault.None : PhysicalFault.GranuleProtection;
            Assert.Equal(ok, GranuleProtectionTable.Permits(state, pas));
            Assert.Equal(want, gpt.Check(Target + 0x123, state));

            // The CPU's path: GetRamPage serves instruction fetches, loads and stores alike.
            byte* page = m.Memory.GetRamPage(Target, state, out var fault);
            Assert.Equal(want, fault);
            Assert.Equal(ok, page != null);
            Assert.Equal(want, m.Memory.Read(cpu, Target, 8, state, out ulong value));
            Assert.Equal(ok ? 0x7777_7777_7777_7777ul : 0ul, value);
            Assert.Equal(want, m.Memory.Write(cpu, Target + 8, 4, state, 0x1234));

            // Device models and firmware: ReadRam / WriteRam.
            var buffer = new byte[16];
            Assert.Equal(want, m.Memory.ReadRam(Target, buffer, state));
            Assert.Equal(ok ? 0x77 : 0, buffer[0]);
            Assert.Equal(want, m.Memory.WriteRam(Target + 16, buffer, state));

            // Bounds-checked host views.
            if (ok)
            {
                Assert.Equal(16, m.Ram.GetSpan(Target, 16, state).Length);
            }
            else
            {
                Assert.Throws<UnauthorizedAccessException>(() => m.Ram.GetSpan(Target, 16, state));
            }

            // The host itself is Non-secure.
            if (pas == SecurityState.NonSecure)
            {
                Assert.Equal(8, m.Ram.GetSpan(Target, 8).Length);
                Assert.Equal(PhysicalFault.None, m.Memory.ReadRam(Target, buffer));
            }
            else
            {
                Assert.Throws<UnauthorizedAccessException>(() => m.Ram.GetSpan(Target, 8));
                Assert.Equal(PhysicalFault.GranuleProtection, m.Memory.ReadRam(Target, buffer));
                Assert.Equal(PhysicalFault.GranuleProtection, m.Memory.WriteRam(Target, buffer));
            }

            // Neighbouring granules are untouched.
            Assert.Equal(PhysicalFault.None, gpt.Check(Target - 1, SecurityState.NonSecure));
            Assert.Equal(PhysicalFault.None, gpt.Check(Target + 0x1000, SecurityState.NonSecure));
        }

        [Fact]
        public void RangesThatTouchAProtectedGranuleAreRefusedWhole()
        {
            using var m = Create();
            m.Gpt!.SetPas(Target, SecurityState.Realm);
            var buffer = new byte[8];
            Assert.Equal(PhysicalFault.GranuleProtection, m.Memory.ReadRam(Target - 4, buffer));
            Assert.Equal(PhysicalFault.GranuleProtection, m.Memory.WriteRam(Target + 0xFFC, buffer));
            Assert.Throws<UnauthorizedAccessException>(() => m.Ram.GetSpan(Target - 0x1000, 0x1001));
            Assert.Equal(0x1000, m.Ram.GetSpan(Target - 0x1000, 0x1000).Length);
            Assert.Equal(PhysicalFault.GranuleProtection, m.Gpt.CheckRange(Target - 0x1000, 0x1001, SecurityState.NonSecure));
            Assert.Equal(PhysicalFault.None, m.Gpt.CheckRange(Target - 0x1000, 0x1000, SecurityState.NonSecure));
            Assert.Equal(PhysicalFault.None, m.Gpt.CheckRange(Target, 0, SecurityState.NonSecure));
        }

        [Fact]
        public void TheTableStartsNonSecureAndTransitionsAreConditional()
        {
            using var m = Create();
            var gpt = m.Gpt!;
            Assert.Same(gpt, m.Memory.GranuleProtection);
            Assert.Same(gpt, m.Ram.GranuleProtection);
            Assert.Equal(m.Ram.Base, gpt.Base);
            Assert.Equal(m.Ram.Size, gpt.Size);
            for (ulong pa = m.Ram.Base; pa < m.Ram.End; pa += 0x1000)
            {
                Assert.Equal(SecurityState.NonSecure, gpt.GetPas(pa));
            }

            Assert.False(gpt.TryTransition(Target, SecurityState.Realm, SecurityState.NonSecure));
            Assert.True(gpt.TryTransition(Target + 0xABC, SecurityState.NonSecure, SecurityState.Realm));
            Assert.Equal(SecurityState.Realm, gpt.GetPas(Target));
            Assert.False(gpt.TryTransition(Target, SecurityState.NonSecure, SecurityState.Realm));
            Assert.False(gpt.TryTransition(m.Ram.End, SecurityState.NonSecure, SecurityState.Realm));
            Assert.True(gpt.TryTransition(Target, SecurityState.Realm, SecurityState.NonSecure));
            Assert.Throws<ArgumentOutOfRangeException>(() => gpt.GetPas(m.Ram.End));
            Assert.Throws<ArgumentOutOfRangeException>(() => gpt.SetPas(m.Ram.Base - 1, SecurityState.Realm));
            Assert.Throws<ArgumentOutOfRangeException>(() => gpt.SetPas(Target, (SecurityState)4));
            Assert.Throws<ArgumentOutOfRangeException>(() => new GranuleProtectionTable(0x1000, 0));
            Assert.Throws<ArgumentOutOfRangeException>(() => new GranuleProtectionTable(0x1001, 0x1000));
        }

        [Fact]
        public void DevicesAreNotDescribedByTheTable()
        {
            using var m = Create();
            Assert.Equal(PhysicalFault.None, m.Gpt!.Check(VirtMemoryMap.Uart, SecurityState.NonSecure));
            Assert.Equal(PhysicalFault.None, m.Memory.Read(m.Cpus[0], VirtMemoryMap.Rtc, 4, SecurityState.Realm, out _));
        }

        [Fact]
        public void WithoutEnableRmmThereIsNoTable()
        {
            using var m = Create(enableRmm: false);
            Assert.Null(m.Gpt);
            Assert.Null(m.Memory.GranuleProtection);
            Assert.Null(m.Ram.GranuleProtection);
        }

        /// <summary>
        /// A Non-secure EL1 program branches into a granule the GPT gives to the Realm PAS: the fetch
        /// takes an instruction abort with IFSC = granule protection fault, and nothing there runs.
        /// </summary>
        [Theory]
        [InlineData(SecurityState.NonSecure, 0ul)]
        [InlineData(SecurityState.Realm, 0x8400_0028ul)]
        [InlineData(SecurityState.Secure, 0x8400_0028ul)]
        [InlineData(SecurityState.Root, 0x8400_0028ul)]
        public void InstructionFetchesAreChecked(SecurityState pas, ulong esr)
        {
            const ulong programBase = VirtMemoryMap.RamBase + 0x80000;
            var code = new List<uint>();
            code.AddRange(A64.Mov64(9, programBase + 0x800));
            code.Add(A64.Msr(SysReg.VBAR_EL1, 9));
            code.AddRange(A64.Mov64(22, 0));
            code.AddRange(A64.Mov64(24, 0));
            code.Add(A64.B(0x400 - code.Count));
            while (code.Count < 0x280)
            {
                code.Add(A64.Nop);
            }

            code.Add(A64.Mrs(22, SysReg.ESR_EL1));
            code.Add(A64.Mrs(23, SysReg.FAR_EL1));
            code.AddRange(A64.SystemOff());
            while (code.Count < 0x400)
            {
                code.Add(A64.Nop);
            }

            code.AddRange(A64.Mov64(24, 0x600D)); // the protected page
            code.AddRange(A64.SystemOff());
            using var m = Create(A64.Elf(code, programBase));
            m.Gpt!.SetPas(programBase + 0x1000, pas);
            var exit = m.Run();
            Assert.Equal(MachineExitReason.SystemOff, exit.Reason);
            var cpu = m.Cpus[0];
            Assert.Equal(esr, cpu.X[22] & ~(1ul << 25)); // EC 0x21 (instruction abort, same EL), IFSC 0x28; IL ignored
            Assert.Equal(esr == 0 ? 0x600Dul : 0ul, cpu.X[24]);
            if (esr != 0)
            {
                Assert.Equal(programBase + 0x1000, cpu.X[23]);
            }
        }
    }
}
