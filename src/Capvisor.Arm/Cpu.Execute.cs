using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Capvisor.Arm
{
    public sealed partial class Cpu
    {
        /// <summary>
        /// The execution loop: executes instructions until <see cref="Retired"/> reaches
        /// <paramref name="end"/>, an attention condition ends the run, or an instruction asks
        /// to exit (<see cref="ExitAfterInstruction"/>). Each instruction is fetched and taken
        /// from the pre-decoded page (<see cref="FetchDecoded"/>), then dispatched on its
        /// <see cref="Op"/>. Common forms are handled inline; rare and generic forms call helpers
        /// in Cpu.ExecuteDataProcessing.cs, Cpu.ExecuteLoadStore.cs and Cpu.ExecuteSystem.cs.
        /// Register fields were mapped by the decoder: index 32 reads as zero, index 33 is a
        /// write sink, 31 is SP (see <see cref="DecodedInst"/>).
        /// </summary>
        /// <remarks>
        /// The dispatch switch lives in the loop (no call per instruction), and the loop has no
        /// exception handling, so the JIT can keep its state in registers; <see cref="Run"/>
        /// catches the architectural exceptions around it. Retired is the loop counter because
        /// the counter and timers read it while an instruction executes.
        /// </remarks>
        private CpuExit RunUntil(ulong end)
        {
            ref ulong x = ref MemoryMarshal.GetArrayDataReference(X);
            ulong pc = Pc;
            while (Retired < end)
            {
                if (_attention)
                {
                    if (Attend(out var exit))
                    {
                        return exit;
                    }

                    pc = Pc; // an interrupt may have been taken
                }

                ref DecodedInst d = ref FetchDecoded(pc);
                NextPc = pc + 4;
                switch (d.Op)
                {
                    case Op.Nop:
                        break;

                    // ------------------------------------------------ PC-relative, add/sub, logical immediate
                    case Op.Adr: Unsafe.Add(ref x, d.Rd) = Pc + (ulong)d.Imm; break;
                    case Op.Adrp: Unsafe.Add(ref x, d.Rd) = (Pc & ~0xFFFul) + (ulong)d.Imm; break;
                    case Op.AddImm64: Unsafe.Add(ref x, d.Rd) = Unsafe.Add(ref x, d.Rn) + (ulong)d.Imm; break;
                    case Op.AddImm32: Unsafe.Add(ref x, d.Rd) = (uint)(Unsafe.Add(ref x, d.Rn) + (ulong)d.Imm); break;
                    case Op.SubImm64: Unsafe.Add(ref x, d.Rd) = Unsafe.Add(ref x, d.Rn) - (ulong)d.Imm; break;
                    case Op.SubImm32: Unsafe.Add(ref x, d.Rd) = (uint)(Unsafe.Add(ref x, d.Rn) - (ulong)d.Imm); break;
                    case Op.AddsImm64: Unsafe.Add(ref x, d.Rd) = Adds64(Unsafe.Add(ref x, d.Rn), (ulong)d.Imm); break;
                    case Op.AddsImm32: Unsafe.Add(ref x, d.Rd) = Adds32((uint)Unsafe.Add(ref x, d.Rn), (uint)d.Imm); break;
                    case Op.SubsImm64: Unsafe.Add(ref x, d.Rd) = Subs64(Unsafe.Add(ref x, d.Rn), (ulong)d.Imm); break;
                    case Op.SubsImm32: Unsafe.Add(ref x, d.Rd) = Subs32((uint)Unsafe.Add(ref x, d.Rn), (uint)d.Imm); break;
                    case Op.AddSubImmSp: ExecuteAddSubGeneric(ref d, (ulong)d.Imm); break;
                    case Op.AndImm: Unsafe.Add(ref x, d.Rd) = Unsafe.Add(ref x, d.Rn) & (ulong)d.Imm; break;
                    case Op.OrrImm64: Unsafe.Add(ref x, d.Rd) = Unsafe.Add(ref x, d.Rn) | (ulong)d.Imm; break;
                    case Op.OrrImm32: Unsafe.Add(ref x, d.Rd) = (uint)(Unsafe.Add(ref x, d.Rn) | (ulong)d.Imm); break;
                    case Op.EorImm64: Unsafe.Add(ref x, d.Rd) = Unsafe.Add(ref x, d.Rn) ^ (ulong)d.Imm; break;
                    case Op.EorImm32: Unsafe.Add(ref x, d.Rd) = (uint)(Unsafe.Add(ref x, d.Rn) ^ (ulong)d.Imm); break;
                    case Op.AndsImm64: Unsafe.Add(ref x, d.Rd) = Ands64(Unsafe.Add(ref x, d.Rn) & (ulong)d.Imm); break;
                    case Op.AndsImm32: Unsafe.Add(ref x, d.Rd) = Ands32((uint)(Unsafe.Add(ref x, d.Rn) & (ulong)d.Imm)); break;
                    case Op.LogicImmSp: ExecuteLogicImmSp(ref d); break;
                    case Op.MovImm: Unsafe.Add(ref x, d.Rd) = (ulong)d.Imm; break;
                    case Op.MovK64: Unsafe.Add(ref x, d.Rd) = (Unsafe.Add(ref x, d.Rn) & d.Imm2) | (ulong)d.Imm; break;
                    case Op.MovK32: Unsafe.Add(ref x, d.Rd) = (uint)((Unsafe.Add(ref x, d.Rn) & d.Imm2) | (ulong)d.Imm); break;

                    // ------------------------------------------------ bitfield and extract
                    case Op.LslImm64: Unsafe.Add(ref x, d.Rd) = Unsafe.Add(ref x, d.Rn) << d.A; break;
                    case Op.LslImm32: Unsafe.Add(ref x, d.Rd) = (uint)Unsafe.Add(ref x, d.Rn) << d.A; break;
                    case Op.LsrImm64: Unsafe.Add(ref x, d.Rd) = Unsafe.Add(ref x, d.Rn) >> d.A; break;
                    case Op.LsrImm32: Unsafe.Add(ref x, d.Rd) = (uint)Unsafe.Add(ref x, d.Rn) >> d.A; break;
                    case Op.AsrImm64: Unsafe.Add(ref x, d.Rd) = (ulong)((long)Unsafe.Add(ref x, d.Rn) >> d.A); break;
                    case Op.AsrImm32: Unsafe.Add(ref x, d.Rd) = (uint)((int)Unsafe.Add(ref x, d.Rn) >> d.A); break;
                    case Op.Ubfx: Unsafe.Add(ref x, d.Rd) = (Unsafe.Add(ref x, d.Rn) >> d.A) & (ulong)d.Imm; break;
                    case Op.Sbfx64:
                        Unsafe.Add(ref x, d.Rd) = (ulong)((long)(Unsafe.Add(ref x, d.Rn) << (64 - d.A - d.B)) >> (64 - d.B));
                        break;
                    case Op.Sbfx32:
                        Unsafe.Add(ref x, d.Rd) = (uint)((int)((uint)Unsafe.Add(ref x, d.Rn) << (32 - d.A - d.B)) >> (32 - d.B));
                        break;
                    case Op.Ubfm64:
                        Unsafe.Add(ref x, d.Rd) = BitOperations.RotateRight(Unsafe.Add(ref x, d.Rn), d.A) & (ulong)d.Imm & d.Imm2;
                        break;
                    case Op.Ubfm32:
                        Unsafe.Add(ref x, d.Rd) = BitOperations.RotateRight((uint)Unsafe.Add(ref x, d.Rn), d.A) & (ulong)d.Imm & d.Imm2;
                        break;
                    case Op.Sbfm64: Unsafe.Add(ref x, d.Rd) = Sbfm64(Unsafe.Add(ref x, d.Rn), ref d); break;
                    case Op.Sbfm32: Unsafe.Add(ref x, d.Rd) = Sbfm32((uint)Unsafe.Add(ref x, d.Rn), ref d); break;
                    case Op.Bfm64:
                    {
                        ulong dst = Unsafe.Add(ref x, d.Ra);
                        ulong wmask = (ulong)d.Imm, tmask = d.Imm2;
                        ulong bot = (dst & ~wmask) | (BitOperations.RotateRight(Unsafe.Add(ref x, d.Rn), d.A) & wmask);
                        Unsafe.Add(ref x, d.Rd) = (dst & ~tmask) | (bot & tmask);
                        break;
                    }

                    case Op.Bfm32:
                    {
                        ulong dst = (uint)Unsafe.Add(ref x, d.Ra);
                        ulong wmask = (ulong)d.Imm, tmask = d.Imm2;
                        ulong bot = (dst & ~wmask) | (BitOperations.RotateRight((uint)Unsafe.Add(ref x, d.Rn), d.A) & wmask);
                        Unsafe.Add(ref x, d.Rd) = (uint)((dst & ~tmask) | (bot & tmask));
                        break;
                    }

                    case Op.Extr64:
                    {
                        ulong lo = Unsafe.Add(ref x, d.Rm);
                        Unsafe.Add(ref x, d.Rd) = d.A == 0 ? lo : (lo >> d.A) | (Unsafe.Add(ref x, d.Rn) << (64 - d.A));
                        break;
                    }

                    case Op.Extr32:
                    {
                        uint lo = (uint)Unsafe.Add(ref x, d.Rm);
                        Unsafe.Add(ref x, d.Rd) = d.A == 0 ? lo : (lo >> d.A) | ((uint)Unsafe.Add(ref x, d.Rn) << (32 - d.A));
                        break;
                    }

                    // ------------------------------------------------ logical and add/sub (register)
                    case Op.MovReg64: Unsafe.Add(ref x, d.Rd) = Unsafe.Add(ref x, d.Rm); break;
                    case Op.MovReg32: Unsafe.Add(ref x, d.Rd) = (uint)Unsafe.Add(ref x, d.Rm); break;
                    case Op.AndLsl64:
                        Unsafe.Add(ref x, d.Rd) = Unsafe.Add(ref x, d.Rn) & ((Unsafe.Add(ref x, d.Rm) << d.A) ^ (ulong)d.Imm);
                        break;
                    case Op.AndLsl32:
                        Unsafe.Add(ref x, d.Rd) = (uint)(Unsafe.Add(ref x, d.Rn) & ((Unsafe.Add(ref x, d.Rm) << d.A) ^ (ulong)d.Imm));
                        break;
                    case Op.OrrLsl64:
                        Unsafe.Add(ref x, d.Rd) = Unsafe.Add(ref x, d.Rn) | ((Unsafe.Add(ref x, d.Rm) << d.A) ^ (ulong)d.Imm);
                        break;
                    case Op.OrrLsl32:
                        Unsafe.Add(ref x, d.Rd) = (uint)(Unsafe.Add(ref x, d.Rn) | ((Unsafe.Add(ref x, d.Rm) << d.A) ^ (ulong)d.Imm));
                        break;
                    case Op.EorLsl64:
                        Unsafe.Add(ref x, d.Rd) = Unsafe.Add(ref x, d.Rn) ^ ((Unsafe.Add(ref x, d.Rm) << d.A) ^ (ulong)d.Imm);
                        break;
                    case Op.EorLsl32:
                        Unsafe.Add(ref x, d.Rd) = (uint)(Unsafe.Add(ref x, d.Rn) ^ ((Unsafe.Add(ref x, d.Rm) << d.A) ^ (ulong)d.Imm));
                        break;
                    case Op.AndsLsl64:
                        Unsafe.Add(ref x, d.Rd) = Ands64(Unsafe.Add(ref x, d.Rn) & ((Unsafe.Add(ref x, d.Rm) << d.A) ^ (ulong)d.Imm));
                        break;
                    case Op.AndsLsl32:
                        Unsafe.Add(ref x, d.Rd) = Ands32((uint)(Unsafe.Add(ref x, d.Rn) & ((Unsafe.Add(ref x, d.Rm) << d.A) ^ (ulong)d.Imm)));
                        break;
                    case Op.LogicShifted: ExecuteLogicShifted(ref d); break;
                    case Op.AddLsl64: Unsafe.Add(ref x, d.Rd) = Unsafe.Add(ref x, d.Rn) + (Unsafe.Add(ref x, d.Rm) << d.A); break;
                    case Op.AddLsl32: Unsafe.Add(ref x, d.Rd) = (uint)(Unsafe.Add(ref x, d.Rn) + (Unsafe.Add(ref x, d.Rm) << d.A)); break;
                    case Op.SubLsl64: Unsafe.Add(ref x, d.Rd) = Unsafe.Add(ref x, d.Rn) - (Unsafe.Add(ref x, d.Rm) << d.A); break;
                    case Op.SubLsl32: Unsafe.Add(ref x, d.Rd) = (uint)(Unsafe.Add(ref x, d.Rn) - (Unsafe.Add(ref x, d.Rm) << d.A)); break;
                    case Op.AddsLsl64: Unsafe.Add(ref x, d.Rd) = Adds64(Unsafe.Add(ref x, d.Rn), Unsafe.Add(ref x, d.Rm) << d.A); break;
                    case Op.AddsLsl32: Unsafe.Add(ref x, d.Rd) = Adds32((uint)Unsafe.Add(ref x, d.Rn), (uint)(Unsafe.Add(ref x, d.Rm) << d.A)); break;
                    case Op.SubsLsl64: Unsafe.Add(ref x, d.Rd) = Subs64(Unsafe.Add(ref x, d.Rn), Unsafe.Add(ref x, d.Rm) << d.A); break;
                    case Op.SubsLsl32: Unsafe.Add(ref x, d.Rd) = Subs32((uint)Unsafe.Add(ref x, d.Rn), (uint)(Unsafe.Add(ref x, d.Rm) << d.A)); break;
                    case Op.AddSubShifted:
                        ExecuteAddSubGeneric(ref d, ShiftReg(Unsafe.Add(ref x, d.Rm), d.B, d.A, (d.C & Decoder.AsSf) != 0));
                        break;
                    case Op.AddSubExtended:
                        ExecuteAddSubGeneric(ref d, ExtendReg(Unsafe.Add(ref x, d.Rm), d.B, d.A));
                        break;
                    case Op.AddLsr64: Unsafe.Add(ref x, d.Rd) = Unsafe.Add(ref x, d.Rn) + (Unsafe.Add(ref x, d.Rm) >> d.A); break;
                    case Op.AddAsr64:
                        Unsafe.Add(ref x, d.Rd) = Unsafe.Add(ref x, d.Rn) + (ulong)((long)Unsafe.Add(ref x, d.Rm) >> d.A);
                        break;
                    case Op.AddExt64: SetRegOrSp(d.Rd, RegOrSp(d.Rn) + ExtendReg(Unsafe.Add(ref x, d.Rm), d.B, d.A)); break;
                    case Op.AdcSbc: ExecuteAdcSbc(ref d); break;
                    case Op.CondCompare: ExecuteCondCompare(ref d); break;

                    // ------------------------------------------------ conditional select
                    case Op.Csel64:
                        Unsafe.Add(ref x, d.Rd) = ConditionHolds(d.B) ? Unsafe.Add(ref x, d.Rn) : Unsafe.Add(ref x, d.Rm);
                        break;
                    case Op.Csel32:
                        Unsafe.Add(ref x, d.Rd) = (uint)(ConditionHolds(d.B) ? Unsafe.Add(ref x, d.Rn) : Unsafe.Add(ref x, d.Rm));
                        break;
                    case Op.Csinc64:
                        Unsafe.Add(ref x, d.Rd) = ConditionHolds(d.B) ? Unsafe.Add(ref x, d.Rn) : Unsafe.Add(ref x, d.Rm) + 1;
                        break;
                    case Op.Csinc32:
                        Unsafe.Add(ref x, d.Rd) = (uint)(ConditionHolds(d.B) ? Unsafe.Add(ref x, d.Rn) : Unsafe.Add(ref x, d.Rm) + 1);
                        break;
                    case Op.Csinv64:
                        Unsafe.Add(ref x, d.Rd) = ConditionHolds(d.B) ? Unsafe.Add(ref x, d.Rn) : ~Unsafe.Add(ref x, d.Rm);
                        break;
                    case Op.Csinv32:
                        Unsafe.Add(ref x, d.Rd) = (uint)(ConditionHolds(d.B) ? Unsafe.Add(ref x, d.Rn) : ~Unsafe.Add(ref x, d.Rm));
                        break;
                    case Op.Csneg64:
                        Unsafe.Add(ref x, d.Rd) = ConditionHolds(d.B) ? Unsafe.Add(ref x, d.Rn) : 0 - Unsafe.Add(ref x, d.Rm);
                        break;
                    case Op.Csneg32:
                        Unsafe.Add(ref x, d.Rd) = (uint)(ConditionHolds(d.B) ? Unsafe.Add(ref x, d.Rn) : 0 - Unsafe.Add(ref x, d.Rm));
                        break;

                    // ------------------------------------------------ 1-source
                    case Op.Rbit64: Unsafe.Add(ref x, d.Rd) = ReverseBits(Unsafe.Add(ref x, d.Rn)); break;
                    case Op.Rbit32: Unsafe.Add(ref x, d.Rd) = ReverseBits(Unsafe.Add(ref x, d.Rn) << 32); break;
                    case Op.Rev16_64: Unsafe.Add(ref x, d.Rd) = ReverseBytesIn16(Unsafe.Add(ref x, d.Rn)); break;
                    case Op.Rev16_32: Unsafe.Add(ref x, d.Rd) = (uint)ReverseBytesIn16(Unsafe.Add(ref x, d.Rn)); break;
                    case Op.Rev32_64:
                    {
                        ulong v = BinaryPrimitives.ReverseEndianness(Unsafe.Add(ref x, d.Rn));
                        Unsafe.Add(ref x, d.Rd) = (v >> 32) | (v << 32);
                        break;
                    }

                    case Op.Rev32: Unsafe.Add(ref x, d.Rd) = BinaryPrimitives.ReverseEndianness((uint)Unsafe.Add(ref x, d.Rn)); break;
                    case Op.Rev64: Unsafe.Add(ref x, d.Rd) = BinaryPrimitives.ReverseEndianness(Unsafe.Add(ref x, d.Rn)); break;
                    case Op.Clz64: Unsafe.Add(ref x, d.Rd) = (ulong)BitOperations.LeadingZeroCount(Unsafe.Add(ref x, d.Rn)); break;
                    case Op.Clz32: Unsafe.Add(ref x, d.Rd) = (ulong)BitOperations.LeadingZeroCount((uint)Unsafe.Add(ref x, d.Rn)); break;
                    case Op.Cls64:
                    {
                        ulong v = Unsafe.Add(ref x, d.Rn);
                        Unsafe.Add(ref x, d.Rd) = (ulong)(BitOperations.LeadingZeroCount(v ^ (ulong)((long)v >> 63)) - 1);
                        break;
                    }

                    case Op.Cls32:
                    {
                        uint v = (uint)Unsafe.Add(ref x, d.Rn);
                        Unsafe.Add(ref x, d.Rd) = (ulong)(BitOperations.LeadingZeroCount(v ^ (uint)((int)v >> 31)) - 1);
                        break;
                    }

                    // ------------------------------------------------ 2-source
                    case Op.Udiv64:
                    {
                        ulong m = Unsafe.Add(ref x, d.Rm);
                        Unsafe.Add(ref x, d.Rd) = m == 0 ? 0 : Unsafe.Add(ref x, d.Rn) / m;
                        break;
                    }

                    case Op.Udiv32:
                    {
                        uint m = (uint)Unsafe.Add(ref x, d.Rm);
                        Unsafe.Add(ref x, d.Rd) = m == 0 ? 0 : (uint)Unsafe.Add(ref x, d.Rn) / m;
                        break;
                    }

                    case Op.Sdiv64:
                    {
                        long n = (long)Unsafe.Add(ref x, d.Rn), m = (long)Unsafe.Add(ref x, d.Rm);
                        Unsafe.Add(ref x, d.Rd) = m == 0 ? 0 : m == -1 ? (ulong)(0 - n) : (ulong)(n / m);
                        break;
                    }

                    case Op.Sdiv32:
                    {
                        int n = (int)Unsafe.Add(ref x, d.Rn), m = (int)Unsafe.Add(ref x, d.Rm);
                        Unsafe.Add(ref x, d.Rd) = m == 0 ? 0 : m == -1 ? (uint)(0 - n) : (uint)(n / m);
                        break;
                    }

                    case Op.Lslv64: Unsafe.Add(ref x, d.Rd) = Unsafe.Add(ref x, d.Rn) << (int)(Unsafe.Add(ref x, d.Rm) & 63); break;
                    case Op.Lslv32: Unsafe.Add(ref x, d.Rd) = (uint)Unsafe.Add(ref x, d.Rn) << (int)(Unsafe.Add(ref x, d.Rm) & 31); break;
                    case Op.Lsrv64: Unsafe.Add(ref x, d.Rd) = Unsafe.Add(ref x, d.Rn) >> (int)(Unsafe.Add(ref x, d.Rm) & 63); break;
                    case Op.Lsrv32: Unsafe.Add(ref x, d.Rd) = (uint)Unsafe.Add(ref x, d.Rn) >> (int)(Unsafe.Add(ref x, d.Rm) & 31); break;
                    case Op.Asrv64:
                        Unsafe.Add(ref x, d.Rd) = (ulong)((long)Unsafe.Add(ref x, d.Rn) >> (int)(Unsafe.Add(ref x, d.Rm) & 63));
                        break;
                    case Op.Asrv32:
                        Unsafe.Add(ref x, d.Rd) = (uint)((int)Unsafe.Add(ref x, d.Rn) >> (int)(Unsafe.Add(ref x, d.Rm) & 31));
                        break;
                    case Op.Rorv64:
                        Unsafe.Add(ref x, d.Rd) = BitOperations.RotateRight(Unsafe.Add(ref x, d.Rn), (int)(Unsafe.Add(ref x, d.Rm) & 63));
                        break;
                    case Op.Rorv32:
                        Unsafe.Add(ref x, d.Rd) = BitOperations.RotateRight((uint)Unsafe.Add(ref x, d.Rn), (int)(Unsafe.Add(ref x, d.Rm) & 31));
                        break;
                    case Op.Crc32:
                        Unsafe.Add(ref x, d.Rd) = Crc.Update((uint)Unsafe.Add(ref x, d.Rn), Unsafe.Add(ref x, d.Rm), d.Size, d.A != 0);
                        break;

                    // ------------------------------------------------ 3-source
                    case Op.Mul64: Unsafe.Add(ref x, d.Rd) = Unsafe.Add(ref x, d.Rn) * Unsafe.Add(ref x, d.Rm); break;
                    case Op.Mul32: Unsafe.Add(ref x, d.Rd) = (uint)(Unsafe.Add(ref x, d.Rn) * Unsafe.Add(ref x, d.Rm)); break;
                    case Op.Madd64:
                        Unsafe.Add(ref x, d.Rd) = Unsafe.Add(ref x, d.Ra) + Unsafe.Add(ref x, d.Rn) * Unsafe.Add(ref x, d.Rm);
                        break;
                    case Op.Madd32:
                        Unsafe.Add(ref x, d.Rd) = (uint)(Unsafe.Add(ref x, d.Ra) + Unsafe.Add(ref x, d.Rn) * Unsafe.Add(ref x, d.Rm));
                        break;
                    case Op.Msub64:
                        Unsafe.Add(ref x, d.Rd) = Unsafe.Add(ref x, d.Ra) - Unsafe.Add(ref x, d.Rn) * Unsafe.Add(ref x, d.Rm);
                        break;
                    case Op.Msub32:
                        Unsafe.Add(ref x, d.Rd) = (uint)(Unsafe.Add(ref x, d.Ra) - Unsafe.Add(ref x, d.Rn) * Unsafe.Add(ref x, d.Rm));
                        break;
                    case Op.Smaddl:
                        Unsafe.Add(ref x, d.Rd) = Unsafe.Add(ref x, d.Ra)
                            + (ulong)((long)(int)Unsafe.Add(ref x, d.Rn) * (int)Unsafe.Add(ref x, d.Rm));
                        break;
                    case Op.Smsubl:
                        Unsafe.Add(ref x, d.Rd) = Unsafe.Add(ref x, d.Ra)
                            - (ulong)((long)(int)Unsafe.Add(ref x, d.Rn) * (int)Unsafe.Add(ref x, d.Rm));
                        break;
                    case Op.Umaddl:
                        Unsafe.Add(ref x, d.Rd) = Unsafe.Add(ref x, d.Ra)
                            + (ulong)(uint)Unsafe.Add(ref x, d.Rn) * (uint)Unsafe.Add(ref x, d.Rm);
                        break;
                    case Op.Umsubl:
                        Unsafe.Add(ref x, d.Rd) = Unsafe.Add(ref x, d.Ra)
                            - (ulong)(uint)Unsafe.Add(ref x, d.Rn) * (uint)Unsafe.Add(ref x, d.Rm);
                        break;
                    case Op.Smulh:
                        Unsafe.Add(ref x, d.Rd) = (ulong)Math.BigMul((long)Unsafe.Add(ref x, d.Rn), (long)Unsafe.Add(ref x, d.Rm), out _);
                        break;
                    case Op.Umulh:
                        Unsafe.Add(ref x, d.Rd) = Math.BigMul(Unsafe.Add(ref x, d.Rn), Unsafe.Add(ref x, d.Rm), out _);
                        break;

                    // ------------------------------------------------ branches
                    case Op.B: NextPc = Pc + (ulong)d.Imm; break;
                    case Op.Bl: Unsafe.Add(ref x, 30) = Pc + 4; NextPc = Pc + (ulong)d.Imm; break;
                    case Op.BCond:
                        if (ConditionHolds(d.B))
                        {
                            NextPc = Pc + (ulong)d.Imm;
                        }

                        break;
                    case Op.Cbz64:
                        if (Unsafe.Add(ref x, d.Rd) == 0)
                        {
                            NextPc = Pc + (ulong)d.Imm;
                        }

                        break;
                    case Op.Cbz32:
                        if ((uint)Unsafe.Add(ref x, d.Rd) == 0)
                        {
                            NextPc = Pc + (ulong)d.Imm;
                        }

                        break;
                    case Op.Cbnz64:
                        if (Unsafe.Add(ref x, d.Rd) != 0)
                        {
                            NextPc = Pc + (ulong)d.Imm;
                        }

                        break;
                    case Op.Cbnz32:
                        if ((uint)Unsafe.Add(ref x, d.Rd) != 0)
                        {
                            NextPc = Pc + (ulong)d.Imm;
                        }

                        break;
                    case Op.Tbz:
                        if (((Unsafe.Add(ref x, d.Rd) >> d.A) & 1) == 0)
                        {
                            NextPc = Pc + (ulong)d.Imm;
                        }

                        break;
                    case Op.Tbnz:
                        if (((Unsafe.Add(ref x, d.Rd) >> d.A) & 1) != 0)
                        {
                            NextPc = Pc + (ulong)d.Imm;
                        }

                        break;
                    case Op.Br:
                    case Op.Ret:
                        NextPc = BranchAddress(Unsafe.Add(ref x, d.Rn));
                        break;
                    case Op.Blr:
                    {
                        ulong target = Unsafe.Add(ref x, d.Rn);
                        Unsafe.Add(ref x, 30) = Pc + 4;
                        NextPc = BranchAddress(target);
                        break;
                    }

                    // ------------------------------------------------ loads and stores (fast forms)
                    case Op.LdrX: Unsafe.Add(ref x, d.Rd) = Read(BaseAddress(d.Rn) + (ulong)d.Imm, 8); break;
                    case Op.LdrW: Unsafe.Add(ref x, d.Rd) = Read(BaseAddress(d.Rn) + (ulong)d.Imm, 4); break;
                    case Op.LdrH: Unsafe.Add(ref x, d.Rd) = Read(BaseAddress(d.Rn) + (ulong)d.Imm, 2); break;
                    case Op.LdrB: Unsafe.Add(ref x, d.Rd) = Read(BaseAddress(d.Rn) + (ulong)d.Imm, 1); break;
                    case Op.StrX: Write(BaseAddress(d.Rn) + (ulong)d.Imm, 8, Unsafe.Add(ref x, d.Rd)); break;
                    case Op.StrW: Write(BaseAddress(d.Rn) + (ulong)d.Imm, 4, Unsafe.Add(ref x, d.Rd)); break;
                    case Op.StrH: Write(BaseAddress(d.Rn) + (ulong)d.Imm, 2, Unsafe.Add(ref x, d.Rd)); break;
                    case Op.StrB: Write(BaseAddress(d.Rn) + (ulong)d.Imm, 1, Unsafe.Add(ref x, d.Rd)); break;
                    case Op.LdImm: ExecuteLoadImmediate(ref d); break;
                    case Op.StImm: ExecuteStoreImmediate(ref d); break;
                    case Op.LdReg: ExecuteLoadRegister(ref d); break;
                    case Op.LdRegLsl:
                        Unsafe.Add(ref x, d.Rd) = Read(BaseAddress(d.Rn) + (Unsafe.Add(ref x, d.Rm) << d.D), d.Size);
                        break;
                    case Op.StRegLsl:
                        Write(BaseAddress(d.Rn) + (Unsafe.Add(ref x, d.Rm) << d.D), d.Size, Unsafe.Add(ref x, d.Rd));
                        break;
                    case Op.StReg: ExecuteStoreRegister(ref d); break;
                    case Op.LdLit:
                        Unsafe.Add(ref x, d.Rd) = ExtendLoad(Read(Pc + (ulong)d.Imm, d.Size), d.Size, d.B);
                        break;
                    case Op.Ldp: ExecuteLoadPair(ref d); break;
                    case Op.Stp: ExecuteStorePair(ref d); break;
                    case Op.LdpX:
                    {
                        ulong b = BaseAddress(d.Rn);
                        ulong address = d.C == Decoder.ModePost ? b : b + (ulong)d.Imm;
                        ulong v1 = Read(address, 8);
                        ulong v2 = Read(address + 8, 8);
                        Unsafe.Add(ref x, d.Rm) = v2;
                        Unsafe.Add(ref x, d.Rd) = v1;
                        if (d.C != Decoder.ModeOffset)
                        {
                            SetRegOrSp(d.Rn, b + (ulong)d.Imm);
                        }

                        break;
                    }

                    case Op.StpX:
                    {
                        ulong b = BaseAddress(d.Rn);
                        ulong address = d.C == Decoder.ModePost ? b : b + (ulong)d.Imm;
                        ulong v1 = Unsafe.Add(ref x, d.Rd), v2 = Unsafe.Add(ref x, d.Rm);
                        Write(address, 8, v1);
                        Write(address + 8, 8, v2);
                        if (d.C != Decoder.ModeOffset)
                        {
                            SetRegOrSp(d.Rn, b + (ulong)d.Imm);
                        }

                        break;
                    }

                    case Op.Ldxr: ExecuteLoadExclusive(ref d); break;
                    case Op.Stxr: ExecuteStoreExclusive(ref d); break;
                    case Op.Ldxp: ExecuteLoadExclusivePair(ref d); break;
                    case Op.Stxp: ExecuteStoreExclusivePair(ref d); break;
                    case Op.Ldar: ExecuteLoadAcquire(ref d); break;
                    case Op.Stlr: ExecuteStoreRelease(ref d); break;
                    case Op.SimdFp:
                        ExecuteSimdFp(d.Raw);
                        break;
                    case Op.SimdLdMulti:
                    case Op.SimdStMulti:
                    case Op.SimdLdSingle:
                    case Op.SimdStSingle:
                    case Op.SimdLdReplicate:
                        ExecuteSimdStructure(ref d);
                        break;
                    case Op.FpLdImm:
                    case Op.FpStImm:
                    case Op.FpLdReg:
                    case Op.FpStReg:
                    case Op.FpLdLit:
                    case Op.FpLdp:
                    case Op.FpStp:
                        ExecuteFpLoadStore(ref d);
                        break;

                    default:
                        ExecuteSystem(ref d);
                        break;
                }

                // Handlers branch by writing NextPc and never write Pc, so the loop's copy stays valid.
                pc = NextPc;
                Pc = pc;
                Retired++;
            }

            if (_exitPending)
            {
                // The budget's last instruction asked to end the run.
                _exitPending = false;
                return _pendingExit;
            }

            return CpuExit.Budget;
        }

        // NZCV for each condition code: bit f of entry cond is set when cond holds for NZCV = f.
        private static ReadOnlySpan<ushort> ConditionTable =>
        [
            0xF0F0, 0x0F0F, 0xCCCC, 0x3333, 0xFF00, 0x00FF, 0xAAAA, 0x5555,
            0x0C0C, 0xF3F3, 0xAA55, 0x55AA, 0x0A05, 0xF5FA, 0xFFFF, 0xFFFF,
        ];

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private bool ConditionHolds(int cond) => ((ConditionTable[cond & 15] >> (int)(Nzcv >> 28)) & 1) != 0;

        /// <summary>
        /// AArch64.BranchAddr() for the EL1&amp;0 regime: with top-byte-ignore enabled for the
        /// target's half of the address space, the tag is removed (bit 55 extended), so the PC
        /// never holds a tag.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private ulong BranchAddress(ulong target)
        {
            if ((target >> 56) != 0 && (target >> 56) != 0xFF && CurrentEl <= 1
                && ((TcrEl1 >> (37 + (int)((target >> 55) & 1))) & 1) != 0)
            {
                return (ulong)((long)(target << 8) >> 8);
            }

            return target;
        }

        /// <summary>The base register of a load/store: Xn, or SP (checked for alignment) when n is 31.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private ulong BaseAddress(int n)
        {
            if (n == 31)
            {
                ulong sp = SpEl[_spIndex];
                if ((sp & 15) != 0)
                {
                    CheckSpAlignment(sp);
                }

                return sp;
            }

            return Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(X), n);
        }

        /// <summary>Reads a register field: Xn (32 = zero) or SP when n is 31.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private ulong RegOrSp(int n) => n == 31 ? SpEl[_spIndex] : Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(X), n);

        /// <summary>Writes a register field: Xn (33 = discarded) or SP when n is 31.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void SetRegOrSp(int n, ulong value)
        {
            if (n == 31)
            {
                SpEl[_spIndex] = value;
            }
            else
            {
                Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(X), n) = value;
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private ref ulong Reg(int n) => ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(X), n);
    }
}
