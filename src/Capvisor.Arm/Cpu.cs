using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Capvisor.Arm
{
    /// <summary>
    /// One A64 processing element: registers, PSTATE, system registers, the execution loop, and
    /// the memory path (stage-1 translation, software TLB). It knows no board: physical accesses
    /// go to <see cref="IPhysicalMemory"/>, calls to EL2/EL3 and device system registers to
    /// <see cref="ICpuHost"/>.
    /// </summary>
    /// <remarks>
    /// The type is split by concern: Cpu.Exceptions.cs (entry, return, syndromes),
    /// Cpu.Memory.cs (virtual accesses), Cpu.Translation.cs (walk, TLB),
    /// Cpu.SystemRegisters.cs (MRS/MSR/SYS), Cpu.Execute*.cs (instruction semantics).
    /// </remarks>
    public sealed unsafe partial class Cpu
    {
        private readonly IPhysicalMemory _memory;
        private readonly ICpuHost _host;

        /// <summary>
        /// General-purpose registers X0–X30; index 31 is a scratch slot (XZR reads use <see cref="GetX"/>).
        /// Index 32 always reads zero and index 33 is a write sink: the decoder maps XZR operands
        /// to them so instruction handlers need no branch on register 31.
        /// </summary>
        public readonly ulong[] X = new ulong[34];

        /// <summary>SIMD&amp;FP registers: V[2n] is the low and V[2n+1] the high half of Vn.</summary>
        public readonly ulong[] V = new ulong[64];

        /// <summary>Stack pointers SP_EL0..SP_EL3.</summary>
        public readonly ulong[] SpEl = new ulong[4];

        /// <summary>Address of the instruction being executed (or next to execute, between instructions).</summary>
        public ulong Pc;

        /// <summary>
        /// Address of the next instruction; instruction handlers write it to branch. The loop sets
        /// it to Pc + 4 before each instruction.
        /// </summary>
        public ulong NextPc;

        /// <summary>PSTATE.{N,Z,C,V} in bits 31:28, as in NZCV and SPSR.</summary>
        public uint Nzcv;

        /// <summary>PSTATE.{D,A,I,F} in bits 9:6, as in DAIF and SPSR.</summary>
        public uint Daif;

        /// <summary>PSTATE.SPSel: 0 = SP_EL0, 1 = SP_ELx.</summary>
        public int SpSel { get; private set; }

        /// <summary>The current exception level (PSTATE.EL).</summary>
        public int CurrentEl { get; private set; }

        /// <summary>PSTATE.IL: set by an illegal exception return.</summary>
        public bool IllegalState { get; private set; }

        /// <summary>The security state the CPU executes in (selects the physical address space).</summary>
        public SecurityState Security { get; set; }

        /// <summary>Floating-point control and status.</summary>
        public uint Fpcr, Fpsr;

        /// <summary>Number of instructions retired since reset: the base of deterministic time.</summary>
        public ulong Retired;

        /// <summary>This CPU's index on the board (Aff0 of MPIDR).</summary>
        public int Index { get; }

        /// <summary>True while the CPU is powered on (PSCI).</summary>
        public bool PoweredOn { get; private set; }

        /// <summary>True while the CPU sleeps in WFI/WFE.</summary>
        public bool Waiting { get; private set; }

        private bool _irqLine, _fiqLine, _eventRegister;

        // Checked once per instruction: set whenever an interrupt line, PSTATE.IL or a stop
        // request may need the slow path, so the common case is one load and one branch.
        private bool _attention;
        private volatile bool _stopRequested;
        private CpuExit _pendingExit;
        private bool _exitPending;

        private readonly DecodedInst[] _decodeCache = new DecodedInst[DecodeCacheSize];
        private const int DecodeCacheSize = 1 << 16;

        /// <summary>Creates a powered-off CPU.</summary>
        public Cpu(int index, IPhysicalMemory memory, ICpuHost host)
        {
            Index = index;
            _blockBase = BlockBase(_block);
            _memory = memory;
            _host = host;
            Reset();
        }

        /// <summary>The interrupt request line from the interrupt controller.</summary>
        public bool IrqLine
        {
            get => _irqLine;
            set { _irqLine = value; _attention = true; }
        }

        /// <summary>The fast interrupt request line from the interrupt controller.</summary>
        public bool FiqLine
        {
            get => _fiqLine;
            set { _fiqLine = value; _attention = true; }
        }

        /// <summary>Sets the event register (SEV from another CPU, or the event stream); wakes WFE.</summary>
        public void SendEvent()
        {
            _eventRegister = true;
            _attention = true;
        }

        /// <summary>Asks <see cref="Run"/> to return at the next instruction boundary (any thread).</summary>
        public void RequestStop()
        {
            _stopRequested = true;
            _attention = true;
        }

        /// <summary>
        /// Powers the CPU on at <paramref name="entry"/> in EL1h with the MMU off and DAIF
        /// masked, x0 = <paramref name="context"/>: the state PSCI CPU_ON and a direct kernel boot give.
        /// </summary>
        public void PowerOn(ulong entry, ulong context, int el = 1)
        {
            Reset();
            PoweredOn = true;
            X[0] = context;
            Pc = entry;
            SetPstateEl(el, 1);
        }

        /// <summary>Powers the CPU off (PSCI CPU_OFF); <see cref="Run"/> returns <see cref="CpuExit.Off"/>.</summary>
        public void PowerOff()
        {
            PoweredOn = false;
            Waiting = false;
            _attention = true;
        }

        /// <summary>Executes up to <paramref name="budget"/> instructions.</summary>
        public CpuExit Run(long budget)
        {
            if (!PoweredOn)
            {
                return CpuExit.Off;
            }

            if (Waiting)
            {
                if (!WakeUp())
                {
                    return CpuExit.Wait;
                }
            }

            _attention = true;
            ulong end = Retired + (ulong)Math.Max(budget, 0);
            while (Retired < end)
            {
                try
                {
                    return RunUntil(end);
                }
                catch (ArchitecturalException)
                {
                    // The instruction took an exception: state already points at the vector.
                    Retired++;
                    if (_exitPending)
                    {
                        _exitPending = false;
                        return _pendingExit;
                    }
                }
            }

            return CpuExit.Budget;
        }

        /// <summary>Ends the current <see cref="Run"/> after this instruction with <paramref name="exit"/>.</summary>
        public void ExitAfterInstruction(CpuExit exit)
        {
            _pendingExit = exit;
            _exitPending = true;
            _attention = true;
        }

        // Pre-decoded pages: one DecodedInst per instruction slot of a 4 KiB page, found from
        // the host address of the page being fetched from, so consecutive instructions use
        // consecutive entries (the word-hashed cache scattered them over 2 MiB and missed the
        // host's caches on nearly every instruction). An entry is used only when its Raw equals
        // the word just fetched from the fetch page, and a decoding depends on nothing but that
        // word, so aliasing pages may share a block, a block that belongs to another page only
        // costs re-decoding, and self-modifying code needs no invalidation. An empty entry has
        // Raw 0, and decoding 0 (UDF #0) gives exactly that empty entry: UNDEFINED. Blocks are
        // pinned so the loop indexes them through a pointer (no null or bounds check).
        private const int BlockSlots = 2048;
        private const int InstsPerPage = 1024;
        private DecodedInst[]?[] _blocks = new DecodedInst[BlockSlots][];
        private DecodedInst[] _block = NewBlock();
        private DecodedInst* _blockBase;
        private byte* _blockHost;

        private static DecodedInst[] NewBlock() => GC.AllocateArray<DecodedInst>(InstsPerPage, pinned: true);

        private static DecodedInst* BlockBase(DecodedInst[] block) =>
            (DecodedInst*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(block));

        /// <summary>
        /// Makes this CPU use <paramref name="other"/>'s pre-decoded instruction pages, so CPUs
        /// running the same code decode it once and hold one copy. Only for CPUs that never run
        /// at the same time or one inside another's instruction (a board running its CPUs one
        /// after the other on one thread): an entry may be rewritten while it is in use otherwise.
        /// </summary>
        public void ShareDecodedPages(Cpu other)
        {
            // The current block stays private to this CPU until the next page change.
            _blocks = other._blocks;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private ref DecodedInst FetchDecoded(ulong pc)
        {
            if ((pc & (PageTagMask | 3)) == _fetchPage)
            {
                // The block was chosen for this fetch page by FetchDecodedSlow (FetchSlow is
                // the only place that caches a fetch page); were it another page's, the Raw
                // compare would still only accept a decoding of the word fetched here.
                uint offset = (uint)pc & 0xFFF;
                uint raw = *(uint*)(_fetchHost + offset);
                DecodedInst* d = _blockBase + (offset >> 2);
                if (d->Raw != raw)
                {
                    Decoder.Decode(raw, out *d);
                }

                return ref *d;
            }

            return ref FetchDecodedSlow(pc);
        }

        private ref DecodedInst FetchDecodedSlow(ulong pc)
        {
            uint raw = FetchSlow(pc);
            if ((pc & PageTagMask) != _fetchPage)
            {
                // No fetch page was cached (breakpoints armed): decode through the word cache.
                return ref Decode(raw);
            }

            byte* host = _fetchHost;
            if (host != _blockHost)
            {
                int slot = (int)(((nuint)host >> 12) & (BlockSlots - 1));
                _block = _blocks[slot] ??= NewBlock();
                _blockBase = BlockBase(_block);
                _blockHost = host;
            }

            ref DecodedInst d = ref _blockBase[((uint)pc & 0xFFF) >> 2];
            if (d.Raw != raw)
            {
                Decoder.Decode(raw, out d);
            }

            return ref d;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private ref DecodedInst Decode(uint raw)
        {
            // Decoded instructions are keyed by the instruction word alone (nothing in them
            // depends on the PC), so self-modifying code needs no invalidation.
            uint slot = ((raw * 0x9E3779B1u) >> 16) & (DecodeCacheSize - 1);
            ref DecodedInst d = ref _decodeCache[slot];
            if (d.Raw != raw || !d.Valid)
            {
                Decoder.Decode(raw, out d);
            }

            return ref d;
        }

        private bool Attend(out CpuExit exit)
        {
            _attention = false;
            if (_exitPending)
            {
                // The previous instruction asked to end the run (ExitAfterInstruction).
                _exitPending = false;
                exit = _pendingExit;
                return true;
            }

            exit = CpuExit.Budget;
            if (_stopRequested)
            {
                _stopRequested = false;
                exit = CpuExit.Stopped;
                return true;
            }

            if (!PoweredOn)
            {
                exit = CpuExit.Off;
                return true;
            }

            if (IllegalState)
            {
                // Illegal Execution state exception on the next instruction.
                _attention = true;
                TakeSynchronous(ExceptionClass.IllegalState, 0, Pc);
                return false;
            }

            if (SoftwareStep())
            {
                return false;
            }

            if (_fiqLine && (Daif & DaifF) == 0)
            {
                TakeInterrupt(fiq: true);
            }
            else if (_irqLine && (Daif & DaifI) == 0)
            {
                TakeInterrupt(fiq: false);
            }

            // Keep attending while a line is held but masked: an MSR DAIFClr must see it.
            _attention |= _irqLine || _fiqLine;
            return false;
        }

        private bool WakeUp()
        {
            if (_irqLine || _fiqLine || _eventRegister)
            {
                Waiting = false;
                _eventRegister = false;
                return true;
            }

            return false;
        }

        /// <summary>WFI: sleeps unless an interrupt is pending (masked or not).</summary>
        public void WaitForInterrupt()
        {
            CheckWfxTrap(SctlrNTwi, isWfe: false);
            if (_irqLine || _fiqLine)
            {
                return;
            }

            CheckWfxTrapToEl2(isWfe: false);
            Waiting = true;
            ExitAfterInstruction(CpuExit.Wait);
        }

        /// <summary>WFE: consumes the event register, or sleeps until an event or interrupt.</summary>
        public void WaitForEvent()
        {
            CheckWfxTrap(SctlrNTwe, isWfe: true);
            if (_eventRegister)
            {
                _eventRegister = false;
                return;
            }

            if (_irqLine || _fiqLine)
            {
                return;
            }

            CheckWfxTrapToEl2(isWfe: true);
            Waiting = true;
            ExitAfterInstruction(CpuExit.Wait);
        }

        private void CheckWfxTrap(ulong enableBit, bool isWfe)
        {
            if (CurrentEl == 0 && (SctlrEl[1] & enableBit) == 0)
            {
                // CV = 1, COND = 0b1110 from AArch64; TI says WFI (0) or WFE (1).
                RaiseSynchronous(ExceptionClass.WfxTrap, (1u << 24) | (0xEu << 20) | (isWfe ? 1u : 0u));
            }
        }

        /// <summary>SEVL: sets this CPU's event register.</summary>
        public void SendEventLocal() => _eventRegister = true;

        /// <summary>Reads Xn, or XZR when n is 31.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public ulong GetX(int n) => n == 31 ? 0 : X[n];

        /// <summary>Writes Xn; writes to XZR (n = 31) are discarded.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void SetX(int n, ulong value)
        {
            if (n != 31)
            {
                X[n] = value;
            }
        }

        /// <summary>Reads Xn, or the current SP when n is 31.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public ulong GetXOrSp(int n) => n == 31 ? SpEl[_spIndex] : X[n];

        /// <summary>Writes Xn, or the current SP when n is 31.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void SetXOrSp(int n, ulong value)
        {
            if (n == 31)
            {
                SpEl[_spIndex] = value;
            }
            else
            {
                X[n] = value;
            }
        }

        /// <summary>The stack pointer selected by PSTATE.EL and PSTATE.SPSel.</summary>
        public ulong Sp
        {
            get => SpEl[_spIndex];
            set => SpEl[_spIndex] = value;
        }

        private int _spIndex;

        private void SetPstateEl(int el, int spSel)
        {
            CurrentEl = el;
            SpSel = spSel;
            _spIndex = spSel == 0 ? 0 : el;
            InvalidateFetch();
        }

        private void Reset()
        {
            Array.Clear(X);
            Array.Clear(V);
            Array.Clear(SpEl);
            Pc = 0;
            Nzcv = 0;
            Daif = DaifD | DaifA | DaifI | DaifF;
            IllegalState = false;
            _pstateSs = _stepping = false;
            Waiting = false;
            Fpcr = Fpsr = 0;
            ResetSystemRegisters();
            SetPstateEl(1, 1);
            FlushTlb();
            ClearExclusiveMonitor();
        }

        internal const uint DaifD = 1u << 9, DaifA = 1u << 8, DaifI = 1u << 7, DaifF = 1u << 6;
    }
}
