using Capvisor.Arm;
using Capvisor.Board;
using Capvisor.Firmware.Monitor;
using Capvisor.Firmware.Psci;
using Capvisor.Firmware.Rmm;
using static Capvisor.Board.Tests.Infrastructure.A64;
using F = Capvisor.Firmware.Rmm.RmiFunctionId;

namespace Capvisor.Firmware.Tests.Monitor
{
    public sealed class El3MonitorTests
    {
        private const ulong ProgramBase = VirtMemoryMap.RamBase + 0x80000;
        private const ulong Target = VirtMemoryMap.RamBase + 0x40_0000;
        private const ulong Sentinel = 0x5A5A_5A5A_5A5A_5A5A;

        /// <summary>
        /// A Non-secure EL1 program: <paramref name="body"/>, then SYSTEM_OFF through HVC. VBAR_EL1
        /// points at a table whose current-EL synchronous vector saves ESR_EL1 in x22 and FAR_EL1
        /// in x23 and switches off.
        /// </summary>
        private static byte[] Program(IEnumerable<uint> body)
        {
            var code = new List<uint>();
            code.AddRange(Mov64(9, ProgramBase + 0x800));
            code.Add(Msr(SysReg.VBAR_EL1, 9));
            code.AddRange(Mov64(22, 0));
            code.AddRange(Mov64(23, 0));
            code.AddRange(body);
            code.AddRange(Mov64(0, 0x8400_0008));
            code.Add(Hvc0);
            code.Add(BranchSelf);
            if (code.Count > 0x200)
            {
                throw new InvalidOperationException("program too long");
            }

            while (code.Count < 0x280)
            {
                code.Add(Nop); // vector table at +0x800; current EL, SPx, synchronous at +0x200
            }

            code.Add(Mrs(22, SysReg.ESR_EL1));
            code.Add(Mrs(23, SysReg.FAR_EL1));
            code.AddRange(Mov64(0, 0x8400_0008));
            code.Add(Hvc0);
            code.Add(BranchSelf);
            return Elf(code, ProgramBase);
        }


        private static (VirtMachine Machine, El3Monitor Monitor) Create(byte[]? kernel, bool enableRmm = true)
        {
            El3Monitor? monitor = null;
            var machine = new VirtMachine(new VirtMachineOptions
            {
                MemoryMiB = 16,
                Kernel = kernel,
                KernelName = "test.elf",
                Deterministic = true,
                Timeout = TimeSpan.FromSeconds(20),
                EnableRmm = enableRmm,
            }, m => monitor = new El3Monitor((VirtMachine)m));
            return (machine, monitor!);
        }

        private static IEnumerable<uint> Delegate(ulong pa) =>
            Mov64(0, F.GranuleDelegate).Concat(Mov64(1, pa)).Append(Smc0).Append(MovReg(21, 0));

        [Fact]
        public void RmiVersionThroughSmcReturnsSuccessAndOnePointZero()
        {
            var program = Program(Mov64(0, F.Version).Concat(Mov64(1, 0x10000)).Append(Smc0)
                .Append(MovReg(19, 0)).Append(MovReg(20, 1)).Append(MovReg(24, 2)));
            var (m, _) = Create(program);
            using var _m = m;
            var exit = m.Run();
            Assert.Equal(MachineExitReason.SystemOff, exit.Reason);
            var cpu = m.Cpus[0];
            Assert.Equal(0ul, cpu.X[22]); // no exception
            Assert.Equal((ulong)RmiStatus.Success, cpu.X[19]);
            Assert.Equal(0x10000ul, cpu.X[20]);
            Assert.Equal(0x10000ul, cpu.X[24]);
        }

        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public void DelegatedGranuleAbortsNonSecureAccessesAndNeverGivesData(bool write)
        {
            var body = Delegate(Target).Concat(Mov64(2, Target)).Concat(Mov64(3, Sentinel)).ToList();
            body.Add(write ? StrX(3, 2) : LdrX(3, 2));
            var (m, monitor) = Create(Program(body));
            using var _m = m;
            new Span<byte>(new byte[8] { 1, 2, 3, 4, 5, 6, 7, 8 }).CopyTo(m.Ram.GetSpan(Target, 8));
            var exit = m.Run();
            Assert.Equal(MachineExitReason.SystemOff, exit.Reason);
            var cpu = m.Cpus[0];
            Assert.Equal((ulong)RmiStatus.Success, cpu.X[21]);
            Assert.Equal(GranuleState.Delegated, monitor.Rmm!.GetGranuleState(Target));
            Assert.Equal(SecurityState.Realm, m.Gpt!.GetPas(Target));
            ulong esr = cpu.X[22];
            Assert.Equal(0x25ul, esr >> 26);               // data abort, same EL
            Assert.Equal(0x28ul, esr & 0x3F);              // DFSC: granule protection fault
            Assert.Equal(write ? 1ul : 0ul, (esr >> 6) & 1); // WnR
            Assert.Equal(Target, cpu.X[23]);
            Assert.Equal(Sentinel, cpu.X[3]);              // a load never delivered data
            // The RMM scrubbed the granule on delegate; the store did not land.
            Assert.True(m.Ram.GetSpan(Target, 8, SecurityState.Realm).ToArray().All(b => b == 0));
        }

        [Fact]
        public void CachedTranslationsDoNotOutliveADelegate()
        {
            // Read the granule (the CPU caches its host page), delegate it, read again.
            var body = Mov64(2, Target).Append(LdrX(25, 2)).Concat(Delegate(Target)).Concat(Mov64(2, Target)).Concat(Mov64(3, Sentinel)).Append(LdrX(3, 2));
            var (m, _) = Create(Program(body));
            using var _m = m;
            BitConverter.TryWriteBytes(m.Ram.GetSpan(Target, 8), 0x1122_3344_5566_7788ul);
            m.Run();
            var cpu = m.Cpus[0];
            Assert.Equal(0x1122_3344_5566_7788ul, cpu.X[25]); // x0-x4 are the SMC's results
            Assert.Equal((ulong)RmiStatus.Success, cpu.X[21]);
            Assert.Equal(0x28ul, cpu.X[22] & 0x3F);
            Assert.Equal(Target, cpu.X[23]);
            Assert.Equal(Sentinel, cpu.X[3]);
        }

        [Fact]
        public void HostSideAccessorsRefuseRealmGranules()
        {
            var (m, monitor) = Create(null);
            using var _m = m;
            Assert.Equal(RmiStatus.Success, monitor.Rmm!.Handle(F.GranuleDelegate, Target).Status);
            Assert.Throws<UnauthorizedAccessException>(() => m.Ram.GetSpan(Target, 8));
            Assert.Throws<UnauthorizedAccessException>(() => m.Ram.GetSpan(Target - 4, 8)); // straddles into it
            Assert.Equal(PhysicalFault.GranuleProtection, m.Memory.ReadRam(Target + 0x10, new byte[4]));
            Assert.Equal(PhysicalFault.GranuleProtection, m.Memory.WriteRam(Target, new byte[4]));
            Assert.Equal(8, m.Ram.GetSpan(Target - 8, 8).Length); // the neighbour is still Non-secure
            Assert.Equal(8, m.Ram.GetSpan(Target, 8, SecurityState.Realm).Length);
            Assert.Equal(8, m.Ram.GetSpan(Target, 8, SecurityState.Root).Length);
        }

        [Fact]
        public void UndelegatedGranulesReadBackAsZero()
        {
            var (m, monitor) = Create(null);
            using var _m = m;
            m.Ram.GetSpan(Target, 4096).Fill(0xEE);
            Assert.Equal(RmiStatus.Success, monitor.Rmm!.Handle(F.GranuleDelegate, Target).Status);
            m.Ram.GetSpan(Target, 4096, SecurityState.Realm).Fill(0xCC); // what a realm left there
            Assert.Equal(RmiStatus.Success, monitor.Rmm!.Handle(F.GranuleUndelegate, Target).Status);
            Assert.Equal(SecurityState.NonSecure, m.Gpt!.GetPas(Target));
            var back = new byte[4096];
            Assert.Equal(PhysicalFault.None, m.Memory.ReadRam(Target, back));
            Assert.True(back.All(b => b == 0));
        }

        [Fact]
        public void GranuleTransitionsGoThroughTheGpt()
        {
            var (m, monitor) = Create(null);
            using var _m = m;
            var g = monitor.Granules!;
            Assert.True(g.IsRam(Target));
            Assert.False(g.IsRam(Target + 8));
            Assert.False(g.IsRam(VirtMemoryMap.Uart));
            Assert.False(g.IsRam(m.Ram.End));
            Assert.Equal(GranulePas.NonSecure, g.GetPas(Target));
            Assert.False(g.TransitionPas(Target, GranulePas.Realm, GranulePas.NonSecure));
            Assert.True(g.TransitionPas(Target, GranulePas.NonSecure, GranulePas.Realm));
            Assert.Equal(GranulePas.Realm, g.GetPas(Target));
            Assert.False(g.TransitionPas(m.Ram.End, GranulePas.NonSecure, GranulePas.Realm));
            // Delegating MMIO or a granule outside RAM fails at the RMM.
            Assert.NotEqual(RmiStatus.Success, monitor.Rmm!.Handle(F.GranuleDelegate, VirtMemoryMap.Uart).Status);
        }

        [Fact]
        public void SmcRoutesPsciAndAnswersUnknownWithNotSupported()
        {
            var (m, monitor) = Create(null);
            using var _m = m;
            var cpu = m.Cpus[0];
            cpu.X[0] = 0x8400_0000; // PSCI_VERSION
            Assert.True(monitor.SecureMonitorCall(cpu, 0));
            Assert.Equal((ulong)PsciFirmware.Version, cpu.X[0]);
            cpu.X[0] = 0x8400_0000;
            Assert.True(monitor.HypervisorCall(cpu, 0)); // HVC stays PSCI
            Assert.Equal((ulong)PsciFirmware.Version, cpu.X[0]);
            cpu.X[0] = 0xC200_1234; // unknown
            Assert.True(monitor.SecureMonitorCall(cpu, 0));
            Assert.Equal(El3Monitor.NotSupported, cpu.X[0]);
            cpu.X[0] = 0xC400_0190; // RSI_VERSION is not RMI
            Assert.True(monitor.SecureMonitorCall(cpu, 0));
            Assert.Equal(El3Monitor.NotSupported, cpu.X[0]);
            cpu.X[0] = 0xC400_018F; // RMI range, unused
            Assert.True(monitor.SecureMonitorCall(cpu, 0));
            Assert.Equal(El3Monitor.NotSupported, cpu.X[0]);
            // RMI from a state other than Non-secure is refused.
            cpu.Security = SecurityState.Realm;
            cpu.X[0] = F.Version;
            cpu.X[1] = 0x10000;
            Assert.True(monitor.SecureMonitorCall(cpu, 0));
            Assert.Equal(El3Monitor.NotSupported, cpu.X[0]);
            cpu.Security = SecurityState.NonSecure;
        }

        [Fact]
        public void WithoutAnRmmRmiIsNotSupportedAndPsciStillWorks()
        {
            using var m = new VirtMachine(new VirtMachineOptions { MemoryMiB = 16 });
            var monitor = new El3Monitor(m, rmm: null);
            var cpu = m.Cpus[0];
            cpu.X[0] = F.Version;
            cpu.X[1] = 0x10000;
            Assert.True(monitor.SecureMonitorCall(cpu, 0));
            Assert.Equal(El3Monitor.NotSupported, cpu.X[0]);
            Assert.Equal(0x10000ul, cpu.X[1]);
            cpu.X[0] = 0x8400_0000;
            Assert.True(monitor.SecureMonitorCall(cpu, 0));
            Assert.Equal((ulong)PsciFirmware.Version, cpu.X[0]);
            Assert.Null(monitor.Granules);
        }

        [Fact]
        public void TheMonitorNeedsAGpt()
        {
            Assert.Throws<ArgumentException>(() => Create(null, enableRmm: false));
        }

        [Fact]
        public void TheMonitorInstallsTheRecRunnerAndWithAPlatformKeyTheAttestation()
        {
            var (m, monitor) = Create(null);
            using var _m = m;
            Assert.NotNull(monitor.RecRunner);
            Assert.Same(monitor.RecRunner, monitor.Rmm!.RecRunner);
            Assert.Same(monitor.RecRunner, monitor.Rmm.TlbInvalidator);
            Assert.Null(monitor.Rmm.Attestation);

            string dir = Path.Combine(Path.GetTempPath(), "capvisor-el3-test-" + Guid.NewGuid().ToString("N"));
            try
            {
                using var id = Capvisor.Attestation.Cca.PlatformIdentity.LoadOrCreate(dir, out _);
                El3Monitor? withKey = null;
                using var m2 = new VirtMachine(new VirtMachineOptions { MemoryMiB = 16, EnableRmm = true }, mc => withKey = new El3Monitor((VirtMachine)mc, platform: id));
                RealmAttestation a = withKey!.Rmm!.Attestation!;
                Assert.Equal(id.InstanceId, a.Platform.InstanceId);

                // A fresh RAK per boot: another monitor over the same CPAK has another one.
                El3Monitor? again = null;
                using var m3 = new VirtMachine(new VirtMachineOptions { MemoryMiB = 16, EnableRmm = true }, mc => again = new El3Monitor((VirtMachine)mc, platform: id));
                Assert.NotEqual(a.RealmPublicKey, again!.Rmm!.Attestation!.RealmPublicKey);
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        }

        [Fact]
        public void RsiFromTheNonSecureWorldIsNotSupported()
        {
            var (m, monitor) = Create(null);
            using var _m = m;
            var cpu = m.Cpus[0];
            cpu.X[0] = RsiFunctionId.Version;
            cpu.X[1] = 0x10000;
            Assert.True(monitor.SecureMonitorCall(cpu, 0));
            Assert.Equal(El3Monitor.NotSupported, cpu.X[0]);
        }
    }
}
