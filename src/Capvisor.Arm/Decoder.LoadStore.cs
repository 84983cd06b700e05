namespace Capvisor.Arm
{
    internal static partial class Decoder
    {
        private static void DecodeLoadStore(uint raw, ref DecodedInst d)
        {
            uint op29 = (raw >> 28) & 3;
            bool simd = ((raw >> 26) & 1) != 0;
            switch (op29)
            {
                case 0:
                    if (!simd)
                    {
                        if (((raw >> 24) & 1) == 0)
                        {
                            DecodeExclusive(raw, ref d);
                        }
                    }
                    else
                    {
                        DecodeStructure(raw, ref d);
                    }

                    return;
                case 1:
                    if (((raw >> 24) & 1) == 0)
                    {
                        DecodeLiteral(raw, ref d, simd);
                    }

                    return;
                case 2:
                    DecodePair(raw, ref d, simd);
                    return;
                default:
                    DecodeSingle(raw, ref d, simd);
                    return;
            }
        }

        private static void DecodeExclusive(uint raw, ref DecodedInst d)
        {
            uint size = raw >> 30, o2 = (raw >> 23) & 1, l = (raw >> 22) & 1, o1 = (raw >> 21) & 1, o0 = (raw >> 15) & 1;
            uint rs = (raw >> 16) & 31, rt2 = (raw >> 10) & 31, rn = (raw >> 5) & 31, rt = raw & 31;
            d.Rn = (byte)rn;
            d.Size = (byte)(1 << (int)size);
            if (o2 == 0)
            {
                if (o1 == 0)
                {
                    // STXR/STLXR/LDXR/LDAXR (any size)
                    if (l != 0)
                    {
                        d.Op = Op.Ldxr;
                        d.Rd = Wr(rt);
                    }
                    else
                    {
                        d.Op = Op.Stxr;
                        d.Rd = Rs(rt);
                        d.Rm = Wr(rs);
                    }

                    return;
                }

                // Pairs: 32-bit (size 10) or 64-bit (size 11) elements
                if ((size & 2) == 0)
                {
                    return;
                }

                d.Size = (byte)(size == 3 ? 8 : 4);
                if (l != 0)
                {
                    d.Op = Op.Ldxp;
                    d.Rd = Wr(rt);
                    d.Ra = Wr(rt2);
                }
                else
                {
                    d.Op = Op.Stxp;
                    d.Rd = Rs(rt);
                    d.Ra = Rs(rt2);
                    d.Rm = Wr(rs);
                }

                return;
            }

            // LDAR/STLR; LDLAR/STLLR (o0 = 0) and CAS (o1 = 1) are later extensions.
            if (o1 != 0 || o0 == 0)
            {
                return;
            }

            if (l != 0)
            {
                d.Op = Op.Ldar;
                d.Rd = Wr(rt);
            }
            else
            {
                d.Op = Op.Stlr;
                d.Rd = Rs(rt);
            }
        }

        /// <summary>AdvSIMD load/store multiple structures and single structure (bits 31 = 0, 29:25 = 00110).</summary>
        private static void DecodeStructure(uint raw, ref DecodedInst d)
        {
            if ((raw >> 31) != 0)
            {
                return;
            }

            bool single = ((raw >> 24) & 1) != 0, post = ((raw >> 23) & 1) != 0, load = ((raw >> 22) & 1) != 0;
            uint rm = (raw >> 16) & 31, q = (raw >> 30) & 1, size = (raw >> 10) & 3;
            if (!post && rm != 0)
            {
                return;
            }

            d.Rd = (byte)(raw & 31);
            d.Rn = (byte)((raw >> 5) & 31);
            d.Rm = (byte)rm;
            d.C = (byte)(post ? 1 : 0);
            d.D = (byte)q;
            if (!single)
            {
                if (((raw >> 21) & 1) != 0)
                {
                    return;
                }

                (int rpt, int selem) = ((raw >> 12) & 15) switch
                {
                    0 => (1, 4),
                    2 => (4, 1),
                    4 => (1, 3),
                    6 => (3, 1),
                    7 => (1, 1),
                    8 => (1, 2),
                    10 => (2, 1),
                    _ => (0, 0),
                };
                if (rpt == 0 || (size == 3 && q == 0 && selem != 1))
                {
                    return;
                }

                d.Op = load ? Op.SimdLdMulti : Op.SimdStMulti;
                d.Size = (byte)size;
                d.A = (byte)rpt;
                d.B = (byte)selem;
                return;
            }

            uint opcode = (raw >> 13) & 7, s = (raw >> 12) & 1, r = (raw >> 21) & 1;
            uint scale = opcode >> 1;
            uint index;
            d.B = (byte)((((opcode & 1) << 1) | r) + 1);
            switch (scale)
            {
                case 0:
                    index = (q << 3) | (s << 2) | size;
                    break;
                case 1:
                    if ((size & 1) != 0)
                    {
                        return;
                    }

                    index = (q << 2) | (s << 1) | (size >> 1);
                    break;
                case 2:
                    if ((size & 2) != 0)
                    {
                        return;
                    }

                    if ((size & 1) == 0)
                    {
                        index = (q << 1) | s;
                    }
                    else
                    {
                        if (s != 0)
                        {
                            return;
                        }

                        index = q;
                        scale = 3;
                    }

                    break;
                default:
                    if (!load || s != 0)
                    {
                        return;
                    }

                    d.Op = Op.SimdLdReplicate;
                    d.Size = (byte)size;
                    return;
            }

            d.Op = load ? Op.SimdLdSingle : Op.SimdStSingle;
            d.Size = (byte)scale;
            d.A = (byte)index;
        }

        private static void DecodeLiteral(uint raw, ref DecodedInst d, bool simd)
        {
            uint opc = raw >> 30, rt = raw & 31;
            d.Imm = SignExtend((ulong)((raw >> 5) & 0x7FFFF) << 2, 21);
            if (simd)
            {
                if (opc == 3)
                {
                    return;
                }

                d.Op = Op.FpLdLit;
                d.Rd = (byte)rt;
                d.Size = (byte)(4 << (int)opc);
                return;
            }

            switch (opc)
            {
                case 0: d.Op = Op.LdLit; d.Size = 4; break;
                case 1: d.Op = Op.LdLit; d.Size = 8; break;
                case 2: d.Op = Op.LdLit; d.Size = 4; d.B = ExtSign64; break;
                default: d.Op = Op.Nop; return; // PRFM (literal)
            }

            d.Rd = Wr(rt);
        }

        private static void DecodePair(uint raw, ref DecodedInst d, bool simd)
        {
            uint opc = raw >> 30, mode = (raw >> 23) & 3, l = (raw >> 22) & 1;
            uint rt2 = (raw >> 10) & 31, rn = (raw >> 5) & 31, rt = raw & 31;
            int size;
            if (simd)
            {
                if (opc == 3)
                {
                    return;
                }

                size = 4 << (int)opc;
                d.Op = l != 0 ? Op.FpLdp : Op.FpStp;
                d.Rd = (byte)rt;
                d.Rm = (byte)rt2;
            }
            else
            {
                if (opc == 3 || (opc == 1 && (l == 0 || mode == 0)))
                {
                    return;
                }

                size = opc == 2 ? 8 : 4;
                d.B = opc == 1 ? ExtSign64 : ExtZero;
                if (l != 0)
                {
                    d.Op = Op.Ldp;
                    d.Rd = Wr(rt);
                    d.Rm = Wr(rt2);
                }
                else
                {
                    d.Op = Op.Stp;
                    d.Rd = Rs(rt);
                    d.Rm = Rs(rt2);
                }
            }

            d.Size = (byte)size;
            d.Rn = (byte)rn;
            d.Imm = SignExtend((raw >> 15) & 0x7F, 7) * size;
            d.C = mode switch
            {
                1 => ModePost,
                3 => ModePre,
                _ => ModeOffset, // 00 = non-temporal (LDNP/STNP), 10 = signed offset
            };
            if (!simd && size == 8)
            {
                d.Op = d.Op == Op.Ldp ? Op.LdpX : Op.StpX;
            }
        }

        private static void DecodeSingle(uint raw, ref DecodedInst d, bool simd)
        {
            uint size = raw >> 30, opc = (raw >> 22) & 3, rn = (raw >> 5) & 31, rt = raw & 31;
            bool unsignedOffset = ((raw >> 24) & 1) != 0;
            uint kind = (raw >> 10) & 3; // for bit 24 = 0: 00 unscaled, 01 post, 10 unprivileged/register, 11 pre
            bool register = false;
            byte mode = ModeOffset;
            bool unprivileged = false;
            if (!unsignedOffset)
            {
                if (((raw >> 21) & 1) != 0)
                {
                    if (kind != 2)
                    {
                        return; // atomics and pointer-authentication loads are later extensions
                    }

                    uint option = (raw >> 13) & 7;
                    if ((option & 2) == 0)
                    {
                        return;
                    }

                    register = true;
                    d.A = (byte)option;
                    d.Rm = Rs((raw >> 16) & 31);
                }
                else
                {
                    switch (kind)
                    {
                        case 1: mode = ModePost; break;
                        case 2: unprivileged = true; break;
                        case 3: mode = ModePre; break;
                    }

                    d.Imm = SignExtend((raw >> 12) & 0x1FF, 9);
                }
            }

            d.Rn = (byte)rn;
            d.C = mode;
            if (simd)
            {
                if (unprivileged)
                {
                    return;
                }

                int bytes;
                if (size == 0 && (opc & 2) != 0)
                {
                    bytes = 16;
                }
                else if ((opc & 2) == 0)
                {
                    bytes = 1 << (int)size;
                }
                else
                {
                    return;
                }

                bool load = (opc & 1) != 0;
                d.Size = (byte)bytes;
                d.Rd = (byte)rt;
                if (register)
                {
                    d.D = (byte)(((raw >> 12) & 1) != 0 ? System.Numerics.BitOperations.Log2((uint)bytes) : 0);
                    d.Op = load ? Op.FpLdReg : Op.FpStReg;
                }
                else
                {
                    if (unsignedOffset)
                    {
                        d.Imm = (long)((raw >> 10) & 0xFFF) * bytes;
                    }

                    d.Op = load ? Op.FpLdImm : Op.FpStImm;
                }

                return;
            }

            // General-purpose registers: size x opc.
            bool isLoad;
            byte ext = ExtZero;
            switch (opc)
            {
                case 0: isLoad = false; break;
                case 1: isLoad = true; break;
                case 2:
                    if (size == 3)
                    {
                        // PRFM / PRFUM (no pre/post-index or unprivileged form)
                        if (mode == ModeOffset && !unprivileged)
                        {
                            d.Op = Op.Nop;
                        }

                        return;
                    }

                    isLoad = true;
                    ext = ExtSign64;
                    break;
                default:
                    if (size >= 2)
                    {
                        return;
                    }

                    isLoad = true;
                    ext = ExtSign32;
                    break;
            }

            int bytesGp = 1 << (int)size;
            d.Size = (byte)bytesGp;
            d.B = ext;
            d.Rd = isLoad ? Wr(rt) : Rs(rt);
            if (register)
            {
                d.D = (byte)(((raw >> 12) & 1) != 0 ? (int)size : 0);
                if ((d.A & 3) == 3 && ext == ExtZero)
                {
                    // UXTX (LSL) and SXTX leave Xm as it is.
                    d.Op = isLoad ? Op.LdRegLsl : Op.StRegLsl;
                }
                else
                {
                    d.Op = isLoad ? Op.LdReg : Op.StReg;
                }

                return;
            }

            if (unsignedOffset)
            {
                d.Imm = (long)((raw >> 10) & 0xFFF) * bytesGp;
            }

            if (unprivileged)
            {
                d.D = (byte)AccessFlags.Unprivileged;
            }

            if (mode == ModeOffset && !unprivileged && ext == ExtZero)
            {
                d.Op = (isLoad, bytesGp) switch
                {
                    (true, 8) => Op.LdrX,
                    (true, 4) => Op.LdrW,
                    (true, 2) => Op.LdrH,
                    (true, _) => Op.LdrB,
                    (false, 8) => Op.StrX,
                    (false, 4) => Op.StrW,
                    (false, 2) => Op.StrH,
                    _ => Op.StrB,
                };
                return;
            }

            d.Op = isLoad ? Op.LdImm : Op.StImm;
        }
    }
}
