using Capvisor.Arm;

namespace Capvisor.Board.Memory
{
    /// <summary>
    /// The board's granule protection table (Arm RME): one physical address space per 4 KiB
    /// granule of RAM, kept as one byte per granule (values of <see cref="SecurityState"/>:
    /// Non-secure, Secure, Realm, Root), all Non-secure at reset. Root may access every PAS,
    /// Secure may access Secure and Non-secure, Realm may access Realm and Non-secure, Non-secure
    /// only Non-secure; any other access is a granule protection fault. Addresses outside RAM
    /// (devices, holes) are not described by the table and pass the check.
    /// </summary>
    /// <remarks>
    /// CPUs cache the host pointer of a RAM granule after a successful
    /// <see cref="IPhysicalMemory.GetRamPage"/>, so every change of a granule's PAS flushes the
    /// TLB of every CPU in <see cref="Cpus"/> (as TLBI PAALLOS does on hardware). Changes are
    /// made by EL3 (the monitor) only; the table itself does not decide who may make them.
    /// </remarks>
    public sealed class GranuleProtectionTable : IGranuleProtectionTable
    {
        /// <summary>Size of a granule.</summary>
        public const ulong GranuleSize = 0x1000;

        private readonly byte[] _pas;
        private readonly object _sync = new();

        /// <summary>Creates a table for the RAM [<paramref name="ramBase"/>, +<paramref name="ramSize"/>), every granule Non-secure.</summary>
        /// <exception cref="ArgumentOutOfRangeException">The range is empty, unaligned, or too large for one table.</exception>
        public GranuleProtectionTable(ulong ramBase, ulong ramSize)
        {
            if (ramSize == 0 || (ramBase & 0xFFF) != 0 || (ramSize & 0xFFF) != 0 || ramBase + ramSize < ramBase || ramSize / GranuleSize > int.MaxValue)
            {
                throw new ArgumentOutOfRangeException(nameof(ramSize), "the GPT must cover a non-empty, 4 KiB-aligned range of RAM");
            }

            Base = ramBase;
            Size = ramSize;
            _pas = new byte[ramSize / GranuleSize];
        }

        /// <summary>Creates a table for <paramref name="ram"/>.</summary>
        public GranuleProtectionTable(RamBlock ram)
            : this(ram.Base, ram.Size)
        {
        }

        /// <summary>First physical address the table describes.</summary>
        public ulong Base { get; }

        /// <summary>Bytes the table describes.</summary>
        public ulong Size { get; }

        /// <summary>The CPUs whose TLBs a PAS change flushes.</summary>
        public IReadOnlyList<Cpu> Cpus { get; set; } = [];

        /// <summary>Whether the table describes the granule holding <paramref name="pa"/>.</summary>
        public bool Covers(ulong pa) => pa >= Base && pa - Base < Size;

        /// <summary>Whether an access from <paramref name="state"/> may use a granule of <paramref name="pas"/>.</summary>
        public static bool Permits(SecurityState state, SecurityState pas) => state switch
        {
            SecurityState.Root => true,
            SecurityState.NonSecure => pas == SecurityState.NonSecure,
            _ => pas == state || pas == SecurityState.NonSecure,
        };

        /// <inheritdoc/>
        public PhysicalFault Check(ulong pa, SecurityState state)
        {
            if (state == SecurityState.Root || !Covers(pa))
            {
                return PhysicalFault.None;
            }

            var pas = (SecurityState)_pas[(pa - Base) / GranuleSize];
            return Permits(state, pas) ? PhysicalFault.None : PhysicalFault.GranuleProtection;
        }

        /// <summary>The PAS of the granule holding <paramref name="pa"/>.</summary>
        /// <exception cref="ArgumentOutOfRangeException">The table does not describe <paramref name="pa"/>.</exception>
        public SecurityState GetPas(ulong pa) => (SecurityState)_pas[Index(pa)];

        /// <summary>Moves the granule holding <paramref name="pa"/> to <paramref name="pas"/> and flushes every CPU's TLB.</summary>
        /// <exception cref="ArgumentOutOfRangeException">The table does not describe <paramref name="pa"/>, or <paramref name="pas"/> is not a PAS.</exception>
        public void SetPas(ulong pa, SecurityState pas)
        {
            ValidatePas(pas);
            long i = Index(pa);
            lock (_sync)
            {
                _pas[i] = (byte)pas;
            }

            FlushTlbs();
        }

        /// <summary>
        /// Moves the granule holding <paramref name="pa"/> from <paramref name="from"/> to
        /// <paramref name="to"/> atomically; false (and no change) when the granule is outside the
        /// table or not in <paramref name="from"/>.
        /// </summary>
        public bool TryTransition(ulong pa, SecurityState from, SecurityState to)
        {
            ValidatePas(from);
            ValidatePas(to);
            if (!Covers(pa))
            {
                return false;
            }

            long i = (long)((pa - Base) / GranuleSize);
            lock (_sync)
            {
                if (_pas[i] != (byte)from)
                {
                    return false;
                }

                _pas[i] = (byte)to;
            }

            FlushTlbs();
            return true;
        }

        /// <summary>
        /// The fault an access from <paramref name="state"/> to every granule of
        /// [<paramref name="pa"/>, +<paramref name="length"/>) takes, or <see cref="PhysicalFault.None"/>.
        /// </summary>
        public PhysicalFault CheckRange(ulong pa, ulong length, SecurityState state)
        {
            if (length == 0)
            {
                return PhysicalFault.None;
            }

            for (ulong g = pa & ~(GranuleSize - 1); g < pa + length && g >= (pa & ~(GranuleSize - 1)); g += GranuleSize)
            {
                var fault = Check(g, state);
                if (fault != PhysicalFault.None)
                {
                    return fault;
                }
            }

            return PhysicalFault.None;
        }

        private long Index(ulong pa)
        {
            if (!Covers(pa))
            {
                throw new ArgumentOutOfRangeException(nameof(pa), $"0x{pa:x} is not described by the granule protection table");
            }

            return (long)((pa - Base) / GranuleSize);
        }

        private static void ValidatePas(SecurityState pas)
        {
            if ((byte)pas > (byte)SecurityState.Root)
            {
                throw new ArgumentOutOfRangeException(nameof(pas), $"{pas} is not a physical address space");
            }
        }

        private void FlushTlbs()
        {
            foreach (var cpu in Cpus)
            {
                cpu.FlushTlb();
            }
        }
    }
}
