using Capvisor.Firmware.Hypervisor;
using Capvisor.Firmware.Rmm;
using Capvisor.Firmware.Tests.Rmm;

namespace Capvisor.Firmware.Tests.Hypervisor
{
    /// <summary>
    /// The production <see cref="RealmBuilder"/> over an <see cref="RmmHarness"/>: RMI calls go to
    /// the harness's RMM, host memory is the harness's Non-secure RAM (GPT-checked host accesses).
    /// </summary>
    public sealed class HarnessHost : IRmiChannel, IHostMemory
    {
        private readonly RmmHarness _h;
        private readonly HostWriter _write;

        /// <summary>Host writes go to <paramref name="hostWrite"/>, or to the harness's fake RAM.</summary>
        public HarnessHost(RmmHarness harness, HostWriter? hostWrite = null)
        {
            _h = harness;
            _write = hostWrite ?? ((pa, data) => (harness.Memory ?? throw new InvalidOperationException(
                "a harness over another RMM needs the host writer (KvmtoolHost(harness, hostWrite))")).HostWrite(pa, data));
        }

        public List<ulong> Freed { get; } = new();

        public RmiResult Call(uint functionId, ulong x1 = 0, ulong x2 = 0, ulong x3 = 0, ulong x4 = 0, ulong x5 = 0, ulong x6 = 0) =>
            _h.Rmm.Handle(functionId, x1, x2, x3, x4, x5, x6);

        public ulong AllocateGranule() => _h.AllocNs();

        public ulong AllocateContiguous(int count, ulong alignment)
        {
            _h.AlignNext(alignment);
            ulong first = _h.AllocNs();
            for (int i = 1; i < count; i++)
            {
                _h.AllocNs();
            }

            return first;
        }

        public void FreeGranule(ulong pa) => Freed.Add(pa);

        public void Write(ulong pa, ReadOnlySpan<byte> data, int offset = 0)
        {
            if (offset == 0)
            {
                _write(pa, data);
                return;
            }

            byte[] granule = new byte[4096];
            Read(pa, granule);
            data.CopyTo(granule.AsSpan(offset));
            _write(pa, granule);
        }

        public void Read(ulong pa, Span<byte> destination, int offset = 0) =>
            _h.Memory.HostRead(pa).AsSpan(offset, destination.Length).CopyTo(destination);

        /// <summary>A builder over <paramref name="harness"/>.</summary>
        public static RealmBuilder Builder(RmmHarness harness) => Builder(harness, out _);

        public static RealmBuilder Builder(RmmHarness harness, out HarnessHost host)
        {
            host = new HarnessHost(harness);
            return new RealmBuilder(host, host);
        }

        /// <summary>The granules Populate measured for <paramref name="content"/> at <paramref name="ipa"/> (64 KiB rounded).</summary>
        public static List<(ulong Ipa, byte[] Granule)> PopulatedGranules(ulong ipa, byte[] content)
        {
            ulong start = ipa & ~(RealmBuilder.PopulateAlign - 1);
            ulong end = (ipa + (ulong)content.Length + RealmBuilder.PopulateAlign - 1) & ~(RealmBuilder.PopulateAlign - 1);
            var list = new List<(ulong, byte[])>();
            for (ulong g = start; g < end; g += 4096)
            {
                byte[] granule = new byte[4096];
                for (int i = 0; i < 4096; i++)
                {
                    long off = (long)(g + (ulong)i) - (long)ipa;
                    if (off >= 0 && off < content.Length)
                    {
                        granule[i] = content[off];
                    }
                }

                list.Add((g, granule));
            }

            return list;
        }
    }
}
