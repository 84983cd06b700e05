using Capvisor.Arm;
using Capvisor.Board;

namespace Capvisor.Firmware.Psci
{
    /// <summary>
    /// PSCI 1.1 and the SMCCC 1.1 architecture calls, implemented in C# in place of EL2/EL3
    /// firmware, on one conduit (HVC as QEMU's virt board without EL2/EL3, or SMC).
    /// </summary>
    /// <remarks>
    /// <para>SMC Calling Convention: 1.0 by default, as QEMU 7.2 (PSCI_FEATURES(SMCCC_VERSION) and
    /// SMCCC_VERSION itself answer NOT_SUPPORTED, which callers read as v1.0), so bare-metal
    /// programs print the same under both. With <c>smccc11</c> (what realm guests expect from
    /// CCA firmware) SMCCC_VERSION answers 0x10001 and SMCCC_ARCH_FEATURES answers
    /// NOT_SUPPORTED for every workaround (the emulated CPU has no speculation to mitigate).</para>
    /// <para>CPU_SUSPEND is a standby: the CPU waits for an interrupt, then the call returns
    /// SUCCESS. MIGRATE_INFO_TYPE is 2 (no Trusted OS). AFFINITY_INFO above level 0 reports a
    /// cluster ON while any of its CPUs is on (QEMU reports every level above 0 ON). SMC32
    /// calls see only W registers. Unknown function IDs return NOT_SUPPORTED (-1).</para>
    /// </remarks>
    public sealed class PsciFirmware : IFirmware
    {
        /// <summary>PSCI version 1.1.</summary>
        public const uint Version = 0x0001_0001;

        /// <summary>SMCCC version 1.1.</summary>
        public const uint SmcccVersion = 0x0001_0001;

        private readonly IMachineControl _machine;
        private readonly bool _useSmc;
        private readonly bool _smccc11;

        /// <summary>
        /// Creates the firmware for <paramref name="machine"/>; <paramref name="conduit"/> is "hvc" or
        /// "smc"; <paramref name="smccc11"/> advertises SMCCC 1.1 instead of QEMU's 1.0.
        /// </summary>
        public PsciFirmware(IMachineControl machine, string conduit = "hvc", bool smccc11 = false)
        {
            _machine = machine;
            _smccc11 = smccc11;
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
                PsciFunction.PsciFeatures => Features((uint)a1, _smccc11),
                PsciFunction.CpuSuspend32 or PsciFunction.CpuSuspend64 => Suspend(cpu),
                PsciFunction.CpuOff => Off(cpu),
                PsciFunction.CpuOn32 or PsciFunction.CpuOn64 => On(a1, a2, a3),
                PsciFunction.AffinityInfo32 or PsciFunction.AffinityInfo64 => AffinityInfo(a1, a2),
                PsciFunction.MigrateInfoType => 2, // migration not required: no Trusted OS
                PsciFunction.SystemOff => SystemOff(),
                PsciFunction.SystemReset => SystemReset(),
                PsciFunction.SmcccVersion => _smccc11 ? SmcccVersion : PsciStatus.NotSupported,
                PsciFunction.SmcccArchFeatures => _smccc11 && (uint)a1 is PsciFunction.SmcccVersion or PsciFunction.SmcccArchFeatures
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

        private static long Features(uint function, bool smccc11) => function switch
        {
            PsciFunction.PsciVersion or PsciFunction.PsciFeatures or PsciFunction.CpuOff
                or PsciFunction.CpuOn32 or PsciFunction.CpuOn64
                or PsciFunction.AffinityInfo32 or PsciFunction.AffinityInfo64
                or PsciFunction.MigrateInfoType or PsciFunction.SystemOff or PsciFunction.SystemReset => PsciStatus.Success,
            PsciFunction.SmcccVersion => smccc11 ? PsciStatus.Success : PsciStatus.NotSupported,
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
            if (lowestLevel > 3)
            {
                return PsciStatus.InvalidParameters;
            }

            // Compare the affinity fields at lowestLevel and above: Aff0 [7:0], Aff1 [15:8], Aff2 [23:16], Aff3 [39:32].
            ulong mask = 0xFF_00FF_FFFFul & ~((1ul << (8 * (int)Math.Min(lowestLevel, 3))) - 1);
            if (lowestLevel == 3)
            {
                mask = 0xFF_0000_0000ul;
            }

            bool exists = false;
            for (int i = 0; i < _machine.CpuCount; i++)
            {
                var cpu = _machine.GetCpu(i);
                if (((cpu.Mpidr ^ targetAffinity) & mask) == 0)
                {
                    exists = true;
                    if (cpu.PoweredOn)
                    {
                        return 0; // ON
                    }
                }
            }

            return exists ? 1 : PsciStatus.InvalidParameters; // OFF, or no such CPU/cluster
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
