using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Capvisor.Arm;

namespace Capvisor.Firmware.Rmm
{
    /// <summary>
    /// Runs RECs on the emulated CPU for RMI_REC_ENTER, as TF-RMM's <c>rec_run_loop</c> does: one
    /// <see cref="Cpu"/> per REC in RMM-private state (Realm security state, stage 2 over the
    /// realm's RTTs), entry completion of what the last exit left pending, and exits to the host
    /// that carry only what RMM 1.0 allows. Also the RMM's stage-2 TLB maintenance: an RTT
    /// change flushes the TLBs of the realm's CPUs.
    /// </summary>
    /// <remarks>
    /// A REC runs for at most <see cref="SliceInstructions"/> instructions per REC_ENTER, then exits
    /// with reason IRQ, so the host always gets control back, deterministically. An untrapped WFI
    /// or WFE with nothing pending also exits with IRQ (on hardware the physical CPU would sleep
    /// until an interrupt, which exits to the host); the next REC_ENTER wakes it, a spurious
    /// wake-up the architecture permits. Virtual interrupts come from the host's GIC list
    /// registers (<see cref="RealmGicCpuInterface"/>); a realm timer that starts firing ends the
    /// run with IRQ, so that the host can inject it. The realm's counter never goes back, and in
    /// deterministic mode advances by one nanosecond per realm instruction.
    /// </remarks>
    public sealed class RealmCpuRunner : IRecRunner, IStage2Invalidator
    {
        // ESR_EL2 fields TF-RMM passes to the host (lib/arch/include/esr.h).
        internal const ulong EsrEcMask = 0x3FUL << 26;
        internal const ulong EsrNonEmulatedAbortMask = EsrEcMask | (3UL << 11) | (1UL << 10) | (1UL << 9) | 0x3F;
        internal const ulong EsrEmulatedAbortMask = EsrNonEmulatedAbortMask | (1UL << 24) | (3UL << 22) | (1UL << 15) | (1UL << 6);
        internal const ulong EsrWfxMask = EsrEcMask | 1;
        internal const uint EcWfx = 0x01, EcInstructionAbortLower = 0x20, EcDataAbortLower = 0x24;

        // ID_AA64PFR0_EL1 of a realm CPU: EL0–EL3 AArch64 implemented (as on CCA hardware), GICv3 system registers.
        private const ulong RealmIdAa64Pfr0 = 0x0100_1111;

        // VTCR_EL2.PS for the CPU's 44-bit physical address space.
        private const ulong VtcrPs44 = 4UL << 16;

        private const ulong SctlrEe = 1UL << 25;

        // MPIDR_EL1 bit 31 is RES1.
        private const ulong MpidrRes1 = 1UL << 31;

        // HCR_EL2: VM (stage 2 on), TWI/TWE (trap WFI/WFE to EL2).
        private const ulong HcrVm = 1, HcrTwi = 1UL << 13, HcrTwe = 1UL << 14;

        private const uint CntpCtl = 0xDF11, CntpCval = 0xDF12, CntvCtl = 0xDF19, CntvCval = 0xDF1A;

        private readonly RealmManagementMonitor _rmm;
        private readonly IPhysicalMemory _memory;
        private readonly Func<long, ulong> _counter;
        private readonly ConditionalWeakTable<Rec, RecExecution> _recs = new();

        /// <summary>Creates the runner for <paramref name="rmm"/> over the board's physical memory.</summary>
        /// <param name="rmm">The RMM whose RECs this runner executes (RSI calls go back to it).</param>
        /// <param name="memory">The board's physical address space, as the realm CPUs see it.</param>
        /// <param name="counter">
        /// The system counter (CNTPCT/CNTVCT) realm CPUs read, given the number of instructions the
        /// REC has run in the current REC_ENTER (so that deterministic time advances while it runs);
        /// zero when null.
        /// </param>
        public RealmCpuRunner(RealmManagementMonitor rmm, IPhysicalMemory memory, Func<long, ulong>? counter = null)
        {
            ArgumentNullException.ThrowIfNull(rmm);
            ArgumentNullException.ThrowIfNull(memory);
            _rmm = rmm;
            _memory = memory;
            _counter = counter ?? (_ => 0);
        }

        /// <summary>Instructions between checks of the realm's timers while it runs (how late a timer exit may be).</summary>
        public long TimerCheckInstructions { get; set; } = 4096;

        /// <summary>Exceptions the REC may take in one REC_ENTER before it exits with reason IRQ.</summary>
        public long ExceptionLimit { get; set; } = 10_000;

        /// <summary>Maximum instructions a REC runs per REC_ENTER before it exits with reason IRQ.</summary>
        public long SliceInstructions { get; set; } = 1_000_000;

        /// <inheritdoc/>
        public void InvalidateIpaRange(ushort vmid, ulong ipa, ulong size)
        {
            foreach (KeyValuePair<Rec, RecExecution> kv in _recs)
            {
                if (kv.Key.Realm.Vmid == vmid)
                {
                    kv.Value.Cpu.FlushTlb();
                }
            }
        }

        /// <summary>The CPU of <paramref name="rec"/> if it has run (RMM-private; for the RMM's own tests).</summary>
        internal Cpu? FindCpu(Rec rec) => _recs.TryGetValue(rec, out RecExecution? x) ? x.Cpu : null;

        /// <inheritdoc/>
        public ulong Run(RealmDescriptor realm, Rec rec, ReadOnlySpan<byte> enter, Span<byte> exit)
        {
            ArgumentNullException.ThrowIfNull(realm);
            ArgumentNullException.ThrowIfNull(rec);
            RecExecution x = _recs.GetValue(rec, Create);
            Cpu cpu = x.Cpu;
            ulong flags = Le64(enter, RecRunLayout.EnterFlags);
            bool emulMmio = (flags & RecRunLayout.EnterFlagEmulMmio) != 0;
            bool injectSea = (flags & RecRunLayout.EnterFlagInjectSea) != 0;

            if (rec.NeedsReset)
            {
                // PSCI CPU_ON completed: a fresh CPU, with nothing left from an earlier exit to complete.
                PowerOn(x, realm, rec.ResetCallerSctlrEl1 & SctlrEe);
                rec.NeedsReset = false;
            }

            // TF-RMM complete_mmio_emulation / complete_sea_insertion: only after an exit they fit.
            // Both are checked before anything changes, so a refused entry leaves the REC as it was.
            if ((emulMmio && !x.LastExitEmulatable) || (injectSea && !x.LastExitUnprotectedAbort) || !x.Gic.TryLoad(enter))
            {
                return (ulong)RmiStatus.ErrorRec;
            }

            // PSCI_COMPLETE changes the saved registers while the REC is out.
            LoadRegisters(rec, cpu);
            if (emulMmio)
            {
                if (((cpu.EsrEl2 >> 6) & 1) != 0)
                {
                    cpu.CompleteMmioWrite();
                }
                else
                {
                    cpu.CompleteMmioRead(Le64(enter, RecRunLayout.EnterGprs));
                }
            }

            if (injectSea)
            {
                cpu.InjectExternalAbort();
            }

            if (x.RipasPending)
            {
                // TF-RMM complete_set_ripas: X1 = where the host's RTT_SET_RIPAS calls got to.
                cpu.X[0] = RsiFunctionId.Success;
                cpu.X[1] = rec.SetRipasBase;
                cpu.X[2] = (flags & RecRunLayout.EnterFlagRipasResponse) != 0 ? RsiFunctionId.Reject : RsiFunctionId.Accept;
                _rmm.ClearSetRipas(rec);
                x.RipasPending = false;
            }

            RealmCpuHost host = (RealmCpuHost)x.Host;
            host.BeginEntry(cpu);
            x.LastExitEmulatable = false;
            x.LastExitUnprotectedAbort = false;
            x.ExitStaged = false;
            if (x.HostCallPending && !_rmm.CompleteHostCall(x, cpu, enter.Slice(RecRunLayout.EnterGprs, RsiFunctionId.HostCallGprs * 8)))
            {
                // The RsiHostCall granule is not mapped any more: the host must fault it in first.
                return Finish(x, rec, exit);
            }

            cpu.HcrEl2 = HcrVm
                | ((flags & RecRunLayout.EnterFlagTrapWfi) != 0 ? HcrTwi : 0)
                | ((flags & RecRunLayout.EnterFlagTrapWfe) != 0 ? HcrTwe : 0);
            cpu.IrqLine = x.Gic.IrqPending;
            if (cpu.Waiting && !cpu.IrqLine)
            {
                cpu.SendEvent();
            }

            // A timer that fires while the REC runs is a physical interrupt: exit with IRQ so the
            // host can inject it. One already firing at entry is the host's to handle (it saw
            // CNT*_CTL in the last exit), so only a new assertion exits.
            bool timerWasFiring = TimerFiring(x, host.Now(cpu));
            long remaining = SliceInstructions;
            ulong exceptionsAtEntry = cpu.ExceptionsTaken;
            while (true)
            {
                ulong before = cpu.Retired;
                CpuExit why = cpu.Run(Math.Min(remaining, Math.Max(1, TimerCheckInstructions)));
                remaining -= (long)(cpu.Retired - before);
                if (why == CpuExit.Hypervisor)
                {
                    if (x.ExitStaged || HandleTrap(x, realm))
                    {
                        break;
                    }
                }
                else if (why != CpuExit.Budget)
                {
                    // WFx with nothing pending, a stop request: give the host the CPU.
                    x.BeginExit(RecRunLayout.ExitIrq);
                    break;
                }

                // An exception storm (e.g. VBAR_EL1 at unmapped memory) is slow to emulate: hand the
                // CPU back early so that the host stays responsive.
                bool storm = cpu.ExceptionsTaken - exceptionsAtEntry >= (ulong)Math.Max(1, ExceptionLimit);
                bool firing = TimerFiring(x, host.Now(cpu));
                if ((firing && !timerWasFiring) || remaining <= 0 || storm)
                {
                    x.BeginExit(RecRunLayout.ExitIrq);
                    break;
                }

                timerWasFiring = firing;
            }

            return Finish(x, rec, exit);
        }

        private static bool TimerFiring(RecExecution x, ulong now) => x.Timer.VirtualOutput(now) || x.Timer.PhysicalOutput(now);

        private ulong Finish(RecExecution x, Rec rec, Span<byte> exit)
        {
            Cpu cpu = x.Cpu;
            SaveRegisters(cpu, rec);
            ulong now = ((RealmCpuHost)x.Host).Now(cpu);
            x.LastExitCounter = now;
            x.Set(RecRunLayout.ExitCntpCtl, ReadTimer(x, CntpCtl, now));
            x.Set(RecRunLayout.ExitCntpCval, ReadTimer(x, CntpCval, now));
            x.Set(RecRunLayout.ExitCntvCtl, ReadTimer(x, CntvCtl, now));
            x.Set(RecRunLayout.ExitCntvCval, ReadTimer(x, CntvCval, now));

            x.Gic.Save(x);
            x.Exit.CopyTo(exit);
            return (ulong)RmiStatus.Success;
        }

        private static ulong ReadTimer(RecExecution x, uint encoding, ulong now) =>
            x.Timer.TryRead(encoding, now, out ulong v) ? v : 0;

        /// <summary>
        /// A stage-2 abort or trapped WFx (TF-RMM <c>handle_exception_sync</c>). Returns true when
        /// the REC exits to the host (exit staged), false when the RMM handled it and the REC goes on.
        /// </summary>
        private bool HandleTrap(RecExecution x, RealmDescriptor realm)
        {
            Cpu cpu = x.Cpu;
            ulong esr = cpu.EsrEl2;
            uint ec = (uint)(esr >> 26) & 0x3F;
            ulong hpfar = cpu.HpfarEl2;
            ulong fipa = ((hpfar >> 4) & ((1UL << 40) - 1)) << 12;
            switch (ec)
            {
                case EcWfx:
                    x.BeginExit(RecRunLayout.ExitSync);
                    x.Set(RecRunLayout.ExitEsr, esr & EsrWfxMask);
                    cpu.Pc += 4;
                    return true;
                case EcDataAbortLower:
                case EcInstructionAbortLower:
                    break;
                default:
                    x.BeginExit(RecRunLayout.ExitIrq);
                    return true;
            }

            uint fsc = (uint)esr & 0x3F;
            bool data = ec == EcDataAbortLower;
            bool inPar = fipa < realm.IpaSize && realm.InPar(fipa);
            if (IsExternalAbort(fsc) && (inPar || fsc != GpfFsc))
            {
                // TF-RMM handle_sync_external_abort: reported to the host at once.
                x.BeginExit(RecRunLayout.ExitSync);
                x.Set(RecRunLayout.ExitEsr, esr & EsrNonEmulatedAbortMask);
                return true;
            }

            // A granule protection fault through an unprotected mapping: the host mapped memory
            // that is not Non-secure; the realm gets an external abort.
            if (fipa >= realm.IpaSize || (!inPar && (!data || fsc == GpfFsc)) || _rmm.IpaIsEmpty(realm, fipa))
            {
                // Outside the IPA space, RIPAS EMPTY, or an instruction fetch from the unprotected
                // alias: a synchronous external abort the realm takes, the host sees nothing.
                cpu.InjectExternalAbort();
                return false;
            }

            x.BeginExit(RecRunLayout.ExitSync);
            x.Set(RecRunLayout.ExitHpfar, hpfar);
            bool isv = ((esr >> 24) & 1) != 0;
            if (inPar || !isv)
            {
                // The host learns the page (to DATA_CREATE_UNKNOWN or map it), never the access.
                x.Set(RecRunLayout.ExitEsr, esr & EsrNonEmulatedAbortMask);
                x.LastExitUnprotectedAbort = !inPar;
                return true;
            }

            x.Set(RecRunLayout.ExitEsr, esr & EsrEmulatedAbortMask);
            // TF-RMM: far & ~GRANULE_MASK, the offset in the page only; the host takes the page from HPFAR.
            x.Set(RecRunLayout.ExitFar, cpu.FarEl2 & (ulong)(RealmManagementMonitor.GranuleSize - 1));
            if (((esr >> 6) & 1) != 0)
            {
                int srt = (int)((esr >> 16) & 0x1F);
                int sizeBits = 8 << (int)((esr >> 22) & 3);
                ulong value = cpu.GetX(srt);
                x.SetGpr(0, sizeBits == 64 ? value : value & ((1UL << sizeBits) - 1));
            }

            x.LastExitEmulatable = true;
            x.LastExitUnprotectedAbort = true;
            return true;
        }

        private const uint GpfFsc = 0x28;

        /// <summary>Synchronous external abort, on the access or on a table walk, and GPF (DFSC 0x10, 0x13–0x17, 0x28).</summary>
        private static bool IsExternalAbort(uint fsc) => fsc == 0x10 || (fsc >= 0x13 && fsc <= 0x17) || fsc == GpfFsc;

        private RecExecution Create(Rec rec)
        {
            var host = new RealmCpuHost(_rmm, _counter);
            var x = new RecExecution(rec, host, h => new Cpu((int)Math.Min(rec.Index, int.MaxValue), _memory, h));
            host.Bind(x);
            PowerOn(x, rec.Realm, 0);
            return x;
        }

        /// <summary>
        /// REC_CREATE's state (or PSCI CPU_ON's): EL1h, MMU off, DAIF masked, PC and X0–X30 from
        /// the REC; stage 2 over the realm's RTTs with its VMID.
        /// </summary>
        private static void PowerOn(RecExecution x, RealmDescriptor realm, ulong sctlrEe)
        {
            Cpu cpu = x.Cpu;
            Rec rec = x.Rec;
            cpu.PowerOn(rec.Pc, rec.Gprs[0]);
            cpu.Security = SecurityState.Realm;
            cpu.IdAa64Pfr0Override = RealmIdAa64Pfr0;
            cpu.MpidrOverride = MpidrRes1 | rec.MpidrEl1;
            cpu.SctlrEl[1] |= sctlrEe;
            cpu.HcrEl2 = HcrVm;
            uint sl0 = (uint)(2 - realm.StartLevel) & 3;
            uint t0sz = (uint)(64 - realm.IpaBits) & 0x3F;
            cpu.VtcrEl2 = t0sz | ((ulong)sl0 << 6) | VtcrPs44;
            cpu.VttbrEl2 = realm.RootRttBase | ((ulong)realm.Vmid << 48);
            cpu.FlushTlb();
            x.Timer.Reset();
            x.Gic.Reset();
            x.Token = null;
            x.HostCallPending = false;
            x.RipasPending = false;
            x.LastExitEmulatable = false;
            x.LastExitUnprotectedAbort = false;
        }

        private static void LoadRegisters(Rec rec, Cpu cpu)
        {
            for (int i = 0; i < Rec.GprCount; i++)
            {
                cpu.X[i] = rec.Gprs[i];
            }

            cpu.Pc = rec.Pc;
        }

        private static void SaveRegisters(Cpu cpu, Rec rec)
        {
            for (int i = 0; i < Rec.GprCount; i++)
            {
                rec.Gprs[i] = cpu.X[i];
            }

            rec.Pc = cpu.Pc;
            rec.SctlrEl1 = cpu.SctlrEl[1];
        }

        private static ulong Le64(ReadOnlySpan<byte> b, int offset) => BinaryPrimitives.ReadUInt64LittleEndian(b[offset..]);
    }
}
