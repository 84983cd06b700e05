using Capvisor.Arm;

namespace Capvisor.Arm.Tests.Fixtures
{
    /// <summary>
    /// A CPU on flat RAM at 0x4000_0000 for instruction tests. Code goes at <see cref="CodeBase"/>,
    /// data at <see cref="DataBase"/>, and a vector table that records exceptions at
    /// <see cref="VectorBase"/>. <see cref="EnableMmu"/> maps RAM as Normal memory with an
    /// identity map, so misaligned accesses work as in user mode.
    /// </summary>
    public sealed class TestMachine : IDisposable
    {
        public const ulong RamBase = 0x4000_0000;
        public const ulong RamSize = 16 << 20;
        public const ulong CodeBase = RamBase + 0x10_0000;
        public const ulong DataBase = RamBase + 0x20_0000;
        public const ulong VectorBase = RamBase + 0x1000;
        public const ulong StackTop = RamBase + 0x80_0000;
        private const ulong TableBase = RamBase + 0x8000;

        public FlatRam Ram { get; }
        public FakeHost Host { get; } = new();
        public Cpu Cpu { get; }

        public TestMachine()
        {
            Ram = new FlatRam(RamBase, RamSize);
            Cpu = new Cpu(0, Ram, Host);
            Cpu.PowerOn(CodeBase, 0, el: 1);
            Cpu.VbarEl[1] = VectorBase;
            Cpu.CpacrEl1 = 3ul << 20;
            Cpu.Sp = StackTop;
            // Every vector slot holds "b ." so a taken exception is visible as PC at a vector.
            var loop = new uint[0x800 / 4];
            Array.Fill(loop, 0x14000000u);
            Ram.WriteWords(VectorBase, loop);
        }

        /// <summary>Identity-maps the first 4 GiB with 1 GiB blocks: RAM as Normal, EL1-only read/write/execute.</summary>
        public void EnableMmu(bool el0Access = false)
        {
            ulong ap = el0Access ? 1ul << 6 : 0;
            for (ulong i = 0; i < 4; i++)
            {
                // Block, AttrIndx 0 (Normal WB), inner shareable, AF.
                ulong desc = (i << 30) | 1 | (3ul << 8) | (1ul << 10) | ap;
                if (el0Access)
                {
                    desc |= 1ul << 53; // PXN: EL1 may not execute EL0-writable memory anyway
                }

                Ram.Write64(TableBase + 8 * i, desc);
            }

            Cpu.MairEl1 = 0xFF;
            Cpu.TcrEl1 = 25 | (1ul << 23) | (0ul << 14) | (2ul << 32); // T0SZ = 25, EPD1, TG0 = 4K, IPS 40 bits
            Cpu.Ttbr0El1 = TableBase;
            Cpu.SctlrEl[1] |= 1; // M
            Cpu.FlushTlb();
        }

        public void Load(params uint[] words) => Ram.WriteWords(CodeBase, words);

        /// <summary>Loads <paramref name="words"/> at <see cref="CodeBase"/> and executes exactly that many instructions.</summary>
        public CpuExit Run(params uint[] words)
        {
            Load(words);
            Cpu.Pc = CodeBase;
            return Cpu.Run(words.Length);
        }

        /// <summary>True when the last instruction took a synchronous exception to EL1 (from EL1 with SP_EL1 or EL0).</summary>
        public bool TookException(out uint ec)
        {
            ec = (uint)(Cpu.EsrEl[1] >> 26);
            return Cpu.Pc >= VectorBase && Cpu.Pc < VectorBase + 0x800;
        }

        public void Dispose() => Ram.Dispose();
    }
}
