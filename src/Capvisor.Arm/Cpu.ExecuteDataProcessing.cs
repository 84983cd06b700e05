using System.Numerics;
using System.Runtime.CompilerServices;

namespace Capvisor.Arm
{
    public sealed partial class Cpu
    {
        private const uint FlagN = 1u << 31, FlagZ = 1u << 30, FlagC = 1u << 29, FlagV = 1u << 28;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private ulong Adds64(ulong a, ulong b)
        {
            ulong r = a + b;
            Nzcv = (uint)(r >> 63) << 31 | (r == 0 ? FlagZ : 0) | (r < a ? FlagC : 0)
                | (uint)(((a ^ r) & (b ^ r)) >> 63) << 28;
            return r;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private ulong Adds32(uint a, uint b)
        {
            uint r = a + b;
            Nzcv = (r >> 31) << 31 | (r == 0 ? FlagZ : 0) | (r < a ? FlagC : 0)
                | (((a ^ r) & (b ^ r)) >> 31) << 28;
            return r;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private ulong Subs64(ulong a, ulong b)
        {
            ulong r = a - b;
            Nzcv = (uint)(r >> 63) << 31 | (r == 0 ? FlagZ : 0) | (a >= b ? FlagC : 0)
                | (uint)(((a ^ b) & (a ^ r)) >> 63) << 28;
            return r;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private ulong Subs32(uint a, uint b)
        {
            uint r = a - b;
            Nzcv = (r >> 31) << 31 | (r == 0 ? FlagZ : 0) | (a >= b ? FlagC : 0)
                | (((a ^ b) & (a ^ r)) >> 31) << 28;
            return r;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private ulong Ands64(ulong r)
        {
            Nzcv = (uint)(r >> 63) << 31 | (r == 0 ? FlagZ : 0);
            return r;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private ulong Ands32(uint r)
        {
            Nzcv = (r >> 31) << 31 | (r == 0 ? FlagZ : 0);
            return r;
        }

        /// <summary>The Arm ARM's AddWithCarry(): sets NZCV when <paramref name="setFlags"/>.</summary>
        private ulong AddWithCarry(ulong a, ulong b, uint carry, bool sf, bool setFlags)
        {
            if (sf)
            {
                ulong s = a + b;
                ulong r = s + carry;
                if (setFlags)
                {
                    bool c = s < a || r < s;
                    Nzcv = (uint)(r >> 63) << 31 | (r == 0 ? FlagZ : 0) | (c ? FlagC : 0)
                        | (uint)(((a ^ r) & (b ^ r)) >> 63) << 28;
                }

                return r;
            }
            else
            {
                uint a32 = (uint)a, b32 = (uint)b;
                ulong wide = (ulong)a32 + b32 + carry;
                uint r = (uint)wide;
                if (setFlags)
                {
                    Nzcv = (r >> 31) << 31 | (r == 0 ? FlagZ : 0) | ((wide >> 32) != 0 ? FlagC : 0)
                        | (((a32 ^ r) & (b32 ^ r)) >> 31) << 28;
                }

                return r;
            }
        }

        /// <summary>Add/subtract with any operand form: C holds Decoder.As* flags; Rd/Rn may be SP (31).</summary>
        private void ExecuteAddSubGeneric(ref DecodedInst d, ulong operand2)
        {
            bool sf = (d.C & Decoder.AsSf) != 0, sub = (d.C & Decoder.AsSub) != 0, s = (d.C & Decoder.AsSetFlags) != 0;
            ulong a = RegOrSp(d.Rn);
            ulong r = sub ? AddWithCarry(a, ~operand2, 1, sf, s) : AddWithCarry(a, operand2, 0, sf, s);
            SetRegOrSp(d.Rd, r);
        }

        private void ExecuteAdcSbc(ref DecodedInst d)
        {
            bool sf = (d.C & Decoder.AsSf) != 0, sub = (d.C & Decoder.AsSub) != 0, s = (d.C & Decoder.AsSetFlags) != 0;
            ulong b = Reg(d.Rm);
            if (sub)
            {
                b = ~b;
            }

            Reg(d.Rd) = AddWithCarry(Reg(d.Rn), b, (Nzcv >> 29) & 1, sf, s);
        }

        private void ExecuteCondCompare(ref DecodedInst d)
        {
            if (!ConditionHolds(d.B))
            {
                Nzcv = (uint)d.A << 28;
                return;
            }

            bool sf = (d.C & Decoder.AsSf) != 0, sub = (d.C & Decoder.AsSub) != 0;
            ulong b = (d.C & Decoder.AsImm) != 0 ? (ulong)d.Imm : Reg(d.Rm);
            if (sub)
            {
                AddWithCarry(Reg(d.Rn), ~b, 1, sf, true);
            }
            else
            {
                AddWithCarry(Reg(d.Rn), b, 0, sf, true);
            }
        }

        private void ExecuteLogicImmSp(ref DecodedInst d)
        {
            ulong a = Reg(d.Rn), imm = (ulong)d.Imm;
            ulong r = d.C switch
            {
                0 => a & imm,
                1 => a | imm,
                _ => a ^ imm,
            };
            if (d.Size == 0)
            {
                r = (uint)r;
            }

            SetRegOrSp(d.Rd, r);
        }

        private void ExecuteLogicShifted(ref DecodedInst d)
        {
            bool sf = d.Size != 0;
            ulong b = ShiftReg(Reg(d.Rm), d.B, d.A, sf) ^ (ulong)d.Imm;
            ulong a = Reg(d.Rn);
            ulong r = d.C switch
            {
                0 => a & b,
                1 => a | b,
                2 => a ^ b,
                _ => a & b,
            };
            if (!sf)
            {
                r = (uint)r;
            }

            if (d.C == 3)
            {
                r = sf ? Ands64(r) : Ands32((uint)r);
            }

            Reg(d.Rd) = r;
        }

        /// <summary>Applies a register shift: 0 LSL, 1 LSR, 2 ASR, 3 ROR, at 32 or 64 bits.</summary>
        private static ulong ShiftReg(ulong value, int type, int amount, bool sf)
        {
            if (sf)
            {
                return type switch
                {
                    0 => value << amount,
                    1 => value >> amount,
                    2 => (ulong)((long)value >> amount),
                    _ => BitOperations.RotateRight(value, amount),
                };
            }

            uint v = (uint)value;
            return type switch
            {
                0 => v << amount,
                1 => v >> amount,
                2 => (uint)((int)v >> amount),
                _ => BitOperations.RotateRight(v, amount),
            };
        }

        /// <summary>ExtendReg(): option 0..7 = UXTB, UXTH, UXTW, UXTX, SXTB, SXTH, SXTW, SXTX, then LSL.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static ulong ExtendReg(ulong value, int option, int shift)
        {
            ulong v = option switch
            {
                0 => (byte)value,
                1 => (ushort)value,
                2 => (uint)value,
                4 => (ulong)(sbyte)value,
                5 => (ulong)(short)value,
                6 => (ulong)(int)value,
                _ => value,
            };
            return v << shift;
        }

        private static ulong Sbfm64(ulong src, ref DecodedInst d)
        {
            ulong bot = BitOperations.RotateRight(src, d.A) & (ulong)d.Imm;
            ulong top = ((src >> d.C) & 1) != 0 ? ulong.MaxValue : 0;
            return (top & ~d.Imm2) | (bot & d.Imm2);
        }

        private static ulong Sbfm32(uint src, ref DecodedInst d)
        {
            ulong bot = BitOperations.RotateRight(src, d.A) & (ulong)d.Imm;
            ulong top = ((src >> d.C) & 1) != 0 ? 0xFFFF_FFFFul : 0;
            return (top & ~d.Imm2) | (bot & d.Imm2);
        }

        private static ulong ReverseBits(ulong v)
        {
            v = ((v >> 1) & 0x5555_5555_5555_5555ul) | ((v & 0x5555_5555_5555_5555ul) << 1);
            v = ((v >> 2) & 0x3333_3333_3333_3333ul) | ((v & 0x3333_3333_3333_3333ul) << 2);
            v = ((v >> 4) & 0x0F0F_0F0F_0F0F_0F0Ful) | ((v & 0x0F0F_0F0F_0F0F_0F0Ful) << 4);
            return System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(v);
        }

        private static ulong ReverseBytesIn16(ulong v) =>
            ((v >> 8) & 0x00FF_00FF_00FF_00FFul) | ((v & 0x00FF_00FF_00FF_00FFul) << 8);
    }
}
