namespace Capvisor.Arm
{
    // Scalar floating point (FP data-processing 1/2/3 source, compares, selects, immediates,
    // conversions) and the Advanced SIMD floating-point forms.
    public sealed partial class Cpu
    {
        private static int FpEs(int fmt) => fmt + 1;

        private ulong FpRead(int n, int fmt) => GetScalar(n, fmt + 1);

        private void FpWrite(int n, ulong v, int fmt) => SetScalar(n, v, fmt + 1);

        private int FpRoundMode => (int)((Fpcr >> 22) & 3);

        private void ExecFpDp1(ref SimdFpInst d)
        {
            int fmt = d.Size;
            ulong a = FpRead(d.Rn, fmt);
            ulong r;
            switch (d.Sub)
            {
                case 0: r = a; break;
                case 1: r = FpCore.Abs(a, fmt); break;
                case 2: r = FpCore.Neg(a, fmt); break;
                case 3: r = FpCore.Sqrt(a, fmt, Fpcr, ref Fpsr); break;
                case 4: case 5: case 7:
                    r = FpCore.Convert(a, fmt, d.Imm, Fpcr, ref Fpsr, FpRoundMode);
                    FpWrite(d.Rd, r, d.Imm);
                    return;
                default:
                    r = FpRoundIntOp(a, fmt, d.Sub);
                    break;
            }

            FpWrite(d.Rd, r, fmt);
        }

        /// <summary>FRINT{N,P,M,Z,A,X,I} by the 1-source opcode 8..15.</summary>
        private ulong FpRoundIntOp(ulong a, int fmt, int opc)
        {
            int rmode = opc switch
            {
                8 => FpCore.RN,
                9 => FpCore.RP,
                10 => FpCore.RM,
                11 => FpCore.RZ,
                12 => FpCore.RA,
                _ => FpRoundMode,
            };
            return FpCore.RoundInt(a, fmt, Fpcr, ref Fpsr, rmode, exact: opc == 14);
        }

        private ulong FpBinary(int op, ulong a, ulong b, int fmt)
        {
            switch (op)
            {
                case 0: return FpCore.Mul(a, b, fmt, Fpcr, ref Fpsr);
                case 1: return FpCore.Div(a, b, fmt, Fpcr, ref Fpsr);
                case 2: return FpCore.Add(a, b, fmt, Fpcr, ref Fpsr);
                case 3: return FpCore.Add(a, b, fmt, Fpcr, ref Fpsr, subtract: true);
                case 4: return FpCore.MinMax(a, b, fmt, Fpcr, ref Fpsr, max: true, numeric: false);
                case 5: return FpCore.MinMax(a, b, fmt, Fpcr, ref Fpsr, max: false, numeric: false);
                case 6: return FpCore.MinMax(a, b, fmt, Fpcr, ref Fpsr, max: true, numeric: true);
                case 7: return FpCore.MinMax(a, b, fmt, Fpcr, ref Fpsr, max: false, numeric: true);
                default: return FpCore.Neg(FpCore.Mul(a, b, fmt, Fpcr, ref Fpsr), fmt);
            }
        }

        private void ExecFpDp2(ref SimdFpInst d)
        {
            int fmt = d.Size;
            FpWrite(d.Rd, FpBinary(d.Sub, FpRead(d.Rn, fmt), FpRead(d.Rm, fmt), fmt), fmt);
        }

        private void ExecFpDp3(ref SimdFpInst d)
        {
            int fmt = d.Size;
            ulong n = FpRead(d.Rn, fmt), m = FpRead(d.Rm, fmt), a = FpRead(d.Ra, fmt);
            bool o1 = (d.Sub & 2) != 0, o0 = (d.Sub & 1) != 0;
            if (o1)
            {
                a = FpCore.Neg(a, fmt);
            }

            if (o0 != o1)
            {
                n = FpCore.Neg(n, fmt);
            }

            FpWrite(d.Rd, FpCore.MulAdd(a, n, m, fmt, Fpcr, ref Fpsr), fmt);
        }

        private void ExecFpCompare(ref SimdFpInst d)
        {
            int fmt = d.Size;
            ulong a = FpRead(d.Rn, fmt);
            ulong b = (d.Sub & 1) != 0 ? 0 : FpRead(d.Rm, fmt);
            Nzcv = FpCore.Compare(a, b, fmt, Fpcr, ref Fpsr, signalAll: (d.Sub & 2) != 0);
        }

        private void ExecFpCondCompare(ref SimdFpInst d)
        {
            if (SimdFpConditionHolds(d.Imm))
            {
                int fmt = d.Size;
                Nzcv = FpCore.Compare(FpRead(d.Rn, fmt), FpRead(d.Rm, fmt), fmt, Fpcr, ref Fpsr, signalAll: d.Sub != 0);
            }
            else
            {
                Nzcv = (uint)d.Imm2 << 28;
            }
        }

        private void ExecFpCondSelect(ref SimdFpInst d)
        {
            int fmt = d.Size;
            FpWrite(d.Rd, SimdFpConditionHolds(d.Imm) ? FpRead(d.Rn, fmt) : FpRead(d.Rm, fmt), fmt);
        }

        private void ExecFpInt(ref SimdFpInst d)
        {
            int fmt = d.Size;
            int width = d.Imm2;
            int rmode = d.Sub >> 3;
            int opcode = d.Sub & 7;
            switch (opcode)
            {
                case 0: case 1: case 4: case 5:
                {
                    int rm = opcode >= 4 ? FpCore.RA : rmode switch { 0 => FpCore.RN, 1 => FpCore.RP, 2 => FpCore.RM, _ => FpCore.RZ };
                    ulong r = FpCore.ToFixed(FpRead(d.Rn, fmt), fmt, 0, (opcode & 1) != 0, width, Fpcr, ref Fpsr, rm);
                    SetX(d.Rd, r);
                    return;
                }

                case 2: case 3:
                {
                    ulong v = GetX(d.Rn);
                    FpWrite(d.Rd, FpCore.FromFixed(v, width, opcode == 3, 0, fmt, Fpcr, ref Fpsr, FpRoundMode), fmt);
                    return;
                }

                case 6:
                    if (rmode == 1)
                    {
                        SetX(d.Rd, V[2 * d.Rn + 1]);
                    }
                    else
                    {
                        SetX(d.Rd, width == 64 ? V[2 * d.Rn] : (uint)V[2 * d.Rn]);
                    }

                    return;
                default:
                    if (rmode == 1)
                    {
                        V[2 * d.Rd + 1] = GetX(d.Rn);
                    }
                    else
                    {
                        FpWrite(d.Rd, width == 64 ? GetX(d.Rn) : (uint)GetX(d.Rn), fmt);
                    }

                    return;
            }
        }

        private void ExecFpFixed(ref SimdFpInst d)
        {
            int fmt = d.Size;
            int fbits = d.Imm;
            int width = d.Imm2;
            switch (d.Sub)
            {
                case 0x02: case 0x03:
                    FpWrite(d.Rd, FpCore.FromFixed(GetX(d.Rn), width, d.Sub == 0x03, fbits, fmt, Fpcr, ref Fpsr, FpRoundMode), fmt);
                    return;
                default:
                    SetX(d.Rd, FpCore.ToFixed(FpRead(d.Rn, fmt), fmt, fbits, d.Sub == 0x19, width, Fpcr, ref Fpsr, FpCore.RZ));
                    return;
            }
        }

        // ---- Advanced SIMD floating point ----

        private static readonly ulong[] FpTwo = { 0x4000, 0x40000000, 0x4000000000000000 };
        private static readonly ulong[] FpThree = { 0x4200, 0x40400000, 0x4008000000000000 };
        private static readonly ulong[] FpOnePointFive = { 0x3E00, 0x3FC00000, 0x3FF8000000000000 };

        private ulong RecipStepFused(ulong a, ulong b, int fmt, bool sqrt)
        {
            a = FpCore.Neg(a, fmt);
            uint fpcr = Fpcr;
            var t1 = FpCore.Unpack(a, fmt, fpcr, ref Fpsr, out bool s1, out _, out _);
            var t2 = FpCore.Unpack(b, fmt, fpcr, ref Fpsr, out bool s2, out _, out _);
            if (FpCore.ProcessNaNs(t1, t2, a, b, fmt, fpcr, ref Fpsr, out ulong nan))
            {
                return nan;
            }

            bool inf1 = t1 == FpCore.FpType.Infinity, inf2 = t2 == FpCore.FpType.Infinity;
            bool zero1 = t1 == FpCore.FpType.Zero, zero2 = t2 == FpCore.FpType.Zero;
            if ((inf1 && zero2) || (zero1 && inf2))
            {
                return sqrt ? FpOnePointFive[fmt] : FpTwo[fmt];
            }

            if (inf1 || inf2)
            {
                return FpCore.Infinity(fmt, s1 != s2);
            }

            // Flags are cumulative, so unpacking again inside MulAdd changes nothing.
            return FpCore.MulAdd(sqrt ? FpThree[fmt] : FpTwo[fmt], a, b, fmt, fpcr, ref Fpsr, sqrt ? -1 : 0);
        }

        /// <summary>Three-same FP element operation keyed U:a:opcode.</summary>
        private ulong FpOp3(int k, ulong a, ulong b, ulong dst, int fmt)
        {
            ulong ones = fmt == 2 ? ulong.MaxValue : fmt == 1 ? 0xFFFFFFFFul : 0xFFFF;
            switch (k)
            {
                case 0x18: case 0x58: return FpCore.MinMax(a, b, fmt, Fpcr, ref Fpsr, max: true, numeric: true);
                case 0x38: case 0x78: return FpCore.MinMax(a, b, fmt, Fpcr, ref Fpsr, max: false, numeric: true);
                case 0x1E: case 0x5E: return FpCore.MinMax(a, b, fmt, Fpcr, ref Fpsr, max: true, numeric: false);
                case 0x3E: case 0x7E: return FpCore.MinMax(a, b, fmt, Fpcr, ref Fpsr, max: false, numeric: false);
                case 0x19: return FpCore.MulAdd(dst, a, b, fmt, Fpcr, ref Fpsr);
                case 0x39: return FpCore.MulAdd(dst, FpCore.Neg(a, fmt), b, fmt, Fpcr, ref Fpsr);
                case 0x1A: case 0x5A: return FpCore.Add(a, b, fmt, Fpcr, ref Fpsr);
                case 0x3A: return FpCore.Add(a, b, fmt, Fpcr, ref Fpsr, subtract: true);
                case 0x1B: return FpCore.MulX(a, b, fmt, Fpcr, ref Fpsr);
                case 0x5B: return FpCore.Mul(a, b, fmt, Fpcr, ref Fpsr);
                case 0x5F: return FpCore.Div(a, b, fmt, Fpcr, ref Fpsr);
                case 0x7A: return FpCore.Abs(FpCore.Add(a, b, fmt, Fpcr, ref Fpsr, subtract: true), fmt);
                case 0x1C: return FpCore.CompareVec(a, b, fmt, Fpcr, ref Fpsr, 0) ? ones : 0;
                case 0x5C: return FpCore.CompareVec(a, b, fmt, Fpcr, ref Fpsr, 1) ? ones : 0;
                case 0x7C: return FpCore.CompareVec(a, b, fmt, Fpcr, ref Fpsr, 2) ? ones : 0;
                case 0x5D: return FpCore.CompareVec(FpCore.Abs(a, fmt), FpCore.Abs(b, fmt), fmt, Fpcr, ref Fpsr, 1) ? ones : 0;
                case 0x7D: return FpCore.CompareVec(FpCore.Abs(a, fmt), FpCore.Abs(b, fmt), fmt, Fpcr, ref Fpsr, 2) ? ones : 0;
                case 0x1F: return RecipStepFused(a, b, fmt, sqrt: false);
                case 0x3F: return RecipStepFused(a, b, fmt, sqrt: true);
                default: Undefined(); return 0;
            }
        }

        private void ExecThreeSameFp(ref SimdFpInst d, bool scalar)
        {
            int fmt = d.Size;
            int es = FpEs(fmt);
            int k = d.Sub;
            if (scalar)
            {
                FpWrite(d.Rd, FpOp3(k, FpRead(d.Rn, fmt), FpRead(d.Rm, fmt), FpRead(d.Rd, fmt), fmt), fmt);
                return;
            }

            Vec128 a = GetVec(d.Rn), b = GetVec(d.Rm), dst = GetVec(d.Rd);
            int n = d.Bytes >> es;
            Vec128 r = default;
            if (k is 0x58 or 0x5A or 0x5E or 0x78 or 0x7E)
            {
                int half = n / 2;
                for (int i = 0; i < half; i++)
                {
                    r.Set(i, es, FpOp3(k, a.Get(2 * i, es), a.Get(2 * i + 1, es), 0, fmt));
                }

                for (int i = 0; i < half; i++)
                {
                    r.Set(half + i, es, FpOp3(k, b.Get(2 * i, es), b.Get(2 * i + 1, es), 0, fmt));
                }
            }
            else
            {
                for (int i = 0; i < n; i++)
                {
                    r.Set(i, es, FpOp3(k, a.Get(i, es), b.Get(i, es), dst.Get(i, es), fmt));
                }
            }

            SetVec(d.Rd, r, d.Bytes);
        }

        /// <summary>Two-register-misc FP element operation keyed U:a:opcode (non-widening forms).</summary>
        private ulong FpOp2(int k, ulong a, int fmt)
        {
            ulong ones = fmt == 2 ? ulong.MaxValue : 0xFFFFFFFFul;
            int width = 16 << fmt;
            switch (k)
            {
                case 0x18: return FpCore.RoundInt(a, fmt, Fpcr, ref Fpsr, FpCore.RN, false);
                case 0x19: return FpCore.RoundInt(a, fmt, Fpcr, ref Fpsr, FpCore.RM, false);
                case 0x38: return FpCore.RoundInt(a, fmt, Fpcr, ref Fpsr, FpCore.RP, false);
                case 0x39: return FpCore.RoundInt(a, fmt, Fpcr, ref Fpsr, FpCore.RZ, false);
                case 0x58: return FpCore.RoundInt(a, fmt, Fpcr, ref Fpsr, FpCore.RA, false);
                case 0x59: return FpCore.RoundInt(a, fmt, Fpcr, ref Fpsr, FpRoundMode, true);
                case 0x79: return FpCore.RoundInt(a, fmt, Fpcr, ref Fpsr, FpRoundMode, false);
                case 0x1A: return FpCore.ToFixed(a, fmt, 0, false, width, Fpcr, ref Fpsr, FpCore.RN);
                case 0x1B: return FpCore.ToFixed(a, fmt, 0, false, width, Fpcr, ref Fpsr, FpCore.RM);
                case 0x1C: return FpCore.ToFixed(a, fmt, 0, false, width, Fpcr, ref Fpsr, FpCore.RA);
                case 0x3A: return FpCore.ToFixed(a, fmt, 0, false, width, Fpcr, ref Fpsr, FpCore.RP);
                case 0x3B: return FpCore.ToFixed(a, fmt, 0, false, width, Fpcr, ref Fpsr, FpCore.RZ);
                case 0x5A: return FpCore.ToFixed(a, fmt, 0, true, width, Fpcr, ref Fpsr, FpCore.RN);
                case 0x5B: return FpCore.ToFixed(a, fmt, 0, true, width, Fpcr, ref Fpsr, FpCore.RM);
                case 0x5C: return FpCore.ToFixed(a, fmt, 0, true, width, Fpcr, ref Fpsr, FpCore.RA);
                case 0x7A: return FpCore.ToFixed(a, fmt, 0, true, width, Fpcr, ref Fpsr, FpCore.RP);
                case 0x7B: return FpCore.ToFixed(a, fmt, 0, true, width, Fpcr, ref Fpsr, FpCore.RZ);
                case 0x1D: return FpCore.FromFixed(a, width, false, 0, fmt, Fpcr, ref Fpsr, FpRoundMode);
                case 0x5D: return FpCore.FromFixed(a, width, true, 0, fmt, Fpcr, ref Fpsr, FpRoundMode);
                case 0x2C: return FpCore.CompareVec(a, 0, fmt, Fpcr, ref Fpsr, 2) ? ones : 0;
                case 0x2D: return FpCore.CompareVec(a, 0, fmt, Fpcr, ref Fpsr, 0) ? ones : 0;
                case 0x2E: return FpCore.CompareVec(0, a, fmt, Fpcr, ref Fpsr, 2) ? ones : 0;
                case 0x6C: return FpCore.CompareVec(a, 0, fmt, Fpcr, ref Fpsr, 1) ? ones : 0;
                case 0x6D: return FpCore.CompareVec(0, a, fmt, Fpcr, ref Fpsr, 1) ? ones : 0;
                case 0x2F: return FpCore.Abs(a, fmt);
                case 0x6F: return FpCore.Neg(a, fmt);
                case 0x7F: return FpCore.Sqrt(a, fmt, Fpcr, ref Fpsr);
                case 0x3D: return FpRecipEstimate.RecipEstimate(a, fmt, Fpcr, ref Fpsr);
                case 0x7D: return FpRecipEstimate.RSqrtEstimate(a, fmt, Fpcr, ref Fpsr);
                case 0x3F: return FpRecipEstimate.RecpX(a, fmt, Fpcr, ref Fpsr);
                case 0x3C: return FpRecipEstimate.UnsignedRecipEstimate((uint)a);
                case 0x7C: return FpRecipEstimate.UnsignedRSqrtEstimate((uint)a);
                default: Undefined(); return 0;
            }
        }

        private void ExecTwoRegMiscFp(ref SimdFpInst d, bool scalar)
        {
            int fmt = d.Size;
            int k = d.Sub;
            if (k is 0x16 or 0x56)
            {
                // FCVTN/FCVTXN{2}: narrow fmt -> fmt-1.
                int to = fmt - 1;
                int tes = FpEs(to);
                int rm = k == 0x56 ? FpCore.RO : FpRoundMode;
                if (scalar)
                {
                    FpWrite(d.Rd, FpCore.Convert(FpRead(d.Rn, fmt), fmt, to, Fpcr, ref Fpsr, rm), to);
                    return;
                }

                Vec128 a = GetVec(d.Rn);
                int m = 8 >> tes;
                bool upper = d.Bytes == 16;
                Vec128 r = upper ? new Vec128(V[2 * d.Rd], 0) : default;
                int off = upper ? m : 0;
                for (int i = 0; i < m; i++)
                {
                    r.Set(off + i, tes, FpCore.Convert(a.Get(i, FpEs(fmt)), fmt, to, Fpcr, ref Fpsr, rm));
                }

                SetVec(d.Rd, r, 16);
                return;
            }

            if (k == 0x17)
            {
                // FCVTL{2}: widen fmt-1 -> fmt.
                int from = fmt - 1;
                int fes = FpEs(from);
                Vec128 a = GetVec(d.Rn);
                int m = 16 >> FpEs(fmt);
                int off = d.Bytes == 16 ? m : 0;
                Vec128 r = default;
                for (int i = 0; i < m; i++)
                {
                    r.Set(i, FpEs(fmt), FpCore.Convert(a.Get(off + i, fes), from, fmt, Fpcr, ref Fpsr, FpRoundMode));
                }

                SetVec(d.Rd, r, 16);
                return;
            }

            if (k is 0x3C or 0x7C)
            {
                fmt = 1;
            }

            int es = FpEs(fmt);
            if (scalar)
            {
                FpWrite(d.Rd, FpOp2(k, FpRead(d.Rn, fmt), fmt), fmt);
                return;
            }

            Vec128 src = GetVec(d.Rn);
            int n = d.Bytes >> es;
            Vec128 res = default;
            for (int i = 0; i < n; i++)
            {
                res.Set(i, es, FpOp2(k, src.Get(i, es), fmt));
            }

            SetVec(d.Rd, res, d.Bytes);
        }

        private ulong FpReduce(int k, Vec128 a, int lo, int count, int fmt)
        {
            if (count == 1)
            {
                return a.Get(lo, FpEs(fmt));
            }

            int half = count / 2;
            ulong x = FpReduce(k, a, lo, half, fmt), y = FpReduce(k, a, lo + half, half, fmt);
            bool max = (k & 0x20) == 0;
            bool numeric = (k & 0x1F) == 0x0C;
            return FpCore.MinMax(x, y, fmt, Fpcr, ref Fpsr, max, numeric);
        }

        private void ExecAcrossLanesFp(ref SimdFpInst d)
        {
            FpWrite(d.Rd, FpReduce(d.Sub, GetVec(d.Rn), 0, 4, 1), 1);
        }

        private void ExecScalarPairwiseFp(ref SimdFpInst d)
        {
            int fmt = d.Size;
            int es = FpEs(fmt);
            Vec128 a = GetVec(d.Rn);
            ulong x = a.Get(0, es), y = a.Get(1, es);
            ulong r = d.Sub switch
            {
                0x0C => FpCore.MinMax(x, y, fmt, Fpcr, ref Fpsr, true, true),
                0x2C => FpCore.MinMax(x, y, fmt, Fpcr, ref Fpsr, false, true),
                0x0D => FpCore.Add(x, y, fmt, Fpcr, ref Fpsr),
                0x0F => FpCore.MinMax(x, y, fmt, Fpcr, ref Fpsr, true, false),
                _ => FpCore.MinMax(x, y, fmt, Fpcr, ref Fpsr, false, false),
            };
            FpWrite(d.Rd, r, fmt);
        }

        private ulong FpIndexedOp(int k, ulong a, ulong e, ulong dst, int fmt) => k switch
        {
            0x1 => FpCore.MulAdd(dst, a, e, fmt, Fpcr, ref Fpsr),
            0x5 => FpCore.MulAdd(dst, FpCore.Neg(a, fmt), e, fmt, Fpcr, ref Fpsr),
            0x9 => FpCore.Mul(a, e, fmt, Fpcr, ref Fpsr),
            _ => FpCore.MulX(a, e, fmt, Fpcr, ref Fpsr),
        };

        private void ExecIndexedFp(ref SimdFpInst d, bool scalar)
        {
            int fmt = d.Size;
            int es = FpEs(fmt);
            ulong e = GetVec(d.Rm).Get(d.Imm, es);
            if (scalar)
            {
                FpWrite(d.Rd, FpIndexedOp(d.Sub, FpRead(d.Rn, fmt), e, FpRead(d.Rd, fmt), fmt), fmt);
                return;
            }

            Vec128 a = GetVec(d.Rn), dst = GetVec(d.Rd);
            int n = d.Bytes >> es;
            Vec128 r = default;
            for (int i = 0; i < n; i++)
            {
                r.Set(i, es, FpIndexedOp(d.Sub, a.Get(i, es), e, dst.Get(i, es), fmt));
            }

            SetVec(d.Rd, r, d.Bytes);
        }

        private void ExecShiftImmFp(ref SimdFpInst d, bool scalar)
        {
            int fmt = d.Size;
            int es = FpEs(fmt);
            int width = 8 << es;
            int fbits = d.Imm;
            int k = d.Sub;
            ulong Op(ulong x) => k switch
            {
                0x1C => FpCore.FromFixed(x, width, false, fbits, fmt, Fpcr, ref Fpsr, FpRoundMode),
                0x3C => FpCore.FromFixed(x, width, true, fbits, fmt, Fpcr, ref Fpsr, FpRoundMode),
                0x1F => FpCore.ToFixed(x, fmt, fbits, false, width, Fpcr, ref Fpsr, FpCore.RZ),
                _ => FpCore.ToFixed(x, fmt, fbits, true, width, Fpcr, ref Fpsr, FpCore.RZ),
            };

            if (scalar)
            {
                FpWrite(d.Rd, Op(FpRead(d.Rn, fmt)), fmt);
                return;
            }

            Vec128 a = GetVec(d.Rn);
            int n = d.Bytes >> es;
            Vec128 r = default;
            for (int i = 0; i < n; i++)
            {
                r.Set(i, es, Op(a.Get(i, es)));
            }

            SetVec(d.Rd, r, d.Bytes);
        }
    }
}
