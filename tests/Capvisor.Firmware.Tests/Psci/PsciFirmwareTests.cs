using Capvisor.Arm;
using Capvisor.Board;
using Capvisor.Firmware.Psci;

namespace Capvisor.Firmware.Tests.Psci
{
    public sealed class PsciFirmwareTests : IDisposable
    {
        private const ulong Ram = VirtMemoryMap.RamBase;
        private readonly VirtMachine _machine;
        private readonly PsciFirmware _psci;

        public PsciFirmwareTests()
        {
            PsciFirmware? psci = null;
            _machine = new VirtMachine(new VirtMachineOptions { CpuCount = 4, MemoryMiB = 16, Deterministic = true },
                m => psci = new PsciFirmware(m));
            _psci = psci!;
            _machine.PowerOnCpu(0, Ram, 0);
        }

        public void Dispose() => _machine.Dispose();

        private Cpu Cpu0 => _machine.Cpus[0];

        private long Call(ulong function, ulong a1 = 0, ulong a2 = 0, ulong a3 = 0, Cpu? cpu = null)
        {
            cpu ??= Cpu0;
            cpu.X[0] = function;
            cpu.X[1] = a1;
            cpu.X[2] = a2;
            cpu.X[3] = a3;
            Assert.True(_psci.HypervisorCall(cpu, 0));
            return (long)cpu.X[0];
        }

        [Fact]
        public void VersionIs11()
        {
            Assert.Equal(0x10001, Call(PsciFunction.PsciVersion));
        }

        [Theory]
        [InlineData(PsciFunction.PsciVersion, 0)]
        [InlineData(PsciFunction.CpuSuspend64, 0)]
        [InlineData(PsciFunction.CpuOff, 0)]
        [InlineData(PsciFunction.CpuOn64, 0)]
        [InlineData(PsciFunction.CpuOn32, 0)]
        [InlineData(PsciFunction.AffinityInfo64, 0)]
        [InlineData(PsciFunction.MigrateInfoType, 0)]
        [InlineData(PsciFunction.SystemOff, 0)]
        [InlineData(PsciFunction.SystemReset, 0)]
        [InlineData(PsciFunction.PsciFeatures, 0)]
        [InlineData(PsciFunction.Migrate64, -1)]
        [InlineData(PsciFunction.MigrateInfoUpCpu64, -1)]
        [InlineData(0xC400_000Eu, -1)] // SYSTEM_SUSPEND
        [InlineData(0xC400_0012u, -1)] // SYSTEM_RESET2
        [InlineData(PsciFunction.SmcccVersion, -1)] // SMCCC 1.0, as QEMU
        [InlineData(0x1234u, -1)]
        public void Features(uint function, long expected)
        {
            Assert.Equal(expected, Call(PsciFunction.PsciFeatures, function));
        }

        [Fact]
        public void UnknownFunctionsAreNotSupported()
        {
            Assert.Equal(-1, Call(0x8400_001F));
            Assert.Equal(-1, Call(0xC200_0000));
            Assert.Equal(-1, Call(PsciFunction.SmcccVersion));
            Assert.Equal(-1, Call(PsciFunction.SmcccArchFeatures, 0x8000_8000));
            Assert.Equal(ulong.MaxValue, Cpu0.X[0]); // sign-extended to 64 bits
        }

        [Fact]
        public void Smccc11IsAvailableOnRequest()
        {
            var psci = new PsciFirmware(_machine, "hvc", smccc11: true);
            Cpu0.X[0] = PsciFunction.SmcccVersion;
            psci.HypervisorCall(Cpu0, 0);
            Assert.Equal(0x10001ul, Cpu0.X[0]);
            Cpu0.X[0] = PsciFunction.PsciFeatures;
            Cpu0.X[1] = PsciFunction.SmcccVersion;
            psci.HypervisorCall(Cpu0, 0);
            Assert.Equal(0ul, Cpu0.X[0]);
            Cpu0.X[0] = PsciFunction.SmcccArchFeatures;
            Cpu0.X[1] = 0x8000_8000; // ARCH_WORKAROUND_1
            psci.HypervisorCall(Cpu0, 0);
            Assert.Equal(ulong.MaxValue, Cpu0.X[0]);
        }

        [Fact]
        public void CpuOnStartsTheTargetAtEl1WithContextInX0()
        {
            Assert.Equal(PsciStatus.Success, Call(PsciFunction.CpuOn64, 2, Ram + 0x1000, 0xABCD_0000_1234));
            var cpu2 = _machine.Cpus[2];
            Assert.True(cpu2.PoweredOn);
            Assert.Equal(Ram + 0x1000, cpu2.Pc);
            Assert.Equal(0xABCD_0000_1234ul, cpu2.X[0]);
            Assert.Equal(1, cpu2.CurrentEl);
            Assert.Equal(0x3C0u, cpu2.Daif);
            Assert.Equal(0ul, cpu2.SctlrEl[1] & 1); // MMU off
            Assert.Equal(PsciStatus.AlreadyOn, Call(PsciFunction.CpuOn64, 2, Ram, 0));
            Assert.Equal(PsciStatus.AlreadyOn, Call(PsciFunction.CpuOn64, 0, Ram, 0));
        }

        [Fact]
        public void CpuOnValidatesItsArguments()
        {
            Assert.Equal(PsciStatus.InvalidParameters, Call(PsciFunction.CpuOn64, 9, Ram, 0));
            Assert.Equal(PsciStatus.InvalidParameters, Call(PsciFunction.CpuOn64, 0x100, Ram, 0));
            Assert.Equal(PsciStatus.InvalidAddress, Call(PsciFunction.CpuOn64, 1, 0x1000, 0));
            Assert.Equal(PsciStatus.InvalidAddress, Call(PsciFunction.CpuOn64, 1, Ram + 2, 0));
            Assert.False(_machine.Cpus[1].PoweredOn);
        }

        [Fact]
        public void Smc32CallsSeeOnlyWRegisters()
        {
            Assert.Equal(PsciStatus.Success, Call(PsciFunction.CpuOn32, 0xFFFF_FFFF_0000_0001, 0xFFFF_FFFF_0000_0000 | (Ram + 0x40), 0x1_0000_0005));
            Assert.Equal(Ram + 0x40, _machine.Cpus[1].Pc);
            Assert.Equal(5ul, _machine.Cpus[1].X[0]);
        }

        [Fact]
        public void AffinityInfoReportsOnOffAndInvalid()
        {
            Assert.Equal(0, Call(PsciFunction.AffinityInfo64, 0, 0));
            Assert.Equal(1, Call(PsciFunction.AffinityInfo64, 3, 0));
            Assert.Equal(PsciStatus.InvalidParameters, Call(PsciFunction.AffinityInfo64, 7, 0));
            Assert.Equal(0, Call(PsciFunction.AffinityInfo64, 3, 1)); // cluster 0 is on
            Assert.Equal(PsciStatus.InvalidParameters, Call(PsciFunction.AffinityInfo64, 0x100, 1)); // no cluster 1
            Assert.Equal(PsciStatus.InvalidParameters, Call(PsciFunction.AffinityInfo64, 0, 4));
        }

        [Fact]
        public void CpuOffPowersTheCallerOff()
        {
            Call(PsciFunction.CpuOn64, 1, Ram, 0);
            var cpu1 = _machine.Cpus[1];
            cpu1.X[0] = PsciFunction.CpuOff;
            Assert.True(_psci.HypervisorCall(cpu1, 0));
            Assert.False(cpu1.PoweredOn);
            Assert.Equal(1, Call(PsciFunction.AffinityInfo64, 1, 0));
            Assert.Equal(PsciStatus.Success, Call(PsciFunction.CpuOn64, 1, Ram, 7)); // and it can come back
        }

        [Fact]
        public void MigrateInfoTypeSaysNotRequired()
        {
            Assert.Equal(2, Call(PsciFunction.MigrateInfoType));
            Assert.Equal(-1, Call(PsciFunction.Migrate64, 1));
        }

        [Fact]
        public void SystemOffAndResetEndTheRun()
        {
            Call(PsciFunction.SystemOff);
            Assert.Equal(MachineExitReason.SystemOff, _machine.Exit!.Reason);
            using var other = new VirtMachine(new VirtMachineOptions { MemoryMiB = 16 }, m => new PsciFirmware(m));
            other.PowerOnCpu(0, Ram, 0);
            other.Cpus[0].X[0] = PsciFunction.SystemReset;
            ((ICpuHost)other).HypervisorCall(other.Cpus[0], 0);
            Assert.Equal(MachineExitReason.SystemReset, other.Exit!.Reason);
            Assert.Equal(0, other.Exit.ExitCode);
        }

        [Fact]
        public void ConduitAndImmediateAreChecked()
        {
            Cpu0.X[0] = PsciFunction.PsciVersion;
            Assert.False(_psci.HypervisorCall(Cpu0, 1));
            Assert.False(_psci.SecureMonitorCall(Cpu0, 0));
            var smc = new PsciFirmware(_machine, "smc");
            Assert.False(smc.HypervisorCall(Cpu0, 0));
            Assert.True(smc.SecureMonitorCall(Cpu0, 0));
            Assert.Equal(0x10001ul, Cpu0.X[0]);
            Assert.Throws<ArgumentException>(() => new PsciFirmware(_machine, "svc"));
        }

        [Fact]
        public void SecondaryBootEndToEnd()
        {
            // CPU 0: CPU_ON(1, entry = cpu1, context 0x55); then WFI forever. CPU 1: print x0 as a byte, SYSTEM_OFF.
            ulong code = Ram + 0x8_0000;
            var words = new List<uint>();
            words.AddRange(Mov(0, PsciFunction.CpuOn64));
            words.AddRange(Mov(1, 1));
            words.AddRange(Mov(2, code + 4 * 20));
            words.AddRange(Mov(3, 'U'));
            words.Add(0xD4000002); // hvc #0
            while (words.Count < 19)
            {
                words.Add(0xD503207F); // wfi
            }

            words.Add(0x17FFFFFF); // b .-4 (back to wfi)
            // cpu1 entry (word 20):
            words.AddRange(Mov(1, VirtMemoryMap.Uart));
            words.Add(0x39000020); // strb w0, [x1]
            words.AddRange(Mov(0, PsciFunction.SystemOff));
            words.Add(0xD4000002);
            var image = new byte[words.Count * 4];
            Buffer.BlockCopy(words.ToArray(), 0, image, 0, image.Length);

            var output = new MemoryStream();
            using var m = new VirtMachine(new VirtMachineOptions
            {
                CpuCount = 2,
                MemoryMiB = 16,
                Kernel = image, // raw: loaded at RAM base + 0x80000
                Deterministic = true,
                SerialOutput = output,
                Timeout = TimeSpan.FromSeconds(20),
            }, mc => new PsciFirmware(mc));
            var exit = m.Run();
            Assert.Equal(MachineExitReason.SystemOff, exit.Reason);
            Assert.Equal("U", System.Text.Encoding.ASCII.GetString(output.ToArray()));
        }

        [Fact]
        public void ExclusiveIncrementsFromTwoCpusAreAtomic()
        {
            // CPU 0 starts CPU 1 on the loop, both add 1 to a shared counter N times with
            // LDXR/ADD/STXR/CBNZ; CPU 1 then powers off, CPU 0 waits for that and switches off.
            const int n = 50_000;
            ulong counter = Ram + 0x10_0000;
            var w = new List<uint>();
            w.AddRange(Mov(0, PsciFunction.CpuOn64));
            w.AddRange(Mov(1, 1));
            int patchEntry = w.Count;
            w.AddRange([0, 0, 0]); // x2 = loop address (patched below)
            w.Add(0xD4000002); // hvc #0
            int loopStart = w.Count;
            w.AddRange(Mov(10, counter));
            w.AddRange(Mov(9, n));
            int loop = w.Count;
            w.Add(0xC85F7D4B); // ldxr x11, [x10]
            w.Add(0x9100056B); // add x11, x11, #1
            w.Add(0xC80C7D4B); // stxr w12, x11, [x10]
            w.Add(0x35000000u | ((uint)((loop - w.Count) & 0x7FFFF) << 5) | 12); // cbnz w12, loop
            w.Add(0xF1000529); // subs x9, x9, #1
            w.Add(0x54000001u | ((uint)((loop - w.Count) & 0x7FFFF) << 5)); // b.ne loop
            w.Add(0xD53800A8); // mrs x8, mpidr_el1
            w.Add(0x92401D08); // and x8, x8, #0xff
            int toCpu0 = w.Count;
            w.Add(0); // cbz x8, cpu0 (patched)
            w.AddRange(Mov(0, PsciFunction.CpuOff));
            w.Add(0xD4000002);
            int cpu0 = w.Count;
            w[toCpu0] = 0xB4000000u | ((uint)((cpu0 - toCpu0) & 0x7FFFF) << 5) | 8;
            w.AddRange(Mov(0, PsciFunction.AffinityInfo64));
            w.AddRange(Mov(1, 1));
            w.AddRange(Mov(2, 0));
            w.Add(0xD4000002);
            w.Add(0xF100041F); // cmp x0, #1
            w.Add(0x54000001u | ((uint)((cpu0 - w.Count) & 0x7FFFF) << 5)); // b.ne (ask again)
            w.AddRange(Mov(0, PsciFunction.SystemOff));
            w.Add(0xD4000002);
            ulong code = Ram + 0x8_0000;
            var entry = Mov(2, code + (ulong)loopStart * 4).ToList();
            for (int i = 0; i < 3; i++)
            {
                w[patchEntry + i] = i < entry.Count ? entry[i] : 0xD503201F; // nop padding
            }

            var image = new byte[w.Count * 4];
            Buffer.BlockCopy(w.ToArray(), 0, image, 0, image.Length);
            using var m = new VirtMachine(new VirtMachineOptions
            {
                CpuCount = 2,
                MemoryMiB = 16,
                Kernel = image,
                Deterministic = true,
                Quantum = 997, // many switches, at varying points in the loop
                Timeout = TimeSpan.FromSeconds(60),
            }, mc => new PsciFirmware(mc));
            Assert.Equal(MachineExitReason.SystemOff, m.Run().Reason);
            Assert.Equal((ulong)(2 * n), BitConverter.ToUInt64(m.Ram.GetSpan(counter, 8)));
        }

        private static IEnumerable<uint> Mov(int rd, ulong value)
        {
            yield return 0xD2800000u | ((uint)(value & 0xFFFF) << 5) | (uint)rd;
            for (int shift = 16; shift < 64; shift += 16)
            {
                uint part = (uint)(value >> shift) & 0xFFFF;
                if (part != 0)
                {
                    yield return 0xF2800000u | ((uint)(shift / 16) << 21) | (part << 5) | (uint)rd;
                }
            }
        }
    }
}
