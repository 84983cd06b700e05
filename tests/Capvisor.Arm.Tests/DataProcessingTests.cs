using Capvisor.Arm.Tests.Fixtures;

namespace Capvisor.Arm.Tests
{
    /// <summary>Data-processing instructions, hand-assembled with aarch64-linux-gnu-as.</summary>
    public sealed class DataProcessingTests : IDisposable
    {
        private readonly TestMachine _m = new();

        public void Dispose() => _m.Dispose();

        private ulong Exec(uint word, ulong x1 = 0, ulong x2 = 0, ulong x3 = 0, ulong x0 = 0, uint nzcv = 0)
        {
            _m.Cpu.X[0] = x0;
            _m.Cpu.X[1] = x1;
            _m.Cpu.X[2] = x2;
            _m.Cpu.X[3] = x3;
            _m.Cpu.Nzcv = nzcv;
            _m.Run(word);
            Assert.False(_m.TookException(out uint ec), $"exception EC {ec:X}");
            Assert.Equal(TestMachine.CodeBase + 4, _m.Cpu.Pc);
            return _m.Cpu.X[0];
        }

        [Theory]
        [InlineData(0x8B020020u, 5ul, 7ul, 12ul)] // add x0, x1, x2
        [InlineData(0x9AC20820u, 100ul, 7ul, 14ul)] // udiv x0, x1, x2
        [InlineData(0x9AC20820u, 100ul, 0ul, 0ul)] // udiv by zero = 0
        [InlineData(0x9AC20C20u, 0x8000_0000_0000_0000ul, ulong.MaxValue, 0x8000_0000_0000_0000ul)] // sdiv INT64_MIN / -1
        [InlineData(0x9AC20C20u, unchecked((ulong)-7L), 2ul, unchecked((ulong)-3L))] // sdiv rounds toward zero
        [InlineData(0x1AC20C20u, 0x8000_0000ul, 0xFFFF_FFFFul, 0x8000_0000ul)] // sdiv w: INT32_MIN / -1
        [InlineData(0x1AC20C20u, 5ul, 0ul, 0ul)] // sdiv w by zero
        [InlineData(0x1AC20820u, 0xFFFF_FFFF_0000_0010ul, 4ul, 4ul)] // udiv w uses low 32 bits
        [InlineData(0x9AC22020u, 1ul, 65ul, 2ul)] // lslv x: amount mod 64
        [InlineData(0x1AC22820u, 0x8000_0000ul, 33ul, 0xC000_0000ul)] // asrv w: amount mod 32
        [InlineData(0x9AC22C20u, 1ul, 1ul, 0x8000_0000_0000_0000ul)] // rorv x
        [InlineData(0x9B427C20u, unchecked((ulong)-2L), 3ul, ulong.MaxValue)] // smulh
        [InlineData(0x9BC27C20u, ulong.MaxValue, ulong.MaxValue, 0xFFFF_FFFF_FFFF_FFFEul)] // umulh
        [InlineData(0x5AC00020u, 1ul, 0ul, 0x8000_0000ul)] // rbit w
        [InlineData(0xDAC00420u, 0x0102_0304_0506_0708ul, 0ul, 0x0201_0403_0605_0807ul)] // rev16 x
        [InlineData(0xDAC00820u, 0x0102_0304_0506_0708ul, 0ul, 0x0403_0201_0807_0605ul)] // rev32 x
        [InlineData(0xDAC00C20u, 0x0102_0304_0506_0708ul, 0ul, 0x0807_0605_0403_0201ul)] // rev x
        [InlineData(0x5AC00820u, 0xFFFF_FFFF_0102_0304ul, 0ul, 0x0403_0201ul)] // rev w
        [InlineData(0xDAC01020u, 0ul, 0ul, 64ul)] // clz x 0
        [InlineData(0xDAC01020u, 0x100ul, 0ul, 55ul)] // clz x
        [InlineData(0x5AC01420u, 0xFFFF_FFFFul, 0ul, 31ul)] // cls w -1
        [InlineData(0x5AC01420u, 1ul, 0ul, 30ul)] // cls w 1
        [InlineData(0x8A221020u, 0xFFul, 0x1ul, 0xEFul)] // bic x0, x1, x2, lsl #4
        [InlineData(0x2AE22020u, 0ul, 0xFFFF_FF00ul, 0xFFFF_FFFFul ^ 0x00FF_FFFFul)] // orn w0, w1, w2, ror #8
        [InlineData(0xCA220020u, 0xF0ul, 0x0Ful, 0xFFFF_FFFF_FFFF_FF00ul)] // eon
        [InlineData(0xAA2103E0u, 0ul, 0ul, ulong.MaxValue)] // mvn x0, x1
        [InlineData(0x2A0103E0u, 0x1_2345_6789ul, 0ul, 0x2345_6789ul)] // mov w0, w1
        [InlineData(0xCB0103E0u, 1ul, 0ul, ulong.MaxValue)] // neg x0, x1
        [InlineData(0xCB228020u, 10ul, 0xFFul, 11ul)] // sub x0, x1, w2, sxtb
        [InlineData(0x92089C20u, ulong.MaxValue, 0ul, 0xFF00_FF00_FF00_FF00ul)] // and x0, x1, #0xff00ff00ff00ff00
        [InlineData(0x3200F3E0u, 0ul, 0ul, 0x5555_5555ul)] // orr w0, wzr, #0x55555555
        [InlineData(0x12800000u, 0ul, 0ul, 0xFFFF_FFFFul)] // movn w0, #0
        [InlineData(0xD3442C20u, 0x1234_5678ul, 0ul, 0x67ul)] // ubfx x0, x1, #4, #8
        [InlineData(0x13042C20u, 0x0000_0F80ul, 0ul, 0xFFFF_FFF8ul)] // sbfx w0, w1, #4, #8
        [InlineData(0xD37DF020u, 0x8000_0000_0000_0001ul, 0ul, 8ul)] // lsl x0, x1, #3
        [InlineData(0x531F7C20u, 0x1_8000_0000ul, 0ul, 1ul)] // lsr w0, w1, #31
        [InlineData(0x937FFC20u, 0x8000_0000_0000_0000ul, 0ul, ulong.MaxValue)] // asr x0, x1, #63
        [InlineData(0x93407C20u, 0x8000_0000ul, 0ul, 0xFFFF_FFFF_8000_0000ul)] // sxtw
        [InlineData(0x53001C20u, 0x1FFul, 0ul, 0xFFul)] // uxtb
        [InlineData(0x93C22020u, 0xABul, 0x1122_3344_5566_7788ul, 0xAB11_2233_4455_6677ul)] // extr x0, x1, x2, #8
        [InlineData(0x13810420u, 1ul, 0ul, 0x8000_0000ul)] // ror w0, w1, #1
        [InlineData(0x93440C20u, 0xFul, 0ul, 0xF000_0000_0000_0000ul)] // sbfiz x0, x1, #60, #4
        [InlineData(0x53010020u, 3ul, 0ul, 0x8000_0000ul)] // ubfiz w0, w1, #31, #1
        public void TwoOperand(uint word, ulong x1, ulong x2, ulong expected)
        {
            Assert.Equal(expected, Exec(word, x1, x2));
        }

        [Fact]
        public void BitfieldInsertKeepsOtherBits()
        {
            Assert.Equal(0xFFFF_FFFF_FFFF_F5FFul, Exec(0xB3780C20u, x1: 0x5, x0: ulong.MaxValue)); // bfi x0, x1, #8, #4
            Assert.Equal(0xFFFF_FFF9ul, Exec(0x331C7C20u, x1: 0x9000_0000, x0: ulong.MaxValue)); // bfxil w0, w1, #28, #4
            Assert.Equal(0xBEEF_0000_0000_1234ul, Exec(0xF2F7DDE0u, x0: 0x1234)); // movk x0, #0xbeef, lsl #48
        }

        [Fact]
        public void MultiplyAccumulate()
        {
            Assert.Equal(2ul * 3 + 4, Exec(0x9B020C20u, 2, 3, 4)); // madd
            Assert.Equal(0xFFFF_FFFEul, Exec(0x1B028C20u, 2, 3, 4)); // msub w: 4 - 6
            Assert.Equal(unchecked((ulong)(-6L + 10)), Exec(0x9B220C20u, 0xFFFF_FFFE, 3, 10)); // smaddl
            Assert.Equal(unchecked(10ul - 0xFFFF_FFFEul * 3), Exec(0x9BA28C20u, 0xFFFF_FFFE, 3, 10)); // umsubl
        }

        [Fact]
        public void Crc32()
        {
            // CRC-32 of "a" without inversions: crc32b(0xFFFFFFFF, 'a') ^ 0xFFFFFFFF = 0xE8B7BE43.
            Assert.Equal(0xE8B7BE43ul, Exec(0x1AC24020u, 0xFFFF_FFFF, 'a') ^ 0xFFFF_FFFF);
            // CRC-32C of the 8 bytes 0..7 as a little-endian doubleword, cross-checked with BitOperations.
            uint expected = System.Numerics.BitOperations.Crc32C(0xFFFF_FFFFu, 0x0706_0504_0302_0100ul);
            Assert.Equal((ulong)expected, Exec(0x9AC25C20u, 0xFFFF_FFFF, 0x0706_0504_0302_0100ul));
        }

        [Fact]
        public void FlagSetting()
        {
            Exec(0x2B020020u, 0x7FFF_FFFF, 1); // adds w0, w1, w2: overflow
            Assert.Equal(0x9000_0000u, _m.Cpu.Nzcv); // N, V
            Exec(0xF1000420u, 1); // subs x0, x1, #1 -> 0, carry (no borrow)
            Assert.Equal(0x6000_0000u, _m.Cpu.Nzcv); // Z, C
            Exec(0xEB02003Fu, 1, 2); // cmp x1, x2 -> negative, borrow
            Assert.Equal(0x8000_0000u, _m.Cpu.Nzcv);
            Exec(0xF2400020u, 2); // ands x0, x1, #1 -> 0
            Assert.Equal(0x4000_0000u, _m.Cpu.Nzcv);
            Assert.Equal(3ul, Exec(0x9A020020u, 1, 1, nzcv: 0x2000_0000)); // adc with C
            Exec(0x7A020020u, 0, 0, nzcv: 0); // sbcs w0, wzr-ish: 0 - 0 - 1 = -1, no carry
            Assert.Equal(0x8000_0000u, _m.Cpu.Nzcv);
            Assert.Equal(0xFFFF_FFFFul, _m.Cpu.X[0]);
            Exec(0x6B22003Fu, 0x1FF, 0x3FF); // cmp w1, w2, uxtb: 0x1FF - 0xFF
            Assert.Equal(0x2000_0000u, _m.Cpu.Nzcv);
            Exec(0xAB821020u, 0x8000_0000_0000_0000ul, 0x8000_0000_0000_0000ul); // adds x0, x1, x2, asr #4
            Assert.Equal(0x7800_0000_0000_0000ul, _m.Cpu.X[0]);
            Assert.Equal(0x3000_0000u, _m.Cpu.Nzcv); // C, V
            Exec(0x6A220020u, 0xF, 0xF); // bics w0, w1, w2 -> 0
            Assert.Equal(0x4000_0000u, _m.Cpu.Nzcv);
        }

        [Fact]
        public void ConditionalSelectAndCompare()
        {
            Assert.Equal(1ul, Exec(0x9A820020u, 1, 2, nzcv: 0x4000_0000)); // csel eq, Z set
            Assert.Equal(2ul, Exec(0x9A820020u, 1, 2, nzcv: 0)); // csel eq, Z clear
            Assert.Equal(3ul, Exec(0x1A821420u, 1, 2, nzcv: 0x4000_0000)); // csinc ne, Z set -> w2 + 1
            Assert.Equal(~2ul, Exec(0xDA82B020u, 1, 2, nzcv: 0)); // csinv lt: N == V -> not lt
            Assert.Equal(unchecked((ulong)-2L), Exec(0xDA82A420u, 1, 2, nzcv: 0x8000_0000)); // csneg ge: N != V
            Exec(0xFA420024u, 5, 5, nzcv: 0x4000_0000); // ccmp eq: compares, equal
            Assert.Equal(0x6000_0000u, _m.Cpu.Nzcv);
            Exec(0xFA420024u, 5, 5, nzcv: 0); // ccmp: condition fails -> nzcv = #4
            Assert.Equal(0x4000_0000u, _m.Cpu.Nzcv);
            Exec(0x3A451822u, 0xFFFF_FFFB, 0, nzcv: 0); // ccmn w1, #5, #2, ne: -5 + 5 = 0, carry
            Assert.Equal(0x6000_0000u, _m.Cpu.Nzcv);
        }

        [Fact]
        public void StackPointerForms()
        {
            var cpu = _m.Cpu;
            cpu.Sp = 0x1000;
            Exec(0x910083FFu); // add sp, sp, #0x20
            Assert.Equal(0x1020ul, cpu.Sp);
            Assert.Equal(0x1020ul, Exec(0x910003FDu) == 0 ? cpu.X[29] : cpu.X[29]); // mov x29, sp
            cpu.Sp = 0x20000;
            Exec(0xD14043FFu); // sub sp, sp, #16, lsl #12
            Assert.Equal(0x10000ul, cpu.Sp);
            Exec(0xB27103FFu); // mov sp, #0x8000 (orr sp, xzr, #0x8000)
            Assert.Equal(0x8000ul, cpu.Sp);
            cpu.Sp = 0x100;
            Assert.Equal(0x100ul + 12, Exec(0x8B214BE0u, 3)); // add x0, sp, w1, uxtw #2
        }

        [Theory]
        [InlineData(0x1200_0000u | (1u << 22))] // and w0, w0, #imm with N = 1 (sf = 0)
        [InlineData(0x92400000u | (63u << 10))] // and x0, x0, #imm with imms = all ones (reserved)
        [InlineData(0x0B008000u | (32u << 10))] // add w0, w0, w0, lsl #32
        [InlineData(0x0BC00000u)] // add (shifted) with shift = 11
        [InlineData(0x2A008000u | (40u << 10))] // orr w, imm6 >= 32
        [InlineData(0x13000000u | (1u << 22))] // sbfm w with N = 1
        [InlineData(0x5AC00C00u)] // rev with sf = 0, opc = 3
        [InlineData(0x1AC00000u)] // 2-source opcode 0
        [InlineData(0x9AC04000u)] // crc32b with sf = 1
        [InlineData(0x1B200000u)] // smaddl with sf = 0
        [InlineData(0x9B400000u | (1u << 15))] // smulh with o0 = 1
        [InlineData(0x8B201400u)] // add extended with imm3 = 5
        [InlineData(0x32800000u)] // move wide with opc = 01
        [InlineData(0x52C00000u)] // movz w with hw = 2
        [InlineData(0x00000000u)] // udf #0
        [InlineData(0x04000000u)] // SVE space: not implemented
        public void ReservedEncodingsAreUndefined(uint word)
        {
            _m.Run(word);
            Assert.True(_m.TookException(out uint ec));
            Assert.Equal(0u, ec);
            Assert.Equal(TestMachine.CodeBase, _m.Cpu.ElrEl[1]);
        }

        [Fact]
        public void ZeroRegisterWritesAreDiscardedAndReadsAreZero()
        {
            var cpu = _m.Cpu;
            cpu.X[1] = 5;
            cpu.X[2] = 6;
            _m.Run(0x8B02003Fu); // add xzr, x1, x2
            Assert.Equal(0ul, cpu.GetX(31));
            Assert.Equal(0ul, cpu.X[32]);
            _m.Run(0xAA1F03E0u); // mov x0, xzr
            Assert.Equal(0ul, cpu.X[0]);
        }
    }
}
