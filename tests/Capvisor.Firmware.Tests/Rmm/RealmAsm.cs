using Capvisor.Arm;
using static Capvisor.Board.Tests.Infrastructure.A64;

namespace Capvisor.Firmware.Tests.Rmm
{
    /// <summary>
    /// Hand-encoded A64 for realm test programs (as the El3Monitor and board tests encode theirs).
    /// A program runs at <see cref="BoardRealm.CodeIpa"/> with the MMU off; x28 points at the
    /// results granule, where <see cref="Save"/> stores registers; its EL1 synchronous vector
    /// saves ESR_EL1, FAR_EL1 and ELR_EL1 in result slots 60–62, sets slot 63 to 1 and spins; its
    /// IRQ vector acknowledges a virtual interrupt (INTID in slot 50, count in slot 51) and completes it.
    /// </summary>
    internal static class RealmAsm
    {
        public const int SlotEsr = 60, SlotFar = 61, SlotElr = 62, SlotVectorTaken = 63, SlotIrqIntid = 50, SlotIrqCount = 51;

        public const uint IccPmr = 0xC230, IccIar1 = 0xC660, IccEoir1 = 0xC661, IccIgrpen1 = 0xC667, IccSgi1r = 0xC65D;
        public const uint CntvCtl = 0xDF19, CntvCval = 0xDF1A, Cntvct = 0xDF02;
        public const uint Eret = 0xD69F03E0;
        public const uint DaifClrI = 0xD50342FF;

        public static uint LdrshX(int rt, int rn) => 0x79800000u | ((uint)rn << 5) | (uint)rt;
        public static uint AddReg(int rd, int rn, int rm) => 0x8B000000u | ((uint)rm << 16) | ((uint)rn << 5) | (uint)rd;
        public static uint CmpImm(int rn, uint imm12) => 0xF100001Fu | (imm12 << 10) | ((uint)rn << 5);
        public static uint BEq(int instructions) => 0x54000000u | (((uint)instructions & 0x7FFFF) << 5);
        public static uint Br(int rn) => 0xD61F0000u | ((uint)rn << 5);

        /// <summary>Stores x<paramref name="rt"/> in result slot <paramref name="slot"/>.</summary>
        public static uint Save(int rt, int slot) => StrX(rt, 28, slot * 8);

        /// <summary>x0 = <paramref name="fid"/>, x1.. = <paramref name="args"/>, SMC #0.</summary>
        public static IEnumerable<uint> Smc(ulong fid, params ulong[] args)
        {
            foreach (uint w in Mov64(0, fid))
            {
                yield return w;
            }

            for (int i = 0; i < args.Length; i++)
            {
                foreach (uint w in Mov64(1 + i, args[i]))
                {
                    yield return w;
                }
            }

            yield return Smc0;
        }

        /// <summary>SMC, then saves x0.. x(<paramref name="results"/> − 1) from slot <paramref name="firstSlot"/> on.</summary>
        public static IEnumerable<uint> SmcSaving(int firstSlot, int results, ulong fid, params ulong[] args) =>
            Smc(fid, args).Concat(Enumerable.Range(0, results).Select(i => Save(i, firstSlot + i)));

        /// <summary>Where <see cref="Program"/> puts the secondary entry (for PSCI CPU_ON).</summary>
        public const ulong SecondaryOffset = 0x700;

        /// <summary>
        /// The whole program image: prologue, <paramref name="body"/>, spin; optionally
        /// <paramref name="secondary"/> at <see cref="SecondaryOffset"/> (with x28 set up, then spin);
        /// the vector table at +0x800.
        /// </summary>
        public static byte[] Program(IEnumerable<uint> body, IEnumerable<uint>? secondary = null)
        {
            var code = new List<uint>();
            code.AddRange(Mov64(9, BoardRealm.CodeIpa + 0x800));
            code.Add(Msr(SysReg.VBAR_EL1, 9));
            code.AddRange(Mov64(28, BoardRealm.ResultsIpa));
            code.AddRange(body);
            code.Add(BranchSelf);
            int limit = secondary == null ? 0x200 : (int)(SecondaryOffset / 4);
            if (code.Count > limit)
            {
                throw new InvalidOperationException("realm test program too long");
            }

            if (secondary != null)
            {
                while (code.Count < limit)
                {
                    code.Add(Nop);
                }

                code.AddRange(Mov64(28, BoardRealm.ResultsIpa));
                code.AddRange(secondary);
                code.Add(BranchSelf);
                if (code.Count > 0x200)
                {
                    throw new InvalidOperationException("realm secondary code too long");
                }
            }

            while (code.Count < 0x280)
            {
                code.Add(Nop); // vector table at +0x800; current EL with SPx, synchronous, at +0x200
            }

            code.Add(Mrs(9, SysReg.ESR_EL1));
            code.Add(Save(9, SlotEsr));
            code.Add(Mrs(9, SysReg.FAR_EL1));
            code.Add(Save(9, SlotFar));
            code.Add(Mrs(9, SysReg.ELR_EL1));
            code.Add(Save(9, SlotElr));
            code.Add(Movz(9, 1));
            code.Add(Save(9, SlotVectorTaken));
            code.Add(BranchSelf);

            // IRQ at +0xA80: acknowledge, count in slot 51, record the INTID in slot 50, complete, return.
            while (code.Count < 0x2A0)
            {
                code.Add(Nop);
            }

            code.Add(Mrs(9, IccIar1));
            code.Add(Save(9, SlotIrqIntid));
            code.Add(LdrX(10, 28, SlotIrqCount * 8));
            code.Add(AddImm(10, 10, 1));
            code.Add(Save(10, SlotIrqCount));
            code.Add(Msr(IccEoir1, 9));
            code.Add(Eret);
            var bytes = new byte[code.Count * 4];
            Buffer.BlockCopy(code.ToArray(), 0, bytes, 0, bytes.Length);
            return bytes;
        }
    }
}
