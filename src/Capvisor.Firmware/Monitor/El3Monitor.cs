using Capvisor.Arm;
using Capvisor.Attestation.Cca;
using Capvisor.Board;
using Capvisor.Board.Timers;
using Capvisor.Firmware.Psci;
using Capvisor.Firmware.Rmm;

namespace Capvisor.Firmware.Monitor
{
    /// <summary>
    /// The EL3 monitor of an RME board, in C#: it owns the granule protection table and routes the
    /// calls the CPUs make. SMC: RMI function IDs (0xC4000150–0xC400018F, SMC64) from the
    /// Non-secure state go to the <see cref="RealmManagementMonitor"/>; PSCI and SMCCC
    /// architecture calls go to <see cref="PsciFirmware"/>; anything else, and RMI from any other
    /// state, answers NOT_SUPPORTED (-1). HVC #0 still goes to PSCI (QEMU's conduit), so a guest
    /// that uses HVC for PSCI runs unchanged.
    /// </summary>
    /// <remarks>
    /// Needs a machine built with <see cref="VirtMachineOptions.EnableRmm"/> (a GPT). Built for a
    /// <see cref="VirtMachine"/>, the monitor installs a <see cref="RealmCpuRunner"/> on the RMM
    /// (REC_ENTER runs realms on CPUs of their own over the board's memory, and RTT changes flush
    /// their TLBs), and with a platform identity a <see cref="RealmAttestation"/> (fresh RAK,
    /// platform token signed with the CPAK).
    /// </remarks>
    public sealed class El3Monitor : IFirmware
    {
        /// <summary>SMCCC NOT_SUPPORTED.</summary>
        public const ulong NotSupported = ulong.MaxValue;

        /// <summary>Creates the monitor for <paramref name="machine"/> with a new RMM over the board's RAM and GPT.</summary>
        /// <param name="machine">The board; must have a GPT (<see cref="VirtMachineOptions.EnableRmm"/>).</param>
        /// <param name="smccc11">Advertise SMCCC 1.1 instead of QEMU's 1.0.</param>
        /// <param name="features">The RMM's features, or null for the defaults.</param>
        /// <param name="platform">
        /// The platform identity whose CPAK signs the platform token, or null: then realms get no
        /// attestation token (RSI_ATTESTATION_TOKEN_INIT answers RSI_ERROR_UNKNOWN).
        /// </param>
        /// <exception cref="ArgumentException">The machine has no granule protection table.</exception>
        public El3Monitor(VirtMachine machine, bool smccc11 = false, RmmFeatures? features = null, PlatformIdentity? platform = null)
        {
            var gpt = machine.Gpt ?? throw new ArgumentException("the machine has no granule protection table (VirtMachineOptions.EnableRmm)", nameof(machine));
            Psci = new PsciFirmware(machine, "smc", smccc11);
            Granules = new BoardGranules(machine.Ram, gpt);
            Rmm = new RealmManagementMonitor(Granules, features);

            // A realm's counter is the board's, as the CPU that entered the REC sees it.
            var clock = machine.Clock;
            RecRunner = new RealmCpuRunner(Rmm, machine.Memory, elapsed => RealmCounter(machine, elapsed));
            Rmm.RecRunner = RecRunner;
            Rmm.TlbInvalidator = RecRunner;
            if (platform != null)
            {
                Rmm.Attestation = RealmAttestation.ForPlatform(platform, Rmm.Features);
            }
        }

        /// <summary>
        /// Creates the monitor for <paramref name="machine"/> with <paramref name="rmm"/> (over any
        /// <see cref="IPhysicalGranules"/>), or with no RMM: then every RMI call answers NOT_SUPPORTED.
        /// </summary>
        public El3Monitor(IMachineControl machine, RealmManagementMonitor? rmm, bool smccc11 = false)
        {
            Psci = new PsciFirmware(machine, "smc", smccc11);
            Rmm = rmm;
        }

        /// <summary>
        /// The counter a realm reads after running <paramref name="elapsed"/> instructions of a
        /// REC_ENTER: the board's time as the CPU that entered it sees it, plus, in deterministic
        /// mode, those instructions (one nanosecond each, like the board's CPUs).
        /// </summary>
        private static ulong RealmCounter(VirtMachine machine, long elapsed)
        {
            var clock = machine.Clock;
            if (!clock.Deterministic)
            {
                return clock.Counter;
            }

            ulong ns = t_caller is { } c && c.Index < machine.Cpus.Length && machine.Cpus[c.Index] == c
                ? clock.NowNsFor(c.Index, c.Retired)
                : clock.NowNs;
            return (ns + (ulong)Math.Max(0, elapsed)) / MachineClock.NanosecondsPerTick;
        }

        /// <summary>The PSCI / SMCCC implementation calls are routed to.</summary>
        public PsciFirmware Psci { get; }

        /// <summary>The RMM's view of physical memory (board RAM + GPT), or null when the caller supplied the RMM.</summary>
        public BoardGranules? Granules { get; }

        /// <summary>The Realm Management Monitor RMI calls are routed to, or null (RMI answers NOT_SUPPORTED).</summary>
        public RealmManagementMonitor? Rmm { get; }

        /// <summary>The runner executing RECs (also the RMM's TLB invalidator), or null when the caller supplied the RMM.</summary>
        public RealmCpuRunner? RecRunner { get; }

        // The CPU whose SMC is being handled on this thread (REC_ENTER runs the realm inside it).
        [ThreadStatic]
        private static Cpu? t_caller;

        /// <inheritdoc/>
        public bool HypervisorCall(Cpu cpu, ushort imm) => imm == 0 && Psci.Call(cpu);

        /// <inheritdoc/>
        public bool SecureMonitorCall(Cpu cpu, ushort imm)
        {
            ulong fid = (uint)cpu.X[0];
            if (RmiFunctionId.IsRmi(fid))
            {
                if (Rmm == null || cpu.Security != SecurityState.NonSecure)
                {
                    cpu.X[0] = NotSupported;
                    return true;
                }

                Cpu? outer = t_caller;
                t_caller = cpu;
                RmiResult r;
                try
                {
                    r = Rmm.Handle(fid, cpu.X[1], cpu.X[2], cpu.X[3], cpu.X[4], cpu.X[5], cpu.X[6]);
                }
                finally
                {
                    t_caller = outer;
                }

                cpu.X[0] = r.X0;
                cpu.X[1] = r.X1;
                cpu.X[2] = r.X2;
                cpu.X[3] = r.X3;
                cpu.X[4] = r.X4;
                return true;
            }

            // PSCI and the SMCCC architecture calls; PsciFirmware answers NOT_SUPPORTED for
            // every function ID it does not implement.
            return Psci.Call(cpu);
        }
    }
}
