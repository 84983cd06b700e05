using System.Numerics;

namespace Capvisor.Arm
{
    // Advanced SIMD integer data processing: three same, two-register misc, across lanes,
    // three different, shifts by immediate, modified immediate, copy, permute, tables,
    // and by-element integer multiplies.
    public sealed partial class Cpu
    {
        private void SetQc() => Fpsr |= FpCore.QC;

        private ulong SatS(long v, int es)
        {
            int bits = 8 << es;
            long max = bits == 64 ? long.MaxValue : (1L << (bits - 1)) - 1;
            long min = -max - 1;
            if (v > max)
            {
                SetQc();
                v = max;
            }
            else if (v < min)
            {
                SetQc();
                v = min;
            }

            return (ulong)v & EsMask(es);
        }

        private ulong SatU(long v, int es)
        {
            if (v < 0)
            {
                SetQc();
                return 0;
            }

            ulong mask = EsMask(es);
            if ((ulong)v > mask)
            {
                SetQc();
                return mask;
            }

            return (ulong)v;
        }

        private ulong SatS(Int128 v, int es)
        {
            int bits = 8 << es;
            Int128 max = (Int128.One << (bits - 1)) - 1;
            Int128 min = -max - 1;
            if (v > max)
            {
                SetQc();
                v = max;
            }
            else if (v < min)
            {
                SetQc();
                v = min;
            }

            return (ulong)v & EsMask(es);
        }

        private ulong SatU(Int128 v, int es)
        {
            ulong mask = EsMask(es);
            if (v < 0)
            {
                SetQc();
                return 0;
            }

            if (v > mask)
            {
                SetQc();
                return mask;
            }

            return (ulong)v;
        }

        private ulong ShiftByReg(bool unsigned, bool round, bool saturate, ulong a, ulong b, int es)
        {
            int bits = 8 << es;
            int shift = (sbyte)(byte)b;
            Int128 v = unsigned ? (Int128)a : (Int128)SignExtend(a, es);
            Int128 r;
            if (shift >= 0)
            {
                if (shift >= bits)
                {
                    if (!saturate || v == 0)
                    {
                        return 0;
                    }

                    r = v > 0 ? Int128.One << 100 : -(Int128.One << 100);
                }
                else
                {
                    r = v << shift;
                }
            }
            else
            {
                int s = Math.Min(-shift, bits + 1);
                r = round ? (v + (Int128.One << (s - 1))) >> s : v >> s;
            }

            if (saturate)
            {
                return unsigned ? SatU(r, es) : SatS(r, es);
            }

            return (ulong)r & EsMask(es);
        }

        private static ulong PolyMul(ulong a, ulong b, int bits)
        {
            ulong r = 0;
            for (int i = 0; i < bits; i++)
            {
                if ((b & (1ul << i)) != 0)
                {
                    r ^= a << i;
                }
            }

            return r;
        }

        /// <summary>Element operation of the three-same group, keyed U:opcode.</summary>
        private ulong IntOp3(int k, ulong a, ulong b, ulong d, int es)
        {
            // Fast forms that need no wide intermediate.
            switch (k)
            {
                case 0x10: case 0x17: return (a + b) & EsMask(es);
                case 0x30: return (a - b) & EsMask(es);
                case 0x31: return a == b ? EsMask(es) : 0;
                case 0x11: return (a & b) != 0 ? EsMask(es) : 0;
                case 0x26: return a > b ? EsMask(es) : 0;
                case 0x27: return a >= b ? EsMask(es) : 0;
                case 0x2C: case 0x34: return Math.Max(a, b);
                case 0x2D: case 0x35: return Math.Min(a, b);
                case 0x06: return SignExtend(a, es) > SignExtend(b, es) ? EsMask(es) : 0;
                case 0x07: return SignExtend(a, es) >= SignExtend(b, es) ? EsMask(es) : 0;
                case 0x0C: case 0x14: return (ulong)Math.Max(SignExtend(a, es), SignExtend(b, es)) & EsMask(es);
                case 0x0D: case 0x15: return (ulong)Math.Min(SignExtend(a, es), SignExtend(b, es)) & EsMask(es);
                case 0x13: return (a * b) & EsMask(es);
                case 0x12: return (d + a * b) & EsMask(es);
                case 0x32: return (d - a * b) & EsMask(es);
            }

            if (es < 3 && k is 0x01 or 0x21 or 0x05 or 0x25)
            {
                long x = (k & 0x20) != 0 ? (long)a : SignExtend(a, es);
                long y = (k & 0x20) != 0 ? (long)b : SignExtend(b, es);
                long r = (k & 4) != 0 ? x - y : x + y;
                return (k & 0x20) != 0 ? SatU(r, es) : SatS(r, es);
            }

            return IntOp3Wide(k, a, b, d, es);
        }

        private ulong IntOp3Wide(int k, ulong a, ulong b, ulong d, int es)
        {
            ulong mask = EsMask(es);
            int bits = 8 << es;
            Int128 sa = SignExtend(a, es), sb = SignExtend(b, es);
            Int128 ua = a, ub = b;
            switch (k)
            {
                case 0x00: return (ulong)((sa + sb) >> 1) & mask;
                case 0x20: return (ulong)((ua + ub) >> 1) & mask;
                case 0x01: return SatS(sa + sb, es);
                case 0x21: return SatU(ua + ub, es);
                case 0x02: return (ulong)((sa + sb + 1) >> 1) & mask;
                case 0x22: return (ulong)((ua + ub + 1) >> 1) & mask;
                case 0x04: return (ulong)((sa - sb) >> 1) & mask;
                case 0x24: return (ulong)((ua - ub) >> 1) & mask;
                case 0x05: return SatS(sa - sb, es);
                case 0x25: return SatU(ua - ub, es);
                case 0x06: return sa > sb ? mask : 0;
                case 0x26: return a > b ? mask : 0;
                case 0x07: return sa >= sb ? mask : 0;
                case 0x27: return a >= b ? mask : 0;
                case 0x08: return ShiftByReg(false, false, false, a, b, es);
                case 0x28: return ShiftByReg(true, false, false, a, b, es);
                case 0x09: return ShiftByReg(false, false, true, a, b, es);
                case 0x29: return ShiftByReg(true, false, true, a, b, es);
                case 0x0A: return ShiftByReg(false, true, false, a, b, es);
                case 0x2A: return ShiftByReg(true, true, false, a, b, es);
                case 0x0B: return ShiftByReg(false, true, true, a, b, es);
                case 0x2B: return ShiftByReg(true, true, true, a, b, es);
                case 0x0C: case 0x14: return (ulong)Int128.Max(sa, sb) & mask;
                case 0x2C: case 0x34: return Math.Max(a, b);
                case 0x0D: case 0x15: return (ulong)Int128.Min(sa, sb) & mask;
                case 0x2D: case 0x35: return Math.Min(a, b);
                case 0x0E: return (ulong)Int128.Abs(sa - sb) & mask;
                case 0x2E: return a > b ? a - b : b - a;
                case 0x0F: return (d + ((ulong)Int128.Abs(sa - sb))) & mask;
                case 0x2F: return (d + (a > b ? a - b : b - a)) & mask;
                case 0x10: case 0x17: return (a + b) & mask;
                case 0x30: return (a - b) & mask;
                case 0x11: return (a & b) != 0 ? mask : 0;
                case 0x31: return a == b ? mask : 0;
                case 0x12: return (d + a * b) & mask;
                case 0x32: return (d - a * b) & mask;
                case 0x13: return (a * b) & mask;
                case 0x33: return PolyMul(a, b, bits) & mask;
                case 0x16: return SatS((2 * sa * sb) >> bits, es);
                case 0x36: return SatS((2 * sa * sb + (Int128.One << (bits - 1))) >> bits, es);
                default: Undefined(); return 0;
            }
        }

        private void ExecThreeSame(ref SimdFpInst d)
        {
            Vec128 a = GetVec(d.Rn), b = GetVec(d.Rm), dst = GetVec(d.Rd);
            int k = d.Sub;
            if (k == 0x03 || k == 0x23)
            {
                ulong lo, hi;
                switch ((k >> 3) | d.Size)
                {
                    case 0: lo = a.Lo & b.Lo; hi = a.Hi & b.Hi; break; // AND
                    case 1: lo = a.Lo & ~b.Lo; hi = a.Hi & ~b.Hi; break; // BIC
                    case 2: lo = a.Lo | b.Lo; hi = a.Hi | b.Hi; break; // ORR
                    case 3: lo = a.Lo | ~b.Lo; hi = a.Hi | ~b.Hi; break; // ORN
                    case 4: lo = a.Lo ^ b.Lo; hi = a.Hi ^ b.Hi; break; // EOR
                    case 5: lo = (dst.Lo & a.Lo) | (~dst.Lo & b.Lo); hi = (dst.Hi & a.Hi) | (~dst.Hi & b.Hi); break; // BSL
                    case 6: lo = (dst.Lo & ~b.Lo) | (a.Lo & b.Lo); hi = (dst.Hi & ~b.Hi) | (a.Hi & b.Hi); break; // BIT
                    default: lo = (dst.Lo & b.Lo) | (a.Lo & ~b.Lo); hi = (dst.Hi & b.Hi) | (a.Hi & ~b.Hi); break; // BIF
                }

                SetVec(d.Rd, new Vec128(lo, hi), d.Bytes);
                return;
            }

            int es = d.Size;
            int n = d.Bytes >> es;
            Vec128 r = default;
            if (k is 0x14 or 0x15 or 0x17 or 0x34 or 0x35)
            {
                int half = n / 2;
                for (int i = 0; i < half; i++)
                {
                    r.Set(i, es, IntOp3(k, a.Get(2 * i, es), a.Get(2 * i + 1, es), 0, es));
                    r.Set(half + i, es, IntOp3(k, b.Get(2 * i, es), b.Get(2 * i + 1, es), 0, es));
                }
            }
            else if (k == 0x31 && es == 0)
            {
                r.Lo = CmeqBytes(a.Lo, b.Lo);
                r.Hi = CmeqBytes(a.Hi, b.Hi);
            }
            else if (es == 0 && k is 0x26 or 0x27)
            {
                r.Lo = ByteCompareUnsigned(a.Lo, b.Lo, k == 0x27);
                r.Hi = ByteCompareUnsigned(a.Hi, b.Hi, k == 0x27);
            }
            else if (k == 0x10 && es == 3)
            {
                r = new Vec128(a.Lo + b.Lo, a.Hi + b.Hi);
            }
            else
            {
                r.Lo = IntOp3Word(k, a.Lo, b.Lo, dst.Lo, es);
                if (d.Bytes == 16)
                {
                    r.Hi = IntOp3Word(k, a.Hi, b.Hi, dst.Hi, es);
                }
            }

            SetVec(d.Rd, r, d.Bytes);
        }

        /// <summary>Applies a three-same element operation to every element of one 64-bit word.</summary>
        private ulong IntOp3Word(int k, ulong a, ulong b, ulong dst, int es)
        {
            if (es == 3)
            {
                return IntOp3(k, a, b, dst, 3);
            }

            int bits = 8 << es;
            ulong mask = (1ul << bits) - 1;
            ulong r = 0;
            for (int sh = 0; sh < 64; sh += bits)
            {
                r |= IntOp3(k, (a >> sh) & mask, (b >> sh) & mask, (dst >> sh) & mask, es) << sh;
            }

            return r;
        }

        private static ulong ByteCompareUnsigned(ulong a, ulong b, bool orEqual)
        {
            ulong r = 0;
            for (int i = 0; i < 64; i += 8)
            {
                ulong x = (a >> i) & 0xFF, y = (b >> i) & 0xFF;
                if (orEqual ? x >= y : x > y)
                {
                    r |= 0xFFul << i;
                }
            }

            return r;
        }

        private static ulong CmeqBytes(ulong a, ulong b)
        {
            ulong x = a ^ b;
            // 0x80 in each byte that is non-zero, then widen to 0xFF / 0x00 inverted.
            ulong nz = ((x & 0x7F7F7F7F7F7F7F7Ful) + 0x7F7F7F7F7F7F7F7Ful | x) & 0x8080808080808080ul;
            ulong eq = ~nz & 0x8080808080808080ul;
            return (eq >> 7) * 0xFF;
        }

        private void ExecScalarThreeSame(ref SimdFpInst d)
        {
            int es = d.Size;
            ulong r = IntOp3(d.Sub, GetScalar(d.Rn, es), GetScalar(d.Rm, es), 0, es);
            SetScalar(d.Rd, r, es);
        }

        private ulong IntOp2(int k, ulong a, ulong dst, int es)
        {
            ulong mask = EsMask(es);
            int bits = 8 << es;
            long sa = SignExtend(a, es);
            switch (k)
            {
                case 0x03: return SatS((Int128)SignExtend(dst, es) + (Int128)a, es); // SUQADD
                case 0x23: return SatU((Int128)dst + (Int128)sa, es); // USQADD
                case 0x07: return SatS(Int128.Abs(sa), es);
                case 0x27: return SatS(-(Int128)sa, es);
                case 0x08: return sa > 0 ? mask : 0;
                case 0x28: return sa >= 0 ? mask : 0;
                case 0x09: return sa == 0 ? mask : 0;
                case 0x29: return sa <= 0 ? mask : 0;
                case 0x0A: return sa < 0 ? mask : 0;
                case 0x0B: return (ulong)(sa < 0 ? -sa : sa) & mask;
                case 0x2B: return (0 - a) & mask;
                case 0x04:
                {
                    ulong y = ((a >> 1) ^ a) & (mask >> 1);
                    return (ulong)(bits - 1 - (64 - BitOperations.LeadingZeroCount(y)));
                }

                case 0x24: return (ulong)(bits - (64 - BitOperations.LeadingZeroCount(a)));
                case 0x05: return (ulong)BitOperations.PopCount(a);
                default: Undefined(); return 0;
            }
        }

        private void ExecTwoRegMisc(ref SimdFpInst d)
        {
            Vec128 a = GetVec(d.Rn), dst = GetVec(d.Rd);
            int es = d.Size;
            int n = d.Bytes >> es;
            int k = d.Sub;
            Vec128 r = default;
            switch (k)
            {
                case 0x00: case 0x20: case 0x01:
                {
                    int cs = k == 0x00 ? 3 : k == 0x20 ? 2 : 1;
                    int per = 1 << (cs - es);
                    for (int i = 0; i < n; i++)
                    {
                        r.Set(i, es, a.Get(i ^ (per - 1), es));
                    }

                    break;
                }

                case 0x25:
                    if (es == 0)
                    {
                        r = new Vec128(~a.Lo, ~a.Hi);
                    }
                    else
                    {
                        for (int i = 0; i < n * 2; i++)
                        {
                            r.Set(i, 0, ReverseByte((byte)a.Get(i, 0)));
                        }
                    }

                    break;
                case 0x02: case 0x22: case 0x06: case 0x26:
                {
                    bool unsigned = (k & 0x20) != 0;
                    bool acc = (k & 4) != 0;
                    int m = n / 2;
                    for (int i = 0; i < m; i++)
                    {
                        ulong x = a.Get(2 * i, es), y = a.Get(2 * i + 1, es);
                        ulong s = unsigned ? x + y : (ulong)(SignExtend(x, es) + SignExtend(y, es));
                        if (acc)
                        {
                            s += dst.Get(i, es + 1);
                        }

                        r.Set(i, es + 1, s & EsMask(es + 1));
                    }

                    break;
                }

                case 0x12: case 0x14: case 0x32: case 0x34:
                    ExecNarrow(ref d, k, a);
                    return;
                case 0x33:
                {
                    // SHLL{2}: the source is the low or high half.
                    int m = 8 >> es;
                    int off = d.Bytes == 16 ? m : 0;
                    for (int i = 0; i < m; i++)
                    {
                        r.Set(i, es + 1, a.Get(off + i, es) << (8 << es));
                    }

                    SetVec(d.Rd, r, 16);
                    return;
                }

                default:
                    r.Lo = IntOp2Word(k, a.Lo, dst.Lo, es);
                    if (d.Bytes == 16)
                    {
                        r.Hi = IntOp2Word(k, a.Hi, dst.Hi, es);
                    }

                    break;
            }

            SetVec(d.Rd, r, d.Bytes);
        }

        private ulong IntOp2Word(int k, ulong a, ulong dst, int es)
        {
            if (es == 3)
            {
                return IntOp2(k, a, dst, 3);
            }

            if (k == 0x09 && es == 0)
            {
                return CmeqBytes(a, 0);
            }

            int bits = 8 << es;
            ulong mask = (1ul << bits) - 1;
            ulong r = 0;
            for (int sh = 0; sh < 64; sh += bits)
            {
                r |= IntOp2(k, (a >> sh) & mask, (dst >> sh) & mask, es) << sh;
            }

            return r;
        }

        private static ulong ReverseByte(byte b)
        {
            uint x = b;
            x = ((x & 0xF0) >> 4) | ((x & 0x0F) << 4);
            x = ((x & 0xCC) >> 2) | ((x & 0x33) << 2);
            x = ((x & 0xAA) >> 1) | ((x & 0x55) << 1);
            return x;
        }

        /// <summary>Narrows one element of size es+1 to size es (XTN, SQXTN, SQXTUN, UQXTN).</summary>
        private ulong NarrowElem(int k, ulong x, int es)
        {
            int ws = es + 1;
            switch (k)
            {
                case 0x12: return x & EsMask(es);
                case 0x14: return SatS(SignExtend(x, ws), es);
                case 0x32: return SatU(SignExtend(x, ws), es);
                default: return SatU(x, es);
            }
        }

        private void ExecNarrow(ref SimdFpInst d, int k, Vec128 a)
        {
            int es = d.Size;
            int m = 8 >> es;
            bool upper = d.Bytes == 16;
            Vec128 r = upper ? new Vec128(V[2 * d.Rd], 0) : default;
            int off = upper ? m : 0;
            for (int i = 0; i < m; i++)
            {
                r.Set(off + i, es, NarrowElem(k, a.Get(i, es + 1), es));
            }

            SetVec(d.Rd, r, 16);
        }

        private void ExecScalarTwoRegMisc(ref SimdFpInst d)
        {
            int es = d.Size;
            int k = d.Sub;
            if (k is 0x14 or 0x32 or 0x34)
            {
                SetScalar(d.Rd, NarrowElem(k, GetScalar(d.Rn, es + 1), es), es);
                return;
            }

            SetScalar(d.Rd, IntOp2(k, GetScalar(d.Rn, es), GetScalar(d.Rd, es), es), es);
        }

        private void ExecAcrossLanes(ref SimdFpInst d)
        {
            Vec128 a = GetVec(d.Rn);
            int es = d.Size;
            int n = d.Bytes >> es;
            int k = d.Sub;
            switch (k)
            {
                case 0x03: case 0x23:
                {
                    long s = 0;
                    for (int i = 0; i < n; i++)
                    {
                        s += k == 0x03 ? SignExtend(a.Get(i, es), es) : (long)a.Get(i, es);
                    }

                    SetScalar(d.Rd, (ulong)s, es + 1);
                    return;
                }

                case 0x1B:
                {
                    ulong s = 0;
                    for (int i = 0; i < n; i++)
                    {
                        s += a.Get(i, es);
                    }

                    SetScalar(d.Rd, s, es);
                    return;
                }

                default:
                {
                    ulong r = a.Get(0, es);
                    int op = k switch { 0x0A => 0x0C, 0x1A => 0x0D, 0x2A => 0x2C, _ => 0x2D };
                    for (int i = 1; i < n; i++)
                    {
                        r = IntOp3(op, r, a.Get(i, es), 0, es);
                    }

                    SetScalar(d.Rd, r, es);
                    return;
                }
            }
        }

        private void ExecScalarPairwise(ref SimdFpInst d)
        {
            SetScalar(d.Rd, V[2 * d.Rn] + V[2 * d.Rn + 1], 3);
        }

        private void ExecThreeDifferent(ref SimdFpInst d)
        {
            Vec128 a = GetVec(d.Rn), b = GetVec(d.Rm), dst = GetVec(d.Rd);
            int es = d.Size;
            int ws = es + 1;
            int m = 8 >> es;
            bool upper = d.Bytes == 16;
            int off = upper ? m : 0;
            int k = d.Sub;
            bool unsigned = (k & 0x10) != 0;
            int op = k & 0xF;
            if (op is 4 or 6)
            {
                // ADDHN/RADDHN/SUBHN/RSUBHN: wide operands, narrow result.
                Vec128 r = upper ? new Vec128(dst.Lo, 0) : default;
                int bits = 8 << es;
                for (int i = 0; i < m; i++)
                {
                    ulong x = a.Get(i, ws), y = b.Get(i, ws);
                    ulong s = op == 4 ? x + y : x - y;
                    if (unsigned)
                    {
                        s += 1ul << (bits - 1);
                    }

                    r.Set(off + i, es, (s >> bits) & EsMask(es));
                }

                SetVec(d.Rd, r, 16);
                return;
            }

            Vec128 res = default;
            for (int i = 0; i < m; i++)
            {
                ulong ye = b.Get(off + i, es);
                Int128 y = unsigned ? (Int128)ye : SignExtend(ye, es);
                Int128 x;
                if (op is 1 or 3)
                {
                    ulong xw = a.Get(i, ws);
                    x = unsigned ? (Int128)xw : SignExtend(xw, ws);
                }
                else
                {
                    ulong xe = a.Get(off + i, es);
                    x = unsigned ? (Int128)xe : SignExtend(xe, es);
                }

                ulong acc = dst.Get(i, ws);
                Int128 sacc = SignExtend(acc, ws);
                ulong wm = EsMask(ws);
                ulong v;
                switch (op)
                {
                    case 0: case 1: v = (ulong)(x + y) & wm; break;
                    case 2: case 3: v = (ulong)(x - y) & wm; break;
                    case 5: v = (acc + (ulong)Int128.Abs(x - y)) & wm; break;
                    case 7: v = (ulong)Int128.Abs(x - y) & wm; break;
                    case 8: v = (acc + (ulong)(x * y)) & wm; break;
                    case 0xA: v = (acc - (ulong)(x * y)) & wm; break;
                    case 0xC: v = (ulong)(x * y) & wm; break;
                    case 0x9: v = SatS(sacc + SignExtend(SatS(2 * x * y, ws), ws), ws); break;
                    case 0xB: v = SatS(sacc - SignExtend(SatS(2 * x * y, ws), ws), ws); break;
                    case 0xD: v = SatS(2 * x * y, ws); break;
                    case 0xE: v = PolyMul(ye, a.Get(off + i, es), 8) & wm; break;
                    default: Undefined(); return;
                }

                res.Set(i, ws, v);
            }

            SetVec(d.Rd, res, 16);
        }

        private void ExecScalarThreeDifferent(ref SimdFpInst d)
        {
            int es = d.Size, ws = es + 1;
            Int128 x = SignExtend(GetScalar(d.Rn, es), es), y = SignExtend(GetScalar(d.Rm, es), es);
            Int128 acc = SignExtend(GetScalar(d.Rd, ws), ws);
            ulong prod = SatS(2 * x * y, ws);
            ulong v = (d.Sub & 0xF) switch
            {
                0x9 => SatS(acc + SignExtend(prod, ws), ws),
                0xB => SatS(acc - SignExtend(prod, ws), ws),
                _ => prod,
            };
            SetScalar(d.Rd, v, ws);
        }

        /// <summary>Shift-by-immediate element operation (non-narrowing, non-FP forms).</summary>
        private ulong ShiftImmElem(int k, ulong a, ulong dst, int es, int sh)
        {
            ulong mask = EsMask(es);
            if (es < 3)
            {
                switch (k)
                {
                    case 0x00: return (ulong)(SignExtend(a, es) >> sh) & mask;
                    case 0x20: return (a >> sh) & mask;
                    case 0x0A: return (a << sh) & mask;
                }
            }

            int bits = 8 << es;
            Int128 sa = SignExtend(a, es);
            Int128 ua = a;
            switch (k)
            {
                case 0x00: return (ulong)(sa >> sh) & mask;
                case 0x20: return (ulong)(ua >> sh) & mask;
                case 0x02: return (dst + (ulong)(sa >> sh)) & mask;
                case 0x22: return (dst + (ulong)(ua >> sh)) & mask;
                case 0x04: return (ulong)((sa + (Int128.One << (sh - 1))) >> sh) & mask;
                case 0x24: return (ulong)((ua + (Int128.One << (sh - 1))) >> sh) & mask;
                case 0x06: return (dst + (ulong)((sa + (Int128.One << (sh - 1))) >> sh)) & mask;
                case 0x26: return (dst + (ulong)((ua + (Int128.One << (sh - 1))) >> sh)) & mask;
                case 0x28:
                {
                    // SRI: shift right and insert, keeping the top sh bits of the destination.
                    if (sh == bits)
                    {
                        return dst;
                    }

                    ulong m = mask >> sh;
                    return (dst & ~m & mask) | ((a >> sh) & m);
                }

                case 0x0A: return (a << sh) & mask;
                case 0x2A:
                {
                    ulong m = (mask << sh) & mask;
                    return (dst & ~m & mask) | ((a << sh) & m);
                }

                case 0x0E: return SatS(sa << sh, es);
                case 0x2E: return SatU(ua << sh, es);
                case 0x2C: return SatU(sa << sh, es);
                default: Undefined(); return 0;
            }
        }

        private ulong ShiftNarrowElem(int k, ulong x, int es, int sh)
        {
            int ws = es + 1;
            if (ws < 3)
            {
                // Sources of at most 32 bits: 64-bit arithmetic cannot overflow.
                long rcs = (k & 1) != 0 ? 1L << (sh - 1) : 0;
                switch (k)
                {
                    case 0x10: case 0x11: return ((x + (ulong)rcs) >> sh) & EsMask(es);
                    case 0x12: case 0x13: return SatS((SignExtend(x, ws) + rcs) >> sh, es);
                    case 0x30: case 0x31: return SatU((SignExtend(x, ws) + rcs) >> sh, es);
                    default: return SatU((long)((x + (ulong)rcs) >> sh), es);
                }
            }

            Int128 sx = SignExtend(x, ws);
            Int128 ux = x;
            bool round = (k & 1) != 0;
            Int128 rc = round ? Int128.One << (sh - 1) : Int128.Zero;
            switch (k)
            {
                case 0x10: case 0x11: return (ulong)((ux + rc) >> sh) & EsMask(es);
                case 0x12: case 0x13: return SatS((sx + rc) >> sh, es);
                case 0x30: case 0x31: return SatU((sx + rc) >> sh, es);
                default: return SatU((ux + rc) >> sh, es);
            }
        }

        private void ExecShiftImm(ref SimdFpInst d)
        {
            Vec128 a = GetVec(d.Rn), dst = GetVec(d.Rd);
            int es = d.Size;
            int k = d.Sub;
            int sh = d.Imm;
            if (k is 0x10 or 0x11 or 0x12 or 0x13 or 0x30 or 0x31 or 0x32 or 0x33)
            {
                int m = 8 >> es;
                bool upper = d.Bytes == 16;
                Vec128 r = upper ? new Vec128(dst.Lo, 0) : default;
                int off = upper ? m : 0;
                for (int i = 0; i < m; i++)
                {
                    r.Set(off + i, es, ShiftNarrowElem(k, a.Get(i, es + 1), es, sh));
                }

                SetVec(d.Rd, r, 16);
                return;
            }

            if (k is 0x14 or 0x34)
            {
                int m = 8 >> es;
                int off = d.Bytes == 16 ? m : 0;
                Vec128 r = default;
                for (int i = 0; i < m; i++)
                {
                    ulong x = a.Get(off + i, es);
                    ulong w = k == 0x14 ? (ulong)SignExtend(x, es) : x;
                    r.Set(i, es + 1, (w << sh) & EsMask(es + 1));
                }

                SetVec(d.Rd, r, 16);
                return;
            }

            int n = d.Bytes >> es;
            Vec128 res = default;
            for (int i = 0; i < n; i++)
            {
                res.Set(i, es, ShiftImmElem(k, a.Get(i, es), dst.Get(i, es), es, sh));
            }

            SetVec(d.Rd, res, d.Bytes);
        }

        private void ExecScalarShiftImm(ref SimdFpInst d)
        {
            int es = d.Size;
            int k = d.Sub;
            if (k is 0x12 or 0x13 or 0x30 or 0x31 or 0x32 or 0x33)
            {
                SetScalar(d.Rd, ShiftNarrowElem(k, GetScalar(d.Rn, es + 1), es, d.Imm), es);
                return;
            }

            SetScalar(d.Rd, ShiftImmElem(k, GetScalar(d.Rn, es), GetScalar(d.Rd, es), es, d.Imm), es);
        }

        private void ExecModifiedImm(ref SimdFpInst d)
        {
            ulong imm = d.Imm64;
            Vec128 r;
            switch (d.Sub)
            {
                case 0: r = new Vec128(imm, imm); break;
                case 1: r = new Vec128(~imm, ~imm); break;
                case 2: r = GetVec(d.Rd); r.Lo |= imm; r.Hi |= imm; break;
                default: r = GetVec(d.Rd); r.Lo &= ~imm; r.Hi &= ~imm; break;
            }

            SetVec(d.Rd, r, d.Bytes);
        }

        private void ExecCopy(ref SimdFpInst d)
        {
            int es = d.Size;
            switch (d.Sub)
            {
                case 0:
                case 1:
                {
                    ulong x = d.Sub == 0 ? GetVec(d.Rn).Get(d.Imm, es) : GetX(d.Rn) & EsMask(es);
                    ulong rep = es switch
                    {
                        0 => x * 0x0101010101010101ul,
                        1 => x * 0x0001000100010001ul,
                        2 => x | (x << 32),
                        _ => x,
                    };
                    SetVec(d.Rd, new Vec128(rep, rep), d.Bytes);
                    return;
                }

                case 3:
                {
                    Vec128 r = GetVec(d.Rd);
                    r.Set(d.Imm, es, GetX(d.Rn) & EsMask(es));
                    SetVec(d.Rd, r, 16);
                    return;
                }

                case 4:
                {
                    Vec128 r = GetVec(d.Rd);
                    r.Set(d.Imm, es, GetVec(d.Rn).Get(d.Imm2, es));
                    SetVec(d.Rd, r, 16);
                    return;
                }

                case 5:
                {
                    long v = SignExtend(GetVec(d.Rn).Get(d.Imm, es), es);
                    SetX(d.Rd, d.Bytes == 16 ? (ulong)v : (uint)v);
                    return;
                }

                default:
                    SetX(d.Rd, GetVec(d.Rn).Get(d.Imm, es));
                    return;
            }
        }

        private void ExecPermute(ref SimdFpInst d)
        {
            Vec128 a = GetVec(d.Rn), b = GetVec(d.Rm);
            int es = d.Size;
            int n = d.Bytes >> es;
            int half = n / 2;
            int part = (d.Sub >> 2) & 1;
            Vec128 r = default;
            switch (d.Sub & 3)
            {
                case 1: // UZP
                    for (int i = 0; i < n; i++)
                    {
                        int src = 2 * i + part;
                        r.Set(i, es, src < n ? a.Get(src, es) : b.Get(src - n, es));
                    }

                    break;
                case 2: // TRN
                    for (int p = 0; p < half; p++)
                    {
                        r.Set(2 * p, es, a.Get(2 * p + part, es));
                        r.Set(2 * p + 1, es, b.Get(2 * p + part, es));
                    }

                    break;
                default: // ZIP
                {
                    int baseIdx = part * half;
                    for (int p = 0; p < half; p++)
                    {
                        r.Set(2 * p, es, a.Get(baseIdx + p, es));
                        r.Set(2 * p + 1, es, b.Get(baseIdx + p, es));
                    }

                    break;
                }
            }

            SetVec(d.Rd, r, d.Bytes);
        }

        private void ExecExtract(ref SimdFpInst d)
        {
            Vec128 a = GetVec(d.Rn), b = GetVec(d.Rm);
            int n = d.Bytes;
            int pos = d.Imm;
            Vec128 r = default;
            for (int i = 0; i < n; i++)
            {
                int j = pos + i;
                r.Set(i, 0, j < n ? a.Get(j, 0) : b.Get(j - n, 0));
            }

            SetVec(d.Rd, r, n);
        }

        private void ExecTableLookup(ref SimdFpInst d)
        {
            int regs = d.Imm;
            Vec128 idx = GetVec(d.Rm);
            Vec128 r = d.Sub == 1 ? GetVec(d.Rd) : default;
            for (int i = 0; i < d.Bytes; i++)
            {
                int x = (int)idx.Get(i, 0);
                if (x < 16 * regs)
                {
                    int reg = (d.Rn + x / 16) & 31;
                    r.Set(i, 0, GetVec(reg).Get(x & 15, 0));
                }
                else if (d.Sub == 0)
                {
                    r.Set(i, 0, 0);
                }
            }

            SetVec(d.Rd, r, d.Bytes);
        }

        private void ExecIndexed(ref SimdFpInst d)
        {
            Vec128 a = GetVec(d.Rn), dst = GetVec(d.Rd);
            int es = d.Size;
            ulong e = GetVec(d.Rm).Get(d.Imm, es);
            int k = d.Sub;
            if (k is 0x8 or 0xC or 0xD or 0x10 or 0x14)
            {
                int n = d.Bytes >> es;
                int op = k switch { 0x8 => 0x13, 0xC => 0x16, 0xD => 0x36, 0x10 => 0x12, _ => 0x32 };
                Vec128 r = default;
                for (int i = 0; i < n; i++)
                {
                    r.Set(i, es, IntOp3(op, a.Get(i, es), e, dst.Get(i, es), es));
                }

                SetVec(d.Rd, r, d.Bytes);
                return;
            }

            // Long forms: SMLAL/SQDMLAL/SMLSL/SQDMLSL/SMULL/SQDMULL/UMLAL/UMLSL/UMULL.
            int ws = es + 1;
            int m = 8 >> es;
            int off = d.Bytes == 16 ? m : 0;
            bool unsigned = (k & 0x10) != 0;
            Int128 y = unsigned ? (Int128)e : SignExtend(e, es);
            Vec128 res = default;
            ulong wm = EsMask(ws);
            for (int i = 0; i < m; i++)
            {
                ulong xe = a.Get(off + i, es);
                Int128 x = unsigned ? (Int128)xe : SignExtend(xe, es);
                ulong acc = dst.Get(i, ws);
                Int128 sacc = SignExtend(acc, ws);
                ulong v;
                switch (k & 0xF)
                {
                    case 0x2: v = (acc + (ulong)(x * y)) & wm; break;
                    case 0x6: v = (acc - (ulong)(x * y)) & wm; break;
                    case 0xA: v = (ulong)(x * y) & wm; break;
                    case 0x3: v = SatS(sacc + SignExtend(SatS(2 * x * y, ws), ws), ws); break;
                    case 0x7: v = SatS(sacc - SignExtend(SatS(2 * x * y, ws), ws), ws); break;
                    default: v = SatS(2 * x * y, ws); break;
                }

                res.Set(i, ws, v);
            }

            SetVec(d.Rd, res, 16);
        }

        private void ExecScalarIndexed(ref SimdFpInst d)
        {
            int es = d.Size, ws = es + 1;
            ulong e = GetVec(d.Rm).Get(d.Imm, es);
            Int128 x = SignExtend(GetScalar(d.Rn, es), es), y = SignExtend(e, es);
            switch (d.Sub)
            {
                case 0xC: SetScalar(d.Rd, IntOp3(0x16, GetScalar(d.Rn, es), e, 0, es), es); return;
                case 0xD: SetScalar(d.Rd, IntOp3(0x36, GetScalar(d.Rn, es), e, 0, es), es); return;
            }

            Int128 acc = SignExtend(GetScalar(d.Rd, ws), ws);
            ulong prod = SatS(2 * x * y, ws);
            ulong v = d.Sub switch
            {
                0x3 => SatS(acc + SignExtend(prod, ws), ws),
                0x7 => SatS(acc - SignExtend(prod, ws), ws),
                _ => prod,
            };
            SetScalar(d.Rd, v, ws);
        }
    }
}
