using Capvisor.Arm;
using Capvisor.Board;

namespace Capvisor.Firmware.Psci
{
    /// <summary>
    /// PSCI 1.1 and the SMCCC 1.1 architecture calls, implemented in C# in place of EL2/EL3
    /// firmware, on one conduit (HVC as QEMU's virt board without EL2/EL3, or SMC).
    /// </summary>
    /// <remarks>
    /// <para>SMCCC_VERSION reports 1.1 (QEMU reports 1.0): realm guests expect 1.1 from the host,
    /// and 1.1 lets Linux ask SMCCC_ARCH_FEATURES, which answers NOT_SUPPORTED for every
    /// workaround (Capvisor's CPU has no speculation to mitigate).</para>
    /// <para>CPU_SUSPEND is a standby: the CPU waits for an interrupt, then the call returns
    /// SUCCESS. MIGRATE_INFO_TYPE is 2 (no Trusted OS). SMC32 calls see only W registers.</para>
    /// </remarks>
    public sealed class PsciFirmware : IFirmware
    {
        /// <summary>PSCI version 1.1.</summary>
        public const uint Version = 0x0001_0001;

        /// <summary>SMCCC version 1.1.</summary>
        public const uint SmcccVersion = 0x0001_0001;

        private readonly IMachineControl _machine;
        private readonly bool _useSmc;

        /// <summary>Creates the firmware for <paramref name="machine"/>; <paramref name="conduit"/> is "hvc" or "smc".</summary>
        public PsciFirmware(IMachineControl machine, string conduit = "hvc")
        {
            _machine = machine;
            _useSmc = conduit switch
            {
                "hvc" => false,
                "smc" => true,
                _ => throw new ArgumentException($"unknown PSCI conduit '{conduit}'", nameof(conduit)),
            };
        }

        /// <inheritdoc/>
        public bool HypervisorCall(Cpu cpu, ushort imm) => !_useSmc && imm == 0 && Call(cpu);

        /// <inheritdoc/>
        public bool SecureMonitorCall(Cpu cpu, ushort imm) => _useSmc && imm == 0 && Call(cpu);

        /// <summary>Handles the call in x0..x3 of <paramref name="cpu"/>; the result goes to x0.</summary>
        public bool Call(Cpu cpu)
        {
            uint function = (uint)cpu.X[0];
            bool smc64 = (function & (1u << 30)) != 0;
            ulong a1 = Arg(cpu, 1, smc64), a2 = Arg(cpu, 2, smc64), a3 = Arg(cpu, 3, smc64);
            long result = function switch
            {
                PsciFunction.PsciVersion => Version,
                PsciFunction.PsciFeatures => Features((uint)a1),
                PsciFunction.CpuSuspend32 or PsciFunction.CpuSuspend64 => Suspend(cpu),
                PsciFunction.CpuOff => Off(cpu),
                PsciFunction.CpuOn32 or PsciFunction.CpuOn64 => On(a1, a2, a3),
                PsciFunction.AffinityInfo32 or PsciFunction.AffinityInfo64 => AffinityInfo(a1, a2),
                PsciFunction.MigrateInfoType => 2, // migration not required: no Trusted OS
                PsciFunction.SystemOff => SystemOff(),
                PsciFunction.SystemReset => SystemReset(),
                PsciFunction.SmcccVersion => SmcccVersion,
                PsciFunction.SmcccArchFeatures => (uint)a1 is PsciFunction.SmcccVersion or PsciFunction.SmcccArchFeatures
                    ? PsciStatus.Success
                    : PsciStatus.NotSupported,
                _ => PsciStatus.NotSupported,
            };
            if (function == PsciFunction.CpuOff && result == PsciStatus.Success)
            {
                return true; // the CPU is off: there is no caller to return to
            }

            cpu.X[0] = (ulong)result;
            return true;
        }

        private static ulong Arg(Cpu cpu, int n, bool smc64) => smc64 ? cpu.X[n] : (uint)cpu.X[n];

        private static long Features(uint function) => function switch
        {
            PsciFunction.PsciVersion or PsciFunction.PsciFeatures or PsciFunction.CpuOff
                or PsciFunction.CpuOn32 or PsciFunction.CpuOn64
                or PsciFunction.AffinityInfo32 or PsciFunction.AffinityInfo64
                or PsciFunction.MigrateInfoType or PsciFunction.SystemOff or PsciFunction.SystemReset
                or PsciFunction.SmcccVersion => PsciStatus.Success,
            // Original power_state format (bit 1 = 0), no OS-initiated mode (bit 0 = 0).
            PsciFunction.CpuSuspend32 or PsciFunction.CpuSuspend64 => 0,
            _ => PsciStatus.NotSupported,
        };

        private static long Suspend(Cpu cpu)
        {
            // Standby: resume after the next wake-up event, as WFI does; x0 = SUCCESS on return.
            cpu.X[0] = 0;
            cpu.WaitForInterrupt();
            return PsciStatus.Success;
        }

        private long Off(Cpu cpu)
        {
            _machine.PowerOffCpu(cpu.Index);
            return PsciStatus.Success;
        }

        private long On(ulong targetMpidr, ulong entry, ulong context)
        {
            int target = _machine.FindCpu(targetMpidr);
            if (target < 0)
            {
                return PsciStatus.InvalidParameters;
            }

            if (_machine.GetCpu(target).PoweredOn)
            {
                return PsciStatus.AlreadyOn;
            }

            if ((entry & 3) != 0 || !_machine.IsRam(entry, 4))
            {
                return PsciStatus.InvalidAddress;
            }

            _machine.PowerOnCpu(target, entry, context);
            return PsciStatus.Success;
        }

        private long AffinityInfo(ulong targetAffinity, ulong lowestLevel)
        {
            if (lowestLevel != 0)
            {
                return PsciStatus.InvalidParameters; // only level 0 (one CPU) is tracked
            }

            int target = _machine.FindCpu(targetAffinity);
            if (target < 0)
            {
                return PsciStatus.InvalidParameters;
            }

            return _machine.GetCpu(target).PoweredOn ? 0 : 1; // ON = 0, OFF = 1
        }

        private long SystemOff()
        {
            _machine.SystemOff();
            return PsciStatus.Success;
        }

        private long SystemReset()
        {
            _machine.SystemReset();
            return PsciStatus.Success;
        }
    }
}
