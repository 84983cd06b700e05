using Capvisor.Arm.Tests.Fixtures;

namespace Capvisor.Arm.Tests
{
    /// <summary>
    /// Random 32-bit words executed as instructions must give an architectural result or an
    /// architectural exception: never a host exception, a hang or an inconsistent CPU.
    /// </summary>
    public sealed class HostileTests : IDisposable
    {
        private const ulong RamBase = 0x4000_0000;
        private const ulong VectorBase = RamBase + 0x1000;
        private const ulong Level1 = RamBase + 0x8000;
        private const ulong Level2 = RamBase + 0x9000;
        private const ulong Code = RamBase + 0x40_0000;
        private const ulong Data = RamBase + 0x60_0000;

        private readonly FlatRam _ram = new(RamBase, 16 << 20);
        private readonly Cpu _cpu;

        public HostileTests()
        {
            _cpu = new Cpu(0, _ram, new FakeHost());
            // Level 1: the GiB at 0x4000_0000 through a level-2 table; the rest unmapped.
            _ram.Write64(Level1 + 8, Level2 | 3);
            for (ulong i = 0; i < 512; i++)
            {
                // 2 MiB blocks, Normal, AF. The first (vectors) is EL1-only; the others are EL0
                // read/write, never executable at EL1.
                ulong desc = (RamBase + (i << 21)) | 1 | (3ul << 8) | (1ul << 10);
                if (i != 0)
                {
                    desc |= (1ul << 6) | (1ul << 53);
                }

                _ram.Write64(Level2 + 8 * i, desc);
            }

            // Every vector: skip the instruction that trapped and return.
            var handler = new uint[] { 0xD5384020u, 0x91001000u, 0xD5184020u, 0xD69F03E0u };
            for (ulong v = 0; v < 0x800; v += 0x80)
            {
                _ram.WriteWords(VectorBase + v, handler);
            }
        }

        public void Dispose() => _ram.Dispose();

        private void Reset(Random rng, int el)
        {
            _cpu.PowerOn(Code, 0, el);
            _cpu.VbarEl[1] = VectorBase;
            _cpu.CpacrEl1 = 3ul << 20;
            _cpu.MairEl1 = 0xFF;
            _cpu.TcrEl1 = 25 | (1ul << 23) | (2ul << 32);
            _cpu.Ttbr0El1 = Level1;
            _cpu.SctlrEl[1] |= 1;
            _cpu.FlushTlb();
            for (int i = 0; i < 31; i++)
            {
                // Half the registers point into mapped data so loads and stores often succeed.
                _cpu.X[i] = rng.Next(2) == 0 ? Data + (ulong)rng.Next(0, 0x10000) : (ulong)rng.NextInt64() * 3;
            }

            _cpu.Sp = Data + 0x8000;
            _cpu.SpEl[1] = RamBase + 0x8000;
            _cpu.Nzcv = (uint)rng.Next(16) << 28;
        }

        private void AssertConsistent(string context)
        {
            Assert.True(_cpu.X[32] == 0, $"zero register slot written: {context}");
            Assert.InRange(_cpu.CurrentEl, 0, 1);
            Assert.True((_cpu.Nzcv & 0x0FFF_FFFF) == 0, $"NZCV has stray bits: {context}");
        }

        [Fact]
        public void RandomWordsGiveArchitecturalResults()
        {
            var rng = new Random(12345);
            int exceptions = 0;
            for (int n = 0; n < 60_000; n++)
            {
                int el = n & 1;
                Reset(rng, el);
                uint word = (uint)rng.NextInt64(0, 1L << 32);
                _ram.WriteWords(Code, new[] { word });
                ulong before = _cpu.ExceptionsTaken, retired = _cpu.Retired;
                var exit = _cpu.Run(1);
                string context = $"word {word:X8} at EL{el}";
                AssertConsistent(context);
                if (_cpu.ExceptionsTaken != before)
                {
                    exceptions++;
                    Assert.True(_cpu.CurrentEl == 1, context);
                    Assert.Equal(VectorBase, _cpu.Pc & ~0x7FFul);
                }
                else if (exit != CpuExit.Wait)
                {
                    Assert.Equal(retired + 1, _cpu.Retired);
                }
            }

            Assert.InRange(exceptions, 1000, 59_000);
        }

        [Fact]
        public void RandomProgramsTerminateWithinTheirBudget()
        {
            var rng = new Random(777);
            var words = new uint[256];
            for (int n = 0; n < 300; n++)
            {
                Reset(rng, 0);
                for (int i = 0; i < words.Length; i++)
                {
                    words[i] = (uint)rng.NextInt64(0, 1L << 32);
                }

                _ram.WriteWords(Code, words);
                long budget = 20_000;
                ulong start = _cpu.Retired;
                for (int rounds = 0; rounds < 10_000 && _cpu.Retired - start < (ulong)budget; rounds++)
                {
                    var exit = _cpu.Run(budget - (long)(_cpu.Retired - start));
                    if (exit == CpuExit.Wait)
                    {
                        _cpu.SendEvent();
                    }
                    else if (exit == CpuExit.Off)
                    {
                        break;
                    }

                    AssertConsistent($"program {n}");
                }

                Assert.True(_cpu.Retired - start <= (ulong)budget + 1);
            }
        }
    }
}
