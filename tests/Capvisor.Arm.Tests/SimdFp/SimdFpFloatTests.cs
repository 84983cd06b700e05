namespace Capvisor.Arm.Tests.SimdFp
{
    /// <summary>Scalar and vector floating point: rounding modes, flags, NaNs, flush-to-zero, conversions.</summary>
    public sealed class SimdFpFloatTests
    {
        private const uint RP = 1u << 22, RM = 2u << 22, RZ = 3u << 22, FZ = 1u << 24, DN = 1u << 25;

        private readonly SimdFpMachine _m = new();

        private void Run(uint insn, uint fpcr = 0)
        {
            _m.Cpu.Fpcr = fpcr;
            _m.Cpu.Fpsr = 0;
            Assert.True(_m.Execute(insn), $"{insn:X8} was UNDEFINED");
        }

        [Fact]
        public void AddRoundsPerModeAndRaisesInexact()
        {
            // fadd s0, s1, s2 with 1 + 2^-24 (a tie): RN to even gives 1, RP gives 1 + 2^-23.
            _m.SetS(1, 1.0f);
            _m.SetS(2, MathF.Pow(2, -24));
            _m.SetQ(0, ulong.MaxValue, ulong.MaxValue);
            Run(0x1e222820);
            Assert.Equal((0x3F800000ul, 0ul), _m.Q(0));
            Assert.Equal(FpCore.IXC, _m.Cpu.Fpsr);
            Run(0x1e222820, RP);
            Assert.Equal(0x3F800001ul, _m.Q(0).Lo);
            Run(0x1e222820, RM);
            Assert.Equal(0x3F800000ul, _m.Q(0).Lo);

            // x + (-x) is +0, except -0 when rounding towards minus infinity.
            _m.SetS(2, -1.0f);
            Run(0x1e222820);
            Assert.Equal(0ul, _m.Q(0).Lo);
            Run(0x1e222820, RM);
            Assert.Equal(0x80000000ul, _m.Q(0).Lo);
            Assert.Equal(0u, _m.Cpu.Fpsr);
        }

        [Fact]
        public void FusedMultiplyAddRoundsOnce()
        {
            // fmadd d0, d1, d2, d3: (1 + 2^-30)^2 - 1 - 2^-29 = 2^-60 exactly; unfused it is 0.
            double a = 1 + Math.Pow(2, -30);
            _m.SetD(1, a);
            _m.SetD(2, a);
            _m.SetD(3, -(1 + Math.Pow(2, -29)));
            Run(0x1f420c20);
            Assert.Equal(Math.Pow(2, -60), _m.D(0));
            Assert.Equal(0u, _m.Cpu.Fpsr);
            Assert.Equal(Math.FusedMultiplyAdd(a, a, -(1 + Math.Pow(2, -29))), _m.D(0));
        }

        [Fact]
        public void DivisionAndSquareRootExceptions()
        {
            _m.SetS(1, 1.0f);
            _m.SetS(2, 0.0f);
            Run(0x1e221820); // fdiv s0, s1, s2
            Assert.Equal(float.PositiveInfinity, _m.S(0));
            Assert.Equal(FpCore.DZC, _m.Cpu.Fpsr);
            _m.SetS(1, 0.0f);
            Run(0x1e221820);
            Assert.Equal(0x7FC00000ul, _m.Q(0).Lo);
            Assert.Equal(FpCore.IOC, _m.Cpu.Fpsr);
            _m.SetD(1, -4.0);
            Run(0x1e61c020); // fsqrt d0, d1
            Assert.Equal(0x7FF8000000000000ul, _m.Q(0).Lo);
            Assert.Equal(FpCore.IOC, _m.Cpu.Fpsr);
            _m.SetD(1, 2.0);
            Run(0x1e61c020);
            Assert.Equal(Math.Sqrt(2.0), _m.D(0));
            Assert.Equal(FpCore.IXC, _m.Cpu.Fpsr);
        }

        [Fact]
        public void NaNPropagation()
        {
            // fadd s0, s1, s2: a signalling NaN in the second operand wins over a quiet one in the first.
            _m.SetQ(1, 0x7FC00001, 0);
            _m.SetQ(2, 0xFF800002, 0);
            Run(0x1e222820);
            Assert.Equal(0xFFC00002ul, _m.Q(0).Lo);
            Assert.Equal(FpCore.IOC, _m.Cpu.Fpsr);
            Run(0x1e222820, DN);
            Assert.Equal(0x7FC00000ul, _m.Q(0).Lo);
            // fmax with one quiet NaN returns the NaN; fminnm returns the number.
            _m.SetQ(1, 0x7FC00001, 0);
            _m.SetS(2, 3.0f);
            Run(0x1e224820); // fmax s0, s1, s2
            Assert.Equal(0x7FC00001ul, _m.Q(0).Lo);
            _m.SetD(1, double.NaN);
            _m.SetD(2, -3.0);
            Run(0x1e627820); // fminnm d0, d1, d2
            Assert.Equal(-3.0, _m.D(0));
        }

        [Fact]
        public void FlushToZero()
        {
            // fadd s0, s1, s2 with a denormal input under FZ: input flushed (IDC), result exact.
            _m.SetQ(1, 0x00000001, 0);
            _m.SetS(2, 1.0f);
            Run(0x1e222820, FZ);
            Assert.Equal(0x3F800000ul, _m.Q(0).Lo);
            Assert.Equal(FpCore.IDC, _m.Cpu.Fpsr);
            // fmul s0, s1, s2 giving an inexact denormal: flushed to zero with UFC under FZ, denormal with UFC|IXC otherwise.
            _m.SetS(1, MathF.Pow(2, -100));
            _m.SetS(2, MathF.Pow(2, -30) * (1 + MathF.Pow(2, -23)));
            Run(0x1e220820, FZ);
            Assert.Equal(0ul, _m.Q(0).Lo);
            Assert.Equal(FpCore.UFC, _m.Cpu.Fpsr);
            Run(0x1e220820);
            Assert.Equal(MathF.Pow(2, -130), _m.S(0));
            Assert.Equal(FpCore.UFC | FpCore.IXC, _m.Cpu.Fpsr);
        }

        [Fact]
        public void CompareSetsNzcv()
        {
            _m.SetS(0, -1.0f);
            Run(0x1e202018); // fcmpe s0, #0.0
            Assert.Equal(0x80000000u, _m.Cpu.Nzcv);
            _m.SetQ(0, 0x7FC00000, 0);
            Run(0x1e202018); // quiet NaN signals with FCMPE
            Assert.Equal(0x30000000u, _m.Cpu.Nzcv);
            Assert.Equal(FpCore.IOC, _m.Cpu.Fpsr);
            _m.SetD(0, 2.0);
            _m.SetD(1, 2.0);
            Run(0x1e612000); // fcmp d0, d1
            Assert.Equal(0x60000000u, _m.Cpu.Nzcv);
            _m.SetD(1, double.NaN);
            Run(0x1e612000); // quiet NaN does not signal with FCMP
            Assert.Equal(0x30000000u, _m.Cpu.Nzcv);
            Assert.Equal(0u, _m.Cpu.Fpsr);
            _m.Cpu.Nzcv = 0; // Z clear: eq fails, nzcv = #5
            _m.SetS(0, 1.0f);
            _m.SetS(1, 1.0f);
            Run(0x1e210405); // fccmp s0, s1, #5, eq
            Assert.Equal(0x50000000u, _m.Cpu.Nzcv);
            _m.Cpu.Nzcv = 0x80000000; // N != V: lt holds
            _m.SetD(1, 1.0);
            _m.SetD(2, 2.0);
            Run(0x1e62bc20); // fcsel d0, d1, d2, lt
            Assert.Equal(1.0, _m.D(0));
        }

        [Fact]
        public void Conversions()
        {
            _m.SetS(1, 1.5f);
            Run(0x1e22c020); // fcvt d0, s1
            Assert.Equal(1.5, _m.D(0));
            _m.SetD(1, 65520.0);
            Run(0x1e63c020); // fcvt h0, d1: rounds up to infinity
            Assert.Equal((0x7C00ul, 0ul), _m.Q(0));
            Assert.Equal(FpCore.OFC | FpCore.IXC, _m.Cpu.Fpsr);
            _m.SetD(1, 2.5);
            Run(0x1e674020); // frintx d0, d1: ties to even, inexact
            Assert.Equal(2.0, _m.D(0));
            Assert.Equal(FpCore.IXC, _m.Cpu.Fpsr);
            _m.SetS(1, -2.5f);
            Run(0x1e264020); // frinta s0, s1: ties away, no inexact
            Assert.Equal(-3.0f, _m.S(0));
            Assert.Equal(0u, _m.Cpu.Fpsr);
            _m.Cpu.X[1] = unchecked((ulong)-3);
            Run(0x9e620020); // scvtf d0, x1
            Assert.Equal(-3.0, _m.D(0));
            _m.Cpu.X[1] = 0x180;
            Run(0x1e03e020); // ucvtf s0, w1, #8
            Assert.Equal(1.5f, _m.S(0));
            _m.SetD(1, 3e10);
            Run(0x1e780020); // fcvtzs w0, d1 saturates
            Assert.Equal(0x7FFFFFFFul, _m.Cpu.X[0]);
            Assert.Equal(FpCore.IOC, _m.Cpu.Fpsr);
            _m.SetS(1, -1.0f);
            Run(0x9e19f020); // fcvtzu x0, s1, #4 saturates to 0
            Assert.Equal(0ul, _m.Cpu.X[0]);
            Assert.Equal(FpCore.IOC, _m.Cpu.Fpsr);
            _m.SetD(1, -2.5);
            Run(0x9e600020); // fcvtns x0, d1
            Assert.Equal(unchecked((ulong)-2), _m.Cpu.X[0]);
            Assert.Equal(FpCore.IXC, _m.Cpu.Fpsr);
            _m.SetS(1, -0.5f);
            Run(0x1e300020); // fcvtms w0, s1 (to minus infinity)
            Assert.Equal(0xFFFFFFFFul, _m.Cpu.X[0]);
        }

        [Fact]
        public void VectorForms()
        {
            _m.SetQ(1, 0x400000003F800000, 0xC0000000BF800000); // 1, 2, -1, -2
            _m.SetQ(2, 0x3F8000003F800000, 0x3F8000003F800000); // 1 x4
            Run(0x4e22d420); // fadd v0.4s
            Assert.Equal((0x4040000040000000ul, 0xBF80000000000000ul), _m.Q(0));
            _m.SetD(1, 2.0);
            _m.Cpu.V[3] = BitConverter.DoubleToUInt64Bits(3.0);
            _m.SetQ(2, 0, BitConverter.DoubleToUInt64Bits(10.0));
            _m.SetQ(0, BitConverter.DoubleToUInt64Bits(1.0), BitConverter.DoubleToUInt64Bits(1.0));
            Run(0x4fc21820); // fmla v0.2d, v1.2d, v2.d[1]
            Assert.Equal((BitConverter.DoubleToUInt64Bits(21.0), BitConverter.DoubleToUInt64Bits(31.0)), _m.Q(0));
            _m.SetQ(1, 0xBF8000003FC00000, 0xFFFF);
            Run(0x0e617820); // fcvtl v0.2d, v1.2s
            Assert.Equal((BitConverter.DoubleToUInt64Bits(1.5), BitConverter.DoubleToUInt64Bits(-1.0)), _m.Q(0));
            _m.SetQ(0, 0x1234, 0xFFFF);
            _m.SetQ(1, BitConverter.DoubleToUInt64Bits(0.5), BitConverter.DoubleToUInt64Bits(-4.0));
            Run(0x4e616820); // fcvtn2 v0.4s, v1.2d keeps the low half
            Assert.Equal((0x1234ul, 0xC08000003F000000ul), _m.Q(0));
            _m.SetQ(1, 0x7FC000003F800000, 0x4100000040000000);
            Run(0x6e30f820); // fmaxv s0, v1.4s: NaN propagates
            Assert.Equal(0x7FC00000ul, _m.Q(0).Lo);
            _m.SetQ(1, 0x80000000BF800000, 0x7FC0000000000001);
            Run(0x6ea0c820); // fcmge v0.4s, v1.4s, #0.0
            Assert.Equal((0xFFFFFFFF00000000ul, 0x00000000FFFFFFFFul), _m.Q(0));
        }
    }
}
