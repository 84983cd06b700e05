using System.Buffers.Binary;
using Capvisor.Arm;
using Capvisor.Attestation.Cca;
using Capvisor.Board;
using Capvisor.Firmware.Monitor;
using Capvisor.Firmware.Rmm;
using F = Capvisor.Firmware.Rmm.RmiFunctionId;

namespace Capvisor.Firmware.Tests.Rmm
{
    /// <summary>
    /// A realm on a real board: a <see cref="VirtMachine"/> with RME and an <see cref="El3Monitor"/>
    /// (REC runner, attestation with a CPAK in a temporary state directory), a realm built with
    /// kvmtool's RMI sequence around a test program, and a host that enters its REC through RMI.
    /// </summary>
    public sealed class BoardRealm : IDisposable
    {
        public const int IpaBits = 33;
        public const ulong RamIpa = 0x4000_0000;
        public const ulong RamSize = 2UL << 20;
        public const ulong CodeIpa = RamIpa;
        public const ulong HostCallIpa = RamIpa + 0xD000;
        public const ulong BufferIpa = RamIpa + 0xE000;
        public const ulong ResultsIpa = RamIpa + 0xF000;

        /// <summary>RIPAS RAM, no granule until the host creates one.</summary>
        public const ulong UnpopulatedIpa = RamIpa + 0x10_0000;

        public const ulong UnprotectedBit = 1UL << (IpaBits - 1);

        private readonly string? _stateDir;

        public BoardRealm(byte[] image, MeasurementAlgorithm algorithm = MeasurementAlgorithm.Sha256, bool attestation = true, long slice = 20_000, int vcpus = 1)
        {
            if (attestation)
            {
                _stateDir = Path.Combine(Path.GetTempPath(), "capvisor-rmm-test-" + Guid.NewGuid().ToString("N"));
                Identity = PlatformIdentity.LoadOrCreate(_stateDir, out _);
            }

            El3Monitor? monitor = null;
            Machine = new VirtMachine(new VirtMachineOptions
            {
                MemoryMiB = 16,
                Deterministic = true,
                EnableRmm = true,
            }, m => monitor = new El3Monitor((VirtMachine)m, platform: Identity));
            Monitor = monitor!;
            Rmm = Monitor.Rmm!;
            Monitor.RecRunner!.SliceInstructions = slice;
            ulong ramBase = VirtMemoryMap.RamBase;
            HostWriter write = (pa, data) => data.CopyTo(Machine.Ram.GetSpan(pa, data.Length));
            H = new RmmHarness(Rmm, ramBase + (1UL << 20), ramBase + (16UL << 20), write);
            Host = new KvmtoolHost(H, write);
            Host.CreateRealm(IpaBits, algorithm, Rpv);
            Host.InitRipas(RamIpa, RamIpa + RamSize);
            Blobs = Host.Populate(CodeIpa, image);
            Rec0 = Host.CreateRecs(vcpus, CodeIpa, dtb: 0);
            Host.Activate();
            RecRun = H.AllocNs();
        }

        public static byte[] Rpv { get; } = Enumerable.Range(0, 64).Select(i => (byte)(0xA0 ^ i)).ToArray();

        public PlatformIdentity? Identity { get; }

        public VirtMachine Machine { get; }

        public El3Monitor Monitor { get; }

        public RealmManagementMonitor Rmm { get; }

        public RmmHarness H { get; }

        public KvmtoolHost Host { get; }

        public List<(ulong Ipa, byte[] Granule)> Blobs { get; }

        public RecParams Rec0 { get; }

        public ulong Rd => Host.Rd;

        public ulong Rec => Host.Recs[0];

        public ulong RecRun { get; }

        public RealmDescriptor Realm => Rmm.FindRealm(Rd)!;

        /// <summary>The REC's CPU (RMM-private state; the test looks at it as the RMM would).</summary>
        public Cpu Cpu => Monitor.RecRunner!.FindCpu(Rmm.FindRec(Rec)!)!;

        /// <summary>The exit record of the last successful REC_ENTER.</summary>
        public byte[] Exit { get; } = new byte[RecRunLayout.ExitSize];

        public ulong ExitReason => Le(RecRunLayout.ExitReason);

        public ulong ExitEsr => Le(RecRunLayout.ExitEsr);

        public ulong ExitFar => Le(RecRunLayout.ExitFar);

        public ulong ExitHpfar => Le(RecRunLayout.ExitHpfar);

        public ulong ExitIpa => (ExitHpfar >> 4) << 12;

        public ulong ExitGpr(int i) => Le(RecRunLayout.ExitGprs + (i * 8));

        public ulong Le(int offset) => BinaryPrimitives.ReadUInt64LittleEndian(Exit.AsSpan(offset));

        /// <summary>RMI_REC_ENTER with <paramref name="flags"/> and entry gprs; copies the exit record on success.</summary>
        public RmiResult Enter(ulong flags = 0, params ulong[] gprs) => EnterRec(0, flags, gprs);

        /// <summary>RMI_REC_ENTER of REC <paramref name="index"/>.</summary>
        public RmiResult EnterRec(int index, ulong flags = 0, params ulong[] gprs)
        {
            byte[] enter = new byte[RecRunLayout.EnterSize];
            BinaryPrimitives.WriteUInt64LittleEndian(enter, flags);
            for (int i = 0; i < gprs.Length; i++)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(enter.AsSpan(RecRunLayout.EnterGprs + (i * 8)), gprs[i]);
            }

            Span<byte> run = Machine.Ram.GetSpan(RecRun, RecRunLayout.Size);
            run.Clear();
            enter.CopyTo(run);
            RmiResult r = H.Call(F.RecEnter, Host.Recs[index], RecRun);
            if (r.Status == RmiStatus.Success)
            {
                Machine.Ram.GetSpan(RecRun + RecRunLayout.ExitOffset, RecRunLayout.ExitSize).CopyTo(Exit);
            }

            return r;
        }

        /// <summary>Enters until the exit is not an IRQ (slice end), at most <paramref name="limit"/> times.</summary>
        public void EnterUntilNotIrq(ulong flags = 0, int limit = 20, params ulong[] gprs)
        {
            RmmHarness.Ok(Enter(flags, gprs));
            for (int i = 0; i < limit && ExitReason == RecRunLayout.ExitIrq; i++)
            {
                RmmHarness.Ok(Enter());
            }
        }

        /// <summary>What KVM does for a realm fault on RIPAS RAM without a granule: DATA_CREATE_UNKNOWN (RTTs first if needed).</summary>
        public void CreateUnknown(ulong ipa)
        {
            ipa &= ~0xFFFUL;
            H.CreateRtts(Rd, ipa, 3);
            RmmHarness.Ok(H.Call(F.DataCreateUnknown, Rd, H.AllocDelegated(), ipa));
        }

        /// <summary>The PA behind a protected IPA, as the host learns it from RTT_READ_ENTRY.</summary>
        public ulong PaOf(ulong ipa)
        {
            RmiResult r = H.Call(F.RttReadEntry, Rd, ipa & ~0xFFFUL, 3);
            RmmHarness.Ok(r);
            Assert.Equal(3UL, r.X1);
            return r.X3 & 0x0000_FFFF_FFFF_F000UL;
        }

        /// <summary>Realm memory, read as the Realm state may (the test's privilege, not the host's).</summary>
        public byte[] ReadRealm(ulong ipa, int length) =>
            Machine.Ram.GetSpan(PaOf(ipa) + (ipa & 0xFFF), length, SecurityState.Realm).ToArray();

        public ulong Result(int slot) => BinaryPrimitives.ReadUInt64LittleEndian(ReadRealm(ResultsIpa + ((ulong)slot * 8), 8));

        public void Dispose()
        {
            Machine.Dispose();
            Identity?.Dispose();
            if (_stateDir != null && Directory.Exists(_stateDir))
            {
                Directory.Delete(_stateDir, recursive: true);
            }
        }
    }
}
