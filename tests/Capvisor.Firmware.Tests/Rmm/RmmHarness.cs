using System.Buffers.Binary;
using Capvisor.Firmware.Rmm;
using F = Capvisor.Firmware.Rmm.RmiFunctionId;

namespace Capvisor.Firmware.Tests.Rmm
{
    /// <summary>How the harness's host writes a Non-secure granule.</summary>
    public delegate void HostWriter(ulong pa, ReadOnlySpan<byte> data);

    /// <summary>A host driving the RMM: allocates physical granules, writes parameter granules, issues RMI calls.</summary>
    public sealed class RmmHarness
    {
        public const ulong RamBase = 0x4000_0000;

        private readonly ulong _end;
        private readonly HostWriter _hostWrite;
        private ulong _next;

        public RmmHarness(int granules = 1024, RmmFeatures? features = null)
        {
            Memory = new FakePhysicalGranules(RamBase, granules);
            Rmm = new RealmManagementMonitor(Memory, features);
            _next = RamBase;
            _end = Memory.RamEnd;
            _hostWrite = (pa, data) => Memory.HostWrite(pa, data);
        }

        /// <summary>A host over another RMM (e.g. a board's), allocating granules in [<paramref name="start"/>, <paramref name="end"/>).</summary>
        public RmmHarness(RealmManagementMonitor rmm, ulong start, ulong end, HostWriter hostWrite)
        {
            Memory = null!;
            Rmm = rmm;
            _next = start;
            _end = end;
            _hostWrite = hostWrite;
        }

        /// <summary>The fake RAM (null for a harness over another RMM).</summary>
        public FakePhysicalGranules Memory { get; }

        public RealmManagementMonitor Rmm { get; }

        public RmiResult Call(uint fid, ulong x1 = 0, ulong x2 = 0, ulong x3 = 0, ulong x4 = 0, ulong x5 = 0) =>
            Rmm.Handle(fid, x1, x2, x3, x4, x5);

        /// <summary>A fresh Non-secure granule.</summary>
        public ulong AllocNs()
        {
            ulong pa = _next;
            _next += 4096;
            if (_next > _end)
            {
                throw new InvalidOperationException("Harness out of RAM.");
            }

            return pa;
        }

        /// <summary>Skips Non-secure granules until the next allocation is aligned to <paramref name="alignment"/>.</summary>
        public void AlignNext(ulong alignment)
        {
            _next = (_next + alignment - 1) & ~(alignment - 1);
        }

        /// <summary>A fresh granule, delegated.</summary>
        public ulong AllocDelegated()
        {
            ulong pa = AllocNs();
            Ok(Call(F.GranuleDelegate, pa));
            return pa;
        }

        /// <summary>Contiguous delegated granules.</summary>
        public ulong AllocDelegated(int count)
        {
            ulong first = AllocDelegated();
            for (int i = 1; i < count; i++)
            {
                AllocDelegated();
            }

            return first;
        }

        public static RealmParams DefaultParams(int s2sz = 33, int startLevel = 2, MeasurementAlgorithm algorithm = MeasurementAlgorithm.Sha256) => new()
        {
            S2sz = (uint)s2sz,
            NumBps = 5,
            NumWps = 3,
            Algorithm = (byte)algorithm,
            RttLevelStart = startLevel,
            RttNumStart = RootCount(s2sz, startLevel),
        };

        public static uint RootCount(int s2sz, int startLevel)
        {
            int resolved = ((3 - startLevel) * 9) + 12 + 9;
            return resolved >= s2sz ? 1u : 1u << (s2sz - resolved);
        }

        public ulong WriteParams(RealmParams p)
        {
            ulong pa = AllocNs();
            byte[] buf = new byte[4096];
            p.Write(buf);
            _hostWrite(pa, buf);
            return pa;
        }

        public ulong WriteRecParams(RecParams p)
        {
            ulong pa = AllocNs();
            byte[] buf = new byte[4096];
            p.Write(buf);
            _hostWrite(pa, buf);
            return pa;
        }

        /// <summary>REALM_CREATE with fresh RD and root RTTs; fills in rtt_base and vmid.</summary>
        public ulong CreateRealm(RealmParams? p = null, ushort? vmid = null)
        {
            p ??= DefaultParams();
            ulong rd = AllocDelegated();
            AlignNext(p.RttNumStart * 4096UL);
            p.RttBase = AllocDelegated((int)p.RttNumStart);
            p.Vmid = vmid ?? (ushort)(rd >> 12);
            Ok(Call(F.RealmCreate, rd, WriteParams(p)));
            return rd;
        }

        public RecParams RecParamsFor(ulong index, bool runnable, ulong pc = 0, int aux = -1)
        {
            aux = aux < 0 ? Rmm.Features.RecAuxCount : aux;
            var p = new RecParams
            {
                Flags = runnable ? RecParams.FlagRunnable : 0,
                Mpidr = (index & 0xF) | ((index >> 4 & 0xFF) << 8),
                Pc = pc,
                NumAux = (ulong)aux,
            };
            for (int i = 0; i < aux; i++)
            {
                p.Aux[i] = AllocDelegated();
            }

            return p;
        }

        public ulong CreateRec(ulong rd, ulong index, bool runnable = true, ulong pc = 0)
        {
            RecParams p = RecParamsFor(index, runnable, pc);
            ulong rec = AllocDelegated();
            Ok(Call(F.RecCreate, rd, rec, WriteRecParams(p)));
            return rec;
        }

        /// <summary>Creates RTTs from the walk's stopping level down to <paramref name="level"/> for <paramref name="ipa"/>.</summary>
        public void CreateRtts(ulong rd, ulong ipa, int level)
        {
            while (true)
            {
                RmiResult r = Call(F.RttReadEntry, rd, ipa & ~((1UL << (((3 - level) * 9) + 12)) - 1), (ulong)level);
                Ok(r);
                int walked = (int)r.X1;
                if (walked == level)
                {
                    return;
                }

                ulong rtt = AllocDelegated();
                ulong aligned = ipa & ~((1UL << (((3 - (walked + 1)) * 9) + 12 + 9)) - 1);
                Ok(Call(F.RttCreate, rd, rtt, aligned, (ulong)(walked + 1)));
            }
        }

        public ulong WriteNsData(ReadOnlySpan<byte> content)
        {
            ulong pa = AllocNs();
            _hostWrite(pa, content);
            return pa;
        }

        public static void Ok(RmiResult r)
        {
            Assert.True(r.Status == RmiStatus.Success, $"expected success, got {r}");
        }

        public static void Status(RmiResult r, RmiStatus status, int index = 0)
        {
            Assert.True(r.Status == status && r.Index == index, $"expected {status}/{index}, got {r}");
        }

        public static ulong Le64(ReadOnlySpan<byte> b, int offset) => BinaryPrimitives.ReadUInt64LittleEndian(b[offset..]);
    }
}
