namespace Capvisor.Arm
{
    /// <summary>
    /// Decodes the A64 SIMD&amp;FP data-processing space (op0 = x111) of Armv8.0-A without FP16
    /// arithmetic, crypto or SVE into <see cref="SimdFpInst"/>. Anything else decodes as
    /// <see cref="SimdFpKind.Undefined"/>.
    /// </summary>
    internal static class SimdFpDecoder
    {
        private static uint Bits(uint x, int lo, int n) => (x >> lo) & ((1u << n) - 1);

        public static void Decode(uint raw, out SimdFpInst d)
        {
            d = default;
            d.Raw = raw;
            d.Valid = true;
            d.Rd = (byte)(raw & 31);
            d.Rn = (byte)((raw >> 5) & 31);
            d.Rm = (byte)((raw >> 16) & 31);
            d.Ra = (byte)((raw >> 10) & 31);
            d.Kind = Classify(raw, ref d);
        }

        private static SimdFpKind Classify(uint raw, ref SimdFpInst d)
        {
            uint op0 = raw >> 28;
            if ((raw & 0x0E000000) != 0x0E000000)
            {
                return SimdFpKind.Undefined;
            }

            if ((op0 & 0b0101) == 0b0001)
            {
                return DecodeFp(raw, ref d);
            }

            if ((op0 & 0b1101) == 0b0101)
            {
                return DecodeAdvSimd(raw, ref d, scalar: true);
            }

            if ((op0 & 0b1001) == 0)
            {
                return DecodeAdvSimd(raw, ref d, scalar: false);
            }

            return SimdFpKind.Undefined; // crypto and reserved
        }

        private static SimdFpKind DecodeAdvSimd(uint raw, ref SimdFpInst d, bool scalar)
        {
            bool q = !scalar && (raw & (1u << 30)) != 0;
            d.Bytes = (byte)(scalar ? 0 : q ? 16 : 8);
            uint u = Bits(raw, 29, 1);
            uint size = Bits(raw, 22, 2);
            bool b24 = (raw & (1u << 24)) != 0;
            bool b21 = (raw & (1u << 21)) != 0;
            bool b10 = (raw & (1u << 10)) != 0;
            bool b11 = (raw & (1u << 11)) != 0;
            bool b15 = (raw & (1u << 15)) != 0;
            if (b24)
            {
                if (!b10)
                {
                    return DecodeIndexed(raw, q, u, size, ref d, scalar);
                }

                if ((raw & (1u << 23)) == 0)
                {
                    if (!scalar && Bits(raw, 19, 4) == 0)
                    {
                        return DecodeModifiedImm(raw, q, ref d);
                    }

                    if (Bits(raw, 19, 4) == 0)
                    {
                        return SimdFpKind.Undefined;
                    }

                    return DecodeShiftImm(raw, q, u, ref d, scalar);
                }

                return SimdFpKind.Undefined;
            }

            if (b21)
            {
                if (b10)
                {
                    return DecodeThreeSame(raw, q, u, size, ref d, scalar);
                }

                if (!b11)
                {
                    return DecodeThreeDifferent(raw, q, u, size, ref d, scalar);
                }

                uint mid = Bits(raw, 17, 4);
                if (mid == 0)
                {
                    return DecodeTwoRegMisc(raw, q, u, size, ref d, scalar);
                }

                if (mid == 0b1000)
                {
                    return scalar ? DecodeScalarPairwise(raw, u, size, ref d) : DecodeAcrossLanes(raw, q, u, size, ref d);
                }

                return SimdFpKind.Undefined;
            }

            if (b10)
            {
                if (b15 || (raw & (1u << 23)) != 0 || (raw & (1u << 22)) != 0)
                {
                    return SimdFpKind.Undefined; // three-reg extension / FP16 three same
                }

                if (scalar)
                {
                    uint imm5 = Bits(raw, 16, 5);
                    if (u != 0 || Bits(raw, 11, 4) != 0 || (imm5 & 0xF) == 0)
                    {
                        return SimdFpKind.Undefined;
                    }

                    int es = System.Numerics.BitOperations.TrailingZeroCount(imm5);
                    d.Size = (byte)es;
                    d.Imm = (int)(imm5 >> (es + 1));
                    return SimdFpKind.ScalarCopy;
                }

                return DecodeCopy(raw, q, u, ref d);
            }

            if (scalar || b15)
            {
                return SimdFpKind.Undefined;
            }

            if (u == 0)
            {
                if (!b11)
                {
                    // TBL/TBX: bits 23:22 must be 00
                    if (size != 0)
                    {
                        return SimdFpKind.Undefined;
                    }

                    d.Sub = (ushort)Bits(raw, 12, 1);
                    d.Imm = (int)Bits(raw, 13, 2) + 1;
                    return SimdFpKind.TableLookup;
                }

                uint opc = Bits(raw, 12, 3);
                if ((opc & 3) == 0 || (size == 3 && !q))
                {
                    return SimdFpKind.Undefined;
                }

                d.Sub = (ushort)opc;
                d.Size = (byte)size;
                return SimdFpKind.Permute;
            }

            {
                uint imm4 = Bits(raw, 11, 4);
                if (size != 0 || (!q && (imm4 & 8) != 0))
                {
                    return SimdFpKind.Undefined;
                }

                d.Imm = (int)imm4;
                return SimdFpKind.Extract;
            }
        }

        private static SimdFpKind DecodeCopy(uint raw, bool q, uint op, ref SimdFpInst d)
        {
            uint imm5 = Bits(raw, 16, 5);
            uint imm4 = Bits(raw, 11, 4);
            if ((imm5 & 0xF) == 0)
            {
                return SimdFpKind.Undefined;
            }

            int es = System.Numerics.BitOperations.TrailingZeroCount(imm5);
            d.Size = (byte)es;
            d.Imm = (int)(imm5 >> (es + 1));
            if (op == 1)
            {
                if (!q)
                {
                    return SimdFpKind.Undefined;
                }

                d.Sub = 4; // INS (element)
                d.Imm2 = (int)(imm4 >> es);
                return SimdFpKind.Copy;
            }

            switch (imm4)
            {
                case 0b0000: // DUP (element)
                    if (es == 3 && !q)
                    {
                        return SimdFpKind.Undefined;
                    }

                    d.Sub = 0;
                    return SimdFpKind.Copy;
                case 0b0001: // DUP (general)
                    if (es == 3 && !q)
                    {
                        return SimdFpKind.Undefined;
                    }

                    d.Sub = 1;
                    return SimdFpKind.Copy;
                case 0b0011: // INS (general)
                    if (!q)
                    {
                        return SimdFpKind.Undefined;
                    }

                    d.Sub = 3;
                    return SimdFpKind.Copy;
                case 0b0101: // SMOV
                    if (es == 3 || (es == 2 && !q))
                    {
                        return SimdFpKind.Undefined;
                    }

                    d.Sub = 5;
                    return SimdFpKind.Copy;
                case 0b0111: // UMOV
                    if ((es == 3) != q)
                    {
                        return SimdFpKind.Undefined;
                    }

                    d.Sub = 7;
                    return SimdFpKind.Copy;
                default:
                    return SimdFpKind.Undefined;
            }
        }

        private static SimdFpKind DecodeModifiedImm(uint raw, bool q, ref SimdFpInst d)
        {
            uint op = Bits(raw, 29, 1);
            uint cmode = Bits(raw, 12, 4);
            uint o2 = Bits(raw, 11, 1);
            uint imm8 = (Bits(raw, 16, 3) << 5) | Bits(raw, 5, 5);
            if (o2 != 0)
            {
                return SimdFpKind.Undefined; // FMOV half immediate (FP16)
            }

            if (cmode == 0xF && op == 1 && !q)
            {
                return SimdFpKind.Undefined;
            }

            // Sub: 0 = MOVI/FMOV (write), 1 = MVNI (write inverted), 2 = ORR, 3 = BIC
            ulong imm;
            if (cmode == 0xF)
            {
                if (op == 0)
                {
                    ulong s = ExpandFpImm(imm8, 1);
                    imm = s | (s << 32);
                }
                else
                {
                    imm = ExpandFpImm(imm8, 2);
                }

                d.Sub = 0;
            }
            else if (cmode == 0xE && op == 1)
            {
                imm = 0;
                for (int i = 0; i < 8; i++)
                {
                    if ((imm8 & (1u << i)) != 0)
                    {
                        imm |= 0xFFul << (8 * i);
                    }
                }

                d.Sub = 0;
            }
            else
            {
                imm = AdvSimdExpandImm(cmode, imm8);
                bool isOrrBic = (cmode & 1) == 1 && cmode < 12;
                if (isOrrBic)
                {
                    d.Sub = (ushort)(op == 0 ? 2 : 3);
                }
                else
                {
                    d.Sub = (ushort)(op == 0 || cmode == 0xE ? 0 : 1);
                }
            }

            d.Imm64 = imm;
            return SimdFpKind.ModifiedImm;
        }

        private static ulong AdvSimdExpandImm(uint cmode, uint imm8)
        {
            ulong i = imm8;
            switch (cmode >> 1)
            {
                case 0: return Rep32(i);
                case 1: return Rep32(i << 8);
                case 2: return Rep32(i << 16);
                case 3: return Rep32(i << 24);
                case 4: return Rep16(i);
                case 5: return Rep16(i << 8);
                case 6:
                    return (cmode & 1) == 0 ? Rep32((i << 8) | 0xFF) : Rep32((i << 16) | 0xFFFF);
                default:
                    return Rep8(i);
            }
        }

        private static ulong Rep32(ulong x) => x | (x << 32);

        private static ulong Rep16(ulong x) => Rep32(x | (x << 16));

        private static ulong Rep8(ulong x) => Rep16(x | (x << 8));

        /// <summary>VFPExpandImm: the 8-bit floating-point immediate for format fmt (0 = H, 1 = S, 2 = D).</summary>
        public static ulong ExpandFpImm(uint imm8, int fmt)
        {
            int e = FpCore.ExpW(fmt), f = FpCore.Frac(fmt);
            ulong sign = (ulong)(imm8 >> 7);
            ulong b6 = (imm8 >> 6) & 1;
            ulong exp = ((b6 ^ 1) << (e - 1)) | ((b6 != 0 ? (1ul << (e - 3)) - 1 : 0) << 2) | ((imm8 >> 4) & 3);
            ulong frac = (ulong)(imm8 & 0xF) << (f - 4);
            return (sign << (e + f)) | (exp << f) | frac;
        }

        private static SimdFpKind DecodeThreeSame(uint raw, bool q, uint u, uint size, ref SimdFpInst d, bool scalar)
        {
            uint opc = Bits(raw, 11, 5);
            if (opc >= 0x18)
            {
                uint a = size >> 1, sz = size & 1;
                uint key = (u << 6) | (a << 5) | opc;
                if (!scalar && sz == 1 && !q)
                {
                    return SimdFpKind.Undefined;
                }

                bool ok = scalar
                    ? key is 0x1B or 0x1C or 0x1F or 0x3F or 0x5C or 0x5D or 0x7A or 0x7C or 0x7D
                    : key is 0x18 or 0x19 or 0x1A or 0x1B or 0x1C or 0x1E or 0x1F
                        or 0x38 or 0x39 or 0x3A or 0x3E or 0x3F
                        or 0x58 or 0x5A or 0x5B or 0x5C or 0x5D or 0x5E or 0x5F
                        or 0x78 or 0x7A or 0x7C or 0x7D or 0x7E;
                if (!ok)
                {
                    return SimdFpKind.Undefined;
                }

                d.Sub = (ushort)key;
                d.Size = (byte)(sz + 1);
                return scalar ? SimdFpKind.ScalarThreeSameFp : SimdFpKind.ThreeSameFp;
            }

            uint k = (u << 5) | opc;
            d.Sub = (ushort)k;
            d.Size = (byte)size;
            if (scalar)
            {
                switch (k)
                {
                    case 0x01: case 0x05: case 0x09: case 0x0B:
                    case 0x21: case 0x25: case 0x29: case 0x2B:
                        return SimdFpKind.ScalarThreeSame;
                    case 0x06: case 0x07: case 0x08: case 0x0A: case 0x10: case 0x11:
                    case 0x26: case 0x27: case 0x28: case 0x2A: case 0x30: case 0x31:
                        return size == 3 ? SimdFpKind.ScalarThreeSame : SimdFpKind.Undefined;
                    case 0x16: case 0x36:
                        return size is 1 or 2 ? SimdFpKind.ScalarThreeSame : SimdFpKind.Undefined;
                    default:
                        return SimdFpKind.Undefined;
                }
            }

            switch (k)
            {
                case 0x03: case 0x23:
                    return SimdFpKind.ThreeSame;
                case 0x01: case 0x05: case 0x06: case 0x07: case 0x08: case 0x09: case 0x0A: case 0x0B:
                case 0x10: case 0x11: case 0x17:
                case 0x21: case 0x25: case 0x26: case 0x27: case 0x28: case 0x29: case 0x2A: case 0x2B:
                case 0x30: case 0x31:
                    return size == 3 && !q ? SimdFpKind.Undefined : SimdFpKind.ThreeSame;
                case 0x00: case 0x02: case 0x04: case 0x0C: case 0x0D: case 0x0E: case 0x0F:
                case 0x12: case 0x13: case 0x14: case 0x15:
                case 0x20: case 0x22: case 0x24: case 0x2C: case 0x2D: case 0x2E: case 0x2F:
                case 0x32: case 0x34: case 0x35:
                    return size == 3 ? SimdFpKind.Undefined : SimdFpKind.ThreeSame;
                case 0x16: case 0x36:
                    return size is 1 or 2 ? SimdFpKind.ThreeSame : SimdFpKind.Undefined;
                case 0x33:
                    return size == 0 ? SimdFpKind.ThreeSame : SimdFpKind.Undefined;
                default:
                    return SimdFpKind.Undefined;
            }
        }

        private static SimdFpKind DecodeTwoRegMisc(uint raw, bool q, uint u, uint size, ref SimdFpInst d, bool scalar)
        {
            uint opc = Bits(raw, 12, 5);
            uint a = size >> 1, sz = size & 1;
            uint fk = (u << 6) | (a << 5) | opc;
            // Floating-point forms.
            bool fp;
            if (scalar)
            {
                fp = fk is 0x1A or 0x1B or 0x1C or 0x1D or 0x3A or 0x3B or 0x3D or 0x3F or 0x2C or 0x2D or 0x2E
                    or 0x5A or 0x5B or 0x5C or 0x5D or 0x7A or 0x7B or 0x7D or 0x6C or 0x6D or 0x56;
            }
            else
            {
                fp = fk is 0x16 or 0x17 or 0x18 or 0x19 or 0x1A or 0x1B or 0x1C or 0x1D
                    or 0x38 or 0x39 or 0x3A or 0x3B or 0x3D or 0x2C or 0x2D or 0x2E or 0x2F
                    or 0x56 or 0x58 or 0x59 or 0x79 or 0x5A or 0x5B or 0x5C or 0x5D or 0x7A or 0x7B or 0x7D
                    or 0x6C or 0x6D or 0x6F or 0x7F
                    or 0x3C or 0x7C; // URECPE, URSQRTE (integer, but in the FP-shaped space)
            }

            if (fp)
            {
                d.Sub = (ushort)fk;
                d.Size = (byte)(sz + 1);
                if (fk is 0x16 or 0x17 or 0x56)
                {
                    // FCVTN/FCVTL/FCVTXN: Q picks the half; FCVTXN needs sz = 1.
                    if (fk == 0x56 && sz == 0)
                    {
                        return SimdFpKind.Undefined;
                    }

                    return scalar ? SimdFpKind.ScalarTwoRegMiscFp : SimdFpKind.TwoRegMiscFp;
                }

                if (fk is 0x3C or 0x7C && sz == 1)
                {
                    return SimdFpKind.Undefined;
                }

                if (!scalar && sz == 1 && !q)
                {
                    return SimdFpKind.Undefined;
                }

                return scalar ? SimdFpKind.ScalarTwoRegMiscFp : SimdFpKind.TwoRegMiscFp;
            }

            uint k = (u << 5) | opc;
            d.Sub = (ushort)k;
            d.Size = (byte)size;
            if (scalar)
            {
                switch (k)
                {
                    case 0x03: case 0x07: case 0x23: case 0x27:
                        return SimdFpKind.ScalarTwoRegMisc;
                    case 0x08: case 0x09: case 0x0A: case 0x0B: case 0x28: case 0x29: case 0x2B:
                        return size == 3 ? SimdFpKind.ScalarTwoRegMisc : SimdFpKind.Undefined;
                    case 0x14: case 0x32: case 0x34:
                        return size == 3 ? SimdFpKind.Undefined : SimdFpKind.ScalarTwoRegMisc;
                    default:
                        return SimdFpKind.Undefined;
                }
            }

            switch (k)
            {
                case 0x00: case 0x02: case 0x04: case 0x06: case 0x12: case 0x14:
                case 0x22: case 0x24: case 0x26: case 0x32: case 0x33: case 0x34:
                    return size == 3 ? SimdFpKind.Undefined : SimdFpKind.TwoRegMisc;
                case 0x01: case 0x05:
                    return size == 0 ? SimdFpKind.TwoRegMisc : SimdFpKind.Undefined;
                case 0x20:
                    return size < 2 ? SimdFpKind.TwoRegMisc : SimdFpKind.Undefined;
                case 0x25:
                    return size < 2 ? SimdFpKind.TwoRegMisc : SimdFpKind.Undefined;
                case 0x03: case 0x07: case 0x08: case 0x09: case 0x0A: case 0x0B:
                case 0x23: case 0x27: case 0x28: case 0x29: case 0x2B:
                    return size == 3 && !q ? SimdFpKind.Undefined : SimdFpKind.TwoRegMisc;
                default:
                    return SimdFpKind.Undefined;
            }
        }

        private static SimdFpKind DecodeAcrossLanes(uint raw, bool q, uint u, uint size, ref SimdFpInst d)
        {
            uint opc = Bits(raw, 12, 5);
            if (u == 1 && (opc == 0x0C || opc == 0x0F))
            {
                if ((size & 1) != 0 || !q)
                {
                    return SimdFpKind.Undefined;
                }

                d.Sub = (ushort)((size >> 1) << 5 | opc);
                d.Size = 1;
                return SimdFpKind.AcrossLanesFp;
            }

            uint k = (u << 5) | opc;
            if (!(k is 0x03 or 0x0A or 0x1A or 0x1B or 0x23 or 0x2A or 0x3A) || size == 3 || (size == 2 && !q))
            {
                return SimdFpKind.Undefined;
            }

            d.Sub = (ushort)k;
            d.Size = (byte)size;
            return SimdFpKind.AcrossLanes;
        }

        private static SimdFpKind DecodeScalarPairwise(uint raw, uint u, uint size, ref SimdFpInst d)
        {
            uint opc = Bits(raw, 12, 5);
            if (u == 0)
            {
                if (opc == 0x1B && size == 3)
                {
                    d.Sub = 0x1B;
                    d.Size = 3;
                    return SimdFpKind.ScalarPairwise;
                }

                return SimdFpKind.Undefined;
            }

            uint a = size >> 1;
            uint key = (a << 5) | opc;
            if (!(key is 0x0C or 0x2C or 0x0D or 0x0F or 0x2F))
            {
                return SimdFpKind.Undefined;
            }

            d.Sub = (ushort)key;
            d.Size = (byte)((size & 1) + 1);
            return SimdFpKind.ScalarPairwiseFp;
        }

        private static SimdFpKind DecodeThreeDifferent(uint raw, bool q, uint u, uint size, ref SimdFpInst d, bool scalar)
        {
            uint opc = Bits(raw, 12, 4);
            uint k = (u << 4) | opc;
            d.Sub = (ushort)k;
            d.Size = (byte)size;
            if (scalar)
            {
                return k is 0x9 or 0xB or 0xD && size is 1 or 2 ? SimdFpKind.ScalarThreeDifferent : SimdFpKind.Undefined;
            }

            if (opc == 0xF || size == 3)
            {
                return SimdFpKind.Undefined;
            }

            if (u == 1 && opc is 0x9 or 0xB or 0xD or 0xE)
            {
                return SimdFpKind.Undefined;
            }

            if (k is 0x9 or 0xB or 0xD && size == 0)
            {
                return SimdFpKind.Undefined;
            }

            if (k == 0xE && size != 0)
            {
                return SimdFpKind.Undefined;
            }

            return SimdFpKind.ThreeDifferent;
        }

        private static SimdFpKind DecodeShiftImm(uint raw, bool q, uint u, ref SimdFpInst d, bool scalar)
        {
            uint immh = Bits(raw, 19, 4);
            uint immhb = Bits(raw, 16, 7);
            uint opc = Bits(raw, 11, 5);
            int es = 31 - System.Numerics.BitOperations.LeadingZeroCount(immh);
            int esize = 8 << es;
            uint k = (u << 5) | opc;
            d.Sub = (ushort)k;
            d.Size = (byte)es;
            int right = 2 * esize - (int)immhb;
            int left = (int)immhb - esize;
            switch (k)
            {
                case 0x00: case 0x02: case 0x04: case 0x06: case 0x20: case 0x22: case 0x24: case 0x26: case 0x28:
                    d.Imm = right;
                    return Wide(es, q, scalar, scalarNeeds64: true);
                case 0x0A: case 0x2A:
                    d.Imm = left;
                    return Wide(es, q, scalar, scalarNeeds64: true);
                case 0x0E: case 0x2C: case 0x2E:
                    d.Imm = left;
                    return Wide(es, q, scalar, scalarNeeds64: false);
                case 0x10: case 0x11:
                    d.Imm = right;
                    return scalar || es == 3 ? SimdFpKind.Undefined : SimdFpKind.ShiftImm;
                case 0x12: case 0x13: case 0x30: case 0x31: case 0x32: case 0x33:
                    d.Imm = right;
                    return es == 3 ? SimdFpKind.Undefined : scalar ? SimdFpKind.ScalarShiftImm : SimdFpKind.ShiftImm;
                case 0x14: case 0x34:
                    d.Imm = left;
                    return scalar || es == 3 ? SimdFpKind.Undefined : SimdFpKind.ShiftImm;
                case 0x1C: case 0x1F: case 0x3C: case 0x3F:
                    if (es < 2 || (!scalar && es == 3 && !q))
                    {
                        return SimdFpKind.Undefined;
                    }

                    d.Imm = right;
                    d.Size = (byte)(es - 1);
                    return scalar ? SimdFpKind.ScalarShiftImmFp : SimdFpKind.ShiftImmFp;
                default:
                    return SimdFpKind.Undefined;
            }
        }

        private static SimdFpKind Wide(int es, bool q, bool scalar, bool scalarNeeds64)
        {
            if (scalar)
            {
                return scalarNeeds64 && es != 3 ? SimdFpKind.Undefined : SimdFpKind.ScalarShiftImm;
            }

            return es == 3 && !q ? SimdFpKind.Undefined : SimdFpKind.ShiftImm;
        }

        private static SimdFpKind DecodeIndexed(uint raw, bool q, uint u, uint size, ref SimdFpInst d, bool scalar)
        {
            uint opc = Bits(raw, 12, 4);
            uint l = Bits(raw, 21, 1), m = Bits(raw, 20, 1), h = Bits(raw, 11, 1);
            uint k = (u << 4) | opc;
            d.Sub = (ushort)k;
            bool isFp = k is 0x1 or 0x5 or 0x9 or 0x19;
            if (isFp)
            {
                if (size < 2)
                {
                    return SimdFpKind.Undefined;
                }

                d.Rm = (byte)Bits(raw, 16, 5);
                if (size == 2)
                {
                    d.Imm = (int)((h << 1) | l);
                    d.Size = 1;
                }
                else
                {
                    if (l == 1 || (!scalar && !q))
                    {
                        return SimdFpKind.Undefined;
                    }

                    d.Imm = (int)h;
                    d.Size = 2;
                }

                return scalar ? SimdFpKind.ScalarIndexedElementFp : SimdFpKind.IndexedElementFp;
            }

            bool ok = scalar
                ? k is 0x3 or 0x7 or 0xB or 0xC or 0xD
                : k is 0x2 or 0x3 or 0x6 or 0x7 or 0x8 or 0xA or 0xB or 0xC or 0xD or 0x10 or 0x12 or 0x14 or 0x16 or 0x1A;
            if (!ok || size == 0 || size == 3)
            {
                return SimdFpKind.Undefined;
            }

            d.Size = (byte)size;
            if (size == 1)
            {
                d.Imm = (int)((h << 2) | (l << 1) | m);
                d.Rm = (byte)Bits(raw, 16, 4);
            }
            else
            {
                d.Imm = (int)((h << 1) | l);
                d.Rm = (byte)Bits(raw, 16, 5);
            }

            return scalar ? SimdFpKind.ScalarIndexedElement : SimdFpKind.IndexedElement;
        }

        private static SimdFpKind DecodeFp(uint raw, ref SimdFpInst d)
        {
            uint ptype = Bits(raw, 22, 2);
            bool sf = (raw & (1u << 31)) != 0;
            bool s = (raw & (1u << 29)) != 0;
            int fmt = ptype switch { 0 => 1, 1 => 2, 3 => 0, _ => -1 };
            if (s)
            {
                return SimdFpKind.Undefined;
            }

            if ((raw & (1u << 24)) != 0)
            {
                // 3-source: M must be 0, half needs FP16.
                if (sf || fmt <= 0)
                {
                    return SimdFpKind.Undefined;
                }

                d.Size = (byte)fmt;
                d.Sub = (ushort)((Bits(raw, 21, 1) << 1) | Bits(raw, 15, 1));
                return SimdFpKind.FpDp3;
            }

            if ((raw & (1u << 21)) == 0)
            {
                // Conversion between floating point and fixed point.
                uint rmode = Bits(raw, 19, 2), opcode = Bits(raw, 16, 3);
                uint scale = Bits(raw, 10, 6);
                uint key = (rmode << 3) | opcode;
                if (fmt <= 0 || (!sf && scale < 32) || !(key is 0x02 or 0x03 or 0x18 or 0x19))
                {
                    return SimdFpKind.Undefined;
                }

                d.Size = (byte)fmt;
                d.Sub = (ushort)key;
                d.Imm = 64 - (int)scale;
                d.Imm2 = sf ? 64 : 32;
                return SimdFpKind.FpFixed;
            }

            uint low = Bits(raw, 10, 6);
            if ((low & 3) == 1)
            {
                if (sf || fmt <= 0)
                {
                    return SimdFpKind.Undefined;
                }

                d.Size = (byte)fmt;
                d.Sub = (ushort)Bits(raw, 4, 1);
                d.Imm = (int)Bits(raw, 12, 4);
                d.Imm2 = (int)(raw & 0xF);
                return SimdFpKind.FpCondCompare;
            }

            if ((low & 3) == 2)
            {
                uint opc = Bits(raw, 12, 4);
                if (sf || fmt <= 0 || opc > 8)
                {
                    return SimdFpKind.Undefined;
                }

                d.Size = (byte)fmt;
                d.Sub = (ushort)opc;
                return SimdFpKind.FpDp2;
            }

            if ((low & 3) == 3)
            {
                if (sf || fmt <= 0)
                {
                    return SimdFpKind.Undefined;
                }

                d.Size = (byte)fmt;
                d.Imm = (int)Bits(raw, 12, 4);
                return SimdFpKind.FpCondSelect;
            }

            if ((low & 7) == 4)
            {
                if (sf || fmt <= 0 || Bits(raw, 5, 5) != 0)
                {
                    return SimdFpKind.Undefined;
                }

                d.Size = (byte)fmt;
                d.Imm64 = ExpandFpImm(Bits(raw, 13, 8), fmt);
                return SimdFpKind.FpImm;
            }

            if ((low & 0xF) == 8)
            {
                if (sf || fmt <= 0 || Bits(raw, 14, 2) != 0 || (raw & 7) != 0)
                {
                    return SimdFpKind.Undefined;
                }

                d.Size = (byte)fmt;
                d.Sub = (ushort)Bits(raw, 3, 2); // bit 0: with zero, bit 1: signalling (E)
                return SimdFpKind.FpCompare;
            }

            if ((low & 0x1F) == 0x10)
            {
                uint opc = Bits(raw, 15, 6);
                if (sf || fmt < 0)
                {
                    return SimdFpKind.Undefined;
                }

                d.Size = (byte)fmt;
                d.Sub = (ushort)opc;
                if (opc is 4 or 5 or 7)
                {
                    int to = opc == 4 ? 1 : opc == 5 ? 2 : 0;
                    if (to == fmt)
                    {
                        return SimdFpKind.Undefined;
                    }

                    d.Imm = to;
                    return SimdFpKind.FpDp1;
                }

                if (fmt == 0 || !(opc is <= 3 or 8 or 9 or 10 or 11 or 12 or 14 or 15))
                {
                    return SimdFpKind.Undefined;
                }

                return SimdFpKind.FpDp1;
            }

            if (low == 0)
            {
                uint rmode = Bits(raw, 19, 2), opcode = Bits(raw, 16, 3);
                uint key = (rmode << 3) | opcode;
                d.Sub = (ushort)key;
                d.Imm2 = sf ? 64 : 32;
                if (opcode is 6 or 7)
                {
                    // FMOV (general)
                    bool ok = (rmode == 0 && ((!sf && ptype == 0) || (sf && ptype == 1)))
                        || (rmode == 1 && sf && ptype == 2);
                    if (!ok)
                    {
                        return SimdFpKind.Undefined;
                    }

                    d.Size = (byte)(ptype == 0 ? 1 : 2);
                    return SimdFpKind.FpInt;
                }

                if (fmt <= 0)
                {
                    return SimdFpKind.Undefined;
                }

                if (opcode is 2 or 3 ? rmode != 0 : opcode is 4 or 5 ? rmode != 0 : opcode > 1)
                {
                    return SimdFpKind.Undefined;
                }

                d.Size = (byte)fmt;
                return SimdFpKind.FpInt;
            }

            return SimdFpKind.Undefined;
        }
    }
}
