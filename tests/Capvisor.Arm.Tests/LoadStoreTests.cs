using Capvisor.Arm.Tests.Fixtures;

namespace Capvisor.Arm.Tests
{
    /// <summary>Loads and stores in every addressing mode.</summary>
    public sealed class LoadStoreTests : IDisposable
    {
        private const ulong Data = TestMachine.DataBase;
        private readonly TestMachine _m = new();

        public LoadStoreTests()
        {
            _m.EnableMmu();
            var bytes = _m.Ram.Span(Data, 256);
            for (int i = 0; i < bytes.Length; i++)
            {
                bytes[i] = (byte)(0x80 + i);
            }
        }

        public void Dispose() => _m.Dispose();

        private Cpu Cpu => _m.Cpu;

        private void RunOk(params uint[] words)
        {
            _m.Run(words);
            Assert.False(_m.TookException(out uint ec), $"exception EC {ec:X} ESR {Cpu.EsrEl[1]:X}");
        }

        [Theory]
        [InlineData(0xF9400420u, 0x8F8E_8D8C_8B8A_8988ul)] // ldr x0, [x1, #8]
        [InlineData(0xB9400420u, 0x8786_8584ul)] // ldr w0, [x1, #4]
        [InlineData(0x39400420u, 0x81ul)] // ldrb w0, [x1, #1]
        [InlineData(0x79400420u, 0x8382ul)] // ldrh w0, [x1, #2]
        [InlineData(0x39800020u, 0xFFFF_FFFF_FFFF_FF80ul)] // ldrsb x0, [x1]
        [InlineData(0x39C00020u, 0xFFFF_FF80ul)] // ldrsb w0, [x1]
        [InlineData(0x79800020u, 0xFFFF_FFFF_FFFF_8180ul)] // ldrsh x0, [x1]
        [InlineData(0xB9800020u, 0xFFFF_FFFF_8382_8180ul)] // ldrsw x0, [x1]
        [InlineData(0xF85FF020u, 0x8685_8483_8281_807Ful & 0xFFFF_FFFF_FFFF_FFFFul)] // ldur x0, [x1, #-1] (byte before is 0)
        [InlineData(0xF8627820u, 0x9796_9594_9392_9190ul)] // ldr x0, [x1, x2, lsl #3] with x2 = 2
        [InlineData(0xB862C820u, 0x8584_8382ul)] // ldr w0, [x1, w2, sxtw] with w2 = 2
        [InlineData(0xC8DFFC20u, 0x8786_8584_8382_8180ul)] // ldar x0, [x1]
        [InlineData(0x08DFFC20u, 0x80ul)] // ldarb w0, [x1]
        public void Loads(uint word, ulong expected)
        {
            _m.Ram.Span(Data - 1, 1)[0] = 0x7F;
            Cpu.X[1] = Data;
            Cpu.X[2] = 2;
            RunOk(word);
            Assert.Equal(expected, Cpu.X[0]);
        }

        [Fact]
        public void WritebackModes()
        {
            Cpu.X[1] = Data;
            RunOk(0xF8408C20u); // ldr x0, [x1, #8]!
            Assert.Equal(Data + 8, Cpu.X[1]);
            Assert.Equal(0x8F8E_8D8C_8B8A_8988ul, Cpu.X[0]);
            RunOk(0xF8408420u); // ldr x0, [x1], #8
            Assert.Equal(Data + 16, Cpu.X[1]);
            Assert.Equal(0x8F8E_8D8C_8B8A_8988ul, Cpu.X[0]);
            Cpu.X[2] = 0x1122_3344_5566_7788;
            RunOk(0xF81F8C22u); // str x2, [x1, #-8]!
            Assert.Equal(Data + 8, Cpu.X[1]);
            Assert.Equal(0x1122_3344_5566_7788ul, _m.Ram.Read64(Data + 8));
        }

        [Fact]
        public void LoadWithWritebackToItsOwnBaseKeepsTheWriteback()
        {
            Cpu.X[1] = Data;
            RunOk(0xF8408C21u); // ldr x1, [x1, #8]! (CONSTRAINED UNPREDICTABLE: as QEMU)
            Assert.Equal(Data + 8, Cpu.X[1]);
        }

        [Fact]
        public void Pairs()
        {
            Cpu.X[1] = Data;
            RunOk(0xA9400820u); // ldp x0, x2, [x1]
            Assert.Equal(0x8786_8584_8382_8180ul, Cpu.X[0]);
            Assert.Equal(0x8F8E_8D8C_8B8A_8988ul, Cpu.X[2]);
            RunOk(0x29C10820u); // ldp w0, w2, [x1, #8]!
            Assert.Equal(0x8B8A_8988ul, Cpu.X[0]);
            Assert.Equal(0x8F8E_8D8Cul, Cpu.X[2]);
            Assert.Equal(Data + 8, Cpu.X[1]);
            RunOk(0x68C10820u); // ldpsw x0, x2, [x1], #8
            Assert.Equal(0xFFFF_FFFF_8B8A_8988ul, Cpu.X[0]);
            Assert.Equal(Data + 16, Cpu.X[1]);
            Cpu.X[2] = 1;
            Cpu.X[3] = 2;
            RunOk(0xA9BF0C22u); // stp x2, x3, [x1, #-16]!
            Assert.Equal(Data, Cpu.X[1]);
            Assert.Equal(1ul, _m.Ram.Read64(Data));
            Assert.Equal(2ul, _m.Ram.Read64(Data + 8));
        }

        [Fact]
        public void StackPointerBaseIsAlignmentChecked()
        {
            Cpu.SctlrEl[1] |= 1ul << 3; // SA
            Cpu.Sp = Data + 8;
            _m.Run(0xF94007E0u); // ldr x0, [sp, #8]
            Assert.True(_m.TookException(out uint ec));
            Assert.Equal(0x26u, ec);
            Cpu.Sp = Data;
            RunOk(0xF94007E0u);
            Assert.Equal(0x8F8E_8D8C_8B8A_8988ul, Cpu.X[0]);
        }

        [Fact]
        public void StackPointerWritebackIsCheckedBeforeTheAccess()
        {
            Cpu.SctlrEl[1] |= 1ul << 3; // SA
            Cpu.Sp = Data + 0x108; // misaligned base: the check applies to SP itself, not the address
            _m.Run(0xF85F0FE0u); // ldr x0, [sp, #-16]!
            Assert.True(_m.TookException(out uint ec));
            Assert.Equal(0x26u, ec);
            Assert.Equal(Data + 0x108, Cpu.SpEl[1]); // no writeback
        }

        [Fact]
        public void UnprivilegedAccessesOnEl0Memory()
        {
            // EL1 may not execute EL0-writable memory, so run at EL0 (where LDTR/STTR are plain accesses).
            Cpu.PowerOn(TestMachine.CodeBase, 0, el: 0);
            Cpu.VbarEl[1] = TestMachine.VectorBase;
            _m.EnableMmu(el0Access: true);
            Cpu.X[1] = Data;
            Cpu.X[2] = 0x5A5A;
            RunOk(0xF8000822u, 0xF8400820u); // sttr x2, [x1]; ldtr x0, [x1]
            Assert.Equal(0x5A5Aul, Cpu.X[0]);
        }

        [Fact]
        public void PairFaultOnSecondAccessWritesNoRegister()
        {
            // The page after the last RAM page is unmapped (external abort): make the second
            // access of a pair cross into it.
            ulong end = TestMachine.RamBase + TestMachine.RamSize;
            Cpu.X[1] = end - 8;
            Cpu.X[0] = 0xAAAA;
            Cpu.X[2] = 0xBBBB;
            _m.Run(0xA9C00820u); // ldp x0, x2, [x1, #0]! (pre-index, offset 0)
            Assert.True(_m.TookException(out uint ec));
            Assert.Equal(0x25u, ec);
            Assert.Equal(0xAAAAul, Cpu.X[0]);
            Assert.Equal(0xBBBBul, Cpu.X[2]);
            Assert.Equal(end - 8, Cpu.X[1]);
        }

        [Fact]
        public void Literals()
        {
            _m.Load(0x58000040u, 0, 0x1122_3344u, 0x5566_7788u); // ldr x0, .+8
            Cpu.Pc = TestMachine.CodeBase;
            Cpu.Run(1);
            Assert.Equal(0x5566_7788_1122_3344ul, Cpu.X[0]);
            _m.Load(0x98000040u, 0, 0x8000_0000u); // ldrsw x0, .+8
            Cpu.Pc = TestMachine.CodeBase;
            Cpu.Run(1);
            Assert.Equal(0xFFFF_FFFF_8000_0000ul, Cpu.X[0]);
        }

        [Fact]
        public void PrefetchesNeverFault()
        {
            Cpu.X[1] = 0xDEAD_0000_0000_0000;
            Cpu.X[2] = 3;
            RunOk(0xF9800020u, 0xF8A26820u, 0xF8801020u, 0xD8000040u);
            Assert.Equal(TestMachine.CodeBase + 16, Cpu.Pc);
        }

        [Fact]
        public void Exclusives()
        {
            Cpu.X[1] = Data;
            Cpu.X[2] = 0x42;
            RunOk(0xC85F7C20u, 0xC8037C22u); // ldxr x0, [x1]; stxr w3, x2, [x1]
            Assert.Equal(0x8786_8584_8382_8180ul, Cpu.X[0]);
            Assert.Equal(0ul, Cpu.X[3]);
            Assert.Equal(0x42ul, _m.Ram.Read64(Data));
            RunOk(0xC8037C22u); // stxr without a reservation fails
            Assert.Equal(1ul, Cpu.X[3]);
            RunOk(0xC85F7C20u, 0xD5033F5Fu, 0xC8037C22u); // ldxr; clrex; stxr fails
            Assert.Equal(1ul, Cpu.X[3]);
            Cpu.X[0] = 7;
            Cpu.X[2] = 9;
            RunOk(0xC87F0820u); // ldxp x0, x2, [x1]
            Assert.Equal(0x42ul, Cpu.X[0]);
            Cpu.X[0] = 7;
            Cpu.X[2] = 9;
            RunOk(0xC8230820u); // stxp w3, x0, x2, [x1]
            Assert.Equal(0ul, Cpu.X[3]);
            Assert.Equal(9ul, _m.Ram.Read64(Data + 8));
        }

        [Fact]
        public void ExclusivesRequireAlignment()
        {
            Cpu.X[1] = Data + 4;
            _m.Run(0xC85F7C20u); // ldxr x0, [x1] misaligned
            Assert.True(_m.TookException(out uint ec));
            Assert.Equal(0x25u, ec);
            Assert.Equal(0x21ul, Cpu.EsrEl[1] & 0x3F);
            Cpu.X[1] = Data + 8;
            _m.Run(0xC87F0820u); // ldxp x0, x2, [x1]: needs 16-byte alignment
            Assert.True(_m.TookException(out ec));
            Assert.Equal(0x21ul, Cpu.EsrEl[1] & 0x3F);
            Cpu.X[1] = Data + 2;
            _m.Run(0x889FFC22u); // stlr w2, [x1]
            Assert.True(_m.TookException(out ec));
            Assert.Equal(0x21ul, Cpu.EsrEl[1] & 0x3F);
            Assert.True((Cpu.EsrEl[1] & (1 << 6)) != 0); // WnR
        }

        [Fact]
        public void UnalignedNormalAccessesWork()
        {
            Cpu.X[1] = Data + 1;
            RunOk(0xF9400020u); // ldr x0, [x1]
            Assert.Equal(0x8887_8685_8483_8281ul, Cpu.X[0]);
        }

        [Fact]
        public void FpRegisters()
        {
            Cpu.X[1] = Data;
            Cpu.V[1] = 0xDEAD;
            RunOk(0x3DC00020u); // ldr q0, [x1]
            Assert.Equal(0x8786_8584_8382_8180ul, Cpu.V[0]);
            Assert.Equal(0x8F8E_8D8C_8B8A_8988ul, Cpu.V[1]);
            RunOk(0x3D800420u); // str q0, [x1, #16]
            Assert.Equal(0x8F8E_8D8C_8B8A_8988ul, _m.Ram.Read64(Data + 24));
            RunOk(0xAD400420u); // ldp q0, q1, [x1]
            Assert.Equal(0x8F8E_8D8C_8B8A_8988ul, Cpu.V[3]);
            Cpu.X[2] = 1;
            RunOk(0xBC627820u); // ldr s0, [x1, x2, lsl #2]: zeroes the rest of q0
            Assert.Equal(0x8786_8584ul, Cpu.V[0]);
            Assert.Equal(0ul, Cpu.V[1]);
            RunOk(0x3C401020u); // ldur b0, [x1, #1]
            Assert.Equal(0x81ul, Cpu.V[0]);
            Cpu.V[0] = 0x11;
            Cpu.V[2] = 0x22;
            Cpu.X[1] = Data + 64;
            RunOk(0x6DBF0420u); // stp d0, d1, [x1, #-16]!
            Assert.Equal(Data + 48, Cpu.X[1]);
            Assert.Equal(0x11ul, _m.Ram.Read64(Data + 48));
            Assert.Equal(0x22ul, _m.Ram.Read64(Data + 56));
        }

        [Fact]
        public void SimdStructures()
        {
            // Data bytes are 0x80 + offset.
            Cpu.X[1] = Data;
            RunOk(0x4C407020u); // ld1 {v0.16b}, [x1]
            Assert.Equal(0x8786_8584_8382_8180ul, Cpu.V[0]);
            Assert.Equal(0x8F8E_8D8C_8B8A_8988ul, Cpu.V[1]);
            RunOk(0x4CDF0820u); // ld4 {v0.4s-v3.4s}, [x1], #64: de-interleaves words
            Assert.Equal(Data + 64, Cpu.X[1]);
            Assert.Equal(0x9392_9190_8382_8180ul, Cpu.V[0]); // v0.s[0] = word 0, v0.s[1] = word 4
            Assert.Equal(0x9796_9594_8786_8584ul, Cpu.V[2]); // v1.s[0] = word 1, v1.s[1] = word 5
            Cpu.X[1] = Data;
            RunOk(0x4D40C420u); // ld1r {v0.8h}, [x1]
            Assert.Equal(0x8180_8180_8180_8180ul, Cpu.V[0]);
            Assert.Equal(0x8180_8180_8180_8180ul, Cpu.V[1]);
            RunOk(0x0C408020u); // ld2 {v0.8b, v1.8b}, [x1]: 64-bit form clears the upper halves
            Assert.Equal(0x8E8C_8A88_8684_8280ul, Cpu.V[0]);
            Assert.Equal(0ul, Cpu.V[1]);
            Assert.Equal(0x8F8D_8B89_8785_8381ul, Cpu.V[2]);
            Cpu.V[0] = 0x1111;
            Cpu.V[1] = 0x2222;
            RunOk(0x4D408420u); // ld1 {v0.d}[1], [x1]: other lanes kept
            Assert.Equal(0x1111ul, Cpu.V[0]);
            Assert.Equal(0x8786_8584_8382_8180ul, Cpu.V[1]);
            Cpu.V[1] = 0xAABB_CCDD_0000_0000;
            Cpu.X[2] = 100;
            RunOk(0x4D829020u); // st1 {v0.s}[3], [x1], x2
            Assert.Equal(Data + 100, Cpu.X[1]);
            Assert.Equal(0xAABB_CCDDu, (uint)_m.Ram.Read64(Data));
        }

        [Fact]
        public void FpAccessTrapsWhenDisabled()
        {
            Cpu.CpacrEl1 = 0;
            Cpu.X[1] = Data;
            _m.Run(0x3DC00020u); // ldr q0, [x1]
            Assert.True(_m.TookException(out uint ec));
            Assert.Equal(0x07u, ec);
        }

        [Fact]
        public void UnprivilegedAccessUsesEl0Permissions()
        {
            // The identity map is EL1-only: LDTR at EL1 faults with a permission fault.
            Cpu.X[1] = Data;
            _m.Run(0xF8400820u); // ldtr x0, [x1]
            Assert.True(_m.TookException(out uint ec));
            Assert.Equal(0x25u, ec);
            Assert.Equal(0x0Cul, Cpu.EsrEl[1] & 0x3C); // permission fault
        }
    }
}
