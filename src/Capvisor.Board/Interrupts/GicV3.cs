using Capvisor.Arm;

namespace Capvisor.Board.Interrupts
{
    /// <summary>
    /// A GICv3 without security extensions (GICD_CTLR.DS = 1, affinity routing always on), without
    /// LPIs or an ITS: the distributor, one redistributor per CPU (RD_base and SGI_base frames), and
    /// the ICC system-register CPU interface. Group 0 interrupts are signalled as FIQ, Group 1 as
    /// IRQ, as on a CPU without EL3.
    /// </summary>
    /// <remarks>
    /// State is kept per interrupt in flat arrays indexed by a slot: SGIs and PPIs of CPU c use
    /// slots c*32..c*32+31, SPI n (INTID n+32) uses slot CpuCount*32+n. Split by concern:
    /// GicV3.Distributor.cs, GicV3.Redistributor.cs, GicV3.CpuInterface.cs.
    /// </remarks>
    public sealed partial class GicV3
    {
        /// <summary>Number of SPIs (INTIDs 32..255): QEMU 7.2's virt board has 256 INTIDs in all (GICD_TYPER.ITLinesNumber = 7).</summary>
        public const int SpiCount = 224;

        /// <summary>Size of the distributor frame.</summary>
        public const ulong DistributorSize = 0x1_0000;

        /// <summary>Size of one CPU's redistributor (RD_base + SGI_base frames).</summary>
        public const ulong RedistributorStride = 0x2_0000;

        /// <summary>Priority bits implemented (32 levels, as QEMU's cortex-a57).</summary>
        public const int PriorityBits = 5;

        /// <summary>INTID returned by IAR/HPPIR when nothing is pending.</summary>
        public const uint SpuriousIntid = 1023;

        private const byte PriorityMask = unchecked((byte)(0xFF << (8 - PriorityBits)));

        private readonly int _cpuCount;
        private readonly int _slotCount;
        private readonly byte[] _priority;
        private readonly bool[] _enabled, _pendingLatch, _active, _level, _edge, _group1, _groupModifier;
        private readonly ulong[] _route;
        private readonly int[] _spiTarget;
        private readonly CpuInterfaceState[] _cpuIf;
        private Cpu[] _cpus = [];
        private bool _enableGroup0, _enableGroup1;

        /// <summary>Creates a GIC for <paramref name="cpuCount"/> CPUs.</summary>
        public GicV3(int cpuCount)
        {
            if (cpuCount < 1 || cpuCount > 512)
            {
                throw new ArgumentOutOfRangeException(nameof(cpuCount));
            }

            _cpuCount = cpuCount;
            _slotCount = cpuCount * 32 + SpiCount;
            _priority = new byte[_slotCount];
            _enabled = new bool[_slotCount];
            _pendingLatch = new bool[_slotCount];
            _active = new bool[_slotCount];
            _level = new bool[_slotCount];
            _edge = new bool[_slotCount];
            _group1 = new bool[_slotCount];
            _groupModifier = new bool[_slotCount];
            _route = new ulong[SpiCount];
            _spiTarget = new int[SpiCount];
            _cpuIf = new CpuInterfaceState[cpuCount];
            for (int c = 0; c < cpuCount; c++)
            {
                _cpuIf[c] = new CpuInterfaceState();
                for (int i = 0; i < 16; i++)
                {
                    _edge[c * 32 + i] = true; // SGIs are always edge-triggered
                }
            }
        }

        /// <summary>Number of CPUs (redistributors).</summary>
        public int CpuCount => _cpuCount;

        /// <summary>Connects the CPUs whose IRQ/FIQ lines the GIC drives; index = CPU number.</summary>
        public void Connect(Cpu[] cpus)
        {
            if (cpus.Length != _cpuCount)
            {
                throw new ArgumentException("one CPU per redistributor is required", nameof(cpus));
            }

            _cpus = cpus;
            for (int c = 0; c < _cpuCount; c++)
            {
                Update(c);
            }
        }

        /// <summary>Drives the input of SPI <paramref name="spi"/> (INTID 32 + spi).</summary>
        public void SetSpiLevel(int spi, bool level)
        {
            if ((uint)spi >= SpiCount)
            {
                return;
            }

            int slot = _cpuCount * 32 + spi;
            if (_level[slot] == level)
            {
                return;
            }

            _level[slot] = level;
            if (level && _edge[slot])
            {
                _pendingLatch[slot] = true; // rising edge
            }

            int target = _spiTarget[spi];
            if (target >= 0)
            {
                Update(target);
            }
        }

        /// <summary>Drives the input of PPI <paramref name="intid"/> (16..31) of CPU <paramref name="cpu"/>.</summary>
        public void SetPpiLevel(int cpu, int intid, bool level)
        {
            if ((uint)cpu >= (uint)_cpuCount || intid < 16 || intid > 31)
            {
                return;
            }

            int slot = cpu * 32 + intid;
            if (_level[slot] == level)
            {
                return;
            }

            _level[slot] = level;
            if (level && _edge[slot])
            {
                _pendingLatch[slot] = true;
            }

            Update(cpu);
        }

        /// <summary>True when INTID <paramref name="intid"/> as seen by <paramref name="cpu"/> is pending.</summary>
        public bool IsPending(int cpu, int intid) => TrySlot(cpu, intid, out int s) && Pending(s);

        /// <summary>True when INTID <paramref name="intid"/> as seen by <paramref name="cpu"/> is active.</summary>
        public bool IsActive(int cpu, int intid) => TrySlot(cpu, intid, out int s) && _active[s];

        private bool TrySlot(int cpu, int intid, out int slot)
        {
            slot = -1;
            if ((uint)cpu >= (uint)_cpuCount || intid < 0)
            {
                return false;
            }

            if (intid < 32)
            {
                slot = cpu * 32 + intid;
                return true;
            }

            if (intid < 32 + SpiCount)
            {
                slot = _cpuCount * 32 + intid - 32;
                return true;
            }

            return false;
        }

        private bool Pending(int slot) => _pendingLatch[slot] || (!_edge[slot] && _level[slot]);

        private bool GroupEnabledInDistributor(int slot) => _group1[slot] ? _enableGroup1 : _enableGroup0;

        private int IntidOfSlot(int slot) => slot < _cpuCount * 32 ? slot & 31 : slot - _cpuCount * 32 + 32;

        /// <summary>
        /// Finds CPU <paramref name="cpu"/>'s highest-priority pending interrupt that is enabled,
        /// not active and in a group the distributor enables; ties go to the lowest INTID.
        /// </summary>
        private int HighestPending(int cpu, out byte priority)
        {
            int best = -1;
            priority = 0xFF;
            int baseSlot = cpu * 32;
            for (int s = baseSlot; s < baseSlot + 32; s++)
            {
                if (_enabled[s] && !_active[s] && _priority[s] < priority && Pending(s) && GroupEnabledInDistributor(s))
                {
                    best = s;
                    priority = _priority[s];
                }
            }

            int spiBase = _cpuCount * 32;
            for (int n = 0; n < SpiCount; n++)
            {
                int s = spiBase + n;
                if (_spiTarget[n] == cpu && _enabled[s] && !_active[s] && _priority[s] < priority && Pending(s)
                    && GroupEnabledInDistributor(s))
                {
                    best = s;
                    priority = _priority[s];
                }
            }

            return best;
        }

        /// <summary>Recomputes CPU <paramref name="cpu"/>'s IRQ and FIQ lines.</summary>
        private void Update(int cpu)
        {
            if ((uint)cpu >= (uint)_cpus.Length)
            {
                return;
            }

            bool irq = false, fiq = false;
            int slot = HighestPending(cpu, out byte priority);
            if (slot >= 0)
            {
                var ci = _cpuIf[cpu];
                bool group1 = _group1[slot];
                bool groupOn = group1 ? ci.IgrpEn1 : ci.IgrpEn0;
                if (groupOn && CanPreempt(ci, priority, group1))
                {
                    irq = group1;
                    fiq = !group1;
                }
            }

            var c = _cpus[cpu];
            if (c.IrqLine != irq)
            {
                c.IrqLine = irq;
            }

            if (c.FiqLine != fiq)
            {
                c.FiqLine = fiq;
            }
        }

        private void UpdateAll()
        {
            for (int c = 0; c < _cpuCount; c++)
            {
                Update(c);
            }
        }

        /// <summary>The CPU index an IROUTER value names (Aff1 = cluster of 8, Aff0 = CPU), or -1.</summary>
        private int RouteTarget(ulong route)
        {
            if ((route & (1ul << 31)) != 0)
            {
                return 0; // 1-of-N: delivered to CPU 0
            }

            ulong aff0 = route & 0xFF, aff1 = (route >> 8) & 0xFF, aff2 = (route >> 16) & 0xFF, aff3 = (route >> 32) & 0xFF;
            if (aff2 != 0 || aff3 != 0 || aff0 >= 8)
            {
                return -1;
            }

            ulong index = aff1 * 8 + aff0;
            return index < (ulong)_cpuCount ? (int)index : -1;
        }

        /// <summary>The affinity value (Aff3.Aff2.Aff1.Aff0) of CPU <paramref name="cpu"/>, as in MPIDR.</summary>
        private static uint Affinity(int cpu) => (uint)((cpu / 8) << 8 | (cpu % 8));

        private sealed class CpuInterfaceState
        {
            public byte Pmr;
            public byte Bpr0 = MinBpr0, Bpr1 = MinBpr0 + 1;
            public bool Cbpr, EoiMode, IgrpEn0, IgrpEn1;
            public uint Ap0, Ap1;
            public bool ProcessorSleep = true;
        }
    }
}
