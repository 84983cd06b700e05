namespace Capvisor.Arm.Tests.SimdFp
{
    /// <summary>Advanced SIMD integer, copy, permute and immediate forms (the ones glibc's string routines use first).</summary>
    public sealed class SimdFpIntegerTests
    {
        private readonly SimdFpMachine _m = new();

        private (ulong Lo, ulong Hi) Run(uint insn)
        {
            Assert.True(_m.Execute(insn), $"{insn:X8} was UNDEFINED");
            return _m.Q((int)(insn & 31));
        }

        [Fact]
        public void ModifiedImmediates()
        {
            Assert.Equal((0x4141414141414141ul, 0x4141414141414141ul), Run(0x4f02e420)); // movi v0.16b, #0x41
            Assert.Equal((0xFFFFEDFFFFFFEDFFul, 0xFFFFEDFFFFFFEDFFul), Run(0x6f002641)); // mvni v1.4s, #0x12, lsl #8
            _m.SetQ(2, 0x0000000100000002, 0x1);
            Assert.Equal((0x00FF000100FF0002ul, 0x00FF000000FF0001ul), Run(0x4f0757e2)); // orr v2.4s, #0xff, lsl #16
            _m.SetQ(3, ulong.MaxValue, ulong.MaxValue);
            Assert.Equal((0xFFFEFFFEFFFEFFFEul, 0xFFFEFFFEFFFEFFFEul), Run(0x6f009423)); // bic v3.8h, #1
        }

        [Fact]
        public void MovesBetweenRegisterFiles()
        {
            _m.Cpu.X[5] = 0x1234567887654321;
            _m.SetQ(4, ulong.MaxValue, ulong.MaxValue);
            Assert.Equal((0x87654321ul, 0ul), Run(0x1e2700a4)); // fmov s4, w5 zeroes 127:32
            _m.SetQ(7, 0xAABBCCDD11223344, 5);
            Assert.True(_m.Execute(0x9e6600e6)); // fmov x6, d7
            Assert.Equal(0xAABBCCDD11223344ul, _m.Cpu.X[6]);
            Assert.Equal((0x3FF8000000000000ul, 0ul), Run(0x1e6f1008)); // fmov d8, #1.5
            _m.SetQ(9, 7, 8);
            _m.Cpu.X[10] = 0x55;
            Assert.Equal((7ul, 0x55ul), Run(0x9eaf0149)); // fmov v9.d[1], x10 keeps the low half
            _m.Cpu.X[12] = 0x1FF;
            Assert.Equal((ulong.MaxValue, ulong.MaxValue), Run(0x4e010d8b)); // dup v11.16b, w12
            _m.SetQ(14, 0, 0xCAFEBABE00000000);
            Assert.Equal((0xCAFEBABECAFEBABEul, 0xCAFEBABECAFEBABEul), Run(0x4e1c05cd)); // dup v13.4s, v14.s[3]
            _m.SetQ(15, 0, 0);
            _m.Cpu.X[16] = 0xBEEF;
            Assert.Equal((0ul, 0x00000000BEEF0000ul), Run(0x4e161e0f)); // mov v15.h[5], w16
            _m.SetQ(18, 0, 0x0000000000009A00);
            Assert.True(_m.Execute(0x0e133e51)); // umov w17, v18.b[9]
            Assert.Equal(0x9Aul, _m.Cpu.X[17]);
            _m.SetQ(20, 0x0000800000000000, 0);
            Assert.True(_m.Execute(0x4e0a2e93)); // smov x19, v20.h[2]
            Assert.Equal(0xFFFFFFFFFFFF8000ul, _m.Cpu.X[19]);
        }

        [Fact]
        public void ExtractComparesAndPairwise()
        {
            _m.SetQ(22, 0x0706050403020100, 0x0F0E0D0C0B0A0908);
            _m.SetQ(23, 0x1716151413121110, 0x1F1E1D1C1B1A1918);
            Assert.Equal((0x0A09080706050403ul, 0x1211100F0E0D0C0Bul), Run(0x6e171ad5)); // ext #3
            _m.SetQ(1, 0x0000616161006100, 0);
            _m.SetQ(2, 0x6161616161616161, 0);
            Assert.Equal((0x0000FFFFFF00FF00ul, ulong.MaxValue), Run(0x6e228c20)); // cmeq .16b
            Assert.Equal((0xFFFF000000FF00FFul, ulong.MaxValue), Run(0x4e209820)); // cmeq .16b, #0
            _m.SetQ(1, 0x0001FFFF00058000, 0);
            _m.SetQ(2, 0x0002FFFE00057FFF, 0);
            Assert.Equal((0x0000FFFFFFFFFFFFul, ulong.MaxValue), Run(0x6e623c20)); // cmhs .8h
            _m.SetQ(1, 0x0807060504030201, 0x10FF0E0D0C0B0A09);
            _m.SetQ(2, 0, 0);
            Assert.Equal((0xFF0E0C0A08060402ul, 0ul), Run(0x6e22a420)); // umaxp .16b
            Assert.Equal((0x100D0B0907050301ul, 0ul), Run(0x6e22ac20)); // uminp .16b
            _m.SetQ(1, 5, ulong.MaxValue);
            Assert.Equal((4ul, 0ul), Run(0x5ef1b820)); // addp d0, v1.2d
        }

        [Fact]
        public void NarrowWidenAndPermute()
        {
            _m.SetQ(1, 0x1234567890ABCDEF, 0x0FF0F00F00FF0FF0);
            Assert.Equal((0xFF000FFF23670ADEul, 0ul), Run(0x0f0c8420)); // shrn .8b, .8h, #4
            Assert.Equal((0xF00FFFF03478ABEFul, 0ul), Run(0x0e212820)); // xtn .8b, .8h
            _m.SetQ(1, 0x0706050403020100, 0x0F0E0D0C0B0A0908);
            _m.SetQ(2, 0x1716151413121110, 0x1F1E1D1C1B1A1918);
            Assert.Equal((0x0E0C0A0806040200ul, 0x1E1C1A1816141210ul), Run(0x4e021820)); // uzp1 .16b
            Assert.Equal((0x1B1A19180B0A0908ul, 0x1F1E1D1C0F0E0D0Cul), Run(0x4e827820)); // zip2 .4s
            Assert.Equal((0x0001020304050607ul, 0x08090A0B0C0D0E0Ful), Run(0x4e200820)); // rev64 .16b
            _m.SetQ(1, 0x80FF, 0);
            Assert.Equal((0x00000000008000FFul, 0ul), Run(0x2f08a420)); // uxtl .8h, .8b
        }

        [Fact]
        public void CountsReductionsTables()
        {
            _m.SetQ(1, 0xFF0F010003070F00, 0);
            Assert.Equal((0x0804010002030400ul, 0ul), Run(0x0e205820)); // cnt .8b
            _m.SetQ(1, 0x0101010101010101, 0xFFFFFFFFFFFFFFFF);
            Assert.Equal((0ul, 0ul), Run(0x4e31b820)); // addv b0: (8 + 8 * 255) & 0xFF
            Assert.Equal((0x0800ul, 0ul), Run(0x6e303820)); // uaddlv h0 = 2048
            _m.SetQ(1, 0x0706050403020100, 0x0F0E0D0C0B0A0908);
            _m.SetQ(2, 0x1716151413121110, 0x1F1E1D1C1B1A1918);
            _m.SetQ(3, 0x20FF1F1001000F05, 0x0000000000000011);
            Assert.Equal((0x00001F1001000F05ul, 0x0000000000000011ul), Run(0x4e032020)); // tbl 2 regs
            _m.SetQ(0, 0xAAAAAAAAAAAAAAAA, 0xBB);
            _m.SetQ(3, 0x20FF1F1001000F05, 0);
            Assert.Equal((0xAAAAAAAA01000F05ul, 0ul), Run(0x0e031020)); // tbx 1 reg, .8b
        }

        [Fact]
        public void ArithmeticAndSaturation()
        {
            _m.SetQ(1, 0x0000000300000002, 0xFFFFFFFF00010000);
            _m.SetQ(2, 0x0000000500000007, 0x0000000200010000);
            Assert.Equal((0x0000000F0000000Eul, 0xFFFFFFFE00000000ul), Run(0x4ea29c20)); // mul .4s
            _m.SetQ(1, 0xFFFFFFFF00000003, 0);
            _m.SetQ(2, 0xFFFFFFFF00000005, 0);
            Assert.Equal((15ul, 0xFFFFFFFE00000001ul), Run(0x2ea2c020)); // umull .2d
            _m.SetQ(1, 0x8000000000000000, 0xFFFFFFFFFFFFFFFE);
            Assert.Equal((0x8000000000000000ul, 2ul), Run(0x4ee0b820)); // abs .2d wraps
            _m.Cpu.Fpsr = 0;
            _m.SetQ(1, 0x7F80, 0);
            _m.SetQ(2, 0x0180, 0);
            Assert.Equal((0x7F80ul, 0ul), Run(0x4e220c20)); // sqadd .16b: 0x7F+1 saturates, 0x80+0x80 saturates
            Assert.Equal(FpCore.QC, _m.Cpu.Fpsr);
            _m.SetQ(0, 0, 0);
            _m.SetQ(1, ulong.MaxValue, ulong.MaxValue);
            _m.SetQ(2, 0xF0F0, 0);
            Assert.Equal((0xF0F0ul, 0ul), Run(0x6ea21c20)); // bit
        }

        [Fact]
        public void UnallocatedEncodingsAreUndefined()
        {
            Assert.False(_m.Execute(0x0ee08400)); // add .1d (size 11, Q 0)
            Assert.False(_m.Execute(0x4ee0e000 | (1 << 16))); // pmull 1q (crypto, not implemented)
            Assert.False(_m.Execute(0x1ea22820)); // fadd with ptype 10
            Assert.False(_m.Execute(0x1ee22820)); // fadd h (FP16 arithmetic)
            Assert.False(_m.Execute(0x4e284800)); // aese
        }

        [Fact]
        public void FpAccessTrapComesFirst()
        {
            _m.Cpu.CpacrEl1 = 0;
            Assert.False(_m.Execute(0x4e209820));
            Assert.Equal((ulong)ExceptionClass.FpAccessTrap, _m.LastExceptionClass);
        }
    }
}
