using System.Numerics;
using System.Runtime.CompilerServices;

namespace Capvisor.Arm
{
    /// <summary>
    /// Software IEEE 754 arithmetic with the Arm FPCR/FPSR semantics (Arm ARM FPUnpack, FPRound,
    /// FPProcessNaNs and friends): rounding modes, flush-to-zero of inputs and outputs, default
    /// NaN, NaN propagation and the cumulative exception flags. Values are passed as raw bits;
    /// <c>fmt</c> is 0 = half, 1 = single, 2 = double.
    /// </summary>
    /// <remarks>
    /// Every operation computes the exact result (or the exact result with a sticky bit) in
    /// integers and rounds once, so all rounding modes and the underflow/inexact flags come out
    /// exactly as the pseudocode says. Tininess is detected before rounding, as on Arm.
    /// </remarks>
    internal static class FpCore
    {
        public const uint IOC = 1, DZC = 2, OFC = 4, UFC = 8, IXC = 16, IDC = 128, QC = 1u << 27;
        public const uint FpcrAhp = 1u << 26, FpcrDn = 1u << 25, FpcrFz = 1u << 24;

        /// <summary>Rounding modes, numbered as FPCR.RMode, plus ties-away and round-to-odd.</summary>
        public const int RN = 0, RP = 1, RM = 2, RZ = 3, RA = 4, RO = 5;

        public enum FpType : byte { Zero, Normal, Infinity, QNaN, SNaN }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int Frac(int fmt) => fmt == 2 ? 52 : fmt == 1 ? 23 : 10;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int ExpW(int fmt) => fmt == 2 ? 11 : fmt == 1 ? 8 : 5;

        public static int Width(int fmt) => 16 << fmt;

        public static ulong SignBit(int fmt) => 1ul << (Width(fmt) - 1);

        public static ulong DefaultNaN(int fmt) => fmt == 2 ? 0x7FF8000000000000ul : fmt == 1 ? 0x7FC00000ul : 0x7E00ul;

        public static ulong Infinity(int fmt, bool sign) => (sign ? SignBit(fmt) : 0) | (((1ul << ExpW(fmt)) - 1) << Frac(fmt));

        public static ulong Zero(int fmt, bool sign) => sign ? SignBit(fmt) : 0;

        public static ulong MaxNormal(int fmt, bool sign) => (sign ? SignBit(fmt) : 0) | ((((1ul << ExpW(fmt)) - 2) << Frac(fmt)) | ((1ul << Frac(fmt)) - 1));

        public static ulong QuietBit(int fmt) => 1ul << (Frac(fmt) - 1);

        /// <summary>Classifies without flushing (for FABS-style bit operations and NaN checks).</summary>
        public static FpType Classify(ulong x, int fmt)
        {
            int f = Frac(fmt);
            ulong expMax = (1ul << ExpW(fmt)) - 1;
            ulong e = (x >> f) & expMax;
            ulong m = x & ((1ul << f) - 1);
            if (e == expMax)
            {
                return m == 0 ? FpType.Infinity : (m & (1ul << (f - 1))) != 0 ? FpType.QNaN : FpType.SNaN;
            }

            return e == 0 && m == 0 ? FpType.Zero : FpType.Normal;
        }

        /// <summary>
        /// FPUnpack: classifies <paramref name="x"/>, flushing a denormal to zero (setting IDC) when
        /// FPCR.FZ is set (never for half precision). For finite nonzero values, value =
        /// sig × 2^exp with sig normalised to [2^62, 2^63).
        /// </summary>
        public static FpType Unpack(ulong x, int fmt, uint fpcr, ref uint fpsr, out bool sign, out int exp, out ulong sig)
        {
            int f = Frac(fmt);
            int ew = ExpW(fmt);
            ulong expMax = (1ul << ew) - 1;
            sign = (x & SignBit(fmt)) != 0;
            ulong e = (x >> f) & expMax;
            ulong m = x & ((1ul << f) - 1);
            int bias = (1 << (ew - 1)) - 1;
            exp = 0;
            sig = 0;
            if (e == 0)
            {
                if (m == 0)
                {
                    return FpType.Zero;
                }

                if (fmt != 0 && (fpcr & FpcrFz) != 0)
                {
                    fpsr |= IDC;
                    return FpType.Zero;
                }

                int lz = BitOperations.LeadingZeroCount(m) - 1;
                sig = m << lz;
                // value = m × 2^(1 - bias - f)
                exp = 1 - bias - f - lz;
                return FpType.Normal;
            }

            if (e == expMax)
            {
                return m == 0 ? FpType.Infinity : (m & (1ul << (f - 1))) != 0 ? FpType.QNaN : FpType.SNaN;
            }

            ulong full = m | (1ul << f);
            sig = full << (62 - f);
            exp = (int)e - bias - f - (62 - f);
            return FpType.Normal;
        }

        private static bool IsNaN(FpType t) => t >= FpType.QNaN;

        /// <summary>FPProcessNaN: quiets (IOC on a signalling NaN) or returns the default NaN.</summary>
        public static ulong ProcessNaN(FpType t, ulong x, int fmt, uint fpcr, ref uint fpsr)
        {
            if (t == FpType.SNaN)
            {
                fpsr |= IOC;
            }

            if ((fpcr & FpcrDn) != 0)
            {
                return DefaultNaN(fmt);
            }

            return x | QuietBit(fmt);
        }

        /// <summary>FPProcessNaNs: signalling NaNs first, then quiet ones, first operand first.</summary>
        public static bool ProcessNaNs(FpType t1, FpType t2, ulong a, ulong b, int fmt, uint fpcr, ref uint fpsr, out ulong result)
        {
            if (t1 == FpType.SNaN)
            {
                result = ProcessNaN(t1, a, fmt, fpcr, ref fpsr);
            }
            else if (t2 == FpType.SNaN)
            {
                result = ProcessNaN(t2, b, fmt, fpcr, ref fpsr);
            }
            else if (t1 == FpType.QNaN)
            {
                result = ProcessNaN(t1, a, fmt, fpcr, ref fpsr);
            }
            else if (t2 == FpType.QNaN)
            {
                result = ProcessNaN(t2, b, fmt, fpcr, ref fpsr);
            }
            else
            {
                result = 0;
                return false;
            }

            return true;
        }

        public static bool ProcessNaNs3(FpType t1, FpType t2, FpType t3, ulong a, ulong b, ulong c, int fmt, uint fpcr, ref uint fpsr, out ulong result)
        {
            if (t1 == FpType.SNaN)
            {
                result = ProcessNaN(t1, a, fmt, fpcr, ref fpsr);
            }
            else if (t2 == FpType.SNaN)
            {
                result = ProcessNaN(t2, b, fmt, fpcr, ref fpsr);
            }
            else if (t3 == FpType.SNaN)
            {
                result = ProcessNaN(t3, c, fmt, fpcr, ref fpsr);
            }
            else if (t1 == FpType.QNaN)
            {
                result = ProcessNaN(t1, a, fmt, fpcr, ref fpsr);
            }
            else if (t2 == FpType.QNaN)
            {
                result = ProcessNaN(t2, b, fmt, fpcr, ref fpsr);
            }
            else if (t3 == FpType.QNaN)
            {
                result = ProcessNaN(t3, c, fmt, fpcr, ref fpsr);
            }
            else
            {
                result = 0;
                return false;
            }

            return true;
        }

        public static int RMode(uint fpcr) => (int)((fpcr >> 22) & 3);

        /// <summary>
        /// FPRound: rounds sig × 2^exp (sig nonzero; its low bit is a sticky bit if inexact bits
        /// were dropped) to format <paramref name="fmt"/>.
        /// </summary>
        public static ulong Round(bool sign, int exp, ulong sig, int fmt, uint fpcr, int rmode, ref uint fpsr, bool allowFlush = true)
        {
            int f = Frac(fmt);
            int ew = ExpW(fmt);
            int bias = (1 << (ew - 1)) - 1;
            int minExp = 1 - bias;
            int lz = BitOperations.LeadingZeroCount(sig);
            sig <<= lz;
            exp -= lz;
            // value = sig × 2^exp, sig in [2^63, 2^64); unbiased exponent:
            int exponent = exp + 63;
            ulong signBits = sign ? SignBit(fmt) : 0;
            if (allowFlush && fmt != 0 && (fpcr & FpcrFz) != 0 && exponent < minExp)
            {
                fpsr |= UFC;
                return signBits;
            }

            int used = Math.Max(exponent, minExp);
            int biasedExp = exponent < minExp ? 0 : exponent - minExp + 1;
            // int_mant = floor(value / 2^(used - f)) = sig >> shift
            int shift = used - f - exp;
            ulong intMant, rem;
            bool half, above;
            if (shift >= 64)
            {
                intMant = 0;
                if (shift == 64)
                {
                    rem = sig;
                    half = rem == 0x8000000000000000ul;
                    above = rem > 0x8000000000000000ul;
                }
                else
                {
                    rem = 1;
                    half = false;
                    above = false;
                }
            }
            else
            {
                intMant = sig >> shift;
                rem = sig << (64 - shift);
                half = rem == 0x8000000000000000ul;
                above = rem > 0x8000000000000000ul;
            }

            bool inexact = rem != 0;
            if (biasedExp == 0 && inexact)
            {
                fpsr |= UFC;
            }

            bool roundUp, overflowToInf;
            switch (rmode)
            {
                case RN:
                    roundUp = above || (half && (intMant & 1) != 0);
                    overflowToInf = true;
                    break;
                case RA:
                    roundUp = above || half;
                    overflowToInf = true;
                    break;
                case RP:
                    roundUp = inexact && !sign;
                    overflowToInf = !sign;
                    break;
                case RM:
                    roundUp = inexact && sign;
                    overflowToInf = sign;
                    break;
                default:
                    roundUp = false;
                    overflowToInf = false;
                    break;
            }

            if (roundUp)
            {
                intMant++;
                if (intMant == 1ul << f)
                {
                    biasedExp = 1;
                }

                if (intMant == 1ul << (f + 1))
                {
                    biasedExp++;
                    intMant >>= 1;
                }
            }

            if (rmode == RO && inexact)
            {
                intMant |= 1;
            }

            ulong result;
            if (fmt != 0 || (fpcr & FpcrAhp) == 0)
            {
                if (biasedExp >= (1 << ew) - 1)
                {
                    result = overflowToInf ? Infinity(fmt, sign) : MaxNormal(fmt, sign);
                    fpsr |= OFC;
                    inexact = true;
                }
                else
                {
                    result = signBits | ((ulong)biasedExp << f) | (intMant & ((1ul << f) - 1));
                }
            }
            else
            {
                if (biasedExp >= 1 << ew)
                {
                    result = signBits | 0x7FFF;
                    fpsr |= IOC;
                    inexact = false;
                }
                else
                {
                    result = signBits | ((ulong)biasedExp << f) | (intMant & ((1ul << f) - 1));
                }
            }

            if (inexact)
            {
                fpsr |= IXC;
            }

            return result;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static ulong ShiftRightJam(ulong x, int n) =>
            n <= 0 ? x : n >= 64 ? (x != 0 ? 1ul : 0) : (x >> n) | ((x & ((1ul << n) - 1)) != 0 ? 1ul : 0);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static UInt128 ShiftRightJam(UInt128 x, int n) =>
            n <= 0 ? x : n >= 128 ? (x != 0 ? UInt128.One : UInt128.Zero) : (x >> n) | ((x & ((UInt128.One << n) - 1)) != 0 ? UInt128.One : UInt128.Zero);

        public static ulong Add(ulong a, ulong b, int fmt, uint fpcr, ref uint fpsr, bool subtract = false)
        {
            var t1 = Unpack(a, fmt, fpcr, ref fpsr, out bool s1, out int e1, out ulong m1);
            var t2 = Unpack(b, fmt, fpcr, ref fpsr, out bool s2, out int e2, out ulong m2);
            if (ProcessNaNs(t1, t2, a, b, fmt, fpcr, ref fpsr, out ulong nan))
            {
                return nan;
            }

            if (subtract)
            {
                s2 = !s2;
            }

            int rmode = RMode(fpcr);
            if (t1 == FpType.Infinity || t2 == FpType.Infinity)
            {
                if (t1 == FpType.Infinity && t2 == FpType.Infinity && s1 != s2)
                {
                    fpsr |= IOC;
                    return DefaultNaN(fmt);
                }

                return Infinity(fmt, t1 == FpType.Infinity ? s1 : s2);
            }

            if (t1 == FpType.Zero && t2 == FpType.Zero)
            {
                return Zero(fmt, s1 == s2 ? s1 : rmode == RM);
            }

            return AddFinite(s1, e1, m1, t1 == FpType.Zero, s2, e2, m2, t2 == FpType.Zero, fmt, fpcr, rmode, ref fpsr);
        }

        private static ulong AddFinite(bool s1, int e1, ulong m1, bool z1, bool s2, int e2, ulong m2, bool z2, int fmt, uint fpcr, int rmode, ref uint fpsr)
        {
            if (z1)
            {
                return Round(s2, e2, m2, fmt, fpcr, rmode, ref fpsr);
            }

            if (z2)
            {
                return Round(s1, e1, m1, fmt, fpcr, rmode, ref fpsr);
            }

            if (e1 < e2 || (e1 == e2 && m1 < m2))
            {
                (s1, e1, m1, s2, e2, m2) = (s2, e2, m2, s1, e1, m1);
            }

            m2 = ShiftRightJam(m2, e1 - e2);
            ulong r;
            if (s1 == s2)
            {
                r = m1 + m2;
            }
            else
            {
                r = m1 - m2;
                if (r == 0)
                {
                    return Zero(fmt, rmode == RM);
                }
            }

            return Round(s1, e1, r, fmt, fpcr, rmode, ref fpsr);
        }

        public static ulong Mul(ulong a, ulong b, int fmt, uint fpcr, ref uint fpsr)
        {
            var t1 = Unpack(a, fmt, fpcr, ref fpsr, out bool s1, out int e1, out ulong m1);
            var t2 = Unpack(b, fmt, fpcr, ref fpsr, out bool s2, out int e2, out ulong m2);
            if (ProcessNaNs(t1, t2, a, b, fmt, fpcr, ref fpsr, out ulong nan))
            {
                return nan;
            }

            bool s = s1 != s2;
            if ((t1 == FpType.Infinity && t2 == FpType.Zero) || (t1 == FpType.Zero && t2 == FpType.Infinity))
            {
                fpsr |= IOC;
                return DefaultNaN(fmt);
            }

            if (t1 == FpType.Infinity || t2 == FpType.Infinity)
            {
                return Infinity(fmt, s);
            }

            if (t1 == FpType.Zero || t2 == FpType.Zero)
            {
                return Zero(fmt, s);
            }

            ulong hi = Math.BigMul(m1, m2, out ulong lo);
            return Round(s, e1 + e2 + 64, hi | (lo != 0 ? 1ul : 0), fmt, fpcr, RMode(fpcr), ref fpsr);
        }

        /// <summary>FMULX: as FMUL but infinity × zero gives ±2.0.</summary>
        public static ulong MulX(ulong a, ulong b, int fmt, uint fpcr, ref uint fpsr)
        {
            uint tmp = 0;
            var t1 = Unpack(a, fmt, fpcr, ref tmp, out bool s1, out _, out _);
            var t2 = Unpack(b, fmt, fpcr, ref tmp, out bool s2, out _, out _);
            if ((t1 == FpType.Infinity && t2 == FpType.Zero) || (t1 == FpType.Zero && t2 == FpType.Infinity))
            {
                fpsr |= tmp;
                return (s1 != s2 ? SignBit(fmt) : 0) | (1ul << (Width(fmt) - 2)); // 2.0
            }

            return Mul(a, b, fmt, fpcr, ref fpsr);
        }

        public static ulong Div(ulong a, ulong b, int fmt, uint fpcr, ref uint fpsr)
        {
            var t1 = Unpack(a, fmt, fpcr, ref fpsr, out bool s1, out int e1, out ulong m1);
            var t2 = Unpack(b, fmt, fpcr, ref fpsr, out bool s2, out int e2, out ulong m2);
            if (ProcessNaNs(t1, t2, a, b, fmt, fpcr, ref fpsr, out ulong nan))
            {
                return nan;
            }

            bool s = s1 != s2;
            if ((t1 == FpType.Infinity && t2 == FpType.Infinity) || (t1 == FpType.Zero && t2 == FpType.Zero))
            {
                fpsr |= IOC;
                return DefaultNaN(fmt);
            }

            if (t1 == FpType.Infinity || t2 == FpType.Zero)
            {
                if (t1 != FpType.Infinity)
                {
                    fpsr |= DZC;
                }

                return Infinity(fmt, s);
            }

            if (t1 == FpType.Zero || t2 == FpType.Infinity)
            {
                return Zero(fmt, s);
            }

            UInt128 num = (UInt128)m1 << 62;
            UInt128 q = num / m2;
            bool rem = q * m2 != num;
            return Round(s, e1 - e2 - 62, (ulong)q | (rem ? 1ul : 0), fmt, fpcr, RMode(fpcr), ref fpsr);
        }

        public static ulong Sqrt(ulong a, int fmt, uint fpcr, ref uint fpsr)
        {
            var t = Unpack(a, fmt, fpcr, ref fpsr, out bool s, out int e, out ulong m);
            if (IsNaN(t))
            {
                return ProcessNaN(t, a, fmt, fpcr, ref fpsr);
            }

            if (t == FpType.Zero)
            {
                return Zero(fmt, s);
            }

            if (s)
            {
                fpsr |= IOC;
                return DefaultNaN(fmt);
            }

            if (t == FpType.Infinity)
            {
                return Infinity(fmt, false);
            }

            // value = m × 2^e; make the exponent even and the radicand ~126 bits wide.
            int k = ((e - 64) & 1) == 0 ? 64 : 63;
            UInt128 rad = (UInt128)m << k;
            ulong root = ISqrt(rad, out bool exact);
            return Round(false, (e - k) / 2, root | (exact ? 0ul : 1ul), fmt, fpcr, RMode(fpcr), ref fpsr);
        }

        private static ulong ISqrt(UInt128 x, out bool exact)
        {
            // Floating estimate, then correct: the root of a ≤128-bit value fits in 64 bits.
            double d = Math.Sqrt((double)x);
            ulong r = d >= 18446744073709551615.0 ? ulong.MaxValue : (ulong)d;
            if (r != 0)
            {
                UInt128 nr = ((UInt128)r + x / r) >> 1;
                r = nr > ulong.MaxValue ? ulong.MaxValue : (ulong)nr;
            }

            while ((UInt128)r * r > x)
            {
                r--;
            }

            while (r < ulong.MaxValue && (UInt128)(r + 1) * (r + 1) <= x)
            {
                r++;
            }

            exact = (UInt128)r * r == x;
            return r;
        }

        /// <summary>FPMulAdd: addend + op1 × op2 with a single rounding.</summary>
        public static ulong MulAdd(ulong addend, ulong op1, ulong op2, int fmt, uint fpcr, ref uint fpsr, int scale = 0)
        {
            var ta = Unpack(addend, fmt, fpcr, ref fpsr, out bool sa, out int ea, out ulong ma);
            var t1 = Unpack(op1, fmt, fpcr, ref fpsr, out bool s1, out int e1, out ulong m1);
            var t2 = Unpack(op2, fmt, fpcr, ref fpsr, out bool s2, out int e2, out ulong m2);
            bool inf1 = t1 == FpType.Infinity, inf2 = t2 == FpType.Infinity;
            bool zero1 = t1 == FpType.Zero, zero2 = t2 == FpType.Zero;
            if (ProcessNaNs3(ta, t1, t2, addend, op1, op2, fmt, fpcr, ref fpsr, out ulong nan))
            {
                if (ta == FpType.QNaN && ((inf1 && zero2) || (zero1 && inf2)))
                {
                    fpsr |= IOC;
                    return DefaultNaN(fmt);
                }

                return nan;
            }

            bool sp = s1 != s2;
            bool infp = inf1 || inf2;
            bool zerop = zero1 || zero2;
            bool infa = ta == FpType.Infinity, zeroa = ta == FpType.Zero;
            if ((inf1 && zero2) || (zero1 && inf2) || (infa && infp && sa != sp))
            {
                fpsr |= IOC;
                return DefaultNaN(fmt);
            }

            if (infa || infp)
            {
                return Infinity(fmt, infa ? sa : sp);
            }

            int rmode = RMode(fpcr);
            if (zeroa && zerop)
            {
                return Zero(fmt, sa == sp ? sa : rmode == RM);
            }

            if (zerop)
            {
                return Round(sa, ea + scale, ma, fmt, fpcr, rmode, ref fpsr);
            }

            // Exact product, 124..125 bits.
            UInt128 p = (UInt128)m1 * m2;
            int ep = e1 + e2;
            if (zeroa)
            {
                return RoundWide(sp, ep + scale, p, fmt, fpcr, rmode, ref fpsr);
            }

            // Normalise both to MSB at bit 126.
            int lzp = (int)UInt128.LeadingZeroCount(p) - 1;
            p <<= lzp;
            ep -= lzp;
            UInt128 a = (UInt128)ma << 64;
            int eaa = ea - 64;
            bool s = sp;
            UInt128 big = p, small = a;
            int ebig = ep, esmall = eaa;
            bool sbig = sp, ssmall = sa;
            if (eaa > ep || (eaa == ep && a > p))
            {
                big = a; small = p; ebig = eaa; esmall = ep; sbig = sa; ssmall = sp;
            }

            small = ShiftRightJam(small, ebig - esmall);
            UInt128 r;
            if (sbig == ssmall)
            {
                r = big + small;
            }
            else
            {
                r = big - small;
                if (r == 0)
                {
                    return Zero(fmt, rmode == RM);
                }
            }

            s = sbig;
            return RoundWide(s, ebig + scale, r, fmt, fpcr, rmode, ref fpsr);
        }

        private static ulong RoundWide(bool sign, int exp, UInt128 v, int fmt, uint fpcr, int rmode, ref uint fpsr)
        {
            ulong hi = (ulong)(v >> 64), lo = (ulong)v;
            if (hi == 0)
            {
                return Round(sign, exp, lo, fmt, fpcr, rmode, ref fpsr);
            }

            int lz = BitOperations.LeadingZeroCount(hi);
            // keep 64 significant bits, jam the rest
            UInt128 n = v << lz;
            ulong top = (ulong)(n >> 64);
            ulong rest = (ulong)n;
            return Round(sign, exp + 64 - lz, top | (rest != 0 ? 1ul : 0), fmt, fpcr, rmode, ref fpsr);
        }

        /// <summary>FPMax/FPMin (<paramref name="max"/>), and the NM variants when <paramref name="numeric"/>.</summary>
        public static ulong MinMax(ulong a, ulong b, int fmt, uint fpcr, ref uint fpsr, bool max, bool numeric)
        {
            uint tmp = fpsr;
            var t1 = Unpack(a, fmt, fpcr, ref tmp, out bool s1, out int e1, out ulong m1);
            var t2 = Unpack(b, fmt, fpcr, ref tmp, out bool s2, out int e2, out ulong m2);
            if (numeric)
            {
                if (t1 == FpType.QNaN && !IsNaN(t2))
                {
                    a = Infinity(fmt, max);
                    t1 = FpType.Infinity;
                    s1 = max;
                }
                else if (t2 == FpType.QNaN && !IsNaN(t1))
                {
                    b = Infinity(fmt, max);
                    t2 = FpType.Infinity;
                    s2 = max;
                }
            }

            fpsr = tmp;
            if (ProcessNaNs(t1, t2, a, b, fmt, fpcr, ref fpsr, out ulong nan))
            {
                return nan;
            }

            int c = CompareValues(t1, s1, e1, m1, t2, s2, e2, m2);
            bool pickA;
            if (c == 0)
            {
                // Equal values: only ±0 can differ; max prefers +0, min prefers -0.
                pickA = max ? !s1 : s1;
            }
            else
            {
                pickA = max ? c > 0 : c < 0;
            }

            bool s = pickA ? s1 : s2;
            FpType t = pickA ? t1 : t2;
            if (t == FpType.Infinity)
            {
                return Infinity(fmt, s);
            }

            if (t == FpType.Zero)
            {
                return Zero(fmt, s);
            }

            // FPRound of an exact value: re-rounding an unpacked normal gives it back
            // (a flushed output can only happen for denormals, which FZ already flushed).
            return Round(s, pickA ? e1 : e2, pickA ? m1 : m2, fmt, fpcr, RMode(fpcr), ref fpsr);
        }

        /// <summary>Compares two non-NaN unpacked values: -1, 0, 1.</summary>
        private static int CompareValues(FpType t1, bool s1, int e1, ulong m1, FpType t2, bool s2, int e2, ulong m2)
        {
            int k1 = Key(t1, s1), k2 = Key(t2, s2);
            // key: -2 = -inf, -1 = negative finite, 0 = zero, 1 = positive finite, 2 = +inf
            if (k1 != k2)
            {
                return k1 < k2 ? -1 : 1;
            }

            if (k1 == 1 || k1 == -1)
            {
                int mag = e1 != e2 ? (e1 < e2 ? -1 : 1) : m1 == m2 ? 0 : m1 < m2 ? -1 : 1;
                return k1 == 1 ? mag : -mag;
            }

            return 0;
        }

        private static int Key(FpType t, bool s) => t switch
        {
            FpType.Zero => 0,
            FpType.Infinity => s ? -2 : 2,
            _ => s ? -1 : 1,
        };

        /// <summary>FPCompare: returns NZCV in bits 31:28.</summary>
        public static uint Compare(ulong a, ulong b, int fmt, uint fpcr, ref uint fpsr, bool signalAll)
        {
            var t1 = Unpack(a, fmt, fpcr, ref fpsr, out bool s1, out int e1, out ulong m1);
            var t2 = Unpack(b, fmt, fpcr, ref fpsr, out bool s2, out int e2, out ulong m2);
            if (IsNaN(t1) || IsNaN(t2))
            {
                if (signalAll || t1 == FpType.SNaN || t2 == FpType.SNaN)
                {
                    fpsr |= IOC;
                }

                return 0x3u << 28;
            }

            int c = CompareValues(t1, s1, e1, m1, t2, s2, e2, m2);
            return c == 0 ? 0x6u << 28 : c < 0 ? 0x8u << 28 : 0x2u << 28;
        }

        /// <summary>FPCompareEQ/GE/GT for the vector compares: kind 0 = EQ, 1 = GE, 2 = GT.</summary>
        public static bool CompareVec(ulong a, ulong b, int fmt, uint fpcr, ref uint fpsr, int kind)
        {
            var t1 = Unpack(a, fmt, fpcr, ref fpsr, out bool s1, out int e1, out ulong m1);
            var t2 = Unpack(b, fmt, fpcr, ref fpsr, out bool s2, out int e2, out ulong m2);
            if (IsNaN(t1) || IsNaN(t2))
            {
                if (kind != 0 || t1 == FpType.SNaN || t2 == FpType.SNaN)
                {
                    fpsr |= IOC;
                }

                return false;
            }

            int c = CompareValues(t1, s1, e1, m1, t2, s2, e2, m2);
            return kind == 0 ? c == 0 : kind == 1 ? c >= 0 : c > 0;
        }

        /// <summary>FPConvert between formats (FCVT), including the NaN rules.</summary>
        public static ulong Convert(ulong a, int from, int to, uint fpcr, ref uint fpsr, int rmode)
        {
            // Half-precision operands are never flushed (FPUnpackCV / FPRoundCV).
            uint unpackFpcr = from == 0 ? fpcr & ~FpcrFz : fpcr;
            var t = Unpack(a, from, unpackFpcr, ref fpsr, out bool s, out int e, out ulong m);
            bool ahp = to == 0 && (fpcr & FpcrAhp) != 0;
            if (from == 0 && (fpcr & FpcrAhp) != 0 && Classify(a, 0) is FpType.Infinity or FpType.QNaN or FpType.SNaN)
            {
                // Alternative half precision: exponent 31 is an ordinary value.
                ulong mm = (a & 0x3FF) | 0x400;
                return Round(s, 31 - 15 - 10, mm, to, fpcr, rmode, ref fpsr);
            }

            if (IsNaN(t))
            {
                if (ahp)
                {
                    fpsr |= IOC;
                    return s ? 0x8000ul : 0;
                }

                if (t == FpType.SNaN)
                {
                    fpsr |= IOC;
                }

                if ((fpcr & FpcrDn) != 0)
                {
                    return DefaultNaN(to);
                }

                int ff = Frac(from), ft = Frac(to);
                ulong payload = a & ((1ul << ff) - 1);
                payload = ft >= ff ? payload << (ft - ff) : payload >> (ff - ft);
                return (s ? SignBit(to) : 0) | (((1ul << ExpW(to)) - 1) << ft) | QuietBit(to) | payload;
            }

            if (t == FpType.Infinity)
            {
                if (ahp)
                {
                    fpsr |= IOC;
                    return (s ? 0x8000ul : 0) | 0x7FFF;
                }

                return Infinity(to, s);
            }

            if (t == FpType.Zero)
            {
                return Zero(to, s);
            }

            return Round(s, e, m, to, fpcr, rmode, ref fpsr, allowFlush: to != 0);
        }

        /// <summary>FPRoundInt (FRINT*): <paramref name="exact"/> raises Inexact (FRINTX).</summary>
        public static ulong RoundInt(ulong a, int fmt, uint fpcr, ref uint fpsr, int rmode, bool exact)
        {
            var t = Unpack(a, fmt, fpcr, ref fpsr, out bool s, out int e, out ulong m);
            if (IsNaN(t))
            {
                return ProcessNaN(t, a, fmt, fpcr, ref fpsr);
            }

            if (t == FpType.Infinity)
            {
                return Infinity(fmt, s);
            }

            if (t == FpType.Zero)
            {
                return Zero(fmt, s);
            }

            if (e >= 0)
            {
                return a; // already integral (normal, not flushed)
            }

            bool inexact;
            ulong ip = RoundToInteger(s, e, m, rmode, out inexact);
            if (inexact && exact)
            {
                fpsr |= IXC;
            }

            if (ip == 0)
            {
                return Zero(fmt, s);
            }

            uint dummy = 0;
            return Round(s, 0, ip, fmt, fpcr, RN, ref dummy);
        }

        /// <summary>Rounds |m × 2^e| (e &lt; 0) to an integer magnitude by <paramref name="rmode"/> for sign s.</summary>
        private static ulong RoundToInteger(bool s, int e, ulong m, int rmode, out bool inexact)
        {
            int shift = -e;
            ulong ip, rem;
            bool half, above;
            if (shift >= 64)
            {
                ip = 0;
                rem = m;
                if (shift == 64)
                {
                    half = rem == 0x8000000000000000ul;
                    above = rem > 0x8000000000000000ul;
                }
                else
                {
                    half = false;
                    above = false;
                }
            }
            else
            {
                ip = m >> shift;
                rem = m << (64 - shift);
                half = rem == 0x8000000000000000ul;
                above = rem > 0x8000000000000000ul;
            }

            inexact = rem != 0;
            bool up = rmode switch
            {
                RN => above || (half && (ip & 1) != 0),
                RA => above || half,
                RP => inexact && !s,
                RM => inexact && s,
                _ => false,
            };
            return up ? ip + 1 : ip;
        }

        /// <summary>
        /// FPToFixed: converts to a signed or unsigned integer of <paramref name="width"/> bits with
        /// <paramref name="fbits"/> fraction bits, saturating with IOC.
        /// </summary>
        public static ulong ToFixed(ulong a, int fmt, int fbits, bool unsigned, int width, uint fpcr, ref uint fpsr, int rmode)
        {
            var t = Unpack(a, fmt, fpcr, ref fpsr, out bool s, out int e, out ulong m);
            if (IsNaN(t))
            {
                fpsr |= IOC;
                return 0;
            }

            ulong maxMag = unsigned ? (width == 64 ? ulong.MaxValue : (1ul << width) - 1) : (1ul << (width - 1)) - 1;
            if (t == FpType.Infinity)
            {
                fpsr |= IOC;
                return Saturate(s, unsigned, width);
            }

            if (t == FpType.Zero)
            {
                return 0;
            }

            e += fbits;
            ulong mag;
            bool inexact;
            if (e >= 0)
            {
                // |value| ≥ 2^62 × 2^e: out of range for every width ≤ 64 unless e is 0 or 1.
                if (e > 1)
                {
                    fpsr |= IOC;
                    return Saturate(s, unsigned, width);
                }

                if (e == 1 && (m >> 63) != 0)
                {
                    fpsr |= IOC;
                    return Saturate(s, unsigned, width);
                }

                mag = m << e;
                inexact = false;
            }
            else
            {
                mag = RoundToInteger(s, e, m, rmode, out inexact);
            }

            if (s)
            {
                if (mag == 0)
                {
                    if (inexact)
                    {
                        fpsr |= IXC;
                    }

                    return 0;
                }

                ulong minMag = unsigned ? 0 : 1ul << (width - 1);
                if (unsigned || mag > minMag)
                {
                    fpsr |= IOC;
                    return Saturate(s, unsigned, width);
                }

                if (inexact)
                {
                    fpsr |= IXC;
                }

                ulong r = 0 - mag;
                return width == 64 ? r : r & ((1ul << width) - 1);
            }

            if (mag > maxMag)
            {
                fpsr |= IOC;
                return Saturate(s, unsigned, width);
            }

            if (inexact)
            {
                fpsr |= IXC;
            }

            return mag;
        }

        private static ulong Saturate(bool neg, bool unsigned, int width)
        {
            ulong mask = width == 64 ? ulong.MaxValue : (1ul << width) - 1;
            if (unsigned)
            {
                return neg ? 0 : mask;
            }

            return neg ? (1ul << (width - 1)) : (1ul << (width - 1)) - 1;
        }

        /// <summary>FixedToFP: converts a signed or unsigned integer with fbits fraction bits.</summary>
        public static ulong FromFixed(ulong v, int width, bool unsigned, int fbits, int fmt, uint fpcr, ref uint fpsr, int rmode)
        {
            if (width < 64)
            {
                ulong mask = (1ul << width) - 1;
                v &= mask;
                if (!unsigned && (v >> (width - 1)) != 0)
                {
                    v |= ~mask;
                }
            }

            bool s = false;
            if (!unsigned && (long)v < 0)
            {
                s = true;
                v = 0 - v;
            }

            if (v == 0)
            {
                return 0;
            }

            return Round(s, -fbits, v, fmt, fpcr, rmode, ref fpsr);
        }

        public static ulong Abs(ulong a, int fmt) => a & ~SignBit(fmt);

        public static ulong Neg(ulong a, int fmt) => a ^ SignBit(fmt);
    }
}
