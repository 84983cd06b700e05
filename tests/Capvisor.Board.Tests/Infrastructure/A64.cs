using Capvisor.Arm;

namespace Capvisor.Board.Tests.Infrastructure
{
    /// <summary>Hand encodings of the few A64 instructions the board tests run (the firmware tests link this file too).</summary>
    internal static class A64
    {
        public static uint Movz(int rd, uint imm16, int shift = 0) => 0xD2800000u | ((uint)(shift / 16) << 21) | (imm16 << 5) | (uint)rd;
        public static uint Movk(int rd, uint imm16, int shift) => 0xF2800000u | ((uint)(shift / 16) << 21) | (imm16 << 5) | (uint)rd;
        public static uint StrW(int rt, int rn) => 0xB9000000u | ((uint)rn << 5) | (uint)rt;
        public static uint StrB(int rt, int rn) => 0x39000000u | ((uint)rn << 5) | (uint)rt;
        public static uint LdrW(int rt, int rn, int offset = 0) => 0xB9400000u | ((uint)(offset / 4) << 10) | ((uint)rn << 5) | (uint)rt;
        public static uint LdrX(int rt, int rn, int offset = 0) => 0xF9400000u | ((uint)(offset / 8) << 10) | ((uint)rn << 5) | (uint)rt;
        public static uint StrX(int rt, int rn, int offset = 0) => 0xF9000000u | ((uint)(offset / 8) << 10) | ((uint)rn << 5) | (uint)rt;
        public static uint MovReg(int rd, int rm) => 0xAA0003E0u | ((uint)rm << 16) | (uint)rd;
        public static uint AddImm(int rd, int rn, uint imm12) => 0x91000000u | (imm12 << 10) | ((uint)rn << 5) | (uint)rd;
        public static uint Msr(uint encoding, int rt) => 0xD5000000u | (encoding << 5) | (uint)rt;
        public static uint Mrs(int rt, uint encoding) => 0xD5200000u | (encoding << 5) | (uint)rt;
        public const uint Hvc0 = 0xD4000002;
        public const uint Smc0 = 0xD4000003;
        public const uint Wfi = 0xD503207F;
        public const uint Nop = 0xD503201F;
        public const uint BranchSelf = 0x14000000;

        /// <summary>Branch by <paramref name="instructions"/> (may be negative).</summary>
        public static uint B(int instructions) => 0x14000000u | ((uint)instructions & 0x03FF_FFFF);

        /// <summary>MOVZ/MOVK sequence loading a 64-bit constant.</summary>
        public static IEnumerable<uint> Mov64(int rd, ulong value)
        {
            yield return Movz(rd, (uint)(value & 0xFFFF));
            for (int shift = 16; shift < 64; shift += 16)
            {
                uint part = (uint)(value >> shift) & 0xFFFF;
                if (part != 0)
                {
                    yield return Movk(rd, part, shift);
                }
            }
        }

        /// <summary>x0 = PSCI SYSTEM_OFF; HVC #0.</summary>
        public static IEnumerable<uint> SystemOff() => Mov64(0, 0x8400_0008).Append(Hvc0);

        /// <summary>Stores the byte in w<paramref name="rt"/> to the PL011 data register, with x<paramref name="scratch"/> = UART base.</summary>
        public static IEnumerable<uint> PutChar(char c, int rt = 2, int scratch = 1) =>
            Mov64(scratch, VirtMemoryMap.Uart).Append(Movz(rt, c)).Append(StrB(rt, scratch));

        /// <summary>An ELF64 AArch64 executable with one PT_LOAD segment holding <paramref name="code"/> at <paramref name="address"/>.</summary>
        public static byte[] Elf(IEnumerable<uint> code, ulong address, ushort machine = 183, byte elfClass = 2)
        {
            var words = code.ToArray();
            var text = new byte[words.Length * 4];
            Buffer.BlockCopy(words, 0, text, 0, text.Length);
            var f = new byte[64 + 56 + text.Length];
            f[0] = 0x7F; f[1] = (byte)'E'; f[2] = (byte)'L'; f[3] = (byte)'F';
            f[4] = elfClass; f[5] = 1; f[6] = 1;
            BitConverter.TryWriteBytes(f.AsSpan(16), (ushort)2);
            BitConverter.TryWriteBytes(f.AsSpan(18), machine);
            BitConverter.TryWriteBytes(f.AsSpan(20), 1u);
            BitConverter.TryWriteBytes(f.AsSpan(24), address);
            BitConverter.TryWriteBytes(f.AsSpan(32), 64ul);
            BitConverter.TryWriteBytes(f.AsSpan(52), (ushort)64);
            BitConverter.TryWriteBytes(f.AsSpan(54), (ushort)56);
            BitConverter.TryWriteBytes(f.AsSpan(56), (ushort)1);
            var ph = f.AsSpan(64);
            BitConverter.TryWriteBytes(ph, 1u);
            BitConverter.TryWriteBytes(ph[4..], 5u);
            BitConverter.TryWriteBytes(ph[8..], 120ul);
            BitConverter.TryWriteBytes(ph[16..], address);
            BitConverter.TryWriteBytes(ph[24..], address);
            BitConverter.TryWriteBytes(ph[32..], (ulong)text.Length);
            BitConverter.TryWriteBytes(ph[40..], (ulong)text.Length + 0x1000);
            text.CopyTo(f, 120);
            return f;
        }

        /// <summary>Raw little-endian bytes of <paramref name="code"/>.</summary>
        public static byte[] Raw(IEnumerable<uint> code)
        {
            var words = code.ToArray();
            var bytes = new byte[words.Length * 4];
            Buffer.BlockCopy(words, 0, bytes, 0, bytes.Length);
            return bytes;
        }

        public static uint Encode(uint op0, uint op1, uint crn, uint crm, uint op2) => SysReg.Encode(op0, op1, crn, crm, op2);
    }
}
