using Capvisor.Firmware.Rmm;

namespace Capvisor.Firmware.Tests.Rmm
{
    /// <summary>
    /// In-memory RAM with a granule protection table. Host accesses go through
    /// <see cref="HostRead"/>/<see cref="HostWrite"/>, which fault on anything not Non-secure, as the
    /// GPC would; the RMM uses <see cref="IPhysicalGranules"/>.
    /// </summary>
    public sealed class FakePhysicalGranules : IPhysicalGranules
    {
        private readonly Dictionary<ulong, byte[]> _contents = new();
        private readonly Dictionary<ulong, GranulePas> _pas = new();

        public FakePhysicalGranules(ulong ramBase, int granuleCount)
        {
            RamBase = ramBase;
            GranuleCount = granuleCount;
        }

        public ulong RamBase { get; }

        public int GranuleCount { get; }

        public ulong RamEnd => RamBase + ((ulong)GranuleCount * 4096);

        /// <summary>Granules EL3 refuses to move (e.g. given to the Secure world).</summary>
        public HashSet<ulong> Refused { get; } = new();

        /// <summary>
        /// Called with a granule's address at the RMM's next call into memory after it obtained that
        /// granule's span: a host write racing the RMM right after it read the granule.
        /// </summary>
        public Action<ulong>? AfterGetGranule { get; set; }

        private ulong? _raced;

        private void Race()
        {
            if (_raced is ulong pa)
            {
                _raced = null;
                AfterGetGranule?.Invoke(pa);
            }
        }

        public int TransitionCount { get; private set; }

        public IEnumerable<ulong> Granules()
        {
            for (int i = 0; i < GranuleCount; i++)
            {
                yield return RamBase + ((ulong)i * 4096);
            }
        }

        public bool IsRam(ulong pa)
        {
            Race();
            return (pa & 0xFFF) == 0 && pa >= RamBase && pa < RamEnd;
        }

        public GranulePas GetPas(ulong pa)
        {
            Race();
            RequireRam(pa);
            return _pas.GetValueOrDefault(pa, GranulePas.NonSecure);
        }

        public Span<byte> GetGranule(ulong pa)
        {
            Race();
            RequireRam(pa);
            byte[] g = Contents(pa);
            _raced = pa;
            return g;
        }

        public bool TransitionPas(ulong pa, GranulePas from, GranulePas to)
        {
            Race();
            RequireRam(pa);
            if (Refused.Contains(pa) || GetPas(pa) != from)
            {
                return false;
            }

            TransitionCount++;
            _pas[pa] = to;
            return true;
        }

        /// <summary>The host reading physical memory: a granule protection fault unless Non-secure.</summary>
        public byte[] HostRead(ulong pa)
        {
            RequireRamUnchecked(pa);
            if (_pas.GetValueOrDefault(pa, GranulePas.NonSecure) != GranulePas.NonSecure)
            {
                throw new GranuleProtectionFault(pa);
            }

            return Contents(pa).ToArray();
        }

        public void HostWrite(ulong pa, ReadOnlySpan<byte> data, int offset = 0)
        {
            RequireRamUnchecked(pa);
            if (_pas.GetValueOrDefault(pa, GranulePas.NonSecure) != GranulePas.NonSecure)
            {
                throw new GranuleProtectionFault(pa);
            }

            data.CopyTo(Contents(pa).AsSpan(offset));
        }

        /// <summary>Test-only view of any granule, bypassing the GPT (what a debugger would see).</summary>
        public ReadOnlySpan<byte> Peek(ulong pa) => Contents(pa);

        public bool IsZero(ulong pa) => !_contents.TryGetValue(pa, out byte[]? g) || g.AsSpan().IndexOfAnyExcept((byte)0) < 0;

        private byte[] Contents(ulong pa)
        {
            if (!_contents.TryGetValue(pa, out byte[]? g))
            {
                g = new byte[4096];
                _contents.Add(pa, g);
            }

            return g;
        }

        private void RequireRamUnchecked(ulong pa)
        {
            if ((pa & 0xFFF) != 0 || pa < RamBase || pa >= RamEnd)
            {
                throw new InvalidOperationException($"0x{pa:x} is not a RAM granule.");
            }
        }

        private void RequireRam(ulong pa)
        {
            if ((pa & 0xFFF) != 0 || pa < RamBase || pa >= RamEnd)
            {
                throw new InvalidOperationException($"0x{pa:x} is not a RAM granule; the RMM must not touch it.");
            }
        }
    }
}
