using System.Runtime.CompilerServices;

namespace Capvisor.Arm
{
    public sealed partial class Cpu
    {
        // Every load/store computes its address and performs all of its accesses before it writes
        // any register, so an access that faults leaves the registers (including the base under
        // writeback) unchanged.
        //
        // CONSTRAINED UNPREDICTABLE choices, made as QEMU 7.2 does:
        // - load with writeback and Rt == Rn (Rn != SP): the writeback value wins;
        // - store with writeback and Rt == Rn: the value stored is Rt before writeback;
        // - LDP with Rt == Rt2: the value loaded for Rt wins; LDXP with Rt == Rt2: the value for Rt2 wins;
        // - STXR/STXP with Rs == Rt or Rs == Rn: the store uses the registers' old values.

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static ulong ExtendLoad(ulong value, int size, int ext) => ext switch
        {
            Decoder.ExtZero => value,
            Decoder.ExtSign64 => (ulong)((long)(value << (64 - 8 * size)) >> (64 - 8 * size)),
            _ => (uint)((int)((uint)value << (32 - 8 * size)) >> (32 - 8 * size)),
        };

        private void ExecuteLoadImmediate(ref DecodedInst d)
        {
            ulong b = BaseAddress(d.Rn);
            ulong address = d.C == Decoder.ModePost ? b : b + (ulong)d.Imm;
            ulong v = ExtendLoad(Read(address, d.Size, (AccessFlags)d.D), d.Size, d.B);
            Reg(d.Rd) = v;
            if (d.C != Decoder.ModeOffset)
            {
                SetRegOrSp(d.Rn, b + (ulong)d.Imm);
            }
        }

        private void ExecuteStoreImmediate(ref DecodedInst d)
        {
            ulong b = BaseAddress(d.Rn);
            ulong address = d.C == Decoder.ModePost ? b : b + (ulong)d.Imm;
            Write(address, d.Size, Reg(d.Rd), (AccessFlags)d.D);
            if (d.C != Decoder.ModeOffset)
            {
                SetRegOrSp(d.Rn, b + (ulong)d.Imm);
            }
        }

        private ulong RegisterOffsetAddress(ref DecodedInst d) =>
            BaseAddress(d.Rn) + ExtendReg(Reg(d.Rm), d.A, d.D);

        private void ExecuteLoadRegister(ref DecodedInst d)
        {
            ulong address = RegisterOffsetAddress(ref d);
            Reg(d.Rd) = ExtendLoad(Read(address, d.Size), d.Size, d.B);
        }

        private void ExecuteStoreRegister(ref DecodedInst d)
        {
            ulong address = RegisterOffsetAddress(ref d);
            Write(address, d.Size, Reg(d.Rd));
        }

        private void ExecuteLoadPair(ref DecodedInst d)
        {
            ulong b = BaseAddress(d.Rn);
            ulong address = d.C == Decoder.ModePost ? b : b + (ulong)d.Imm;
            int size = d.Size;
            ulong v1 = ExtendLoad(Read(address, size), size, d.B);
            ulong v2 = ExtendLoad(Read(address + (ulong)size, size), size, d.B);
            Reg(d.Rm) = v2;
            Reg(d.Rd) = v1;
            if (d.C != Decoder.ModeOffset)
            {
                SetRegOrSp(d.Rn, b + (ulong)d.Imm);
            }
        }

        private void ExecuteStorePair(ref DecodedInst d)
        {
            ulong b = BaseAddress(d.Rn);
            ulong address = d.C == Decoder.ModePost ? b : b + (ulong)d.Imm;
            int size = d.Size;
            ulong v1 = Reg(d.Rd), v2 = Reg(d.Rm);
            Write(address, size, v1);
            Write(address + (ulong)size, size, v2);
            if (d.C != Decoder.ModeOffset)
            {
                SetRegOrSp(d.Rn, b + (ulong)d.Imm);
            }
        }

        // Exclusive and acquire/release accesses must be aligned. An aligned access is passed
        // without AccessFlags.AlignmentRequired so it can take the TLB fast path; a misaligned
        // one is passed with it and takes the alignment fault.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static AccessFlags AlignedFlags(ulong address, int alignment) =>
            (address & (ulong)(alignment - 1)) == 0 ? AccessFlags.None : AccessFlags.AlignmentRequired;

        private void CheckAlignedTo(ulong address, int alignment, bool write)
        {
            if ((address & (ulong)(alignment - 1)) != 0)
            {
                DataAbort(address, FaultStatus.Alignment, write);
            }
        }

        private void ExecuteLoadExclusive(ref DecodedInst d)
        {
            ulong address = BaseAddress(d.Rn);
            int size = d.Size;
            ulong v = Read(address, size, AlignedFlags(address, size));
            SetExclusiveMonitor(address, size);
            Reg(d.Rd) = v;
        }

        private void ExecuteStoreExclusive(ref DecodedInst d)
        {
            ulong address = BaseAddress(d.Rn);
            int size = d.Size;
            CheckAlignedTo(address, size, write: true);
            ulong value = Reg(d.Rd);
            uint status = 1;
            if (CheckAndClearExclusiveMonitor(address, size))
            {
                Write(address, size, value);
                status = 0;
            }

            Reg(d.Rm) = status;
        }

        private void ExecuteLoadExclusivePair(ref DecodedInst d)
        {
            ulong address = BaseAddress(d.Rn);
            int size = d.Size;
            CheckAlignedTo(address, 2 * size, write: false);
            ulong v1, v2;
            if (size == 4)
            {
                ulong both = Read(address, 8);
                v1 = (uint)both;
                v2 = both >> 32;
            }
            else
            {
                v1 = Read(address, 8);
                v2 = Read(address + 8, 8);
            }

            SetExclusiveMonitor(address, 2 * size);
            Reg(d.Rd) = v1;
            Reg(d.Ra) = v2;
        }

        private void ExecuteStoreExclusivePair(ref DecodedInst d)
        {
            ulong address = BaseAddress(d.Rn);
            int size = d.Size;
            CheckAlignedTo(address, 2 * size, write: true);
            ulong v1 = Reg(d.Rd), v2 = Reg(d.Ra);
            uint status = 1;
            if (CheckAndClearExclusiveMonitor(address, 2 * size))
            {
                if (size == 4)
                {
                    Write(address, 8, (uint)v1 | (v2 << 32));
                }
                else
                {
                    // Check the second doubleword's translation first so a fault there stores nothing.
                    if (((address + 8) & 0xFFF) == 0)
                    {
                        Read(address + 8, 8);
                    }

                    Write(address, 8, v1);
                    Write(address + 8, 8, v2);
                }

                status = 0;
            }

            Reg(d.Rm) = status;
        }

        private void ExecuteLoadAcquire(ref DecodedInst d)
        {
            ulong address = BaseAddress(d.Rn);
            Reg(d.Rd) = Read(address, d.Size, AlignedFlags(address, d.Size));
        }

        private void ExecuteStoreRelease(ref DecodedInst d)
        {
            ulong address = BaseAddress(d.Rn);
            Write(address, d.Size, Reg(d.Rd), AlignedFlags(address, d.Size));
        }

        // ---------------------------------------------------------------- SIMD&FP registers

        private void ExecuteFpLoadStore(ref DecodedInst d)
        {
            CheckFpEnabled();
            ulong b = 0, address;
            bool writeback = false;
            switch (d.Op)
            {
                case Op.FpLdLit:
                    address = Pc + (ulong)d.Imm;
                    break;
                case Op.FpLdReg:
                case Op.FpStReg:
                    address = RegisterOffsetAddress(ref d);
                    break;
                default:
                    b = BaseAddress(d.Rn);
                    address = d.C == Decoder.ModePost ? b : b + (ulong)d.Imm;
                    writeback = d.C != Decoder.ModeOffset;
                    break;
            }

            int size = d.Size;
            switch (d.Op)
            {
                case Op.FpLdLit:
                case Op.FpLdImm:
                case Op.FpLdReg:
                {
                    ReadVector(address, size, out ulong lo, out ulong hi);
                    V[2 * d.Rd] = lo;
                    V[2 * d.Rd + 1] = hi;
                    break;
                }

                case Op.FpStImm:
                case Op.FpStReg:
                    WriteVector(address, size, V[2 * d.Rd], V[2 * d.Rd + 1]);
                    break;
                case Op.FpLdp:
                {
                    ReadVector(address, size, out ulong lo1, out ulong hi1);
                    ReadVector(address + (ulong)size, size, out ulong lo2, out ulong hi2);
                    V[2 * d.Rm] = lo2;
                    V[2 * d.Rm + 1] = hi2;
                    V[2 * d.Rd] = lo1;
                    V[2 * d.Rd + 1] = hi1;
                    break;
                }

                default: // FpStp
                {
                    ulong lo1 = V[2 * d.Rd], hi1 = V[2 * d.Rd + 1], lo2 = V[2 * d.Rm], hi2 = V[2 * d.Rm + 1];
                    WriteVector(address, size, lo1, hi1);
                    WriteVector(address + (ulong)size, size, lo2, hi2);
                    break;
                }
            }

            if (writeback)
            {
                SetRegOrSp(d.Rn, b + (ulong)d.Imm);
            }
        }

        /// <summary>
        /// AdvSIMD structure loads and stores (LD1-LD4, ST1-ST4, LD1R-LD4R). Loads read every
        /// element before writing any register, so a fault leaves the registers unchanged.
        /// </summary>
        private void ExecuteSimdStructure(ref DecodedInst d)
        {
            CheckFpEnabled();
            ulong address = BaseAddress(d.Rn);
            int ebytes = 1 << d.Size;
            int esize = 8 * ebytes;
            ulong emask = esize == 64 ? ulong.MaxValue : (1ul << esize) - 1;
            bool q = d.D != 0;
            ulong offs = 0;
            int t = d.Rd;
            Span<ulong> regs = stackalloc ulong[8];
            switch (d.Op)
            {
                case Op.SimdLdMulti:
                case Op.SimdStMulti:
                {
                    int elements = (q ? 16 : 8) / ebytes;
                    int rpt = d.A, selem = d.B, count = rpt * selem;
                    bool load = d.Op == Op.SimdLdMulti;
                    if (!load)
                    {
                        for (int i = 0; i < count; i++)
                        {
                            regs[2 * i] = V[2 * ((t + i) & 31)];
                            regs[2 * i + 1] = V[2 * ((t + i) & 31) + 1];
                        }
                    }
                    else
                    {
                        regs.Clear();
                    }

                    for (int r = 0; r < rpt; r++)
                    {
                        for (int e = 0; e < elements; e++)
                        {
                            for (int s = 0; s < selem; s++)
                            {
                                int reg = r + s; // structures interleave across consecutive registers
                                int bit = e * esize;
                                ref ulong half = ref regs[2 * reg + (bit >> 6)];
                                int shift = bit & 63;
                                if (load)
                                {
                                    half |= Read(address + offs, ebytes) << shift;
                                }
                                else
                                {
                                    Write(address + offs, ebytes, (half >> shift) & emask);
                                }

                                offs += (ulong)ebytes;
                            }
                        }
                    }

                    if (load)
                    {
                        for (int i = 0; i < count; i++)
                        {
                            V[2 * ((t + i) & 31)] = regs[2 * i];
                            V[2 * ((t + i) & 31) + 1] = regs[2 * i + 1];
                        }
                    }

                    break;
                }

                case Op.SimdLdSingle:
                case Op.SimdStSingle:
                {
                    int selem = d.B, bit = d.A * esize, shift = bit & 63;
                    for (int s = 0; s < selem; s++)
                    {
                        int tt = (t + s) & 31;
                        if (d.Op == Op.SimdStSingle)
                        {
                            Write(address + offs, ebytes, (V[2 * tt + (bit >> 6)] >> shift) & emask);
                        }
                        else
                        {
                            regs[s] = Read(address + offs, ebytes);
                        }

                        offs += (ulong)ebytes;
                    }

                    if (d.Op == Op.SimdLdSingle)
                    {
                        for (int s = 0; s < selem; s++)
                        {
                            ref ulong half = ref V[2 * ((t + s) & 31) + (bit >> 6)];
                            half = (half & ~(emask << shift)) | (regs[s] << shift);
                        }
                    }

                    break;
                }

                default: // LD1R-LD4R
                {
                    int selem = d.B;
                    for (int s = 0; s < selem; s++)
                    {
                        ulong v = Read(address + offs, ebytes);
                        for (int size = esize; size < 64; size *= 2)
                        {
                            v |= v << size;
                        }

                        regs[s] = v;
                        offs += (ulong)ebytes;
                    }

                    for (int s = 0; s < selem; s++)
                    {
                        int tt = (t + s) & 31;
                        V[2 * tt] = regs[s];
                        V[2 * tt + 1] = q ? regs[s] : 0;
                    }

                    break;
                }
            }

            if (d.C != 0)
            {
                SetRegOrSp(d.Rn, address + (d.Rm == 31 ? offs : Reg(d.Rm)));
            }
        }

        private void ReadVector(ulong address, int size, out ulong lo, out ulong hi)
        {
            if (size == 16)
            {
                lo = Read(address, 8);
                hi = Read(address + 8, 8);
            }
            else
            {
                lo = Read(address, size);
                hi = 0;
            }
        }

        private void WriteVector(ulong address, int size, ulong lo, ulong hi)
        {
            if (size == 16)
            {
                Write(address, 8, lo);
                Write(address + 8, 8, hi);
            }
            else
            {
                Write(address, size, lo);
            }
        }
    }
}
