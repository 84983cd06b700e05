namespace Capvisor.Arm
{
    /// <summary>The reciprocal and reciprocal square root estimates (FRECPE, FRSQRTE, FRECPX, URECPE, URSQRTE).</summary>
    internal static class FpRecipEstimate
    {
        private static int RecipEstimate(int a)
        {
            a = a * 2 + 1;
            int b = (1 << 19) / a;
            return (b + 1) / 2;
        }

        private static int RecipSqrtEstimate(int a)
        {
            if (a < 256)
            {
                a = a * 2 + 1;
            }
            else
            {
                a = (a >> 1) << 1;
                a = (a + 1) * 2;
            }

            long b = 512;
            while (a * (b + 1) * (b + 1) < (1L << 28))
            {
                b++;
            }

            return (int)((b + 1) / 2);
        }

        private static int FloorDiv2(int x) => x >> 1;

        public static ulong RecipEstimate(ulong op, int fmt, uint fpcr, ref uint fpsr)
        {
            var t = FpCore.Unpack(op, fmt, fpcr, ref fpsr, out bool sign, out int e, out ulong m);
            if (t >= FpCore.FpType.QNaN)
            {
                return FpCore.ProcessNaN(t, op, fmt, fpcr, ref fpsr);
            }

            if (t == FpCore.FpType.Infinity)
            {
                return FpCore.Zero(fmt, sign);
            }

            if (t == FpCore.FpType.Zero)
            {
                fpsr |= FpCore.DZC;
                return FpCore.Infinity(fmt, sign);
            }

            // unbiased exponent of |value|: value = m × 2^e with m in [2^62, 2^63)
            int exponent = e + 62;
            int tinyLimit = fmt == 2 ? -1024 : fmt == 1 ? -128 : -16;
            if (exponent < tinyLimit)
            {
                int rm = FpCore.RMode(fpcr);
                bool overflowToInf = rm switch
                {
                    FpCore.RN => true,
                    FpCore.RP => !sign,
                    FpCore.RM => sign,
                    _ => false,
                };
                fpsr |= FpCore.OFC | FpCore.IXC;
                return overflowToInf ? FpCore.Infinity(fmt, sign) : FpCore.MaxNormal(fmt, sign);
            }

            int hugeLimit = fmt == 2 ? 1022 : 126;
            if (fmt != 0 && (fpcr & FpCore.FpcrFz) != 0 && exponent >= hugeLimit)
            {
                fpsr |= FpCore.UFC;
                return FpCore.Zero(fmt, sign);
            }

            int f = FpCore.Frac(fmt);
            ulong fraction = (op & ((1ul << f) - 1)) << (52 - f);
            int exp = (int)((op >> f) & ((1ul << FpCore.ExpW(fmt)) - 1));
            if (exp == 0)
            {
                if ((fraction & (1ul << 51)) == 0)
                {
                    exp = -1;
                    fraction = (fraction << 2) & ((1ul << 52) - 1);
                }
                else
                {
                    fraction = (fraction << 1) & ((1ul << 52) - 1);
                }
            }

            int scaled = (int)(0x100 | ((fraction >> 44) & 0xFF));
            int resultExp = (fmt == 2 ? 2045 : fmt == 1 ? 253 : 29) - exp;
            int estimate = RecipEstimate(scaled);
            ulong frac = (ulong)(estimate & 0xFF) << 44;
            if (resultExp == 0)
            {
                frac = (1ul << 51) | (frac >> 1);
            }
            else if (resultExp == -1)
            {
                frac = (1ul << 50) | (frac >> 2);
                resultExp = 0;
            }

            return (sign ? FpCore.SignBit(fmt) : 0) | ((ulong)resultExp << f) | (frac >> (52 - f));
        }

        public static ulong RSqrtEstimate(ulong op, int fmt, uint fpcr, ref uint fpsr)
        {
            var t = FpCore.Unpack(op, fmt, fpcr, ref fpsr, out bool sign, out _, out _);
            if (t >= FpCore.FpType.QNaN)
            {
                return FpCore.ProcessNaN(t, op, fmt, fpcr, ref fpsr);
            }

            if (t == FpCore.FpType.Zero)
            {
                fpsr |= FpCore.DZC;
                return FpCore.Infinity(fmt, sign);
            }

            if (sign)
            {
                fpsr |= FpCore.IOC;
                return FpCore.DefaultNaN(fmt);
            }

            if (t == FpCore.FpType.Infinity)
            {
                return 0;
            }

            int f = FpCore.Frac(fmt);
            ulong fraction = (op & ((1ul << f) - 1)) << (52 - f);
            int exp = (int)((op >> f) & ((1ul << FpCore.ExpW(fmt)) - 1));
            if (exp == 0)
            {
                while ((fraction & (1ul << 51)) == 0)
                {
                    fraction <<= 1;
                    exp--;
                }

                fraction = (fraction << 1) & ((1ul << 52) - 1);
            }

            int scaled = (exp & 1) == 0
                ? (int)(0x100 | ((fraction >> 44) & 0xFF))
                : (int)(0x80 | ((fraction >> 45) & 0x7F));
            int resultExp = FloorDiv2((fmt == 2 ? 3068 : fmt == 1 ? 380 : 44) - exp);
            int estimate = RecipSqrtEstimate(scaled);
            return ((ulong)resultExp << f) | ((ulong)(estimate & 0xFF) << (f - 8));
        }

        public static ulong RecpX(ulong op, int fmt, uint fpcr, ref uint fpsr)
        {
            var t = FpCore.Unpack(op, fmt, fpcr, ref fpsr, out bool sign, out _, out _);
            if (t >= FpCore.FpType.QNaN)
            {
                return FpCore.ProcessNaN(t, op, fmt, fpcr, ref fpsr);
            }

            int f = FpCore.Frac(fmt);
            ulong expMask = (1ul << FpCore.ExpW(fmt)) - 1;
            ulong exp = (op >> f) & expMask;
            ulong resultExp = exp == 0 ? expMask - 1 : ~exp & expMask;
            return (sign ? FpCore.SignBit(fmt) : 0) | (resultExp << f);
        }

        public static ulong UnsignedRecipEstimate(uint op)
        {
            if ((op >> 31) == 0)
            {
                return 0xFFFFFFFF;
            }

            return (ulong)(uint)(RecipEstimate((int)(op >> 23)) & 0x1FF) << 23;
        }

        public static ulong UnsignedRSqrtEstimate(uint op)
        {
            if ((op >> 30) == 0)
            {
                return 0xFFFFFFFF;
            }

            return (ulong)(uint)(RecipSqrtEstimate((int)(op >> 23)) & 0x1FF) << 23;
        }
    }
}
