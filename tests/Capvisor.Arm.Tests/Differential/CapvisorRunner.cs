using Capvisor.Arm.Tests.Fixtures;

namespace Capvisor.Arm.Tests.Differential
{
    /// <summary>
    /// Runs a differential case on Capvisor's CPU the way the harness runs it under qemu-user:
    /// at EL0, with an identity map of Normal memory (so misaligned accesses work) and no SP
    /// alignment checking (qemu-user does not model SCTLR_EL1.SA0).
    /// </summary>
    internal sealed unsafe class CapvisorRunner : IDisposable
    {
        private const ulong RamBase = 0x4000_0000;
        private const ulong TableBase = 0x4000_8000;
        private const ulong VectorBase = 0x4000_0000;

        public FlatRam Ram { get; } = new(RamBase, 0x300_0000);
        public Cpu Cpu { get; }

        public CapvisorRunner()
        {
            Cpu = new Cpu(0, Ram, new FakeHost());
            for (ulong i = 0; i < 4; i++)
            {
                // 1 GiB blocks: Normal (AttrIndx 0), inner shareable, AF, EL0 read/write, EL1 never executes.
                Ram.Write64(TableBase + 8 * i, (i << 30) | 1 | (3ul << 8) | (1ul << 10) | (1ul << 6) | (1ul << 53));
            }
        }

        public sealed class Outcome
        {
            public int Signal; // 0, or the signal qemu-user raises for the exception taken
            public uint Ec;
            public ulong FaultPc;
            public ulong[] State = new ulong[SequenceGenerator.StateCount];
            public ulong BufferHash;
            public long Steps;
        }

        public static void FillBuffer(Span<byte> buffer, ulong seed)
        {
            ulong rng = seed | 1;
            for (int i = 0; i < buffer.Length; i += 8)
            {
                rng ^= rng >> 12;
                rng ^= rng << 25;
                rng ^= rng >> 27;
                BitConverter.TryWriteBytes(buffer.Slice(i, 8), rng * 0x2545F4914F6CDD1DUL);
            }
        }

        public static ulong Fnv(ReadOnlySpan<byte> data)
        {
            ulong h = 0xcbf29ce484222325UL;
            foreach (byte b in data)
            {
                h = (h ^ b) * 0x100000001b3UL;
            }

            return h;
        }

        public Span<byte> Buffer => Ram.Span(SequenceGenerator.DataBase, (int)SequenceGenerator.DataSize);

        public Outcome Run(SequenceGenerator.Case c)
        {
            var cpu = Cpu;
            cpu.PowerOn(SequenceGenerator.CodePage + SequenceGenerator.SeqOffset, 0, el: 0);
            cpu.VbarEl[1] = VectorBase;
            cpu.CpacrEl1 = 3ul << 20;
            cpu.MairEl1 = 0xFF;
            cpu.TcrEl1 = 25 | (1ul << 23) | (2ul << 32) | (1ul << 37); // TBI0 as Linux sets it
            cpu.Ttbr0El1 = TableBase;
            // M on, SA/SA0 off; UCI, UCT, DZE, nTWI, nTWE on as Linux sets them for user space.
            cpu.SctlrEl[1] = (cpu.SctlrEl[1] | 1 | (1ul << 26) | (1ul << 15) | (1ul << 14) | (1ul << 16) | (1ul << 18))
                & ~((1ul << 3) | (1ul << 4));
            cpu.FlushTlb();

            c.Page.CopyTo(Ram.Span(SequenceGenerator.CodePage, 4096));
            FillBuffer(Buffer, c.BufferSeed);
            for (int i = 0; i < 31; i++)
            {
                cpu.X[i] = c.State[i];
            }

            cpu.Sp = c.State[31];
            cpu.Nzcv = (uint)c.State[32];
            Array.Clear(cpu.V);
            for (int i = 0; i < 16; i++)
            {
                cpu.V[i] = c.State[33 + i];
            }

            var o = new Outcome();
            while (o.Steps < 100_000)
            {
                if (cpu.Pc == c.EndPc)
                {
                    break;
                }

                cpu.Run(1);
                o.Steps++;
                if (cpu.CurrentEl != 0)
                {
                    o.Ec = (uint)(cpu.EsrEl[1] >> 26);
                    o.FaultPc = cpu.ElrEl[1];
                    o.Signal = o.Ec switch
                    {
                        0x00 or 0x18 => 4, // SIGILL (Linux also reports trapped MSR/MRS at EL0 so)
                        0x3C => 5, // SIGTRAP
                        0x20 or 0x21 or 0x22 or 0x24 or 0x25 or 0x26 => 11, // SIGSEGV (or SIGBUS, compared as one class)
                        _ => 1000 + (int)o.Ec,
                    };
                    break;
                }
            }

            for (int i = 0; i < 31; i++)
            {
                o.State[i] = cpu.X[i];
            }

            // After an exception SP_EL1 is selected; the state at the fault is the EL0 one.
            o.State[31] = cpu.SpEl[0];
            o.State[32] = cpu.Nzcv;
            if (o.Signal == 0)
            {
                for (int i = 0; i < 16; i++)
                {
                    o.State[33 + i] = cpu.V[i];
                }
            }

            o.BufferHash = Fnv(Buffer);
            return o;
        }

        public void Dispose() => Ram.Dispose();
    }
}
