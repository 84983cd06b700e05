using System.Buffers.Binary;
using System.Diagnostics;
using Capvisor.Board;
using Capvisor.Board.Boot;
using Capvisor.Board.DeviceTree;
using Capvisor.Board.Memory;
using Capvisor.Firmware.Monitor;
using Capvisor.Firmware.Rmm;
using F = Capvisor.Firmware.Rmm.RmiFunctionId;
using L = Capvisor.Firmware.Rmm.RecRunLayout;

namespace Capvisor.Firmware.Hypervisor
{
    /// <summary>
    /// The untrusted host for one realm, in the role of KVM + kvmtool-cca: it owns an RME board
    /// whose RAM is the host's physical memory (its own Non-secure granules and the ones it
    /// delegates), builds the realm with <see cref="RealmBuilder"/> and runs its RECs with
    /// REC_ENTER, serving their exits. Every realm operation is an RMI call issued as an SMC from
    /// the Non-secure world (<see cref="SmcRmiChannel"/>); the host reads only its own RecRun
    /// pages, never realm memory.
    /// </summary>
    /// <remarks>
    /// Exits served: emulatable data aborts in the unprotected IPA half go to the board's MMIO bus
    /// at the IPA with the top bit cleared (so the PL011 is at 0x09000000 | 1 &lt;&lt; (IPA width − 1))
    /// and complete with EMUL_MMIO; unprotected RAM addresses get a shared host granule
    /// (RTT_MAP_UNPROTECTED); other unprotected aborts (no ISV, no device) get a synchronous
    /// external abort (INJECT_SEA). Faults on protected RAM get a fresh granule
    /// (DATA_CREATE_UNKNOWN); a protected fault outside RAM, or the same IPA faulting
    /// <see cref="RealmVmmOptions.RepeatedFaultLimit"/> times in a row, ends the run (the host may
    /// not inject aborts there). PSCI CPU_ON/AFFINITY_INFO are completed with PSCI_COMPLETE,
    /// SYSTEM_OFF/RESET end the run, CPU_OFF parks the REC. RSI host calls are answered as SMCCC
    /// calls (SMCCC_VERSION → 1.1, anything else NOT_SUPPORTED). RIPAS changes are applied with
    /// RTT_SET_RIPAS (REJECT when nothing could be changed). Runnable RECs are entered
    /// round-robin; every REC_ENTER returns within the RMM's slice, so the timeout and
    /// cancellation are checked between entries. With deterministic time the board clock (the
    /// base of the realm's counter, to which the RMM adds the instructions of the current entry)
    /// moves by a full slice for a slice-end exit and by 1 µs for any other exit: the host cannot
    /// see the realm's instruction count.
    /// </remarks>
    public sealed class RealmVmm : IDisposable
    {
        /// <summary>Realm RAM starts at this IPA, as on the virt board.</summary>
        public const ulong RamBase = VirtMemoryMap.RamBase;

        /// <summary>SMCCC_VERSION.</summary>
        public const ulong SmcccVersion = 0x8000_0000;

        private const ulong SmcccNotSupported = ulong.MaxValue;
        private const ulong Granule = GranuleProtectionTable.GranuleSize;
        private const uint EcDataAbortLower = 0x24;
        private const uint EcInstructionAbortLower = 0x20;
        private const ulong PsciCpuSuspend = 0xC400_0001, PsciCpuOff = 0x8400_0002, PsciCpuOn = 0xC400_0003;
        private const ulong PsciAffinityInfo = 0xC400_0004, PsciSystemOff = 0x8400_0008, PsciSystemReset = 0x8400_0009;

        private readonly RealmVmmOptions _options;
        private readonly List<RecSlot> _slots = new();
        private readonly byte[] _run = new byte[L.Size];
        private readonly Dictionary<ulong, ulong> _shared = new();

        /// <summary>Creates the board, the monitor/RMM and the host's memory pool; nothing is built yet.</summary>
        /// <exception cref="ArgumentException">An option is out of range.</exception>
        public RealmVmm(RealmVmmOptions options)
        {
            _options = options;
            if (options.CpuCount < 1 || options.CpuCount > VirtMachineOptions.MaxCpus)
            {
                throw new ArgumentException($"the number of vCPUs must be 1..{VirtMachineOptions.MaxCpus}, not {options.CpuCount}");
            }

            if (options.MemoryMiB < 16 || options.MemoryMiB > MaxMemoryMiB)
            {
                throw new ArgumentException($"realm RAM must be 16..{MaxMemoryMiB} MiB, not {options.MemoryMiB}");
            }

            if (options.Rpv.Length > RealmParams.RpvSize)
            {
                throw new ArgumentException($"the realm personalization value is at most {RealmParams.RpvSize} bytes, not {options.Rpv.Length}");
            }

            RamSize = (ulong)options.MemoryMiB << 20;
            IpaBits = options.IpaBits ?? RealmConfig.IpaBitsFor(RamBase + RamSize);
            if (IpaBits < 32 || (1UL << (IpaBits - 1)) < RamBase + RamSize || IpaBits > 48)
            {
                throw new ArgumentException($"an IPA width of {IpaBits} bits cannot hold {options.MemoryMiB} MiB of protected RAM");
            }

            // The board's RAM is all the host has: realm RAM (every granule may be faulted in),
            // its RTTs (one level-3 table per 2 MiB at worst), RECs with their auxiliary
            // granules, RecRun pages and staging.
            int boardMiB = options.MemoryMiB + (options.MemoryMiB / 256) + 8 + options.CpuCount;
            Machine = new VirtMachine(new VirtMachineOptions
            {
                MemoryMiB = boardMiB,
                CpuCount = 1,
                EnableRmm = true,
                SerialOutput = options.SerialOutput,
                Deterministic = options.Deterministic,
            });
            // The platform's boot (not the host): the RMM with its REC runner and, given a
            // platform identity, its attestation state (fresh RAK, platform token signed with the CPAK).
            Monitor = new El3Monitor(Machine, platform: options.Platform);
            HostMemory = new BoardHostMemory(Machine.Ram, Machine.Ram.Base, Machine.Ram.End);
            Rmi = new SmcRmiChannel(Monitor, Machine.Cpus[0]);
            Realm = new RealmBuilder(Rmi, HostMemory);
        }

        /// <summary>The largest realm RAM the host accepts, in MiB.</summary>
        public const int MaxMemoryMiB = 32 * 1024;

        /// <summary>The board: the host's physical memory, GPT and MMIO devices.</summary>
        public VirtMachine Machine { get; }

        /// <summary>The EL3 monitor (and through it the RMM) the host's SMCs reach.</summary>
        public El3Monitor Monitor { get; }

        /// <summary>The host's granule pool.</summary>
        public BoardHostMemory HostMemory { get; }

        /// <summary>The host's RMI channel.</summary>
        public IRmiChannel Rmi { get; }

        /// <summary>The creation sequence and the realm's RMI state as the host knows it.</summary>
        public RealmBuilder Realm { get; }

        /// <summary>Realm RAM size in bytes.</summary>
        public ulong RamSize { get; }

        /// <summary>IPA width of the realm.</summary>
        public int IpaBits { get; }

        /// <summary>Where the images went in the realm's IPA space (after <see cref="Build"/>).</summary>
        public BootLayout? Layout { get; private set; }

        /// <summary>The device tree given to the realm (after <see cref="Build"/>).</summary>
        public byte[] DeviceTreeBlob { get; private set; } = [];

        /// <summary>The populated IPA ranges, in DATA_CREATE order.</summary>
        public IReadOnlyList<(ulong Start, ulong End)> PopulatedRanges { get; private set; } = [];

        /// <summary>Exits served so far, by RecRun exit reason.</summary>
        public long[] ExitCounts { get; } = new long[7];

        /// <summary>
        /// Builds the realm as kvmtool-cca does: images laid out as the board's loader would place
        /// them in realm RAM (QEMU virt direct boot), a virt device tree with PSCI over SMC,
        /// REALM_CREATE, INIT_RIPAS over all RAM, measured DATA_CREATE of each blob rounded to
        /// 64 KiB, RECs (vCPU 0 runnable at the entry point, X0 = DTB IPA), ACTIVATE.
        /// </summary>
        /// <exception cref="BootImageException">The image cannot be loaded or does not fit.</exception>
        /// <exception cref="RealmHostException">An RMI command failed.</exception>
        public void Build()
        {
            if (Realm.Rd != 0)
            {
                throw new InvalidOperationException("the realm is built already");
            }

            var image = KernelImage.Parse(_options.Kernel, _options.KernelName);

            // The VMM's view of guest memory before it is handed over: images are laid out in a
            // host buffer the size of realm RAM, then copied granule by granule into delegated
            // memory through DATA_CREATE (untouched pages of the buffer cost nothing).
            using var staging = new RamBlock(RamBase, RamSize);
            var space = new PhysicalAddressSpace(staging, new MmioBus());
            byte[] dtb = [];
            BootLayout layout = BootLoader.Load(space, image, _options.Initrd, (start, end) => dtb = BuildDeviceTree(start, end));
            Layout = layout;
            DeviceTreeBlob = dtb;

            var blobs = new List<(ulong Start, ulong End)>();
            if (image.Format == KernelFormat.Elf)
            {
                foreach (ElfSegment seg in image.Segments)
                {
                    if (seg.Data.Length > 0 && staging.Contains(seg.PhysicalAddress, (ulong)seg.Data.Length))
                    {
                        blobs.Add((seg.PhysicalAddress, seg.PhysicalAddress + (ulong)seg.Data.Length));
                    }
                }
            }
            else
            {
                blobs.Add((layout.KernelStart, layout.KernelStart + (ulong)image.Data.Length));
            }

            if (layout.InitrdStart is ulong initrdStart && layout.InitrdEnd is ulong initrdEnd)
            {
                blobs.Add((initrdStart, initrdEnd));
            }

            blobs.Add((layout.DtbAddress, layout.DtbAddress + (ulong)dtb.Length));
            PopulatedRanges = MergeRounded(blobs, RamBase + RamSize);

            Realm.CreateRealm(new RealmConfig { IpaBits = IpaBits, Algorithm = _options.Algorithm, Rpv = _options.Rpv });
            Realm.InitRipas(RamBase, RamBase + RamSize);
            foreach ((ulong start, ulong end) in PopulatedRanges)
            {
                Realm.Populate(start, staging.GetSpan(start, (int)(end - start)));
            }

            ulong[] gprs = new ulong[RecParams.GprCount];
            gprs[0] = layout.DtbAddress;
            Realm.CreateRecs(_options.CpuCount, layout.Entry, gprs);
            Realm.Activate();
            for (int i = 0; i < Realm.Recs.Count; i++)
            {
                ulong run = HostMemory.AllocateGranule();
                HostMemory.Write(run, new byte[L.Size]);
                _slots.Add(new RecSlot(Realm.Recs[i], run) { On = i == 0 });
            }
        }

        /// <summary>Each blob rounded out to 64 KiB, overlapping or touching ones merged, ascending.</summary>
        private static List<(ulong Start, ulong End)> MergeRounded(List<(ulong Start, ulong End)> blobs, ulong ramEnd)
        {
            var merged = new List<(ulong Start, ulong End)>();
            foreach (var (s, e) in blobs.OrderBy(b => b.Start))
            {
                ulong start = s & ~(RealmBuilder.PopulateAlign - 1);
                ulong end = Math.Min(ramEnd, (e + RealmBuilder.PopulateAlign - 1) & ~(RealmBuilder.PopulateAlign - 1));
                if (merged.Count > 0 && start <= merged[^1].End)
                {
                    merged[^1] = (merged[^1].Start, Math.Max(end, merged[^1].End));
                }
                else
                {
                    merged.Add((start, end));
                }
            }

            return merged;
        }

        private byte[] BuildDeviceTree(ulong? initrdStart, ulong? initrdEnd)
        {
            // No rng-seed: the DTB is measured, so it must be what a verifier can rebuild.
            FdtNode root = VirtDeviceTree.Build(new VirtDeviceTreeOptions
            {
                CpuCount = _options.CpuCount,
                RamBase = RamBase,
                RamSize = RamSize,
                PsciMethod = "smc",
                BootArgs = _options.CommandLine,
                InitrdStart = initrdStart,
                InitrdEnd = initrdEnd,
            });
            return FdtWriter.Write(root);
        }

        /// <summary>
        /// Runs the RECs until the realm switches off or resets, no REC is left, the timeout passes,
        /// <paramref name="cancellation"/> fires, or the host cannot continue.
        /// </summary>
        public RealmRunResult Run(CancellationToken cancellation = default)
        {
            if (_slots.Count == 0)
            {
                throw new InvalidOperationException("Build the realm first");
            }

            var wall = Stopwatch.StartNew();
            int cursor = 0;
            try
            {
                while (true)
                {
                    if (cancellation.IsCancellationRequested)
                    {
                        return End(RealmRunEnd.Cancelled, "the run was cancelled");
                    }

                    if (_options.Timeout is TimeSpan limit && wall.Elapsed > limit)
                    {
                        return End(RealmRunEnd.Timeout, $"timed out after {limit.TotalSeconds:0.###} s");
                    }

                    int index = NextRunnable(cursor);
                    if (index < 0)
                    {
                        return End(RealmRunEnd.AllRecsOff, "every REC of the realm is off");
                    }

                    cursor = index + 1;
                    RealmRunResult? done = Enter(index);
                    if (done != null)
                    {
                        return End(done.End, done.Message);
                    }
                }
            }
            catch (RealmHostException e)
            {
                return End(RealmRunEnd.HostError, e.Message);
            }
        }

        private RealmRunResult End(RealmRunEnd end, string message)
        {
            Machine.Uart.Flush();
            return new RealmRunResult(end, message);
        }

        private int NextRunnable(int cursor)
        {
            for (int k = 0; k < _slots.Count; k++)
            {
                int i = (cursor + k) % _slots.Count;
                if (_slots[i].On)
                {
                    return i;
                }
            }

            return -1;
        }

        /// <summary>One REC_ENTER of REC <paramref name="index"/> and the service of its exit; non-null ends the run.</summary>
        private RealmRunResult? Enter(int index)
        {
            RecSlot slot = _slots[index];
            Span<byte> run = _run;
            run.Clear();
            BinaryPrimitives.WriteUInt64LittleEndian(run[L.EnterFlags..], slot.EnterFlags);
            for (int i = 0; i < slot.EnterGprs.Length; i++)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(run[(L.EnterGprs + (8 * i))..], slot.EnterGprs[i]);
            }

            HostMemory.Write(slot.Run, run[..L.EnterSize]);
            slot.EnterFlags = 0;
            Array.Clear(slot.EnterGprs);
            RmiResult r = Rmi.Call(F.RecEnter, slot.Rec, slot.Run);
            if (r.Status == RmiStatus.ErrorRealm && r.Index == 1)
            {
                return new RealmRunResult(RealmRunEnd.SystemOff, "the realm is switched off");
            }

            if (r.Status == RmiStatus.ErrorRec)
            {
                // Not runnable (never started, or turned itself off) or a PSCI request pending.
                slot.On = false;
                return null;
            }

            if (r.Status != RmiStatus.Success)
            {
                throw new RealmHostException("REC_ENTER", r);
            }

            HostMemory.Read(slot.Run, run[L.ExitOffset..], L.ExitOffset);
            if (Machine.Clock.Deterministic)
            {
                // The host cannot see how many instructions the REC retired (RMM-private state):
                // deterministic time moves by a full slice for a slice-end exit, by 1 µs otherwise.
                Machine.Clock.Advance(Le(run[L.ExitOffset..], L.ExitReason) == L.ExitIrq ? (ulong)Monitor.RecRunner!.SliceInstructions : 1000);
            }

            ReadOnlySpan<byte> exit = run[L.ExitOffset..];
            ulong reason = Le(exit, L.ExitReason);
            if (reason < (ulong)ExitCounts.Length)
            {
                ExitCounts[reason]++;
            }

            switch (reason)
            {
                case L.ExitSync:
                    return ServeSync(slot, exit);
                case L.ExitPsci:
                    return ServePsci(index, slot, exit);
                case L.ExitHostCall:
                    ServeHostCall(slot, exit);
                    return null;
                case L.ExitRipasChange:
                    ServeRipasChange(slot, exit);
                    return null;
                case L.ExitIrq:
                case L.ExitFiq:
                case L.ExitSerror:
                    return null;
                default:
                    return new RealmRunResult(RealmRunEnd.HostError, $"REC {index} exited with unknown reason {reason}");
            }
        }

        private RealmRunResult? ServeSync(RecSlot slot, ReadOnlySpan<byte> exit)
        {
            ulong esr = Le(exit, L.ExitEsr);
            uint ec = (uint)(esr >> 26) & 0x3F;
            if (ec != EcDataAbortLower && ec != EcInstructionAbortLower)
            {
                // WFx, or anything else the RMM chose to report: nothing for the host to do.
                return null;
            }

            ulong ipa = ((Le(exit, L.ExitHpfar) >> 4) << 12) | (Le(exit, L.ExitFar) & (Granule - 1));
            if (ipa == slot.LastFaultIpa && ++slot.RepeatedFaults > _options.RepeatedFaultLimit)
            {
                return new RealmRunResult(RealmRunEnd.RealmError,
                    $"the realm faulted {slot.RepeatedFaults} times in a row at IPA 0x{ipa:x} (ESR 0x{esr:x})");
            }

            if (ipa != slot.LastFaultIpa)
            {
                slot.LastFaultIpa = ipa;
                slot.RepeatedFaults = 0;
            }

            ulong unprotected = Realm.UnprotectedBase;
            if (ipa < unprotected)
            {
                // RIPAS RAM without a granule. The host may not inject an abort for a protected
                // IPA (REC_ENTER refuses INJECT_SEA there): it backs the page or gives up. A
                // refused DATA_CREATE_UNKNOWN (already mapped: a spurious exit) is retried, and the
                // repeat limit above ends a realm that keeps faulting.
                if (!InRam(ipa))
                {
                    return new RealmRunResult(RealmRunEnd.RealmError, $"the realm faulted on protected IPA 0x{ipa:x} outside its RAM (ESR 0x{esr:x})");
                }

                Realm.MapProtected(ipa);
                return null;
            }

            ulong pa = ipa & ~unprotected;
            if (InRam(pa))
            {
                if (!MapShared(ipa))
                {
                    slot.EnterFlags = L.EnterFlagInjectSea;
                }

                return null;
            }

            bool isv = ec == EcDataAbortLower && (esr & (1UL << 24)) != 0;
            if (!isv)
            {
                slot.EnterFlags = L.EnterFlagInjectSea;
                return null;
            }

            slot.LastFaultIpa = ulong.MaxValue; // MMIO completes: a repeat is a new access
            int size = 1 << (int)((esr >> 22) & 3);
            bool write = (esr & (1UL << 6)) != 0;
            if (!Machine.Memory.Bus.TryFind(pa, size, out IMmioDevice? device, out ulong offset) || device == null)
            {
                slot.EnterFlags = L.EnterFlagInjectSea;
                return null;
            }

            if (write)
            {
                ulong value = Le(exit, L.ExitGprs) & SizeMask(size);
                if (!device.Write(offset, size, value))
                {
                    slot.EnterFlags = L.EnterFlagInjectSea;
                    return null;
                }
            }
            else
            {
                if (!device.Read(offset, size, out ulong value))
                {
                    slot.EnterFlags = L.EnterFlagInjectSea;
                    return null;
                }

                slot.EnterGprs[0] = value & SizeMask(size);
            }

            slot.EnterFlags = L.EnterFlagEmulMmio;
            return null;
        }

        private static ulong SizeMask(int size) => size >= 8 ? ulong.MaxValue : (1UL << (size * 8)) - 1;

        private bool InRam(ulong ipa) => ipa >= RamBase && ipa - RamBase < RamSize;

        /// <summary>Maps a host granule at the unprotected <paramref name="ipa"/> (memory the realm shares with the host).</summary>
        private bool MapShared(ulong ipa)
        {
            ipa &= ~(Granule - 1);
            if (_shared.ContainsKey(ipa))
            {
                return false;
            }

            ulong pa = HostMemory.AllocateGranule();
            HostMemory.Write(pa, new byte[Granule]);
            if (!Realm.MapUnprotected(ipa, pa))
            {
                HostMemory.FreeGranule(pa);
                return false;
            }

            _shared[ipa] = pa;
            return true;
        }

        private RealmRunResult? ServePsci(int index, RecSlot slot, ReadOnlySpan<byte> exit)
        {
            ulong fid = Le(exit, L.ExitGprs) & 0xFFFF_FFFF;
            ulong target = Le(exit, L.ExitGprs + 8);
            switch (fid)
            {
                case PsciSystemOff:
                    return new RealmRunResult(RealmRunEnd.SystemOff, "the realm switched off (PSCI SYSTEM_OFF)");
                case PsciSystemReset:
                    return new RealmRunResult(RealmRunEnd.SystemReset, "the realm asked for a reset (PSCI SYSTEM_RESET)");
                case PsciCpuOff:
                    slot.On = false;
                    return null;
                case PsciCpuOn:
                case PsciAffinityInfo:
                    int t = TargetIndex(target);
                    if (t < 0)
                    {
                        // The RMM checks the MPIDR before it exits; a target the host does not
                        // know cannot be completed, and the REC stays blocked on it.
                        return new RealmRunResult(RealmRunEnd.RealmError, $"REC {index}: PSCI 0x{fid:x} for unknown MPIDR 0x{target:x}");
                    }

                    RmiResult r = Rmi.Call(F.PsciComplete, slot.Rec, _slots[t].Rec, 0);
                    if (r.Status != RmiStatus.Success)
                    {
                        throw new RealmHostException("PSCI_COMPLETE", r);
                    }

                    if (fid == PsciCpuOn)
                    {
                        _slots[t].On = true;
                    }

                    return null;
                case PsciCpuSuspend:
                default:
                    return null;
            }
        }

        /// <summary>vCPU index of an MPIDR in RmiRecMpidr form (Aff0 [3:0], Aff1 [15:8]), or -1.</summary>
        private int TargetIndex(ulong mpidr)
        {
            if ((mpidr & ~0xFF0FUL) != 0)
            {
                return -1;
            }

            ulong index = (mpidr & 0xF) | (((mpidr >> 8) & 0xFF) << 4);
            return index < (ulong)_slots.Count ? (int)index : -1;
        }

        private static void ServeHostCall(RecSlot slot, ReadOnlySpan<byte> exit)
        {
            // The RMM copies all 31 entry registers back into the realm's RsiHostCall: keep the
            // realm's own arguments, answer in X0.
            for (int i = 0; i < slot.EnterGprs.Length; i++)
            {
                slot.EnterGprs[i] = Le(exit, L.ExitGprs + (8 * i));
            }

            slot.EnterGprs[0] = (slot.EnterGprs[0] & 0xFFFF_FFFF) == SmcccVersion ? 0x1_0001UL : SmcccNotSupported;
        }

        private void ServeRipasChange(RecSlot slot, ReadOnlySpan<byte> exit)
        {
            ulong baseIpa = Le(exit, L.ExitRipasBase), top = Le(exit, L.ExitRipasTop);
            ulong reached = top > baseIpa ? Realm.SetRipas(slot.Rec, baseIpa, top) : baseIpa;
            if (reached == baseIpa)
            {
                slot.EnterFlags = L.EnterFlagRipasResponse;
            }
        }

        private static ulong Le(ReadOnlySpan<byte> b, int offset) => BinaryPrimitives.ReadUInt64LittleEndian(b[offset..]);

        /// <inheritdoc/>
        public void Dispose()
        {
            Monitor.Rmm?.Attestation?.Dispose();
            Machine.Dispose();
        }

        /// <summary>The host's bookkeeping for one REC.</summary>
        private sealed class RecSlot(ulong rec, ulong run)
        {
            public ulong Rec { get; } = rec;

            public ulong Run { get; } = run;

            public bool On { get; set; }

            public ulong EnterFlags { get; set; }

            public ulong[] EnterGprs { get; } = new ulong[31];

            public ulong LastFaultIpa { get; set; } = ulong.MaxValue;

            public int RepeatedFaults { get; set; }
        }
    }
}
