using System.Runtime.CompilerServices;

namespace Capvisor.Arm
{
    public sealed partial class Cpu
    {
        private const int SimdFpCacheSize = 1 << 12;
        private readonly SimdFpInst[] _simdFpCache = new SimdFpInst[SimdFpCacheSize];

        /// <summary>
        /// Executes one instruction from the SIMD&amp;FP data-processing space (op0 = x111):
        /// FP access check, pre-decoded lookup, execution; UNDEFINED for unallocated or
        /// unimplemented encodings.
        /// </summary>
        internal void ExecuteSimdFp(uint raw)
        {
            CheckFpEnabled();
            uint slot = ((raw * 0x9E3779B1u) >> 20) & (SimdFpCacheSize - 1);
            ref SimdFpInst d = ref _simdFpCache[slot];
            if (d.Raw != raw || !d.Valid)
            {
                SimdFpDecoder.Decode(raw, out d);
            }

            switch (d.Kind)
            {
                case SimdFpKind.ThreeSame: ExecThreeSame(ref d); break;
                case SimdFpKind.ScalarThreeSame: ExecScalarThreeSame(ref d); break;
                case SimdFpKind.TwoRegMisc: ExecTwoRegMisc(ref d); break;
                case SimdFpKind.ScalarTwoRegMisc: ExecScalarTwoRegMisc(ref d); break;
                case SimdFpKind.AcrossLanes: ExecAcrossLanes(ref d); break;
                case SimdFpKind.ScalarPairwise: ExecScalarPairwise(ref d); break;
                case SimdFpKind.ThreeDifferent: ExecThreeDifferent(ref d); break;
                case SimdFpKind.ScalarThreeDifferent: ExecScalarThreeDifferent(ref d); break;
                case SimdFpKind.ShiftImm: ExecShiftImm(ref d); break;
                case SimdFpKind.ScalarShiftImm: ExecScalarShiftImm(ref d); break;
                case SimdFpKind.ModifiedImm: ExecModifiedImm(ref d); break;
                case SimdFpKind.Copy: ExecCopy(ref d); break;
                case SimdFpKind.ScalarCopy: SetScalar(d.Rd, GetVec(d.Rn).Get(d.Imm, d.Size), d.Size); break;
                case SimdFpKind.IndexedElement: ExecIndexed(ref d); break;
                case SimdFpKind.ScalarIndexedElement: ExecScalarIndexed(ref d); break;
                case SimdFpKind.TableLookup: ExecTableLookup(ref d); break;
                case SimdFpKind.Permute: ExecPermute(ref d); break;
                case SimdFpKind.Extract: ExecExtract(ref d); break;
                case SimdFpKind.FpDp1: ExecFpDp1(ref d); break;
                case SimdFpKind.FpDp2: ExecFpDp2(ref d); break;
                case SimdFpKind.FpDp3: ExecFpDp3(ref d); break;
                case SimdFpKind.FpCompare: ExecFpCompare(ref d); break;
                case SimdFpKind.FpCondCompare: ExecFpCondCompare(ref d); break;
                case SimdFpKind.FpCondSelect: ExecFpCondSelect(ref d); break;
                case SimdFpKind.FpImm: SetScalar(d.Rd, d.Imm64, d.Size == 2 ? 3 : 2); break;
                case SimdFpKind.FpInt: ExecFpInt(ref d); break;
                case SimdFpKind.FpFixed: ExecFpFixed(ref d); break;
                case SimdFpKind.ThreeSameFp: ExecThreeSameFp(ref d, scalar: false); break;
                case SimdFpKind.ScalarThreeSameFp: ExecThreeSameFp(ref d, scalar: true); break;
                case SimdFpKind.TwoRegMiscFp: ExecTwoRegMiscFp(ref d, scalar: false); break;
                case SimdFpKind.ScalarTwoRegMiscFp: ExecTwoRegMiscFp(ref d, scalar: true); break;
                case SimdFpKind.AcrossLanesFp: ExecAcrossLanesFp(ref d); break;
                case SimdFpKind.ScalarPairwiseFp: ExecScalarPairwiseFp(ref d); break;
                case SimdFpKind.IndexedElementFp: ExecIndexedFp(ref d, scalar: false); break;
                case SimdFpKind.ScalarIndexedElementFp: ExecIndexedFp(ref d, scalar: true); break;
                case SimdFpKind.ShiftImmFp: ExecShiftImmFp(ref d, scalar: false); break;
                case SimdFpKind.ScalarShiftImmFp: ExecShiftImmFp(ref d, scalar: true); break;
                default: Undefined(); break;
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private Vec128 GetVec(int n) => new Vec128(V[2 * n], V[2 * n + 1]);

        /// <summary>Writes Vd; a 64-bit vector (bytes = 8) clears bits 127:64.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void SetVec(int n, Vec128 v, int bytes)
        {
            V[2 * n] = v.Lo;
            V[2 * n + 1] = bytes == 16 ? v.Hi : 0;
        }

        /// <summary>Writes a scalar of 8 &lt;&lt; es bits to Vd, clearing the rest of the register.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void SetScalar(int n, ulong value, int es)
        {
            V[2 * n] = es == 3 ? value : value & ((1ul << (8 << es)) - 1);
            V[2 * n + 1] = 0;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private ulong GetScalar(int n, int es) => es == 3 ? V[2 * n] : V[2 * n] & ((1ul << (8 << es)) - 1);

        private bool SimdFpConditionHolds(int cond)
        {
            uint n = (Nzcv >> 31) & 1, z = (Nzcv >> 30) & 1, c = (Nzcv >> 29) & 1, v = (Nzcv >> 28) & 1;
            bool r = (cond >> 1) switch
            {
                0 => z == 1,
                1 => c == 1,
                2 => n == 1,
                3 => v == 1,
                4 => c == 1 && z == 0,
                5 => n == v,
                6 => n == v && z == 0,
                _ => true,
            };
            if ((cond & 1) == 1 && cond != 15)
            {
                r = !r;
            }

            return r;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static long SignExtend(ulong x, int es) => es == 3 ? (long)x : ((long)(x << (64 - (8 << es)))) >> (64 - (8 << es));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static ulong EsMask(int es) => es == 3 ? ulong.MaxValue : (1ul << (8 << es)) - 1;
    }
}
