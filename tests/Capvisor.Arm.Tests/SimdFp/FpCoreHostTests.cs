namespace Capvisor.Arm.Tests.SimdFp
{
    /// <summary>
    /// FpCore in round-to-nearest without FZ/DN must agree with the host's IEEE arithmetic on
    /// every non-NaN result (the host rounds correctly; NaN payload rules differ on x86).
    /// </summary>
    public sealed class FpCoreHostTests
    {
        private static ulong RandomDouble(Random r) => r.Next(4) switch
        {
            0 => (ulong)r.NextInt64() ^ ((ulong)r.Next(2) << 63),
            1 => ((ulong)r.Next(2) << 63) | ((ulong)r.Next(1, 60) << 52) | ((ulong)r.NextInt64() & 0xFFFFFFFFFFFFFul),
            2 => ((ulong)r.Next(2) << 63) | ((ulong)r.Next(990, 1060) << 52) | ((ulong)r.NextInt64() & 0xFFFFFFFFFFFFFul),
            _ => ((ulong)r.Next(2) << 63) | ((ulong)r.NextInt64() & 0xFFFFFFFFFFFFFul), // subnormal
        };

        private static uint RandomSingle(Random r) => r.Next(4) switch
        {
            0 => (uint)r.NextInt64(),
            1 => ((uint)r.Next(2) << 31) | ((uint)r.Next(1, 30) << 23) | ((uint)r.Next() & 0x7FFFFF),
            2 => ((uint)r.Next(2) << 31) | ((uint)r.Next(110, 145) << 23) | ((uint)r.Next() & 0x7FFFFF),
            _ => ((uint)r.Next(2) << 31) | ((uint)r.Next() & 0x7FFFFF),
        };

        [Fact]
        public void DoubleArithmeticMatchesHost()
        {
            var r = new Random(1);
            for (int i = 0; i < 100000; i++)
            {
                ulong a = RandomDouble(r), b = RandomDouble(r), c = RandomDouble(r);
                double x = BitConverter.UInt64BitsToDouble(a), y = BitConverter.UInt64BitsToDouble(b), z = BitConverter.UInt64BitsToDouble(c);
                if (r.Next(4) == 0)
                {
                    // near-cancelling fused multiply-add
                    z = -(x * y);
                    c = BitConverter.DoubleToUInt64Bits(z) + (ulong)r.Next(3);
                    z = BitConverter.UInt64BitsToDouble(c);
                }

                uint fpsr = 0;
                Check(x + y, FpCore.Add(a, b, 2, 0, ref fpsr), a, b, "add");
                Check(x - y, FpCore.Add(a, b, 2, 0, ref fpsr, subtract: true), a, b, "sub");
                Check(x * y, FpCore.Mul(a, b, 2, 0, ref fpsr), a, b, "mul");
                Check(x / y, FpCore.Div(a, b, 2, 0, ref fpsr), a, b, "div");
                Check(Math.Sqrt(x), FpCore.Sqrt(a, 2, 0, ref fpsr), a, 0, "sqrt");
                Check(Math.FusedMultiplyAdd(x, y, z), FpCore.MulAdd(c, a, b, 2, 0, ref fpsr), a, b, "fma");
            }
        }

        [Fact]
        public void SingleArithmeticMatchesHost()
        {
            var r = new Random(2);
            for (int i = 0; i < 100000; i++)
            {
                uint a = RandomSingle(r), b = RandomSingle(r), c = RandomSingle(r);
                float x = BitConverter.UInt32BitsToSingle(a), y = BitConverter.UInt32BitsToSingle(b), z = BitConverter.UInt32BitsToSingle(c);
                uint fpsr = 0;
                Check(x + y, FpCore.Add(a, b, 1, 0, ref fpsr), a, b, "add");
                Check(x * y, FpCore.Mul(a, b, 1, 0, ref fpsr), a, b, "mul");
                Check(x / y, FpCore.Div(a, b, 1, 0, ref fpsr), a, b, "div");
                Check(MathF.Sqrt(x), FpCore.Sqrt(a, 1, 0, ref fpsr), a, 0, "sqrt");
                Check(MathF.FusedMultiplyAdd(x, y, z), FpCore.MulAdd(c, a, b, 1, 0, ref fpsr), a, b, "fma");
                Check((float)BitConverter.UInt64BitsToDouble(RandomDoubleFor(r, out ulong d)), FpCore.Convert(d, 2, 1, 0, ref fpsr, FpCore.RN), d, 0, "fcvt");
            }
        }

        private static ulong RandomDoubleFor(Random r, out ulong bits)
        {
            bits = RandomDouble(r);
            return bits;
        }

        private static void Check(double host, ulong mine, ulong a, ulong b, string op)
        {
            if (double.IsNaN(host))
            {
                Assert.True(double.IsNaN(BitConverter.UInt64BitsToDouble(mine)), $"{op} {a:X16} {b:X16}");
                return;
            }

            Assert.True(BitConverter.DoubleToUInt64Bits(host) == mine, $"{op} {a:X16} {b:X16}: host {BitConverter.DoubleToUInt64Bits(host):X16} FpCore {mine:X16}");
        }

        private static void Check(float host, ulong mine, ulong a, ulong b, string op)
        {
            if (float.IsNaN(host))
            {
                Assert.True(float.IsNaN(BitConverter.UInt32BitsToSingle((uint)mine)), $"{op} {a:X8} {b:X8}");
                return;
            }

            Assert.True(BitConverter.SingleToUInt32Bits(host) == mine, $"{op} {a:X8} {b:X8}: host {BitConverter.SingleToUInt32Bits(host):X8} FpCore {mine:X8}");
        }
    }
}
