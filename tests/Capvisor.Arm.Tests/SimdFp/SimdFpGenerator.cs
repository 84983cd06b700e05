namespace Capvisor.Arm.Tests.SimdFp
{
    /// <summary>Random instruction words within the SIMD&amp;FP encoding classes, and random register contents rich in special values.</summary>
    internal sealed class SimdFpGenerator
    {
        /// <summary>(name, fixed-bit mask, fixed-bit value): the remaining bits are random.</summary>
        public static readonly (string Name, uint Mask, uint Value)[] Templates =
        {
            ("three-same", 0x9F200400, 0x0E200400),
            ("three-different", 0x9F200C00, 0x0E200000),
            ("two-reg-misc", 0x9F3E0C00, 0x0E200800),
            ("across-lanes", 0x9F3E0C00, 0x0E300800),
            ("copy", 0x9FE08400, 0x0E000400),
            ("modified-imm", 0x9FF80400, 0x0F000400),
            ("shift-imm", 0x9F800400, 0x0F000400),
            ("indexed", 0x9F000400, 0x0F000000),
            ("tbl", 0xBFE08C00, 0x0E000000),
            ("permute", 0xBF208C00, 0x0E000800),
            ("ext", 0xBFE08400, 0x2E000000),
            ("scalar-three-same", 0xDF200400, 0x5E200400),
            ("scalar-three-different", 0xDF200C00, 0x5E200000),
            ("scalar-two-reg-misc", 0xDF3E0C00, 0x5E200800),
            ("scalar-pairwise", 0xDF3E0C00, 0x5E300800),
            ("scalar-copy", 0xFFE0FC00, 0x5E000400),
            ("scalar-shift-imm", 0xDF800400, 0x5F000400),
            ("scalar-indexed", 0xDF000400, 0x5F000000),
            ("fp-dp1", 0xFF207C00, 0x1E204000),
            ("fp-dp2", 0xFF200C00, 0x1E200800),
            ("fp-dp3", 0xFF000000, 0x1F000000),
            ("fp-compare", 0xFF20FC07, 0x1E202000),
            ("fp-ccmp", 0xFF200C00, 0x1E200400),
            ("fp-csel", 0xFF200C00, 0x1E200C00),
            ("fp-imm", 0xFF201FE0, 0x1E201000),
            ("fp-int", 0x7F20FC00, 0x1E200000),
            ("fp-fixed", 0x7F200000, 0x1E000000),
            ("any", 0x0E000000, 0x0E000000),
        };

        private readonly Random _r;

        public SimdFpGenerator(int seed) => _r = new Random(seed);

        /// <summary>Encodings QEMU's cortex-a57 implements that this engine deliberately does not (crypto).</summary>
        public static bool Excluded(uint insn) =>
            (insn & 0xBFE0FC00) == 0x0EE0E000 // PMULL{2} .1Q
            || (insn & 0xFF3E0C00) == 0x4E280800 // AESE/AESD/AESMC/AESIMC
            || (insn & 0xFF208C00) == 0x5E000000 // SHA1C..SHA256SU1 (three-register SHA)
            || (insn & 0xFF3E0C00) == 0x5E280800; // SHA1H/SHA1SU1/SHA256SU0 (two-register SHA)

        public uint Instruction(out int template)
        {
            template = _r.Next(Templates.Length);
            var (_, mask, value) = Templates[template];
            bool wantAllocated = _r.Next(6) != 0;
            uint insn = 0;
            for (int tries = 0; tries < 200; tries++)
            {
                insn = ((uint)_r.NextInt64() & ~mask) | value;
                if (Excluded(insn))
                {
                    continue;
                }

                // Mostly allocated encodings (as this engine decodes them), some unallocated ones
                // so that UNDEFINED-ness is compared too.
                SimdFpDecoder.Decode(insn, out var d);
                if ((d.Kind != SimdFpKind.Undefined) == wantAllocated)
                {
                    return insn;
                }
            }

            return Excluded(insn) ? 0x1E222820 : insn;
        }

        /// <summary>
        /// Makes the operands of <paramref name="insn"/> related, so that additions cancel,
        /// fused multiply-adds nearly cancel and comparisons see equal values.
        /// </summary>
        public void Correlate(uint insn, ulong[] v)
        {
            int rd = (int)(insn & 31), rn = (int)((insn >> 5) & 31), rm = (int)((insn >> 16) & 31), ra = (int)((insn >> 10) & 31);
            switch (_r.Next(4))
            {
                case 0:
                {
                    // Rm close to ±Rn lane-wise (perturb low bits, maybe flip signs).
                    for (int h = 0; h < 2; h++)
                    {
                        ulong x = v[2 * rn + h];
                        ulong pert = (ulong)(uint)_r.Next(8) | ((ulong)(uint)_r.Next(8) << 32);
                        ulong flip = _r.Next(3) switch { 0 => 0, 1 => 0x8000000080000000ul, _ => 0x8000000000000000ul };
                        v[2 * rm + h] = (x ^ pert) ^ flip;
                    }

                    break;
                }

                case 1:
                {
                    // Scalar FMA: Ra = -(Rn × Rm) (host-rounded) ± a few ulps, in single and double lanes.
                    if ((insn & 0xFF000000) == 0x1F000000)
                    {
                        bool dbl = ((insn >> 22) & 3) == 1;
                        if (dbl)
                        {
                            double p = BitConverter.UInt64BitsToDouble(v[2 * rn]) * BitConverter.UInt64BitsToDouble(v[2 * rm]);
                            v[2 * ra] = (BitConverter.DoubleToUInt64Bits(-p) + (ulong)(_r.Next(5) - 2)) ^ (_r.Next(2) == 0 ? 0 : 0x8000000000000000ul);
                        }
                        else
                        {
                            float p = BitConverter.UInt32BitsToSingle((uint)v[2 * rn]) * BitConverter.UInt32BitsToSingle((uint)v[2 * rm]);
                            v[2 * ra] = (uint)(BitConverter.SingleToUInt32Bits(-p) + (uint)(_r.Next(5) - 2)) ^ (_r.Next(2) == 0 ? 0u : 0x80000000u);
                        }
                    }
                    else
                    {
                        // Vector FMLA/FMLS: accumulator = -(n × m) per double or single lane.
                        for (int h = 0; h < 2; h++)
                        {
                            if (_r.Next(2) == 0)
                            {
                                double p = BitConverter.UInt64BitsToDouble(v[2 * rn + h]) * BitConverter.UInt64BitsToDouble(v[2 * rm + h]);
                                v[2 * rd + h] = BitConverter.DoubleToUInt64Bits(-p) + (ulong)_r.Next(3);
                            }
                            else
                            {
                                ulong r = 0;
                                for (int l = 0; l < 2; l++)
                                {
                                    float p = BitConverter.UInt32BitsToSingle((uint)(v[2 * rn + h] >> (32 * l))) * BitConverter.UInt32BitsToSingle((uint)(v[2 * rm + h] >> (32 * l)));
                                    r |= (ulong)(BitConverter.SingleToUInt32Bits(-p) + (uint)_r.Next(3)) << (32 * l);
                                }

                                v[2 * rd + h] = r;
                            }
                        }
                    }

                    break;
                }

                default:
                    break;
            }
        }

        private static readonly uint[] Special32 =
        {
            0x00000000, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00001, 0x7F800001, 0xFFA00005,
            0x00000001, 0x807FFFFF, 0x00800000, 0x80800000, 0x7F7FFFFF, 0xFF7FFFFF, 0x3F800000, 0xBF800000,
            0x4F000000, 0xCF000000, 0x5F000000, 0xDF000000, 0x4F800000, 0x5F800000, 0x3F000000, 0x3FC00000,
            0x40200000, 0xC0200000, 0x3EFFFFFF, 0x4EFFFFFF, 0x00400000, 0x40000000, 0x7EFFFFFF, 0x01000000,
        };

        private static readonly ulong[] Special64 =
        {
            0x0000000000000000, 0x8000000000000000, 0x7FF0000000000000, 0xFFF0000000000000, 0x7FF8000000000000,
            0xFFF8000000000123, 0x7FF0000000000001, 0xFFF4000000000005, 0x0000000000000001, 0x800FFFFFFFFFFFFF,
            0x0010000000000000, 0x8010000000000000, 0x7FEFFFFFFFFFFFFF, 0xFFEFFFFFFFFFFFFF, 0x3FF0000000000000,
            0xBFF0000000000000, 0x41E0000000000000, 0xC1E0000000000000, 0x43E0000000000000, 0xC3E0000000000000,
            0x41F0000000000000, 0x43F0000000000000, 0x3FE0000000000000, 0x3FF8000000000000, 0x4004000000000000,
            0xC004000000000000, 0x41DFFFFFFFC00000, 0x41EFFFFFFFE00000, 0x0008000000000000, 0x4000000000000000,
            0x3810000000000000, 0x380FFFFFFFFFFFFF, 0x47EFFFFFE0000000, 0x47EFFFFFF0000000, 0x36A0000000000000,
        };

        private static readonly ushort[] Special16 =
        {
            0x0000, 0x8000, 0x7C00, 0xFC00, 0x7E00, 0xFE01, 0x7C01, 0x7D05, 0x0001, 0x83FF, 0x0400, 0x7BFF, 0x3C00, 0xBC00, 0x3800, 0x4000,
        };

        private uint Float32()
        {
            switch (_r.Next(4))
            {
                case 0: return Special32[_r.Next(Special32.Length)];
                case 1: return (uint)_r.NextInt64();
                default:
                {
                    // Normal with an exponent near the extremes or near 1, random fraction.
                    int[] exps = { 1, 2, 3, 24, 100, 126, 127, 128, 150, 157, 158, 159, 189, 190, 191, 250, 253, 254 };
                    uint e = (uint)exps[_r.Next(exps.Length)];
                    uint sign = (uint)_r.Next(2) << 31;
                    uint frac = (uint)_r.Next(1 << 23);
                    if (_r.Next(4) == 0)
                    {
                        frac &= 0x7FFFFFu << _r.Next(23);
                    }

                    return sign | (e << 23) | frac;
                }
            }
        }

        private ulong Float64()
        {
            switch (_r.Next(4))
            {
                case 0: return Special64[_r.Next(Special64.Length)];
                case 1: return (ulong)_r.NextInt64() ^ ((ulong)_r.Next(2) << 63);
                default:
                {
                    int[] exps = { 1, 2, 3, 53, 800, 895, 896, 897, 1022, 1023, 1024, 1075, 1085, 1086, 1087, 1117, 1150, 1200, 2045, 2046 };
                    ulong e = (ulong)exps[_r.Next(exps.Length)];
                    ulong sign = (ulong)_r.Next(2) << 63;
                    ulong frac = (ulong)_r.NextInt64() & 0xFFFFFFFFFFFFFul;
                    if (_r.Next(4) == 0)
                    {
                        frac &= 0xFFFFFFFFFFFFFul << _r.Next(52);
                    }

                    return sign | (e << 52) | frac;
                }
            }
        }

        public ulong Lane64()
        {
            switch (_r.Next(8))
            {
                case 0: return (ulong)_r.NextInt64() ^ ((ulong)_r.Next(2) << 63);
                case 1: case 2: return ((ulong)Float32() << 32) | Float32();
                case 3: case 4: return Float64();
                case 5:
                {
                    ulong v = 0;
                    for (int i = 0; i < 4; i++)
                    {
                        v |= (ulong)(_r.Next(3) == 0 ? Special16[_r.Next(Special16.Length)] : (ushort)_r.Next(65536)) << (16 * i);
                    }

                    return v;
                }

                case 6:
                {
                    // Bytes from a small alphabet (string-like data, equal lanes, zero bytes).
                    byte[] alpha = { 0x00, 0x01, 0x7F, 0x80, 0xFF, 0x41, 0x61, 0x0A, 0xFE };
                    ulong v = 0;
                    for (int i = 0; i < 8; i++)
                    {
                        v |= (ulong)alpha[_r.Next(alpha.Length)] << (8 * i);
                    }

                    return v;
                }

                default:
                {
                    ulong[] ints = { 0, 1, 2, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x7FFFFFFFFFFFFFFF, 0x8000000000000000, ulong.MaxValue, 63, 64, 65, 0xFFFFFFC0 };
                    return ints[_r.Next(ints.Length)];
                }
            }
        }

        public ulong XValue()
        {
            switch (_r.Next(4))
            {
                case 0: return (ulong)_r.NextInt64() ^ ((ulong)_r.Next(2) << 63);
                case 1: return (ulong)(_r.Next(2000) - 1000);
                default: return Lane64();
            }
        }

        public uint Fpcr()
        {
            uint v = (uint)_r.Next(4) << 22;
            if (_r.Next(3) == 0)
            {
                v |= 1u << 24;
            }

            if (_r.Next(3) == 0)
            {
                v |= 1u << 25;
            }

            if (_r.Next(8) == 0)
            {
                v |= 1u << 26;
            }

            return v;
        }

        public uint Fpsr() => _r.Next(2) == 0 ? 0 : (uint)_r.Next(256) & 0x9Fu | (_r.Next(4) == 0 ? 1u << 27 : 0);

        public uint Nzcv() => (uint)_r.Next(16) << 28;
    }
}
