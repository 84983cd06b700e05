using System.Numerics;
using System.Runtime.CompilerServices;

namespace Capvisor.Arm
{
    /// <summary>
    /// A64 decoder: instruction word to <see cref="DecodedInst"/>. Armv8.0-A integer instructions
    /// plus SIMD&amp;FP register loads/stores; everything else (including every unallocated
    /// encoding) decodes to <see cref="Op.Undefined"/>.
    /// </summary>
    /// <remarks>
    /// Decoding follows the Arm ARM's encoding index (top-level op0 = bits 28:25) by hand. The
    /// work done here is everything that does not depend on register values: immediates are
    /// shifted and sign-extended, bitmasks expanded, XZR mapped to a zero slot, and common
    /// forms given their own <see cref="Op"/>.
    /// </remarks>
    internal static partial class Decoder
    {
        /// <summary>X-array index that always reads zero (XZR as a source).</summary>
        public const byte Zr = 32;
        /// <summary>X-array index whose writes are ignored (XZR as a destination).</summary>
        public const byte Sink = 33;

        /// <summary>Flags of generic add/subtract ops (field C).</summary>
        public const byte AsSf = 1, AsSetFlags = 2, AsSub = 4, AsImm = 8;

        /// <summary>Load extension kinds (field B).</summary>
        public const byte ExtZero = 0, ExtSign64 = 1, ExtSign32 = 2;

        /// <summary>Addressing modes (field C).</summary>
        public const byte ModeOffset = 0, ModePre = 1, ModePost = 2;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static byte Rs(uint r) => r == 31 ? Zr : (byte)r;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static byte Wr(uint r) => r == 31 ? Sink : (byte)r;

        private static uint Bits(uint raw, int lo, int n) => (raw >> lo) & ((1u << n) - 1);

        private static long SignExtend(ulong v, int bits) => (long)(v << (64 - bits)) >> (64 - bits);

        public static void Decode(uint raw, out DecodedInst d)
        {
            d = default;
            d.Raw = raw;
            d.Valid = true;
            d.Op = Op.Undefined;
            switch ((raw >> 25) & 0xF)
            {
                case 0b1000:
                case 0b1001:
                    DecodeDataProcessingImmediate(raw, ref d);
                    break;
                case 0b1010:
                case 0b1011:
                    DecodeBranchSystem(raw, ref d);
                    break;
                case 0b0100:
                case 0b0110:
                case 0b1100:
                case 0b1110:
                    DecodeLoadStore(raw, ref d);
                    break;
                case 0b0101:
                case 0b1101:
                    DecodeDataProcessingRegister(raw, ref d);
                    break;
                case 0b0111:
                case 0b1111:
                    // SIMD&FP data processing: decoded and executed by Cpu.ExecuteSimdFp.
                    d.Op = Op.SimdFp;
                    break;
                default:
                    // SVE, SME and unallocated space.
                    break;
            }

            if (d.Op == Op.Undefined)
            {
                // Keep an UNDEFINED entry's fields clean: only Raw and Valid matter.
                d = default;
                d.Raw = raw;
                d.Valid = true;
            }
        }

        // ---------------------------------------------------------------- data processing (immediate)

        private static void DecodeDataProcessingImmediate(uint raw, ref DecodedInst d)
        {
            uint rd = raw & 31, rn = (raw >> 5) & 31;
            bool sf = (raw >> 31) != 0;
            switch ((raw >> 23) & 7)
            {
                case 0:
                case 1:
                {
                    // ADR / ADRP
                    ulong imm = ((raw >> 5) & 0x7FFFF) << 2 | ((raw >> 29) & 3);
                    d.Rd = Wr(rd);
                    if ((raw >> 31) == 0)
                    {
                        d.Op = Op.Adr;
                        d.Imm = SignExtend(imm, 21);
                    }
                    else
                    {
                        d.Op = Op.Adrp;
                        d.Imm = SignExtend(imm, 21) << 12;
                    }

                    return;
                }

                case 2:
                {
                    // Add/subtract (immediate)
                    bool sub = ((raw >> 30) & 1) != 0, s = ((raw >> 29) & 1) != 0;
                    ulong imm = (raw >> 10) & 0xFFF;
                    if (((raw >> 22) & 1) != 0)
                    {
                        imm <<= 12;
                    }

                    d.Imm = (long)imm;
                    bool spDest = !s && rd == 31;
                    if (rn == 31 || spDest)
                    {
                        d.Op = Op.AddSubImmSp;
                        d.Rd = spDest ? (byte)31 : Wr(rd);
                        d.Rn = (byte)rn;
                        d.C = (byte)((sf ? AsSf : 0) | (s ? AsSetFlags : 0) | (sub ? AsSub : 0) | AsImm);
                        return;
                    }

                    d.Rd = Wr(rd);
                    d.Rn = (byte)rn;
                    d.Op = (sub, s, sf) switch
                    {
                        (false, false, true) => Op.AddImm64,
                        (false, false, false) => Op.AddImm32,
                        (true, false, true) => Op.SubImm64,
                        (true, false, false) => Op.SubImm32,
                        (false, true, true) => Op.AddsImm64,
                        (false, true, false) => Op.AddsImm32,
                        (true, true, true) => Op.SubsImm64,
                        _ => Op.SubsImm32,
                    };
                    return;
                }

                case 4:
                {
                    // Logical (immediate)
                    uint n = (raw >> 22) & 1, immr = (raw >> 16) & 63, imms = (raw >> 10) & 63;
                    if (!sf && n != 0)
                    {
                        return;
                    }

                    if (!DecodeBitMasks(n, imms, immr, true, sf ? 64 : 32, out ulong wmask, out _))
                    {
                        return;
                    }

                    uint opc = (raw >> 29) & 3;
                    d.Imm = (long)wmask;
                    d.Rn = Rs(rn);
                    if (opc != 3 && rd == 31)
                    {
                        d.Op = Op.LogicImmSp;
                        d.Rd = 31;
                        d.C = (byte)opc;
                        d.Size = (byte)(sf ? 1 : 0);
                        return;
                    }

                    d.Rd = Wr(rd);
                    d.Op = (opc, sf) switch
                    {
                        (0, _) => Op.AndImm,
                        (1, true) => Op.OrrImm64,
                        (1, false) => Op.OrrImm32,
                        (2, true) => Op.EorImm64,
                        (2, false) => Op.EorImm32,
                        (3, true) => Op.AndsImm64,
                        _ => Op.AndsImm32,
                    };
                    return;
                }

                case 5:
                {
                    // Move wide (immediate)
                    uint opc = (raw >> 29) & 3, hw = (raw >> 21) & 3;
                    if (opc == 1 || (!sf && hw >= 2))
                    {
                        return;
                    }

                    int shift = (int)hw * 16;
                    ulong imm = (ulong)((raw >> 5) & 0xFFFF) << shift;
                    d.Rd = Wr(rd);
                    switch (opc)
                    {
                        case 0:
                            d.Op = Op.MovImm;
                            d.Imm = (long)(sf ? ~imm : ~imm & 0xFFFF_FFFFul);
                            break;
                        case 2:
                            d.Op = Op.MovImm;
                            d.Imm = (long)imm;
                            break;
                        default:
                            d.Op = sf ? Op.MovK64 : Op.MovK32;
                            d.Rn = Rs(rd);
                            d.Imm = (long)imm;
                            d.Imm2 = ~(0xFFFFul << shift);
                            break;
                    }

                    return;
                }

                case 6:
                    DecodeBitfield(raw, ref d);
                    return;

                case 7:
                {
                    // EXTR
                    uint n = (raw >> 22) & 1, imms = (raw >> 10) & 63;
                    if (((raw >> 29) & 3) != 0 || ((raw >> 21) & 1) != 0 || n != (sf ? 1u : 0u) || (!sf && imms >= 32))
                    {
                        return;
                    }

                    d.Op = sf ? Op.Extr64 : Op.Extr32;
                    d.Rd = Wr(rd);
                    d.Rn = Rs(rn);
                    d.Rm = Rs((raw >> 16) & 31);
                    d.A = (byte)imms;
                    return;
                }

                default:
                    return;
            }
        }

        private static void DecodeBitfield(uint raw, ref DecodedInst d)
        {
            bool sf = (raw >> 31) != 0;
            uint opc = (raw >> 29) & 3, n = (raw >> 22) & 1, immr = (raw >> 16) & 63, imms = (raw >> 10) & 63;
            if (opc == 3 || n != (sf ? 1u : 0u) || (!sf && (immr >= 32 || imms >= 32)))
            {
                return;
            }

            int size = sf ? 64 : 32;
            if (!DecodeBitMasks(n, imms, immr, false, size, out ulong wmask, out ulong tmask))
            {
                return;
            }

            uint rd = raw & 31, rn = (raw >> 5) & 31;
            d.Rd = Wr(rd);
            d.Rn = Rs(rn);
            d.A = (byte)immr;
            d.C = (byte)imms;
            d.Imm = (long)wmask;
            d.Imm2 = tmask;
            switch (opc)
            {
                case 0: // SBFM
                    if (imms == size - 1)
                    {
                        d.Op = sf ? Op.AsrImm64 : Op.AsrImm32;
                    }
                    else if (imms >= immr)
                    {
                        d.Op = sf ? Op.Sbfx64 : Op.Sbfx32;
                        d.B = (byte)(imms - immr + 1);
                    }
                    else
                    {
                        d.Op = sf ? Op.Sbfm64 : Op.Sbfm32;
                    }

                    return;
                case 1: // BFM
                    d.Op = sf ? Op.Bfm64 : Op.Bfm32;
                    d.Ra = Rs(rd);
                    return;
                default: // UBFM
                    if (imms == size - 1)
                    {
                        d.Op = sf ? Op.LsrImm64 : Op.LsrImm32;
                    }
                    else if (imms + 1 == immr)
                    {
                        d.Op = sf ? Op.LslImm64 : Op.LslImm32;
                        d.A = (byte)(size - immr);
                    }
                    else if (imms >= immr)
                    {
                        d.Op = Op.Ubfx;
                        d.Imm = (long)((2ul << (int)(imms - immr)) - 1);
                    }
                    else
                    {
                        d.Op = sf ? Op.Ubfm64 : Op.Ubfm32;
                    }

                    return;
            }
        }

        /// <summary>The Arm ARM's DecodeBitMasks(): false for a reserved encoding.</summary>
        public static bool DecodeBitMasks(uint n, uint imms, uint immr, bool immediate, int dataSize, out ulong wmask, out ulong tmask)
        {
            wmask = tmask = 0;
            uint combined = (n << 6) | (~imms & 63);
            if (combined == 0)
            {
                return false;
            }

            int len = 31 - BitOperations.LeadingZeroCount(combined);
            if (len < 1)
            {
                return false;
            }

            uint levels = (1u << len) - 1;
            if (immediate && (imms & levels) == levels)
            {
                return false;
            }

            int s = (int)(imms & levels), r = (int)(immr & levels);
            int diff = (s - r) & 63;
            int esize = 1 << len;
            int dd = diff & (esize - 1);
            ulong elemMask = esize == 64 ? ulong.MaxValue : (1ul << esize) - 1;
            ulong welem = s + 1 == 64 ? ulong.MaxValue : (1ul << (s + 1)) - 1;
            ulong telem = dd + 1 == 64 ? ulong.MaxValue : (1ul << (dd + 1)) - 1;
            // ROR within esize bits.
            ulong rotated = r == 0 ? welem : ((welem >> r) | (welem << (esize - r))) & elemMask;
            wmask = Replicate(rotated, esize);
            tmask = Replicate(telem, esize);
            if (dataSize == 32)
            {
                wmask &= 0xFFFF_FFFF;
                tmask &= 0xFFFF_FFFF;
            }

            return true;
        }

        private static ulong Replicate(ulong elem, int esize)
        {
            ulong result = elem;
            for (int size = esize; size < 64; size *= 2)
            {
                result |= result << size;
            }

            return result;
        }

        // ---------------------------------------------------------------- data processing (register)

        private static void DecodeDataProcessingRegister(uint raw, ref DecodedInst d)
        {
            uint rd = raw & 31, rn = (raw >> 5) & 31, rm = (raw >> 16) & 31;
            bool sf = (raw >> 31) != 0;
            uint op1 = (raw >> 28) & 1, op2 = (raw >> 21) & 15;
            byte sfBit = sf ? AsSf : (byte)0;
            if (op1 == 0)
            {
                uint imm6 = (raw >> 10) & 63, shiftType = (raw >> 22) & 3;
                if ((op2 & 8) == 0)
                {
                    // Logical (shifted register)
                    if (!sf && imm6 >= 32)
                    {
                        return;
                    }

                    uint opc = (raw >> 29) & 3;
                    bool invert = ((raw >> 21) & 1) != 0;
                    d.Rd = Wr(rd);
                    d.Rn = Rs(rn);
                    d.Rm = Rs(rm);
                    d.A = (byte)imm6;
                    d.Imm = invert ? -1 : 0;
                    if (shiftType == 0)
                    {
                        if (opc == 1 && !invert && imm6 == 0 && rn == 31)
                        {
                            d.Op = sf ? Op.MovReg64 : Op.MovReg32;
                            return;
                        }

                        d.Op = (opc, sf) switch
                        {
                            (0, true) => Op.AndLsl64,
                            (0, false) => Op.AndLsl32,
                            (1, true) => Op.OrrLsl64,
                            (1, false) => Op.OrrLsl32,
                            (2, true) => Op.EorLsl64,
                            (2, false) => Op.EorLsl32,
                            (3, true) => Op.AndsLsl64,
                            _ => Op.AndsLsl32,
                        };
                        return;
                    }

                    d.Op = Op.LogicShifted;
                    d.B = (byte)shiftType;
                    d.C = (byte)opc;
                    d.Size = (byte)(sf ? 1 : 0);
                    return;
                }

                bool sub = ((raw >> 30) & 1) != 0, s = ((raw >> 29) & 1) != 0;
                byte flags = (byte)(sfBit | (s ? AsSetFlags : 0) | (sub ? AsSub : 0));
                if ((op2 & 1) == 0)
                {
                    // Add/subtract (shifted register)
                    if (shiftType == 3 || (!sf && imm6 >= 32))
                    {
                        return;
                    }

                    d.Rd = Wr(rd);
                    d.Rn = Rs(rn);
                    d.Rm = Rs(rm);
                    d.A = (byte)imm6;
                    if (shiftType == 0)
                    {
                        d.Op = (sub, s, sf) switch
                        {
                            (false, false, true) => Op.AddLsl64,
                            (false, false, false) => Op.AddLsl32,
                            (true, false, true) => Op.SubLsl64,
                            (true, false, false) => Op.SubLsl32,
                            (false, true, true) => Op.AddsLsl64,
                            (false, true, false) => Op.AddsLsl32,
                            (true, true, true) => Op.SubsLsl64,
                            _ => Op.SubsLsl32,
                        };
                        return;
                    }

                    d.Op = flags == AsSf ? (shiftType == 1 ? Op.AddLsr64 : Op.AddAsr64) : Op.AddSubShifted;
                    d.B = (byte)shiftType;
                    d.C = flags;
                    return;
                }

                // Add/subtract (extended register)
                uint imm3 = (raw >> 10) & 7;
                if (((raw >> 22) & 3) != 0 || imm3 > 4)
                {
                    return;
                }

                d.Op = flags == AsSf ? Op.AddExt64 : Op.AddSubExtended;
                d.Rd = s ? Wr(rd) : (byte)rd;
                d.Rn = (byte)rn;
                d.Rm = Rs(rm);
                d.A = (byte)imm3;
                d.B = (byte)((raw >> 13) & 7);
                d.C = flags;
                return;
            }

            switch (op2)
            {
                case 0:
                {
                    // Add/subtract with carry
                    if (((raw >> 10) & 63) != 0)
                    {
                        return;
                    }

                    bool sub = ((raw >> 30) & 1) != 0, s = ((raw >> 29) & 1) != 0;
                    d.Op = Op.AdcSbc;
                    d.Rd = Wr(rd);
                    d.Rn = Rs(rn);
                    d.Rm = Rs(rm);
                    d.C = (byte)(sfBit | (s ? AsSetFlags : 0) | (sub ? AsSub : 0));
                    return;
                }

                case 2:
                {
                    // Conditional compare (register / immediate)
                    if (((raw >> 29) & 1) == 0 || ((raw >> 10) & 1) != 0 || ((raw >> 4) & 1) != 0)
                    {
                        return;
                    }

                    bool imm = ((raw >> 11) & 1) != 0;
                    bool sub = ((raw >> 30) & 1) != 0;
                    d.Op = Op.CondCompare;
                    d.Rn = Rs(rn);
                    d.Rm = Rs(rm);
                    d.Imm = rm;
                    d.A = (byte)(raw & 15);
                    d.B = (byte)((raw >> 12) & 15);
                    d.C = (byte)(sfBit | (sub ? AsSub : 0) | (imm ? AsImm : 0));
                    return;
                }

                case 4:
                {
                    // Conditional select
                    if (((raw >> 29) & 1) != 0 || ((raw >> 11) & 1) != 0)
                    {
                        return;
                    }

                    uint kind = (((raw >> 30) & 1) << 1) | ((raw >> 10) & 1);
                    d.Rd = Wr(rd);
                    d.Rn = Rs(rn);
                    d.Rm = Rs(rm);
                    d.B = (byte)((raw >> 12) & 15);
                    d.Op = (kind, sf) switch
                    {
                        (0, true) => Op.Csel64,
                        (0, false) => Op.Csel32,
                        (1, true) => Op.Csinc64,
                        (1, false) => Op.Csinc32,
                        (2, true) => Op.Csinv64,
                        (2, false) => Op.Csinv32,
                        (3, true) => Op.Csneg64,
                        _ => Op.Csneg32,
                    };
                    return;
                }

                case 6:
                {
                    if (((raw >> 29) & 1) != 0)
                    {
                        return;
                    }

                    uint opcode = (raw >> 10) & 63;
                    d.Rd = Wr(rd);
                    d.Rn = Rs(rn);
                    d.Rm = Rs(rm);
                    if (((raw >> 30) & 1) != 0)
                    {
                        // Data processing (1 source)
                        if (rm != 0)
                        {
                            return;
                        }

                        d.Op = (opcode, sf) switch
                        {
                            (0, true) => Op.Rbit64,
                            (0, false) => Op.Rbit32,
                            (1, true) => Op.Rev16_64,
                            (1, false) => Op.Rev16_32,
                            (2, true) => Op.Rev32_64,
                            (2, false) => Op.Rev32,
                            (3, true) => Op.Rev64,
                            (4, true) => Op.Clz64,
                            (4, false) => Op.Clz32,
                            (5, true) => Op.Cls64,
                            (5, false) => Op.Cls32,
                            _ => Op.Undefined,
                        };
                        return;
                    }

                    // Data processing (2 source)
                    d.Op = (opcode, sf) switch
                    {
                        (2, true) => Op.Udiv64,
                        (2, false) => Op.Udiv32,
                        (3, true) => Op.Sdiv64,
                        (3, false) => Op.Sdiv32,
                        (8, true) => Op.Lslv64,
                        (8, false) => Op.Lslv32,
                        (9, true) => Op.Lsrv64,
                        (9, false) => Op.Lsrv32,
                        (10, true) => Op.Asrv64,
                        (10, false) => Op.Asrv32,
                        (11, true) => Op.Rorv64,
                        (11, false) => Op.Rorv32,
                        _ => Op.Undefined,
                    };
                    if (d.Op == Op.Undefined && (opcode & 0x38) == 0x10)
                    {
                        uint sz = opcode & 3;
                        if ((sz == 3) == sf)
                        {
                            d.Op = Op.Crc32;
                            d.Size = (byte)(1 << (int)sz);
                            d.A = (byte)((opcode >> 2) & 1);
                        }
                    }

                    return;
                }

                default:
                {
                    if ((op2 & 8) == 0 || ((raw >> 29) & 3) != 0)
                    {
                        return;
                    }

                    // Data processing (3 source)
                    uint op31 = (raw >> 21) & 7, o0 = (raw >> 15) & 1, ra = (raw >> 10) & 31;
                    d.Rd = Wr(rd);
                    d.Rn = Rs(rn);
                    d.Rm = Rs(rm);
                    d.Ra = Rs(ra);
                    if (op31 == 0)
                    {
                        d.Op = (o0, sf, ra == 31) switch
                        {
                            (0, true, true) => Op.Mul64,
                            (0, false, true) => Op.Mul32,
                            (0, true, false) => Op.Madd64,
                            (0, false, false) => Op.Madd32,
                            (_, true, _) => Op.Msub64,
                            _ => Op.Msub32,
                        };
                        return;
                    }

                    if (!sf)
                    {
                        return;
                    }

                    d.Op = (op31, o0) switch
                    {
                        (1, 0) => Op.Smaddl,
                        (1, 1) => Op.Smsubl,
                        (2, 0) => Op.Smulh,
                        (5, 0) => Op.Umaddl,
                        (5, 1) => Op.Umsubl,
                        (6, 0) => Op.Umulh,
                        _ => Op.Undefined,
                    };
                    return;
                }
            }
        }
    }
}
